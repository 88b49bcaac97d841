/**
 * Prometheus metrics (prom-client). The metric objects are module singletons that the code which
 * observes an event increments (an HTTP response, a webhook, a sent e-mail, an issued statement);
 * each process exposes the ones it produces in its own Registry: `apiRegistry` for the API +
 * portal (GET /metrics, api/app.ts), `workerRegistry` for the worker's small metrics server
 * (worker/main.ts). The worker's Temporal SDK metrics are served apart, by the SDK's own Prometheus
 * exporter (Runtime.install telemetry options).
 *
 * Labels only ever take values from bounded sets: the Express route pattern (never the raw path),
 * known webhook events and refusal reasons, e-mail kinds, connection states. Anything else becomes
 * `other`, so that no client can create series at will. The table of every metric and the example
 * alerts are in README.md ("Production").
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// ── API ────────────────────────────────────────────────────────────────────────────────────────

export const httpRequestDuration = new Histogram({
  name: 'releves_http_request_duration_seconds',
  help: 'HTTP requests answered by the API and the portal, by method, Express route pattern and status (the _count series counts the requests).',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [],
});

export const powensWebhooks = new Counter({
  name: 'releves_powens_webhooks_total',
  help: 'Powens webhooks received: outcome accepted (handled, duplicate included) or refused, with the refusal reason.',
  labelNames: ['event', 'outcome', 'reason'] as const,
  registers: [],
});

/** The webhook events api/public/webhooks.ts handles; any other path segment is `other`. */
const WEBHOOK_EVENTS = new Set([
  'CONNECTION_SYNCED',
  'CONNECTION_DELETED',
  'ACCOUNT_DISABLED',
  'ACCOUNT_ENABLED',
  'ACCOUNTS_FETCHED',
]);

/**
 * The refusal reasons of api/public/webhooks.ts, read from its answer (`{ error }`): the signature
 * check's own reason (`signature refused: stale`), else a fixed word per refusal. An error text
 * this table does not know becomes `other` (an encoding named by the client never is a label).
 */
const REFUSALS: Array<[RegExp, string]> = [
  [/^signature refused: ([a-z-]{1,40})$/, '$1'],
  [/^unreadable body$/, 'unreadable-body'],
  [/^invalid gzip body$/, 'invalid-gzip'],
  [/^unsupported content-encoding/, 'unsupported-encoding'],
  [/^unknown event$/, 'unknown-event'],
  [/^body is not JSON$/, 'not-json'],
  [/^id_webhook_data missing$/, 'missing-id'],
  [/too large/i, 'too-large'],
];

export function webhookRefusalReason(status: number, error: string): string {
  for (const [pattern, label] of REFUSALS) {
    const m = pattern.exec(error);
    if (m) return label === '$1' ? m[1]! : label;
  }
  return status === 413 ? 'too-large' : 'other';
}

export function webhookEventLabel(event: string | undefined): string {
  const upper = (event ?? '').toUpperCase();
  return WEBHOOK_EVENTS.has(upper) ? upper : 'other';
}

/** Counts one Powens webhook from the handler's answer (status and, when refused, its `error`). */
export function countPowensWebhook(event: string | undefined, status: number, error?: string): void {
  if (status < 300) powensWebhooks.inc({ event: webhookEventLabel(event), outcome: 'accepted', reason: '' });
  else
    powensWebhooks.inc({
      event: webhookEventLabel(event),
      outcome: 'refused',
      reason: webhookRefusalReason(status, error ?? ''),
    });
}

// ── worker ─────────────────────────────────────────────────────────────────────────────────────

export const emailsTotal = new Counter({
  name: 'releves_emails_total',
  help: 'Outbox e-mails handled by the sender, by kind and outcome (sent, failed: refused for good, suppressed, retrying: put back after a transient failure).',
  labelNames: ['kind', 'outcome'] as const,
  registers: [],
});

const EMAIL_KIND = /^[a-z]{1,20}\.[a-z-]{1,40}$/;

export function countEmail(kind: string, outcome: 'sent' | 'failed' | 'suppressed' | 'retry' | 'retrying'): void {
  emailsTotal.inc({
    kind: EMAIL_KIND.test(kind) ? kind : 'other',
    outcome: outcome === 'retry' ? 'retrying' : outcome,
  });
}

