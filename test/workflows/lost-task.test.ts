/**
 * A forced collection whose activity task never runs. Temporal can record an activity task as
 * started whose answer never reaches the worker (its matching service under load,
 * temporalio/temporal#11733; seen here by the cycle benchmark on the production-shaped server):
 * the server then times the task out with no heartbeat at all. Here the worker holds the task and
 * never runs the activity's code, which is what the server sees in that case.
 *
 * Told apart from a forced sync that may have reached Powens (its code ran: it heartbeated first),
 * which is never asked twice (a second forced sync could prompt the company for SCA again).
 */
import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { RUNNING } from '../../activities/context';
import { collectionsOf } from '../../bench/history';
import { collectNowUpdate, connectionWorkflowId } from '../../workflows/messages';
import { settleWorkflow, startHarness, type Harness, type TestConnection } from './support';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const MONTHLY_END = { kind: 'MONTHLY', day: 0, month: null } as const;
const DAY = 86_400_000;

type Collect = Activities['collect'];
type Held = 'never ran' | 'ran, then lost';

/**
 * The worker's real activities, except each connection's first forced collection, held until
 * Temporal gives up on it. 'never ran': no heartbeat, no call (the task lost on its way); 'ran,
 * then lost': its code started (the real activity heartbeats first) and then nothing came back.
 */
function holdingFirstForcedCollect(plan: Map<string, Held>) {
  const held = new Set<string>();
  const collect: Collect = async (connectionId, opts) => {
    const how = plan.get(connectionId);
    if (!opts.forceSync || !how || held.has(connectionId)) return h.activities.collect(connectionId, opts);
    held.add(connectionId);
    const ctx = Context.current();
    // What the real activity's `heartbeating` sends first, before any call to Powens; then the worker is gone.
    if (how === 'ran, then lost') ctx.heartbeat(RUNNING);
    await new Promise<void>((resolve) => ctx.cancellationSignal.addEventListener('abort', () => resolve()));
    throw new Error('held');
  };
  return { activities: { ...h.activities, collect }, held };
}

async function forcedSyncsAtPowens(c: TestConnection): Promise<number> {
  const path = `/users/me/connections/${c.powensConnectionId}`;
  const r = await h.powens.admin<{ requests: Array<{ method: string }> }>(
    'GET',
    `/requests?path=${encodeURIComponent(path)}`,
  );
  return r.body.requests.filter((e) => e.method === 'PUT').length;
}

/**
 * The collections of a workflow in order and its activity timeouts, read back from Temporal's
 * history: each one's forceSync is the option our own workflow scheduled its `collect` with
 * (bench/history.ts), nothing Powens or a webhook sends.
 */
async function collectsOf(c: TestConnection) {
  const events = (await h.env.client.workflow.getHandle(connectionWorkflowId(c.id)).fetchHistory()).events ?? [];
  return {
    forceSync: collectionsOf(events),
    timeouts: events
      .map((e) => e.activityTaskTimedOutEventAttributes?.failure?.timeoutFailureInfo?.timeoutType)
      .filter((t) => t !== undefined && t !== null),
  };
}

// The held tasks time out on Temporal's heartbeat timeout (2 minutes): a running activity keeps the
// test server from skipping time, so these 2 minutes are real ones (both cases side by side).
test(
  'a forced collection whose task never ran is asked again, once; one whose code ran is never forced again',
  async () => {
    const [lost, ran] = [
      await h.makeConnection({ periodicity: MONTHLY_END }),
      await h.makeConnection({ periodicity: MONTHLY_END }),
    ];
    const plan = new Map<string, Held>([
      [lost.id, 'never ran'],
      [ran.id, 'ran, then lost'],
    ]);
    const { activities, held } = holdingFirstForcedCollect(plan);
    const worker = await h.newWorker({ activities });
    await worker.runUntil(async () => {
      const handles = [await h.start(lost), await h.start(ran)];
      await h.env.sleep(3 * DAY);
      for (const handle of handles) await settleWorkflow(handle);
      await h.catchUp();
      await h.powens.admin('DELETE', '/requests');
      const [lostResult] = await Promise.all(
        handles.map((handle) => handle.executeUpdate(collectNowUpdate, { args: [{ statement: true }] })),
      );
      for (const handle of handles) await settleWorkflow(handle);
      expect([...held].sort()).toEqual([lost.id, ran.id].sort());

      // Lost on its way: timed out on its heartbeat (none came), asked again, Powens synced once.
      const l = await collectsOf(lost);
      expect(l.timeouts).toEqual([4]); // TIMEOUT_TYPE_HEARTBEAT
      expect(l.forceSync.slice(-2)).toEqual([true, true]);
      expect(await forcedSyncsAtPowens(lost)).toBe(1);
      expect(lostResult!.statementIds).toHaveLength(lost.accounts.length);

      // Its code ran (it may have reached Powens): the collection goes on without forcing.
      const r = await collectsOf(ran);
      expect(r.timeouts).toEqual([4]);
      expect(r.forceSync.slice(-2)).toEqual([true, false]);
      expect(await forcedSyncsAtPowens(ran)).toBe(0);

      // Both histories replay against the workflow code (the decision sits behind patched()).
      for (const handle of handles) {
        const history = await handle.fetchHistory();
        await Worker.runReplayHistory({ workflowBundle: h.bundle }, history, handle.workflowId);
      }
    });
    await h.retire(lost);
    await h.retire(ran);
  },
  6 * 60_000,
);
