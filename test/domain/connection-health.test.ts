/**
 * domain/connection-health: the error streak and its consequences, by example and over seeded
 * random sequences of attempts (fast-check) checked against an independent model of the rule.
 */
import fc from 'fast-check';
import { HEALTHY, observe, type ConnectionHealth, type HealthContext } from '../../domain/connection-health';
import { parisWallClock, parisInstant } from '../support/paris-time';

const SEED = 4_12_2026;
const ctx: HealthContext = { linkPending: false, autoLinks: true };
const at = (date: string, time: string) => new Date(parisInstant(date, time)).toISOString();

describe('examples', () => {
  test('a bank in maintenance: its errors are transient, nobody is alarmed, the streak waits', () => {
    const first = observe(HEALTHY, { at: at('2027-03-01', '10:00'), state: 'wrongpass' }, ctx);
    for (const day of ['2027-03-02', '2027-03-03', '2027-03-04']) {
      const r = observe(first.health, { at: at(day, '01:00'), state: 'wrongpass', maintenance: true }, ctx);
      expect(r.decision).toEqual({
        outcome: 'transient',
        counted: false,
        recovered: false,
        sendLink: false,
        alertFirm: false,
      });
      expect(r.health).toEqual(first.health);
    }
    // Out of maintenance the rule applies again: the 2nd counted day sends the link.
    const after = observe(first.health, { at: at('2027-03-05', '01:00'), state: 'wrongpass', maintenance: false }, ctx);
    expect(after.decision).toMatchObject({ outcome: 'failed', counted: true, sendLink: true, alertFirm: true });
    // Maintenance never hides a success.
    expect(
      observe(first.health, { at: at('2027-03-05', '02:00'), state: null, maintenance: true }, ctx).decision.outcome,
    ).toBe('ok');
  });

  test('a wrongpass on two Paris days: the 2nd sends the link and alerts the firm', () => {
    const first = observe(HEALTHY, { at: at('2027-03-01', '10:00'), state: 'wrongpass' }, ctx);
    expect(first.decision).toEqual({
      outcome: 'failed',
      counted: true,
      recovered: false,
      sendLink: false,
      alertFirm: false,
    });
    expect(first.health).toMatchObject({ streak: 1, lastFailureDay: '2027-03-01', errorState: 'wrongpass' });
    // The same day again (the nightly read at 23:30): not counted.
    const again = observe(first.health, { at: at('2027-03-01', '23:30'), state: 'wrongpass' }, ctx);
    expect(again.decision.counted).toBe(false);
    expect(again.health.streak).toBe(1);
    // The next day (00:10 Paris is already the 2nd).
    const second = observe(again.health, { at: at('2027-03-02', '00:10'), state: 'wrongpass' }, ctx);
    expect(second.decision).toEqual({
      outcome: 'failed',
      counted: true,
      recovered: false,
      sendLink: true,
      alertFirm: true,
    });
    expect(second.health.errorSince).toBe(at('2027-03-01', '10:00'));
    // A third day with the link still valid: counted, nothing sent.
    const third = observe(
      second.health,
      { at: at('2027-03-03', '00:10'), state: 'SCARequired' },
      { ...ctx, linkPending: true },
    );
    expect(third.decision).toMatchObject({ counted: true, sendLink: false, alertFirm: false });
    expect(third.health).toMatchObject({ streak: 3, errorState: 'SCARequired' });
    // The link expired: the next counted day sends a new one, and tells the firm.
    const fourth = observe(third.health, { at: at('2027-03-04', '00:10'), state: 'SCARequired' }, ctx);
    expect(fourth.decision).toMatchObject({ sendLink: true, alertFirm: true });
  });

  test('the day is Paris’s: 23:30 and 00:30 the same UTC evening are two days', () => {
    const a = observe(HEALTHY, { at: '2027-01-10T22:30:00Z', state: 'wrongpass' }, ctx); // 23:30 Paris, the 10th
    const b = observe(a.health, { at: '2027-01-10T23:30:00Z', state: 'wrongpass' }, ctx); // 00:30 Paris, the 11th
    expect(b.health.streak).toBe(2);
    // Summer time: 22:30 UTC is 00:30 Paris the next day.
    const c = observe(HEALTHY, { at: '2027-07-10T21:30:00Z', state: 'wrongpass' }, ctx);
    const d = observe(c.health, { at: '2027-07-10T22:30:00Z', state: 'wrongpass' }, ctx);
    expect(d.health.streak).toBe(2);
  });

  test('transient states never count, never reset, never alarm', () => {
    const first = observe(HEALTHY, { at: at('2027-03-01', '10:00'), state: 'wrongpass' }, ctx).health;
    for (const state of ['websiteUnavailable', 'bug', 'rateLimiting', 'validating', 'someNewState']) {
      const r = observe(first, { at: at('2027-03-02', '10:00'), state }, ctx);
      expect(r.decision).toEqual({
        outcome: 'transient',
        counted: false,
        recovered: false,
        sendLink: false,
        alertFirm: false,
      });
      expect(r.health).toEqual(first);
    }
  });

  test('a success resets; the firm hears of the recovery only if it heard of the error', () => {
    const one = observe(HEALTHY, { at: at('2027-03-01', '10:00'), state: 'wrongpass' }, ctx).health;
    const fixed = observe(one, { at: at('2027-03-01', '18:00'), state: null }, ctx);
    expect(fixed.health).toEqual(HEALTHY);
    expect(fixed.decision).toEqual({
      outcome: 'ok',
      counted: false,
      recovered: false,
      sendLink: false,
      alertFirm: false,
    });
    const two = observe(one, { at: at('2027-03-02', '10:00'), state: 'wrongpass' }, ctx).health;
    expect(observe(two, { at: at('2027-03-02', '18:00'), state: null }, ctx).decision.recovered).toBe(true);
    // A link pending (sent by the firm by hand) also means the firm waits for news.
    expect(
      observe(one, { at: at('2027-03-01', '18:00'), state: null }, { ...ctx, linkPending: true }).decision.recovered,
    ).toBe(true);
  });

  test('opt-out: no link ever, the firm alerted once at the 2nd day', () => {
    const optOut = { linkPending: false, autoLinks: false };
    let h: ConnectionHealth = HEALTHY;
    const alerts: boolean[] = [];
    for (const day of ['2027-03-01', '2027-03-02', '2027-03-03', '2027-03-04']) {
      const r = observe(h, { at: at(day, '01:00'), state: 'passwordExpired' }, optOut);
      expect(r.decision.sendLink).toBe(false);
      alerts.push(r.decision.alertFirm);
      h = r.health;
    }
    expect(alerts).toEqual([false, true, false, false]);
  });
});

