/**
 * The sandbox's stored state and how it is read: users, tokens and temporary codes, connections and
 * accounts, and the webhook outbox (each event written in the transaction of what caused it, then
 * delivered by webhooks.ts), with the bodies of the documented webhooks.
 */
import type { Pool, PoolClient } from 'pg';
import { connectorById } from './catalog';
import type { SandboxContext } from './context';
import { accountJson, connectionJson, connectorJson, sourcesJson, transactionJson, userJson } from './format';
import { secretFor } from './random';
import { ACCOUNT_COLUMNS, CONNECTION_COLUMNS, type AccountRow, type ConnectionRow, type TransactionRow } from './rows';
import { SCHEMA } from './schema';

export type Db = Pool | PoolClient;
const S = SCHEMA;
const TEMP_TTL_MS = 30 * 60_000;

export type WebhookEvent =
  | 'USER_CREATED'
  | 'USER_DELETED'
  | 'CONNECTION_SYNCED'
  | 'CONNECTION_DELETED'
  | 'ACCOUNTS_FETCHED'
  | 'ACCOUNT_ENABLED'
  | 'ACCOUNT_DISABLED';

/** The events registered by default (one URL per event at Powens; see PowensSandboxOptions.webhookUrl). */
export const DEFAULT_WEBHOOK_EVENTS: WebhookEvent[] = [
  'CONNECTION_SYNCED',
  'CONNECTION_DELETED',
  'ACCOUNTS_FETCHED',
  'ACCOUNT_ENABLED',
  'ACCOUNT_DISABLED',
];

