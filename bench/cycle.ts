/**
 * `npm run bench -- cycle --connections N` (default 1 000): the nightly cycle at fleet scale.
 *
 * N connections × 3 accounts in the Powens sandbox with one day of transactions, one
 * bank-connection workflow each on a fresh Temporal dev server, the real worker (worker/main.ts)
 * as a child process. Every workflow is started first and left asleep until it has loaded its
 * settings; then the whole fleet is made due at the same instant ("the slot") with the
 * `collectNow` signal (`statement: true`), which wakes each workflow as its night timer would and
 * runs the same activities (collect, issue the statements up to yesterday, queue their e-mails),
 * with two differences from a night: the collection forces a sync at Powens (the sandbox answers it
 * at once; the real one can take minutes) and is asked once, not retried. Its workflow-task count
 * over a sample of 200 is printed too (`workflowTasks`: those that waited past the sticky queue's
 * 10 s are moved to the task queue). Waiting for the real night slot is impossible in a benchmark:
 * the slots are spread over 21:00-03:00 by design. Measured: from the slot until every statement is
 * stored and its e-mail is in the mail sink; connections/s; worker and Temporal server CPU and RSS.
 * A cycle run inside that window also runs the fleet's own slots that fall during it (real
 * collections, and the activity count read from the sample's history includes them):
 * `ownSlotsDuringCycle` says how many. `--daytime [--daytime-hours H]` (default 3) seeds
 * connections whose own slots fall H hours after the run starts, as `bench idle --daytime` does: the
 * cycle alone, at any hour (H must outlast the run).
 *
 * `--temporal production --workers 2`: the same on the Temporal server built from Go modules with
 * PostgreSQL persistence (bench/temporal-production.ts), with two worker processes sharing the task
 * queue (the ceiling too); also printed: PostgreSQL connections per database (peak) and the p95 of
 * the time from the slot to each statement stored.
 *
 * `--deadline-seconds S`: stop waiting S seconds after the slot and report what was stored by then
 * (`complete: false`, connections done, the rate over the whole wait and over its last 10 minutes):
 * for a fleet whose whole cycle outlasts the time one has. `--ceiling-connections N`: the ceiling
 * on the first N workflows only (its rate is per connection; default as many as the slot makes due).
 * `--pg-statements`: PostgreSQL's account of our database's statements over the cycle
 * (pg_stat_statements, with planning time), per connection, the Powens sandbox's apart.
 * `--due-connections M`: the slot makes only M of the fleet due (spread over it): the cost per
 * connection of a cycle in a fleet of N (its histories, tables and caches), without the whole fleet.
 * `--idle-after-seconds S`: once the cycle is over, the fleet left asleep S seconds more, the
 * workers untouched: their RSS at the cycle's end and after S seconds, and every process's CPU
 * meanwhile (the sleeping fleet after a night's cycle).
 *
 * The ceiling, in the same run: a trivial workflow of the same shape (load, sleep, woken by a
 * signal) running as many no-op activities (and local ones) as one of ours ran after its wake-up (read from a
 * workflow history), with the same worker settings. Ratio = ours / ceiling in connections/s.
 */
import { randomBytes } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { collectNowSignal, connectionWorkflowId, runScheduledCollectionSignal } from '../workflows/messages';
import { ceilingWorkflow, goSignal } from './ceiling/workflows';
import { localActivityOf, workflowTasksAfterSignal, type WorkflowTaskCounts } from './history';
import { DAYTIME_HOURS, daytimeQuietUntil, idsSleepingUntil, slotsWithin, type DaytimeOptions } from './idle';
import { countSettled, seedFleet, startConnectionWorkflows } from './fleet';
import {
  compiledWorker,
  mapLimit,
  measure,
  postmasterPid,
  procSample,
  round,
  spawnWorker,
  startStack,
  statementStats,
  waitForQuiet,
  waitUntil,
  type Stack,
} from './stack';

const ACCOUNTS_PER_CONNECTION = 3;
/** The card has no IBAN at Powens: kept inactive, no statement (bench/fleet.ts). */
const STATEMENTS_PER_CONNECTION = 2;

