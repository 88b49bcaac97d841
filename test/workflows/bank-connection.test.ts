/**
 * The bank-connection workflow, branch by branch (issue 6), for real: time-skipping Temporal, the
 * worker's activities, PostgreSQL and the Powens sandbox (see support.ts).
 */
import { readCfonb } from '../../domain/cfonb120';
import { addDays, parisDate } from '../../domain/schedule';
import { parisInstant } from '../support/paris-time';
import { ConnectionState, ConsecutiveErrors } from '../../workflows/search-attributes';
import {
  collectNowSignal,
  collectNowUpdate,
  deactivateSignal,
  reactivateSignal,
  reconnectedSignal,
  statusQuery,
} from '../../workflows/messages';
import { settleWorkflow, START_DATES, useRunningHarness, type Harness, type TestConnection } from './support';

type Handle = Awaited<ReturnType<Harness['start']>>;
let h: Harness;

const DAY = 86_400_000;
const day = (d: Date | number) => parisDate(d);
const iso = (d: Date) => d.toISOString().slice(0, 10);

async function statementsOf(c: TestConnection) {
  return h.prisma.statement.findMany({
    where: { bankAccount: { connectionId: c.id }, state: 'SUCCESS' },
    orderBy: { periodEnd: 'asc' },
  });
}
async function emailsOf(c: TestConnection, kind?: string) {
  return h.prisma.emailMessage.findMany({
    where: { idempotencyKey: { contains: c.id }, ...(kind ? { kind } : {}) },
    orderBy: { createdAt: 'asc' },
  });
}
let current: Handle | undefined;
/**
 * Waits until the workflow under test is idle: no activity pending, no workflow task pending or
 * asked for (work that a timer started just before a skip ended may still be running).
 */
async function settle(handle = current) {
  if (handle) await settleWorkflow(handle);
}
/** Skips workflow time to the given instant (and the sandbox with it). */
async function skipTo(ms: number) {
  const now = await h.env.currentTimeMs();
  if (ms > now) await h.env.sleep(ms - now);
  await settle();
  await h.catchUp();
}
async function skip(ms: number) {
  await skipTo((await h.env.currentTimeMs()) + ms);
}
/** The company's bank fails with `state` at its next syncs (null: the bank is fine again). */
async function bankState(c: TestConnection, state: string | null) {
  const r = await h.powens.admin('POST', `/connections/${c.powensConnectionId}/state`, { state });
  expect(r.status).toBe(200);
}
/** Powens delivers its pending webhooks (signed, by HTTP) to our endpoint; the workflow acts on them. */
async function deliverWebhooks(handle = current) {
  await h.deliverWebhooks();
  if (handle) await settleWorkflow(handle);
}
/** Polls until `ok` holds, then lets the workflow under test finish what it is doing. */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 2400; i++) {
    const v = await read();
    if (ok(v)) {
      await settle();
      return v;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `condition not met (last value: ${JSON.stringify(await read(), (k, v) => (k === 'cfonb' || k === 'deletedCsv' ? '…' : v))})`,
  );
}

const MONTHLY_END = { kind: 'MONTHLY', day: 0, month: null } as const;
const DAILY = { kind: 'DAILY', day: null, month: null } as const;

