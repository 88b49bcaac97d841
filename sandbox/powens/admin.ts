/**
 * The sandbox's admin API under /__sandbox/ (tests and demos; not part of Powens): simulated bank
 * conditions, the clock, syncs on demand, the ground truth of the transactions, account changes at
 * the bank, fault injection, the request log, the webhooks, and the webview played without a browser.
 * Every answer is JSON; errors are `{error}` with 400/404.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { CONNECTORS, connectorByName, setConnectorMaintenance } from './catalog';
import { NO_FAULTS, type SandboxContext } from './context';
import type { Engine } from './engine';
import { SandboxError } from './errors';
import { accountJson, connectionJson, connectorJson, transactionJson } from './format';
import { TRANSACTION_COLUMNS, qualified, type TransactionRow } from './rows';
import { SCHEMA, resetData } from './schema';
import { SIMULABLE_STATES } from './states';
import type { createDeliverer } from './webhooks';
import type { createWebview } from './webview';

const DAY = 86_400_000;

/** "1d", "36h", "90m", "30s", or a number of milliseconds. */
function duration(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v !== 'string') return null;
  const m = /^(-?\d+(?:\.\d+)?)\s*(d|h|m|s|ms)?$/.exec(v.trim());
  if (!m) return null;
  const unit = { d: DAY, h: 3_600_000, m: 60_000, s: 1000, ms: 1 }[(m[2] ?? 'ms') as 'd' | 'h' | 'm' | 's' | 'ms'];
  return Number(m[1]) * unit;
}

