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
