/**
 * Reading a workflow history's local activities, for the cycle benchmark and the replay test: the
 * TypeScript SDK (its core) records each local activity's result as a `core_local_activity` marker
 * whose `data` detail is JSON naming the activity (`activity_type`).
 */
import type { temporal } from '@temporalio/proto';

const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** The local activity an event records (its type; '?' if unreadable), or null for any other event. */
export function localActivityOf(e: temporal.api.history.v1.IHistoryEvent): string | null {
  const marker = e.markerRecordedEventAttributes;
  if (marker?.markerName !== LOCAL_ACTIVITY_MARKER) return null;
  const data = marker.details?.data?.payloads?.[0]?.data;
  try {
    const parsed = data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }) : {};
    return parsed.activity_type ?? '?';
  } catch {
    return '?';
  }
}

/** Workflow tasks in a history after its first signal: how many were scheduled, and why some timed out. */
export interface WorkflowTaskCounts {
  scheduled: number;
  /** Waited longer than the sticky queue's schedule-to-start timeout: moved to the task queue. */
  stickyTimedOut: number;
  /** Started and not completed in time (a worker lost or stalled). */
  startToCloseTimedOut: number;
  failed: number;
}

/** Counts the workflow tasks of one history from its first signal on (the cycle's wake-up). */
export function workflowTasksAfterSignal(events: temporal.api.history.v1.IHistoryEvent[]): WorkflowTaskCounts {
  const counts: WorkflowTaskCounts = { scheduled: 0, stickyTimedOut: 0, startToCloseTimedOut: 0, failed: 0 };
  let woken = false;
  for (const e of events) {
    if (e.workflowExecutionSignaledEventAttributes) woken = true;
    if (!woken) continue;
    if (e.workflowTaskScheduledEventAttributes) counts.scheduled++;
    else if (e.workflowTaskFailedEventAttributes) counts.failed++;
    else if (e.workflowTaskTimedOutEventAttributes) {
      // temporal.api.enums.v1.TimeoutType: 1 START_TO_CLOSE, 2 SCHEDULE_TO_START.
      if (Number(e.workflowTaskTimedOutEventAttributes.timeoutType) === 2) counts.stickyTimedOut++;
      else counts.startToCloseTimedOut++;
    }
  }
  return counts;
}

/**
 * The collections a bank-connection history records, in order, each as its `forceSync`: the
 * `collect` activity tasks (read from the input our workflow scheduled them with), and the local
 * ones, never forced (the collection without a forced sync, since local-collect-2026-12).
 */
export function collectionsOf(events: temporal.api.history.v1.IHistoryEvent[]): boolean[] {
  return events.flatMap((e) => {
    if (localActivityOf(e) === 'collect') return [false];
    const task = e.activityTaskScheduledEventAttributes;
    if (task?.activityType?.name !== 'collect') return [];
    // collect(connectionId, { forceSync, at })
    const opts = task.input?.payloads?.[1]?.data;
    if (!opts) throw new Error(`collect activity task #${String(e.eventId)} without its options`);
    return [(JSON.parse(Buffer.from(opts).toString('utf8')) as { forceSync: boolean }).forceSync];
  });
}
