/**
 * What the sandbox does, shared by its API, its webview and its admin API: users and tokens,
 * connections and their accounts, syncs (connection states and transaction generation), and the
 * webhooks they produce (written to an outbox in the same transaction, delivered by webhooks.ts).
 */
import type { Pool, PoolClient } from 'pg';
import { ACCOUNT_TEMPLATES, connectorById, frenchIban, frenchRib, type AccountKind, type Connector } from './catalog';
import type { SandboxContext } from './context';
import {
  BANK_MESSAGES,
  accountJson,
  connectionJson,
  connectorJson,
  sourcesJson,
  transactionJson,
  userJson,
} from './format';
import { generateDay, nextEvent, type TxPlan } from './generator';
import { rng, secretFor } from './random';
import {
  ACCOUNT_COLUMNS,
  CONNECTION_COLUMNS,
  TRANSACTION_COLUMNS,
  type AccountRow,
  type ConnectionRow,
  type HistoryEntry,
  type TransactionRow,
} from './rows';
import { inTransaction } from './pg';
import { SCHEMA } from './schema';
import { isKnownState, waitsForUser } from './states';
import { addDays, parisDate } from './time';

type Db = Pool | PoolClient;
const S = SCHEMA;
const HOUR = 3_600_000;
const TEMP_TTL_MS = 30 * 60_000;

export type WebhookEvent =
  | 'USER_CREATED'
  | 'USER_DELETED'
  | 'CONNECTION_SYNCED'
  | 'CONNECTION_DELETED'
  | 'ACCOUNTS_FETCHED'
  | 'ACCOUNT_ENABLED'
  | 'ACCOUNT_DISABLED';

/** Why a sync runs: decides which simulated bank conditions it resolves. */
export type SyncTrigger =
  | 'background' // Powens' own periodic sync, or an admin "sync now"
  | 'psu' // a sync a person asked for (psu_requested=true, or POST {} )
  | 'resume' // POST {resume: true} after validating in the bank's app
  | 'otp' // an OTP / SCA code posted
  | 'credentials' // new credentials posted
  | 'reconnect' // the user went through the reconnect webview
  | 'initial'; // end of the connect webview

const RESOLVED_BY: Record<SyncTrigger, readonly string[]> = {
  background: [],
  psu: ['SCARequired'],
  resume: ['decoupled'],
  otp: ['additionalInformationNeeded', 'SCARequired'],
  credentials: ['wrongpass', 'passwordExpired'],
  reconnect: [
    'wrongpass',
    'passwordExpired',
    'additionalInformationNeeded',
    'actionNeeded',
    'SCARequired',
    'webauthRequired',
    'decoupled',
  ],
  initial: [],
};

/**
 * Whether a sync of this kind performs the action a user-action state waits for (an SCA with the
 * user present, the one-time code, new credentials, the validation in the bank's app…).
 */
export function resolvesState(trigger: SyncTrigger, state: string | null): boolean {
  return state !== null && RESOLVED_BY[trigger].includes(state);
}

export class SandboxError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
    readonly bankMessage: string | null = null,
  ) {
    super(description);
  }
}

/** The events registered by default (one URL per event at Powens; see PowensSandboxOptions.webhookUrl). */
export const DEFAULT_WEBHOOK_EVENTS: WebhookEvent[] = [
  'CONNECTION_SYNCED',
  'CONNECTION_DELETED',
  'ACCOUNTS_FETCHED',
  'ACCOUNT_ENABLED',
  'ACCOUNT_DISABLED',
];

