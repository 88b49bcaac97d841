/**
 * Webhook signatures as Powens sends them (docs.powens.com, "Webhooks" > HMAC signature; see
 * ../shared/docs/powens-production.md §1), written here from that documentation and not shared
 * with our verifier, so that a misreading on either side shows:
 *
 *   BI-Signature-Date: 2022-06-27T11:08:52.577831Z          (UTC ISO-8601, microseconds)
 *   BI-Signature: BASE64( HMAC_SHA256( secret, "POST.<path>.<BI-Signature-Date>.<raw body>" ) )
 *
 * `<path>` is the path of the listening URL registered at Powens.
 */
import { createHmac } from 'node:crypto';

export function signatureHeaders(input: { secret: string; path: string; body: string; now?: Date | number }): {
  'BI-Signature': string;
  'BI-Signature-Date': string;
} {
  const date = new Date(input.now ?? Date.now()).toISOString().replace(/Z$/, '000Z');
  const signature = createHmac('sha256', input.secret)
    .update(`POST.${input.path}.${date}.${input.body}`, 'utf8')
    .digest('base64');
  return { 'BI-Signature': signature, 'BI-Signature-Date': date };
}
