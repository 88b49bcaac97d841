/**
 * The bank-connection workflow's public contract: its id, start input, signals, query and update.
 * Imported by the API, the Powens webhook handler, the worker and tests (never string names).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

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
  consecutiveErrors: number;
  /** ISO instant of the first counted failure of the current streak (search attribute ErrorSince). */
  errorSince?: string | null;
  /** Powens state of the last failed attempt (wrongpass, SCARequired…), null when ok. */
  errorState: string | null;
  errorMessage: string | null;
  /** ISO instant of the last successful collection. */
  lastSuccessAt: string | null;
  /** Powens' last successful sync seen (ISO): a statement is issued once the bank data covers its last day. */
  lastSyncAt: string | null;
  /** Identity of the last failed sync counted (`psu:<at>`, `webhook:<id>` or `read:<key>`). */
  lastCountedSyncAt: string | null;
  /** How that failure looks when merely read again (not a new sync, so not counted again). */
  lastFailureReadKey: string | null;
  pendingLink: { linkId: string; expiresAt: string } | null;
  /** Last statement period end issued (ISO date of the last day covered). */
  lastStatementSlot: string | null;
  /** Period end of the next statement (ISO date); due at 21:00 Paris that day. */
  nextStatementEnd: string | null;
  /** Hourly retries after transient failures in the current episode (at most 3; then nightly). */
  transientRetries: number;
  active: boolean;
}

export type ConnectionStateLabel = 'ok' | 'error' | 'waiting-reconnection' | 'inactive';

export interface ConnectionStatus {
  connectionId: string;
  state: ConnectionStateLabel;
  errorCode: string | null;
  consecutiveErrors: number;
  lastSuccessAt: string | null;
  nextCollectionAt: string | null;
  nextStatementAt: string | null;
  pendingLink: { linkId: string; expiresAt: string } | null;
  active: boolean;
}

/** The company reconnected (callback) or Powens reported a successful sync after an error. */
export const reconnectedSignal = defineSignal<[{ source: 'callback' | 'webhook'; at: string }]>('reconnected');
/**
 * CONNECTION_SYNCED webhook: the connection's state after a Powens sync (null = ok). `syncId`
 * (the webhook's `id_webhook_data`) identifies the sync: a failure reported by two different
 * webhooks is two attempts; the same failure merely read again is one.
 */
export const syncedSignal =
  defineSignal<
    [{ state: string | null; errorMessage?: string | null; lastUpdate: string | null; syncId?: string | null }]
  >('synced');
/** Periodicity or options of the company changed. */
export const settingsChangedSignal = defineSignal<[]>('settingsChanged');
/** A person asked to collect now (optionally issuing a statement up to now). */
export const collectNowSignal = defineSignal<[{ statement: boolean; requestedBy?: string }]>('collectNow');
/** Accounts were added, enabled or disabled (callback, ACCOUNTS_FETCHED, ACCOUNT_DISABLED/ENABLED). */
export const accountsChangedSignal = defineSignal<[]>('accountsChanged');
/** Deactivate/reactivate one account or the whole connection (company deactivated). */
export const deactivateSignal = defineSignal<[{ bankAccountId?: string }]>('deactivate');
export const reactivateSignal = defineSignal<[{ bankAccountId?: string }]>('reactivate');
/** A connection deleted at Powens (CONNECTION_DELETED): the workflow ends. */
export const connectionDeletedSignal = defineSignal<[]>('connectionDeleted');

export const statusQuery = defineQuery<ConnectionStatus>('status');

/** Collect now and return the ids of the statements issued (when `statement` is true). */
export const collectNowUpdate = defineUpdate<{ statementIds: string[]; collected: number }, [{ statement: boolean }]>(
  'collectNowUpdate',
);
