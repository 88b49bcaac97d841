/**
 * `npm run bench -- idle --workflows N [--idle-seconds S]` (default 100 000, 30 s): N
 * bank-connection workflows asleep until their night slot, on a fresh Temporal dev server with the
 * real worker (compiled, its sticky cache sized from WORKER_MEMORY_BUDGET_MB). Measured: the time
 * to start them all (until every one has loaded its settings and published its next collection),
 * the worker's RSS then, and over S seconds of idleness the worker's and the server's CPU and RSS, and the server's
 * database size (SQLite file + WAL). Only our database holds the connections: nothing calls Powens
 * before the night window (21:00-03:00 Paris); a run inside that window measures collections too.
 */
import { randomBytes } from 'node:crypto';
import { countSettled, seedSleepingFleet, startConnectionWorkflows } from './fleet';
import { compiledWorker, measure, round, sleep, spawnWorker, startStack, waitUntil } from './stack';

export async function benchIdle(
  opts: { workflows?: number; idleSeconds?: number } = {},
): Promise<Record<string, unknown>> {
  const n = opts.workflows ?? 100_000;
  const IDLE_SECONDS = opts.idleSeconds ?? 30;
  const say = (s: string) => console.log(`idle: ${s}`);
  const stack = await startStack();
  try {
    const ids = await seedSleepingFleet(stack, n);
    say(`${n} connections in the database`);
    const taskQueue = `idle-${randomBytes(3).toString('hex')}`;
    const worker = spawnWorker(await compiledWorker(), stack.workerEnv(taskQueue), { name: 'worker' });
    await worker.ready;
    const startProbe = measure({ worker: () => worker.pid, temporal: () => stack.temporal.process.pid });
    const t0 = Date.now();
    let last = 0;
    await startConnectionWorkflows(stack, ids, taskQueue, {
      concurrency: 48,
      onProgress: (d) => say(`started ${d}/${n} (${((Date.now() - t0) / 1000).toFixed(0)} s)`),
    });
    const requestedSeconds = (Date.now() - t0) / 1000;
    await waitUntil(
      'every workflow asleep',
      () => countSettled(stack, taskQueue),
      (c) => c >= n,
      {
        timeoutMs: 10 * 60_000 + n * 50,
        everyMs: 2000,
        onTick: (c) => {
          if (Date.now() - last > 15_000) {
            last = Date.now();
            say(`  ${c}/${n} asleep (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
          }
        },
      },
    );
    const startSeconds = (Date.now() - t0) / 1000;
    const startProcs = startProbe.stop();
    say(`${n} workflows started in ${requestedSeconds.toFixed(1)} s, all asleep after ${startSeconds.toFixed(1)} s`);
    await sleep(5000); // let the last tasks and the sticky-cache evictions settle
    const settled = measure({ worker: () => worker.pid });
    await sleep(1000);
    const afterStart = settled.stop().worker!;
    say(`worker after the start: ${JSON.stringify(afterStart)}`);
    const idle = measure({ worker: () => worker.pid, temporal: () => stack.temporal.process.pid });
    await sleep(IDLE_SECONDS * 1000);
    const procs = idle.stop();
    const dbMb = stack.temporalDbBytes() / 2 ** 20;
    say(`idle ${IDLE_SECONDS} s: worker ${JSON.stringify(procs.worker)}; temporal ${JSON.stringify(procs.temporal)}`);
    say(`Temporal database: ${dbMb.toFixed(1)} MB (${((dbMb * 1024) / n).toFixed(2)} KB per workflow)`);
    await worker.kill('SIGTERM');
    return {
      bench: 'idle',
      workflows: n,
      startSeconds: round(startSeconds, 1),
      workflowsStartedPerSecond: round(n / startSeconds, 1),
      workerIdleCpuPercent: procs.worker!.cpuPercent,
      workerRssMb: procs.worker!.rssMb,
      serverIdleCpuPercent: procs.temporal!.cpuPercent,
      serverRssMb: procs.temporal!.rssMb,
      serverDbMb: round(dbMb, 1),
      idleSeconds: IDLE_SECONDS,
      details: {
        requestedSeconds: round(requestedSeconds, 1),
        workerRssAfterStartMb: afterStart.rssMb,
        workerMemoryBudgetMb: Number(process.env.WORKER_MEMORY_BUDGET_MB ?? 480),
        duringStart: startProcs,
      },
    };
  } finally {
    await stack.stop();
  }
}
