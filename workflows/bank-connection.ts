/**
 * One long-running workflow per bank connection (id `bank-connection/<id>`). It sleeps until its
 * next nightly slot, collects, issues statements at the company's periodicity, counts failed
 * attempts, sends a reconnection link from the second consecutive failure, waits up to 72 h for
 * the reconnection (without stopping the nightly checks), and continues-as-new to bound history.
 *
 * Deterministic: no I/O here (everything goes through activities), time is Temporal's.
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
import type { ConnectionActivities } from '../activities/connection';
import { classifyPowensState } from '../domain/powens-states';
import { nextCollectionSlot, nextStatementSlot, statementAfter } from '../domain/schedule';
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
  NextCollectionAt,
  PortalAccountId,
} from './search-attributes';

/** Local cap on top of Temporal's own suggestion (also lets tests force continue-as-new). */
const MAX_HISTORY_EVENTS = 5_000;

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

type Wake =
  | { kind: 'collectNow'; statement: boolean }
  | { kind: 'reconnected' }
  | { kind: 'settings' }
  | { kind: 'synced'; state: string | null; lastUpdate: string | null; errorMessage: string | null };

export function initialState(): ConnectionWorkflowState {
  return {
    consecutiveErrors: 0,
    errorState: null,
    lastSuccessAt: null,
    lastCountedSyncAt: null,
    pendingLink: null,
    lastStatementSlot: null,
    active: true,
  };
}

