/**
 * One long-running workflow per bank connection (id `bank-connection/<id>`). It sleeps until its
 * next nightly slot, collects, issues statements at the company's periodicity, counts failed
 * attempts (distinct Powens syncs), sends a reconnection link from the second consecutive failure,
 * waits up to 72 h for the reconnection (without stopping the nightly checks), and
 * continues-as-new to bound history.
 *
 * Deterministic: no I/O here (everything goes through activities, which get the workflow's time as
 * `at`), time is Temporal's. Message handlers only record what happened; the main loop acts.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ConnectionActivities, ConnectionSettings, IssuedStatements } from '../activities/connection';
import { classifyPowensState } from '../domain/powens-states';
import {
  addDays,
  isPeriodEnd,
  nextCollectionSlot,
  nextStatementSlot,
  parisDate,
  statementAfter,
  statementDueAt,
  type Periodicity,
} from '../domain/schedule';
import {
  accountsChangedSignal,
  collectNowSignal,
  collectNowUpdate,
  connectionDeletedSignal,
  deactivateSignal,
  reactivateSignal,
  reconnectedSignal,
  settingsChangedSignal,
  statusQuery,
  syncedSignal,
  type ConnectionStatus,
  type ConnectionWorkflowInput,
  type ConnectionWorkflowState,
} from './messages';
import {
  ConnectionState,
  ConsecutiveErrors,
  CompanySiren,
  ErrorSince,
  NextCollectionAt,
  PortalAccountId,
} from './search-attributes';

/** Local cap on top of Temporal's own suggestion (tests force continue-as-new with `historyCap`). */
const MAX_HISTORY_EVENTS = 5_000;
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

type CollectNowResult = { statementIds: string[]; collected: number };

type Wake =
  | { kind: 'collectNow'; statement: boolean; resolve?: (r: CollectNowResult) => void }
  | { kind: 'reconnected' }
  | { kind: 'settings' }
  | { kind: 'synced'; syncId: string | null };

export function initialState(): ConnectionWorkflowState {
  return {
    consecutiveErrors: 0,
    errorSince: null,
    errorState: null,
    errorMessage: null,
    lastSuccessAt: null,
    lastSyncAt: null,
    lastCountedSyncAt: null,
    lastFailureReadKey: null,
    pendingLink: null,
    lastStatementSlot: null,
    nextStatementEnd: null,
    transientRetries: 0,
    active: true,
  };
}

const periodicityOf = (s: ConnectionSettings): Periodicity => s.periodicity as Periodicity;

/**
 * issueStatements' result. It used to be the bare list of statement ids, their e-mails queued by a
 * separate deliverStatements; histories recorded then replay with that list, and schedule
 * deliverStatements as they did.
 */
function issuedStatements(
  result: IssuedStatements | string[],
): IssuedStatements | { statementIds: string[]; deliveriesQueued: false } {
  return Array.isArray(result) ? { statementIds: result, deliveriesQueued: false } : result;
}
/**
 * Temporal's time. Inside the workflow sandbox the SDK replaces `Date` with the time recorded in
 * the history, so this is deterministic; every read of the clock goes through here.
 */
const now = (): number => Date.now();
const nowIso = () => new Date(now()).toISOString();

