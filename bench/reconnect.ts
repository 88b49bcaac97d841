/**
 * `npm run bench -- reconnect [--samples N]` (default 50): reconnection latency, from the moment
 * we learn that a connection was repaired to the first Powens transactions read for it.
 *
 * Our Powens webhook endpoint (/powens/webhooks) is not on main yet, so the measure starts at the
 * `reconnected` signal, which is what that endpoint and the Powens callback send to the
 * connection's workflow; the HTTP hop of the webhook itself is not included. It ends when the
 * sandbox receives GET …/connections/<id>/transactions for that connection. One sample per
 * connection, one at a time, on an idle fleet of N connections. Target: p95 < 5 s.
 */
import { randomBytes } from 'node:crypto';
import { connectionWorkflowId, reconnectedSignal } from '../workflows/messages';
import { countSettled, seedFleet, startConnectionWorkflows } from './fleet';
import { round, spawnWorker, startStack, waitUntil } from './stack';

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

export async function benchReconnect(
  opts: { connections?: number; samples?: number } = {},
): Promise<Record<string, unknown>> {
  const samples = opts.samples ?? 50;
  const n = Math.max(opts.connections ?? samples, 1);
  const say = (s: string) => console.log(`reconnect: ${s}`);
  const stack = await startStack();
  try {
    const fleet = await seedFleet(stack, n);
    const taskQueue = `reconnect-${randomBytes(3).toString('hex')}`;
    const worker = spawnWorker('worker/main.ts', stack.workerEnv(taskQueue), { name: 'worker' });
    await worker.ready;
    await startConnectionWorkflows(
      stack,
      fleet.connections.map((c) => c.id),
      taskQueue,
    );
    await waitUntil(
      'workflows settled',
      () => countSettled(stack, taskQueue),
      (c) => c >= n,
      { timeoutMs: 120_000 },
    );
    stack.recordPowensRequests = true;
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const c = fleet.connections[i % n]!;
      const path = new RegExp(`/connections/${c.powensConnectionId}/transactions`);
      const from = stack.powensRequests.length;
      const t0 = Date.now();
      await stack.client.workflow
        .getHandle(connectionWorkflowId(c.id))
        .signal(reconnectedSignal, { source: 'webhook', at: new Date(t0).toISOString() });
      const hit = await waitUntil(
        `transactions read for connection ${c.powensConnectionId}`,
        async () => stack.powensRequests.slice(from).find((r) => path.test(r.url)),
        (r) => r !== undefined,
        { timeoutMs: 60_000, everyMs: 5 },
      );
      times.push(hit!.at - t0);
    }
    await worker.kill('SIGTERM');
    times.sort((a, b) => a - b);
    const p50 = pct(times, 50);
    const p95 = pct(times, 95);
    say(`${samples} samples: p50 ${p50} ms, p95 ${p95} ms, max ${times[times.length - 1]} ms (target p95 < 5 000 ms)`);
    return {
      bench: 'reconnect',
      samples,
      from: 'reconnected signal',
      p50Ms: p50,
      p95Ms: p95,
      maxMs: times[times.length - 1],
      details: { connections: n, meanMs: round(times.reduce((a, b) => a + b, 0) / times.length, 1) },
    };
  } finally {
    await stack.stop();
  }
}