/** The rule restated independently: what the streak and the links should be after a sequence. */
function model(events: Array<{ ms: number; kind: 'ok' | 'fail' | 'transient' }>, autoLinks: boolean) {
  let streak = 0;
  let lastDay: string | null = null;
  let linkPending = false;
  let links = 0;
  let alerts = 0;
  for (const e of events) {
    if (e.kind === 'ok') {
      streak = 0;
      lastDay = null;
      linkPending = false;
    } else if (e.kind === 'fail') {
      const day = parisWallClock(e.ms).slice(0, 10);
      if (day === lastDay) continue;
      lastDay = day;
      streak++;
      const link = streak >= 2 && autoLinks && !linkPending;
      if (link) {
        links++;
        linkPending = true;
      }
      if (streak === 2 || link) alerts++;
    }
  }
  return { streak, links, alerts };
}

test('over random sequences of attempts: the streak, links and alerts follow the rule', () => {
  const event = fc.record({
    gapMinutes: fc.integer({ min: 1, max: 36 * 60 }),
    kind: fc.constantFrom<'ok' | 'fail' | 'transient'>('ok', 'fail', 'fail', 'fail', 'transient'),
    state: fc.constantFrom('wrongpass', 'SCARequired', 'decoupled', 'actionNeeded'),
  });
  fc.assert(
    fc.property(
      // Starts spread over 2024-2030 (leap years, DST changes).
      fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2030, 11, 31) }),
      fc.array(event, { maxLength: 60 }),
      fc.boolean(),
      (start, list, autoLinks) => {
        let ms = start;
        let h: ConnectionHealth = HEALTHY;
        let linkPending = false;
        let links = 0;
        let alerts = 0;
        const seen: Array<{ ms: number; kind: 'ok' | 'fail' | 'transient' }> = [];
        for (const e of list) {
          ms += e.gapMinutes * 60_000;
          const state = e.kind === 'ok' ? null : e.kind === 'transient' ? 'websiteUnavailable' : e.state;
          const r = observe(h, { at: new Date(ms).toISOString(), state }, { linkPending, autoLinks });
          if (r.decision.outcome === 'ok') linkPending = false;
          if (r.decision.sendLink) {
            links++;
            linkPending = true;
          }
          if (r.decision.alertFirm) alerts++;
          // Never alarms on a transient state, never a link before the 2nd day.
          if (e.kind === 'transient') expect(r.decision.alertFirm || r.decision.sendLink).toBe(false);
          if (r.decision.sendLink) expect(r.health.streak).toBeGreaterThanOrEqual(2);
          h = r.health;
          seen.push({ ms, kind: e.kind });
        }
        expect({ streak: h.streak, links, alerts }).toEqual(model(seen, autoLinks));
      },
    ),
    { seed: SEED, numRuns: 1000 },
  );
});
