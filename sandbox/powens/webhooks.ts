/**
 * Webhook delivery from the outbox (`powens_sandbox.webhooks`): each payload is POSTed to its URL
 * authenticated as Powens does: with an HMAC provider (`webhookAuth: 'hmac'`, the default),
 * `BI-Signature` / `BI-Signature-Date` (signature.ts) over the path of the
 * registered URL; without one (`'bearer'`), the user's permanent token in `Authorization`. A
 * delivery carries one or the other (whether Powens also sends the token with a provider is not
 * documented; our endpoint accepts either). A non-2xx answer or a timeout is a
 * failure: the same body (same `id_webhook_data`) is retried with exponential backoff, and given
 * up after `maxAttempts` (Powens: 10 consecutive failures). Rows are leased before delivery so
 * that two sandboxes on one database never deliver the same attempt twice.
 */
import type { SandboxContext } from './context';
import { SCHEMA } from './schema';
import { signatureHeaders } from './signature';

export interface DeliveryResult {
  id: number;
  event: string;
  url: string;
  status: number | null;
  ok: boolean;
  error: string | null;
  attempts: number;
}

interface OutboxRow {
  id: number;
  event: string;
  url: string;
  body: string;
  user_token: string | null;
  attempts: number;
}

export function createDeliverer(ctx: SandboxContext) {
  const retry = {
    baseDelayMs: ctx.opts.webhookRetry?.baseDelayMs ?? 1000,
    maxAttempts: ctx.opts.webhookRetry?.maxAttempts ?? 10,
    timeoutMs: ctx.opts.webhookRetry?.timeoutMs ?? 10_000,
  };
  const doFetch = ctx.opts.fetch ?? ((input, init) => fetch(input, init));

  async function deliver(row: OutboxRow): Promise<DeliveryResult> {
    // Signed over the path of the URL registered at Powens: the URL the delivery goes to.
    const path = new URL(row.url).pathname;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'Powens-Sandbox-Webhooks/1.0',
    };
    if (ctx.webhookAuth() === 'hmac')
      Object.assign(headers, signatureHeaders({ secret: ctx.opts.webhookSecret, path, body: row.body }));
    else if (row.user_token) headers.authorization = `Bearer ${row.user_token}`;
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await doFetch(row.url, {
        method: 'POST',
        headers,
        body: row.body,
        signal: AbortSignal.timeout(retry.timeoutMs),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) error = `HTTP ${res.status}`;
    } catch (e) {
      error = (e as Error).name === 'TimeoutError' ? 'timeout' : (e as Error).message;
    }
    const attempts = row.attempts + 1;
    const ok = error === null;
    const delay = Math.min(300_000, retry.baseDelayMs * 2 ** (attempts - 1));
    await ctx.pool.query(
      `UPDATE ${SCHEMA}.webhooks SET attempts = $2::int, last_status = $3::int, last_error = $4::text,
         delivered = CASE WHEN $5::boolean THEN now() END,
         abandoned = CASE WHEN NOT $5::boolean AND $2::int >= $6::int THEN now() END,
         next_attempt = now() + ($7::int * interval '1 millisecond')
       WHERE id = $1`,
      [row.id, attempts, status, error, ok, retry.maxAttempts, delay],
    );
    if (!ok)
      ctx.opts.logger?.warn({ id: row.id, event: row.event, attempts, error }, 'powens sandbox: webhook not received');
    return { id: row.id, event: row.event, url: row.url, status, ok, error, attempts };
  }

  /** Delivers the due webhooks (all pending ones with `force`), oldest first. */
  async function deliverDue(opts: { force?: boolean; limit?: number } = {}): Promise<DeliveryResult[]> {
    const r = await ctx.pool.query(
      `UPDATE ${SCHEMA}.webhooks SET next_attempt = now() + interval '60 seconds'
       WHERE id IN (SELECT id FROM ${SCHEMA}.webhooks
                    WHERE delivered IS NULL AND abandoned IS NULL AND url IS NOT NULL
                      ${opts.force ? '' : 'AND next_attempt <= now()'}
                    ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id, event, url, body, user_token, attempts`,
      [opts.limit ?? 100],
    );
    const rows = (r.rows as OutboxRow[]).sort((a, b) => a.id - b.id);
    const results: DeliveryResult[] = [];
    for (const row of rows) results.push(await deliver(row));
    return results;
  }

  return { deliverDue };
}