export async function bankConnectionWorkflow(input: ConnectionWorkflowInput): Promise<void> {
  const { connectionId } = input;
  const state: ConnectionWorkflowState = input.state ?? initialState();
  const wakes: Wake[] = [];
  let deleted = false;
  let settings = await io.loadConnectionSettings(connectionId);
  let nextCollectionMs = 0;
  let nextStatement: { atMs: number; periodEnd: string } | null = null;
  const updateResults: Array<(r: { statementIds: string[]; collected: number }) => void> = [];

  // ---- message handlers: they only record what happened; the main loop acts -----------------
  setHandler(reconnectedSignal, () => void wakes.push({ kind: 'reconnected' }));
  setHandler(
    syncedSignal,
    (s) =>
      void wakes.push({
        kind: 'synced',
        state: s.state,
        lastUpdate: s.lastUpdate,
        errorMessage: s.errorMessage ?? null,
      }),
  );
  setHandler(settingsChangedSignal, () => void wakes.push({ kind: 'settings' }));
  setHandler(accountsChangedSignal, () => void wakes.push({ kind: 'settings' }));
  setHandler(collectNowSignal, (s) => void wakes.push({ kind: 'collectNow', statement: s.statement }));
  setHandler(deactivateSignal, () => void wakes.push({ kind: 'settings' }));
  setHandler(reactivateSignal, () => void wakes.push({ kind: 'settings' }));
  setHandler(connectionDeletedSignal, () => void (deleted = true));
  setHandler(statusQuery, (): ConnectionStatus => ({
    connectionId,
    state: !state.active ? 'inactive' : state.pendingLink ? 'waiting-reconnection' : state.errorState ? 'error' : 'ok',
    errorCode: state.errorState,
    consecutiveErrors: state.consecutiveErrors,
    lastSuccessAt: state.lastSuccessAt,
    nextCollectionAt: nextCollectionMs ? new Date(nextCollectionMs).toISOString() : null,
    nextStatementAt: nextStatement ? new Date(nextStatement.atMs).toISOString() : null,
    pendingLink: state.pendingLink,
    active: state.active,
  }));
  setHandler(
    collectNowUpdate,
    (req) =>
      new Promise((resolve) => {
        updateResults.push(resolve);
        wakes.push({ kind: 'collectNow', statement: req.statement });
      }),
  );

  // ---- helpers --------------------------------------------------------------------------------
  const schedule = () => {
    const now = Date.now();
    nextCollectionMs = nextCollectionSlot(connectionId, now).getTime();
    const s = state.lastStatementSlot
      ? statementAfter(settings.periodicity, state.lastStatementSlot)
      : nextStatementSlot(settings.periodicity, now);
    nextStatement = { atMs: s.at.getTime(), periodEnd: s.periodEnd };
  };

  const publish = () =>
    upsertSearchAttributes([
      { key: ConnectionState, value: !state.active ? 'inactive' : (state.errorState ?? 'ok') },
      { key: ConsecutiveErrors, value: state.consecutiveErrors },
      { key: CompanySiren, value: settings.siren },
      { key: PortalAccountId, value: settings.portalAccountId },
      { key: NextCollectionAt, value: new Date(nextCollectionMs) },
    ]);

  /** A collection attempt and its consequences on the error streak and links. */
  const attempt = async (opts: {
    forceSync: boolean;
    observed?: { state: string | null; lastUpdate: string | null; errorMessage: string | null };
  }) => {
    const result = opts.observed
      ? await io.collect(connectionId, { forceSync: false, observed: opts.observed })
      : await io.collect(connectionId, { forceSync: opts.forceSync });
    const kind = classifyPowensState(result.state);
    if (kind === 'ok') {
      const wasInError = state.errorState !== null || state.pendingLink !== null;
      state.consecutiveErrors = 0;
      state.errorState = null;
      state.lastSuccessAt = new Date().toISOString();
      if (state.pendingLink) {
        await io.closeLink(state.pendingLink.linkId, 'used');
        state.pendingLink = null;
      }
      if (wasInError) await io.notifyReconnected(connectionId);
      return { ok: true, collected: result.collected };
    }
    if (kind === 'transient') {
      // Retried at the next slot; never counted, never alarms the company.
      log.info('transient Powens state', { connectionId, state: result.state });
      return { ok: false, collected: 0 };
    }
    // A user-action state: count it once per distinct Powens sync.
    state.errorState = result.state;
    if (result.syncAt !== state.lastCountedSyncAt) {
      state.lastCountedSyncAt = result.syncAt;
      state.consecutiveErrors += 1;
      await io.recordFailure(connectionId, {
        state: result.state!,
        errorMessage: result.errorMessage,
        consecutiveErrors: state.consecutiveErrors,
      });
      if (state.consecutiveErrors >= 2) {
        const sent = await io.sendReconnectionLink(connectionId, {
          state: result.state!,
          errorMessage: result.errorMessage,
          consecutiveErrors: state.consecutiveErrors,
          hasValidLink: state.pendingLink !== null,
        });
        if (sent.linkId && sent.expiresAt) state.pendingLink = { linkId: sent.linkId, expiresAt: sent.expiresAt };
      }
    }
    return { ok: false, collected: 0 };
  };

  /** Issues every statement whose slot has passed (catch-up after errors included). */
  const issueDueStatements = async (extraUpToNow: boolean): Promise<string[]> => {
    const ids: string[] = [];
    while (nextStatement && nextStatement.atMs <= Date.now()) {
      ids.push(...(await io.issueStatements(connectionId, { periodEnd: nextStatement.periodEnd })));
      state.lastStatementSlot = nextStatement.periodEnd;
      schedule();
    }
    if (extraUpToNow) ids.push(...(await io.issueStatements(connectionId, { upToNow: true })));
    if (ids.length) await io.deliverStatements(ids);
    return ids;
  };

  // ---- main loop ------------------------------------------------------------------------------
  schedule();
  publish();
  while (!deleted) {
    const deadline = Math.min(nextCollectionMs, state.pendingLink ? Date.parse(state.pendingLink.expiresAt) : Infinity);
    await condition(() => wakes.length > 0 || deleted, Math.max(1, deadline - Date.now()));
    if (deleted) break;

    const wake = wakes.shift();
    if (wake?.kind === 'settings') {
      settings = await io.loadConnectionSettings(connectionId);
      state.active = settings.active;
      schedule();
    } else if (!state.active) {
      // Deactivated: nothing is collected; answer pending updates with nothing.
      if (wake?.kind === 'collectNow') updateResults.shift()?.({ statementIds: [], collected: 0 });
      schedule();
    } else if (wake?.kind === 'collectNow') {
      const r = await attempt({ forceSync: true });
      const ids = r.ok ? await issueDueStatements(wake.statement) : [];
      updateResults.shift()?.({ statementIds: ids, collected: r.collected });
    } else if (wake?.kind === 'reconnected') {
      const r = await attempt({ forceSync: false });
      if (r.ok) await issueDueStatements(false);
    } else if (wake?.kind === 'synced') {
      const r = await attempt({ forceSync: false, observed: wake });
      if (r.ok) await issueDueStatements(false);
    } else if (state.pendingLink && Date.parse(state.pendingLink.expiresAt) <= Date.now()) {
      // 72 h without reconnection: the link expires; nightly checks go on.
      await io.closeLink(state.pendingLink.linkId, 'expired');
      state.pendingLink = null;
    } else if (Date.now() >= nextCollectionMs) {
      const r = await attempt({ forceSync: false });
      if (r.ok) await issueDueStatements(false);
      nextCollectionMs = nextCollectionSlot(connectionId, Date.now()).getTime();
    }
    publish();

    const info = workflowInfo();
    if (
      (info.continueAsNewSuggested || info.historyLength > (input.historyCap ?? MAX_HISTORY_EVENTS)) &&
      wakes.length === 0
    ) {
      await condition(allHandlersFinished);
      if (wakes.length === 0)
        return continueAsNew<typeof bankConnectionWorkflow>({ connectionId, state, historyCap: input.historyCap });
    }
  }
  await condition(allHandlersFinished);
  log.info('bank connection deleted: workflow ends', { connectionId });
}
