import fc from 'fast-check';
import {
  addDays,
  collectionSlotOfNight,
  isPeriodEnd,
  nextCollectionSlot,
  nextStatementSlot,
  parisDate,
  parisOffsetMinutes,
  parisWallClockToUtc,
  periodEndsBetween,
  statementAfter,
  weekday,
} from '../../domain/schedule';
import type { PeriodicityInput } from '../../domain/periodicity';

const paris = (ms: number) => {
  const local = new Date(ms + parisOffsetMinutes(ms) * 60_000);
  return { date: local.toISOString().slice(0, 10), minutes: local.getUTCHours() * 60 + local.getUTCMinutes() };
};

describe('Europe/Paris arithmetic', () => {
  test.each([
    ['2026-03-29T00:59:59Z', 60],
    ['2026-03-29T01:00:00Z', 120],
    ['2026-10-25T00:59:59Z', 120],
    ['2026-10-25T01:00:00Z', 60],
    ['2028-07-14T12:00:00Z', 120],
    ['2027-01-01T00:00:00Z', 60],
  ])('offset at %s is %i minutes', (iso, offset) => {
    expect(parisOffsetMinutes(Date.parse(iso))).toBe(offset);
  });

  test('agrees with the ICU time-zone database over four years', () => {
    const fmt = new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Europe/Paris',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    fc.assert(
      fc.property(fc.integer({ min: Date.parse('2026-01-01'), max: Date.parse('2030-01-01') }), (ms) => {
        expect(parisDate(ms)).toBe(fmt.format(new Date(ms)));
      }),
      { numRuns: 2000 },
    );
  });

  test('wall-clock conversion: nonexistent time moves one hour later, ambiguous takes the first', () => {
    expect(new Date(parisWallClockToUtc('2026-03-29', 150)).toISOString()).toBe('2026-03-29T01:30:00.000Z'); // 02:30 → 03:30 CEST
    expect(new Date(parisWallClockToUtc('2026-10-25', 150)).toISOString()).toBe('2026-10-25T00:30:00.000Z'); // first 02:30 (CEST)
    expect(new Date(parisWallClockToUtc('2026-07-01', 23 * 60)).toISOString()).toBe('2026-07-01T21:00:00.000Z');
  });

  test('weekday numbering: 1 = Sunday … 7 = Saturday', () => {
    expect(weekday('2026-11-22')).toBe(1);
    expect(weekday('2026-11-23')).toBe(2);
    expect(weekday('2026-11-28')).toBe(7);
  });
});

describe('nightly collection slot', () => {
  const ids = fc.string({ minLength: 1, maxLength: 40 });
  const instants = fc.integer({ min: Date.parse('2026-01-01'), max: Date.parse('2030-12-31') });

  test('always inside 21:00–03:00 Paris, at the same wall-clock time every night (DST included)', () => {
    fc.assert(
      fc.property(ids, instants, (id, ms) => {
        const slot = nextCollectionSlot(id, ms).getTime();
        const next = nextCollectionSlot(id, slot).getTime();
        const a = paris(slot);
        expect(a.minutes >= 21 * 60 || a.minutes < 3 * 60 + 60).toBe(true);
        const b = paris(next);
        // Same wall-clock time, unless this one sat in the nonexistent spring-forward hour.
        if (a.minutes === b.minutes || Math.abs(a.minutes - b.minutes) === 60) return;
        throw new Error(`wall clock moved from ${a.minutes} to ${b.minutes}`);
      }),
      { numRuns: 500 },
    );
  });

  test('strictly increasing, one per night, never skipping a night', () => {
    fc.assert(
      fc.property(ids, instants, (id, ms) => {
        let t = ms;
        let prevNight: string | null = null;
        for (let i = 0; i < 40; i++) {
          const slot = nextCollectionSlot(id, t).getTime();
          expect(slot).toBeGreaterThan(t);
          const night = addDays(paris(slot).minutes >= 21 * 60 ? paris(slot).date : addDays(paris(slot).date, -1), 1);
          if (prevNight) expect(night).toBe(addDays(prevNight, 1));
          prevNight = night;
          t = slot;
        }
      }),
      { numRuns: 100 },
    );
  });

  test('DST nights of 2026 keep the slot inside the window', () => {
    for (const night of ['2026-03-29', '2026-03-30', '2026-10-25', '2026-10-26'])
      for (const id of ['a', 'b', 'conn-42', 'x'.repeat(30)]) {
        const p = paris(collectionSlotOfNight(id, night).getTime());
        expect(p.minutes >= 21 * 60 || p.minutes < 4 * 60).toBe(true);
      }
  });
});

