/**
 * One long-running workflow per bank connection (id `bank-connection/<id>`), the manual's section 2
 * as code. It sleeps until a message comes or its next step is due, takes that step, and continues
 * as new to bound its history:
 *  - the nightly slot: collect (reading Powens, never forcing a sync) and apply the health rule
 *    (collect.ts: the error streak, a link and a firm alert from the second day of failures), then
 *    issue the statements due and covered by the bank's data, else show them "En cours"
 *    (statements.ts);
 *  - a pending link's expiry (72 h): closed; the next counted failure sends a new one;
 *  - a wake queued by a message (messages.ts): new settings, a collection a person asked for (a
 *    forced sync, and an intermediate statement), a sync or a reconnection seen, ops' rerun.
 * Its state is one plain object (connection-run.ts), carried across continue-as-new.
 *
 * Deterministic: no I/O here (activities do it, and get the workflow's time as `at`); time is
 * Temporal's (activities.ts). Versioning: the histories in test/workflows/histories replay against
 * this code; decisions added since go behind `patched()` (statements.ts, the signalled collection).
 */
import { allHandlersFinished, condition, continueAsNew, log, patched, workflowInfo } from '@temporalio/workflow';
import { nextCollectionSlot } from '../domain/schedule';
import { io, local, now, nowIso } from './activities';
import { attempt } from './collect';
import { listen, publish, type Run, type Wake } from './connection-run';
import type * as m from './messages';
import { issueDueStatements, scheduleStatements, showPending } from './statements';

const MAX_HISTORY_EVENTS = 5_000;
/** patched(): the collectNow signal collects (ops in Temporal Web, the cycle benchmark). */
const SIGNALLED_COLLECTION = 'signalled-collection-2026-12';
/** patched(): the settings are read by a local activity. */
const LOCAL_SETTINGS = 'local-settings-2026-12';
const NOTHING: m.CollectNowResult = { statementIds: [], collected: 0, state: null };

export async function bankConnectionWorkflow(input: m.ConnectionWorkflowInput): Promise<void> {
  const run = listen(input, nextCollectionSlot(input.connectionId, now()).getTime());
  run.settings = await loadSettings(run.connectionId);
  run.state.active = run.settings.active;
  scheduleStatements(run, false);
  publish(run);
  while (!run.deleted) {
    await nextWake(run);
    if (run.deleted) break;
    await step(run, run.wakes.shift());
    publish(run);
    if (historyTooLong(run, input.historyCap ?? MAX_HISTORY_EVENTS) && (await readyToContinue(run)))
      return continueAsNew<typeof bankConnectionWorkflow>({
        connectionId: run.connectionId,
        state: run.state,
        historyCap: input.historyCap,
      });
  }
  await close(run);
}

/** The company's settings: a local activity since December 2026 (recorded histories: an activity). */
function loadSettings(connectionId: string) {
  return patched(LOCAL_SETTINGS) ? local.loadConnectionSettings(connectionId) : io.loadConnectionSettings(connectionId);
}

/** Sleeps until a message comes, the next collection is due, or the pending link expires. */
function nextWake(run: Run): Promise<unknown> {
  const s = run.state;
  const linkExpiry = s.pendingLink ? Date.parse(s.pendingLink.expiresAt) : Infinity;
  const deadline = s.active ? Math.min(run.nextCollectionMs, linkExpiry) : Infinity;
  const woken = () => run.wakes.length > 0 || run.deleted;
  return deadline === Infinity ? condition(woken) : condition(woken, Math.max(1, deadline - now()));
}

/** The next step: what a wake asks for, else what the timer was for. */
async function step(run: Run, w: Wake | undefined): Promise<void> {
  if (w?.kind === 'settings') return reloadSettings(run);
  if (!run.state.active) return void (w?.kind === 'collectNow' && w.resolve?.(NOTHING));
  // Answered here, in the step itself: the loop's next commands (search attributes, timer) then
  // precede the update's answer, as in the recorded histories (one await more would swap them).
  if (w?.kind === 'collectNow') {
    // The signal has nobody to answer. Until December 2026 its collection was skipped (the call
    // sat inside `resolve?.(…)`, which a signal's undefined `resolve` short-circuits): histories
    // recorded before the patch replay that way.
    if (!w.resolve && !patched(SIGNALLED_COLLECTION)) return;
    const result = await collectNow(run, w.statement);
    return w.resolve?.(result);
  }
  if (w) return collectAsTheNightDoes(run); // a webhook's sync, a reconnection, ops' rerun
  if (run.state.pendingLink && Date.parse(run.state.pendingLink.expiresAt) <= now()) return expireLink(run);
  if (now() < run.nextCollectionMs) return;
  run.nextCollectionMs = nextCollectionSlot(run.connectionId, now()).getTime();
  return collectAsTheNightDoes(run);
}

/** Periodicity, options or accounts changed, or the connection was paused or resumed. */
async function reloadSettings(run: Run): Promise<void> {
  const wasActive = run.state.active;
  run.settings = await loadSettings(run.connectionId);
  run.state.active = run.settings.active;
  const resumed = run.state.active && !wasActive;
  if (resumed) run.nextCollectionMs = nextCollectionSlot(run.connectionId, now()).getTime();
  scheduleStatements(run, resumed);
}

/** A person asked: a forced sync and a collection, and with `statement` an intermediate statement. */
async function collectNow(run: Run, statement: boolean): Promise<m.CollectNowResult> {
  const r = await attempt(run, true);
  const statementIds = r.ok && statement ? await issueDueStatements(run, true) : [];
  return { statementIds, collected: r.collected, state: r.state };
}

/** The nightly collection, and whatever is read the same way (webhook, reconnection, ops). */
async function collectAsTheNightDoes(run: Run): Promise<void> {
  if ((await attempt(run, false)).ok) await issueDueStatements(run, false);
  else await showPending(run);
}

/** 72 h without reconnection: the link expires; the next counted failure sends a new one. */
async function expireLink(run: Run): Promise<void> {
  await io.closeLink(run.state.pendingLink!.linkId, 'expired', nowIso());
  run.state.pendingLink = null;
}

/** Time to continue as new: a long history, and nothing waiting (checked without yielding). */
function historyTooLong(run: Run, historyCap: number): boolean {
  const info = workflowInfo();
  return run.wakes.length === 0 && (info.continueAsNewSuggested || info.historyLength > historyCap);
}

/** Handlers first (an update waits for this loop: a new wake means go on, not continue). */
async function readyToContinue(run: Run): Promise<boolean> {
  await condition(() => allHandlersFinished() || run.wakes.length > 0 || run.deleted);
  return run.wakes.length === 0 && !run.deleted;
}

/** The connection was deleted at Powens: collect-now updates still waiting get an empty answer. */
async function close(run: Run): Promise<void> {
  for (const w of run.wakes.splice(0)) if (w.kind === 'collectNow') w.resolve?.(NOTHING);
  await condition(allHandlersFinished);
  log.info('bank connection deleted: workflow ends', { connectionId: run.connectionId });
}
