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
 * - Booked movements only (coming ones wait), each delivered once.
 * - Balances chain: a statement opens on the previous one's closing balance; the very first one
 *   opens on the bank's booked balance minus the booked movements since its period start; each
 *   closes on its opening balance plus its movements.
 *
 * When a connection issues them (the bank-connection workflow):
 * - the next statement's period end follows the periodicity; a missed one is kept for the
 *   catch-up, while a pause, a new or a finer periodicity restarts from now;
 * - a statement is due from 21:00 Paris on its last day, and issued once Powens' data covers that
 *   day (a sync after it: nothing of it can arrive later); until then it is shown "En cours";
 * - an intermediate statement, asked with a collection, runs up to yesterday.
 */
import type { PeriodicityInput } from './periodicity';
import { addDays, daysInMonth, isPeriodEnd, nextStatementSlot, parisDate, statementDueAt } from './schedule';

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

/**
 * The period end of the connection's next statement, given the one pending (if any): kept when it
 * is a period end of the periodicity that is not later than a fresh one, else the first due after
 * `nowMs` (`resumed`: after a pause, always restart from now).
 */
export function nextStatementEnd(
  periodicity: PeriodicityInput,
  pending: string | null,
  nowMs: number,
  resumed: boolean,
): string {
  const fresh = nextStatementSlot(periodicity, nowMs).periodEnd;
  if (!pending || resumed || !isPeriodEnd(periodicity, pending) || fresh < pending) return fresh;
  return pending;
}

/** The statement ending on `periodEnd` is due (21:00 Paris on that day has passed). */
export function isDue(periodEnd: string, nowMs: number): boolean {
  return statementDueAt(periodEnd).getTime() <= nowMs;
}

/** Powens' data covers `periodEnd`: its last successful sync (ISO instant) is on a later Paris day. */
export function isCovered(lastSyncAt: string | null, periodEnd: string): boolean {
  return lastSyncAt !== null && parisDate(Date.parse(lastSyncAt)) > periodEnd;
}

/** The period end of an intermediate statement asked at `nowMs`: yesterday (Paris). */
export function intermediatePeriodEnd(nowMs: number): string {
  return addDays(parisDate(nowMs), -1);
}

/** Why a due statement is shown "En cours" in Réception, in French. */
export function pendingReason(periodEnd: string): string {
  const [y, m, d] = periodEnd.split('-');
  return `En attente des opérations de la banque jusqu’au ${d}/${m}/${y} : le relevé part à la première collecte qui suit la synchronisation de la banque.`;
}

/** What balances are added with: the caller's exact decimal type (decimal.js), never floats. */
export interface Amount<T> {
  plus(other: T): T;
  minus(other: T): T;
}

/** The opening and closing balances of an account's next statement (see the chaining rule above). */
export function chainBalances<T extends Amount<T>>(account: {
  /** The closing balance of its latest statement (none: this is its first). */
  previousClosing: T | undefined;
  /** The bank's booked balance and the booked movements since the period start (first statement). */
  bankBalance: () => T;
  bookedSinceStart: () => T;
  movements: T[];
}): { opening: T; closing: T } {
  const opening = account.previousClosing ?? account.bankBalance().minus(account.bookedSinceStart());
  return { opening, closing: account.movements.reduce((sum, m) => sum.plus(m), opening) };
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
