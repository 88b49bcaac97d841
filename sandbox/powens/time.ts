/**
 * The sandbox's own calendar and clock, written from Powens' documentation and not from our
 * client's code (a shared misreading would go unnoticed otherwise): test/powens/time.test.ts checks
 * that our client reads what this writes.
 *
 *  - Calendar days are ISO `YYYY-MM-DD` strings, without time zone.
 *  - Europe/Paris time comes from the platform's time-zone database (Intl), not from a hand-written
 *    DST rule: Powens is a French service, and its zone-less "sql-date-time" fields (`last_update`,
 *    `created`, `next_try`…) are Paris wall-clock time (../shared/docs/powens.md); a wall-clock time
 *    of the autumn fall-back hour is read as its first occurrence, one of the spring-forward gap one
 *    hour later.
 */

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

// ---- calendar days ----------------------------------------------------------------------------
const dayNumber = (date: string) => {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d) / DAY_MS;
};

export function addDays(date: string, days: number): string {
  return new Date((dayNumber(date) + days) * DAY_MS).toISOString().slice(0, 10);
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 1 = Sunday … 7 = Saturday. */
export function weekday(date: string): number {
  return new Date(dayNumber(date) * DAY_MS).getUTCDay() + 1;
}

/** The same day one month earlier, clamped to that month's length (31 March → 28/29 February). */
export function oneMonthBefore(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const month = m === 1 ? 12 : m - 1;
  const year = m === 1 ? y - 1 : y;
  return `${pad(year, 4)}-${pad(month)}-${pad(Math.min(d, daysInMonth(year, month)))}`;
}

// ---- Europe/Paris -------------------------------------------------------------------------------
const PARIS = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Paris',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
});
/** Paris' offset per UTC hour (it changes on whole UTC hours only). */
const offsets = new Map<number, number>();

/** Paris' offset from UTC in minutes at an instant. */
function parisOffsetMinutes(utcMs: number): number {
  const hour = Math.floor(utcMs / HOUR_MS);
  let offset = offsets.get(hour);
  if (offset === undefined) {
    const part = (type: string) => Number(PARIS.formatToParts(hour * HOUR_MS).find((p) => p.type === type)!.value);
    const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'));
    offset = (wall - hour * HOUR_MS) / 60_000;
    if (offsets.size >= 100_000) offsets.clear();
    offsets.set(hour, offset);
  }
  return offset;
}

/** The Paris calendar date of an instant. */
export function parisDate(instant: Date | number): string {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  return new Date(ms + parisOffsetMinutes(ms) * 60_000).toISOString().slice(0, 10);
}

// ---- Powens' sql-date-time ("2026-11-23 04:12:00", Paris wall clock) ---------------------------
const SQL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?$/;

export function isPowensTimestamp(text: string): boolean {
  return SQL_DATE_TIME.test(text);
}

/** An instant as Powens writes it: Paris wall-clock time, to the second (truncated). */
export function formatPowensTimestamp(instant: Date): string {
  const ms = instant.getTime();
  const wall = ms + parisOffsetMinutes(ms) * 60_000;
  return new Date(Math.floor(wall / 1000) * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/** A Paris wall-clock sql-date-time as an instant. Throws on another format. */
export function parsePowensTimestamp(text: string): Date {
  const m = SQL_DATE_TIME.exec(text);
  if (!m) throw new RangeError(`not a Powens timestamp (YYYY-MM-DD HH:MM:SS): ${JSON.stringify(text)}`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const naive = Date.UTC(y, mo - 1, d, h, mi, s); // the wall clock read as if it were UTC
  // Its first occurrence: summer time (UTC+2) if that reading is summer time, else winter time.
  for (const offset of [120, 60]) {
    const utc = naive - offset * 60_000;
    if (parisOffsetMinutes(utc) === offset) return new Date(utc);
  }
  return new Date(naive - HOUR_MS); // in the spring-forward gap: one hour later (UTC+1)
}