export function createStore(ctx: SandboxContext) {
  const pool = ctx.pool;
  const events = new Set<WebhookEvent>(ctx.opts.webhookEvents ?? DEFAULT_WEBHOOK_EVENTS);

  // ---- secrets, users, tokens, codes -----------------------------------------------------------
  async function newSecret(db: Db, kind: string, bytes = 32): Promise<string> {
    const r = await db.query(`SELECT nextval('${S}.secret_ids')::int AS n`);
    return secretFor(ctx.seed(), `${kind}:${r.rows[0].n}`, bytes);
  }

  async function issueToken(db: Db, userId: number, type: 'permanent' | 'temporary') {
    const token = await newSecret(db, 'token', 48);
    const now = ctx.now();
    const expires = type === 'temporary' ? new Date(now.getTime() + TEMP_TTL_MS) : null;
    await db.query(`INSERT INTO ${S}.tokens (token, id_user, type, created, expires) VALUES ($1, $2, $3, $4, $5)`, [
      token,
      userId,
      type,
      now,
      expires,
    ]);
    return { token, type, expiresIn: expires ? TEMP_TTL_MS / 1000 : null };
  }

  async function createUser(db: Db, permanent: boolean) {
    const r = await db.query(`SELECT nextval('${S}.user_ids')::int AS id`);
    const id = r.rows[0].id as number;
    const created = ctx.now();
    await db.query(`INSERT INTO ${S}.users (id, created) VALUES ($1, $2)`, [id, created]);
    const t = await issueToken(db, id, permanent ? 'permanent' : 'temporary');
    if (permanent) await enqueueWebhook(db, 'USER_CREATED', userJson(id, created), id, t.token);
    return { id, ...t };
  }

  async function resolveToken(token: string): Promise<{ userId: number; type: string } | null> {
    const r = await pool.query(`SELECT id_user, type, expires FROM ${S}.tokens WHERE token = $1 AND revoked IS NULL`, [
      token,
    ]);
    const row = r.rows[0] as { id_user: number; type: string; expires: Date | null } | undefined;
    if (!row || (row.expires && row.expires.getTime() < ctx.now().getTime())) return null;
    return { userId: row.id_user, type: row.type };
  }

  async function permanentToken(db: Db, userId: number): Promise<string | null> {
    const r = await db.query(
      `SELECT token FROM ${S}.tokens WHERE id_user = $1 AND type = 'permanent' AND revoked IS NULL
       ORDER BY created DESC LIMIT 1`,
      [userId],
    );
    return (r.rows[0]?.token as string | undefined) ?? null;
  }

  async function createCode(db: Db, userId: number, access: 'single' | 'standard') {
    const code = await newSecret(db, 'code', 24);
    const now = ctx.now();
    await db.query(`INSERT INTO ${S}.codes (code, id_user, access, created, expires) VALUES ($1, $2, $3, $4, $5)`, [
      code,
      userId,
      access,
      now,
      new Date(now.getTime() + TEMP_TTL_MS),
    ]);
    return { code, access, expiresIn: TEMP_TTL_MS / 1000 };
  }

  /** The user of a temporary code; a single-access code is consumed. */
  async function useCode(db: Db, code: string): Promise<number | 'expired' | null> {
    const r = await db.query(`SELECT id_user, access, expires, used FROM ${S}.codes WHERE code = $1 FOR UPDATE`, [
      code,
    ]);
    const row = r.rows[0] as { id_user: number; access: string; expires: Date; used: Date | null } | undefined;
    if (!row) return null;
    if (row.expires.getTime() < ctx.now().getTime() || row.used) return 'expired';
    if (row.access === 'single') await db.query(`UPDATE ${S}.codes SET used = $2 WHERE code = $1`, [code, ctx.now()]);
    return row.id_user;
  }

  // ---- webhooks outbox -------------------------------------------------------------------------
  async function enqueueWebhook(db: Db, event: WebhookEvent, payload: object, userId: number | null, token?: string) {
    if (!events.has(event)) return null;
    const r = await db.query(`SELECT nextval('${S}.webhook_ids')::int AS id`);
    const id = r.rows[0].id as number;
    const body = JSON.stringify({ ...payload, id_webhook_data: id });
    const url = ctx.webhookUrl()?.replace('{event}', event) ?? null;
    const userToken = token ?? (userId === null ? null : await permanentToken(db, userId));
    await db.query(
      `INSERT INTO ${S}.webhooks (id, event, url, body, user_token, created, next_attempt) VALUES ($1, $2, $3, $4, $5, now(), now())`,
      [id, event, url, body, userToken],
    );
    return id;
  }

  // ---- reading ---------------------------------------------------------------------------------
  async function getConnection(db: Db, id: number, lock = false): Promise<ConnectionRow | null> {
    const r = await db.query(
      `SELECT ${CONNECTION_COLUMNS} FROM ${S}.connections WHERE id = $1 ${lock ? 'FOR UPDATE' : ''}`,
      [id],
    );
    return (r.rows[0] as ConnectionRow | undefined) ?? null;
  }

  async function listConnections(db: Db, userId: number): Promise<ConnectionRow[]> {
    const r = await db.query(`SELECT ${CONNECTION_COLUMNS} FROM ${S}.connections WHERE id_user = $1 ORDER BY id`, [
      userId,
    ]);
    return r.rows as ConnectionRow[];
  }

  async function accountsOf(db: Db, filter: { userId?: number; connectionId?: number; ids?: number[] }) {
    const where: string[] = [];
    const values: unknown[] = [];
    if (filter.userId !== undefined) where.push(`id_user = $${values.push(filter.userId)}`);
    if (filter.connectionId !== undefined) where.push(`id_connection = $${values.push(filter.connectionId)}`);
    if (filter.ids !== undefined) where.push(`id = ANY($${values.push(filter.ids)}::int[])`);
    const r = await db.query(
      `SELECT ${ACCOUNT_COLUMNS} FROM ${S}.accounts ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id_connection, position`,
      values,
    );
    return r.rows as AccountRow[];
  }

  async function getAccount(db: Db, id: number): Promise<AccountRow | null> {
    return (await accountsOf(db, { ids: [id] }))[0] ?? null;
  }

  /**
   * The body of CONNECTION_SYNCED (`transactions` given: the new ones per account) and of
   * ACCOUNTS_FETCHED, as Powens documents them (../shared/docs/powens-production.md §2):
   *  - CONNECTION_SYNCED: `{user, connection: Connection + {connector, sources, accounts[]:
   *    BankAccount + {transactions (new ones only), investments, market_orders}, subscriptions}}`;
   *  - ACCOUNTS_FETCHED: `{user, connection: Connection + {connector, sources, accounts}}`.
   * `id_webhook_data` is added by enqueueWebhook.
   */
  async function connectionPayload(
    db: Db,
    c: ConnectionRow,
    accounts: AccountRow[],
    transactions?: Map<number, TransactionRow[]>,
  ) {
    const u = await db.query(`SELECT created FROM ${S}.users WHERE id = $1`, [c.id_user]);
    const connector = connectorById(c.id_connector);
    const synced = transactions !== undefined;
    return {
      user: userJson(c.id_user, u.rows[0]?.created ?? c.created),
      connection: {
        ...connectionJson(c),
        connector: connector ? connectorJson(connector) : null,
        sources: sourcesJson(c),
        accounts: accounts.map((a) =>
          synced
            ? {
                ...accountJson(a),
                transactions: (transactions.get(a.id) ?? []).map(transactionJson),
                investments: [],
                market_orders: [],
              }
            : accountJson(a),
        ),
        ...(synced ? { subscriptions: [] } : {}),
      },
    };
  }

  return {
    issueToken,
    createUser,
    resolveToken,
    permanentToken,
    createCode,
    useCode,
    enqueueWebhook,
    getConnection,
    listConnections,
    accountsOf,
    getAccount,
    connectionPayload,
  };
}

export type Store = ReturnType<typeof createStore>;