export async function bankConnectionWorkflow(input: ConnectionWorkflowInput): Promise<void> {
  const { connectionId } = input;
  const state: ConnectionWorkflowState = { ...initialState(), ...input.state };
  const wakes: Wake[] = [];
  let deleted = false;
  let nextCollectionMs = nextCollectionSlot(connectionId, now()).getTime();
  let published = '';

  // ---- message handlers: they only record what happened ------------------------------------
  setHandler(reconnectedSignal, () => void wakes.push({ kind: 'reconnected' }));
  setHandler(syncedSignal, (s) => void wakes.push({ kind: 'synced', syncId: s.syncId ?? null }));
  setHandler(settingsChangedSignal, () => void wakes.push({ kind: 'settings' }));
  setHandler(accountsChangedSignal, () => void wakes.push({ kind: 'settings' }));
  setHandler(deactivateSignal, () => void wakes.push({ kind: 'settings' }));
  setHandler(reactivateSignal, () => void wakes.push({ kind: 'settings' }));
  setHandler(collectNowSignal, (s) => void wakes.push({ kind: 'collectNow', statement: s.statement }));
  setHandler(connectionDeletedSignal, () => void (deleted = true));
  setHandler(
    collectNowUpdate,
    (req) =>
      new Promise<CollectNowResult>((resolve) => {
        wakes.push({ kind: 'collectNow', statement: req.statement, resolve });
      }),
  );
  setHandler(statusQuery, (): ConnectionStatus => ({
    connectionId,
    state: !state.active ? 'inactive' : state.pendingLink ? 'waiting-reconnection' : state.errorState ? 'error' : 'ok',
    errorCode: state.errorState,
    consecutiveErrors: state.consecutiveErrors,
    lastSuccessAt: state.lastSuccessAt,
    nextCollectionAt: state.active ? new Date(nextCollectionMs).toISOString() : null,
    nextStatementAt:
      state.active && state.nextStatementEnd ? statementDueAt(state.nextStatementEnd).toISOString() : null,
    pendingLink: state.pendingLink,
    active: state.active,
  }));

  // Handlers are registered before the first await, so that queries and updates always find them.
  let settings = await io.loadConnectionSettings(connectionId);
  state.active = settings.active;

  // ---- helpers --------------------------------------------------------------------------------
  /** Keeps the next statement's period end consistent with the periodicity (and after a pause). */
  const scheduleStatements = (resumed: boolean) => {
    const p = periodicityOf(settings);
    const fresh = nextStatementSlot(p, now()).periodEnd;
    const pending = state.nextStatementEnd;
    // A missed slot (errors) is kept for the catch-up; a pause, a new periodicity or a finer one
    // restarts from now (the statement then covers from the last delivered date).
    if (!pending || resumed || !isPeriodEnd(p, pending) || fresh < pending) state.nextStatementEnd = fresh;
  };

  const publish = () => {
    const attrs = {
      state: !state.active ? 'inactive' : (state.errorState ?? 'ok'),
      errors: state.consecutiveErrors,
      next: state.active ? nextCollectionMs : null,
      since: state.errorSince ?? null,
    };
    const text = JSON.stringify([attrs, settings.siren, settings.portalAccountId]);
    if (text === published) return; // an upsert is a history event: only on change
    published = text;
    upsertSearchAttributes([
      { key: ConnectionState, value: attrs.state },
      { key: ConsecutiveErrors, value: attrs.errors },
      { key: CompanySiren, value: settings.siren },
      { key: PortalAccountId, value: settings.portalAccountId },
      { key: NextCollectionAt, value: attrs.next === null ? null : new Date(attrs.next) },
      { key: ErrorSince, value: attrs.since === null ? null : new Date(attrs.since) },
    ]);
  };

  /**
   * A collection attempt and its consequences on the error streak and links. `source` says how
   * the attempt's sync is known: our own sync (a person asked), a webhook's sync, or a read of
   * whatever Powens last did (counted only if it is not the failure already counted).
   */
  const attempt = async (source: { kind: 'psu' } | { kind: 'webhook'; syncId: string | null } | { kind: 'read' }) => {
    const at = nowIso();
    const result = await io.collect(connectionId, { forceSync: source.kind === 'psu', at });
    const kind = classifyPowensState(result.state);
    if (kind === 'ok') {
      const recovering = state.errorState !== null || state.pendingLink !== null;
      const recoveryKey = state.lastCountedSyncAt ?? at;
      state.consecutiveErrors = 0;
      state.errorSince = null;
      state.errorState = null;
      state.errorMessage = null;
      state.lastFailureReadKey = null;
      state.transientRetries = 0;
      state.lastSuccessAt = at;
      if (result.lastUpdate && (!state.lastSyncAt || result.lastUpdate > state.lastSyncAt))
        state.lastSyncAt = result.lastUpdate;
      if (state.pendingLink) {
        await io.closeLink(state.pendingLink.linkId, 'used', at);
        state.pendingLink = null;
      }
      if (recovering) await io.notifyReconnected(connectionId, recoveryKey);
      return { ok: true, collected: result.collected };
    }
    if (kind === 'transient') {
      // Retried (an hour later, a few times, then at the next night); never counted, never alarms.
      log.info('transient Powens state', { connectionId, state: result.state });
      if (state.transientRetries < MAX_TRANSIENT_RETRIES) {
        state.transientRetries += 1;
        nextCollectionMs = Math.min(nextCollectionMs, now() + HOUR);
      }
      return { ok: false, collected: 0 };
    }
    // A user-action state: counted once per distinct Powens sync.
    state.transientRetries = 0;
    state.errorState = result.state;
    state.errorMessage = result.errorMessage;
    const key =
      source.kind === 'psu'
        ? `psu:${at}`
        : source.kind === 'webhook' && source.syncId
          ? `webhook:${source.syncId}`
          : `read:${result.readKey}`;
    const isNewSync =
      key !== state.lastCountedSyncAt && (!key.startsWith('read:') || result.readKey !== state.lastFailureReadKey);
    if (!isNewSync) return { ok: false, collected: 0 };
    state.lastCountedSyncAt = key;
    state.lastFailureReadKey = result.readKey;
    state.consecutiveErrors += 1;
    if (state.consecutiveErrors === 1) state.errorSince = at;
    const failure = {
      state: result.state!,
      errorMessage: result.errorMessage,
      consecutiveErrors: state.consecutiveErrors,
      at,
    };
    await io.recordFailure(connectionId, failure);
    // From the 2nd consecutive failure: one valid link at a time (a new one once it expired).
    if (state.consecutiveErrors >= 2 && !state.pendingLink) {
      const sent = await io.sendReconnectionLink(connectionId, failure);
      if (sent.linkId && sent.expiresAt) state.pendingLink = { linkId: sent.linkId, expiresAt: sent.expiresAt };
    }
    return { ok: false, collected: 0 };
  };

  /**
   * Issues every statement whose slot has passed (catch-up included) and whose last day the bank
   * data already covers (Powens synced after that day: no transaction of it can arrive later), and
   * optionally one up to yesterday.
   */
  const issueDueStatements = async (upToYesterday: boolean): Promise<string[]> => {
    const ids: string[] = [];
    let undelivered = false;
    const issue = async (periodEnd: string) => {
      const issued = issuedStatements(await io.issueStatements(connectionId, { periodEnd, at: nowIso() }));
      ids.push(...issued.statementIds);
      if (!issued.deliveriesQueued) undelivered = true;
    };
    const p = periodicityOf(settings);
    const covered = (end: string) => state.lastSyncAt !== null && parisDate(Date.parse(state.lastSyncAt)) > end;
    while (
      state.nextStatementEnd &&
      statementDueAt(state.nextStatementEnd).getTime() <= now() &&
      covered(state.nextStatementEnd)
    ) {
      await issue(state.nextStatementEnd);
      state.lastStatementSlot = state.nextStatementEnd;
      state.nextStatementEnd = statementAfter(p, state.nextStatementEnd).periodEnd;
    }
    const yesterday = addDays(parisDate(now()), -1);
    if (
      upToYesterday &&
      covered(yesterday) &&
      (state.lastStatementSlot === null || yesterday > state.lastStatementSlot)
    )
      await issue(yesterday);
    // Statements issued before their e-mails were written with them (a history recorded then).
    if (ids.length && undelivered) await io.deliverStatements(ids);
    return ids;
  };

  // ---- main loop ------------------------------------------------------------------------------
  scheduleStatements(false);
  publish();
  while (!deleted) {
    const deadline = !state.active
      ? Infinity
      : Math.min(nextCollectionMs, state.pendingLink ? Date.parse(state.pendingLink.expiresAt) : Infinity);
    if (deadline === Infinity) await condition(() => wakes.length > 0 || deleted);
    else await condition(() => wakes.length > 0 || deleted, Math.max(1, deadline - now()));
    if (deleted) break;

    const wake = wakes.shift();
    if (wake?.kind === 'settings') {
      const wasActive = state.active;
      settings = await io.loadConnectionSettings(connectionId);
      state.active = settings.active;
      if (state.active && !wasActive) nextCollectionMs = nextCollectionSlot(connectionId, now()).getTime();
      scheduleStatements(state.active && !wasActive);
    } else if (!state.active) {
      // Deactivated: nothing is collected; a pending update gets an empty answer.
      if (wake?.kind === 'collectNow') wake.resolve?.({ statementIds: [], collected: 0 });
    } else if (wake?.kind === 'collectNow') {
      const r = await attempt({ kind: 'psu' });
      const ids = r.ok ? await issueDueStatements(wake.statement) : [];
      wake.resolve?.({ statementIds: ids, collected: r.collected });
    } else if (wake?.kind === 'reconnected') {
      const r = await attempt({ kind: 'read' });
      if (r.ok) await issueDueStatements(false);
    } else if (wake?.kind === 'synced') {
      const r = await attempt({ kind: 'webhook', syncId: wake.syncId });
      if (r.ok) await issueDueStatements(false);
    } else if (state.pendingLink && Date.parse(state.pendingLink.expiresAt) <= now()) {
      // 72 h without reconnection: the link expires; the nightly checks go on, and the next
      // failed attempt sends a new one.
      await io.closeLink(state.pendingLink.linkId, 'expired', nowIso());
      state.pendingLink = null;
    } else if (now() >= nextCollectionMs) {
      // The nightly slot (or an hourly retry after a transient failure, set by attempt()).
      nextCollectionMs = nextCollectionSlot(connectionId, now()).getTime();
      const r = await attempt({ kind: 'read' });
      if (r.ok) await issueDueStatements(false);
    }
    publish();

    const info = workflowInfo();
    if (
      wakes.length === 0 &&
      (info.continueAsNewSuggested || info.historyLength > (input.historyCap ?? MAX_HISTORY_EVENTS))
    ) {
      // Handlers first (an update waits for this loop: a new wake means go on, not continue).
      await condition(() => allHandlersFinished() || wakes.length > 0 || deleted);
      if (wakes.length === 0 && !deleted)
        return continueAsNew<typeof bankConnectionWorkflow>({ connectionId, state, historyCap: input.historyCap });
    }
  }
  for (const w of wakes.splice(0)) if (w.kind === 'collectNow') w.resolve?.({ statementIds: [], collected: 0 });
  await condition(allHandlersFinished);
  log.info('bank connection deleted: workflow ends', { connectionId });
}