describe('statement slots', () => {
  const periodicities: PeriodicityInput[] = [
    { kind: 'DAILY' },
    ...[1, 2, 7].map((day) => ({ kind: 'WEEKLY', day })),
    ...[0, 1, 15, 28].map((day) => ({ kind: 'MONTHLY', day })),
    ...[1, 3].flatMap((month) => [0, 10].map((day) => ({ kind: 'QUARTERLY', month, day }))),
    ...[2, 6].flatMap((month) => [0, 5].map((day) => ({ kind: 'SEMIANNUAL', month, day }))),
    { kind: 'ANNUAL', month: 2, day: 29 },
    { kind: 'ANNUAL', month: 12, day: 31 },
  ];

  test.each([
    [{ kind: 'MONTHLY', day: 0 }, '2027-01-31', ['2027-02-28', '2027-03-31']],
    [{ kind: 'MONTHLY', day: 0 }, '2028-01-31', ['2028-02-29', '2028-03-31']],
    [{ kind: 'QUARTERLY', month: 3, day: 0 }, '2026-01-01', ['2026-03-31', '2026-06-30', '2026-09-30', '2026-12-31']],
    [{ kind: 'SEMIANNUAL', month: 1, day: 15 }, '2026-01-01', ['2026-01-15', '2026-07-15']],
    [{ kind: 'ANNUAL', month: 2, day: 29 }, '2026-12-31', ['2027-02-28', '2028-02-29']],
    [{ kind: 'WEEKLY', day: 1 }, '2026-11-23', ['2026-11-29', '2026-12-06']],
  ])('%j after %s ends on %j', (p, from, expected) => {
    let d = from;
    for (const e of expected) {
      d = statementAfter(p as PeriodicityInput, d).periodEnd;
      expect(d).toBe(e);
    }
  });

  test('simulated year per periodicity: strictly increasing, no period skipped, right days', () => {
    for (const p of periodicities) {
      const ends = periodEndsBetween(p, '2027-12-31', '2028-12-31');
      const expectedCount = { DAILY: 366, WEEKLY: 53, MONTHLY: 12, QUARTERLY: 4, SEMIANNUAL: 2, ANNUAL: 1 }[
        p.kind as 'DAILY'
      ]!;
      expect(ends.length).toBeGreaterThanOrEqual(expectedCount - (p.kind === 'WEEKLY' ? 1 : 0));
      expect(ends.length).toBeLessThanOrEqual(expectedCount);
      for (let i = 1; i < ends.length; i++) expect(ends[i]! > ends[i - 1]!).toBe(true);
      // No skipped period: every day that is a period end appears in the list.
      for (let d = '2028-01-01'; d <= '2028-12-31'; d = addDays(d, 1)) expect(ends.includes(d)).toBe(isPeriodEnd(p, d));
    }
    expect(periodEndsBetween({ kind: 'ANNUAL', month: 2, day: 29 }, '2027-12-31', '2028-12-31')).toEqual([
      '2028-02-29',
    ]);
    expect(periodEndsBetween({ kind: 'MONTHLY', day: 0 }, '2027-12-31', '2028-12-31')).toContain('2028-02-29');
  });

  test('the next slot is due after the given instant, at 21:00 Paris on its period end', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...periodicities),
        fc.integer({ min: Date.parse('2026-01-01'), max: Date.parse('2029-12-31') }),
        (p, ms) => {
          const slot = nextStatementSlot(p, ms);
          expect(slot.at.getTime()).toBeGreaterThan(ms);
          expect(isPeriodEnd(p, slot.periodEnd)).toBe(true);
          expect(paris(slot.at.getTime())).toEqual({ date: slot.periodEnd, minutes: 21 * 60 });
          // Nothing due in between was skipped: the previous period end was already due.
          const previous = periodEndsBetween(p, addDays(slot.periodEnd, -400), addDays(slot.periodEnd, -1)).at(-1);
          if (previous) expect(Date.parse(`${previous}T19:00:00Z`)).toBeLessThanOrEqual(ms + 3_600_000);
        },
      ),
      { numRuns: 500 },
    );
  });
});