export const outboxRoundErrors = new Counter({
  name: 'releves_outbox_round_errors_total',
  help: 'Rounds of the outbox sender that failed as a whole (database or bookkeeping error; retried a second later).',
  registers: [],
});

export const statementsTotal = new Counter({
  name: 'releves_statements_total',
  help: 'Statements returned by the issueStatements activity: issued, or failed (an account whose statement could not be produced).',
  labelNames: ['outcome'] as const,
  registers: [],
});

export const activityDuration = new Histogram({
  name: 'releves_activity_duration_seconds',
  help: 'Our activities as the worker ran them, by activity type and outcome (completed, failed).',
  labelNames: ['activity', 'outcome'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: [],
});

// ── registries ─────────────────────────────────────────────────────────────────────────────────

/** Anything that runs a SQL query and returns rows (Prisma's $queryRawUnsafe or a pg pool). */
export type QueryRows = <R>(text: string) => Promise<R[]>;

/**
 * The API's registry: HTTP, webhooks, and the gauges read from the database at scrape time (at
 * most once per `cacheMs`): the outbox backlog and the connections by state. Those gauges are the
 * same whichever API instance answers: aggregate them with max(), not sum().
 */
export function apiRegistry(opts: { query: QueryRows; processMetrics?: boolean; cacheMs?: number }): Registry {
  const registry = new Registry();
  if (opts.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'releves_api_' });
  registry.registerMetric(httpRequestDuration);
  registry.registerMetric(powensWebhooks);
  registerDatabaseGauges(registry, opts.query, opts.cacheMs ?? 10_000);
  return registry;
}

export function workerRegistry(opts: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (opts.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'releves_worker_' });
  for (const m of [emailsTotal, outboxRoundErrors, statementsTotal, activityDuration]) registry.registerMetric(m);
  return registry;
}

/** An error streak of this many Paris days or more is "stuck" (more than 3 days in error). */
export const STUCK_STREAK_DAYS = 4;
const STATE_LABEL = /^[A-Za-z]{1,40}$/;

interface DatabaseSnapshot {
  outbox: Array<{ status: string; count: number }>;
  oldestQueuedSeconds: number;
  connections: Array<{ state: string; count: number; stuck: number }>;
}

function registerDatabaseGauges(registry: Registry, query: QueryRows, cacheMs: number): void {
  let cached: { at: number; snapshot: Promise<DatabaseSnapshot> } | undefined;
  const snapshot = (): Promise<DatabaseSnapshot> => {
    const now = Date.now();
    if (!cached || now - cached.at >= cacheMs) {
      const p = readSnapshot(query);
      cached = { at: now, snapshot: p };
      // A failed read is not cached: the next scrape tries again.
      p.catch(() => {
        if (cached?.snapshot === p) cached = undefined;
      });
    }
    return cached.snapshot;
  };
  /** Every gauge reads the same snapshot (one pair of queries per scrape, cached `cacheMs`). */
  const read = () =>
    snapshot().then(
      (s) => s,
      () => undefined,
    );
  new Gauge({
    name: 'releves_database_metrics_up',
    help: '1 when the last scrape could read the database gauges (outbox, connections), else 0 and those gauges are absent.',
    registers: [registry],
    async collect() {
      this.set((await read()) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'releves_outbox_messages',
    help: 'E-mails waiting in the outbox: queued (due or backing off) and sending (claimed by a sender).',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const s = await read();
      this.reset();
      if (!s) return;
      for (const status of ['queued', 'sending']) this.set({ status }, 0);
      for (const r of s.outbox) this.set({ status: r.status.toLowerCase() }, r.count);
    },
  });
  new Gauge({
    name: 'releves_outbox_oldest_queued_age_seconds',
    help: 'Age of the oldest queued e-mail (0 when none is queued).',
    registers: [registry],
    async collect() {
      const s = await read();
      this.reset();
      if (s) this.set(s.oldestQueuedSeconds);
    },
  });
  new Gauge({
    name: 'releves_connections',
    help: 'Bank connections by state: ok, inactive, or the Powens error state (wrongpass, SCARequired…).',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const s = await read();
      this.reset();
      for (const r of s?.connections ?? []) this.inc({ state: stateLabel(r.state) }, r.count);
    },
  });
  new Gauge({
    name: 'releves_connections_stuck',
    help: `Active bank connections in error on ${STUCK_STREAK_DAYS} Paris days in a row or more (BankConnection.consecutiveErrors), by state.`,
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const s = await read();
      this.reset();
      for (const r of s?.connections ?? []) if (r.stuck > 0) this.inc({ state: stateLabel(r.state) }, r.stuck);
    },
  });
}

