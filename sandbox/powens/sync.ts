/**
 * A sync of a connection, as Powens runs one: a simulated bank condition (forced state) fails it
 * unless this kind of sync is the action the state waits for; otherwise every enabled account is
 * brought up to yesterday (Paris) with the generated transactions and their planned bookings,
 * changes and deletions. CONNECTION_SYNCED fires either way.
 */
import type { PoolClient } from 'pg';
import { ACCOUNT_TEMPLATES, type AccountKind } from './catalog';
import type { SandboxContext } from './context';
import { SandboxError } from './errors';
import { BANK_MESSAGES } from './format';
import { generateDay, nextEvent, type TxPlan } from './generator';
import { inTransaction } from './pg';
import {
  TRANSACTION_COLUMNS,
  type AccountRow,
  type ConnectionRow,
  type HistoryEntry,
  type TransactionRow,
} from './rows';
import { SCHEMA } from './schema';
import { waitsForUser } from './states';
import type { Store } from './store';
import { addDays, parisDate } from './time';

const S = SCHEMA;
const HOUR = 3_600_000;

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

interface Work {
  row: TransactionRow;
  isNew: boolean;
  dirty: boolean;
  discard: boolean;
  /** History entries waiting for the id of the transaction that replaced this one. */
  replacedBy?: { entry: HistoryEntry; by: Work };
  replacesWork?: Work;
}

export function createSyncs(ctx: SandboxContext, store: Store) {
  const pool = ctx.pool;
  const { accountsOf, connectionPayload, enqueueWebhook, getConnection } = store;

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

  return { syncConnection };
}