/**
 * Per `--wake`: the signal the slot sends, and the rows of our database that say a connection is
 * done (`perConnection` of them, `since` the slot as UTC text), whose own time (`at`, UTC) gives
 * the latency from the slot; with `emails`, each row's e-mail must be in the sink too.
 */
const WAKES = {
  'collect-now': {
    signal: (h: WorkflowHandle) => h.signal(collectNowSignal, { statement: true }),
    done: 'statement stored',
    counted: 'statements stored',
    perConnection: STATEMENTS_PER_CONNECTION,
    emails: true,
    rows: (_since: string) => `"Statement" WHERE state = 'SUCCESS'`,
    at: '"receivedAt"',
  },
  night: {
    signal: (h: WorkflowHandle) => h.signal(runScheduledCollectionSignal),
    done: 'collection recorded',
    counted: 'collections recorded',
    perConnection: 1,
    emails: false,
    rows: (since: string) => `"BankConnection" WHERE "lastSuccessAt" >= '${since}'::timestamp`,
    at: '"updatedAt"',
  },
} as const;

/**
 * `daytime`: seed connections whose own night slot falls at least `daytimeHours` (default 3) after
 * the run starts: the cycle measured alone at any hour, as if run between 03:00 and 21:00 Paris.
 */
export interface CycleOptions extends DaytimeOptions {
  connections?: number;
  temporal?: 'dev' | 'production';
  workers?: number;
  /** Stop waiting this many seconds after the slot; the figures then say how far the cycle got. */
  deadlineSeconds?: number;
  /** Run the ceiling on this many workflows only (default: as many as ours). */
  ceilingConnections?: number;
  /** PostgreSQL's account of our statements over the cycle (pg_stat_statements), per connection. */
  pgStatements?: boolean;
  /**
   * Make only this many of the fleet due at the slot (spread evenly over it; default all): the cost
   * of a cycle per connection in a fleet of `connections`, whose histories, tables and caches are
   * the whole fleet's, without running the whole fleet through.
   */
  dueConnections?: number;
  /** After the cycle, the fleet left asleep this many seconds: the workers' RSS and CPU then. */
  idleAfterSeconds?: number;
  /**
   * How the slot wakes the fleet: `collect-now` (default) the collectNow signal, a forced sync and
   * the statements up to yesterday; `night` the runScheduledCollection signal, the night's own path
   * (a Powens read, no sync forced). A fleet started in the day has no statement due at its night
   * (its first is tonight's), so `night` measures the collections alone, of the transactions
   * Powens' background syncs (run by the sandbox before the slot) fetched: done when every due
   * connection has recorded its successful collection.
   */
  wake?: 'collect-now' | 'night';
}

export async function benchCycle(opts: CycleOptions = {}): Promise<Record<string, unknown>> {
  const n = opts.connections ?? 1000;
  const say = (s: string) => console.log(`cycle: ${s}`);
  const temporal = opts.temporal ?? 'dev';
  const stack = await startStack({
    temporal,
    pgStatements: opts.pgStatements,
    log: (l) => process.env.BENCH_VERBOSE && console.error(l),
  });
  try {
    return { ...(await run(stack, n, Math.max(1, opts.workers ?? 1), opts, say)), temporal };
  } finally {
    await stack.stop();
  }
}

/** Peak PostgreSQL connections per database while `sample` runs (ours, Temporal's, the rest). */
function pgConnections(stack: Stack) {
  const ours = new URL(stack.databaseUrl).pathname.slice(1);
  const peak: Record<string, number> = {};
  return {
    peak,
    async sample() {
      const r = await stack.pg.query<{ datname: string | null; n: string }>(
        `SELECT datname, count(*) AS n FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY datname`,
      );
      const now: Record<string, number> = {};
      for (const row of r.rows) {
        const key =
          row.datname === ours ? 'ours' : stack.temporalDatabases.includes(row.datname ?? '') ? 'temporal' : 'other';
        now[key] = (now[key] ?? 0) + Number(row.n);
      }
      for (const [k, v] of Object.entries(now)) peak[k] = Math.max(peak[k] ?? 0, v);
    },
  };
}

