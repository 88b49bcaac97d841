/**
 * Contract tests of the Powens client against the sandbox over real HTTP: authentication, the
 * connect webview, accounts, transactions (pagination, incremental listing), typed errors.
 */
import { PowensError, parseWebviewCallback } from '../../integrations/powens';
import { CLIENT_ID, REDIRECT_URI, connectUser, startSandbox, type RunningSandbox } from './support';

let run: RunningSandbox;
/** A min_date before any generated history: the whole of it. */
const SINCE_EVER = '2000-01-01';
beforeAll(async () => {
  run = await startSandbox();
});
afterAll(async () => {
  await run?.close();
});

describe('authentication', () => {
  test('initUser creates a permanent user and getTemporaryCode a webview code', async () => {
    const client = run.client();
    const a = await client.initUser();
    const b = await client.initUser();
    expect(a.type).toBe('permanent');
    expect(a.id_user).toBeGreaterThan(0);
    expect(b.id_user).not.toBe(a.id_user);
    expect(a.auth_token).not.toBe(b.auth_token);
    expect(a.expires_in ?? null).toBeNull();

    const code = await client.getTemporaryCode(a.auth_token);
    expect(code.code.length).toBeGreaterThan(10);
    expect(code.expires_in).toBe(1800);
    const single = await client.getTemporaryCode(a.auth_token, { type: 'singleAccess' });
    expect(single.access).toBe('single');
  });

  test('wrong client credentials and unknown tokens are typed, non-retryable errors', async () => {
    const bad = run.client({ clientSecret: 'nope' });
    await expect(bad.initUser()).rejects.toMatchObject({ name: 'PowensError', status: 403, code: 'forbidden' });
    const err = await run
      .client()
      .getTemporaryCode('not-a-token')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PowensError);
    expect(err).toMatchObject({ status: 401, retryable: false, attempts: 1, path: '/2.0/auth/token/code' });
    // The token never appears in the error.
    expect(JSON.stringify(err)).not.toContain('not-a-token');
  });
});

