/**
 * Delivering one signed request to a firm's endpoint, without letting an endpoint reach what it
 * should not (server-side request forgery). In production (`strictPolicy`):
 *  - only `https:` URLs, without credentials;
 *  - the host is resolved and EVERY address it resolves to must be a public unicast address
 *    (no loopback, private, link-local, unique-local, carrier-grade NAT, multicast, reserved,
 *    IPv4-mapped/NAT64/6to4 forms of those…: ipaddr.js's `range()` must be `unicast`); the socket
 *    then connects to an address that check accepted (the check is the connection's own DNS lookup,
 *    so a second resolution cannot swap in another address), and an IP literal is checked as is;
 *  - redirects are not followed (a 3xx is a failed attempt).
 * Outside production (development, tests) http and loopback are allowed so that local receivers work.
 */
import { lookup as dnsLookup } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface DeliveryPolicy {
  requireHttps: boolean;
  allowPrivateAddresses: boolean;
  timeoutMs: number;
  /** The resolver (tests inject one); dns.lookup with all addresses by default. */
  resolve?: (hostname: string) => Promise<Array<{ address: string; family: number }>>;
}

export const strictPolicy = (timeoutMs = 15_000): DeliveryPolicy => ({
  requireHttps: true,
  allowPrivateAddresses: false,
  timeoutMs,
});
export const localPolicy = (timeoutMs = 15_000): DeliveryPolicy => ({
  requireHttps: false,
  allowPrivateAddresses: true,
  timeoutMs,
});
/** Production is strict; development and tests deliver to local receivers too. */
export const policyFor = (config: { NODE_ENV: string }): DeliveryPolicy =>
  config.NODE_ENV === 'production' ? strictPolicy() : localPolicy();

export class UnsafeDestination extends Error {
  override readonly name = 'UnsafeDestination';
}

/** Whether an address may be delivered to: public unicast only (IPv4-mapped IPv6 judged as IPv4). */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

/** Why a URL cannot be registered or delivered to under the policy (French), or null. */
export function urlProblem(
  raw: string,
  policy: Pick<DeliveryPolicy, 'requireHttps' | 'allowPrivateAddresses'>,
): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'adresse invalide : une URL absolue est attendue (https://…)';
  }
  if (url.protocol !== 'https:' && (policy.requireHttps || url.protocol !== 'http:'))
    return policy.requireHttps ? 'seules les adresses https:// sont acceptées' : 'adresse http:// ou https:// attendue';
  if (url.username || url.password) return 'l’adresse ne doit pas contenir d’identifiants';
  if (raw.length > 2000) return 'adresse trop longue (2000 caractères au plus)';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!policy.allowPrivateAddresses) {
    if (host === 'localhost' || host.endsWith('.localhost') || (!host.includes('.') && isIP(host) === 0))
      return 'adresse interne refusée : un nom de domaine public est attendu';
    if (isIP(host) && !isPublicAddress(host)) return `adresse interne refusée (${host})`;
  }
  return null;
}

const defaultResolve = (hostname: string) =>
  new Promise<Array<{ address: string; family: number }>>((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))),
  );

/** The connection's DNS lookup: every address checked, the socket given only checked ones. */
export function checkedLookup(policy: DeliveryPolicy): LookupFunction {
  const resolve = policy.resolve ?? defaultResolve;
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (all) => {
        const family = typeof options.family === 'number' ? options.family : 0;
        const addresses = all.filter((a) => family === 0 || a.family === family);
        const refused = addresses.find((a) => !isPublicAddress(a.address));
        if (addresses.length === 0) return callback(new Error(`no address for ${hostname}`), '', 0);
        if (refused && !policy.allowPrivateAddresses)
          return callback(
            new UnsafeDestination(`adresse interne refusée : ${hostname} désigne ${refused.address}`),
            '',
            0,
          );
        if (options.all) return (callback as unknown as (e: null, a: typeof addresses) => void)(null, addresses);
        callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}

export interface PostResult {
  /** The HTTP status, null when none came back (refused destination, network error, timeout). */
  statusCode: number | null;
  latencyMs: number;
  /** What went wrong, in French (null on a 2xx). */
  error: string | null;
}

/** POSTs `body` with `headers`; never throws. A 2xx is a success; the response body is read up to 64 kB and dropped. */
export function postWebhook(
  rawUrl: string,
  headers: Record<string, string>,
  body: string,
  policy: DeliveryPolicy,
): Promise<PostResult> {
  const started = performance.now();
  const done = (statusCode: number | null, error: string | null): PostResult => ({
    statusCode,
    latencyMs: Math.round(performance.now() - started),
    error,
  });
  const problem = urlProblem(rawUrl, policy);
  if (problem) return Promise.resolve(done(null, problem));
  const url = new URL(rawUrl);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: PostResult) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    const req = request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: checkedLookup(policy),
        timeout: policy.timeoutMs,
      },
      (res) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > 65_536) res.destroy();
        });
        const status = res.statusCode ?? 0;
        const end = () => finish(done(status, status >= 200 && status < 300 ? null : `réponse HTTP ${status}`));
        res.on('end', end);
        res.on('close', end);
        res.on('error', end);
      },
    );
    req.on('timeout', () => {
      req.destroy();
      finish(done(null, `pas de réponse en ${Math.round(policy.timeoutMs / 1000)} s`));
    });
    req.on('error', (e) => {
      finish(
        done(
          null,
          e instanceof UnsafeDestination
            ? e.message
            : `échec de la connexion : ${(e as NodeJS.ErrnoException).code ?? e.message}`,
        ),
      );
    });
    req.end(body);
  });
}