async function run(
  stack: Stack,
  n: number,
  workerCount: number,
  opts: CycleOptions,
  say: (s: string) => void,
): Promise<Record<string, unknown>> {
  const t = Date.now();
  const quietUntil = daytimeQuietUntil(opts, t);
  const fleet = await seedFleet(stack, n, {
    onProgress: (d) => say(`seeded ${d}/${n}`),
    connectionIds: quietUntil === undefined ? undefined : idsSleepingUntil(n, t, quietUntil),
  });
  if (quietUntil !== undefined)
    say(`daytime fleet: no connection's own night slot before ${new Date(quietUntil).toISOString()}`);
  say(`${n} connections × ${ACCOUNTS_PER_CONNECTION} accounts seeded in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  // ---- ours -------------------------------------------------------------------------------------
  const taskQueue = `cycle-${randomBytes(3).toString('hex')}`;
  const entry = await compiledWorker();
  const workers = Array.from({ length: workerCount }, (_, i) =>
    spawnWorker(entry, stack.workerEnv(taskQueue), { name: workerCount > 1 ? `worker-${i + 1}` : 'worker' }),
  );
  await Promise.all(workers.map((w) => w.ready));
  const ids = fleet.connections.map((c) => c.id);
  const s0 = Date.now();
  await startConnectionWorkflows(stack, ids, taskQueue, { onProgress: (d) => say(`started ${d}/${n}`) });
  await waitUntil(
    'workflows settled',
    () => countSettled(stack, taskQueue),
    (c) => c >= n,
    {
      timeoutMs: 60_000 + n * 200,
      everyMs: 1000,
    },
  );
  const startSeconds = (Date.now() - s0) / 1000;
  say(`${n} workflows started and asleep in ${startSeconds.toFixed(1)} s`);
  // Temporal drains the start's visibility and timer tasks after the last workflow is asleep: the
  // slot comes once it and PostgreSQL are quiet, so that the cycle is not charged with the start.
  const quietSeconds = await waitForQuiet({ temporal: () => stack.temporal.process.pid }, { postgres: postmasterPid });
  say(
    quietSeconds === null
      ? 'Temporal and PostgreSQL still busy 15 minutes after the start: the slot comes anyway'
      : `Temporal and PostgreSQL quiet ${quietSeconds.toFixed(0)} s after the last workflow was asleep`,
  );

  // The connections the slot makes due: all of them, or `dueConnections` spread over the fleet.
  const dueCount = Math.min(n, opts.dueConnections ?? n);
  const due = ids.filter((_, i) => Math.floor((i * dueCount) / n) !== Math.floor(((i + 1) * dueCount) / n));
  if (dueCount < n) say(`the slot makes ${due.length} of the ${n} connections due`);
  const night = opts.wake === 'night';
  const wake = WAKES[opts.wake ?? 'collect-now'];
  if (night) {
    // Powens' own background syncs of the night, before the slot: the transactions the night's
    // collection then reads (the sandbox makes them at a sync, as Powens fetches them from the bank).
    const t1 = Date.now();
    const powensIds = new Map(fleet.connections.map((c) => [c.id, c.powensConnectionId]));
    await mapLimit(due, 8, (id) => stack.sandbox.engine.syncConnection(powensIds.get(id)!, 'background'));
    say(`Powens' background syncs of the ${due.length} connections in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    await waitForQuiet({ temporal: () => stack.temporal.process.pid }, { postgres: postmasterPid });
  }
  const probe = measure(
    {
      ...workerPids(workers),
      temporal: () => stack.temporal.process.pid,
      bench: () => process.pid,
    },
    { postgres: postmasterPid },
  );
  const connections = pgConnections(stack);
  // Slots of the night window that fell while the fleet was starting (they are real collections).
  const before = await stack.pg.query<{ n: string }>(`SELECT count(*) AS n FROM "Statement" WHERE state = 'SUCCESS'`);
  const storedBeforeSlot = Number(before.rows[0]!.n);
  if (storedBeforeSlot > 0)
    say(`${storedBeforeSlot} statements already stored by the night's own slots before the bench's slot`);
  const stats = opts.pgStatements ? statementStats(stack) : null;
  await stats?.reset();
  const deadlineMs = (opts.deadlineSeconds ?? 0) * 1000;
  const samples: Array<{ at: number; done: number }> = [];
  const slot = Date.now();
  const slotUtc = new Date(slot).toISOString().replace('Z', '');
  await mapLimit(due, 64, (id) => wake.signal(stack.client.workflow.getHandle(connectionWorkflowId(id))));
  const signalSeconds = (Date.now() - slot) / 1000;
  let lastLine = 0;
  const progress = async () => {
    // Index-only counts ((state, receivedAt), (status, createdAt)): the benchmark's own load on
    // PostgreSQL stays small as the tables grow (the transactions are counted once, at the end).
    const r = await stack.pg.query<{ statements: string; sent: string; done: string }>(
      `/* bench */ SELECT (SELECT count(*) FROM "Statement" WHERE state = 'SUCCESS') AS statements,
              (SELECT count(*) FROM "EmailMessage" WHERE status = 'SENT') AS sent,
              (SELECT count(*) FROM ${wake.rows(slotUtc)}) AS done`,
    );
    return {
      statements: Number(r.rows[0]!.statements),
      sent: Number(r.rows[0]!.sent),
      inSink: stack.sink.messages.length,
      /** The rows that say a connection is done (WAKES). */
      done: Number(r.rows[0]!.done),
    };
  };
  // A connection whose workflow went back to sleep without its statements has nothing more to do
  // tonight: its collection succeeded but Powens had not synced past the period end (its forced sync
  // was lost, twice: workflows/collect.ts), so the statement waits for the next slot, by design.
  // Checked on the stragglers once the count stalls: no activity and no workflow task pending.
  let deferred: string[] = [];
  let lastCount = -1;
  let stalledSince = Date.now();
  let lastGrowthAt = Date.now();
  const asleepStragglers = async (): Promise<string[]> => {
    if (!wake.emails) return []; // only a statement waits for Powens' data
    const r = await stack.pg.query<{ id: string }>(
      `/* bench */ SELECT k.id::text AS id FROM "BankConnection" k
        WHERE k.id = ANY($1::uuid[]) AND (SELECT count(*) FROM "Statement" s JOIN "BankAccount" a ON a.id = s."bankAccountId"
                                           WHERE a."connectionId" = k.id AND s.state = 'SUCCESS') < ${STATEMENTS_PER_CONNECTION}`,
      [due],
    );
    if (r.rows.length > 50) return [];
    const asleep = await Promise.all(
      r.rows.map(async ({ id }) => {
        const d = await stack.client.workflow.getHandle(connectionWorkflowId(id)).describe();
        return (d.raw.pendingActivities ?? []).length === 0 && !d.raw.pendingWorkflowTask ? id : null;
      }),
    );
    return asleep.every(Boolean) ? (asleep as string[]) : [];
  };
  const expected = due.length * wake.perConnection;
  const allDone = (p: Awaited<ReturnType<typeof progress>>) => {
    const target = expected - deferred.length * wake.perConnection;
    return p.done >= target && (!wake.emails || p.inSink >= target);
  };
  const final = await waitUntil<Awaited<ReturnType<typeof progress>>>(
    `every ${wake.done}${wake.emails ? ' and e-mailed' : ''}`,
    progress,
    (p) => allDone(p) || (deadlineMs > 0 && Date.now() - slot >= deadlineMs),
    {
      timeoutMs: Number(process.env.BENCH_CYCLE_TIMEOUT_S ?? 0) * 1000 || 30 * 60_000 + due.length * 600,
      everyMs: due.length > 20_000 ? 2000 : 500,
      onTick: async (p) => {
        void connections.sample().catch(() => undefined);
        if (p.done !== lastCount) {
          lastCount = p.done;
          stalledSince = lastGrowthAt = Date.now();
        } else if (Date.now() - stalledSince > 30_000 && !allDone(p)) {
          stalledSince = Date.now();
          deferred = await asleepStragglers();
          if (deferred.length)
            say(`  ${deferred.length} connection(s) asleep without their statements: deferred to the next slot`);
        }
        if (Date.now() - lastLine > 10_000) {
          lastLine = Date.now();
          samples.push({ at: Date.now(), done: p.done });
          const f = stack.powensInFlight();
          const stuck =
            f.oldest[0] && f.oldest[0].ageMs > 30_000 ? `; oldest Powens request ${JSON.stringify(f.oldest)}` : '';
          say(
            `  ${((Date.now() - slot) / 1000).toFixed(0)} s: ${p.done}/${expected} ${wake.counted}, ` +
              `${p.statements} statements, ${p.inSink} e-mails; ` +
              `Powens in flight ${f.count} (closed unanswered ${f.closedUnanswered}), sandbox pool ${JSON.stringify(f.pool)}${stuck}`,
          );
        }
      },
    },
  ).catch(async (e: unknown) => {
    // What one connection did after the slot, to see where the cycle stopped.
    say(`no cycle: ${e instanceof Error ? e.message : String(e)}`);
    for (const line of await historySince(stack, due[0]!)) say(`  ${line}`);
    const r = await stack.pg.query(
      `SELECT k.active AS connection, c.active AS company, array_agg(a.active) AS accounts
         FROM "BankConnection" k JOIN "Company" c ON c.id = k."companyId" JOIN "BankAccount" a ON a."connectionId" = k.id
        WHERE k.id = $1::uuid GROUP BY 1, 2`,
      [due[0]],
    );
    say(`  active: ${JSON.stringify(r.rows[0])}`);
    throw e;
  });
  // With connections deferred to the next slot, the cycle ended with the last statement stored.
  const seconds = ((deferred.length ? lastGrowthAt : Date.now()) - slot) / 1000;
  // The fleet's own night slots (21:00-03:00 Paris) that fell during the cycle, due or not: each one
  // a real collection beside the benchmark's, so that a cycle run in the window costs more.
  const ownSlotsDuringCycle = slotsWithin(ids, slot, slot + seconds * 1000);
  if (ownSlotsDuringCycle > 0)
    say(
      `  ${ownSlotsDuringCycle} of the ${n} connections had their own night slot during the cycle (a second collection each): ` +
        `to measure the cycle alone, run it outside the 21:00-03:00 Paris window or with --daytime`,
    );
  const procs = probe.stop();
  const transactions = Number(
    (await stack.pg.query<{ n: string }>(`/* bench */ SELECT count(*) AS n FROM "Transaction"`)).rows[0]!.n,
  );
  const complete = allDone(final);
  // Connections whose two statements are stored (all of them when complete).
  const doneRows = await stack.pg.query<{ n: string }>(
    `SELECT count(*) AS n FROM (SELECT a."connectionId" FROM "Statement" s JOIN "BankAccount" a ON a.id = s."bankAccountId"
      WHERE s.state = 'SUCCESS' GROUP BY 1 HAVING count(*) >= ${STATEMENTS_PER_CONNECTION}) d`,
  );
  const connectionsDone = wake.emails ? Number(doneRows.rows[0]!.n) : final.done;
  // The rate over the last 10 minutes of the wait (steady state, past the start-up of the cycle).
  const last = samples.at(-1);
  const from = last && samples.find((x) => x.at >= last.at - 600_000);
  const lastTenMinutesPerSecond =
    last && from && last.at > from.at ? (last.done - from.done) / wake.perConnection / ((last.at - from.at) / 1000) : 0;
  const pgStatements = stats ? await stats.top(complete ? due.length : Math.max(1, connectionsDone)) : undefined;
  if (pgStatements) {
    say(
      `  PostgreSQL per connection: ours ${pgStatements.oursMsPerConnection} ms (planning ${pgStatements.oursPlanMsPerConnection} ms), ` +
        `the Powens sandbox's ${pgStatements.sandboxMsPerConnection} ms, the benchmark's ${pgStatements.benchMsPerConnection} ms; our top statements:`,
    );
    for (const t of pgStatements.top)
      say(
        `    ${t.msPerConnection} ms (plan ${t.planMsPerConnection}) ${t.callsPerConnection} calls, ${t.rowsPerCall} rows, ${t.blocksPerCall} blocks a call: ${t.query}`,
      );
  }
  const inFlight = stack.powensInFlight();
  if (!complete)
    say(
      `deadline: ${connectionsDone}/${due.length} connections done in ${seconds.toFixed(0)} s (${(connectionsDone / seconds).toFixed(1)}/s; ` +
        `last 10 minutes ${lastTenMinutesPerSecond.toFixed(1)}/s); Powens in flight ${JSON.stringify(inFlight)}`,
    );
  // From the slot to each row that says a connection is done (its own time, UTC).
  const latency = await stack.pg.query<{ p50: number; p95: number }>(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM ${wake.at}) - $1) AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM ${wake.at}) - $1) AS p95
       FROM ${wake.rows(slotUtc)}`,
    [slot / 1000],
  );
  const slotLatency = {
    p50Seconds: round(Number(latency.rows[0]?.p50 ?? 0), 2),
    p95Seconds: round(Number(latency.rows[0]?.p95 ?? 0), 2),
  };
  const connectionsPerSecond = (complete ? due.length - deferred.length : connectionsDone) / seconds;
  say(
    `ours: ${due.length} connections${dueCount < n ? ` of ${n}` : ''} in ${seconds.toFixed(1)} s from the slot (signals sent in ${signalSeconds.toFixed(1)} s) → ${connectionsPerSecond.toFixed(1)} connections/s; ` +
      `${final.statements} statements, ${transactions} transactions, ${final.inSink} e-mails`,
  );
  say(
    `  slot → ${wake.done}: p50 ${slotLatency.p50Seconds} s, p95 ${slotLatency.p95Seconds} s; ` +
      `PostgreSQL connections (peak) ${JSON.stringify(connections.peak)}`,
  );
  for (const [name, figures] of Object.entries(procs))
    if (name.startsWith('worker') && name !== 'worker') say(`  ${name} ${JSON.stringify(figures)}`);
  say(
    `  worker ${JSON.stringify(procs.worker)}; temporal ${JSON.stringify(procs.temporal)}; ` +
      `postgres ${JSON.stringify(procs.postgres)}; this process (Powens sandbox, mail sink) ${JSON.stringify(procs.bench)}`,
  );

  // Activities one of our workflows ran after its wake-up, local ones apart (the ceiling runs as many).
  const history = await stack.client.workflow.getHandle(connectionWorkflowId(due[0]!)).fetchHistory();
  let woken = false;
  let activities = 0;
  let localActivities = 0;
  let signalAt = 0;
  const names = new Map<string, string>();
  const timeline: string[] = [];
  for (const e of history.events ?? []) {
    const at = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
    const local = localActivityOf(e);
    if (e.workflowExecutionSignaledEventAttributes && !woken) {
      woken = true;
      signalAt = at;
    } else if (woken && e.activityTaskScheduledEventAttributes) {
      activities++;
      names.set(String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
    } else if (woken && e.activityTaskCompletedEventAttributes) {
      const name = names.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId)) ?? '?';
      timeline.push(`${name} done +${at - signalAt} ms`);
    } else if (woken && local !== null) {
      // A local activity: recorded with the workflow task that ran it.
      localActivities++;
      timeline.push(`${local} (local) done +${at - signalAt} ms`);
    }
  }
  say(`  one connection after the slot: ${timeline.join(', ')}`);
  const workflowTasks = await sampleWorkflowTasks(stack, due.map(connectionWorkflowId));
  say(`  workflow tasks after the wake-up: ${JSON.stringify(workflowTasks)}`);
  const afterCycle = opts.idleAfterSeconds ? await idleAfterCycle(stack, workers, opts.idleAfterSeconds, say) : null;
  await Promise.all(workers.map((w) => w.kill('SIGTERM')));

  // ---- ceiling ----------------------------------------------------------------------------------
  const ceilingQueue = `ceiling-${randomBytes(3).toString('hex')}`;
  const ceilingWorkers = Array.from({ length: workerCount }, (_, i) =>
    spawnWorker('bench/ceiling/worker.ts', stack.workerEnv(ceilingQueue), { name: `ceiling-${i + 1}` }),
  );
  await Promise.all(ceilingWorkers.map((w) => w.ready));
  const ceilingWorker = ceilingWorkers[0]!;
  const ceilingN = Math.min(due.length, opts.ceilingConnections ?? due.length);
  const ceilingIds = ids.slice(0, ceilingN).map((id) => `ceiling/${id}`);
  await mapLimit(ceilingIds, 32, (workflowId) =>
    stack.client.workflow.start(ceilingWorkflow, {
      workflowId,
      taskQueue: ceilingQueue,
      args: [{ activities, localActivities }],
    }),
  );
  await waitUntil(
    'ceiling workflows settled',
    () => countSettled(stack, ceilingQueue),
    (c) => c >= ceilingN,
    {
      timeoutMs: 60_000 + ceilingN * 200,
      everyMs: 1000,
    },
  );
  const ceilingProbe = measure(
    { worker: () => ceilingWorker.pid, temporal: () => stack.temporal.process.pid, bench: () => process.pid },
    { postgres: postmasterPid },
  );
  const c0 = Date.now();
  await mapLimit(ceilingIds, 64, (id) => stack.client.workflow.getHandle(id).signal(goSignal));
  await waitUntil(
    'ceiling workflows completed',
    async () =>
      (await stack.client.workflow.count(`TaskQueue = "${ceilingQueue}" AND ExecutionStatus = "Completed"`)).count,
    (c) => c >= ceilingN,
    { timeoutMs: 30 * 60_000, everyMs: 250 },
  );
  const ceilingSeconds = (Date.now() - c0) / 1000;
  const ceilingProcs = ceilingProbe.stop();
  const ceilingWorkflowTasks = await sampleWorkflowTasks(stack, ceilingIds);
  await Promise.all(ceilingWorkers.map((w) => w.kill('SIGTERM')));
  const ceilingConnectionsPerSecond = ceilingN / ceilingSeconds;
  say(
    `ceiling: ${ceilingN} workflows × ${activities} no-op activities and ${localActivities} local ones in ${ceilingSeconds.toFixed(1)} s → ${ceilingConnectionsPerSecond.toFixed(1)}/s; ` +
      `worker ${JSON.stringify(ceilingProcs.worker)}`,
  );
  say(`  ceiling's workflow tasks after the wake-up: ${JSON.stringify(ceilingWorkflowTasks)}`);
  const ratioToCeiling = connectionsPerSecond / ceilingConnectionsPerSecond;
  const projected10k = 10_000 / connectionsPerSecond;
  say(
    `ratio ours/ceiling ${ratioToCeiling.toFixed(3)} (target ≥ 0.5); at this rate 10 000 connections take ${(projected10k / 60).toFixed(1)} min (target ≤ 10)`,
  );
  return {
    bench: 'cycle',
    connections: n,
    ...(dueCount < n ? { dueConnections: due.length } : {}),
    complete,
    ...(complete ? {} : { connectionsDone, lastTenMinutesPerSecond: round(lastTenMinutesPerSecond, 2) }),
    ...(deferred.length ? { deferredToNextSlot: deferred.length } : {}),
    seconds: round(seconds, 1),
    connectionsPerSecond: round(connectionsPerSecond, 2),
    ceilingConnectionsPerSecond: round(ceilingConnectionsPerSecond, 2),
    ratioToCeiling: round(ratioToCeiling, 3),
    workers: workerCount,
    ...(night ? { wake: 'night', slotToCollection: slotLatency } : { slotToStatement: slotLatency }),
    postgresConnectionsPeak: connections.peak,
    details: {
      accounts: n * ACCOUNTS_PER_CONNECTION,
      statements: final.statements,
      transactions,
      emails: final.inSink,
      activitiesPerConnection: activities,
      localActivitiesPerConnection: localActivities,
      storedBeforeSlot,
      ownSlotsDuringCycle,
      ...(opts.daytime ? { daytimeHours: opts.daytimeHours ?? DAYTIME_HOURS } : {}),
      ...(pgStatements ? { pgStatements } : {}),
      ceilingConnections: ceilingN,
      workerWarnings: workers.map((w) => w.warnings),
      powensInFlightAtEnd: {
        count: inFlight.count,
        closedUnanswered: inFlight.closedUnanswered,
        oldest: inFlight.oldest,
      },
      sampleTimeline: timeline,
      workflowTasks,
      ...(afterCycle ? { afterCycle } : {}),
      startSeconds: round(startSeconds, 1),
      signalSeconds: round(signalSeconds, 1),
      worker: procs.worker,
      otherWorkers: Object.fromEntries(Object.entries(procs).filter(([k]) => /^worker\d/.test(k))),
      temporal: procs.temporal,
      postgres: procs.postgres,
      sandboxAndSink: procs.bench,
      ceilingSeconds: round(ceilingSeconds, 1),
      ceilingWorker: ceilingProcs.worker,
      ceilingTemporal: ceilingProcs.temporal,
      ceilingPostgres: ceilingProcs.postgres,
      ceilingWorkflowTasks,
    },
  };
}

