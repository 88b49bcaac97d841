/**
 * Timestamp policy for Powens' zone-less "sql-date-time" strings ("2026-11-23 04:12:00").
 *
 * Powens' OpenAPI specs state a zone for only a few fields: `datetime`, `vdatetime`, `rdatetime`
 * and `bdatetime` of a transaction are "in UTC". Every other sql-date-time (`last_update` of
 * connections, accounts and transactions, `created`, `deleted`, `disabled`, `date_scraped`,
 * `next_try`, `expire`…) has no documented zone; the one production integration we could read
 * (formancehq/payments, with a dedicated test) reads and writes them as Europe/Paris wall-clock
 * time, and Powens is a French service. So:
 *
 *  - `*datetime` fields of transactions: UTC (`parsePowensTimestamp(s, 'utc')`);
 *  - every other sql-date-time: Europe/Paris wall clock (`parsePowensTimestamp(s)`), converted to
 *    an instant with the EU rule; an ambiguous time (the autumn fall-back hour) takes its first
 *    occurrence, a nonexistent one (the spring-forward hour) is read one hour later;
 *  - the incremental cursor (`last_update` query of the transactions list) is sent back VERBATIM
 *    as the largest `last_update` string received, never rebuilt from a converted instant: no
 *    conversion can lose or duplicate a second whatever the zone really is. When we must build one
 *    from an instant, `formatPowensTimestamp(date)` writes Paris wall-clock time.
 *  - dates (`date`, `rdate`, `vdate`, `application_date`: "YYYY-MM-DD") are calendar dates at the
 *    bank, kept as strings, never converted.
 */
import { parisOffsetMinutes, parisWallClockToUtc } from '../../domain/schedule';

export type PowensZone = 'paris' | 'utc';

const SQL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?$/;

export function isPowensTimestamp(text: string): boolean {
  return SQL_DATE_TIME.test(text);
}

/** Reads a Powens sql-date-time as an instant (see the policy above). Throws on another format. */
export function parsePowensTimestamp(text: string, zone: PowensZone = 'paris'): Date {
  const m = SQL_DATE_TIME.exec(text);
  if (!m) throw new RangeError(`not a Powens timestamp (YYYY-MM-DD HH:MM:SS): ${JSON.stringify(text)}`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  if (zone === 'utc') return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  const date = `${m[1]}-${m[2]}-${m[3]}`;
  return new Date(parisWallClockToUtc(date, h * 60 + mi) + s * 1000);
}

/** The same, null-safe: null/undefined/'' give null. */
export function powensInstant(text: string | null | undefined, zone: PowensZone = 'paris'): Date | null {
  return text ? parsePowensTimestamp(text, zone) : null;
}

/** Writes an instant as a Powens sql-date-time in the given zone (Paris by default), seconds truncated. */
export function formatPowensTimestamp(instant: Date | number, zone: PowensZone = 'paris'): string {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  const shifted = zone === 'utc' ? ms : ms + parisOffsetMinutes(ms) * 60_000;
  return new Date(Math.floor(shifted / 1000) * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/** Orders two Powens timestamps of the same zone (string order is chronological for this format). */
export function maxPowensTimestamp(a: string | null | undefined, b: string | null | undefined): string | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return a >= b ? a : b;
}