const stateLabel = (state: string) => (STATE_LABEL.test(state) ? state : 'other');

async function readSnapshot(query: QueryRows): Promise<DatabaseSnapshot> {
  // Both use indexes: EmailMessage(status, createdAt); BankConnection is one row per connection.
  const outbox = await query<{ status: string; count: number; oldest: number | null }>(
    `SELECT status::text AS status, count(*)::int AS count,
            EXTRACT(EPOCH FROM (now() AT TIME ZONE 'UTC') - min("createdAt"))::float8 AS oldest
     FROM "EmailMessage" WHERE status IN ('QUEUED', 'SENDING') GROUP BY status`,
  );
  const connections = await query<{ state: string; count: number; stuck: number }>(
    `SELECT CASE WHEN NOT active THEN 'inactive' ELSE coalesce(state, 'ok') END AS state, count(*)::int AS count,
            (count(*) FILTER (WHERE active AND state IS NOT NULL AND "consecutiveErrors" >= ${STUCK_STREAK_DAYS}))::int AS stuck
     FROM "BankConnection" GROUP BY 1`,
  );
  const queued = outbox.find((r) => r.status === 'QUEUED');
  return {
    outbox: outbox.map((r) => ({ status: r.status, count: Number(r.count) })),
    oldestQueuedSeconds: Math.max(0, Number(queued?.oldest ?? 0)),
    connections: connections.map((r) => ({ state: r.state, count: Number(r.count), stuck: Number(r.stuck) })),
  };
}

// ── HTTP ───────────────────────────────────────────────────────────────────────────────────────

const ROUTE_BASE = Symbol('releves.routeBase');
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Put before a router mounted at `base` (`app.use(base, mountedAt(base), router)`): the route
 * label is then `base` + the matched route's pattern (`/api/v1` + `/companies/:id`). Express
 * restores req.baseUrl when an error leaves a router, so it cannot be read after the response.
 */
export function mountedAt(base: string): RequestHandler {
  return (req, _res, next) => {
    (req as unknown as Record<symbol, string>)[ROUTE_BASE] = base;
    next();
  };
}

/** The Express route pattern that answered, or `(unmatched)` (404, refused before any route). */
export function routeLabel(req: Request): string {
  const path = req.route?.path as unknown;
  if (typeof path !== 'string') return '(unmatched)';
  const base = (req as unknown as Record<symbol, string | undefined>)[ROUTE_BASE] ?? '';
  return base + path;
}

/** Times every request into releves_http_request_duration_seconds (aborted ones as status 499). */
export function httpMetrics(): RequestHandler {
  return (req, res, next) => {
    const end = httpRequestDuration.startTimer();
    let done = false;
    const observe = (status: string) => {
      if (done) return;
      done = true;
      end({ method: METHODS.has(req.method) ? req.method : 'OTHER', route: routeLabel(req), status });
    };
    res.once('finish', () => observe(String(res.statusCode)));
    res.once('close', () => observe(res.writableFinished ? String(res.statusCode) : '499'));
    next();
  };
}

/**
 * GET /metrics of the API. The API's port is the public one (portal, webhooks), so the endpoint
 * answers only:
 *  - with `Authorization: Bearer <METRICS_TOKEN>` when METRICS_TOKEN is set (compared in
 *    constant time; 401 otherwise);
 *  - without a token configured: in development and tests only; in production it is 404, so that a
 *    deployment which did not choose a token never publishes its figures.
 */
export function metricsEndpoint(registry: Registry, opts: { token?: string; production: boolean }): RequestHandler {
  const expected = opts.token ? digest(opts.token) : undefined;
  return async (req, res: Response) => {
    if (expected) {
      const given = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
      if (!given || !timingSafeEqual(digest(given), expected)) {
        res.set('www-authenticate', 'Bearer realm="metrics"').status(401).type('text/plain').send('unauthorized\n');
        return;
      }
    } else if (opts.production) {
      res.status(404).type('text/plain').send('not found\n');
      return;
    }
    res
      .set('content-type', registry.contentType)
      .set('cache-control', 'no-store')
      .send(await registry.metrics());
  };
}

const digest = (s: string) => createHash('sha256').update(s).digest();
