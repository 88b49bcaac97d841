/**
 * The sandbox's Powens API under /2.0: the paths, payloads, error bodies (`{code, description,
 * message, request_id}`), pagination (`limit` required, at most 1000, `offset`, `_links`) and
 * behaviours of the real one as documented (../shared/docs/powens.md). `/users/me/...` and
 * `/users/{own id}/...` are both accepted. Injected faults (admin API) apply here only.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import {
  SANDBOX_WRONG_PASSWORD,
  CONNECTORS,
  connectorById,
  connectorByName,
  connectorDocumented,
  expandOf,
} from './catalog';
import type { SandboxContext } from './context';
import type { Engine } from './engine';
import { SandboxError } from './errors';
import { accountJson, connectionJson, connectorJson, sourcesJson, transactionJson, userJson } from './format';
import { rng, type Rng } from './random';
import { TRANSACTION_COLUMNS, qualified, type AccountRow, type ConnectionRow, type TransactionRow } from './rows';
import { SCHEMA } from './schema';
import { waitsForUser as suspended } from './states';
import { resolvesState, type SyncTrigger } from './sync';
import { daysInMonth, isPowensTimestamp, oneMonthBefore, parisDate, parsePowensTimestamp } from './time';

let requestCounter = 0;

export function sendError(
  res: Response,
  status: number,
  code: string,
  description: string,
  message: string | null = null,
): void {
  res.status(status).json({ code, description, message, request_id: `sbx-${++requestCounter}` });
}

const flag = (v: unknown): boolean => v !== undefined && v !== 'false' && v !== '0' && v !== false;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

interface Authed extends Request {
  userId?: number;
  token?: string;
}

const MAX_LIMIT = 1000;

/** The keyset of a transactions page (the last row's date and id), opaque to clients. */
function writeCursor(c: { d: string; i: number }): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}
function readCursor(text: string): { d: string; i: number } | null {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as { d?: unknown; i?: unknown };
    return typeof c.d === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(c.d) && Number.isSafeInteger(c.i)
      ? { d: c.d, i: c.i as number }
      : null;
  } catch {
    return null;
  }
}

/** `min_date` / `max_date`: YYYY-MM-DD, YYYY-MM or YYYY, as a day (the first or the last). */
function calendarBound(value: string, end: boolean): string | null {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  let m = /^(\d{4})-(\d{2})$/.exec(value);
  if (m) return end ? `${m[1]}-${m[2]}-${String(daysInMonth(+m[1]!, +m[2]!)).padStart(2, '0')}` : `${value}-01`;
  m = /^(\d{4})$/.exec(value);
  if (m) return end ? `${value}-12-31` : `${value}-01-01`;
  return null;
}

