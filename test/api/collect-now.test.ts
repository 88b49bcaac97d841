/**
 * The pure rules behind "Collecter maintenant" (api/collect-now.ts): availability (inactive,
 * waiting for the company, cooldown), the French texts, and what an intermediate statement does to
 * the next periodic one, at fixed instants (Paris days, DST, period ends).
 */
import {
  collectAvailability,
  COLLECT_COOLDOWN_MS,
  connectionStateFr,
  intermediateStatementPreview,
  parisTime,
  waitingForUserDetail,
} from '../../api/collect-now';
import { USER_ACTION_STATES } from '../../domain/powens-states';

const at = (iso: string) => new Date(iso);

describe('collectAvailability', () => {
  const now = at('2026-12-04T12:00:00Z');

  test('available when active, not waiting for the company and past the cooldown', () => {
    for (const state of [null, 'websiteUnavailable', 'bug', 'rateLimiting', 'someNewState']) {
      expect(collectAvailability({ state, active: true, collectRequestedAt: null }, now)).toEqual({
        available: true,
        refusal: null,
        availableAt: null,
        message: null,
      });
    }
    const exactly = new Date(now.getTime() - COLLECT_COOLDOWN_MS);
    expect(collectAvailability({ state: null, active: true, collectRequestedAt: exactly }, now).available).toBe(true);
  });

  test('the cooldown: 15 minutes after the last request, with its end in Paris time', () => {
    const requested = at('2026-12-04T11:50:00Z'); // 12:50 in Paris (winter)
    expect(collectAvailability({ state: null, active: true, collectRequestedAt: requested }, now)).toEqual({
      available: false,
      refusal: 'cooldown',
      availableAt: '2026-12-04T12:05:00.000Z',
      message:
        'Une collecte a déjà été demandée à 12:50 pour cette connexion (une synchronisation au plus par quart d’heure) : nouvelle demande possible à 13:05.',
    });
    expect(parisTime(at('2026-07-01T06:05:00Z'))).toBe('08:05'); // summer time
  });

  test('a user-action state refuses before the cooldown; an inactive connection before anything', () => {
    for (const state of USER_ACTION_STATES) {
      const a = collectAvailability({ state, active: true, collectRequestedAt: now }, now);
      expect([state, a.refusal, a.message]).toEqual([state, 'user-action', waitingForUserDetail(state)]);
    }
    expect(collectAvailability({ state: 'wrongpass', active: false, collectRequestedAt: now }, now)).toMatchObject({
      available: false,
      refusal: 'inactive',
      message: 'La connexion est désactivée.',
    });
  });
});

describe('French texts', () => {
  test('the connection’s state after a collection', () => {
    expect(connectionStateFr(null)).toBe('opérationnelle');
    expect(connectionStateFr('wrongpass')).toBe(
      'en attente du redevable : la banque refuse les identifiants enregistrés (mot de passe changé ?). Envoyez-lui un lien de mise à jour des identifiants.',
    );
    expect(connectionStateFr('websiteUnavailable')).toBe(
      'incident passager chez la banque ou chez Powens (Le service est temporairement indisponible.) : la collecte sera retentée automatiquement.',
    );
    expect(connectionStateFr('neverSeenBefore')).toMatch(/^incident passager .*Une erreur inattendue/);
  });

  test('every user-action state has its own reason, and the remedy', () => {
    const reasons = new Set(USER_ACTION_STATES.map((s) => /\((.*)\)\. Forcer/.exec(waitingForUserDetail(s))![1]));
    expect(reasons.size).toBe(USER_ACTION_STATES.length);
    for (const s of USER_ACTION_STATES) {
      expect(waitingForUserDetail(s)).toContain('Envoyez-lui un lien de mise à jour des identifiants');
    }
  });
});

describe('intermediateStatementPreview', () => {
  test('monthly: up to yesterday, the next monthly statement from today to the end of the month', () => {
    expect(intermediateStatementPreview({ kind: 'MONTHLY', day: 0 }, at('2026-12-04T12:00:00Z'))).toEqual({
      until: '2026-12-03',
      nextStart: '2026-12-04',
      nextEnd: '2026-12-31',
      periodicity: 'MENSUEL',
      text: 'Un relevé sera émis jusqu’au 03/12/2026. Le prochain relevé MENSUEL couvrira du 04/12/2026 au 31/12/2026.',
    });
  });

  test('"yesterday" is the Paris day: 00:30 in Paris on the 1st is still the 30th in UTC', () => {
    const p = intermediateStatementPreview({ kind: 'MONTHLY', day: 0 }, at('2026-11-30T23:30:00Z'));
    expect([p.until, p.nextStart, p.nextEnd]).toEqual(['2026-11-30', '2026-12-01', '2026-12-31']);
    const summer = intermediateStatementPreview({ kind: 'MONTHLY', day: 0 }, at('2026-06-30T22:30:00Z'));
    expect([summer.until, summer.nextStart]).toEqual(['2026-06-30', '2026-07-01']);
  });

  test('a period ending today is the next periodic statement (one day long)', () => {
    const p = intermediateStatementPreview({ kind: 'MONTHLY', day: 15 }, at('2026-12-15T10:00:00Z'));
    expect([p.until, p.nextStart, p.nextEnd]).toEqual(['2026-12-14', '2026-12-15', '2026-12-15']);
  });

  test('the other periodicities', () => {
    const now = at('2026-12-04T12:00:00Z'); // a Friday
    const cases: Array<[Parameters<typeof intermediateStatementPreview>[0], string, string]> = [
      [{ kind: 'DAILY' }, '2026-12-04', 'QUOTIDIEN'],
      [{ kind: 'WEEKLY', day: 1 }, '2026-12-06', 'HEBDOMADAIRE'], // Sunday
      [{ kind: 'QUARTERLY', day: 0, month: 3 }, '2026-12-31', 'TRIMESTRIEL'],
      [{ kind: 'SEMIANNUAL', day: 0, month: 6 }, '2026-12-31', 'SEMESTRIEL'],
      [{ kind: 'ANNUAL', day: 31, month: 3 }, '2027-03-31', 'ANNUEL'],
    ];
    for (const [p, nextEnd, label] of cases) {
      const r = intermediateStatementPreview(p, now);
      expect([p.kind, r.nextEnd, r.periodicity]).toEqual([p.kind, nextEnd, label]);
      expect(r.text).toContain(`Le prochain relevé ${label} couvrira du 04/12/2026 au `);
    }
  });
});
