/**
 * The chaos harness's verdict, from the stored files only: every statement's CFONB120 read back
 * with the strict reader, every deleted-transactions CSV parsed, compared with the Powens sandbox's
 * ground truth (its own tables: every transaction ever shown, deleted or not) and with the mail
 * sink's inbox.
 *
 *  - lost: a booked, not deleted sandbox transaction dated up to the last period end, not in any
 *    statement of its account (its current version);
 *  - doubled: delivered more than once (not counting versions that a CSV row reports as changed);
 *  - unreported: delivered, then deleted or changed at the bank, and in no CSV;
 *  - stale: the only delivery carries another amount than the bank's current one;
 *  - unchained: a statement whose opening balance is not the previous closing one, whose period
 *    does not start the day after the previous one's end (a gap or an overlap), or whose closing
 *    balance is not its opening plus its movements;
 *  - e-mails: each statement e-mailed exactly once (the sink keeps X-Releves-Message-Id).
 */
import { parse } from 'csv-parse/sync';
import type { Pool } from 'pg';
import { readCfonb } from '../domain/cfonb120';
import { addDays } from '../domain/schedule';
import type { Fleet } from './fleet';

export interface Verdict {
  statements: number;
  transactions: number;
  lost: number;
  doubled: number;
  unreported: number;
  stale: number;
  unchained: number;
  emailsMissing: number;
  emailsDuplicated: number;
  /** The first few violations, for the report. */
  examples: string[];
}

const cents = (decimal: string) => Math.round(Number(decimal) * 100);
const fromFr = (d: string) => `${d.slice(6, 10)}-${d.slice(3, 5)}-${d.slice(0, 2)}`;

