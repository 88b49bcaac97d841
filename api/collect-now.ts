/**
 * "Collecter maintenant" as the firm sees it: whether a connection may be collected now, the
 * cooldown, the French texts about the connection's state, and what an intermediate statement does
 * to the next periodic one. Pure (the clock is a parameter): used by the collect route, the
 * presentations of connections and bank accounts, and their tests.
 *
 * A collection asked by a person forces a Powens sync without the account holder
 * (`psu_requested=false`): never on a connection that waits for its user (a forced sync there can
 * lock the bank account), and at most one per connection per COLLECT_COOLDOWN_MS (one click = one
 * sync, stored in BankConnection.collectRequestedAt and enforced by the API).
 */
import { classifyPowensState, stateMessageFr, USER_ACTION_STATES } from '../domain/powens-states';
import { PERIODICITY_LABELS, type PeriodicityInput } from '../domain/periodicity';
import { addDays, nextPeriodEnd, parisDate } from '../domain/schedule';

/** One forced sync per connection per quarter of an hour. */
export const COLLECT_COOLDOWN_MS = 15 * 60_000;

/**
 * At most this many syncs forced by the firm per connection in 24 hours: PSD2 allows an account
 * information service four accesses a day without the account holder (EBA Q&A 2019_4631 on RTS
 * 2018/389 art. 36(5)), and Powens' own daily background sync is one of them.
 */
export const MAX_FORCED_SYNCS_PER_DAY = 3;

/** The 429 of a collect asked once the day's forced syncs are used. */
export function dailyLimitDetail(availableAt: Date): string {
  return (
    `Limite atteinte : ${MAX_FORCED_SYNCS_PER_DAY} collectes forcées en 24 heures pour cette connexion ` +
    '(la réglementation DSP2 limite les accès sans le titulaire du compte à quatre par jour, ' +
    'synchronisation quotidienne de la banque comprise). ' +
    `Nouvelle demande possible le ${new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' }).format(availableAt)}. ` +
    'La collecte de la nuit aura lieu normalement.'
  );
}

export type CollectRefusal = 'inactive' | 'user-action' | 'cooldown';

export interface CollectAvailability {
  available: boolean;
  refusal: CollectRefusal | null;
  /** ISO instant from which a new request is accepted (cooldown), else null. */
  availableAt: string | null;
  /** Why not, in French (null when available). */
  message: string | null;
}

type UserActionState = (typeof USER_ACTION_STATES)[number];

/** What the company has to do, as the firm reads it (the company's own texts are in powens-states). */
const WAITING_FOR_FR: Record<UserActionState, string> = {
  wrongpass: 'la banque refuse les identifiants enregistrés (mot de passe changé ?)',
  passwordExpired: 'le mot de passe bancaire du redevable a expiré',
  additionalInformationNeeded: 'la banque demande un identifiant complémentaire (code PIN…)',
  actionNeeded: 'la banque demande au redevable une action sur son site (conditions à valider, informations…)',
  SCARequired: 'la banque demande une authentification forte du redevable',
  webauthRequired: 'la banque demande au redevable de s’authentifier sur son site',
  decoupled: 'la banque attend une validation du redevable dans son application',
};

const isUserActionState = (s: string): s is UserActionState => (USER_ACTION_STATES as readonly string[]).includes(s);

const timeFmt = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' });
/** "14:35", Paris time. */
export const parisTime = (d: Date) => timeFmt.format(d);
/** "04/12/2026" for an ISO day. */
export const frDay = (day: string) => `${day.slice(8, 10)}/${day.slice(5, 7)}/${day.slice(0, 4)}`;

/** The connection's state after a collection, in French, for the firm. */
export function connectionStateFr(state: string | null | undefined): string {
  switch (classifyPowensState(state)) {
    case 'ok':
      return 'opérationnelle';
    case 'user-action':
      return `en attente du redevable : ${waitingFor(state!)}. Envoyez-lui un lien de mise à jour des identifiants.`;
    default:
      return `incident passager chez la banque ou chez Powens (${stateMessageFr(state)}) : la collecte sera retentée automatiquement.`;
  }
}

function waitingFor(state: string): string {
  return isUserActionState(state) ? WAITING_FOR_FR[state] : stateMessageFr(state);
}

/** The 409 of a collect asked on a connection that waits for its user: the reason and the remedy. */
export function waitingForUserDetail(state: string): string {
  return (
    `Collecte impossible : la connexion attend une action du redevable (${waitingFor(state)}). ` +
    'Forcer une synchronisation sans lui pourrait bloquer son accès à la banque. ' +
    'Envoyez-lui un lien de mise à jour des identifiants (« Mettre à jour les identifiants ») : ' +
    'la collecte reprendra dès qu’il l’aura utilisé.'
  );
}

/** The 429 of a collect asked during the cooldown. */
export function cooldownDetail(requestedAt: Date, availableAt: Date): string {
  return (
    `Une collecte a déjà été demandée à ${parisTime(requestedAt)} pour cette connexion ` +
    `(une synchronisation au plus par quart d’heure) : nouvelle demande possible à ${parisTime(availableAt)}.`
  );
}

export function collectAvailability(
  c: { state: string | null; active: boolean; collectRequestedAt: Date | null },
  now: Date = new Date(),
): CollectAvailability {
  if (!c.active)
    return { available: false, refusal: 'inactive', availableAt: null, message: 'La connexion est désactivée.' };
  if (classifyPowensState(c.state) === 'user-action')
    return { available: false, refusal: 'user-action', availableAt: null, message: waitingForUserDetail(c.state!) };
  const until = cooldownEnd(c.collectRequestedAt, now);
  if (until)
    return {
      available: false,
      refusal: 'cooldown',
      availableAt: until.toISOString(),
      message: cooldownDetail(c.collectRequestedAt!, until),
    };
  return { available: true, refusal: null, availableAt: null, message: null };
}

/** End of the cooldown started at `requestedAt`, or null when it is over. */
export function cooldownEnd(requestedAt: Date | null, now: Date = new Date()): Date | null {
  if (!requestedAt) return null;
  const end = new Date(requestedAt.getTime() + COLLECT_COOLDOWN_MS);
  return end.getTime() > now.getTime() ? end : null;
}

export interface IntermediateStatementPreview {
  /** Last day the intermediate statement covers: yesterday (Paris). */
  until: string;
  /** The next periodic statement then covers [nextStart, nextEnd]. */
  nextStart: string;
  nextEnd: string;
  /** "MENSUEL", "TRIMESTRIEL"… */
  periodicity: string;
  /** The whole explanation, in French. */
  text: string;
}

/** What "Émettre un relevé intermédiaire" does, for the company's periodicity, asked at `now`. */
export function intermediateStatementPreview(
  p: PeriodicityInput,
  now: Date = new Date(),
): IntermediateStatementPreview {
  const until = addDays(parisDate(now), -1);
  const nextStart = addDays(until, 1);
  const nextEnd = nextPeriodEnd(p, until);
  const periodicity = PERIODICITY_LABELS[p.kind as keyof typeof PERIODICITY_LABELS] ?? String(p.kind);
  return {
    until,
    nextStart,
    nextEnd,
    periodicity,
    text:
      `Un relevé sera émis jusqu’au ${frDay(until)}. ` +
      `Le prochain relevé ${periodicity} couvrira du ${frDay(nextStart)} au ${frDay(nextEnd)}.`,
  };
}
