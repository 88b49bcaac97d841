/**
 * One long-running workflow per bank connection (id `bank-connection/<id>`), the manual's section 2
 * as code: it sleeps until its nightly slot, collects (reading Powens, never forcing a sync),
 * issues the statements that are due, keeps the error streak by the rule of
 * domain/connection-health.ts (a reconnection link and a firm alert from the second day of
 * failures, one link at a time, 72 h each), and continues as new to bound its history.
 *
 * Deterministic: no I/O here (activities do it, and get the workflow's time as `at`); time is
 * Temporal's. Message handlers only queue what happened; the loop acts, one wake at a time.
 * Versioning: no deployment ran this workflow before its December 2026 redesign, whose recorded
 * histories (test/workflows/histories) were recorded anew; changes to its decisions since go behind
 * `patched()` (PENDING_STATEMENTS), so that those histories, and running workflows, replay.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ConnectionActivities } from '../activities/connection';
import type { ConnectionSettings } from '../activities/settings';
import { HEALTHY, observe } from '../domain/connection-health';
import type { PeriodicityInput } from '../domain/periodicity';
import * as schedule from '../domain/schedule';
import * as m from './messages';
import {
  ConnectionState,
  ConsecutiveErrors,
  CompanySiren,
  ErrorSince,
  NextCollectionAt,
  PortalAccountId,
} from './search-attributes';

const MAX_HISTORY_EVENTS = 5_000;
/** Patch ids (workflow versioning): decisions added after histories were recorded. */
const PENDING_STATEMENTS = 'pending-statements-2026-12';
const HOUR = 3_600_000;
const MAX_TRANSIENT_RETRIES = 3;

const io = proxyActivities<ConnectionActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    nonRetryableErrorTypes: ['ConnectionNotFound'],
  },
});
/** A sync forced at Powens is asked once: a retry could prompt the company for SCA again. */
const once = proxyActivities<ConnectionActivities>({ startToCloseTimeout: '5 minutes', retry: { maximumAttempts: 1 } });

type Wake =
  | { kind: 'collectNow'; statement: boolean; resolve?: (r: m.CollectNowResult) => void }
  | { kind: 'scheduled' | 'settings' | 'synced' | 'reconnected' };

export function initialState(): m.ConnectionWorkflowState {
  return {
    health: HEALTHY,
    pendingLink: null,
    lastSuccessAt: null,
    lastSyncAt: null,
    lastStatementSlot: null,
    nextStatementEnd: null,
    statementRetryEnd: null,
    pendingShown: null,
    transientRetries: 0,
    active: true,
  };
}

/** Temporal's time (the SDK replaces `Date` inside workflows): every clock read goes through here. */
const now = (): number => Date.now();
const nowIso = () => new Date(now()).toISOString();

