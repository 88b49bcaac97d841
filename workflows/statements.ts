/**
 * The connection's statements as the workflow issues them (the rules: domain/statements.ts): the
 * next period end kept in step with the periodicity, the due ones issued once Powens' data covers
 * them, a due one still waiting shown "En cours".
 */
import { patched } from '@temporalio/workflow';
import { statementAfter } from '../domain/schedule';
import { intermediatePeriodEnd, isCovered, isDue, nextStatementEnd } from '../domain/statements';
import { io, nightly, now, nowIso } from './activities';
import type { Run } from './connection-run';

/** Patch id (workflow versioning): the recorded histories predate the "En cours" rows. */
const PENDING_STATEMENTS = 'pending-statements-2026-12';
/**
 * Patch id: the statements and their "En cours" rows written by local activities (the recorded
 * histories scheduled activity tasks).
 */
const LOCAL_STATEMENTS = 'local-statements-2026-12';

/** The statement activities: local ones since LOCAL_STATEMENTS, activity tasks in the histories before it. */
const statementActivities = () => (patched(LOCAL_STATEMENTS) ? nightly : io);

/** Keeps the next statement's period end consistent with the periodicity (and after a pause). */
export function scheduleStatements(run: Run, resumed: boolean): void {
  const s = run.state;
  s.nextStatementEnd = nextStatementEnd(run.settings.periodicity, s.nextStatementEnd, now(), resumed);
}

/**
 * Issues the statements that are due and covered by Powens' data, first the one that failed last
 * time, and optionally an intermediate one up to yesterday; shows a due one still waiting.
 */
export async function issueDueStatements(run: Run, upToYesterday: boolean): Promise<string[]> {
  const s = run.state;
  const ids: string[] = [];
  const issue = async (periodEnd: string) => {
    const r = await statementActivities().issueStatements(run.connectionId, { periodEnd, at: nowIso() });
    ids.push(...r.statementIds);
    // An account whose statement could not be produced gets a failed statement; retried next time.
    s.statementRetryEnd = r.failed > 0 ? periodEnd : null;
  };
  if (s.statementRetryEnd && isCovered(s.lastSyncAt, s.statementRetryEnd)) await issue(s.statementRetryEnd);
  for (
    let end = s.nextStatementEnd;
    end && isDue(end, now()) && isCovered(s.lastSyncAt, end);
    end = s.nextStatementEnd
  ) {
    await issue(end);
    s.lastStatementSlot = end;
    s.nextStatementEnd = statementAfter(run.settings.periodicity, end).periodEnd;
  }
  await showPending(run);
  const yesterday = intermediatePeriodEnd(now());
  if (upToYesterday && isCovered(s.lastSyncAt, yesterday) && (s.lastStatementSlot ?? '') < yesterday)
    await issue(yesterday);
  return ids;
}

/**
 * The next period end, due but not issued (the bank's data does not cover it yet, or the
 * connection failed): shown "En cours" in Réception with the reason, once per period end.
 */
export async function showPending(run: Run): Promise<void> {
  const s = run.state;
  const waiting = s.nextStatementEnd;
  if (!waiting || !isDue(waiting, now()) || s.pendingShown === waiting) return;
  if (!patched(PENDING_STATEMENTS)) return;
  await statementActivities().markStatementsPending(run.connectionId, { periodEnd: waiting, at: nowIso() });
  s.pendingShown = waiting;
}
