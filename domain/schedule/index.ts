/**
 * When a connection is collected and when its statements are issued. Pure and deterministic (no
 * host time zone, no clock): imported by the bank-connection workflow.
 *
 * Europe/Paris time is computed with the EU rule (CET = UTC+1; CEST = UTC+2 from the last Sunday
 * of March 01:00 UTC to the last Sunday of October 01:00 UTC), valid since 1996.
 *
 * Nightly collection: night N is centred on 00:00 (Paris) starting day N; the window is
 * "24 h ± 3 h", i.e. from 21:00 on day N-1 to 03:00 on day N. Each connection has a fixed offset
 * in that window (FNV-1a hash of its id, minute resolution), so the fleet is spread evenly and a
 * connection keeps the same wall-clock time every night, DST changes included. A wall-clock time
 * that does not exist (the spring-forward hour) is moved one hour later; an ambiguous one (the
 * fall-back hour) takes its first occurrence.
 *
 * Statements: the periodicity names the last day a statement covers (`periodEnd`); the statement
 * is due from 21:00 (Paris) on that day, i.e. at the collection of the night that follows it.
 * WEEKLY day 1 = Sunday … 7 = Saturday; MONTHLY/QUARTERLY/SEMIANNUAL day 0 = last day of the
 * month; QUARTERLY month 1-3 / SEMIANNUAL month 1-6 are the month within the quarter / half;
 * ANNUAL day beyond the month's end (29 February in a common year) falls on its last day.
 */

import type { PeriodicityInput } from '../periodicity';

const DAY_MS = 86_400_000;
const WINDOW_START_MIN = 21 * 60; // 21:00 on the evening before
const WINDOW_MINUTES = 6 * 60;

// ---- dates (ISO YYYY-MM-DD, proleptic Gregorian, no time zone) --------------------------------
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
export function isoDate(y: number, m: number, d: number): string {
  return `${pad(y, 4)}-${pad(m)}-${pad(d)}`;
}
function parts(date: string): [number, number, number] {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return [y, m, d];
}
const dayNumber = (date: string) => {
  const [y, m, d] = parts(date);
  return Date.UTC(y, m - 1, d) / DAY_MS;
};
const fromDayNumber = (n: number) => new Date(n * DAY_MS).toISOString().slice(0, 10);

export function addDays(date: string, days: number): string {
  return fromDayNumber(dayNumber(date) + days);
}
export function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}
export function endOfMonth(date: string): string {
  const [y, m] = parts(date);
  return isoDate(y, m, daysInMonth(y, m));
}
/** 1 = Sunday … 7 = Saturday (the manual's numbering). */
export function weekday(date: string): number {
  return ((dayNumber(date) + 4) % 7) + 1; // 1970-01-01 was a Thursday (5)
}

// ---- Europe/Paris ---------------------------------------------------------------------------------
function lastSundayUtc(y: number, month: number): number {
  const last = Date.UTC(y, month, 0); // last day of `month` (1-based), 00:00 UTC
  const dow = new Date(last).getUTCDay(); // 0 = Sunday
  return last - dow * DAY_MS;
}
/** Paris offset from UTC in minutes at a UTC instant: 60 (CET) or 120 (CEST). */
export function parisOffsetMinutes(utcMs: number): number {
  const y = new Date(utcMs).getUTCFullYear();
  const start = lastSundayUtc(y, 3) + 3_600_000;
  const end = lastSundayUtc(y, 10) + 3_600_000;
  return utcMs >= start && utcMs < end ? 120 : 60;
}
/** The Paris calendar date of an instant. */
export function parisDate(instant: Date | number): string {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  return new Date(ms + parisOffsetMinutes(ms) * 60_000).toISOString().slice(0, 10);
}
/** The UTC instant of a Paris wall-clock time (minutes after midnight, may exceed 24 h). */
export function parisWallClockToUtc(date: string, minutes: number): number {
  const naive = dayNumber(date) * DAY_MS + minutes * 60_000; // wall clock read as if UTC
  // First occurrence first: the summer offset, then the winter one.
  for (const offset of [120, 60]) {
    const utc = naive - offset * 60_000;
    if (parisOffsetMinutes(utc) === offset) return utc;
  }
  // Nonexistent (the spring-forward hour): the same reading one hour later, i.e. naive − 1 h.
  return naive - 60 * 60_000;
}

