/**
 * Transactions as the real Powens lists them: `limit` required (≤ 1000), only the last month
 * without `min_date`, opaque keyset `_links.next` links. The collect activity (real Powens port,
 * real HTTP to the sandbox, real PostgreSQL) always sends `min_date`: after a month-long SCA lapse,
 * the transactions Powens back-fills older than a month are collected only thanks to it.
 */
import { COLLECT_MARGIN_DAYS, accountMinDate, transactionsMinDate } from '../../integrations/powens';
import { addDays, parisDate } from '../../domain/schedule';
import { oneMonthBefore } from '../../domain/statements';
import { useTestDatabase } from '../support/db';
import { collectFixture, connectUser, startSandbox, type RunningSandbox } from './support';

let run: RunningSandbox;
const db = useTestDatabase();
beforeAll(async () => {
  run = await startSandbox({ historyDays: 10 });
});
afterAll(async () => {
  await run?.close();
});

interface Page {
  transactions: Array<{ id: number; date: string; last_update: string }>;
  _links: { next: { href: string } | null };
}
async function get(token: string, pathAndQuery: string): Promise<{ status: number; body: Page & { code?: string } }> {
  const res = await fetch(pathAndQuery.startsWith('http') ? pathAndQuery : `${run.baseUrl}${pathAndQuery}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: (await res.json()) as Page & { code?: string } };
}
const today = () => parisDate(run.sandbox.now());

describe('the sandbox lists transactions as Powens documents it', () => {
  let u: Awaited<ReturnType<typeof connectUser>>;
  beforeAll(async () => {
    await run.admin('PUT', '/settings', { historyDays: 70, volume: 4 });
    u = await connectUser(run, { accounts: ['Compte chèque', 'card'] });
    await run.admin('PUT', '/settings', { historyDays: 10, volume: 1 });
  });

  test('limit is required; above 1000 it is clamped to 1000', async () => {
    const missing = await get(u.token, '/users/me/transactions');
    expect(missing).toMatchObject({ status: 400, body: { code: 'missingParameter' } });
    expect((await get(u.token, '/users/me/transactions?limit=0')).status).toBe(400);
    const big = await get(u.token, '/users/me/transactions?limit=5000&min_date=2000-01-01&all');
    expect(big.status).toBe(200);
    expect(big.body.transactions).toHaveLength(1000);
    expect(new URL(big.body._links.next!.href).searchParams.get('limit')).toBe('1000');
  });

  test('without min_date only the last month comes; with it, the older history too', async () => {
    const monthAgo = oneMonthBefore(today());
    const ids = async (query: string) => {
      const out: Page['transactions'] = [];
      for (let url: string | null = `/users/me/transactions?limit=1000&all${query}`; url;) {
        const page = await get(u.token, url);
        expect(page.status).toBe(200);
        out.push(...page.body.transactions);
        url = page.body._links.next?.href ?? null;
      }
      return out;
    };
    const recent = await ids('');
    expect(recent.length).toBeGreaterThan(0);
    expect(recent.every((t) => t.date >= monthAgo)).toBe(true);
    const all = await ids('&min_date=2000-01-01');
    expect(all.some((t) => t.date < monthAgo)).toBe(true);
    expect(all.filter((t) => t.date >= monthAgo).map((t) => t.id)).toEqual(recent.map((t) => t.id));
    // A month bound is the month's first day; filter=date bounds the same day here.
    const sinceMonth = await ids(`&min_date=${monthAgo.slice(0, 7)}&filter=date`);
    expect(sinceMonth.every((t) => t.date >= `${monthAgo.slice(0, 7)}-01`)).toBe(true);
    expect((await get(u.token, '/users/me/transactions?limit=10&filter=nope')).status).toBe(400);
  });

  test('pages follow opaque keyset links that carry the query; every transaction comes once', async () => {
    const truth = await run.admin<{ transactions: Array<{ id: number }> }>(
      'GET',
      `/transactions?connection_id=${u.connectionId}`,
    );
    const seen: number[] = [];
    const links: string[] = [];
    for (let url: string | null = `/users/me/transactions?limit=300&min_date=2000-01-01&all`; url;) {
      const page = await get(u.token, url);
      seen.push(...page.body.transactions.map((t) => t.id));
      url = page.body._links.next?.href ?? null;
      if (url) links.push(url);
    }
    expect(links.length).toBeGreaterThanOrEqual(2);
    for (const href of links) {
      const q = new URL(href).searchParams;
      expect(href.startsWith(run.origin)).toBe(true);
      expect(q.get('min_date')).toBe('2000-01-01');
      expect(q.has('all')).toBe(true);
      expect(q.has('offset')).toBe(false);
      expect(q.get('cursor')).toMatch(/^[\w-]+$/);
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.sort((a, b) => a - b)).toEqual(truth.body.transactions.map((t) => t.id).sort((a, b) => a - b));
    const forged = await get(u.token, '/users/me/transactions?limit=10&cursor=not-a-cursor');
    expect(forged.status).toBe(400);
  });
});

describe('min_date of a collection (pure)', () => {
  test('an account never delivered: its delivery start, one month before its activation (Paris day)', () => {
    expect(accountMinDate({ activatedAt: '2026-03-31T22:30:00', collectedUntil: null })).toBe('2026-03-01');
    expect(accountMinDate({ activatedAt: new Date('2026-03-15T10:00:00Z'), collectedUntil: null })).toBe('2026-02-15');
  });

  test('a delivered account: the day after its last statement minus the margin, never before its delivery start', () => {
    const activatedAt = '2026-01-10T09:00:00';
    expect(accountMinDate({ activatedAt, collectedUntil: '2026-06-30' })).toBe(
      addDays('2026-07-01', -COLLECT_MARGIN_DAYS),
    );
    expect(accountMinDate({ activatedAt, collectedUntil: new Date('2026-06-30T00:00:00Z') })).toBe(
      addDays('2026-07-01', -COLLECT_MARGIN_DAYS),
    );
    expect(accountMinDate({ activatedAt, collectedUntil: '2026-01-20' })).toBe('2025-12-21');
    expect(accountMinDate({ activatedAt, collectedUntil: '2026-01-05' })).toBe('2025-12-10');
  });

  test('a connection: the earliest of its active accounts', () => {
    const at = new Date('2026-09-15T20:00:00Z');
    const accounts = [
      { activatedAt: '2026-01-10T09:00:00', collectedUntil: '2026-08-31', active: true },
      { activatedAt: '2026-08-20T09:00:00', collectedUntil: null, active: true },
      { activatedAt: '2025-01-01T09:00:00', collectedUntil: null, active: false },
    ];
    expect(transactionsMinDate(accounts, at)).toBe('2026-07-20');
    expect(transactionsMinDate([], at)).toBe(addDays('2026-09-15', -COLLECT_MARGIN_DAYS));
  });
});

describe('the collect activity sends min_date', () => {
  test('after a 45-day SCA lapse, the older back-filled transactions are collected thanks to min_date', async () => {
    const { u, account, collect, requested, activatedAt, remote } = await collectFixture(run, db);
    expect(await collect(run.sandbox.now())).toMatchObject({ state: null });
    const first = await db.prisma.transaction.count({ where: { bankAccountId: account.id } });
    expect(first).toBeGreaterThan(0);

    // The company does not pass an SCA for 45 days: Powens does not sync a connection waiting for
    // its user. When the user finally syncs, the bank gives all 45 days at once.
    await run.admin('POST', `/connections/${u.connectionId}/state`, { state: 'SCARequired', apply: true });
    const later = new Date(run.sandbox.now().getTime() + 45 * 86_400_000);
    await run.sandbox.advanceClock(later);
    expect(await collect(run.sandbox.now())).toMatchObject({ state: 'SCARequired', collected: 0 });
    expect((await u.client.syncConnection(u.token, u.connectionId, { psuRequested: true })).state ?? null).toBeNull();

    requested.length = 0;
    const result = await collect(run.sandbox.now());
    expect(result.state).toBeNull();
    // Every transaction the bank shows for the lapse's first two weeks (older than Powens' default
    // month) is stored.
    const monthAgo = oneMonthBefore(today());
    const stored = new Set(
      (await db.prisma.transaction.findMany({ where: { bankAccountId: account.id }, select: { powensId: true } })).map(
        (t) => Number(t.powensId),
      ),
    );
    const truth = await run.admin<{
      transactions: Array<{ id: number; id_account: number; date: string; deleted: string | null }>;
    }>('GET', `/transactions?connection_id=${u.connectionId}`);
    const backFilled = truth.body.transactions.filter(
      (t) => t.id_account === remote.id && !t.deleted && t.date >= parisDate(activatedAt) && t.date < monthAgo,
    );
    expect(backFilled.length).toBeGreaterThan(5);
    expect(backFilled.filter((t) => !stored.has(t.id))).toEqual([]);

    const listing = requested.find((r) => r.pathname.endsWith('/transactions'))!;
    const expectedMin = oneMonthBefore(parisDate(activatedAt));
    expect(listing.searchParams.get('min_date')).toBe(expectedMin);
    expect(listing.searchParams.get('filter')).toBe('date');

    // The same incremental listing without min_date (Powens' default window) would have missed them.
    const cursor = listing.searchParams.get('last_update')!;
    const withoutMin = await get(
      u.token,
      `/users/me/connections/${u.connectionId}/transactions?limit=1000&all&last_update=${encodeURIComponent(cursor)}`,
    );
    expect(withoutMin.status).toBe(200);
    expect(withoutMin.body.transactions.some((t) => t.date < monthAgo)).toBe(false);
    expect(withoutMin.body._links.next).toBeNull();
  });
});
