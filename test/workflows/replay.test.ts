/**
 * Determinism and durability of the bank-connection workflow:
 *  - the histories kept in test/fixtures/histories/ (recorded from real runs) replay against the
 *    current workflow code: a change that would break running workflows fails here
 *    (collect-now-signal-before-patch.json: a signal the code before its patch() left unanswered);
 *  - fresh histories of the main branches replay too (`RECORD_HISTORIES=1` writes them to the
 *    folder, to be committed when the workflow code changes on purpose, with `patched()`);
 *  - the statements are issued by local activities (since `local-statements-2026-12`), and so is
 *    the night's collection (since `local-collect-2026-12`);
 *  - a worker that dies while an activity runs loses nothing and doubles nothing.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { localActivityOf } from '../../bench/history';
import { addDays, parisDate } from '../../domain/schedule';
import {
  collectNowSignal,
  collectNowUpdate,
  reconnectedSignal,
  runScheduledCollectionSignal,
  statusQuery,
} from '../../workflows/messages';
import { fixture } from '../support/fixtures';
import { startHarness, type Harness, type TestConnection } from './support';

const HISTORIES = fixture('histories');
const DAY = 86_400_000;
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

async function skip(ms: number) {
  await h.env.sleep(ms);
  await h.catchUp();
}

async function replayAll(histories: Array<{ workflowId: string; history: unknown }>) {
  const results = [];
  for await (const r of Worker.runReplayHistories(
    { workflowsPath: require.resolve('../../workflows') },
    histories.map((x) => ({
      workflowId: x.workflowId,
      history: temporal.api.history.v1.History.fromObject(x.history as object),
    })),
  ))
    results.push({ workflowId: r.workflowId, error: r.error?.message ?? null });
  return results;
}

test('the recorded histories replay against the current workflow code', async () => {
  const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));
  expect(files.length).toBeGreaterThanOrEqual(3);
  const histories = files.map((f) => ({
    workflowId: f.replace(/\.json$/, ''),
    history: JSON.parse(readFileSync(join(HISTORIES, f), 'utf8')) as unknown,
  }));
  const results = await replayAll(histories);
  expect(results).toEqual(histories.map((x) => ({ workflowId: x.workflowId, error: null })));
});

test('the replayer catches a workflow that no longer makes the same decisions', async () => {
  // The API tests' stand-in, registered under the real workflow's name, schedules no activity.
  const history = JSON.parse(readFileSync(join(HISTORIES, 'statements-and-collect-now.json'), 'utf8')) as object;
  const results = [];
  for await (const r of Worker.runReplayHistories(
    { workflowsPath: require.resolve('../fixtures/workflows/connection-workflow') },
    [{ workflowId: 'changed', history: temporal.api.history.v1.History.fromObject(history) }],
  ))
    results.push(r.error?.name ?? null);
  expect(results).toEqual(['DeterminismViolationError']);
});

describe('fresh histories of the main branches', () => {
  let worker: Worker;
  let running: Promise<void>;
  beforeAll(async () => {
    worker = await h.newWorker();
    running = worker.run();
  });
  afterAll(async () => {
    worker.shutdown();
    await running;
  });

  /** Fetches a workflow's history, checks that it replays, and writes it when recording. */
  async function keep(name: string, c: TestConnection) {
    const handle = h.env.client.workflow.getHandle(`bank-connection/${c.id}`);
    const history = await handle.fetchHistory();
    const json = JSON.parse(JSON.stringify(history)) as unknown;
    const [result] = await replayAll([{ workflowId: name, history: json }]);
    expect(result).toEqual({ workflowId: name, error: null });
    if (process.env.RECORD_HISTORIES === '1')
      writeFileSync(join(HISTORIES, `${name}.json`), `${JSON.stringify(json)}\n`);
    return history.events?.length ?? 0;
  }

  test('nights of collection, a monthly statement, a collect-now update, the status query', async () => {
    const c = await h.makeConnection({ periodicity: { kind: 'MONTHLY', day: 0, month: null } });
    const handle = await h.start(c);
    await skip(12 * DAY);
    await handle.executeUpdate(collectNowUpdate, { args: [{ statement: true }] });
    expect((await handle.query(statusQuery)).state).toBe('ok');
    await h.retire(c);
    expect(await keep('statements-and-collect-now', c)).toBeGreaterThan(20);
  });

  test('a night runs local activities only (collection, statements, "En cours"): no activity task at Temporal, their markers in the history', async () => {
    const c = await h.makeConnection({ periodicity: { kind: 'DAILY', day: null, month: null } });
    const handle = await h.start(c);
    await skip(3 * DAY);
    await h.retire(c);
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    expect(scheduled).not.toContain('collect');
    expect(scheduled).not.toContain('issueStatements');
    expect(scheduled).not.toContain('markStatementsPending');
    const local = events.flatMap((e) => localActivityOf(e) ?? []);
    // A collection each night (three nights), by a local activity since local-collect-2026-12.
    expect(local.filter((name) => name === 'collect').length).toBeGreaterThanOrEqual(3);
    const issued = local.filter((name) => name === 'issueStatements');
    // A daily statement each night, each one's statements stored once.
    expect(issued.length).toBeGreaterThanOrEqual(2);
    const statements = await h.prisma.statement.findMany({
      where: { bankAccount: { connectionId: c.id }, state: 'SUCCESS' },
    });
    expect(statements).toHaveLength(issued.length * c.accounts.length);
    // The night's period end the bank's data does not cover yet: shown "En cours", by a local activity too.
    expect(local).toContain('markStatementsPending');
    const pending = await h.prisma.statement.count({
      where: { bankAccount: { connectionId: c.id }, state: 'RUNNING' },
    });
    expect(pending).toBe(c.accounts.length);
    await keep('night-local-activities', c);
  });

  test('two failures, a link, the reconnection, the catch-up', async () => {
    const c = await h.makeConnection({ periodicity: { kind: 'DAILY', day: null, month: null } });
    const handle = await h.start(c);
    await skip(2 * DAY);
    await h.powens.admin('POST', `/connections/${c.powensConnectionId}/state`, { state: 'wrongpass' });
    await skip(DAY);
    await h.deliverWebhooks(); // Powens' failed sync, by HTTP to our endpoint
    await skip(2 * DAY);
    expect((await handle.query(statusQuery)).pendingLink).not.toBeNull();
    await h.powens.admin('POST', `/connections/${c.powensConnectionId}/state`, { state: null });
    await h.powens.admin('POST', `/connections/${c.powensConnectionId}/sync`, {});
    await handle.signal(reconnectedSignal, {
      source: 'callback',
      at: new Date(await h.env.currentTimeMs()).toISOString(),
    });
    await skip(DAY);
    expect((await handle.query(statusQuery)).state).toBe('ok');
    await h.retire(c);
    await keep('failure-link-reconnection', c);
  });

  test('a collectNow signal (ops in Temporal Web) collects and issues the statements', async () => {
    const c = await h.makeConnection({ periodicity: { kind: 'MONTHLY', day: 0, month: null } });
    const handle = await h.start(c);
    await skip(3 * DAY);
    await handle.signal(collectNowSignal, { statement: true });
    await skip(60_000);
    const statements = await h.prisma.statement.count({ where: { bankAccount: { connectionId: c.id } } });
    expect(statements).toBe(c.accounts.length);
    await h.retire(c);
    await keep('collect-now-signal', c);
  });

  test('a link that expires, then continue-as-new with a small history cap', async () => {
    const c = await h.makeConnection({ periodicity: { kind: 'WEEKLY', day: 2, month: null } });
    const handle = await h.start(c, { historyCap: 80 });
    const firstRun = (await handle.describe()).runId;
    await skip(DAY);
    await h.powens.admin('POST', `/connections/${c.powensConnectionId}/state`, { state: 'SCARequired' });
    await skip(3 * DAY); // two nights in error: the link
    await handle.signal(runScheduledCollectionSignal); // ops: the same night's collection again
    await handle.executeUpdate(collectNowUpdate, { args: [{ statement: false }] }); // no forced sync now
    await skip(5 * DAY); // the link expires, a new one goes out
    const d = await handle.describe();
    expect(d.runId).not.toBe(firstRun);
    await h.retire(c);
    // The first run (it ends with continue-as-new).
    const first = await h.env.client.workflow.getHandle(`bank-connection/${c.id}`, firstRun).fetchHistory();
    const json = JSON.parse(JSON.stringify(first)) as unknown;
    const [result] = await replayAll([{ workflowId: 'link-expiry-continue-as-new', history: json }]);
    expect(result!.error).toBeNull();
    if (process.env.RECORD_HISTORIES === '1')
      writeFileSync(join(HISTORIES, 'link-expiry-continue-as-new.json'), `${JSON.stringify(json)}\n`);
  });
});