export async function verify(opts: {
  pg: Pool;
  fleet: Fleet;
  /** Last period end every account must be covered to. */
  coveredThrough: string;
  sinkMessages: Array<{ headers?: Array<{ Name: string; Value: string }> }>;
}): Promise<Verdict> {
  const v: Verdict = {
    statements: 0,
    transactions: 0,
    lost: 0,
    doubled: 0,
    unreported: 0,
    stale: 0,
    unchained: 0,
    emailsMissing: 0,
    emailsDuplicated: 0,
    examples: [],
  };
  const note = (s: string) => void (v.examples.length < 20 && v.examples.push(s));

  // The accounts that get statements (those with an IBAN; the fleet keeps the others inactive).
  const accounts = opts.fleet.connections.flatMap((c) => c.accounts).filter((a) => a.iban !== null);
  const { rows: truth } = await opts.pg.query<{
    id: number;
    id_account: number;
    date: string;
    value_cents: string;
    coming: boolean;
    deleted: Date | null;
  }>(
    `SELECT id, id_account, to_char(date, 'YYYY-MM-DD') AS date, value_cents, coming, deleted
     FROM powens_sandbox.transactions WHERE id_account = ANY($1::int[])`,
    [accounts.map((a) => a.powensAccountId)],
  );
  const byAccount = new Map<number, typeof truth>();
  for (const t of truth) byAccount.set(t.id_account, [...(byAccount.get(t.id_account) ?? []), t]);

  const sent = new Map<string, number>();
  for (const m of opts.sinkMessages) {
    const key = m.headers?.find((h) => h.Name.toLowerCase() === 'x-releves-message-id')?.Value;
    if (key) sent.set(key, (sent.get(key) ?? 0) + 1);
  }

  for (const account of accounts) {
    const { rows: statements } = await opts.pg.query<{
      id: string;
      periodStart: string;
      periodEnd: string;
      cfonb: Buffer;
      deletedCsv: Buffer | null;
    }>(
      `SELECT id, to_char("periodStart", 'YYYY-MM-DD') AS "periodStart", to_char("periodEnd", 'YYYY-MM-DD') AS "periodEnd",
              cfonb, "deletedCsv"
       FROM "Statement" WHERE "bankAccountId" = $1 AND state = 'SUCCESS' ORDER BY "periodEnd"`,
      [account.id],
    );
    v.statements += statements.length;

    // Deliveries per transaction id, and CSV reports of superseded deliveries.
    const deliveries = new Map<string, Array<{ period: string; date: string; cents: number }>>();
    const reports: Array<{ period: string; date: string; cents: number }> = [];
    let previousClosing: number | null = null;
    let previousEnd: string | null = null;
    for (const s of statements) {
      const count = sent.get(`statement/${s.id}`) ?? 0;
      if (count === 0) {
        v.emailsMissing++;
        note(`statement ${s.id} (${s.periodEnd}) never e-mailed`);
      } else if (count > 1) {
        v.emailsDuplicated++;
        note(`statement ${s.id} e-mailed ${count} times`);
      }
      const files = readCfonb(Buffer.from(s.cfonb));
      if (files.length !== 1) throw new Error(`statement ${s.id}: ${files.length} statements in one file`);
      const file = files[0]!;
      const opening = cents(file.opening.balance);
      const closing = cents(file.closing.balance);
      const sum = file.movements.reduce((acc, m) => acc + cents(m.amount), 0);
      if (previousClosing !== null && opening !== previousClosing) {
        v.unchained++;
        note(
          `account ${account.powensAccountId}: statement ${s.periodEnd} opens at ${opening} after ${previousClosing}`,
        );
      } else if (
        previousEnd !== null &&
        (s.periodStart !== addDays(previousEnd, 1) || file.opening.date !== previousEnd)
      ) {
        v.unchained++;
        note(
          `account ${account.powensAccountId}: statement ${s.periodStart}/${s.periodEnd} after one ending ${previousEnd}`,
        );
      } else if (opening + sum !== closing) {
        v.unchained++;
        note(`account ${account.powensAccountId}: statement ${s.periodEnd} does not add up`);
      }
      previousClosing = closing;
      previousEnd = s.periodEnd;
      const period = `${s.periodStart}/${s.periodEnd}`;
      for (const m of file.movements) {
        const key = m.reference ?? '';
        deliveries.set(key, [...(deliveries.get(key) ?? []), { period, date: m.bookingDate, cents: cents(m.amount) }]);
      }
      if (s.deletedCsv) {
        const rows = parse(Buffer.from(s.deletedCsv), { delimiter: ';', bom: true, from_line: 2 }) as string[][];
        for (const r of rows)
          reports.push({
            period: `${fromFr(r[6]!)}/${fromFr(r[7]!)}`,
            date: fromFr(r[1]!),
            cents: Math.round(Number(r[4]!.replace(',', '.')) * 100),
          });
      }
    }

    // Each CSV row cancels one delivery it reports (same statement, date and amount). Two
    // transactions can share a day and an amount: a row goes first to a transaction that the bank
    // really deleted or changed (or that was delivered more than once), then to any other.
    const txs = (byAccount.get(account.powensAccountId) ?? []).map((t) => {
      const list = [...(deliveries.get(String(t.id)) ?? [])];
      deliveries.delete(String(t.id));
      const suspect =
        t.deleted !== null || t.coming || list.length > 1 || list.some((d) => d.cents !== Number(t.value_cents));
      return { t, list, suspect, live: [...list] };
    });
    for (const pass of [true, false])
      for (const x of txs) {
        if (pass && !x.suspect) continue;
        x.live = x.live.filter((d) => {
          const i = reports.findIndex((r) => r.period === d.period && r.date === d.date && r.cents === d.cents);
          if (i < 0) return true;
          reports.splice(i, 1);
          return false;
        });
      }
    for (const { t, live } of txs) {
      const due = !t.deleted && !t.coming && t.date <= opts.coveredThrough;
      if (due) v.transactions++;
      if (due && live.length === 0) {
        v.lost++;
        note(`transaction ${t.id} (${t.date}, account ${t.id_account}) in no statement`);
      } else if (due && live.length > 1) {
        v.doubled++;
        note(`transaction ${t.id} delivered ${live.length} times`);
      } else if (due && live[0]!.cents !== Number(t.value_cents)) {
        v.stale++;
        note(`transaction ${t.id}: delivered ${live[0]!.cents}, bank says ${t.value_cents}`);
      } else if (!due && live.length > 0 && (t.deleted || t.coming)) {
        v.unreported++;
        note(`transaction ${t.id} delivered, then ${t.deleted ? 'deleted' : 'back to coming'}, in no CSV`);
      }
    }
    for (const [ref, list] of deliveries) {
      v.doubled += list.length;
      note(`account ${account.powensAccountId}: movement ${ref} unknown to the bank`);
    }
  }
  return v;
}
