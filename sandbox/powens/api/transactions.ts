/** GET …/transactions: Powens' pagination, filters and default window. */
import type { Response, Router } from 'express';
import type { SandboxContext } from '../context';
import type { Engine } from '../engine';
import { transactionJson } from '../format';
import { TRANSACTION_COLUMNS, qualified, type ConnectionRow, type TransactionRow } from '../rows';
import { SCHEMA } from '../schema';
import { daysInMonth, isPowensTimestamp, oneMonthBefore, parisDate, parsePowensTimestamp } from '../time';
import { flag, sendError, str, type Authed } from './http';

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

export function transactionRoutes(
  user: Router,
  ctx: SandboxContext,
  engine: Engine,
  ownConnection: (req: Authed, res: Response) => Promise<ConnectionRow | null>,
) {
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
}