test('a worker dying in the middle of the work: another worker finishes, nothing lost or doubled', async () => {
  const c = await h.makeConnection({ periodicity: { kind: 'MONTHLY', day: 0, month: null } });
  // The activity does its work and commits it, but its worker dies before the attempt succeeds;
  // Temporal retries it on another worker. (A kill -9 would be noticed through the 2-minute
  // heartbeat timeout instead, which the time-skipping server does not skip while the attempt is
  // outstanding; the retry that follows is the same.)
  const stopped = new Set<string>();
  let reached: () => void = () => undefined;
  const dying =
    (name: 'collect' | 'issueStatements') =>
    async (...args: never[]) => {
      const fn = h.activities[name] as (...a: never[]) => Promise<unknown>;
      const result = await fn(...args);
      if (stopped.has(name)) return result;
      stopped.add(name);
      reached();
      // The work is committed, but the attempt never succeeds: its worker dies right after.
      throw new Error(`worker died before ${name} reported its result`);
    };
  async function runUntilReached(activities: object) {
    const at = new Promise<void>((resolve) => (reached = resolve));
    const worker = await Worker.create({
      connection: h.env.nativeConnection,
      taskQueue: h.taskQueue,
      workflowBundle: h.bundle,
      activities,
      maxCachedWorkflows: 0, // no sticky queue left behind by a dead worker
      shutdownGraceTime: '10ms',
    });
    const running = worker.run();
    // The retry of the previous worker's attempt comes after its backoff (5 s).
    await at;
    worker.shutdown();
    await running;
  }

  const handle = await h.start(c);
  const update = handle.executeUpdate(collectNowUpdate, { args: [{ statement: true }] });
  await runUntilReached({ ...h.activities, collect: dying('collect') });
  await runUntilReached({ ...h.activities, issueStatements: dying('issueStatements') });
  const result = await (await h.newWorker()).runUntil(update);
  expect([...stopped].sort()).toEqual(['collect', 'issueStatements']);

  // The statements: one per account up to yesterday, although collect and issueStatements ran twice.
  const yesterday = addDays(parisDate(await h.env.currentTimeMs()), -1);
  const statements = await h.prisma.statement.findMany({
    where: { bankAccount: { connectionId: c.id }, state: 'SUCCESS' },
  });
  expect(statements).toHaveLength(c.accounts.length);
  expect(statements.every((s) => s.periodEnd.toISOString().slice(0, 10) === yesterday)).toBe(true);
  expect([...result.statementIds].sort()).toEqual(statements.map((s) => s.id).sort());
  // Each transaction once (by Powens id and version), each delivered once, each statement mailed once.
  const txs = await h.prisma.transaction.findMany({ where: { bankAccount: { connectionId: c.id } } });
  const keys = txs.map((t) => `${t.bankAccountId}/${t.powensId}/${t.version}`);
  expect(new Set(keys).size).toBe(keys.length);
  expect(txs.length).toBeGreaterThan(0);
  const delivered = txs.filter((t) => t.statementId !== null);
  expect(delivered.length).toBe(statements.reduce((n, s) => n + s.transactionCount, 0));
  expect(delivered.length).toBeGreaterThan(0);
  const mails = await h.prisma.emailMessage.findMany({
    where: { idempotencyKey: { in: statements.map((s) => `statement/${s.id}`) } },
  });
  expect(mails).toHaveLength(statements.length);
  await h.retire(c);
});