export function createAdminRouter(
  ctx: SandboxContext,
  engine: Engine,
  deliverer: ReturnType<typeof createDeliverer>,
  webview: ReturnType<typeof createWebview>,
): Router {
  const r = express.Router();
  r.use(express.json({ limit: '1mb' }));
  const bad = (res: Response, status: number, error: string) => res.status(status).json({ error });
  const num = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : Number(v));

  r.get('/', (_req, res) => {
    res.json({
      endpoints: [
        'GET    /__sandbox/state',
        'POST   /__sandbox/reset',
        'GET    /__sandbox/clock',
        'POST   /__sandbox/clock {advance?: "1d"|ms, set?: ISO, runDueSyncs?: true} (due syncs run at their own times)',
        'POST   /__sandbox/sync {connection_id?} (all active connections when omitted)',
        'POST   /__sandbox/connections/:id/sync {psu_requested?}',
        'POST   /__sandbox/connections/:id/state {state|null, syncs?, apply?}',
        'DELETE /__sandbox/connections/:id',
        'GET    /__sandbox/transactions?connection_id=&account_id=',
        'PATCH  /__sandbox/accounts/:id {iban?, bic?, label?, name?, type?, currency?}',
        'GET|PUT|DELETE /__sandbox/faults',
        'GET|DELETE /__sandbox/requests',
        'GET    /__sandbox/webhooks',
        'PUT    /__sandbox/webhooks/config {url?, auth?: hmac|bearer}',
        'POST   /__sandbox/webhooks/flush {force?}',
        'PUT    /__sandbox/settings {historyDays?, volume?}',
        'POST   /__sandbox/webview/complete {url, bank?, accounts?, credentials?, contact?, cancel?, declineTerms?}',
      ],
      states: SIMULABLE_STATES,
      connectors: CONNECTORS.map((c) => ({ id: c.id, name: c.name, auth_mechanism: c.authMechanism })),
    });
  });

  r.get('/state', async (_req, res) => {
    const users = await ctx.pool.query(`SELECT id FROM ${SCHEMA}.users ORDER BY id`);
    const connections = await ctx.pool.query(`SELECT id FROM ${SCHEMA}.connections ORDER BY id`);
    const list = [];
    for (const { id } of connections.rows as Array<{ id: number }>) {
      const c = (await engine.getConnection(ctx.pool, id))!;
      const accounts = await engine.accountsOf(ctx.pool, { connectionId: id });
      list.push({
        ...connectionJson(c),
        forced_state: c.forced_state,
        forced_remaining: c.forced_remaining,
        syncs: c.syncs,
        accounts: accounts.map(accountJson),
      });
    }
    res.json({
      now: ctx.now().toISOString(),
      seed: ctx.seed(),
      settings: ctx.settings(),
      webhook_url: ctx.webhookUrl(),
      users: users.rows.map((u) => u.id),
      connections: list,
    });
  });

  r.post('/reset', async (_req, res) => {
    await resetData(ctx.pool);
    Object.assign(ctx.faults, NO_FAULTS);
    ctx.requests.length = 0;
    res.json({ ok: true });
  });

  // ---- clock and syncs ------------------------------------------------------------------------
  const clock = () => ({ now: ctx.now().toISOString(), offset_ms: ctx.clockOffsetMs() });
  r.get('/clock', (_req, res) => res.json(clock()));
  r.post('/clock', async (req, res) => {
    const body = (req.body ?? {}) as { advance?: unknown; set?: unknown; runDueSyncs?: unknown };
    let target = ctx.now().getTime();
    if (body.set !== undefined) {
      target = Date.parse(String(body.set));
      if (Number.isNaN(target)) return bad(res, 400, 'set must be an ISO instant');
    }
    if (body.advance !== undefined) {
      const ms = duration(body.advance);
      if (ms === null) return bad(res, 400, 'advance must be like "1d", "6h", "30m" or milliseconds');
      target += ms;
    }
    // Forward: the background syncs due meanwhile run at their own times. Backward (set only):
    // the clock is simply set.
    if (body.runDueSyncs === false || target < ctx.now().getTime()) {
      await ctx.setClockOffset(target - Date.now());
      return res.json({ ...clock(), synced: [] });
    }
    const synced = await engine.advanceClock(new Date(target));
    res.json({ ...clock(), synced });
  });

  r.post('/sync', async (req, res) => {
    const id = num((req.body as { connection_id?: unknown } | undefined)?.connection_id);
    const ids =
      id !== undefined
        ? [id]
        : (await ctx.pool.query(`SELECT id FROM ${SCHEMA}.connections WHERE active ORDER BY id`)).rows.map(
            (row: { id: number }) => row.id,
          );
    const out = [];
    for (const cid of ids) out.push(connectionJson(await engine.syncConnection(cid, 'background')));
    res.json({ connections: out });
  });

  r.post('/connections/:id/sync', async (req, res) => {
    const psu = (req.body as { psu_requested?: unknown } | undefined)?.psu_requested === true;
    const c = await engine.syncConnection(Number(req.params.id), psu ? 'psu' : 'background');
    res.json(connectionJson(c));
  });

  const stateBody = z.object({
    state: z.union([z.enum(SIMULABLE_STATES), z.null()]),
    syncs: z.number().int().positive().nullable().optional(),
    apply: z.boolean().optional(),
  });
  r.post('/connections/:id/state', async (req, res) => {
    const parsed = stateBody.safeParse(req.body);
    if (!parsed.success)
      return bad(res, 400, `state must be null or one of ${SIMULABLE_STATES.join(', ')}; syncs a positive integer`);
    const c = await engine.forceState(Number(req.params.id), parsed.data.state, parsed.data);
    res.json({ ...connectionJson(c), forced_state: c.forced_state, forced_remaining: c.forced_remaining });
  });

  r.delete('/connections/:id', async (req, res) => {
    const c = await engine.getConnection(ctx.pool, Number(req.params.id));
    if (!c) return bad(res, 404, 'connection not found');
    await engine.deleteConnection(ctx.pool, c);
    res.status(204).end();
  });

  // ---- ground truth ---------------------------------------------------------------------------
  r.get('/transactions', async (req, res) => {
    const connectionId = num(req.query.connection_id);
    const accountId = num(req.query.account_id);
    if (connectionId === undefined && accountId === undefined)
      return bad(res, 400, 'connection_id or account_id is required');
    const where: string[] = [];
    const values: unknown[] = [];
    if (connectionId !== undefined) where.push(`a.id_connection = $${values.push(connectionId)}`);
    if (accountId !== undefined) where.push(`a.id = $${values.push(accountId)}`);
    const rows = await ctx.pool.query(
      `SELECT ${qualified(TRANSACTION_COLUMNS, 't')} FROM ${SCHEMA}.transactions t
       JOIN ${SCHEMA}.accounts a ON a.id = t.id_account WHERE ${where.join(' AND ')} ORDER BY t.id`,
      values,
    );
    const list = (rows.rows as TransactionRow[]).map((t) => ({
      ...transactionJson(t),
      gen_key: t.gen_key,
      replaces: t.replaces,
      changed: t.history.some((h) => h.event === 'changed'),
      history: t.history,
      planned: t.plan,
    }));
    res.json({
      now: ctx.now().toISOString(),
      count: list.length,
      active: list.filter((t) => !t.deleted).length,
      deleted: list.filter((t) => t.deleted).length,
      changed: list.filter((t) => t.changed).length,
      coming: list.filter((t) => !t.deleted && t.coming).length,
      transactions: list,
    });
  });

  const accountPatch = z.object({
    iban: z.string().min(14).max(34).nullable().optional(),
    bic: z.string().min(8).max(11).nullable().optional(),
    label: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    type: z.string().min(1).optional(),
    currency: z.string().length(3).optional(),
  });
  r.patch('/accounts/:id', async (req, res) => {
    const parsed = accountPatch.safeParse(req.body);
    if (!parsed.success)
      return bad(res, 400, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const a = await engine.patchAccountAtBank(Number(req.params.id), parsed.data);
    res.json(accountJson(a));
  });

  // ---- faults and request log -----------------------------------------------------------------
  const faultBody = z.object({
    failNext: z.number().int().min(0).optional(),
    failStatus: z.number().int().min(500).max(599).optional(),
    errorRate: z.number().min(0).max(1).optional(),
    latencyMs: z.number().int().min(0).max(120_000).optional(),
    rateLimitNext: z.number().int().min(0).optional(),
    rateLimitRate: z.number().min(0).max(1).optional(),
    retryAfterSeconds: z.number().int().min(0).nullable().optional(),
    pathPattern: z.string().nullable().optional(),
  });
  r.get('/faults', (_req, res) => res.json(ctx.faults));
  r.put('/faults', (req, res) => {
    const parsed = faultBody.safeParse(req.body);
    if (!parsed.success)
      return bad(res, 400, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    if (parsed.data.pathPattern) {
      try {
        new RegExp(parsed.data.pathPattern);
      } catch {
        return bad(res, 400, 'pathPattern is not a regular expression');
      }
    }
    Object.assign(ctx.faults, NO_FAULTS, parsed.data);
    res.json(ctx.faults);
  });
  r.delete('/faults', (_req, res) => {
    Object.assign(ctx.faults, NO_FAULTS);
    res.json(ctx.faults);
  });

  r.get('/requests', (req, res) => {
    const path = typeof req.query.path === 'string' ? req.query.path : undefined;
    const list = path ? ctx.requests.filter((e) => e.path === path || e.path.startsWith(`${path}?`)) : ctx.requests;
    res.json({ count: list.length, requests: list });
  });
  r.delete('/requests', (_req, res) => {
    ctx.requests.length = 0;
    res.status(204).end();
  });

  // ---- webhooks -------------------------------------------------------------------------------
  r.get('/webhooks', async (req, res) => {
    const event = typeof req.query.event === 'string' ? req.query.event : null;
    const rows = await ctx.pool.query(
      `SELECT id, event, url, body, attempts, delivered, abandoned, last_status, last_error, created
       FROM ${SCHEMA}.webhooks ${event ? 'WHERE event = $1' : ''} ORDER BY id`,
      event ? [event] : [],
    );
    res.json({
      webhooks: rows.rows.map((w) => ({
        id: w.id,
        event: w.event,
        url: w.url,
        attempts: w.attempts,
        delivered: w.delivered,
        abandoned: w.abandoned,
        last_status: w.last_status,
        last_error: w.last_error,
        created: w.created,
        body: JSON.parse(w.body as string),
      })),
    });
  });
  // The URL registered at Powens (`{event}` replaced by each event's name) and how the webhooks
  // authenticate (`hmac`: an HMAC provider is associated; `bearer`: Powens' default user token).
  r.put('/webhooks/config', async (req, res) => {
    const body = (req.body ?? {}) as { url?: unknown; auth?: unknown };
    const { url, auth } = body;
    if (url !== undefined && url !== null && (typeof url !== 'string' || !/^https?:\/\//.test(url)))
      return bad(res, 400, 'url must be an http(s) URL or null');
    if (auth !== undefined && auth !== 'hmac' && auth !== 'bearer') return bad(res, 400, 'auth must be hmac or bearer');
    if (url !== undefined) await ctx.setWebhookUrl(url as string | null);
    if (auth !== undefined) await ctx.setWebhookAuth(auth);
    res.json({ url: ctx.webhookUrl(), auth: ctx.webhookAuth() });
  });
  r.post('/webhooks/flush', async (req, res) => {
    const force = (req.body as { force?: unknown } | undefined)?.force !== false;
    res.json({ deliveries: await deliverer.deliverDue({ force, limit: 1000 }) });
  });

  r.put('/settings', async (req, res) => {
    const parsed = z
      .object({
        historyDays: z.number().int().min(0).max(3650).optional(),
        volume: z.number().min(0).max(100).optional(),
      })
      .safeParse(req.body);
    if (!parsed.success) return bad(res, 400, 'historyDays (0-3650 days) and volume (0-100)');
    await ctx.setSettings(parsed.data);
    res.json(ctx.settings());
  });

  // ---- webview without a browser --------------------------------------------------------------
  r.post('/webview/complete', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body.url !== 'string') return bad(res, 400, 'url is required');
    const out = await webview.complete(body as unknown as Parameters<typeof webview.complete>[0]);
    res.status(out.status).json(out.body);
  });

  r.get('/connectors', (_req, res) => res.json({ connectors: CONNECTORS.map(connectorJson) }));
  // A bank in maintenance: every source of its connector disabled (GET /connectors?expand=sources).
  r.post('/connectors/:id/maintenance', (req, res) => {
    const c = connectorByName(String(req.params.id));
    if (!c) return bad(res, 404, 'unknown connector (id, uuid or name)');
    const on = (req.body as { on?: unknown } | undefined)?.on !== false;
    setConnectorMaintenance(c.id, on);
    res.json({ id: c.id, uuid: c.uuid, name: c.name, maintenance: on });
  });

  r.use((_req, res) => bad(res, 404, 'unknown sandbox admin endpoint (GET /__sandbox/ lists them)'));
  r.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof SandboxError) return bad(res, err.status, err.description);
    if ((err as { type?: string }).type === 'entity.parse.failed') return bad(res, 400, 'the body is not valid JSON');
    ctx.opts.logger?.warn({ err: (err as Error).message }, 'powens sandbox admin: internal error');
    bad(res, 500, (err as Error).message);
  });
  return r;
}