function oneMonthBack(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const pm = m === 1 ? 12 : m - 1;
  const py = m === 1 ? y - 1 : y;
  const last = new Date(Date.UTC(py, pm, 0)).getUTCDate();
  return `${py}-${String(pm).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}
async function attributes(handle: Handle) {
  const d = await handle.describe();
  return {
    state: d.typedSearchAttributes.get(ConnectionState),
    errors: d.typedSearchAttributes.get(ConsecutiveErrors),
  };
}
/** One account's statements follow each other: no gap, balances chain. */
function expectChained(list: Awaited<ReturnType<typeof statementsOf>>) {
  for (let i = 1; i < list.length; i++) {
    expect(iso(list[i]!.periodStart)).toBe(addDays(iso(list[i - 1]!.periodEnd), 1));
    expect(list[i]!.openingBalance.toFixed(2)).toBe(list[i - 1]!.closingBalance.toFixed(2));
  }
}
/** A connection whose workflow ran its first nights without trouble. */
async function healthy(opts: Parameters<Harness['makeConnection']>[0] = {}) {
  const c = await h.makeConnection(opts);
  const handle = await h.start(c);
  current = handle;
  // A daily statement waits for Powens' next daily sync after its day (Powens' hour, not ours):
  // three days give the first ones whatever the two hours.
  await skip(3 * DAY);
  expect(await handle.query(statusQuery)).toMatchObject({ state: 'ok', consecutiveErrors: 0 });
  return { c, handle };
}
/**
 * The bank starts refusing the credentials: Powens' next daily sync fails, and nights pass until
 * the error is confirmed (its second Paris day): the link goes out.
 */
async function failUntilLink(c: TestConnection, handle: Handle, state = 'wrongpass') {
  await bankState(c, state);
  for (let i = 0; i < 5 && (await handle.query(statusQuery)).pendingLink === null; i++) await skip(DAY);
  const status = await handle.query(statusQuery);
  expect(status).toMatchObject({ state: 'waiting-reconnection', errorCode: state, consecutiveErrors: 2 });
  return status;
}

// The whole file once per start date (month ends, February, leap year, both DST changes): what it
// checks must hold whatever day the connection starts on.
describe.each(START_DATES)('starting %s', (startAt) => {
  useRunningHarness({ startAt }, (x) => (h = x));

  describe('first statement', () => {
    test('reaches one month back from activation, ends at the first period end; status query', async () => {
      const c = await h.makeConnection({ periodicity: MONTHLY_END });
      const activation = await h.env.currentTimeMs();
      const handle = await h.start(c);
      current = handle;
      const status = await until(
        () => handle.query(statusQuery),
        (st) => st.nextStatementAt !== null,
      );
      expect(status).toMatchObject({ state: 'ok', consecutiveErrors: 0, active: true, pendingLink: null });
      expect(Date.parse(status.nextCollectionAt!)).toBeGreaterThan(activation);
      expect(Date.parse(status.nextCollectionAt!)).toBeLessThanOrEqual(activation + 30 * 3_600_000);

      // The first month end after activation; due from 21:00 Paris that day.
      const nextMonth = addDays(`${day(activation).slice(0, 7)}-01`, 40).slice(0, 7);
      const monthEnd = addDays(`${nextMonth}-01`, -1);
      expect(status.nextStatementAt).toBe(new Date(parisInstant(monthEnd, '21:00')).toISOString());
      // Issued at the first nightly slot after Powens' data covers the month's last day: after its
      // daily sync of the 1st (Powens' hour, not ours), so by the night of the 2nd at the latest.
      await skipTo(parisInstant(addDays(monthEnd, 2), '04:00'));
      const list = await until(
        () => statementsOf(c),
        (l) => l.length === c.accounts.length,
      );
      for (const s of list) {
        expect(s.receivedAt.getTime()).toBeGreaterThanOrEqual(parisInstant(addDays(monthEnd, 1), '00:00'));
        expect(s.receivedAt.getTime()).toBeLessThan(parisInstant(addDays(monthEnd, 2), '04:00'));
      }
      const start = oneMonthBack(day(activation));
      for (const s of list) {
        expect(iso(s.periodStart)).toBe(start);
        expect(iso(s.periodEnd)).toBe(monthEnd);
        const [file] = readCfonb(Buffer.from(s.cfonb!)); // strict reader
        expect(file!.opening).toEqual({ date: addDays(start, -1), balance: s.openingBalance.toFixed(2) });
        expect(file!.closing).toEqual({ date: monthEnd, balance: s.closingBalance.toFixed(2) });
        expect(file!.movements.length).toBe(s.transactionCount);
        expect(s.transactionCount).toBeGreaterThan(0);
        expect(file!.movements.every((m) => m.bookingDate >= start && m.bookingDate <= monthEnd)).toBe(true);
      }
      // Older history (the sandbox shows 40 days) is neither read (Powens is asked from the
      // delivery start: min_date) nor delivered.
      const truth = await h.powens.admin<{ transactions: Array<{ date: string }> }>(
        'GET',
        `/transactions?connection_id=${c.powensConnectionId}`,
      );
      expect(truth.body.transactions.some((t) => t.date.slice(0, 10) < start)).toBe(true);
      const older = await h.prisma.transaction.count({
        where: { bankAccount: { connectionId: c.id }, bookingDate: { lt: new Date(`${start}T00:00:00Z`) } },
      });
      expect(older).toBe(0);
      expect(
        await h.prisma.transaction.count({
          where: {
            bankAccount: { connectionId: c.id },
            bookingDate: { lt: new Date(`${start}T00:00:00Z`) },
            statementId: { not: null },
          },
        }),
      ).toBe(0);
      // Delivered per the firm's reception mode (its mailbox), the file attached.
      const deliveries = await h.prisma.emailMessage.findMany({
        where: { idempotencyKey: { in: list.map((s) => `statement/${s.id}`) } },
        include: { attachments: true },
      });
      expect(deliveries).toHaveLength(list.length);
      expect(deliveries.every((e) => e.to === 'contact@cabinet-dupont.test' && e.attachments.length === 1)).toBe(true);
      const after = await handle.query(statusQuery);
      expect(Date.parse(after.lastSuccessAt!)).toBeGreaterThan(activation);
      expect(after.nextStatementAt! > status.nextStatementAt!).toBe(true);
      await h.retire(c);
    });
  });

  describe('transient errors', () => {
    test('transient errors (bank site down, Powens failing us) are retried and never alarm', async () => {
      const { c, handle } = await healthy({ periodicity: MONTHLY_END });
      await bankState(c, 'websiteUnavailable');
      await skip(3 * DAY);
      let status = await handle.query(statusQuery);
      expect(status).toMatchObject({ consecutiveErrors: 0, pendingLink: null, errorCode: null });
      await deliverWebhooks(); // Powens' CONNECTION_SYNCED of those syncs, state websiteUnavailable
      status = await handle.query(statusQuery);
      expect(status).toMatchObject({ consecutiveErrors: 0, pendingLink: null, errorCode: null });
      // Our own calls failing (HTTP 503 on every Powens request for a while).
      await h.powens.admin('PUT', '/faults', { failNext: 200, failStatus: 503 });
      await skip(2 * DAY);
      await h.powens.admin('DELETE', '/faults');
      status = await handle.query(statusQuery);
      expect(status.consecutiveErrors).toBe(0);
      expect(await emailsOf(c)).toHaveLength(0);
      expect(await h.prisma.link.count({ where: { connectionId: c.id } })).toBe(0);
      expect(await h.prisma.notification.count({ where: { url: `/redevables/${c.companyId}` } })).toBe(0);
      // And once the bank is back, collection goes on.
      await bankState(c, null);
      const before = (await handle.query(statusQuery)).lastSuccessAt;
      await skip(2 * DAY);
      expect((await handle.query(statusQuery)).lastSuccessAt! > (before ?? '')).toBe(true);
      await h.retire(c);
    });
  });

  describe('reconnection', () => {
    test('inside 72 h: immediate collection, missed statements caught up, link used, firm notified', async () => {
      const { c, handle } = await healthy({ periodicity: DAILY });
      const waiting = await failUntilLink(c, handle);
      const issuedBefore = (await statementsOf(c)).length;
      await skip(30 * 3_600_000); // missed daily statements meanwhile
      expect((await statementsOf(c)).length).toBe(issuedBefore);

      // The company goes through the link: Powens syncs with the new credentials, the callback signals.
      await bankState(c, null);
      await h.powens.admin('POST', `/connections/${c.powensConnectionId}/sync`, {});
      await handle.signal(reconnectedSignal, {
        source: 'callback',
        at: new Date(await h.env.currentTimeMs()).toISOString(),
      });
      const status = await until(
        () => handle.query(statusQuery),
        (s) => s.state === 'ok',
      );
      expect(status).toMatchObject({ consecutiveErrors: 0, pendingLink: null, errorCode: null });
      const link = await h.prisma.link.findUniqueOrThrow({ where: { id: waiting.pendingLink!.linkId } });
      expect(link.usedAt).not.toBeNull();
      expect(link.revokedAt).toBeNull();
      await until(
        () => emailsOf(c, 'firm.credentials-updated'),
        (l) => l.length === 1,
      );
      // Catch-up: a statement for every day missed, chaining from the last one delivered.
      const after = await statementsOf(c);
      expect(after.length).toBeGreaterThan(issuedBefore);
      const yesterday = addDays(day(await h.env.currentTimeMs()), -1);
      for (const a of c.accounts) {
        const mine = after.filter((s) => s.bankAccountId === a.id);
        expect(iso(mine[mine.length - 1]!.periodEnd) >= addDays(yesterday, -1)).toBe(true);
        expectChained(mine);
      }
      expect(await attributes(handle)).toEqual({ state: 'ok', errors: 0 });
      await h.retire(c);
    });

    test('at 72 h the link expires; the next failed attempt sends a new one', async () => {
      const { c, handle } = await healthy({ periodicity: MONTHLY_END });
      const waiting = await failUntilLink(c, handle);
      const expiresAt = Date.parse(waiting.pendingLink!.expiresAt);
      // Just before: the nights in error went on, one link all along.
      await skipTo(expiresAt - 3_600_000);
      let status = await handle.query(statusQuery);
      expect(status.pendingLink?.linkId).toBe(waiting.pendingLink!.linkId);
      expect(status.consecutiveErrors).toBeGreaterThanOrEqual(4);
      expect(await h.prisma.link.count({ where: { connectionId: c.id } })).toBe(1);
      const before = status.consecutiveErrors;
      // At 72 h the link expires; the next counted failure (the night it expires, or the next one)
      // sends a new link and tells the firm again. The next night's slot is at most a Paris day
      // later, and a Paris day lasts 25 h when the clocks go back (the 2027-10-28 start).
      await skipTo(expiresAt + DAY + 2 * 3_600_000);
      const expired = await h.prisma.link.findUniqueOrThrow({ where: { id: waiting.pendingLink!.linkId } });
      expect(expired.revokedAt!.getTime()).toBeGreaterThanOrEqual(expiresAt);
      expect(expired.revokedAt!.getTime()).toBeLessThan(expiresAt + 60_000);
      expect(expired.usedAt).toBeNull();
      status = await handle.query(statusQuery);
      expect(status.consecutiveErrors).toBeGreaterThan(before);
      expect(status.pendingLink!.linkId).not.toBe(waiting.pendingLink!.linkId);
      expect(await h.prisma.link.count({ where: { connectionId: c.id } })).toBe(2);
      expect(await emailsOf(c, 'firm.connection-alert')).toHaveLength(2);
      expect(await emailsOf(c, 'link.update-credentials')).toHaveLength(2);
      await h.retire(c);
    });
  });

  describe('deactivation', () => {
    test('deactivate/reactivate: nothing while inactive, then the next statement resumes from the last delivered date', async () => {
      const { c, handle } = await healthy({ periodicity: DAILY });
      const delivered = await statementsOf(c);
      expect(delivered.length).toBeGreaterThan(0);
      await h.prisma.bankAccount.updateMany({ where: { connectionId: c.id }, data: { active: false } });
      await handle.signal(deactivateSignal, {});
      await until(
        () => handle.query(statusQuery),
        (s) => s.state === 'inactive',
      );
      expect(await attributes(handle)).toEqual({ state: 'inactive', errors: 0 });
      const lastEnd = new Map(
        c.accounts.map((a) => [a.id, iso(delivered.filter((s) => s.bankAccountId === a.id).pop()!.periodEnd)]),
      );
      await skip(4 * DAY);
      expect((await statementsOf(c)).length).toBe(delivered.length);

      await h.prisma.bankAccount.updateMany({ where: { connectionId: c.id }, data: { active: true } });
      await handle.signal(reactivateSignal, {});
      await until(
        () => handle.query(statusQuery),
        (s) => s.state === 'ok',
      );
      await skip(3 * DAY); // the first statement after the pause waits for Powens' next daily sync, as any
      const after = await statementsOf(c);
      for (const a of c.accounts) {
        const next = after.find((s) => s.bankAccountId === a.id && iso(s.periodStart) > lastEnd.get(a.id)!);
        expect(next).toBeDefined();
        expect(iso(next!.periodStart)).toBe(addDays(lastEnd.get(a.id)!, 1));
        // No statement per paused day: the first one after the pause covers it all.
        expect(iso(next!.periodEnd) > addDays(lastEnd.get(a.id)!, 3)).toBe(true);
      }
      await h.retire(c);
    });
  });

  describe('a statement waiting for the bank', () => {
    test('is shown "En cours" with its reason while Powens cannot sync, then replaced by the statement', async () => {
      const { c, handle } = await healthy({ periodicity: DAILY });
      await bankState(c, 'websiteUnavailable'); // the bank's site is down for days: Powens' syncs fail
      await skip(3 * DAY);
      const pending = await h.prisma.statement.findMany({
        where: { bankAccount: { connectionId: c.id }, state: 'RUNNING' },
      });
      expect(pending.length).toBeGreaterThanOrEqual(c.accounts.length);
      expect(pending[0]!.errorMessage).toMatch(/^En attente des opérations de la banque jusqu’au \d{2}\/\d{2}\/\d{4}/);
      expect((await handle.query(statusQuery)).consecutiveErrors).toBe(0); // transient: never counted
      // The site is back: the next syncs cover the days, the statements replace the pending rows.
      await bankState(c, null);
      await skip(3 * DAY);
      const after = await h.prisma.statement.findMany({
        where: { id: { in: pending.map((p) => p.id) } },
      });
      expect(after).toEqual([]);
      for (const a of c.accounts) {
        const issued = await h.prisma.statement.findMany({
          where: { bankAccountId: a.id, state: 'SUCCESS' },
          orderBy: { periodEnd: 'asc' },
        });
        expectChained(issued);
        for (const p of pending.filter((x) => x.bankAccountId === a.id))
          expect(issued.some((i) => iso(i.periodEnd) >= iso(p.periodEnd))).toBe(true);
      }
      await h.retire(c);
    });
  });

  describe('a statement that cannot be produced', () => {
    test('is a failed statement with its reason, never holds up the other account, and is tried again at the next slot', async () => {
      const { c } = await healthy({ periodicity: DAILY, accounts: ['checking', 'savings'] });
      const savings = (await h.prisma.bankAccount.findMany({ where: { connectionId: c.id, type: 'savings' } }))[0]!;
      const checking = c.accounts.find((a) => a.id !== savings.id)!;
      // The bank stops showing the savings account's IBAN.
      const patched = await h.powens.admin('PATCH', `/accounts/${savings.powensAccountId}`, { iban: null });
      expect(patched.status).toBe(200);
      await skip(3 * DAY);
      const failed = await h.prisma.statement.findMany({ where: { bankAccountId: savings.id, state: 'FAILURE' } });
      expect(failed.length).toBeGreaterThan(0);
      expect(
        failed.every((f) => f.errorMessage === 'Relevé CFONB indisponible : compte sans IBAN (compte d’épargne)'),
      ).toBe(true);
      const okBefore = await h.prisma.statement.count({ where: { bankAccountId: checking.id, state: 'SUCCESS' } });
      expect(okBefore).toBeGreaterThanOrEqual(3);

      // The IBAN is back: the next slot issues what failed, the chain has neither gap nor overlap.
      await h.powens.admin('PATCH', `/accounts/${savings.powensAccountId}`, { iban: savings.iban });
      await skip(2 * DAY);
      expect(await h.prisma.statement.count({ where: { bankAccountId: savings.id, state: 'FAILURE' } })).toBe(0);
      const all = await h.prisma.statement.findMany({
        where: { bankAccountId: savings.id, state: 'SUCCESS' },
        orderBy: { periodEnd: 'asc' },
      });
      expectChained(all);
      expect(iso(all[all.length - 1]!.periodEnd) >= iso(failed[failed.length - 1]!.periodEnd)).toBe(true);
      expectChained(
        await h.prisma.statement.findMany({
          where: { bankAccountId: checking.id, state: 'SUCCESS' },
          orderBy: { periodEnd: 'asc' },
        }),
      );
      await h.retire(c);
    });
  });

  describe('collect now', () => {
    test('the update collects at once and returns the statements issued up to yesterday', async () => {
      const { c, handle } = await healthy({ periodicity: MONTHLY_END });
      const r = await handle.executeUpdate(collectNowUpdate, { args: [{ statement: true }] });
      expect(r.statementIds.length).toBe(c.accounts.length);
      const issued = await h.prisma.statement.findMany({ where: { id: { in: r.statementIds } } });
      const yesterday = addDays(day(await h.env.currentTimeMs()), -1);
      expect(issued.every((s) => iso(s.periodEnd) === yesterday)).toBe(true);
      // Idempotent: asked again the same day, nothing new.
      const again = await handle.executeUpdate(collectNowUpdate, { args: [{ statement: false }] });
      expect(again.statementIds).toEqual([]);
      expect((await statementsOf(c)).length).toBe(c.accounts.length);
      await h.retire(c);
    });

    test('the signal (ops in Temporal Web, the cycle benchmark) collects and issues the same statements, answering nobody', async () => {
      const { c, handle } = await healthy({ periodicity: MONTHLY_END });
      const before = (await statementsOf(c)).length;
      await handle.signal(collectNowSignal, { statement: true });
      await settleWorkflow(handle);
      const after = await statementsOf(c);
      expect(after.length).toBe(before + c.accounts.length);
      const yesterday = addDays(day(await h.env.currentTimeMs()), -1);
      expect(after.slice(-c.accounts.length).every((s) => iso(s.periodEnd) === yesterday)).toBe(true);
      await h.retire(c);
    });
  });

  describe('continue-as-new', () => {
    test('a small history cap continues as new and carries the state (streak, statements, link)', async () => {
      const c = await h.makeConnection({ periodicity: DAILY });
      const handle = await h.start(c, { historyCap: 60 });
      current = handle;
      const firstRun = (await handle.describe()).runId;
      await skip(3 * DAY);
      const before = await failUntilLink(c, handle);
      await skip(DAY);
      const d = await handle.describe();
      expect(d.runId).not.toBe(firstRun);
      expect(d.status.name).toBe('RUNNING');
      const after = await handle.query(statusQuery);
      // One more night of failure, counted on top of what the new run carried.
      expect(after).toMatchObject({
        consecutiveErrors: 3,
        errorCode: 'wrongpass',
        errorSince: before.errorSince,
        pendingLink: before.pendingLink,
        lastSuccessAt: before.lastSuccessAt,
      });
      expect(await attributes(handle)).toEqual({ state: 'wrongpass', errors: 3 });
      // Statements after the reconnection still chain (no duplicate, no gap) across runs.
      await bankState(c, null);
      await h.powens.admin('POST', `/connections/${c.powensConnectionId}/sync`, {});
      await handle.signal(reconnectedSignal, {
        source: 'webhook',
        at: new Date(await h.env.currentTimeMs()).toISOString(),
      });
      await until(
        () => handle.query(statusQuery),
        (s) => s.state === 'ok',
      );
      for (const a of c.accounts) {
        const mine = (await statementsOf(c)).filter((s) => s.bankAccountId === a.id);
        expect(mine.length).toBeGreaterThan(3);
        expectChained(mine);
      }
      await h.retire(c);
    });
  });
});
