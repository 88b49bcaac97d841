/**
 * Messages to the bank-connection workflows. The database is the source of truth for what the API
 * answers: a workflow that does not exist yet (connection being created, worker not started) or an
 * unreachable Temporal never fails the request, it is logged.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/workflow';
import type { Logger } from '../lib/logger';
import type { bankConnectionWorkflow } from '../workflows/bank-connection';
import { collectNowUpdate, connectionWorkflowId, type ConnectionWorkflowInput } from '../workflows/messages';

/** The workflow type the worker registers (the function's name in workflows/bank-connection.ts). */
export const BANK_CONNECTION_WORKFLOW = 'bankConnectionWorkflow' satisfies (typeof bankConnectionWorkflow)['name'];

export type SignalOutcome = 'delivered' | 'no-workflow' | 'unavailable';

export async function signalConnection<Args extends unknown[]>(
  temporal: Client,
  logger: Logger,
  connectionId: string,
  signal: SignalDefinition<Args>,
  ...args: Args
): Promise<SignalOutcome> {
  try {
    await withTimeout(temporal, 5000, () =>
      temporal.workflow.getHandle(connectionWorkflowId(connectionId)).signal(signal, ...args),
    );
    return 'delivered';
  } catch (err) {
    const outcome = isNotFound(err) ? 'no-workflow' : 'unavailable';
    logger.warn({ err, connectionId, signal: signal.name, outcome }, 'signal not delivered to the connection workflow');
    return outcome;
  }
}

/**
 * The Temporal calls under way and the notifications not settled yet (withTimeout, notifyWorkflows),
 * that a stop waits for.
 */
const unsettled = new Set<Promise<unknown>>();

/** Keeps `p` in `unsettled` until it settles. */
function track(p: Promise<unknown>): void {
  const forget = () => {
    unsettled.delete(settled);
  };
  const settled: Promise<void> = p.then(forget, forget);
  unsettled.add(settled);
}

/**
 * Signals are sent after the database change is committed and are not awaited by the response:
 * a slow or unreachable Temporal never delays or fails the API call (signalConnection logs). They
 * are kept until settled: the API's stop waits for them (settleTemporalCalls).
 */
export function notifyWorkflows(signals: Array<Promise<SignalOutcome>>): void {
  track(Promise.allSettled(signals));
}

/**
 * Resolves once every notification sent so far has settled and every Temporal call has ended (at
 * most its deadline and the SDK's last retry delay, 5 s, later): the API stops after it (a deploy's
 * SIGTERM cut the signals of changes committed the instant before), then closes the connection.
 */
export async function settleTemporalCalls(): Promise<void> {
  while (unsettled.size > 0) await Promise.all([...unsettled]);
}

export interface CollectOutcome {
  outcome: SignalOutcome;
  statementIds: string[];
  collected: number | null;
  /**
   * The Powens connection state after the attempt (null = ok), when the workflow's answer carries
   * it; undefined otherwise (no answer, or a workflow that does not report it yet): the caller
   * then reads BankConnection.state.
   */
  state?: string | null;
}

/**
 * Collect now through the workflow's update (waits for its result, bounded). `statement: false`
 * collects only; `statement: true` also issues an intermediate statement up to yesterday.
 */
export async function collectNow(
  temporal: Client,
  logger: Logger,
  connectionId: string,
  statement: boolean,
): Promise<CollectOutcome> {
  try {
    const handle = temporal.workflow.getHandle(connectionWorkflowId(connectionId));
    const r = await withTimeout(temporal, 60_000, () =>
      handle.executeUpdate(collectNowUpdate, { args: [{ statement }] }),
    );
    // `state` is optional in the update's answer (added after the first version of the workflow).
    const state = (r as { state?: unknown }).state;
    return {
      outcome: 'delivered',
      statementIds: r.statementIds,
      collected: r.collected,
      ...(state === null || typeof state === 'string' ? { state } : {}),
    };
  } catch (err) {
    const outcome = isNotFound(err) ? 'no-workflow' : 'unavailable';
    logger.warn({ err, connectionId, outcome }, 'collect-now update not delivered to the connection workflow');
    return { outcome, statementIds: [], collected: null };
  }
}

function isNotFound(err: unknown): boolean {
  if (err instanceof WorkflowNotFoundError) return true;
  const e = err as { code?: number; cause?: { code?: number } };
  // gRPC NOT_FOUND (5), e.g. "workflow execution already completed" or "not found".
  return e?.code === 5 || e?.cause?.code === 5;
}

/**
 * The Temporal call that `call` makes, given up after `ms` by the caller, and by the SDK at its gRPC
 * deadline (Client.withDeadline): given up by a timer alone, a signal to an unreachable server went
 * on retrying for 20 s. The SDK still ends the attempt after a retry delay under way (up to 5 s, its
 * timer unaware of the deadline): the call is tracked until then, and a stop waits for it
 * (settleTemporalCalls) before closing the connection under it.
 */
function withTimeout<T>(temporal: Client, ms: number, call: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const underway = temporal.withDeadline(Date.now() + ms, call);
  track(underway);
  return Promise.race([
    underway.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Temporal call timed out after ${ms} ms`)), ms);
    }),
  ]);
}

/**
 * Signal-with-start: delivers `signal` to the connection's workflow, starting it first when it does
 * not run (new connection, or a workflow that ended). Bounded like the other calls; the outcome is
 * logged, never thrown: the database already holds what happened and the nightly slot catches up.
 */
export async function startOrSignalConnection<Args extends unknown[]>(
  temporal: Client,
  logger: Logger,
  opts: { connectionId: string; taskQueue: string },
  signal: SignalDefinition<Args>,
  ...args: Args
): Promise<'delivered' | 'unavailable'> {
  const input: ConnectionWorkflowInput = { connectionId: opts.connectionId };
  try {
    await withTimeout(temporal, 5000, () =>
      temporal.workflow.signalWithStart<typeof bankConnectionWorkflow, Args>(BANK_CONNECTION_WORKFLOW, {
        workflowId: connectionWorkflowId(opts.connectionId),
        taskQueue: opts.taskQueue,
        args: [input],
        signal,
        signalArgs: args,
        // The SDK's option type is conditional on the signal's arity, unresolvable for a generic Args.
      } as never),
    );
    return 'delivered';
  } catch (err) {
    logger.warn(
      { err, connectionId: opts.connectionId, signal: signal.name },
      'signal-with-start not delivered to the connection workflow',
    );
    return 'unavailable';
  }
}
