/**
 * The activities as the bank-connection workflow calls them (their timeouts and retries), and the
 * workflow's clock: Temporal's time (the SDK replaces `Date` inside workflows), read only here.
 */
import { proxyActivities } from '@temporalio/workflow';
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

/** A sync forced at Powens is asked once: a retry could prompt the company for SCA again. */
export const once = proxyActivities<ConnectionActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 1 },
});

export const now = (): number => Date.now();
export const nowIso = (): string => new Date(now()).toISOString();
