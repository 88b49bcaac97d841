/**
 * What users, the webview and the admin API change: connections (created with their accounts,
 * deleted, their simulated bank condition), accounts (enabled or disabled, renamed, their identity
 * changed at the bank) and users' deletion, each with the webhook it produces.
 */
import { ACCOUNT_TEMPLATES, frenchIban, frenchRib, type Connector } from './catalog';
import type { SandboxContext } from './context';
import { SandboxError } from './errors';
import { BANK_MESSAGES, accountJson, connectionJson, userJson } from './format';
import { inTransaction } from './pg';
import { rng } from './random';
import type { AccountRow, ConnectionRow } from './rows';
import { SCHEMA } from './schema';
import { isKnownState } from './states';
import type { Db, Store } from './store';
import { addDays, parisDate } from './time';

const S = SCHEMA;
const HOUR = 3_600_000;

export function createConnections(ctx: SandboxContext, store: Store) {
  const pool = ctx.pool;
  const { accountsOf, connectionPayload, enqueueWebhook, getAccount, getConnection, listConnections } = store;

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

  async function deleteUser(db: Db, userId: number) {
    const u = await db.query(`SELECT id, created FROM ${S}.users WHERE id = $1`, [userId]);
    if (!u.rows[0]) return;
    for (const c of await listConnections(db, userId)) await deleteConnection(db, c);
    await enqueueWebhook(db, 'USER_DELETED', userJson(userId, u.rows[0].created), userId);
    await db.query(`DELETE FROM ${S}.users WHERE id = $1`, [userId]);
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

  return {
    deleteUser,
    createConnection,
    setContact,
    deleteConnection,
    forceState,
    setAccountDisabled,
    updateAccount,
    patchAccountAtBank,
  };
}
