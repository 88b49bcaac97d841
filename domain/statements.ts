/**
 * What a statement covers, as pure rules (dates are ISO `YYYY-MM-DD`, calendar days in Paris).
 *
 * - An account's statements follow each other without gap or overlap: each one starts the day
 *   after the previous one's period end (`collectedUntil`), so that an accounting tool importing
 *   them one after the other sees every day once and the opening balance dated the previous
 *   closing date.
 * - The very first statement reaches one month back from the account's activation; nothing booked
 *   before that day is ever delivered.
 * - A movement the bank shows late (booked before the period being issued: a transaction Powens
 *   found after the earlier statement went out, or the corrected version of one the bank changed)
 *   is delivered in the next statement, booked on that statement's first day, the day it enters
 *   our files, as a bank books a late entry; its value date stays the bank's. The earlier
 *   statement is never reopened and the new one's period is never widened back.
 */
import { addDays, daysInMonth } from './schedule';

/** The same day one month earlier, clamped to that month's length (31 March → 28/29 February). */
export function oneMonthBefore(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const month = m === 1 ? 12 : m - 1;
  const year = m === 1 ? y - 1 : y;
  const day = Math.min(d, daysInMonth(year, month));
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** The first day whose movements are ever delivered for an account activated on `activatedOn`. */
export function deliveryStart(activatedOn: string): string {
  return oneMonthBefore(activatedOn);
}

/**
 * The first day of the account's next statement: the day after the last one delivered, or, for
 * the first statement, the delivery start.
 */
export function nextPeriodStart(account: { activatedOn: string; collectedUntil: string | null }): string {
  return account.collectedUntil ? addDays(account.collectedUntil, 1) : deliveryStart(account.activatedOn);
}

/** The booking date a movement carries in the statement starting on `periodStart`. */
export function bookingDateIn(periodStart: string, bookingDate: string): string {
  return bookingDate < periodStart ? periodStart : bookingDate;
}

/** Why an account gets no CFONB statement, in French (Réception, "Échec"). */
export function noIbanReason(type: string): string {
  const kind = ACCOUNT_TYPES_FR[type];
  return `Relevé CFONB indisponible : compte sans IBAN${kind ? ` (${kind})` : ''}`;
}

/** Powens account types, in French. */
export const ACCOUNT_TYPES_FR: Record<string, string> = {
  checking: 'compte courant',
  savings: 'compte d’épargne',
  deposit: 'compte à terme',
  card: 'carte',
  loan: 'prêt',
  market: 'compte titres',
  pea: 'PEA',
  pee: 'plan d’épargne entreprise',
  per: 'plan d’épargne retraite',
  lifeinsurance: 'assurance vie',
  capitalisation: 'contrat de capitalisation',
  joint: 'compte joint',
  perco: 'PERCO',
  rsp: 'RSP',
  madelin: 'contrat Madelin',
  crowdlending: 'financement participatif',
  real_estate: 'immobilier',
  article83: 'article 83',
  unknown: 'type inconnu',
};
