/**
 * Activity interceptor of the worker: times every activity into releves_activity_duration_seconds
 * and counts the statements issueStatements returns (issued, failed) into releves_statements_total,
 * without touching the activities themselves.
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { activityDuration, statementsTotal } from '../lib/metrics';

export const activityMetrics: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const activity = ctx.info.activityType;
      const end = activityDuration.startTimer({ activity });
      try {
        const result = await next(input);
        end({ outcome: 'completed' });
        if (activity === 'issueStatements') countStatements(result);
        return result;
      } catch (e) {
        end({ outcome: 'failed' });
        throw e;
      }
    },
  },
});

function countStatements(result: unknown): void {
  const r = result as { statementIds?: unknown; failed?: unknown } | undefined;
  if (Array.isArray(r?.statementIds) && r.statementIds.length > 0)
    statementsTotal.inc({ outcome: 'issued' }, r.statementIds.length);
  if (typeof r?.failed === 'number' && r.failed > 0) statementsTotal.inc({ outcome: 'failed' }, r.failed);
}
