/**
 * The client's retries against faults injected in the sandbox (real HTTP): 5xx with exponential
 * backoff and jitter, 429 honouring Retry-After, timeouts, non-idempotent calls, cancellation.
 * Attempts are counted twice: by the sandbox's request log and by the client's own sleeps.
 */
import { PowensError, createPowensClient } from '../../integrations/powens';
import { backoffDelay, parseRetryAfter } from '../../integrations/powens/http';
import { CLIENT_ID, CLIENT_SECRET, startSandbox, type RunningSandbox } from './support';

let run: RunningSandbox;
let token: string;
beforeAll(async () => {
  run = await startSandbox();
  token = (await run.client().initUser()).auth_token;
});
afterAll(async () => {
  await run?.close();
});
beforeEach(async () => {
  await run.admin('DELETE', '/faults');
  await run.admin('DELETE', '/requests');
});

/** A client whose waits are recorded and skipped. */
function recordingClient(extra: Parameters<RunningSandbox['client']>[0] = {}) {
  const sleeps: number[] = [];
  const client = run.client({
    ...extra,
    retry: { baseDelayMs: 200, maxDelayMs: 1000, sleep: async (ms) => void sleeps.push(ms), ...extra.retry },
  });
  return { client, sleeps };
}
const attempts = async (path: string) =>
  (await run.admin<{ requests: Array<{ status: number; fault: string | null }> }>('GET', `/requests?path=${path}`)).body
    .requests;

test('5xx: retried with exponential backoff and jitter until it succeeds', async () => {
  await run.admin('PUT', '/faults', { failNext: 3, pathPattern: '^/users/me/connections$' });
  const { client, sleeps } = recordingClient();
  expect(await client.listConnections(token)).toEqual([]);
  const log = await attempts('/users/me/connections');
  expect(log.map((e) => e.status)).toEqual([500, 500, 500, 200]);
  expect(sleeps).toHaveLength(3);
  // Equal jitter: attempt n waits between d/2 and d, d = 200 ms × 2^(n-1).
  [200, 400, 800].forEach((d, i) => {
    expect(sleeps[i]).toBeGreaterThanOrEqual(d / 2);
    expect(sleeps[i]).toBeLessThanOrEqual(d);
  });
});

test('5xx: after maxAttempts the PowensError says retryable, with the attempt count', async () => {
  await run.admin('PUT', '/faults', { failNext: 10, failStatus: 503 });
  const { client, sleeps } = recordingClient();
  const err = (await client.listConnections(token).catch((e) => e)) as PowensError;
  expect(err).toBeInstanceOf(PowensError);
  expect(err).toMatchObject({ status: 503, code: 'bug', retryable: true, attempts: 4 });
  expect(sleeps).toHaveLength(3);
  expect(await attempts('/users/me/connections')).toHaveLength(4);
});

test('429: Retry-After is honoured (recorded waits)', async () => {
  await run.admin('PUT', '/faults', { rateLimitNext: 2, retryAfterSeconds: 3 });
  const { client, sleeps } = recordingClient();
  expect(await client.listConnections(token)).toEqual([]);
  expect(sleeps).toEqual([3000, 3000]);
  const log = await attempts('/users/me/connections');
  expect(log.map((e) => [e.status, e.fault])).toEqual([
    [429, 'rate-limit'],
    [429, 'rate-limit'],
    [200, null],
  ]);
});

test('429: Retry-After is honoured (real time)', async () => {
  await run.admin('PUT', '/faults', { rateLimitNext: 1, retryAfterSeconds: 1 });
  const client = run.client();
  const started = Date.now();
  expect(await client.listConnections(token)).toEqual([]);
  expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  expect((await attempts('/users/me/connections')).map((e) => e.status)).toEqual([429, 200]);
});

test('429 without Retry-After backs off; a Retry-After above the cap is not waited for', async () => {
  await run.admin('PUT', '/faults', { rateLimitNext: 1, retryAfterSeconds: null });
  const a = recordingClient();
  await a.client.listConnections(token);
  expect(a.sleeps).toHaveLength(1);
  expect(a.sleeps[0]).toBeLessThanOrEqual(200);

  await run.admin('PUT', '/faults', { rateLimitNext: 1, retryAfterSeconds: 600 });
  const b = recordingClient();
  const err = (await b.client.listConnections(token).catch((e) => e)) as PowensError;
  expect(err).toMatchObject({ status: 429, retryable: true, retryAfterMs: 600_000, attempts: 1 });
  expect(b.sleeps).toEqual([]);
});

