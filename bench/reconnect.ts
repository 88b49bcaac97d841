/**
 * `npm run bench -- reconnect [--samples N]` (default 50): how long after Powens tells us a
 * connection synced we read its transactions. Our API (api/app.ts, in-process) receives the real
 * CONNECTION_SYNCED webhook at /powens/webhooks/CONNECTION_SYNCED, signed by the sandbox, and
 * signals the connection's workflow, which collects. Measured from the moment the sandbox starts
 * delivering the webhook to the moment it receives GET …/connections/<id>/transactions for that
 * connection. One sample per connection, one at a time, on an idle fleet. Target: p95 < 5 s.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../api/app';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { countSettled, seedFleet, startConnectionWorkflows } from './fleet';
import { POWENS_WEBHOOK_SECRET, round, spawnWorker, startStack, waitUntil } from './stack';

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
    const app = createApp({
      config: loadConfig({
        DATABASE_URL: stack.databaseUrl,
        TEMPORAL_ADDRESS: stack.temporal.address,
        TEMPORAL_TASK_QUEUE: taskQueue,
        POWENS_WEBHOOK_SECRET,
        LOG_LEVEL: 'silent',
      }),
      prisma: stack.prisma,
      temporal: stack.client,
      logger: createLogger('bench-api', 'silent'),
    });
    const api = await new Promise<Server>((res) => {
      const s = app.listen(0, '127.0.0.1', () => res(s));
    });
    const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    await stack.sandbox.context.setWebhookUrl(`${apiUrl}/powens/webhooks/{event}`);
    stack.recordPowensRequests = true;
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const c = fleet.connections[i % n]!;
      const path = new RegExp(`/connections/${c.powensConnectionId}/transactions`);
      const from = stack.powensRequests.length;
      // Powens syncs the connection (its daily sync) and posts CONNECTION_SYNCED to us.
      await stack.sandbox.engine.syncConnection(c.powensConnectionId, 'background');
      const t0 = Date.now();
      const delivered = await stack.sandbox.flushWebhooks();
      if (!delivered.some((d) => d.event === 'CONNECTION_SYNCED' && d.status === 200))
        throw new Error(`webhook not accepted: ${JSON.stringify(delivered)}`);
      const hit = await waitUntil(
        `transactions read for connection ${c.powensConnectionId}`,
        async () => stack.powensRequests.slice(from).find((r) => path.test(r.url)),
        (r) => r !== undefined,
        { timeoutMs: 60_000, everyMs: 5 },
      );
      times.push(hit!.at - t0);
    }
    api.close();
    await worker.kill('SIGTERM');
    times.sort((a, b) => a - b);
    const p50 = pct(times, 50);
    const p95 = pct(times, 95);
    say(`${samples} samples: p50 ${p50} ms, p95 ${p95} ms, max ${times[times.length - 1]} ms (target p95 < 5 000 ms)`);
    return {
      bench: 'reconnect',
      samples,
      from: 'CONNECTION_SYNCED webhook at /powens/webhooks',
      p50Ms: p50,
      p95Ms: p95,
      maxMs: times[times.length - 1],
      details: { connections: n, meanMs: round(times.reduce((a, b) => a + b, 0) / times.length, 1) },
    };
  } finally {
    await stack.stop();
  }
}
