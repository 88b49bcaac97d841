/**
 * The crash-and-fault harness (`npm run chaos -- --connections N [--days D] [--kills K]`, and a
 * small run in test/chaos): N connections × 3 accounts (2 with statements: the card has no IBAN)
 * over D simulated days, the Powens sandbox
 * answering 20 % of its API calls with a 5xx, 5 % with a 429 (Retry-After 1 s), every call
 * delayed, and the bank changing or deleting transactions between days, while the worker (the real
 * worker/main.ts, a child process) and the API are SIGKILLed K times in all at random moments and
 * restarted. Then `verify()` reads every stored statement back with the strict CFONB reader.
 *
 * Simulated days on a real-time Temporal server. The dev server's clock cannot be moved, and the
 * time-skipping server never expires the heartbeat of an activity whose worker was killed (tried:
 * the workflow hangs), so the days are statement periods in the recent past: day r ends on
 * e_r = today − D − 1 + r (Paris). For day r the sandbox clock is set to e_r + 1 (the bank shows
 * its transactions through e_r), the company's periodicity is MONTHLY on e_r's day of month, and
 * each connection's workflow is started again (WorkflowIdConflictPolicy TERMINATE_EXISTING, the
 * previous run being idle) with its state saying the statement ending e_r is due. Powens then runs
 * its daily background sync of every connection (its data through e_r), and the night comes: the
 * `runScheduledCollection` signal runs each workflow's nightly collection, a read of Powens, which
 * issues exactly that statement through the workflow's catch-up, as the night after e_r would.
 * Connections still lacking their statement after 20 s (a collection that failed on faults) get
 * the signal again, as the next night would.
 *
 * The API (api/server.ts, a child process too) receives the sandbox's signed CONNECTION_SYNCED
 * webhooks, as from Powens, and signals the workflows, which collect again on them. The kills
 * alternate between the worker and the API; a webhook sent while the API is down is retried by
 * the sandbox, as Powens does.
 */
import { randomBytes } from 'node:crypto';
import { addDays, parisDate } from '../domain/schedule';
import { bankConnectionWorkflow } from '../workflows/bank-connection';
import { initialState } from '../workflows/connection-run';
import { connectionWorkflowId, runScheduledCollectionSignal } from '../workflows/messages';
import { freePort } from '../lib/net';
import { seedFleet, type Fleet } from './fleet';
import { mapLimit, sleep, spawnWorker, startStack, waitUntil, type Stack, type WorkerProcess } from './stack';
import { verify, type Verdict } from './verify';

export interface ChaosOptions {
  connections: number;
  days: number;
  kills: number;
  /** Share of the bank's booked transactions changed or deleted between two days (default 3 %). */
  mutationRate?: number;
  /** Multiplies the sandbox's daily transactions (default 3: the days may be a weekend). */
  volume?: number;
  /**
   * The first simulated day (ISO date, in the past): tests pass a fixed one so that their result
   * does not depend on the day they run. Default: the `days` days before today.
   */
  firstDay?: string;
  log?: (line: string) => void;
}

export interface ChaosResult {
  connections: number;
  statements: number;
  transactions: number;
  kills: number;
  faults: number;
  lost: number;
  doubled: number;
  unchained: number;
  details: Omit<Verdict, 'statements' | 'transactions' | 'lost' | 'doubled' | 'unchained'> & {
    days: string[];
    mutations: { deleted: number; changed: number };
    resignals: number;
    /** CONNECTION_SYNCED webhooks the API accepted. */
    webhooks: number;
    seconds: number;
  };
}

const noon = (date: string) => new Date(`${date}T12:00:00Z`);

export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  const log = opts.log ?? ((l: string) => console.log(`chaos: ${l}`));
  const stack = await startStack({ sandbox: { historyDays: 1, volume: opts.volume ?? 3 } });
  try {
    return await run(stack, opts, log);
  } finally {
    await stack.stop();
  }
}