test('timeouts are retried, then reported as code "timeout"', async () => {
  await run.admin('PUT', '/faults', { latencyMs: 400 });
  const { client, sleeps } = recordingClient({ timeoutMs: 100, retry: { maxAttempts: 2 } });
  const err = (await client.listConnections(token).catch((e) => e)) as PowensError;
  expect(err).toMatchObject({ code: 'timeout', status: 0, retryable: true, attempts: 2 });
  expect(sleeps).toHaveLength(1);
});

test('non-idempotent calls (initUser) are not retried on 5xx, but are on 429', async () => {
  // Aimed at /auth/init: a late request of the previous test (its client gave up at 100 ms, a
  // loaded machine can deliver it later) must not take the fault.
  await run.admin('PUT', '/faults', { failNext: 1, pathPattern: '^/auth/init$' });
  const a = recordingClient();
  await expect(a.client.initUser()).rejects.toMatchObject({ status: 500, attempts: 1 });
  expect(a.sleeps).toEqual([]);

  await run.admin('PUT', '/faults', { rateLimitNext: 1, retryAfterSeconds: 0, pathPattern: '^/auth/init$' });
  const b = recordingClient();
  const user = await b.client.initUser();
  expect(user.type).toBe('permanent');
  expect((await attempts('/auth/init')).map((e) => e.status)).toEqual([500, 429, 200]);
});

test('client errors (4xx) are not retried', async () => {
  const { client, sleeps } = recordingClient();
  await expect(client.getConnection(token, 123456)).rejects.toMatchObject({ status: 404, attempts: 1 });
  expect(sleeps).toEqual([]);
});

test('faults can target one path; the share of errors is seeded', async () => {
  await run.admin('PUT', '/faults', { errorRate: 1, pathPattern: '^/auth/token/code$' });
  const { client } = recordingClient({ retry: { maxAttempts: 2 } });
  expect(await client.listConnections(token)).toEqual([]);
  await expect(client.getTemporaryCode(token)).rejects.toMatchObject({ status: 500, attempts: 2 });

  await run.admin('PUT', '/faults', { errorRate: 0.5 });
  const results: number[] = [];
  for (let i = 0; i < 20; i++) {
    const r = await fetch(`${run.baseUrl}/connectors`);
    results.push(r.status);
  }
  expect(results.filter((s) => s === 500).length).toBeGreaterThan(2);
  expect(results.filter((s) => s === 200).length).toBeGreaterThan(2);
});

test('an aborted call stops at once, even while waiting to retry', async () => {
  await run.admin('PUT', '/faults', { failNext: 5 });
  const controller = new AbortController();
  const client = run.client({ retry: { baseDelayMs: 10_000, maxDelayMs: 10_000 } });
  const started = Date.now();
  const pending = client.listConnections(token, { signal: controller.signal }).catch((e) => e);
  setTimeout(() => controller.abort(new Error('cancelled by the activity')), 100);
  const err = (await pending) as Error;
  expect(err.message).toBe('cancelled by the activity');
  expect(Date.now() - started).toBeLessThan(5000);
});

test('network failures are retryable "network" errors; malformed bodies are not retried', async () => {
  const down = createPowensClient({
    baseUrl: 'http://127.0.0.1:9/2.0',
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    retry: { maxAttempts: 2, sleep: async () => undefined },
  });
  await expect(down.listConnections('t')).rejects.toMatchObject({
    code: 'network',
    status: 0,
    retryable: true,
    attempts: 2,
  });

  let calls = 0;
  const broken = createPowensClient({
    baseUrl: 'http://powens.invalid/2.0',
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    fetch: async () => (calls++, new Response(JSON.stringify({ connections: [{ id: 'x' }] }), { status: 200 })),
  });
  const err = (await broken.listConnections('t').catch((e) => e)) as PowensError;
  expect(err).toMatchObject({ code: 'invalidResponse', retryable: false, attempts: 1 });
  expect(err.description).toMatch(/connections\.0\.id/);
  expect(calls).toBe(1);
});

describe('backoff arithmetic (pure)', () => {
  test('equal jitter between d/2 and d, capped', () => {
    const at = (random: number) => (n: number) =>
      backoffDelay(n, { baseDelayMs: 500, maxDelayMs: 15_000, random: () => random });
    expect([1, 2, 3, 4, 5, 6, 7].map(at(0))).toEqual([250, 500, 1000, 2000, 4000, 7500, 7500]);
    expect([1, 2, 3, 6, 10].map(at(0.999999))).toEqual([500, 1000, 2000, 15_000, 15_000]);
  });
  test('Retry-After: seconds or an HTTP date', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
    const now = Date.parse('2026-11-23T10:00:00Z');
    expect(parseRetryAfter('Mon, 23 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 09:00:00 GMT', now)).toBe(0);
  });
});
