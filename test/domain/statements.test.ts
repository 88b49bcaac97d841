/**
 * domain/statements: the period rules, over seeded random histories (fast-check): whatever the
 * activation day, the period ends and the late movements, an account's statements cover every
 * day from the delivery start once, and each movement lands inside the statement that delivers it.
 */
import fc from 'fast-check';
import { addDays, daysInMonth } from '../../domain/schedule';
import { bookingDateIn, deliveryStart, nextPeriodStart, oneMonthBefore } from '../../domain/statements';

const SEED = 20261204;
const day = fc
  .integer({ min: Date.UTC(2024, 0, 1) / 86_400_000, max: Date.UTC(2030, 11, 31) / 86_400_000 })
  .map((n) => new Date(n * 86_400_000).toISOString().slice(0, 10));

describe('oneMonthBefore / deliveryStart', () => {
  test.each([
    ['2026-03-15', '2026-02-15'],
    ['2026-03-31', '2026-02-28'],
    ['2028-03-31', '2028-02-29'],
    ['2026-01-10', '2025-12-10'],
    ['2026-05-31', '2026-04-30'],
  ])('%s → %s', (from, to) => {
    expect(oneMonthBefore(from)).toBe(to);
    expect(deliveryStart(from)).toBe(to);
  });

  test('always in the previous month, on the same day or that month’s last', () => {
    fc.assert(
      fc.property(day, (d) => {
        const r = oneMonthBefore(d);
        const [y, m, dd] = d.split('-').map(Number) as [number, number, number];
        const [ry, rm, rd] = r.split('-').map(Number) as [number, number, number];
        expect(ry * 12 + rm).toBe(y * 12 + m - 1);
        expect(rd).toBe(Math.min(dd, daysInMonth(ry, rm)));
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});

describe('a history of statements', () => {
  test('periods follow each other from the delivery start, and every movement falls inside its statement', () => {
    fc.assert(
      fc.property(
        day,
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.integer({ min: -60, max: 60 }), { maxLength: 60 }),
        (activatedOn, gaps, movementOffsets) => {
          let collectedUntil: string | null = null;
          const covered = new Set<string>();
          let end = activatedOn;
          for (const gap of gaps) {
            end = addDays(end, gap);
            const start = nextPeriodStart({ activatedOn, collectedUntil });
            if (start > end) continue; // nothing to issue yet
            if (collectedUntil) expect(start).toBe(addDays(collectedUntil, 1));
            else expect(start).toBe(deliveryStart(activatedOn));
            for (let d = start; d <= end; d = addDays(d, 1)) {
              expect(covered.has(d)).toBe(false); // no day twice
              covered.add(d);
            }
            // Movements the bank shows now, some dated before the period: inside it once placed.
            for (const offset of movementOffsets) {
              const booked = addDays(end, -Math.abs(offset));
              if (booked < deliveryStart(activatedOn)) continue;
              const placed = bookingDateIn(start, booked);
              expect(placed >= start && placed <= end).toBe(true);
              expect(placed === booked || booked < start).toBe(true);
            }
            collectedUntil = end;
          }
          // No gap: every day from the delivery start to the last period end.
          if (collectedUntil) {
            let n = 0;
            for (let d = deliveryStart(activatedOn); d <= collectedUntil; d = addDays(d, 1)) n++;
            expect(covered.size).toBe(n);
          }
        },
      ),
      { seed: SEED, numRuns: 500 },
    );
  });
});
