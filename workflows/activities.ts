/**
 * The activities as the bank-connection workflow calls them (their timeouts and retries), and the
 * workflow's clock: Temporal's time (the SDK replaces `Date` inside workflows), read only here.
 */
import { proxyActivities, proxyLocalActivities, type RetryPolicy } from '@temporalio/workflow';
import type { ConnectionActivities } from '../activities/connection';

/** How our activities are retried: soon, then less often, for ever; a connection gone is not retried. */
const RETRY: RetryPolicy = {
  initialInterval: '5 seconds',
  backoffCoefficient: 2,
  maximumInterval: '10 minutes',
  nonRetryableErrorTypes: ['ConnectionNotFound'],
};

export const io = proxyActivities<ConnectionActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: RETRY,
});

/**
 * A sync forced at Powens is asked once: a retry could prompt the company for SCA again. Its
 * heartbeat timeout finds a task whose code never ran in 2 minutes instead of 5
 * (workflows/collect.ts then asks again, Powens never having been asked).
 */
export const once = proxyActivities<ConnectionActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 1 },
});

/**
 * A short read of our own database, run as a local activity: inside the workflow task, recorded as
 * a marker, no activity task at Temporal (a fleet of 100 000 starting at once costs the server one
 * workflow task each instead of two and an activity task).
 */
export const local = proxyLocalActivities<ConnectionActivities>({
  startToCloseTimeout: '1 minute',
  retry: { ...RETRY, initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * The night's work as local activities, inside the workflow task that woke the connection or
 * received the collection's result: the collection without a forced sync (Powens' connection,
 * accounts and transactions read, our database written; since `local-collect-2026-12`), issuing
 * the statements (one transaction of our database: the period's transactions read, the CFONB120
 * files written, their e-mails queued) and showing a due one "En cours" (one insert; since
 * `local-statements-2026-12`). A night is then one workflow task, with no activity task at Temporal
 * (bench/RESULTS.md, "the statements issued by local activities", "the night's collection by a
 * local activity"). Retried like `io`; the SDK extends the workflow task while one runs, and a
 * worker lost meanwhile has the next workflow task run it again (each is idempotent: transactions
 * upserted by their Powens id and version, a statement per account and period end, its e-mail
 * once). A forced sync stays an activity task (`once`): it can take minutes at Powens and is asked
 * once.
 */
export const nightly = proxyLocalActivities<ConnectionActivities>({
  startToCloseTimeout: '10 minutes',
  retry: RETRY,
});

export const now = (): number => Date.now();
export const nowIso = (): string => new Date(now()).toISOString();
