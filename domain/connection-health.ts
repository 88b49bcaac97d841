/**
 * A bank connection's health: the error streak, and when the company gets a reconnection link and
 * the firm an alert. Pure and deterministic (imported by the workflow).
 *
 * The rule (manual §4.2: "l'URL de mise à jour des identifiants bancaires n'est transmise qu'à
 * compter de la seconde tentative de connexion en erreur", so that a passing bank outage never asks
 * a company for its credentials):
 *  - an attempt is any look at the connection's state: the nightly collection (which only reads
 *    Powens, never forcing a sync), a sync Powens reports (CONNECTION_SYNCED webhook), a sync a
 *    person asked for, a reconnection read;
 *  - a user-action state (wrongpass, SCARequired…: Powens suspends the connection until its user
 *    acts and does not retry by itself) is a failed attempt; at most one failed attempt counts per
 *    Paris calendar day;
 *  - the streak is the number of days with a counted failure since the last success; a success
 *    resets it; a transient state (websiteUnavailable, bug, rate limit, our own call failing)
 *    neither counts nor resets, and never alarms;
 *  - while the bank's connector is in maintenance (the connector catalogue), a failure is transient;
 *  - from a streak of 2 (the second day shows the error is not a passing one): a link to the
 *    company when none is pending and the company accepts automatic links, and an alert to the
 *    firm (once when the streak reaches 2, then with each new link, e.g. after one expired).
 */
import { classifyPowensState } from './powens-states';
import { parisDate } from './schedule';

/** The streak from which the error is confirmed: a link to the company, an alert to the firm. */
export const CONFIRMED_FROM_STREAK = 2;

/** A streak of one day: maybe a passing outage, so nobody is told yet (no link, no alert). */
export function isFirstFailure(streak: number): boolean {
  return streak < CONFIRMED_FROM_STREAK;
}

export interface ConnectionHealth {
  /** Days with a counted failure since the last success. */
  streak: number;
  /** Paris day (YYYY-MM-DD) of the last counted failure. */
  lastFailureDay: string | null;
  /** ISO instant of the streak's first counted failure. */
  errorSince: string | null;
  /** Powens state of the last failure seen (user-action), null when none since the last success. */
  errorState: string | null;
  errorMessage: string | null;
}

export const HEALTHY: ConnectionHealth = {
  streak: 0,
  lastFailureDay: null,
  errorSince: null,
  errorState: null,
  errorMessage: null,
};

export interface Observation {
  /** ISO instant of the attempt (workflow time). */
  at: string;
  /** Powens connection state seen by the attempt: null when ok. */
  state: string | null;
  errorMessage?: string | null;
  /** The bank's connector is in maintenance at Powens: any failure is transient by definition. */
  maintenance?: boolean;
}

export interface HealthContext {
  /** A reconnection link sent earlier is still valid (not used, not expired). */
  linkPending: boolean;
  /** The company accepts automatic links (the firm did not tick "Ne pas générer automatiquement…"). */
  autoLinks: boolean;
}

export interface HealthDecision {
  outcome: 'ok' | 'failed' | 'transient';
  /** This failure counted: a new day of the streak. */
  counted: boolean;
  /** A success after an error the firm was alerted of (or with a link pending): tell the firm. */
  recovered: boolean;
  /** Send the company a reconnection link now. */
  sendLink: boolean;
  /** Alert the firm now (it says whether a link went out). */
  alertFirm: boolean;
}

/** What one attempt does to the health, and what to do about it. */
export function observe(
  health: ConnectionHealth,
  attempt: Observation,
  ctx: HealthContext,
): { health: ConnectionHealth; decision: HealthDecision } {
  const seenKind = classifyPowensState(attempt.state);
  // A bank in maintenance: nobody is alarmed, the company is not asked for its credentials.
  const kind = attempt.maintenance && seenKind === 'user-action' ? 'transient' : seenKind;
  const none = { counted: false, recovered: false, sendLink: false, alertFirm: false };
  if (kind === 'ok')
    return {
      health: HEALTHY,
      // The firm is told it is over only if it was told of the error (from the second day).
      decision: { ...none, outcome: 'ok', recovered: !isFirstFailure(health.streak) || ctx.linkPending },
    };
  if (kind === 'transient') return { health, decision: { ...none, outcome: 'transient' } };

  const day = parisDate(Date.parse(attempt.at));
  const seen = { ...health, errorState: attempt.state, errorMessage: attempt.errorMessage ?? null };
  if (health.lastFailureDay !== null && day <= health.lastFailureDay)
    return { health: seen, decision: { ...none, outcome: 'failed' } };
  const streak = health.streak + 1;
  const next: ConnectionHealth = {
    ...seen,
    streak,
    lastFailureDay: day,
    errorSince: health.streak === 0 ? attempt.at : health.errorSince,
  };
  const confirmed = !isFirstFailure(streak);
  const sendLink = confirmed && !ctx.linkPending && ctx.autoLinks;
  return {
    health: next,
    decision: {
      ...none,
      outcome: 'failed',
      counted: true,
      sendLink,
      alertFirm: streak === CONFIRMED_FROM_STREAK || sendLink,
    },
  };
}