export function createApiRouter(ctx: SandboxContext, engine: Engine): Router {
  const r = express.Router();
  let faultRng: Rng | null = null;
  const roll = () => (faultRng ??= rng(ctx.seed(), 'faults')).next();

  // ---- request log and injected faults --------------------------------------------------------
  r.use((req, res, next) => {
    const started = Date.now();
    const entry = {
      at: new Date().toISOString(),
      method: req.method,
      path: req.path,
      status: 0,
      fault: null as 'error' | 'rate-limit' | null,
      ms: 0,
    };
    res.on('finish', () => {
      entry.status = res.statusCode;
      entry.ms = Date.now() - started;
      ctx.requests.push(entry);
      if (ctx.requests.length > 5000) ctx.requests.splice(0, ctx.requests.length - 5000);
    });
    const f = ctx.faults;
    if (f.pathPattern && !new RegExp(f.pathPattern).test(req.path)) return next();
    const go = () => {
      if (f.rateLimitNext > 0 || (f.rateLimitRate > 0 && roll() < f.rateLimitRate)) {
        if (f.rateLimitNext > 0) f.rateLimitNext--;
        entry.fault = 'rate-limit';
        if (f.retryAfterSeconds !== null) res.set('Retry-After', String(f.retryAfterSeconds));
        return sendError(res, 429, 'tooManyRequests', 'Too many requests (sandbox fault injection).');
      }
      if (f.failNext > 0 || (f.errorRate > 0 && roll() < f.errorRate)) {
        if (f.failNext > 0) f.failNext--;
        entry.fault = 'error';
        return sendError(res, f.failStatus, 'bug', 'Internal error (sandbox fault injection).');
      }
      next();
    };
    if (f.latencyMs > 0) setTimeout(go, f.latencyMs);
    else go();
  });

  r.use(express.json({ limit: '1mb' }));
  r.use(express.urlencoded({ extended: false }));

  // ---- authentication -----------------------------------------------------------------------
  const clientOk = (body: Record<string, unknown> | undefined) =>
    str(body?.client_id) === ctx.opts.clientId && str(body?.client_secret) === ctx.opts.clientSecret;

  r.post('/auth/init', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.client_id !== undefined && str(body.client_id) !== ctx.opts.clientId)
      return sendError(res, 400, 'invalidValue', 'Unknown client_id.');
    const permanent = body.client_id !== undefined || body.client_secret !== undefined;
    if (permanent && !clientOk(body)) return sendError(res, 403, 'forbidden', 'Invalid client credentials.');
    const u = await engine.createUser(ctx.pool, permanent);
    res.json({ auth_token: u.token, type: u.type, id_user: u.id, expires_in: u.expiresIn });
  });

  r.post('/auth/token/access', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!clientOk(body)) return sendError(res, 403, 'forbidden', 'Invalid client credentials.');
    const code = str(body.code);
    if (!code) return sendError(res, 400, 'missingParameter', 'code is required.');
    const userId = await engine.useCode(ctx.pool, code);
    if (typeof userId !== 'number') return sendError(res, 400, 'invalidValue', 'Invalid or expired code.');
    const t = await engine.issueToken(ctx.pool, userId, 'permanent');
    res.json({ access_token: t.token, token_type: 'Bearer' });
  });

  r.post('/auth/renew', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!clientOk(body)) return sendError(res, 403, 'forbidden', 'Invalid client credentials.');
    const userId = Number(body.id_user);
    const exists = await ctx.pool.query(`SELECT 1 FROM ${SCHEMA}.users WHERE id = $1`, [userId]);
    if (!exists.rowCount) return sendError(res, 404, 'notFound', 'Unknown user.');
    if (flag(body.revoke_previous))
      await ctx.pool.query(
        `UPDATE ${SCHEMA}.tokens SET revoked = $2 WHERE id_user = $1 AND type = 'permanent' AND revoked IS NULL`,
        [userId, ctx.now()],
      );
    const t = await engine.issueToken(ctx.pool, userId, 'permanent');
    res.json({ access_token: t.token, token_type: 'Bearer' });
  });

  const auth = async (req: Authed, res: Response, next: NextFunction) => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!m) return sendError(res, 401, 'unauthorized', 'Authentication required (Authorization: Bearer <token>).');
    const who = await engine.resolveToken(m[1]!);
    if (!who) return sendError(res, 401, 'unauthorized', 'Invalid or expired token.');
    req.userId = who.userId;
    req.token = m[1]!;
    next();
  };

  r.get('/auth/token/code', auth, async (req: Authed, res) => {
    const type = str(req.query.type) ?? 'requestAccess';
    if (type !== 'requestAccess' && type !== 'singleAccess')
      return sendError(res, 400, 'invalidValue', 'type must be requestAccess or singleAccess.');
    const c = await engine.createCode(ctx.pool, req.userId!, type === 'singleAccess' ? 'single' : 'standard');
    res.json({ code: c.code, type: 'temporary', access: c.access, expires_in: c.expiresIn });
  });

  r.delete('/auth/token', auth, async (req: Authed, res) => {
    await ctx.pool.query(`UPDATE ${SCHEMA}.tokens SET revoked = $2 WHERE token = $1`, [req.token, ctx.now()]);
    res.status(204).end();
  });

  // The legacy webview address (…/2.0/auth/webview/{lang?}/{flow}) leads to the sandbox's webview.
  r.get(['/auth/webview/:flow', '/auth/webview/:lang/:flow'], (req, res) => {
    const q = new URL(req.originalUrl, 'http://x').search;
    res.redirect(302, `/webview/${req.params.lang ? `${req.params.lang}/` : ''}${req.params.flow}${q}`);
  });

  // ---- catalogue ----------------------------------------------------------------------------
  // The documented Connector object (catalog.ts); `expand` adds fields, sources, countries.
  r.get('/connectors', (req, res) => {
    const expand = expandOf(req.query.expand);
    res.json({ connectors: CONNECTORS.map((c) => connectorDocumented(c, expand)) });
  });
  r.get('/connectors/:id', (req, res) => {
    const c = connectorById(Number(req.params.id)) ?? connectorByName(req.params.id);
    if (!c) return sendError(res, 404, 'notFound', 'Unknown connector.');
    res.json(connectorDocumented(c, expandOf(req.query.expand)));
  });
  r.get('/account_types', (_req, res) => {
    const types = ['checking', 'savings', 'card', 'loan', 'market', 'lifeinsurance', 'pee', 'deposit', 'unknown'];
    res.json({
      accounttypes: types.map((name, i) => ({
        id: i + 1,
        name,
        id_parent: null,
        is_invest: ['market', 'lifeinsurance', 'pee'].includes(name),
        display_name: name,
        display_name_p: name,
      })),
    });
  });

  // ---- users --------------------------------------------------------------------------------
  const user = express.Router({ mergeParams: true });
  r.use(
    '/users/:uid',
    auth,
    (req: Authed, res, next) => {
      const uid = req.params.uid;
      if (uid !== 'me' && Number(uid) !== req.userId)
        return sendError(res, 403, 'forbidden', 'This token does not give access to this user.');
      next();
    },
    user,
  );

  user.get('/', async (req: Authed, res) => {
    const u = await ctx.pool.query(`SELECT created FROM ${SCHEMA}.users WHERE id = $1`, [req.userId]);
    res.json(userJson(req.userId!, u.rows[0]?.created ?? ctx.now()));
  });
  user.delete('/', async (req: Authed, res) => {
    await engine.deleteUser(ctx.pool, req.userId!);
    res.status(204).end();
  });

  // ---- connections --------------------------------------------------------------------------
  async function ownConnection(req: Authed, res: Response): Promise<ConnectionRow | null> {
    const c = await engine.getConnection(ctx.pool, Number(req.params.cid));
    if (!c || c.id_user !== req.userId) {
      sendError(res, 404, 'notFound', 'Connection not found.');
      return null;
    }
    return c;
  }
  const expandList = (req: Request) =>
    (str(req.query.expand) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  async function presentConnection(req: Request, c: ConnectionRow) {
    const expand = expandList(req);
    const out: Record<string, unknown> = connectionJson(c);
    if (expand.includes('connector')) {
      const connector = connectorById(c.id_connector);
      out.connector = connector ? connectorJson(connector) : null;
    }
    if (expand.includes('sources')) out.sources = sourcesJson(c);
    if (expand.includes('accounts') || expand.includes('all_accounts')) {
      const accounts = await engine.accountsOf(ctx.pool, { connectionId: c.id });
      if (expand.includes('accounts')) out.accounts = accounts.filter((a) => !a.disabled).map(accountJson);
      if (expand.includes('all_accounts')) out.all_accounts = accounts.map(accountJson);
    }
    return out;
  }

  user.get('/connections', async (req: Authed, res) => {
    const list = await engine.listConnections(ctx.pool, req.userId!);
    res.json({ connections: await Promise.all(list.map((c) => presentConnection(req, c))) });
  });

  user.post('/connections', async (req: Authed, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const connector =
      body.id_connector !== undefined
        ? connectorById(Number(body.id_connector))
        : body.connector_uuid !== undefined
          ? connectorByName(String(body.connector_uuid))
          : undefined;
    if (!connector) return sendError(res, 400, 'missingParameter', 'id_connector or connector_uuid is required.');
    if (connector.authMechanism !== 'credentials')
      return sendError(res, 400, 'invalidValue', 'This connector requires the webauth flow.');
    if (!str(body.login) || !str(body.password))
      return sendError(res, 400, 'missingParameter', 'login and password are required.');
    if (body.password === SANDBOX_WRONG_PASSWORD)
      return sendError(res, 400, 'wrongpass', 'Wrong credentials.', 'Identifiant ou mot de passe incorrect.');
    const { connection } = await engine.createConnection(ctx.pool, {
      userId: req.userId!,
      connector,
      website: str(body.website) === 'pro' ? 'pro' : 'par',
      login: str(body.login) ?? null,
    });
    const synced = await engine.syncConnection(connection.id, 'initial');
    res.json(await presentConnection(req, synced));
  });

  user.get('/connections/:cid', async (req: Authed, res) => {
    const c = await ownConnection(req, res);
    if (c) res.json(await presentConnection(req, c));
  });

  /**
   * A sync asked through the API of a connection that waits for its user (wrongpass, SCARequired,
   * decoupled…): Powens suspends its synchronisation "until the appropriate action is performed"
   * (for SCARequired, "the synchronization has not been attempted"), so only a request that is that
   * action runs (an SCA with the user present, the code, new credentials, `resume`). Anything else
   * is not attempted: the connection comes back as it is, same state, no data, no webhook.
   */
  const waitsForUser = (c: ConnectionRow, trigger: SyncTrigger) =>
    suspended(c.state) && !resolvesState(trigger, c.state);

  // PUT: "Sync a connection"; psu_requested defaults to true (a person is present).
  user.put('/connections/:cid', async (req: Authed, res) => {
    const c = await ownConnection(req, res);
    if (!c) return;
    const psu = req.query.psu_requested === undefined ? true : flag(req.query.psu_requested);
    const trigger: SyncTrigger = psu ? 'psu' : 'background';
    if (waitsForUser(c, trigger)) return res.json(await presentConnection(req, c));
    const synced = await engine.syncConnection(c.id, trigger);
    res.json(await presentConnection(req, synced));
  });

  // POST: update and/or sync: `{}` syncs, `{resume: true}` resumes a decoupled connection,
  // field values (`otp`, `login`/`password`) answer the bank, `active` only updates.
  user.post('/connections/:cid', async (req: Authed, res) => {
    const c = await ownConnection(req, res);
    if (!c) return;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const keys = Object.keys(body).filter((k) => body[k] !== undefined);
    if (body.active !== undefined)
      await ctx.pool.query(`UPDATE ${SCHEMA}.connections SET active = $2 WHERE id = $1`, [c.id, flag(body.active)]);
    if (keys.length > 0 && keys.every((k) => ['active', 'expire', 'source'].includes(k))) {
      return res.json(await presentConnection(req, (await engine.getConnection(ctx.pool, c.id))!));
    }
    let trigger: SyncTrigger = 'psu';
    if (flag(body.resume)) trigger = 'resume';
    else if (body.password !== undefined || body.login !== undefined) {
      if (body.password === SANDBOX_WRONG_PASSWORD) {
        await engine.forceState(c.id, 'wrongpass', { apply: true });
        return sendError(res, 400, 'wrongpass', 'Wrong credentials.', 'Identifiant ou mot de passe incorrect.');
      }
      trigger = 'credentials';
    } else if (body.otp !== undefined || body.code !== undefined) trigger = 'otp';
    if (waitsForUser(c, trigger)) return res.json(await presentConnection(req, c));
    if (flag(req.query.background)) {
      const out = await presentConnection(req, c);
      if (trigger === 'resume') out.state = out.error = 'validating';
      res.json(out);
      setImmediate(() => {
        engine.syncConnection(c.id, trigger).catch((e) => {
          ctx.opts.logger?.warn(
            { err: (e as Error).message, connection: c.id },
            'powens sandbox: background sync failed',
          );
        });
      });
      return;
    }
    const synced = await engine.syncConnection(c.id, trigger);
    res.json(await presentConnection(req, synced));
  });

  user.delete('/connections/:cid', async (req: Authed, res) => {
    const c = await ownConnection(req, res);
    if (!c) return;
    await engine.deleteConnection(ctx.pool, c);
    res.status(204).end();
  });

  user.get('/connections/:cid/sources', async (req: Authed, res) => {
    const c = await ownConnection(req, res);
    if (c) res.json({ sources: sourcesJson(c) });
  });

  // ---- accounts -----------------------------------------------------------------------------
  async function listAccounts(req: Authed, res: Response, connectionId?: number) {
    const all = flag(req.query.all);
    const accounts = (await engine.accountsOf(ctx.pool, { userId: req.userId!, connectionId })).filter(
      (a) => all || (!a.disabled && !a.deleted),
    );
    if (accounts.length === 0 && connectionId === undefined)
      return sendError(res, 400, 'noAccount', 'No bank account is available.');
    const sum = (pick: (a: AccountRow) => number | null) => {
      const out: Record<string, number> = {};
      for (const a of accounts.filter((x) => !x.disabled && !x.deleted))
        out[a.currency] = Math.round(((out[a.currency] ?? 0) + (pick(a) ?? 0) / 100) * 100) / 100;
      return out;
    };
    res.json({
      accounts: accounts.map(accountJson),
      balances: sum((a) => a.balance_cents),
      coming_balances: sum((a) => a.coming_cents),
      total: accounts.length,
    });
  }
  user.get('/accounts', (req: Authed, res) => listAccounts(req, res));
  user.get('/connections/:cid/accounts', async (req: Authed, res) => {
    const c = await ownConnection(req, res);
    if (c) await listAccounts(req, res, c.id);
  });

  async function ownAccount(req: Authed, res: Response): Promise<AccountRow | null> {
    const a = await engine.getAccount(ctx.pool, Number(req.params.aid));
    const cid = req.params.cid === undefined ? undefined : Number(req.params.cid);
    if (
      !a ||
      a.id_user !== req.userId ||
      (cid !== undefined && a.id_connection !== cid) ||
      (a.disabled && !flag(req.query.all))
    ) {
      sendError(res, 404, 'notFound', 'Bank account not found.');
      return null;
    }
    return a;
  }
  const getAccount = async (req: Authed, res: Response) => {
    const a = await ownAccount(req, res);
    if (a) res.json(accountJson(a));
  };
  const updateAccount = async (req: Authed, res: Response) => {
    const a = await ownAccount(req, res);
    if (!a) return;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const bool = (v: unknown) => (v === undefined ? undefined : v === true || v === 'true' || v === '1' || v === 1);
    const updated = await engine.updateAccount(a, {
      disabled: bool(body.disabled),
      display: bool(body.display),
      bookmarked: bool(body.bookmarked),
      name: str(body.name),
      usage: body.usage === undefined ? undefined : (str(body.usage) ?? null),
    });
    res.json(accountJson(updated));
  };
  for (const p of ['/accounts/:aid', '/connections/:cid/accounts/:aid']) {
    user.get(p, getAccount);
    user.post(p, updateAccount);
    user.put(p, updateAccount);
  }

  // ---- transactions -------------------------------------------------------------------------
  /**
   * GET …/transactions as Powens documents it: `limit` required (at most 1000: larger values are
   * clamped), without `min_date` only the last month (the documented default window, on the
   * filtered date), `filter` = application_date (default) or date (the same day here), and pages
   * linked by `_links.next.href`: an absolute URL carrying the query and an opaque keyset `cursor`
   * (clients use it as is; `offset` is still accepted on a first request).
   */
  async function listTransactions(req: Authed, res: Response, scope: { accountId?: number; connectionId?: number }) {
    const q = req.query;
    if (q.limit === undefined) return sendError(res, 400, 'missingParameter', 'limit is required.');
    const asked = Number(q.limit);
    if (!Number.isInteger(asked) || asked < 1)
      return sendError(res, 400, 'invalidValue', 'limit must be a positive integer (at most 1000).');
    const limit = Math.min(asked, MAX_LIMIT);
    const offset = q.offset === undefined ? 0 : Number(q.offset);
    if (!Number.isInteger(offset) || offset < 0) return sendError(res, 400, 'invalidValue', 'Invalid offset.');
    const filterBy = str(q.filter) ?? 'application_date';
    if (filterBy !== 'application_date' && filterBy !== 'date')
      return sendError(res, 400, 'invalidValue', 'filter must be application_date or date.');
    let after: { d: string; i: number } | null = null;
    if (q.cursor !== undefined) {
      after = readCursor(str(q.cursor) ?? '');
      if (!after) return sendError(res, 400, 'invalidValue', 'Invalid cursor.');
    }

    const enabled = (await engine.accountsOf(ctx.pool, { userId: req.userId! })).filter(
      (a) => !a.disabled && !a.deleted,
    );
    if (scope.accountId !== undefined && !enabled.some((a) => a.id === scope.accountId))
      return sendError(res, 404, 'notFound', 'Bank account not found.');
    const inScope = enabled.filter((a) => scope.connectionId === undefined || a.id_connection === scope.connectionId);
    if (inScope.length === 0) return sendError(res, 409, 'noAccount', 'No active bank account.');

    const where = ['t.id_account = ANY($1::int[])'];
    const values: unknown[] = [scope.accountId !== undefined ? [scope.accountId] : inScope.map((a) => a.id)];
    if (flag(q.deleted)) where.push('t.deleted IS NOT NULL');
    else if (!flag(q.all)) where.push('t.deleted IS NULL');
    const lastUpdate = str(q.last_update);
    if (lastUpdate !== undefined) {
      if (!isPowensTimestamp(lastUpdate))
        return sendError(res, 400, 'invalidValue', 'last_update must be YYYY-MM-DD HH:MM:SS.');
      where.push(`t.last_update > $${values.push(parsePowensTimestamp(lastUpdate))}`);
    }
    // The sandbox's application_date is the transaction's date: both filters bound the same column.
    const bounds: Array<[string, boolean, string]> = [
      ['min_date', false, '>='],
      ['max_date', true, '<='],
    ];
    let hasMin = false;
    for (const [key, end, op] of bounds) {
      const v = str(q[key]);
      if (v === undefined) continue;
      const day = calendarBound(v, end);
      if (!day) return sendError(res, 400, 'invalidValue', `${key} must be YYYY-MM-DD, YYYY-MM or YYYY.`);
      where.push(`t.date ${op} $${values.push(day)}::date`);
      if (key === 'min_date') hasMin = true;
    }
    // "By default, it selects transactions for the last month" (the 2021 reference; current docs
    // are silent): without min_date, nothing before the same day one month ago.
    if (!hasMin) where.push(`t.date >= $${values.push(oneMonthBefore(parisDate(ctx.now())))}::date`);
    if (q.income !== undefined) where.push(flag(q.income) ? 't.value_cents > 0' : 't.value_cents < 0');

    const filter = where.join(' AND ');
    const page = await ctx.pool.query(
      `SELECT ${qualified(TRANSACTION_COLUMNS, 't')} FROM ${SCHEMA}.transactions t
       WHERE ${filter}${after ? ` AND (t.date, t.id) < ($${values.length + 1}::date, $${values.length + 2}::int)` : ''}
       ORDER BY t.date DESC, t.id DESC LIMIT ${limit + 1} ${after ? '' : `OFFSET ${offset}`}`,
      after ? [...values, after.d, after.i] : values,
    );
    const totals = await ctx.pool.query(
      `SELECT min(t.date)::text AS first, max(t.date)::text AS last FROM ${SCHEMA}.transactions t WHERE ${filter}`,
      values,
    );
    const rows = page.rows as TransactionRow[];
    const more = rows.length > limit;
    const items = rows.slice(0, limit);
    const origin = ctx.opts.publicUrl?.replace(/\/+$/, '') ?? `${req.protocol}://${req.get('host')}`;
    const self = new URL(req.originalUrl, origin).search;
    const link = (cursor: string | null) => {
      const params = new URLSearchParams(self);
      params.delete('offset');
      params.delete('cursor');
      params.set('limit', String(limit));
      if (cursor) params.set('cursor', cursor);
      return {
        href: `${origin}${req.baseUrl}${req.path}?${params.toString().replace(/(^|&)(all|deleted)=(&|$)/g, '$1$2$3')}`,
      };
    };
    const last = items.at(-1);
    const dates = items.map((t) => t.date).sort();
    res.json({
      transactions: items.map(transactionJson),
      first_date: totals.rows[0]?.first ?? null,
      last_date: totals.rows[0]?.last ?? null,
      result_min_date: dates[0] ?? null,
      result_max_date: dates[dates.length - 1] ?? null,
      _links: {
        self: { href: `${origin}${req.baseUrl}${req.path}${self}` },
        next: more && last ? link(writeCursor({ d: last.date, i: last.id })) : null,
        prev: null,
      },
    });
  }
  user.get('/transactions', (req: Authed, res) => listTransactions(req, res, {}));
  user.get('/accounts/:aid/transactions', (req: Authed, res) =>
    listTransactions(req, res, { accountId: Number(req.params.aid) }),
  );
  user.get('/connections/:cid/transactions', async (req: Authed, res) => {
    const c = await ownConnection(req, res);
    if (c) await listTransactions(req, res, { connectionId: c.id });
  });
  user.get('/transactions/:tid', async (req: Authed, res) => {
    const t = await ctx.pool.query(
      `SELECT ${qualified(TRANSACTION_COLUMNS, 't')} FROM ${SCHEMA}.transactions t
       JOIN ${SCHEMA}.accounts a ON a.id = t.id_account WHERE t.id = $1 AND a.id_user = $2`,
      [Number(req.params.tid), req.userId],
    );
    const row = t.rows[0] as TransactionRow | undefined;
    if (!row || (row.deleted && !flag(req.query.all))) return sendError(res, 404, 'notFound', 'Transaction not found.');
    res.json(transactionJson(row));
  });

  // ---- the rest -----------------------------------------------------------------------------
  r.use((req, res) => sendError(res, 404, 'notFound', `No route ${req.method} ${req.baseUrl}${req.path}.`));
  r.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof SandboxError) return sendError(res, err.status, err.code, err.description, err.bankMessage);
    if ((err as { type?: string }).type === 'entity.parse.failed')
      return sendError(res, 400, 'invalidValue', 'The request body is not valid JSON.');
    ctx.opts.logger?.warn({ err: (err as Error).message }, 'powens sandbox: internal error');
    sendError(res, 500, 'bug', 'Internal error.');
  });
  return r;
}
