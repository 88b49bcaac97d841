/**
 * A forced sync as Powens wants it (docs.powens.com: connections, `psu_requested`; SCA and
 * connection states; fair usage policy), through the collect activity with `forceSync` (the
 * firm's "Collecter maintenant") and the typed client, over real HTTP to the sandbox:
 *  - `psu_requested=false`: the firm asking is not the account holder (no SCA prompt at the bank);
 *  - one request is one sync: never retried on a 5xx, a timeout or a network failure (the sync may
 *    have run, and a second one could prompt the holder again); a 429 (refused) is retried;
 *  - the sandbox, like Powens, does not run a sync of a connection that waits for its user unless
 *    the request is the action it waits for; its own background syncs skip such connections too.
 */
import { USER_ACTION_STATES } from '../../domain/powens-states';
import { useTestDatabase } from '../support/db';
import { collectFixture, connectUser, startSandbox, waitFor, type RunningSandbox } from './support';

let run: RunningSandbox;
const db = useTestDatabase();
beforeAll(async () => {
  run = await startSandbox({ historyDays: 5 });
});
afterAll(async () => {
  await run?.close();
});
beforeEach(async () => {
  await run.admin('DELETE', '/faults');
  await run.admin('DELETE', '/requests');
});

type Logged = { method: string; status: number; fault: string | null };
const requestsTo = async (path: string) =>
  (await run.admin<{ requests: Logged[] }>('GET', `/requests?path=${encodeURIComponent(path)}`)).body.requests;
/** The CONNECTION_SYNCED webhooks the sandbox produced for a connection (one per sync that ran). */
const syncsOf = async (connectionId: number) =>
  (
    await run.admin<{ webhooks: Array<{ body: { connection: { id: number } } }> }>(
      'GET',
      '/webhooks?event=CONNECTION_SYNCED',
    )
  ).body.webhooks.filter((w) => w.body.connection.id === connectionId).length;

describe('the collect activity’s forced sync', () => {
  test('sends one PUT with psu_requested=false', async () => {
    const f = await collectFixture(run, db);
    const before = await syncsOf(f.u.connectionId);
    f.requested.length = 0;
    expect(await f.collect(run.sandbox.now(), true)).toMatchObject({ state: null });
    const puts = (await requestsTo(`/users/me/connections/${f.u.connectionId}`)).filter((r) => r.method === 'PUT');
    expect(puts).toHaveLength(1);
    const sync = f.requested.find((u) => u.pathname.endsWith(`/connections/${f.u.connectionId}`))!;
    expect(sync.searchParams.get('psu_requested')).toBe('false');
    expect(await syncsOf(f.u.connectionId)).toBe(before + 1);
  });

  test('a 5xx on the sync is not retried: one request, the attempt reported as a failed call', async () => {
    const f = await collectFixture(run, db);
    await run.admin('PUT', '/faults', { failNext: 5, failStatus: 503, pathPattern: '^/users/me/connections/\\d+$' });
    const r = await f.collect(run.sandbox.now(), true);
    expect(r).toMatchObject({ state: 'bug', collected: 0 });
    expect((await requestsTo(`/users/me/connections/${f.u.connectionId}`)).map((e) => [e.method, e.status])).toEqual([
      ['PUT', 503],
    ]);
  });

  test('on a connection waiting for its user (wrongpass): nothing runs at the bank, the state is read', async () => {
    const f = await collectFixture(run, db);
    await run.admin('POST', `/connections/${f.u.connectionId}/state`, { state: 'wrongpass', apply: true });
    const before = await syncsOf(f.u.connectionId);
    expect(await f.collect(run.sandbox.now(), true)).toMatchObject({ state: 'wrongpass', collected: 0 });
    expect(await syncsOf(f.u.connectionId)).toBe(before);
  });
});

