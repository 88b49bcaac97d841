/**
 * Whether a workflow has nothing in flight, decided from its own status rather than from a quiet
 * moment on the wall clock: its history says every workflow task it was given has completed, no
 * event since asks for another one (a signal, a timer fired, an activity's result), and every
 * activity it scheduled has closed. Temporal's Java time-skipping test server leaves describe's
 * `pendingWorkflowTask` empty, so the workflow tasks are read from the history; `describe` answers
 * the cheap cases (closed, an activity pending) first.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

type EventType = temporal.api.enums.v1.EventType;
const E = temporal.api.enums.v1.EventType;

const WORKFLOW_TASK_EVENTS = new Set<EventType>([
  E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
  E.EVENT_TYPE_WORKFLOW_TASK_STARTED,
  E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
  E.EVENT_TYPE_WORKFLOW_TASK_FAILED,
  E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
]);

/** What a completed workflow task records for its own commands: none of them calls for a new task. */
const COMMAND_EVENTS = new Set<EventType>([
  E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
  E.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
  E.EVENT_TYPE_TIMER_STARTED,
  E.EVENT_TYPE_TIMER_CANCELED,
  E.EVENT_TYPE_MARKER_RECORDED,
  E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
  E.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
  E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
]);

const ACTIVITY_CLOSED = new Set<EventType>([
  E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
  E.EVENT_TYPE_ACTIVITY_TASK_FAILED,
  E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
  E.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
]);

const CLOSED = new Set<EventType>([
  E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
  E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
  E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
  E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
]);

const eventName = (t: EventType | null | undefined) => (t == null ? 'unknown' : (E[t] ?? String(t)));

/** `null` when the workflow is idle or closed, else what it is still doing. */
export async function workflowBusyWith(handle: WorkflowHandle): Promise<string | null> {
  const d = await handle.describe();
  if (d.status.name !== 'RUNNING') return null;
  const pending = d.raw.pendingActivities ?? [];
  if (pending.length > 0) return `activity ${pending[0]!.activityType?.name ?? '?'} pending`;

  const events = (await handle.fetchHistory()).events ?? [];
  const last = events[events.length - 1];
  if (!last || CLOSED.has(last.eventType!)) return null; // closed between the two reads
  const open = new Set<string>();
  let lastTask = -1;
  events.forEach((e, i) => {
    const type = e.eventType ?? undefined;
    if (type === undefined) return;
    if (type === E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) open.add(String(e.eventId));
    if (ACTIVITY_CLOSED.has(type)) {
      const a =
        e.activityTaskCompletedEventAttributes ??
        e.activityTaskFailedEventAttributes ??
        e.activityTaskTimedOutEventAttributes ??
        e.activityTaskCanceledEventAttributes;
      open.delete(String(a?.scheduledEventId));
    }
    if (WORKFLOW_TASK_EVENTS.has(type)) lastTask = i;
  });
  if (open.size > 0) return `${open.size} activity(ies) scheduled`;
  const task = events[lastTask];
  if (task?.eventType !== E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) return `${eventName(task?.eventType)} last`;
  const waiting = events.slice(lastTask + 1).find((e) => !COMMAND_EVENTS.has(e.eventType!));
  return waiting ? `${eventName(waiting.eventType)} awaits a workflow task` : null;
}

/**
 * Waits until the workflow has nothing in flight (`workflowBusyWith` is null): what skipped time
 * made due, or a signal asked for, has really run (activities run in real time). Fails, saying
 * what the workflow was doing, after `maxPolls` reads.
 */
export async function waitUntilWorkflowIdle(
  handle: WorkflowHandle,
  { pollMs = 20, maxPolls = 6000 }: { pollMs?: number; maxPolls?: number } = {},
): Promise<void> {
  let busy: string | null = null;
  for (let i = 0; i < maxPolls; i++) {
    busy = await workflowBusyWith(handle);
    if (busy === null) return;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error(`workflow ${handle.workflowId} still busy after ${maxPolls} reads: ${busy}`);
}