// ---- nightly collection ---------------------------------------------------------------------------
/** FNV-1a 32-bit: stable across runs and platforms. */
export function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
/** Minutes after 21:00 (Paris, evening before) at which this connection is collected: 0-359. */
export function collectionOffsetMinutes(connectionId: string): number {
  return stableHash(connectionId) % WINDOW_MINUTES;
}
/** The collection instant of night `date` (the night that ends the evening before `date`). */
export function collectionSlotOfNight(connectionId: string, date: string): Date {
  const minutes = WINDOW_START_MIN + collectionOffsetMinutes(connectionId);
  return new Date(parisWallClockToUtc(addDays(date, -1), minutes));
}
/** The first nightly collection strictly after `after`. */
export function nextCollectionSlot(connectionId: string, after: Date | number): Date {
  const ms = typeof after === 'number' ? after : after.getTime();
  const today = parisDate(ms);
  for (let k = 0; k <= 3; k++) {
    const slot = collectionSlotOfNight(connectionId, addDays(today, k));
    if (slot.getTime() > ms) return slot;
  }
  throw new Error('unreachable: a night slot always exists within three days');
}

// ---- statements -----------------------------------------------------------------------------------
function clampDay(y: number, m: number, day: number): string {
  const last = daysInMonth(y, m);
  return isoDate(y, m, day === 0 ? last : Math.min(day, last));
}

/** Is `date` a last-covered day of this periodicity? */
export function isPeriodEnd(p: PeriodicityInput, date: string): boolean {
  const [y, m] = parts(date);
  const day = p.day ?? 0;
  const month = p.month ?? 1;
  switch (p.kind) {
    case 'DAILY':
      return true;
    case 'WEEKLY':
      return weekday(date) === (p.day ?? 1);
    case 'MONTHLY':
      return date === clampDay(y, m, day);
    case 'QUARTERLY':
      return (m - 1) % 3 === month - 1 && date === clampDay(y, m, day);
    case 'SEMIANNUAL':
      return (m - 1) % 6 === month - 1 && date === clampDay(y, m, day);
    case 'ANNUAL':
      return m === month && date === clampDay(y, m, day);
    default:
      throw new Error(`unknown periodicity ${String(p.kind)}`);
  }
}

/** The first period end strictly after `date`. */
export function nextPeriodEnd(p: PeriodicityInput, date: string): string {
  let candidate = addDays(date, 1);
  for (let i = 0; i < 400; i++, candidate = addDays(candidate, 1)) if (isPeriodEnd(p, candidate)) return candidate;
  throw new Error(`no period end within a year after ${date} for ${JSON.stringify(p)}`);
}

/** When the statement ending on `periodEnd` is due: 21:00 Paris on that day (the following night). */
export function statementDueAt(periodEnd: string): Date {
  return new Date(parisWallClockToUtc(periodEnd, WINDOW_START_MIN));
}

export interface StatementSlot {
  at: Date;
  periodEnd: string;
}

/** The first statement due strictly after `after`. */
export function nextStatementSlot(p: PeriodicityInput, after: Date | number): StatementSlot {
  const ms = typeof after === 'number' ? after : after.getTime();
  let periodEnd = isPeriodEnd(p, addDays(parisDate(ms), -1))
    ? addDays(parisDate(ms), -1)
    : nextPeriodEnd(p, addDays(parisDate(ms), -1));
  while (statementDueAt(periodEnd).getTime() <= ms) periodEnd = nextPeriodEnd(p, periodEnd);
  return { at: statementDueAt(periodEnd), periodEnd };
}

/** The statement following the one that ended on `previousPeriodEnd`. */
export function statementAfter(p: PeriodicityInput, previousPeriodEnd: string): StatementSlot {
  const periodEnd = nextPeriodEnd(p, previousPeriodEnd);
  return { at: statementDueAt(periodEnd), periodEnd };
}

/** Every period end in (from, to], for catch-up and tests. */
export function periodEndsBetween(p: PeriodicityInput, from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = nextPeriodEnd(p, from); d <= to; d = nextPeriodEnd(p, d)) out.push(d);
  return out;
}