async function run(stack: Stack, opts: ChaosOptions, log: (l: string) => void): Promise<ChaosResult> {
  const t0 = Date.now();
  const first = opts.firstDay ?? addDays(parisDate(Date.now()), -opts.days);
  if (addDays(first, opts.days) > parisDate(Date.now())) throw new Error(`chaos: the days from ${first} must be past`);
  const days = Array.from({ length: opts.days }, (_, i) => addDays(first, i));
  const ctx = stack.sandbox.context;
  await ctx.setClockOffset(noon(addDays(days[0]!, 1)).getTime() - Date.now());
  const fleet = await seedFleet(stack, opts.connections, {
    periodicity: { kind: 'MONTHLY', day: dayOf(days[0]!) },
    activatedAt: noon(addDays(days[0]!, 1)),
  });
  log(`${opts.connections} connections × 3 accounts (2 with statements); days ${days.join(', ')}`);
  Object.assign(ctx.faults, { errorRate: 0.2, rateLimitRate: 0.05, retryAfterSeconds: 1, latencyMs: 20 });

  const taskQueue = `chaos-${randomBytes(3).toString('hex')}`;
  const env = stack.workerEnv(taskQueue);
  let worker: WorkerProcess = spawnWorker('worker/main.ts', env, { name: 'worker', log: () => undefined });
  await worker.ready;
  const apiPort = await freePort();
  const apiEnv = { ...env, API_HOST: '127.0.0.1', API_PORT: String(apiPort) };
  const startApi = () =>
    spawnWorker('api/server.ts', apiEnv, { name: 'api', log: () => undefined, readyMessage: 'API listening' });
  let api = startApi();
  await api.ready;
  await ctx.setWebhookUrl(`http://127.0.0.1:${apiPort}/powens/webhooks/{event}`);
  // The sandbox's webhook delivery, one round at a time (its own retry schedule; not its daily syncs).
  let webhooks = 0;
  let delivering = false;
  const deliverer = setInterval(() => {
    if (delivering) return;
    delivering = true;
    stack.sandbox
      .flushWebhooks({ force: false })
      .then((r) => void (webhooks += r.filter((d) => d.ok).length))
      .catch(() => undefined)
      .finally(() => (delivering = false));
  }, 500);

  // The killer: K SIGKILLs spread over the days, each at a random moment while the day's
  // collections run (0.3-4 s after its signals), each followed by a restart after 0.5-2 s.
  let kills = 0;
  const killsOn = days.map(
    (_, r) => Math.floor(((r + 1) * opts.kills) / days.length) - Math.floor((r * opts.kills) / days.length),
  );
  const killDuringDay = async (count: number) => {
    for (let k = 0; k < count; k++) {
      await sleep(300 + Math.random() * 3700);
      const victim = kills % 2 === 0 ? 'worker' : 'API';
      await (victim === 'worker' ? worker : api).kill('SIGKILL');
      kills++;
      log(`${victim} SIGKILLed (${kills}/${opts.kills}) at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      await sleep(500 + Math.random() * 1500);
      if (victim === 'worker') {
        worker = spawnWorker('worker/main.ts', env, { name: 'worker', log: () => undefined });
        await worker.ready;
      } else {
        api = startApi();
        await api.ready;
      }
    }
  };

  const mutations = { deleted: 0, changed: 0 };
  let resignals = 0;
  try {
    for (const [r, end] of days.entries()) {
      if (r > 0) {
        await ctx.setClockOffset(noon(addDays(end, 1)).getTime() - Date.now());
        const m = await mutateBank(stack, fleet, opts.mutationRate ?? 0.03);
        mutations.deleted += m.deleted;
        mutations.changed += m.changed;
        log(`day ${end}: the bank deleted ${m.deleted} and changed ${m.changed} transactions`);
        await stack.pg.query(`UPDATE "Company" SET "periodicityDay" = $1 WHERE "portalAccountId" = $2`, [
          dayOf(end),
          fleet.portalAccountId,
        ]);
      }
      const state = { ...initialState(), lastStatementSlot: r > 0 ? days[r - 1]! : null, nextStatementEnd: end };
      await mapLimit(fleet.connections, 32, (c) =>
        stack.client.workflow.start(bankConnectionWorkflow, {
          workflowId: connectionWorkflowId(c.id),
          taskQueue,
          args: [{ connectionId: c.id, state }],
          workflowIdConflictPolicy: 'TERMINATE_EXISTING',
        }),
      );
      // Powens' daily background sync of each connection (its CONNECTION_SYNCED webhooks reach the
      // API, which signals the workflows), then the night's collection of every connection.
      await mapLimit(fleet.connections, 8, (c) =>
        stack.sandbox.engine.syncConnection(c.powensConnectionId, 'background'),
      );
      const signal = (ids: string[]) =>
        mapLimit(ids, 32, (id) =>
          stack.client.workflow.getHandle(connectionWorkflowId(id)).signal(runScheduledCollectionSignal),
        );
      await signal(fleet.connections.map((c) => c.id));
      const killer = killDuringDay(killsOn[r]!);
      void killer.catch(() => undefined); // awaited below; a failed restart must not go unhandled meanwhile
      let lastSignal = Date.now();
      await waitUntil(
        `day ${end}: every statement stored and queued for e-mail`,
        () => lagging(stack, fleet, end),
        (ids) => ids.length === 0,
        {
          timeoutMs: 20 * 60_000 + opts.connections * 2000,
          everyMs: 1000,
          onTick: (ids) => {
            if (ids.length > 0 && Date.now() - lastSignal > 20_000) {
              lastSignal = Date.now();
              resignals += ids.length;
              void signal(ids).catch(() => undefined);
            }
          },
        },
      );
      await killer;
      log(`day ${end} done at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    // Every statement e-mail out of the outbox (sent by whichever worker is alive).
    await waitUntil(
      'every statement e-mail sent',
      async () =>
        (
          await stack.pg.query<{ n: string }>(
            `SELECT count(*) AS n FROM "EmailMessage" WHERE "idempotencyKey" LIKE 'statement/%' AND status <> 'SENT'`,
          )
        ).rows[0]!.n,
      (n) => n === '0',
      { timeoutMs: 10 * 60_000, everyMs: 1000 },
    );
  } finally {
    clearInterval(deliverer);
    await Promise.all([worker.kill('SIGTERM'), api.kill('SIGTERM')]);
  }
  const faults = stack.powensFaults();
  const verdict = await verify({
    pg: stack.pg,
    fleet,
    coveredThrough: days[days.length - 1]!,
    sinkMessages: stack.sink.messages,
  });
  const { statements, transactions, lost, doubled, unchained, ...rest } = verdict;
  return {
    connections: opts.connections,
    statements,
    transactions,
    kills,
    faults,
    lost,
    doubled,
    unchained,
    details: { ...rest, days, mutations, resignals, webhooks, seconds: Math.round((Date.now() - t0) / 1000) },
  };
}

const dayOf = (date: string) => Number(date.slice(8, 10));

/** Connections lacking the statement ending `end` on an account, or its queued e-mail. */
async function lagging(stack: Stack, fleet: Fleet, end: string): Promise<string[]> {
  const { rows } = await stack.pg.query<{ id: string }>(
    `SELECT DISTINCT a."connectionId" AS id FROM "BankAccount" a
     JOIN "Company" c ON c.id = a."companyId"
     LEFT JOIN "Statement" s ON s."bankAccountId" = a.id AND s."periodEnd" = $1::date AND s.state = 'SUCCESS'
     LEFT JOIN "EmailMessage" e ON e."idempotencyKey" = 'statement/' || s.id
     WHERE c."portalAccountId" = $2 AND a.active AND (s.id IS NULL OR e.id IS NULL)`,
    [end, fleet.portalAccountId],
  );
  return rows.map((r) => r.id);
}

/**
 * The bank changes its mind between two days: a share of the booked transactions (delivered or
 * not) is deleted or gets a corrected amount, stamped with the sandbox's time so that the
 * incremental read (last_update) sees it, as Powens would show it.
 */
async function mutateBank(stack: Stack, fleet: Fleet, rate: number): Promise<{ deleted: number; changed: number }> {
  const now = stack.sandbox.now();
  const ids = fleet.connections.flatMap((c) => c.accounts.map((a) => a.powensAccountId));
  const day = parisDate(now);
  const entry = (event: string) => JSON.stringify([{ event, day, at: now.toISOString(), source: 'chaos' }]);
  // At least one of each kind whenever the bank has booked transactions (small runs too).
  const pick = async (share: number) =>
    (
      await stack.pg.query<{ id: number }>(
        `WITH c AS (SELECT id FROM powens_sandbox.transactions
                    WHERE id_account = ANY($1::int[]) AND deleted IS NULL AND NOT coming)
         SELECT id FROM c ORDER BY random() LIMIT greatest(1, ceil((SELECT count(*) FROM c) * $2::float8))`,
        [ids, share],
      )
    ).rows.map((r) => r.id);
  const deleted = await stack.pg.query(
    `UPDATE powens_sandbox.transactions SET deleted = $2, last_update = $2, next_event = NULL, history = history || $3::jsonb
     WHERE id = ANY($1::int[])`,
    [await pick(rate / 2), now, entry('deleted')],
  );
  const changed = await stack.pg.query(
    `UPDATE powens_sandbox.transactions SET value_cents = value_cents - 137, last_update = $2, history = history || $3::jsonb
     WHERE id = ANY($1::int[]) AND deleted IS NULL`,
    [await pick(rate / 2), now, entry('changed')],
  );
  return { deleted: deleted.rowCount ?? 0, changed: changed.rowCount ?? 0 };
}