/**
 * Workflow tasks per workflow after its wake-up, over an even sample of 200: those that waited past
 * the sticky queue's timeout were moved to the task queue (a history event more, and the whole
 * history sent to the worker that takes it).
 */
async function sampleWorkflowTasks(stack: Stack, workflowIds: string[]) {
  const sample = workflowIds
    .filter((_, i) => i % Math.max(1, Math.floor(workflowIds.length / 200)) === 0)
    .slice(0, 200);
  const tasks: WorkflowTaskCounts = { scheduled: 0, stickyTimedOut: 0, startToCloseTimedOut: 0, failed: 0 };
  await mapLimit(sample, 16, async (workflowId) => {
    const h = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    const c = workflowTasksAfterSignal(h.events ?? []);
    for (const k of Object.keys(tasks) as Array<keyof WorkflowTaskCounts>) tasks[k] += c[k];
  });
  return {
    sample: sample.length,
    perWorkflow: round(tasks.scheduled / Math.max(1, sample.length), 2),
    stickyTimedOut: tasks.stickyTimedOut,
    startToCloseTimedOut: tasks.startToCloseTimedOut,
    failed: tasks.failed,
  };
}

/** Each worker's pid by the name the figures use: `worker`, `worker2`, … */
const workerPids = (workers: Array<{ pid: number | undefined }>) =>
  Object.fromEntries(workers.map((w, i) => [i === 0 ? 'worker' : `worker${i + 1}`, () => w.pid]));