describe('the client', () => {
  let u: Awaited<ReturnType<typeof connectUser>>;
  beforeAll(async () => {
    u = await connectUser(run);
  });

  test('a timeout on the sync is not retried, although the sync ran at the bank', async () => {
    const before = await syncsOf(u.connectionId);
    await run.admin('PUT', '/faults', { latencyMs: 400, pathPattern: '^/users/me/connections/\\d+$' });
    const sleeps: number[] = [];
    const client = run.client({ retry: { sleep: async (ms) => void sleeps.push(ms) } });
    await expect(client.syncConnection(u.token, u.connectionId, { timeoutMs: 100 })).rejects.toMatchObject({
      code: 'timeout',
      attempts: 1,
    });
    expect(sleeps).toEqual([]);
    await waitFor(
      () => syncsOf(u.connectionId),
      (n) => n === before + 1,
    );
    await new Promise((r) => setTimeout(r, 600));
    expect(await syncsOf(u.connectionId)).toBe(before + 1); // one request, one sync
  });

  test('a 429 (the request was refused) is retried', async () => {
    await run.admin('PUT', '/faults', { rateLimitNext: 1, retryAfterSeconds: 0 });
    const synced = await run.client().syncConnection(u.token, u.connectionId);
    expect(synced.state ?? null).toBeNull();
    expect((await requestsTo(`/users/me/connections/${u.connectionId}`)).map((e) => e.status)).toEqual([429, 200]);
  });
});

describe('the sandbox runs no sync of a connection waiting for its user', () => {
  let u: Awaited<ReturnType<typeof connectUser>>;
  beforeAll(async () => {
    u = await connectUser(run);
  });
  afterEach(async () => {
    await run.admin('POST', `/connections/${u.connectionId}/state`, { state: null, apply: true });
  });

  test.each(USER_ACTION_STATES.map((s) => [s]))(
    '%s: a forced sync (psu_requested=false) is not attempted: same state, no data, no webhook',
    async (state) => {
      // The bank condition clears at once (syncs: 1) but the connection still waits for its user.
      await run.admin('POST', `/connections/${u.connectionId}/state`, { state, syncs: 1 });
      const failed = await u.client.syncConnection(u.token, u.connectionId);
      expect(failed.state).toBe(state);
      const before = await syncsOf(u.connectionId);
      const again = await u.client.syncConnection(u.token, u.connectionId);
      expect(again.state).toBe(state);
      expect(again.last_update).toBe(failed.last_update);
      expect(await syncsOf(u.connectionId)).toBe(before);
      // Powens' own background syncs skip it too, day after day.
      const days = new Date(run.sandbox.now().getTime() + 3 * 86_400_000);
      await run.sandbox.advanceClock(days);
      expect(await syncsOf(u.connectionId)).toBe(before);
      expect((await u.client.getConnection(u.token, u.connectionId)).state).toBe(state);
    },
  );

  test('only the action the state waits for runs: an SCA with the user present, new credentials', async () => {
    await run.admin('POST', `/connections/${u.connectionId}/state`, { state: 'SCARequired', apply: true });
    expect((await u.client.syncConnection(u.token, u.connectionId)).state).toBe('SCARequired');
    expect((await u.client.syncConnection(u.token, u.connectionId, { psuRequested: true })).state ?? null).toBeNull();

    await run.admin('POST', `/connections/${u.connectionId}/state`, { state: 'wrongpass', apply: true });
    const before = await syncsOf(u.connectionId);
    expect((await u.client.syncConnection(u.token, u.connectionId, { psuRequested: true })).state).toBe('wrongpass');
    expect((await u.client.updateConnection(u.token, u.connectionId, {})).state).toBe('wrongpass');
    expect(await syncsOf(u.connectionId)).toBe(before);
    const fixed = await u.client.updateConnection(u.token, u.connectionId, { login: 'demo', password: 'nouveau' });
    expect(fixed.state ?? null).toBeNull();
    expect(await syncsOf(u.connectionId)).toBe(before + 1);
  });
});
