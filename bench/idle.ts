/**
 * `npm run bench -- idle --workflows N [--idle-seconds S]` (default 100 000, 30 s): N
 * bank-connection workflows asleep until their night slot, on a fresh Temporal dev server with the
 * real worker (compiled, its sticky cache sized from WORKER_MEMORY_BUDGET_MB). Measured: the time
 * to start them all (until every one has loaded its settings and published its next collection),
 * the worker's RSS then, and over S seconds of idleness the worker's and the server's CPU and RSS, and the server's
 * database size (SQLite file + WAL). Only our database holds the connections: nothing calls Powens
 * before a connection's night slot (spread over 21:00-03:00 Paris); a run inside that window
 * measures those collections too, and says how many slots fell in its idle measurement.
 * `--daytime` seeds connections whose slots fall after the run (`--daytime-hours`, default 3):
 * the fleet as it sleeps between 03:00 and 21:00, measured at any hour.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { nextCollectionSlot } from '../domain/schedule';
import { countSettled, seedSleepingFleet, startConnectionWorkflows } from './fleet';
import { compiledWorker, measure, round, sleep, spawnWorker, startStack, waitUntil } from './stack';

/** `n` connection ids whose next night slot after `from` is not before `until`. */
export function idsSleepingUntil(n: number, from: number, until: number): string[] {
  const ids: string[] = [];
  while (ids.length < n) {
    const id = randomUUID();
    if (nextCollectionSlot(id, from).getTime() >= until) ids.push(id);
  }
  return ids;
}

/** `--daytime`: the fleet's own night slots fall at least this many hours after the run starts. */
export const DAYTIME_HOURS = 3;
export interface DaytimeOptions {
  daytime?: boolean;
  daytimeHours?: number;
}

/** With `daytime`, the instant before which none of the fleet's own night slots may fall. */
export function daytimeQuietUntil(opts: DaytimeOptions, runStart: number): number | undefined {
  return opts.daytime ? runStart + (opts.daytimeHours ?? DAYTIME_HOURS) * 3_600_000 : undefined;
}

/** How many of these connections have their night slot in [from, to). */
export function slotsWithin(ids: string[], from: number, to: number): number {
  return ids.filter((id) => nextCollectionSlot(id, from).getTime() < to).length;
}

export async function benchIdle(
  opts: { workflows?: number; idleSeconds?: number } & DaytimeOptions = {},
): Promise<Record<string, unknown>> {
  const n = opts.workflows ?? 100_000;
  const IDLE_SECONDS = opts.idleSeconds ?? 30;
  const say = (s: string) => console.log(`idle: ${s}`);
  const runStart = Date.now();
  const quietUntil = daytimeQuietUntil(opts, runStart);
  const stack = await startStack();
  try {
    const ids = await seedSleepingFleet(stack, n, {
      connectionIds: quietUntil === undefined ? undefined : idsSleepingUntil(n, runStart, quietUntil),
    });
    say(
      `${n} connections in the database` +
        (quietUntil === undefined ? '' : `, none with a night slot before ${new Date(quietUntil).toISOString()}`),
    );
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
    const idleFrom = Date.now();
    await sleep(IDLE_SECONDS * 1000);
    const procs = idle.stop();
    const slotsDuringStart = slotsWithin(ids, t0, idleFrom);
    const slotsDuringIdle = slotsWithin(ids, idleFrom, Date.now());
    if (quietUntil !== undefined && Date.now() > quietUntil)
      say(`the run outlasted --daytime-hours: slots may have fallen in it (counted below)`);
    say(`night slots: ${slotsDuringStart} during the start, ${slotsDuringIdle} during the idle measurement`);
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
      slotsDuringIdle,
      daytime: quietUntil !== undefined,
      details: {
        slotsDuringStart,
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
