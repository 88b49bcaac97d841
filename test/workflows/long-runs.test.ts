/**
 * The bank-connection workflow over long simulated periods, for real (see support.ts): 90 days of
 * a bank's life (coming, booked, changed and deleted transactions) checked against the sandbox's
 * ground truth, and the statement dates of every periodicity across leap day, DST and month ends.
 */
import { readCfonb, type StatementOutput } from '../../domain/cfonb120';
import type { PeriodicityInput } from '../../domain/periodicity';
import { addDays, parisDate, parisOffsetMinutes, periodEndsBetween } from '../../domain/schedule';
import { collectNowUpdate, statusQuery } from '../../workflows/messages';
import { settleWorkflow, useRunningHarness, type Harness, type TestConnection } from './support';

let h: Harness;
// History shorter than the first statement's month: every transaction the sandbox ever shows
// falls inside what is delivered, so the bank's balance can be compared with ours.
useRunningHarness({ historyDays: 25 }, (x) => (h = x));

const DAY = 86_400_000;
const iso = (d: Date) => d.toISOString().slice(0, 10);
const day = (v: unknown) => (v instanceof Date ? iso(v) : String(v).slice(0, 10));
const cents = (decimal: string) => Math.round(Number(decimal) * 100);

async function skipTo(ms: number) {
  const now = await h.env.currentTimeMs();
  if (ms > now) await h.env.sleep(ms - now);
  await h.catchUp();
}

interface SandboxTx {
  id: number;
  id_account: number;
  date: string;
  value: number;
  coming: boolean;
  deleted: string | null;
  changed: boolean;
}

/** Parses our deleted-transactions CSV (`;`, BOM, dd/mm/yyyy, decimal comma). */
function csvRows(buf: Buffer | Uint8Array | null) {
  if (!buf) return [];
  const lines = Buffer.from(buf)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .split('\r\n')
    .filter(Boolean);
  return lines.slice(1).map((line) => {
    const c = line.split(';');
    const d = (s: string) => `${s.slice(6, 10)}-${s.slice(3, 5)}-${s.slice(0, 2)}`;
    return { bookingDate: d(c[1]!), amount: cents(c[4]!.replace(',', '.')), reason: c[9]! };
  });
}

describe('90 simulated days', () => {
  test('every booked transaction in exactly one statement, balances chain to the bank, deletions and changes in the CSV', async () => {
    const c = await h.makeConnection({ periodicity: { kind: 'WEEKLY', day: 6, month: null } });
    try {
      await ninetyDays(c);
    } finally {
      await h.retire(c);
    }
  });
});

/** Runs 90 days of the connection's life, then checks every statement against Powens' ground truth. */
async function ninetyDays(c: TestConnection) {
  const handle = await h.start(c);
  const t0 = await h.env.currentTimeMs();
  await skipTo(t0 + 90 * DAY);
  // The last days too: a statement up to yesterday, on demand.
  const last = await handle.executeUpdate(collectNowUpdate, { args: [{ statement: true }] });
  const yesterday = addDays(parisDate(await h.env.currentTimeMs()), -1);
  const onDemand = await h.prisma.statement.findMany({ where: { id: { in: last.statementIds } } });
  expect(onDemand.filter((s) => iso(s.periodEnd) === yesterday)).toHaveLength(c.accounts.length);
  expect((await handle.query(statusQuery)).consecutiveErrors).toBe(0);

  const truth = await h.powens.admin<{ transactions: SandboxTx[]; deleted: number; changed: number; coming: number }>(
    'GET',
    `/transactions?connection_id=${c.powensConnectionId}`,
  );
  expect(truth.status).toBe(200);
  // The simulated bank did what this test is about.
  expect(truth.body.deleted).toBeGreaterThan(0);
  expect(truth.body.changed).toBeGreaterThan(0);
  expect(truth.body.transactions.some((t) => t.coming && t.deleted)).toBe(true);
  const remote = await h.powens.client().listAccounts(c.token, { connectionId: c.powensConnectionId });

  let checked = 0;
  for (const account of c.accounts) {
    const statements = await h.prisma.statement.findMany({
      where: { bankAccountId: account.id, state: 'SUCCESS' },
      orderBy: { periodEnd: 'asc' },
    });
    expect(statements.length).toBeGreaterThanOrEqual(13);
    expect(iso(statements[statements.length - 1]!.periodEnd)).toBe(yesterday);
    // Weekly on Fridays (6 in the manual's numbering), then the one asked for.
    for (const s of statements.slice(0, -1)) expect(new Date(s.periodEnd).getUTCDay()).toBe(5);

    const files: StatementOutput[] = statements.map((s) => readCfonb(Buffer.from(s.cfonb!))[0]!);
    const delivered = new Map<number, Array<{ amount: number; statement: number }>>();
    files.forEach((f, i) => {
      if (i > 0) {
        // Balances chain; periods follow each other, no gap, no overlap (a late transaction is
        // booked on the next statement's first day, never widening it back).
        expect(f.opening.balance).toBe(files[i - 1]!.closing.balance);
        expect(f.opening.date).toBe(files[i - 1]!.closing.date);
      }
      for (const m of f.movements) {
        const id = Number(m.reference);
        delivered.set(id, [...(delivered.get(id) ?? []), { amount: cents(m.amount), statement: i }]);
      }
    });
    const csv = statements.flatMap((s) => csvRows(s.deletedCsv));

    const mine = truth.body.transactions.filter((t) => t.id_account === account.powensAccountId);
    for (const t of mine) {
      const got = delivered.get(t.id) ?? [];
      const value = Math.round(t.value * 100);
      if (t.deleted || t.coming) {
        // Never delivered, or delivered and then reported deleted in a later statement's CSV.
        if (got.length)
          expect(csv.some((r) => r.amount === got[got.length - 1]!.amount && r.reason.startsWith('Supprim'))).toBe(
            true,
          );
        continue;
      }
      if (day(t.date) > yesterday) continue;
      // Booked: delivered exactly once in its current form; earlier forms are in a CSV.
      expect({ id: t.id, deliveries: got.length > 0 }).toEqual({ id: t.id, deliveries: true });
      expect(got[got.length - 1]!.amount).toBe(value);
      const superseded = got.slice(0, -1);
      for (const old of superseded)
        expect(csv.some((r) => r.amount === old.amount && r.reason.startsWith('Modifi'))).toBe(true);
      if (superseded.length) expect(t.changed).toBe(true);
      checked++;
    }
    // No delivered movement that the bank never had.
    const known = new Set(mine.map((t) => t.id));
    expect([...delivered.keys()].filter((id) => !known.has(id))).toEqual([]);

    // The chain ends on the bank's balance once the CSV's removals are taken out.
    const bank = remote.find((a) => a.id === account.powensAccountId)!;
    const closing = cents(files[files.length - 1]!.closing.balance);
    const removed = csv.reduce((acc, r) => acc + r.amount, 0);
    expect(closing - removed).toBe(Math.round(bank.balance! * 100));
  }
  expect(checked).toBeGreaterThan(100);
}

