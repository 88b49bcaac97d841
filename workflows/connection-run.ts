/**
 * What one run of the bank-connection workflow holds, in one plain object (`Run`): the state it
 * carries across continue-as-new, the company's settings, the next nightly slot and the wakes its
 * message handlers queue; and how it shows itself: the status query's answer and the search
 * attributes ops filter on in Temporal Web. Deterministic, like the workflow.
 */
import { setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { ConnectionSettings } from '../activities/settings';
import { HEALTHY } from '../domain/connection-health';
import { statementDueAt } from '../domain/schedule';
import * as m from './messages';
import {
  CompanySiren,
  ConnectionState,
  ConsecutiveErrors,
  ErrorSince,
  NextCollectionAt,
  PortalAccountId,
} from './search-attributes';

/** Why the loop wakes up (besides its timers: the nightly slot, a link's expiry). */
export type Wake =
  | { kind: 'collectNow'; statement: boolean; resolve?: (r: m.CollectNowResult) => void }
  | { kind: 'scheduled' | 'settings' | 'synced' | 'reconnected' };

export interface Run {
  connectionId: string;
  /** Carried across continue-as-new (plain JSON). */
  state: m.ConnectionWorkflowState;
  settings: ConnectionSettings;
  /** The next collection: the nightly slot, or an hour after a transient failure (a few times). */
  nextCollectionMs: number;
  /** What happened, queued by the message handlers; the loop acts on one at a time. */
  wakes: Wake[];
  deleted: boolean;
  /** The search attributes last published (an upsert is a history event: only on change). */
  published: string;
}

/** The state of a connection's first run. */
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

/**
 * A new run, its handlers registered: each message only queues a wake (or marks the connection
 * deleted); the loop acts. `settings` is read by the caller before anything uses it.
 */
export function listen(input: m.ConnectionWorkflowInput, nextCollectionMs: number): Run {
  const state = { ...initialState(), ...input.state };
  const partial = {
    connectionId: input.connectionId,
    state,
    nextCollectionMs,
    wakes: [],
    deleted: false,
    published: '',
  };
  const run = partial as Omit<Run, 'settings'> as Run;
  const wake = (w: Wake) => void run.wakes.push(w);
  setHandler(m.reconnectedSignal, () => wake({ kind: 'reconnected' }));
  setHandler(m.syncedSignal, () => wake({ kind: 'synced' }));
  setHandler(m.runScheduledCollectionSignal, () => wake({ kind: 'scheduled' }));
  for (const signal of [m.settingsChangedSignal, m.accountsChangedSignal, m.deactivateSignal, m.reactivateSignal])
    setHandler(signal, () => wake({ kind: 'settings' }));
  setHandler(m.collectNowSignal, (r) => wake({ kind: 'collectNow', statement: r.statement }));
  setHandler(m.connectionDeletedSignal, () => void (run.deleted = true));
  setHandler(
    m.collectNowUpdate,
    (r) => new Promise((resolve) => wake({ kind: 'collectNow', statement: r.statement, resolve })),
  );
  setHandler(m.statusQuery, () => statusOf(run));
  return run;
}

/** The answer to the status query. */
export function statusOf(run: Run): m.ConnectionStatus {
  const s = run.state;
  const errorState = s.health.errorState;
  return {
    connectionId: run.connectionId,
    state: !s.active ? 'inactive' : s.pendingLink ? 'waiting-reconnection' : errorState ? 'error' : 'ok',
    errorCode: errorState,
    consecutiveErrors: s.health.streak,
    errorSince: s.health.errorSince,
    lastSuccessAt: s.lastSuccessAt,
    nextCollectionAt: s.active ? new Date(run.nextCollectionMs).toISOString() : null,
    nextStatementAt: s.active && s.nextStatementEnd ? statementDueAt(s.nextStatementEnd).toISOString() : null,
    pendingLink: s.pendingLink,
    active: s.active,
  };
}

/** Keeps the search attributes current (ConnectionState, ConsecutiveErrors, …), on change only. */
export function publish(run: Run): void {
  const { state: s, settings } = run;
  const attrs = [
    s.active ? (s.health.errorState ?? 'ok') : 'inactive',
    s.health.streak,
    s.active ? run.nextCollectionMs : null,
    s.health.errorSince,
  ];
  const text = JSON.stringify([attrs, settings.siren, settings.portalAccountId]);
  if (text === run.published) return;
  run.published = text;
  upsertSearchAttributes([
    { key: ConnectionState, value: attrs[0] as string },
    { key: ConsecutiveErrors, value: s.health.streak },
    { key: CompanySiren, value: settings.siren },
    { key: PortalAccountId, value: settings.portalAccountId },
    { key: NextCollectionAt, value: s.active ? new Date(run.nextCollectionMs) : null },
    { key: ErrorSince, value: s.health.errorSince ? new Date(s.health.errorSince) : null },
  ]);
}
