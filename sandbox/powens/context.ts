/**
 * The sandbox's shared state: options, the pool, the persisted settings (seed, clock offset,
 * webhook URL, generation settings, all in `powens_sandbox.meta`), and the in-memory test knobs
 * (injected faults, request log).
 */
import type { Pool } from 'pg';
import { ensureSchema, SCHEMA } from './schema';

export interface PowensSandboxOptions {
  pool: Pool;
  clientId: string;
  clientSecret: string;
  /** HMAC key of the webhooks' BI-Signature (POWENS_WEBHOOK_SECRET). */
  webhookSecret: string;
  /**
   * How webhooks authenticate, as configured at Powens: `hmac` (default; an HMAC provider is
   * associated with the webhooks: BI-Signature and BI-Signature-Date over the registered URL's
   * path) or `bearer` (Powens' default without a provider: `Authorization: Bearer <user token>`).
   */
  webhookAuth?: 'hmac' | 'bearer';
  /**
   * Where webhooks are POSTed; `{event}` is replaced by the event name (e.g.
   * http://localhost:3000/powens/webhooks/{event}), as one URL is registered per event at Powens.
   * Without it, webhooks are kept (GET /__sandbox/webhooks) but not delivered.
   */
  webhookUrl?: string;
  /** Public origin of the sandbox (links on its pages); default the request's own origin. */
  publicUrl?: string;
  /** Seed of every generated value (kept in the database at the first start). Default "releves". */
  seed?: string;
  /** Days of history a new account shows at its first sync (default 90). */
  historyDays?: number;
  /** Multiplies the daily number of transactions (default 1). */
  volume?: number;
  /** Events sent (default CONNECTION_SYNCED, CONNECTION_DELETED, ACCOUNTS_FETCHED, ACCOUNT_ENABLED/DISABLED). */
  webhookEvents?: Array<
    | 'USER_CREATED'
    | 'USER_DELETED'
    | 'CONNECTION_SYNCED'
    | 'CONNECTION_DELETED'
    | 'ACCOUNTS_FETCHED'
    | 'ACCOUNT_ENABLED'
    | 'ACCOUNT_DISABLED'
  >;
  webhookRetry?: { baseDelayMs?: number; maxAttempts?: number; timeoutMs?: number };
  /** Auto-sync and webhook delivery periods of `start()` (default 5 s and 500 ms). */
  intervals?: { autoSyncMs?: number; deliveryMs?: number };
  fetch?: typeof fetch;
  logger?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export interface Faults {
  /** The next N API requests answer `failStatus`. */
  failNext: number;
  failStatus: number;
  /** Share (0-1) of API requests answering `failStatus` (seeded, so reproducible). */
  errorRate: number;
  /** Added to every API request. */
  latencyMs: number;
  /** The next N API requests answer 429 with `Retry-After: retryAfterSeconds`. */
  rateLimitNext: number;
  /** Share (0-1) of API requests answering 429. */
  rateLimitRate: number;
  retryAfterSeconds: number | null;
  /** Only requests whose path (under /2.0) matches this regular expression. */
  pathPattern: string | null;
}

export const NO_FAULTS: Faults = {
  failNext: 0,
  failStatus: 500,
  errorRate: 0,
  latencyMs: 0,
  rateLimitNext: 0,
  rateLimitRate: 0,
  retryAfterSeconds: 1,
  pathPattern: null,
};

export interface RequestLogEntry {
  at: string;
  method: string;
  path: string;
  status: number;
  fault: 'error' | 'rate-limit' | null;
  ms: number;
}

export interface Settings {
  historyDays: number;
  volume: number;
}

export interface SandboxContext {
  opts: PowensSandboxOptions;
  pool: Pool;
  ready: Promise<void>;
  seed(): string;
  /** The sandbox clock (real time + a persisted offset). */
  now(): Date;
  clockOffsetMs(): number;
  setClockOffset(ms: number): Promise<void>;
  settings(): Settings;
  setSettings(s: Partial<Settings>): Promise<void>;
  webhookUrl(): string | null;
  setWebhookUrl(url: string | null): Promise<void>;
  /** How webhooks authenticate (options.webhookAuth, or as set through the admin API). */
  webhookAuth(): 'hmac' | 'bearer';
  setWebhookAuth(auth: 'hmac' | 'bearer'): Promise<void>;
  faults: Faults;
  requests: RequestLogEntry[];
}

async function readMeta<T>(pool: Pool, key: string): Promise<T | undefined> {
  const r = await pool.query(`SELECT value FROM ${SCHEMA}.meta WHERE key = $1`, [key]);
  return r.rows[0]?.value as T | undefined;
}
async function writeMeta(pool: Pool, key: string, value: unknown): Promise<void> {
  await pool.query(
    `INSERT INTO ${SCHEMA}.meta (key, value) VALUES ($1, $2::jsonb)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
    [key, JSON.stringify(value)],
  );
}

export function createContext(opts: PowensSandboxOptions): SandboxContext {
  let seed = opts.seed ?? 'releves';
  let offset = 0;
  let settings: Settings = { historyDays: opts.historyDays ?? 90, volume: opts.volume ?? 1 };
  let webhook: string | null = opts.webhookUrl ?? null;
  let auth: 'hmac' | 'bearer' = opts.webhookAuth ?? 'hmac';

  const ready = (async () => {
    await ensureSchema(opts.pool);
    const stored = await readMeta<string>(opts.pool, 'seed');
    if (stored === undefined) await writeMeta(opts.pool, 'seed', seed);
    else {
      if (opts.seed !== undefined && stored !== opts.seed)
        opts.logger?.warn({ stored, given: opts.seed }, 'powens sandbox: keeping the seed stored in the database');
      seed = stored;
    }
    offset = (await readMeta<number>(opts.pool, 'clock_offset_ms')) ?? 0;
    const s = await readMeta<Partial<Settings>>(opts.pool, 'settings');
    settings = {
      historyDays: opts.historyDays ?? s?.historyDays ?? settings.historyDays,
      volume: opts.volume ?? s?.volume ?? settings.volume,
    };
    const w = await readMeta<{ url: string | null }>(opts.pool, 'webhook_url');
    // An explicitly configured URL wins over one set at run time through the admin API.
    if (w !== undefined && opts.webhookUrl === undefined) webhook = w.url;
    const a = await readMeta<'hmac' | 'bearer'>(opts.pool, 'webhook_auth');
    if (a !== undefined && opts.webhookAuth === undefined) auth = a;
  })();
  ready.catch(() => undefined); // surfaced by whoever awaits it

  return {
    opts,
    pool: opts.pool,
    ready,
    seed: () => seed,
    now: () => new Date(Date.now() + offset),
    clockOffsetMs: () => offset,
    async setClockOffset(ms) {
      offset = Math.round(ms);
      await writeMeta(opts.pool, 'clock_offset_ms', offset);
    },
    settings: () => settings,
    async setSettings(s) {
      settings = { ...settings, ...s };
      await writeMeta(opts.pool, 'settings', settings);
    },
    webhookUrl: () => webhook,
    async setWebhookUrl(url) {
      webhook = url;
      await writeMeta(opts.pool, 'webhook_url', { url });
    },
    webhookAuth: () => auth,
    async setWebhookAuth(value) {
      auth = value;
      await writeMeta(opts.pool, 'webhook_auth', value);
    },
    faults: { ...NO_FAULTS },
    requests: [],
  };
}