describe('every periodicity through 2028 (leap year)', () => {
  /**
   * Three windows of the year, each with the periodicities whose edge cases fall in it (the whole
   * year for each would take minutes of nightly collections; the domain tests cover every day).
   * A statement ending on D is issued the night after Powens' sync of D+1, at the nightly slot.
   */
  async function runWindow(from: string, to: string, kinds: Array<[string, PeriodicityInput]>) {
    await skipTo(Date.parse(`${from}T12:00:00Z`));
    const started = [];
    for (const [name, p] of kinds) {
      const c = await h.makeConnection({ periodicity: p, accounts: ['savings'] });
      const handle = await h.start(c);
      started.push({ name, p, c, handle });
    }
    try {
      await skipTo(Date.parse(`${to}T12:00:00Z`));
      for (const { handle } of started) await settleWorkflow(handle);
      await check(from, to, started);
    } finally {
      for (const { c } of started) await h.retire(c);
    }
  }

  async function check(
    from: string,
    to: string,
    started: Array<{ name: string; p: PeriodicityInput; c: TestConnection }>,
  ) {
    for (const { name, p, c } of started) {
      const statements = await h.prisma.statement.findMany({
        where: { bankAccount: { connectionId: c.id }, state: 'SUCCESS' },
        orderBy: { periodEnd: 'asc' },
      });
      const ends = statements.map((s) => iso(s.periodEnd));
      // Every period end from the start on, in order, none skipped, none twice. A statement ending
      // on D goes out at the first nightly slot after Powens' sync of D+1, whose hour is Powens'
      // (the sandbox's) and may fall after that night's slot: the window's last two days may still
      // be waiting, nothing before them.
      const all = periodEndsBetween(p, addDays(from, -1), addDays(to, -1));
      const waiting = [addDays(to, -2), addDays(to, -1)];
      const expected = all.slice(0, ends.length);
      expect({ name, ends }).toEqual({ name, ends: expected });
      expect({ name, missing: all.slice(ends.length).filter((d) => !waiting.includes(d)) }).toEqual({
        name,
        missing: [],
      });
      expect(ends.length).toBeGreaterThan(0);
      // Issued at the nightly slot, 21:00-03:00 Paris time, whatever the DST offset. The
      // spring-forward night has no 02:00-03:00: its slots of that hour fall one hour later, at
      // 03:xx (domain/schedule, parisWallClockToUtc).
      for (const s of statements) {
        const ms = s.receivedAt.getTime();
        const parisHour = new Date(ms + parisOffsetMinutes(ms) * 60_000).getUTCHours();
        const springForward = parisOffsetMinutes(ms) > parisOffsetMinutes(ms - 6 * 3_600_000);
        const ok = parisHour >= 21 || parisHour < (springForward ? 4 : 3);
        expect({ name, parisHour, ok }).toEqual({ name, parisHour, ok: true });
      }
    }
  }

  test('February: month ends, the 30th clamped, 29 February (annual and semiannual)', async () => {
    await runWindow('2028-02-21', '2028-03-04', [
      ['monthly at month end', { kind: 'MONTHLY', day: 0, month: null }],
      ['monthly on the 30th', { kind: 'MONTHLY', day: 30, month: null }],
      ['semiannual at month end from February', { kind: 'SEMIANNUAL', day: 0, month: 2 }],
      ['annual on 29 February', { kind: 'ANNUAL', day: 29, month: 2 }],
    ]);
  });

  test('spring DST change (26 March 2028): daily and weekly', async () => {
    await runWindow('2028-03-22', '2028-04-01', [
      ['daily', { kind: 'DAILY', day: null, month: null }],
      ['weekly on Mondays (1 = Sunday)', { kind: 'WEEKLY', day: 2, month: null }],
    ]);
  });

  test('autumn DST change (29 October 2028): daily, weekly, quarterly on the 31st', async () => {
    await runWindow('2028-10-25', '2028-11-03', [
      ['daily', { kind: 'DAILY', day: null, month: null }],
      ['weekly on Sundays', { kind: 'WEEKLY', day: 1, month: null }],
      ['quarterly on the 31st from January', { kind: 'QUARTERLY', day: 31, month: 1 }],
    ]);
  });
});
