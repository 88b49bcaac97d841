/**
 * The bank-connection workflow's public contract: its id, start input, signals, query and update.
 * Imported by the API, the Powens webhook handler, the worker and tests (never string names).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ConnectionHealth } from '../domain/connection-health';

export const TASK_QUEUE_DEFAULT = 'bank-connections';

/** One workflow per bank connection: `bank-connection/<BankConnection.id>`. */
export function connectionWorkflowId(connectionId: string): string {
  return `bank-connection/${connectionId}`;
}

export interface ConnectionWorkflowInput {
  connectionId: string;
  /** Carried across continue-as-new; absent on the first run. */
  state?: ConnectionWorkflowState;
  /** Continue-as-new once history exceeds this many events (default 5 000; tests set it low). */
  historyCap?: number;
}

/** Plain JSON (carried across continue-as-new): ISO strings, no Date/Map/Set. */
export interface ConnectionWorkflowState {
  /** The error streak and the last failure seen (domain/connection-health.ts). */
  health: ConnectionHealth;
  pendingLink: { linkId: string; expiresAt: string } | null;
  /** ISO instant of the last successful collection. */
  lastSuccessAt: string | null;
  /** Powens' last successful sync seen (ISO): a statement is issued once the bank data covers its last day. */
  lastSyncAt: string | null;
  /** Last statement period end issued (ISO date of the last day covered). */
  lastStatementSlot: string | null;
  /** Period end of the next statement (ISO date); due at 21:00 Paris that day. */
  nextStatementEnd: string | null;
  /** A period end whose statement could not be produced for some account: tried again next time. */
  statementRetryEnd: string | null;
  /** The due period end last shown as waiting for the bank's data ("En cours"). */
  pendingShown: string | null;
  /** Hourly retries after transient failures in the current episode (at most 3; then nightly). */
  transientRetries: number;
  active: boolean;
}

export type ConnectionStateLabel = 'ok' | 'error' | 'waiting-reconnection' | 'inactive';

export interface ConnectionStatus {
  connectionId: string;
  state: ConnectionStateLabel;
  errorCode: string | null;
  /** The error streak: days with a counted failure since the last success. */
  consecutiveErrors: number;
  /** ISO instant of the streak's first counted failure. */
  errorSince: string | null;
  lastSuccessAt: string | null;
  nextCollectionAt: string | null;
  nextStatementAt: string | null;
  pendingLink: { linkId: string; expiresAt: string } | null;
  active: boolean;
}

/** The company reconnected (callback) or Powens reported a successful sync after an error. */
export const reconnectedSignal = defineSignal<[{ source: 'callback' | 'webhook'; at: string }]>('reconnected');
/**
 * CONNECTION_SYNCED webhook: Powens synced the connection (its state, null = ok, as the webhook
 * says). The workflow reads the connection itself; the webhook carries no sync id, and none is
 * needed: failures count per Paris day (domain/connection-health.ts).
 */
export const syncedSignal =
  defineSignal<[{ state: string | null; errorMessage?: string | null; lastUpdate: string | null }]>('synced');
/**
 * Ops (Temporal Web, "Signal"): run the scheduled collection now, exactly as the night would (a
 * read of Powens, the error streak, the statements due), never a forced sync. No argument.
 */
export const runScheduledCollectionSignal = defineSignal<[]>('runScheduledCollection');
/** Periodicity or options of the company changed. */
export const settingsChangedSignal = defineSignal<[]>('settingsChanged');
/**
 * A person asked to collect now: a sync forced at Powens (psu_requested=false; none while the
 * connection waits for its user) and a collection; with `statement`, an intermediate statement up to
 * yesterday as well (the next periodic statement then starts the day after).
 */
export const collectNowSignal = defineSignal<[{ statement: boolean; requestedBy?: string }]>('collectNow');
/** Accounts were added, enabled or disabled (callback, ACCOUNTS_FETCHED, ACCOUNT_DISABLED/ENABLED). */
export const accountsChangedSignal = defineSignal<[]>('accountsChanged');
/** Deactivate/reactivate one account or the whole connection (company deactivated). */
export const deactivateSignal = defineSignal<[{ bankAccountId?: string }]>('deactivate');
export const reactivateSignal = defineSignal<[{ bankAccountId?: string }]>('reactivate');
/** A connection deleted at Powens (CONNECTION_DELETED): the workflow ends. */
export const connectionDeletedSignal = defineSignal<[]>('connectionDeleted');

export const statusQuery = defineQuery<ConnectionStatus>('status');

export interface CollectNowResult {
  /** Statements issued (the intermediate one, with `statement: true`). */
  statementIds: string[];
  /** Transactions read. */
  collected: number;
  /** Powens connection state after the attempt (null = ok). */
  state: string | null;
}

/** Collect now (see collectNowSignal) and return what came in. */
export const collectNowUpdate = defineUpdate<CollectNowResult, [{ statement: boolean }]>('collectNowUpdate');
