/**
 * The activities as the bank-connection workflow calls them (their timeouts and retries), and the
 * workflow's clock: Temporal's time (the SDK replaces `Date` inside workflows), read only here.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ConnectionActivities } from '../activities/connection';

export const io = proxyActivities<ConnectionActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    nonRetryableErrorTypes: ['ConnectionNotFound'],
  },
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
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['ConnectionNotFound'],
  },
});

/**
 * Issuing the statements (one database transaction of ours: read the period's transactions, write
 * the CFONB120 files, queue their e-mails) and showing a due one "En cours" (one insert), run as
 * local activities inside the workflow task that received the collection's result. Saves each night's cycle an activity task and a workflow task
 * at Temporal (bench/RESULTS.md, "issueStatements as a local activity"). Retried like `io`; the SDK
 * extends the workflow task while it runs, and a worker lost meanwhile has the next one run it again
 * (the transaction is idempotent: a statement per account and period end, its e-mail once).
 */
export const issuing = proxyLocalActivities<ConnectionActivities>({
  startToCloseTimeout: '10 minutes',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    nonRetryableErrorTypes: ['ConnectionNotFound'],
  },
});

export const now = (): number => Date.now();
export const nowIso = (): string => new Date(now()).toISOString();
