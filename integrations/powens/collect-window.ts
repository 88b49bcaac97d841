/**
 * The first day a collection asks Powens for (`min_date` of the transactions list). Powens lists
 * only the last month when no `min_date` is given, so it is always sent (../shared/docs
 * powens-production.md §3): after a long interruption (an SCA lapse, a wrong password left for
 * weeks) the sync that follows back-fills older transactions, which the default window would hide.
 *
 * Per account, from what statements need (domain/statements.ts):
 *  - never delivered yet: its delivery start (one month before its activation), the first day any
 *    statement of it ever covers;
 *  - delivered up to `collectedUntil`: the day after, minus COLLECT_MARGIN_DAYS, so that the
 *    bank's late entries, changes and deletions of recent days still come (a late entry is booked
 *    on the next statement's first day; a change or deletion of a delivered one is reported);
 *    never before its delivery start.
 * The connection's listing covers all its accounts at once: the earliest of its active accounts.
 * The listing is incremental (`last_update`), so a wide window costs only the rows that changed.
 */
import { deliveryStart } from '../../domain/statements';
import { addDays, parisDate } from '../../domain/schedule';

/** How far before an account's next statement a collection still looks (late entries, deferred cards). */
export const COLLECT_MARGIN_DAYS = 31;

export interface CollectWindowAccount {
  /** Activation instant: a Date, or the UTC text of a `timestamp` column (no zone). */
  activatedAt: Date | string;
  /** Last day delivered (YYYY-MM-DD, or a Date at UTC midnight), null before the first statement. */
  collectedUntil: Date | string | null;
  active?: boolean;
}

const day = (d: Date | string) => (typeof d === 'string' ? d.slice(0, 10) : d.toISOString().slice(0, 10));
const instant = (d: Date | string) =>
  typeof d === 'string' ? new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(d) ? d : `${d}Z`) : d;

/** The account's own first day (see above). */
export function accountMinDate(account: CollectWindowAccount): string {
  const start = deliveryStart(parisDate(instant(account.activatedAt)));
  if (account.collectedUntil === null) return start;
  const fromLast = addDays(day(account.collectedUntil), 1 - COLLECT_MARGIN_DAYS);
  return fromLast > start ? fromLast : start;
}

/** `min_date` for a connection: the earliest of its active accounts; `at` minus the margin when none is. */
export function transactionsMinDate(accounts: CollectWindowAccount[], at: Date): string {
  const days = accounts.filter((a) => a.active !== false).map(accountMinDate);
  if (days.length === 0) return addDays(parisDate(at), -COLLECT_MARGIN_DAYS);
  return days.sort()[0]!;
}