describe('connect webview, accounts and transactions', () => {
  let token: string;
  let connectionId: number;
  let client: ReturnType<RunningSandbox['client']>;

  beforeAll(async () => {
    const u = await connectUser(run, { accounts: ['Compte chèque', 'card', 'savings'] });
    ({ token, connectionId, client } = u);
    expect(u.redirect.origin + u.redirect.pathname).toBe(REDIRECT_URI);
    expect(u.redirect.searchParams.get('state')).toBe('st-1');
  });

  test('the webview URLs carry the documented parameters', async () => {
    const c = run.client();
    const connect = new URL(
      c.connectUrl({
        code: 'abc',
        redirectUri: REDIRECT_URI,
        state: 's',
        connectorIds: [59],
        connectorUuids: ['c0ffee00-0000-4000-8000-000000000001'],
        accountTypes: ['checking', 'savings'],
        accountUsages: ['ORGA'],
      }),
    );
    expect(connect.pathname).toBe('/webview/connect');
    expect(Object.fromEntries(connect.searchParams)).toEqual({
      domain: new URL(run.origin).host,
      client_id: CLIENT_ID,
      code: 'abc',
      redirect_uri: REDIRECT_URI,
      state: 's',
      connector_ids: '59',
      connector_uuids: 'c0ffee00-0000-4000-8000-000000000001',
      account_types: 'checking,savings',
      account_usages: 'ORGA',
    });
    const wrong = new URL(
      c.reconnectUrl({ code: 'x', connectionId: 7, redirectUri: REDIRECT_URI, connectionState: 'wrongpass' }),
    );
    expect(wrong.pathname).toBe('/webview/reconnect');
    expect(wrong.searchParams.get('reset_credentials')).toBe('true');
    expect(wrong.searchParams.get('connection_id')).toBe('7');
    const sca = new URL(
      c.reconnectUrl({ code: 'x', connectionId: 7, redirectUri: REDIRECT_URI, connectionState: 'SCARequired' }),
    );
    expect(sca.searchParams.has('reset_credentials')).toBe(false);
    expect(new URL(c.manageUrl({ code: 'x', connectionId: 7 })).pathname).toBe('/webview/manage');
    expect(() => c.connectUrl({ redirectUri: `${REDIRECT_URI}?a=1` })).toThrow(/query/);

    const real = createRealClient();
    const u = new URL(real.connectUrl({ code: 'c', redirectUri: REDIRECT_URI, lang: 'fr' }));
    expect(u.origin + u.pathname).toBe('https://webview.powens.com/fr/connect');
    expect(u.searchParams.get('domain')).toBe('acme-sandbox');
  });

  test('the sandbox webview honours connector_uuids, account_types and account_usages', async () => {
    const c = run.client();
    const connectors = await c.listConnectors();
    const neo = connectors.find((x) => x.name === 'Néobanque Démo')!;
    expect(neo.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect((await c.getConnector(neo.id)).uuid).toBe(neo.uuid);
    const user = await c.initUser();
    const open = async (o: Partial<Parameters<typeof c.connectUrl>[0]>, play: Record<string, unknown> = {}) => {
      const { code } = await c.getTemporaryCode(user.auth_token);
      const url = c.connectUrl({ code, redirectUri: REDIRECT_URI, ...o });
      return run.admin<{ redirect?: string; error?: string }>('POST', '/webview/complete', {
        url,
        bank: 'Connecteur de test',
        ...play,
      });
    };
    // One connector uuid: the bank list is skipped, whatever bank the player names.
    const viaUuid = await open({ connectorUuids: [neo.uuid!], accountTypes: ['checking'] });
    expect(viaUuid.status).toBe(200);
    const cid = Number(new URL(viaUuid.body.redirect!).searchParams.get('connection_id'));
    const made = await c.getConnection(user.auth_token, cid, { expand: ['all_accounts'] });
    expect(made.connector_uuid).toBe(neo.uuid);
    expect(made.all_accounts!.filter((a) => !a.disabled).every((a) => a.type === 'checking')).toBe(true);
    // Usages: a personal-banking login ("par") shows PRIV accounts, none of them ORGA.
    const priv = await open({ accountUsages: ['ORGA'] }, { credentials: { website: 'par' } });
    expect(priv).toMatchObject({ status: 422, body: { step: 'accounts' } });
    const orga = await open(
      { accountUsages: ['ORGA'], accountTypes: ['savings'] },
      { credentials: { website: 'pro' } },
    );
    expect(orga.status).toBe(200);
    // An unknown uuid offers no bank.
    const none = await open({ connectorUuids: ['00000000-0000-4000-8000-000000000000'] });
    expect(new URL(none.body.redirect!).searchParams.get('error')).toBe('server_error');
  });

  test('the callback query parses into a typed result', () => {
    expect(parseWebviewCallback('connection_id=12&state=s')).toMatchObject({ connection_id: 12, state: 's' });
    expect(parseWebviewCallback('error=access_denied&error_description=x&state=s')).toMatchObject({
      error: 'access_denied',
    });
    expect(parseWebviewCallback({ connection_ids: '1,2' })).toMatchObject({ connection_ids: [1, 2] });
  });

  test('the connection is listed, ok after its first sync', async () => {
    const list = await client.listConnections(token);
    expect(list.map((c) => c.id)).toEqual([connectionId]);
    const c = await client.getConnection(token, connectionId, { expand: ['connector', 'all_accounts'] });
    expect(c.state ?? null).toBeNull();
    expect(c.id_connector).toBe(59);
    expect(c.connector?.name).toBe('Connecteur de test');
    expect(c.last_update).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(c.all_accounts).toHaveLength(8);
  });

  test('listAccounts: the chosen accounts are enabled, the others only appear with all', async () => {
    const enabled = await client.listAccounts(token);
    expect(enabled.map((a) => a.original_name).sort()).toEqual([
      'Compte carte débit différé',
      'Compte chèque',
      'Livret A',
    ]);
    const all = await client.listAccounts(token, { all: true });
    expect(all).toHaveLength(8);
    const usd = all.find((a) => a.original_name === 'Compte chèque USD')!;
    expect(usd.disabled).toMatch(/^\d{4}-/);
    expect(usd.currency?.id).toBe('USD');
    expect(usd.iban).toMatch(/^FR\d{2}13117/);
    const card = all.find((a) => a.type === 'card')!;
    expect(card.id_parent).toBe(all.find((a) => a.original_name === 'Compte chèque')!.id);
    expect(all.filter((a) => a.usage === 'ORGA')).toHaveLength(8);
    expect(all.every((a) => a.company_name === 'ENTREPRISE TEST')).toBe(true);
    expect(await client.listAccounts(token, { connectionId, all: true })).toHaveLength(8);
  });

  test('enableAccount enables an account; its transactions come with the next sync', async () => {
    const usd = (await client.listAccounts(token, { all: true })).find((a) => a.currency?.id === 'USD')!;
    expect(
      (await client
        .listTransactions(token, { minDate: SINCE_EVER, accountId: usd.id })
        .toArray()
        .catch((e) => e)) as PowensError,
    ).toMatchObject({
      status: 404,
    });
    const enabled = await client.enableAccount(token, usd.id);
    expect(enabled.disabled ?? null).toBeNull();
    expect((await client.listAccounts(token)).map((a) => a.id)).toContain(usd.id);
    expect(await client.listTransactions(token, { minDate: SINCE_EVER, accountId: usd.id }).toArray()).toEqual([]);
    const synced = await client.syncConnection(token, connectionId);
    expect(synced.state ?? null).toBeNull();
    const txs = await client.listTransactions(token, { minDate: SINCE_EVER, accountId: usd.id }).toArray();
    expect(txs.length).toBeGreaterThan(0);
    expect(txs.every((t) => t.id_account === usd.id)).toBe(true);

    const disabled = await client.disableAccount(token, usd.id);
    expect(disabled.disabled).toMatch(/^\d{4}-/);
    expect((await client.listAccounts(token)).map((a) => a.id)).not.toContain(usd.id);
  });

  test('syncConnection sends psu_requested=false unless a person asked', async () => {
    await run.admin('DELETE', '/requests');
    const seen: string[] = [];
    const spy = run.client({ fetch: (input, init) => (seen.push(String(input)), fetch(input, init)) });
    await spy.syncConnection(token, connectionId);
    await spy.syncConnection(token, connectionId, { psuRequested: true });
    expect(seen.map((u) => new URL(u).searchParams.get('psu_requested'))).toEqual(['false', 'true']);
  });

  test('transactions are typed, with the zone-less timestamps of Powens', async () => {
    const txs = await client.listTransactions(token, { minDate: SINCE_EVER }).toArray();
    expect(txs.length).toBeGreaterThan(20);
    for (const t of txs) {
      expect(t.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(typeof t.value).toBe('number');
      expect(t.last_update).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    }
    expect(new Set(txs.map((t) => t.id)).size).toBe(txs.length);
  });

  test('a user without any enabled account lists no account and no transaction', async () => {
    const c = run.client();
    const u = await c.initUser();
    expect(await c.listAccounts(u.auth_token, { all: true })).toEqual([]);
    expect(await c.listTransactions(u.auth_token, { minDate: SINCE_EVER }).toArray()).toEqual([]);
  });

  test('unknown ids are 404 PowensErrors', async () => {
    await expect(client.getConnection(token, 999_999)).rejects.toMatchObject({ status: 404, retryable: false });
  });
});

describe('transactions pagination and incremental listing', () => {
  test('more than 1000 transactions come in pages of 1000 following _links.next', async () => {
    await run.admin('PUT', '/settings', { historyDays: 120, volume: 4 });
    const { client, token, connectionId } = await connectUser(run, { accounts: ['Compte chèque', 'card'] });
    await run.admin('PUT', '/settings', { historyDays: 30, volume: 1 });
    const truth = await run.admin<{ transactions: Array<{ id: number; deleted: string | null }> }>(
      'GET',
      `/transactions?connection_id=${connectionId}`,
    );
    const expected = truth.body.transactions.map((t) => t.id).sort((a, b) => a - b);
    expect(expected.length).toBeGreaterThan(2000);

    const sizes: number[] = [];
    const links: Array<string | undefined> = [];
    for await (const page of client.listTransactions(token, { minDate: SINCE_EVER, connectionId }).pages()) {
      sizes.push(page.transactions.length);
      links.push(page._links?.next?.href);
    }
    expect(sizes.length).toBeGreaterThanOrEqual(3);
    expect(sizes.slice(0, -1).every((n) => n === 1000)).toBe(true);
    expect(links.at(-1) ?? null).toBeNull();
    // Opaque keyset links carrying the query, used as is.
    const next = new URL(links[0]!).searchParams;
    expect(next.get('cursor')).toMatch(/^[\w-]+$/);
    expect(next.has('offset')).toBe(false);
    expect(next.get('min_date')).toBe(SINCE_EVER);

    const ids: number[] = [];
    for await (const t of client.listTransactions(token, { minDate: SINCE_EVER, connectionId })) ids.push(t.id);
    expect(ids.sort((a, b) => a - b)).toEqual(expected); // `all` (default) includes the deleted ones

    const active = await client.listTransactions(token, { minDate: SINCE_EVER, connectionId, all: false }).toArray();
    expect(active.length).toBe(truth.body.transactions.filter((t) => !t.deleted).length);
  });

  test('last_update returns only what changed after the cursor, deletions included', async () => {
    const { client, token, connectionId } = await connectUser(run);
    const first = await client.listTransactions(token, { minDate: SINCE_EVER, connectionId }).toArray();
    const cursor = first
      .map((t) => t.last_update!)
      .sort()
      .at(-1)!;
    // Powens' "updated after" compares its sub-second timestamps with a cursor truncated to the
    // second: the cursor's own second comes again (harmless: the collection upserts).
    const again = await client
      .listTransactions(token, { minDate: SINCE_EVER, connectionId, lastUpdate: cursor })
      .toArray();
    expect(again.every((t) => t.last_update === cursor)).toBe(true);

    await run.admin('POST', '/clock', { advance: '2d', runDueSyncs: false });
    await run.admin('POST', `/connections/${connectionId}/sync`);
    const delta = await client
      .listTransactions(token, { minDate: SINCE_EVER, connectionId, lastUpdate: cursor })
      .toArray();
    expect(delta.length).toBeGreaterThan(0);
    expect(delta.every((t) => t.last_update! >= cursor)).toBe(true);
    expect(delta.some((t) => t.last_update! > cursor)).toBe(true);

    const truth = await run.admin<{ transactions: Array<{ id: number; last_update: string; deleted: string | null }> }>(
      'GET',
      `/transactions?connection_id=${connectionId}`,
    );
    // Changed after the cursor: in a later second, or in its second after its start (those came
    // again above). The truth's timestamps stop at the second: one written at .000 of the cursor's
    // second is not after it, and this oracle, by `>=` on them, once expected 173 such.
    const sameSecond = new Set(again.map((t) => t.id));
    const changedAfter = truth.body.transactions
      .filter((t) => t.last_update > cursor || (t.last_update === cursor && sameSecond.has(t.id)))
      .map((t) => t.id);
    expect(delta.map((t) => t.id).sort()).toEqual(changedAfter.sort());
    // Applying the delta to the first listing gives Powens' current state.
    const mirror = new Map(first.map((t) => [t.id, t]));
    for (const t of delta) mirror.set(t.id, t);
    expect([...mirror.keys()].sort()).toEqual(truth.body.transactions.map((t) => t.id).sort());
    // A Date cursor is written as Paris wall-clock time.
    const viaDate = await client
      .listTransactions(token, { minDate: SINCE_EVER, connectionId, lastUpdate: new Date(Date.now() + 864e6) })
      .toArray();
    expect(viaDate).toEqual([]);
  });
});

function createRealClient() {
  // Only builds URLs: no request is made.
  return run.client({ baseUrl: 'https://acme-sandbox.biapi.pro/2.0', webviewUrl: undefined });
}