export function createEngine(ctx: SandboxContext) {
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

  async function deleteUser(db: Db, userId: number) {
    const u = await db.query(`SELECT id, created FROM ${S}.users WHERE id = $1`, [userId]);
    if (!u.rows[0]) return;
    for (const c of await listConnections(db, userId)) await deleteConnection(db, c);
    await enqueueWebhook(db, 'USER_DELETED', userJson(userId, u.rows[0].created), userId);
    await db.query(`DELETE FROM ${S}.users WHERE id = $1`, [userId]);
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

  // ---- connections -----------------------------------------------------------------------------
  /**
   * A new connection after the credentials step: its accounts are discovered, disabled unless
   * `enable` selects them (the webview's account_types / account_ibans), and ACCOUNTS_FETCHED fires.
   */
  async function createConnection(
    db: Db,
    input: { userId: number; connector: Connector; website: string; login: string | null },
  ): Promise<{ connection: ConnectionRow; accounts: AccountRow[] }> {
    const now = ctx.now();
    const id = (await db.query(`SELECT nextval('${S}.connection_ids')::int AS id`)).rows[0].id as number;
    await db.query(
      `INSERT INTO ${S}.connections (id, id_user, id_connector, created, next_try, website, login)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [id, input.userId, input.connector.id, now, new Date(now.getTime() + 24 * HOUR), input.website, input.login],
    );
    const today = parisDate(now);
    const through = addDays(today, -ctx.settings().historyDays - 1);
    const pro = input.website === 'pro';
    let checkingId: number | null = null;
    for (const [position, kind] of input.connector.accounts.entries()) {
      const t = ACCOUNT_TEMPLATES[kind];
      const accountId = (await db.query(`SELECT nextval('${S}.account_ids')::int AS id`)).rows[0].id as number;
      // As at Powens: cards, loans, market and savings plans have no IBAN (`iban: null`) and a
      // masked or internal `number`; some banks show a savings account's French RIB there instead.
      const internal = `${String(id).padStart(7, '0')}${String(position + 1).padStart(4, '0')}`;
      const { bankCode, branchCode } = input.connector;
      const ribOnly = input.connector.ribOnly?.includes(kind) ?? false;
      const withIban = ['checking_eur', 'checking_usd', 'livret_a'].includes(kind) && !ribOnly;
      const number =
        kind === 'card'
          ? `XXXX XXXX XXXX ${internal.slice(-4)}`
          : ribOnly
            ? frenchRib(bankCode, branchCode, internal)
            : internal;
      const r = rng(ctx.seed(), `opening:${id}:${kind}`);
      const opening = t.opening[0] === t.opening[1] ? t.opening[0] : r.int(t.opening[0], t.opening[1]);
      await db.query(
        `INSERT INTO ${S}.accounts (id, id_connection, id_user, id_parent, kind, position, name, original_name, number,
           iban, bic, type, id_type, currency, usage, opening_cents, created, disabled, generated_through)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17)`,
        [
          accountId,
          id,
          input.userId,
          kind === 'card' ? checkingId : null,
          kind,
          position,
          t.name,
          number,
          withIban ? frenchIban(bankCode, branchCode, internal) : null,
          withIban || ribOnly ? input.connector.bic : null,
          t.type,
          t.idType,
          t.currency,
          pro ? 'ORGA' : 'PRIV',
          opening,
          now,
          through,
        ],
      );
      if (kind === 'checking_eur') checkingId = accountId;
    }
    const connection = (await getConnection(db, id))!;
    const accounts = await accountsOf(db, { connectionId: id });
    await enqueueWebhook(db, 'ACCOUNTS_FETCHED', await connectionPayload(db, connection, accounts), input.userId);
    return { connection, accounts };
  }

  async function setContact(db: Db, connectionId: number, contact: ConnectionRow['contact']) {
    await db.query(`UPDATE ${S}.connections SET contact = $2 WHERE id = $1`, [connectionId, contact]);
    if (contact?.company)
      await db.query(`UPDATE ${S}.accounts SET company_name = $2, usage = 'ORGA' WHERE id_connection = $1`, [
        connectionId,
        contact.company,
      ]);
  }

  async function deleteConnection(db: Db, c: ConnectionRow) {
    await db.query(`DELETE FROM ${S}.connections WHERE id = $1`, [c.id]);
    await enqueueWebhook(db, 'CONNECTION_DELETED', connectionJson(c), c.id_user);
  }

  /** Admin: the simulated bank condition for the next syncs (null clears it). */
  async function forceState(
    connectionId: number,
    state: string | null,
    opts: { syncs?: number | null; apply?: boolean } = {},
  ): Promise<ConnectionRow> {
    if (state !== null && !isKnownState(state)) throw new SandboxError(400, 'invalidValue', `unknown state ${state}`);
    return inTransaction(pool, async (db) => {
      const c = await getConnection(db, connectionId, true);
      if (!c) throw new SandboxError(404, 'notFound', `connection ${connectionId} not found`);
      const remaining = state === null ? null : (opts.syncs ?? null);
      await db.query(`UPDATE ${S}.connections SET forced_state = $2, forced_remaining = $3 WHERE id = $1`, [
        connectionId,
        state,
        remaining,
      ]);
      if (opts.apply)
        await db.query(`UPDATE ${S}.connections SET state = $2, error_message = $3 WHERE id = $1`, [
          connectionId,
          state,
          state ? (BANK_MESSAGES[state] ?? null) : null,
        ]);
      return (await getConnection(db, connectionId))!;
    });
  }

  // ---- accounts --------------------------------------------------------------------------------
  async function setAccountDisabled(db: Db, a: AccountRow, disabled: boolean): Promise<AccountRow> {
    if (disabled === (a.disabled !== null)) return a;
    const now = ctx.now();
    if (disabled) {
      // Powens deletes the data of a disabled account; it is fetched again once re-enabled.
      await db.query(`DELETE FROM ${S}.transactions WHERE id_account = $1`, [a.id]);
      await db.query(
        `UPDATE ${S}.accounts SET disabled = $2, balance_cents = NULL, coming_cents = NULL, generated_through = $3
         WHERE id = $1`,
        [a.id, now, addDays(parisDate(now), -ctx.settings().historyDays - 1)],
      );
    } else await db.query(`UPDATE ${S}.accounts SET disabled = NULL WHERE id = $1`, [a.id]);
    const updated = (await getAccount(db, a.id))!;
    await enqueueWebhook(db, disabled ? 'ACCOUNT_DISABLED' : 'ACCOUNT_ENABLED', accountJson(updated), a.id_user);
    return updated;
  }

  async function updateAccount(
    a: AccountRow,
    patch: { disabled?: boolean; display?: boolean; name?: string; bookmarked?: boolean; usage?: string | null },
  ): Promise<AccountRow> {
    return inTransaction(pool, async (db) => {
      let current = a;
      if (patch.disabled !== undefined) current = await setAccountDisabled(db, current, patch.disabled);
      const sets: string[] = [];
      const values: unknown[] = [a.id];
      if (patch.display !== undefined) sets.push(`display = $${values.push(patch.display)}`);
      if (patch.name !== undefined) sets.push(`name = $${values.push(patch.name)}`);
      if (patch.bookmarked !== undefined) sets.push(`bookmarked = $${values.push(patch.bookmarked)}`);
      if (patch.usage !== undefined) sets.push(`usage = $${values.push(patch.usage)}`);
      if (sets.length) await db.query(`UPDATE ${S}.accounts SET ${sets.join(', ')} WHERE id = $1`, values);
      return sets.length ? (await getAccount(db, a.id))! : current;
    });
  }

  /** Admin: the bank changed an account's identity (IBAN, BIC, label, type, currency). */
  async function patchAccountAtBank(
    id: number,
    patch: {
      iban?: string | null;
      bic?: string | null;
      label?: string;
      name?: string;
      type?: string;
      currency?: string;
    },
  ): Promise<AccountRow> {
    const a = await getAccount(pool, id);
    if (!a) throw new SandboxError(404, 'notFound', `account ${id} not found`);
    const sets: string[] = [];
    const values: unknown[] = [id];
    if (patch.iban !== undefined) sets.push(`iban = $${values.push(patch.iban)}`);
    if (patch.bic !== undefined) sets.push(`bic = $${values.push(patch.bic)}`);
    if (patch.label !== undefined) sets.push(`original_name = $${values.push(patch.label)}`);
    if (patch.name !== undefined || patch.label !== undefined)
      sets.push(`name = $${values.push(patch.name ?? patch.label)}`);
    if (patch.type !== undefined) sets.push(`type = $${values.push(patch.type)}`);
    if (patch.currency !== undefined) sets.push(`currency = $${values.push(patch.currency.toUpperCase())}`);
    sets.push(`last_update = $${values.push(ctx.now())}`);
    await pool.query(`UPDATE ${S}.accounts SET ${sets.join(', ')} WHERE id = $1`, values);
    return (await getAccount(pool, id))!;
  }

  // ---- syncs -----------------------------------------------------------------------------------
  interface Work {
    row: TransactionRow;
    isNew: boolean;
    dirty: boolean;
    discard: boolean;
    /** History entries waiting for the id of the transaction that replaced this one. */
    replacedBy?: { entry: HistoryEntry; by: Work };
    replacesWork?: Work;
  }

  /**
   * One sync of a connection at the sandbox clock's time. A simulated bank condition (forced
   * state) makes it fail with that state unless this kind of sync resolves it; otherwise every
   * enabled account is brought up to yesterday (Paris): each day's new transactions and the
   * planned bookings, changes and deletions. CONNECTION_SYNCED fires either way.
   */
  async function syncConnection(connectionId: number, trigger: SyncTrigger): Promise<ConnectionRow> {
    return inTransaction(pool, async (db) => {
      const c = await getConnection(db, connectionId, true);
      if (!c) throw new SandboxError(404, 'notFound', `connection ${connectionId} not found`);
      const now = ctx.now();

      let forced = c.forced_state;
      let remaining = c.forced_remaining;
      if (forced && RESOLVED_BY[trigger].includes(forced)) {
        forced = null;
        remaining = null;
      }
      const state = forced;
      if (forced && remaining !== null) {
        remaining -= 1;
        if (remaining <= 0) {
          forced = null;
          remaining = null;
        }
      }

      const enabled = (await accountsOf(db, { connectionId })).filter((a) => !a.disabled && !a.deleted);
      if (state) {
        const transient = !waitsForUser(state);
        await db.query(
          `UPDATE ${S}.connections SET state = $2, error_message = $3, forced_state = $4, forced_remaining = $5,
             last_attempt = $6, next_try = $7, syncs = syncs + 1 WHERE id = $1`,
          [
            connectionId,
            state,
            BANK_MESSAGES[state] ?? null,
            forced,
            remaining,
            now,
            transient ? new Date(now.getTime() + HOUR) : null,
          ],
        );
        const updated = (await getConnection(db, connectionId))!;
        await enqueueWebhook(
          db,
          'CONNECTION_SYNCED',
          await connectionPayload(db, updated, enabled, new Map()),
          c.id_user,
        );
        return updated;
      }

      const created = await generate(db, enabled, now);
      await db.query(
        `UPDATE ${S}.connections SET state = NULL, error_message = NULL, forced_state = $2, forced_remaining = $3,
           last_update = $4, last_attempt = $4, next_try = $5, syncs = syncs + 1 WHERE id = $1`,
        [connectionId, forced, remaining, now, new Date(now.getTime() + 24 * HOUR)],
      );
      const updated = (await getConnection(db, connectionId))!;
      const accounts = await accountsOf(db, { ids: enabled.map((a) => a.id) });
      await enqueueWebhook(db, 'CONNECTION_SYNCED', await connectionPayload(db, updated, accounts, created), c.id_user);
      return updated;
    });
  }

  /** Brings the accounts up to yesterday; returns the new (not deleted) transactions per account. */
  async function generate(db: PoolClient, accounts: AccountRow[], now: Date): Promise<Map<number, TransactionRow[]>> {
    const through = addDays(parisDate(now), -1);
    const todo = accounts.filter((a) => a.generated_through < through);
    const result = new Map<number, TransactionRow[]>();
    if (todo.length === 0) return result;
    const at = now.toISOString();
    const { volume } = ctx.settings();

    const pendingRows = await db.query(
      `SELECT ${TRANSACTION_COLUMNS} FROM ${S}.transactions
       WHERE id_account = ANY($1::int[]) AND deleted IS NULL AND next_event IS NOT NULL AND next_event <= $2`,
      [todo.map((a) => a.id), through],
    );
    const pending: Work[] = (pendingRows.rows as TransactionRow[]).map((row) => ({
      row,
      isNew: false,
      dirty: false,
      discard: false,
    }));
    const created: Work[] = [];

    const first = todo.map((a) => addDays(a.generated_through, 1)).sort()[0]!;
    for (let day = first; day <= through; day = addDays(day, 1)) {
      for (const a of todo) {
        if (day <= a.generated_through) continue;
        // 1. the day's planned events on known transactions
        for (const w of pending) {
          if (w.row.id_account !== a.id || w.discard || w.row.deleted) continue;
          applyPlan(w, day, at, (replacement) => {
            created.push(replacement);
            pending.push(replacement);
          });
        }
        // 2. the day's new transactions
        const template = ACCOUNT_TEMPLATES[a.kind as AccountKind];
        for (const spec of generateDay(ctx.seed(), { ...template, id: a.id }, day, volume)) {
          const w: Work = {
            row: {
              id: 0,
              id_account: a.id,
              gen_key: spec.genKey,
              date: spec.date,
              rdate: spec.rdate,
              vdate: spec.vdate,
              value_cents: spec.valueCents,
              original_wording: spec.originalWording,
              simplified_wording: spec.simplifiedWording,
              type: spec.type,
              coming: spec.coming,
              card: spec.card,
              counterparty: spec.counterparty,
              date_scraped: now,
              last_update: now,
              deleted: null,
              plan: spec.plan,
              next_event: nextEvent(spec.plan),
              replaces: null,
              history: [{ event: 'created', day, at }],
            },
            isNew: true,
            dirty: true,
            discard: false,
          };
          created.push(w);
          if (w.row.next_event) pending.push(w);
        }
      }
    }

    // Ids in creation order, for the transactions that survive this sync.
    const kept = created.filter((w) => !w.discard);
    if (kept.length) {
      const ids = await db.query(
        `SELECT nextval('${S}.transaction_ids')::int AS id FROM generate_series(1, $1::int) ORDER BY 1`,
        [kept.length],
      );
      kept.forEach((w, i) => (w.row.id = ids.rows[i].id as number));
    }
    for (const w of [...pending, ...created]) {
      if (w.replacedBy) w.replacedBy.entry.replacedBy = w.replacedBy.by.discard ? null : w.replacedBy.by.row.id;
      if (w.replacesWork)
        w.row.replaces = w.replacesWork.discard || !w.replacesWork.row.id ? null : w.replacesWork.row.id;
    }

    const toJson = (w: Work) => ({
      ...w.row,
      plan: w.row.plan,
      history: w.row.history,
      counterparty: w.row.counterparty,
    });
    const columns = `id int, id_account int, gen_key text, date date, rdate date, vdate date, value_cents bigint,
      original_wording text, simplified_wording text, type text, coming boolean, card text, counterparty jsonb,
      date_scraped timestamptz, last_update timestamptz, deleted timestamptz, plan jsonb, next_event date,
      replaces int, history jsonb`;
    const names = `id, id_account, gen_key, date, rdate, vdate, value_cents, original_wording, simplified_wording, type,
      coming, card, counterparty, date_scraped, last_update, deleted, plan, next_event, replaces, history`;
    for (let i = 0; i < kept.length; i += 2000) {
      await db.query(
        `INSERT INTO ${S}.transactions (${names}) SELECT ${names} FROM jsonb_to_recordset($1::jsonb) AS x(${columns})`,
        [JSON.stringify(kept.slice(i, i + 2000).map(toJson))],
      );
    }
    const changed = pending.filter((w) => !w.isNew && w.dirty);
    if (changed.length)
      await db.query(
        `UPDATE ${S}.transactions t SET date = x.date, vdate = x.vdate, value_cents = x.value_cents,
           original_wording = x.original_wording, coming = x.coming, last_update = x.last_update, deleted = x.deleted,
           plan = x.plan, next_event = x.next_event, history = x.history
         FROM jsonb_to_recordset($1::jsonb) AS x(${columns}) WHERE t.id = x.id`,
        [JSON.stringify(changed.map(toJson))],
      );

    await db.query(`UPDATE ${S}.accounts SET generated_through = $2 WHERE id = ANY($1::int[])`, [
      todo.map((a) => a.id),
      through,
    ]);
    await db.query(
      `UPDATE ${S}.accounts a SET balance_cents = a.opening_cents + COALESCE(s.booked, 0),
         coming_cents = COALESCE(s.coming, 0), last_update = $2
       FROM (SELECT a2.id,
                    SUM(t.value_cents) FILTER (WHERE NOT t.coming) AS booked,
                    SUM(t.value_cents) FILTER (WHERE t.coming) AS coming
             FROM ${S}.accounts a2 LEFT JOIN ${S}.transactions t ON t.id_account = a2.id AND t.deleted IS NULL
             WHERE a2.id = ANY($1::int[]) GROUP BY a2.id) s
       WHERE a.id = s.id`,
      [accounts.map((a) => a.id), now],
    );

    for (const w of kept) {
      if (w.row.deleted) continue;
      const list = result.get(w.row.id_account) ?? [];
      list.push(w.row);
      result.set(w.row.id_account, list);
    }
    return result;
  }

  /** Applies the events planned for `day` to one transaction. */
  function applyPlan(w: Work, day: string, at: string, create: (w: Work) => void) {
    const plan: TxPlan = w.row.plan;
    const now = new Date(at);
    let touched = false;
    if (plan.delete?.on === day) {
      delete plan.delete;
      delete plan.book;
      delete plan.change;
      w.row.deleted = now;
      w.row.history.push({ event: 'deleted', day, at });
      if (w.isNew) w.discard = true; // seen and gone within one sync: Powens never shows it
      touched = true;
    }
    if (plan.book?.on === day) {
      const mode = plan.book.mode;
      delete plan.book;
      if (mode === 'update') {
        w.row.coming = false;
        w.row.date = day;
        w.row.vdate = day;
        w.row.history.push({ event: 'booked', day, at });
      } else {
        w.row.deleted = now;
        const entry: HistoryEntry = { event: 'replaced', day, at, replacedBy: null };
        w.row.history.push(entry);
        if (w.isNew) w.discard = true;
        const replacement: Work = {
          row: {
            ...w.row,
            id: 0,
            gen_key: `${w.row.gen_key}:b`,
            date: day,
            vdate: day,
            coming: false,
            deleted: null,
            date_scraped: now,
            last_update: now,
            plan: {},
            next_event: null,
            replaces: null,
            history: [{ event: 'created', day, at }],
          },
          isNew: true,
          dirty: true,
          discard: false,
          replacesWork: w,
        };
        w.replacedBy = { entry, by: replacement };
        create(replacement);
      }
      touched = true;
    }
    if (plan.change?.on === day) {
      const { field, to } = plan.change;
      delete plan.change;
      if (field === 'wording') {
        w.row.history.push({ event: 'changed', day, at, field: 'original_wording', from: w.row.original_wording, to });
        w.row.original_wording = String(to);
      } else {
        w.row.history.push({
          event: 'changed',
          day,
          at,
          field: 'value',
          from: w.row.value_cents / 100,
          to: Number(to) / 100,
        });
        w.row.value_cents = Number(to);
      }
      touched = true;
    }
    if (touched) {
      w.row.plan = plan;
      w.row.next_event = nextEvent(plan);
      w.row.last_update = now;
      w.dirty = true;
    }
  }

  /**
   * Moves the clock forward to `target`, running each background sync at the time it was due
   * (`next_try`), in order, as Powens would have while that time passed: a connection synced
   * every 24 h keeps its own hour of the day, whatever the caller's steps.
   */
  async function advanceClock(target: Date): Promise<number[]> {
    const done: number[] = [];
    for (;;) {
      const r = await pool.query(
        `SELECT id, state, next_try FROM ${S}.connections
         WHERE active AND next_try IS NOT NULL AND next_try <= $1 ORDER BY next_try, id`,
        [target],
      );
      const next = (r.rows as Array<{ id: number; state: string | null; next_try: Date }>).find(
        (row) => !waitsForUser(row.state),
      );
      if (!next) break;
      if (next.next_try.getTime() > ctx.now().getTime()) await ctx.setClockOffset(next.next_try.getTime() - Date.now());
      done.push(...(await runDueSyncs()));
    }
    if (target.getTime() > ctx.now().getTime()) await ctx.setClockOffset(target.getTime() - Date.now());
    return done;
  }

  /** Background syncs that are due (Powens syncs every connection about once a day). */
  async function runDueSyncs(): Promise<number[]> {
    const r = await pool.query(
      `SELECT id, state FROM ${S}.connections WHERE active AND next_try IS NOT NULL AND next_try <= $1 ORDER BY id`,
      [ctx.now()],
    );
    const done: number[] = [];
    for (const row of r.rows as Array<{ id: number; state: string | null }>) {
      if (waitsForUser(row.state)) continue; // waits for the user
      await syncConnection(row.id, 'background');
      done.push(row.id);
    }
    return done;
  }

  return {
    createUser,
    issueToken,
    resolveToken,
    permanentToken,
    createCode,
    useCode,
    deleteUser,
    enqueueWebhook,
    getConnection,
    listConnections,
    accountsOf,
    getAccount,
    createConnection,
    setContact,
    deleteConnection,
    forceState,
    setAccountDisabled,
    updateAccount,
    patchAccountAtBank,
    syncConnection,
    runDueSyncs,
    advanceClock,
  };
}

export type Engine = ReturnType<typeof createEngine>;