/**
 * The fleet asleep after its cycle, `seconds` long, nothing signalled: each worker's RSS when the
 * cycle ended and after the wait (its peak meanwhile), and the CPU every process spent idle.
 */
async function idleAfterCycle(
  stack: Stack,
  workers: Array<{ pid: number | undefined }>,
  seconds: number,
  say: (s: string) => void,
) {
  const pids = workerPids(workers);
  const workerRssAtCycleEndMb = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, Math.round(procSample(pid())?.rssMb ?? 0)]),
  );
  say(`idle after the cycle: ${seconds} s; workers' RSS now ${JSON.stringify(workerRssAtCycleEndMb)} MB`);
  const probe = measure(
    { ...pids, temporal: () => stack.temporal.process.pid, bench: () => process.pid },
    { postgres: postmasterPid },
  );
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const idle = probe.stop();
  say(`  after ${seconds} s idle: ${JSON.stringify(idle)}`);
  return { seconds, workerRssAtCycleEndMb, idle };
}

/** One workflow's history as short lines (event type, activity, failure), for a diagnosis. */
async function historySince(stack: Stack, connectionId: string): Promise<string[]> {
  const history = await stack.client.workflow.getHandle(connectionWorkflowId(connectionId)).fetchHistory();
  return (history.events ?? []).map((e) => {
    const type = String(e.eventType ?? '?');
    const detail =
      e.activityTaskScheduledEventAttributes?.activityType?.name ??
      localActivityOf(e) ??
      e.activityTaskFailedEventAttributes?.failure?.message ??
      e.workflowExecutionSignaledEventAttributes?.signalName ??
      (e.timerStartedEventAttributes
        ? `timer ${Number(e.timerStartedEventAttributes.startToFireTimeout?.seconds ?? 0)} s`
        : '');
    return `#${e.eventId} ${type} ${detail}`;
  });
}