export async function bankConnectionWorkflow(input: m.ConnectionWorkflowInput): Promise<void> {
  const { connectionId } = input;
  const s: m.ConnectionWorkflowState = { ...initialState(), ...input.state };
  const wakes: Wake[] = [];
  let deleted = false;
  let nextCollectionMs = schedule.nextCollectionSlot(connectionId, now()).getTime();
  let published = '';
  const wake = (w: Wake) => void wakes.push(w);

  setHandler(m.reconnectedSignal, () => wake({ kind: 'reconnected' }));
  setHandler(m.syncedSignal, () => wake({ kind: 'synced' }));
  setHandler(m.runScheduledCollectionSignal, () => wake({ kind: 'scheduled' }));
  for (const signal of [m.settingsChangedSignal, m.accountsChangedSignal, m.deactivateSignal, m.reactivateSignal])
    setHandler(signal, () => wake({ kind: 'settings' }));
  setHandler(m.collectNowSignal, (r) => wake({ kind: 'collectNow', statement: r.statement }));
  setHandler(m.connectionDeletedSignal, () => void (deleted = true));
  setHandler(
    m.collectNowUpdate,
    (r) => new Promise((resolve) => wake({ kind: 'collectNow', statement: r.statement, resolve })),
  );
  setHandler(m.statusQuery, () => status());

  let settings: ConnectionSettings = await io.loadConnectionSettings(connectionId);
  s.active = settings.active;
  const periodicity = () => settings.periodicity as PeriodicityInput;

  /** Keeps the next statement's period end consistent with the periodicity (and after a pause). */
  function scheduleStatements(resumed: boolean) {
    const fresh = schedule.nextStatementSlot(periodicity(), now()).periodEnd;
    const pending = s.nextStatementEnd;
    // A missed slot is kept for the catch-up; a pause, a new or finer periodicity restarts from now.
    if (!pending || resumed || !schedule.isPeriodEnd(periodicity(), pending) || fresh < pending)
      s.nextStatementEnd = fresh;
  }

  /** One attempt: collect, then apply the health rule (streak, link, firm alert, recovery). */
  async function attempt(forceSync: boolean): Promise<{ ok: boolean; collected: number; state: string | null }> {
    const at = nowIso();
    // Never force a sync of a connection waiting for its user (it can lock the bank account).
    const force = forceSync && s.health.errorState === null;
    const result = force
      ? await once
          .collect(connectionId, { forceSync: true, at })
          .catch(() => io.collect(connectionId, { forceSync: false, at }))
      : await io.collect(connectionId, { forceSync: false, at });
    const linkPending = s.pendingLink !== null;
    const { health, decision } = observe(
      s.health,
      { at, state: result.state, errorMessage: result.errorMessage, maintenance: result.connectorMaintenance },
      { linkPending, autoLinks: settings.autoLinks },
    );
    const episode = s.health.errorSince;
    s.health = health;
    if (decision.outcome === 'ok') {
      s.transientRetries = 0;
      s.lastSuccessAt = at;
      if (result.lastUpdate && (!s.lastSyncAt || result.lastUpdate > s.lastSyncAt)) s.lastSyncAt = result.lastUpdate;
      if (s.pendingLink) await io.closeLink(s.pendingLink.linkId, 'used', at);
      s.pendingLink = null;
      if (decision.recovered) await io.notifyReconnected(connectionId, episode ?? at);
    } else if (decision.outcome === 'transient') {
      // Retried an hour later a few times, then at the next night; never counted, never alarms.
      log.info('transient Powens state', { connectionId, state: result.state });
      if (s.transientRetries < MAX_TRANSIENT_RETRIES) {
        s.transientRetries += 1;
        nextCollectionMs = Math.min(nextCollectionMs, now() + HOUR);
      }
    } else if (decision.counted) {
      const failure = {
        state: result.state!,
        errorMessage: result.errorMessage,
        consecutiveErrors: health.streak,
        day: health.lastFailureDay!,
        at,
      };
      await io.recordFailure(connectionId, failure);
      if (decision.alertFirm || decision.sendLink) {
        const sent = await io.notifyConnectionError(connectionId, { ...failure, sendLink: decision.sendLink });
        if (sent.linkId && sent.expiresAt) s.pendingLink = { linkId: sent.linkId, expiresAt: sent.expiresAt };
      }
    }
    return { ok: decision.outcome === 'ok', collected: result.collected, state: result.state };
  }

  /**
   * The next period end, due but not issued (the bank's data does not cover it yet, or the
   * connection failed): shown "En cours" in Réception with the reason, once per period end.
   * (patched: histories recorded before these rows existed replay without them.)
   */
  async function showPending() {
    const waiting = s.nextStatementEnd;
    if (!waiting || schedule.statementDueAt(waiting).getTime() > now() || s.pendingShown === waiting) return;
    if (!patched(PENDING_STATEMENTS)) return;
    await io.markStatementsPending(connectionId, { periodEnd: waiting, at: nowIso() });
    s.pendingShown = waiting;
  }

  /**
   * Issues the statements whose slot has passed and whose last day Powens' data covers (a sync
   * after that day: nothing of it can arrive later), first the one that failed last time, and
   * optionally an intermediate one up to yesterday.
   */
  async function issueDueStatements(upToYesterday: boolean): Promise<string[]> {
    const ids: string[] = [];
    const covered = (end: string) => s.lastSyncAt !== null && schedule.parisDate(Date.parse(s.lastSyncAt)) > end;
    const issue = async (periodEnd: string) => {
      const r = await io.issueStatements(connectionId, { periodEnd, at: nowIso() });
      ids.push(...r.statementIds);
      // An account whose statement could not be produced gets a failed statement; retried next time.
      s.statementRetryEnd = r.failed > 0 ? periodEnd : null;
    };
    if (s.statementRetryEnd && covered(s.statementRetryEnd)) await issue(s.statementRetryEnd);
    const end = () => s.nextStatementEnd;
    while (end() && schedule.statementDueAt(end()!).getTime() <= now() && covered(end()!)) {
      await issue(end()!);
      s.lastStatementSlot = end();
      s.nextStatementEnd = schedule.statementAfter(periodicity(), end()!).periodEnd;
    }
    await showPending();
    const yesterday = schedule.addDays(schedule.parisDate(now()), -1);
    if (upToYesterday && covered(yesterday) && (s.lastStatementSlot === null || yesterday > s.lastStatementSlot))
      await issue(yesterday);
    return ids;
  }

  /** What the loop does with one wake (or with a timer: the nightly slot, a link's expiry). */
  async function step(w: Wake | undefined) {
    if (w?.kind === 'settings') {
      const wasActive = s.active;
      settings = await io.loadConnectionSettings(connectionId);
      s.active = settings.active;
      if (s.active && !wasActive) nextCollectionMs = schedule.nextCollectionSlot(connectionId, now()).getTime();
      return scheduleStatements(s.active && !wasActive);
    }
    if (!s.active) return w?.kind === 'collectNow' && w.resolve?.({ statementIds: [], collected: 0, state: null });
    if (w?.kind === 'collectNow') {
      const r = await attempt(true);
      const statementIds = r.ok && w.statement ? await issueDueStatements(true) : [];
      return w.resolve?.({ statementIds, collected: r.collected, state: r.state });
    }
    if (w) {
      // A webhook's sync, a reconnection, or ops' runScheduledCollection: read as the night does.
      if ((await attempt(false)).ok) await issueDueStatements(false);
      else await showPending();
      return;
    }
    if (s.pendingLink && Date.parse(s.pendingLink.expiresAt) <= now()) {
      // 72 h without reconnection: the link expires; the next counted failure sends a new one.
      await io.closeLink(s.pendingLink.linkId, 'expired', nowIso());
      s.pendingLink = null;
    } else if (now() >= nextCollectionMs) {
      nextCollectionMs = schedule.nextCollectionSlot(connectionId, now()).getTime();
      if ((await attempt(false)).ok) await issueDueStatements(false);
      else await showPending();
    }
  }

  function status(): m.ConnectionStatus {
    const errorState = s.health.errorState;
    return {
      connectionId,
      state: !s.active ? 'inactive' : s.pendingLink ? 'waiting-reconnection' : errorState ? 'error' : 'ok',
      errorCode: errorState,
      consecutiveErrors: s.health.streak,
      errorSince: s.health.errorSince,
      lastSuccessAt: s.lastSuccessAt,
      nextCollectionAt: s.active ? new Date(nextCollectionMs).toISOString() : null,
      nextStatementAt:
        s.active && s.nextStatementEnd ? schedule.statementDueAt(s.nextStatementEnd).toISOString() : null,
      pendingLink: s.pendingLink,
      active: s.active,
    };
  }

  function publish() {
    const attrs = [
      s.active ? (s.health.errorState ?? 'ok') : 'inactive',
      s.health.streak,
      s.active ? nextCollectionMs : null,
      s.health.errorSince,
    ];
    const text = JSON.stringify([attrs, settings.siren, settings.portalAccountId]);
    if (text === published) return; // an upsert is a history event: only on change
    published = text;
    upsertSearchAttributes([
      { key: ConnectionState, value: attrs[0] as string },
      { key: ConsecutiveErrors, value: s.health.streak },
      { key: CompanySiren, value: settings.siren },
      { key: PortalAccountId, value: settings.portalAccountId },
      { key: NextCollectionAt, value: s.active ? new Date(nextCollectionMs) : null },
      { key: ErrorSince, value: s.health.errorSince ? new Date(s.health.errorSince) : null },
    ]);
  }

  scheduleStatements(false);
  publish();
  while (!deleted) {
    const linkExpiry = s.pendingLink ? Date.parse(s.pendingLink.expiresAt) : Infinity;
    const deadline = s.active ? Math.min(nextCollectionMs, linkExpiry) : Infinity;
    const woken = () => wakes.length > 0 || deleted;
    if (deadline === Infinity) await condition(woken);
    else await condition(woken, Math.max(1, deadline - now()));
    if (deleted) break;
    await step(wakes.shift());
    publish();

    const info = workflowInfo();
    if (
      wakes.length === 0 &&
      (info.continueAsNewSuggested || info.historyLength > (input.historyCap ?? MAX_HISTORY_EVENTS))
    ) {
      // Handlers first (an update waits for this loop: a new wake means go on, not continue).
      await condition(() => allHandlersFinished() || wakes.length > 0 || deleted);
      if (wakes.length === 0 && !deleted)
        return continueAsNew<typeof bankConnectionWorkflow>({ connectionId, state: s, historyCap: input.historyCap });
    }
  }
  for (const w of wakes.splice(0))
    if (w.kind === 'collectNow') w.resolve?.({ statementIds: [], collected: 0, state: null });
  await condition(allHandlersFinished);
  log.info('bank connection deleted: workflow ends', { connectionId });
}
