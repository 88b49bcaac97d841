/** The timestamp policy for Powens' zone-less "YYYY-MM-DD HH:MM:SS" strings. */
import {
  formatPowensTimestamp,
  isPowensTimestamp,
  maxPowensTimestamp,
  parsePowensTimestamp,
  powensInstant,
} from '../../integrations/powens';
import * as sandbox from '../../sandbox/powens/time';

test('sql-date-time fields are Paris wall-clock time: winter UTC+1, summer UTC+2', () => {
  expect(parsePowensTimestamp('2026-11-23 04:12:00').toISOString()).toBe('2026-11-23T03:12:00.000Z');
  expect(parsePowensTimestamp('2026-07-14 12:00:30').toISOString()).toBe('2026-07-14T10:00:30.000Z');
});

test('`*datetime` transaction fields are UTC', () => {
  expect(parsePowensTimestamp('2026-11-23 04:12:00', 'utc').toISOString()).toBe('2026-11-23T04:12:00.000Z');
  expect(formatPowensTimestamp(new Date('2026-11-23T04:12:00Z'), 'utc')).toBe('2026-11-23 04:12:00');
});

test('DST: the fall-back hour takes its first occurrence, the spring-forward gap is read one hour later', () => {
  // 25 October 2026: 03:00 CEST → 02:00 CET; 02:30 happens twice.
  expect(parsePowensTimestamp('2026-10-25 02:30:00').toISOString()).toBe('2026-10-25T00:30:00.000Z');
  // 29 March 2026: 02:00 CET → 03:00 CEST; 02:30 does not exist.
  expect(parsePowensTimestamp('2026-03-29 02:30:00').toISOString()).toBe('2026-03-29T01:30:00.000Z');
  expect(formatPowensTimestamp(new Date('2026-03-29T01:30:00Z'))).toBe('2026-03-29 03:30:00');
});

test('format ∘ parse is the identity on ordinary times; seconds are truncated', () => {
  for (const s of ['2026-01-01 00:00:00', '2026-06-30 23:59:59', '2024-02-29 12:34:56', '2026-10-25 03:30:00'])
    expect(formatPowensTimestamp(parsePowensTimestamp(s))).toBe(s);
  expect(formatPowensTimestamp(new Date('2026-11-23T03:12:00.999Z'))).toBe('2026-11-23 04:12:00');
});

test('other formats are refused; helpers', () => {
  expect(() => parsePowensTimestamp('23/11/2026 04:12')).toThrow(RangeError);
  expect(isPowensTimestamp('2026-11-23 04:12:00')).toBe(true);
  expect(isPowensTimestamp('2026-11-23T04:12:00Z')).toBe(false);
  expect(powensInstant(null)).toBeNull();
  expect(powensInstant('')).toBeNull();
  expect(maxPowensTimestamp('2026-11-23 04:12:00', '2026-11-22 23:59:59')).toBe('2026-11-23 04:12:00');
  expect(maxPowensTimestamp(null, '2026-11-22 23:59:59')).toBe('2026-11-22 23:59:59');
  expect(maxPowensTimestamp(undefined, null)).toBeNull();
});

test('the sandbox writes its sql-date-times on its own (sandbox/powens/time.ts), and we read back the same instants', () => {
  const HOUR = 3_600_000;
  const instants: number[] = [];
  for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += 3 * HOUR + 61_001) instants.push(t);
  // Every ten minutes around both changes of 2026 (29 March, 25 October).
  for (const change of [Date.UTC(2026, 2, 29, 1), Date.UTC(2026, 9, 25, 1)])
    for (let t = change - 3 * HOUR; t <= change + 3 * HOUR; t += 600_000) instants.push(t);
  for (const t of instants) {
    const written = sandbox.formatPowensTimestamp(new Date(t));
    const second = Math.floor(t / 1000) * 1000;
    // The fall-back hour happens twice (01:00-02:00 UTC on 25 October): its wall clock names the first one.
    const repeated = t >= Date.UTC(2026, 9, 25, 1) && t < Date.UTC(2026, 9, 25, 2);
    expect(parsePowensTimestamp(written).getTime()).toBe(repeated ? second - HOUR : second);
    // And the other way: the sandbox reads our cursors (`last_update`) as we meant them.
    expect(sandbox.parsePowensTimestamp(formatPowensTimestamp(new Date(t))).getTime()).toBe(
      repeated ? second - HOUR : second,
    );
  }
  expect(sandbox.formatPowensTimestamp(new Date('2026-11-23T03:12:00Z'))).toBe('2026-11-23 04:12:00');
  expect(sandbox.parsePowensTimestamp('2026-03-29 02:30:00').toISOString()).toBe('2026-03-29T01:30:00.000Z');
});
