/**
 * Powens connection states (`connection.state`, null when the last sync succeeded) classified for
 * the workflow, with the French texts of the manual (section 4.2.3 "Erreurs possibles"). Pure: no
 * I/O, imported by workflows, activities and the API (the sandbox keeps its own list, sandbox/powens/states.ts).
 *
 *  - `ok`: the last sync succeeded (state null);
 *  - `user-action`: only the company can fix it (new credentials, SCA, validation in the bank's
 *    app…): counts as a failed attempt and sends the reconnection link;
 *  - `transient`: Powens or the bank recovers by itself: retried, never alarms the company.
 *
 * Unknown states (Powens may add some) are transient: we never alarm a company for something we do
 * not know; their text is the generic "unexpected error" one.
 */
export type PowensStateKind = 'ok' | 'user-action' | 'transient';

export interface PowensStateInfo {
  kind: Exclude<PowensStateKind, 'ok'>;
  /** Text shown to the company and in the e-mails (the manual's wording where it has one). */
  messageFr: string;
  /** The reconnect webview must ask for the credentials again (`reset_credentials=true`). */
  needsNewCredentials: boolean;
}

const TEXT_UNAVAILABLE = 'Le service est temporairement indisponible.';
const TEXT_BUG = 'Une erreur inattendue s’est produite.';

/** The table: every documented state. `validating` and `rateLimiting` are not in the manual. */
export const POWENS_STATES = {
  wrongpass: {
    kind: 'user-action',
    messageFr:
      "L'authentification au site de la banque a échoué. Veuillez mettre à jour vos identifiants de connexion bancaire.",
    needsNewCredentials: true,
  },
  passwordExpired: {
    kind: 'user-action',
    messageFr:
      'Votre mot de passe de connexion à la banque a expiré. Veuillez changer votre mot de passe par l’intermédiaire de votre banque en ligne.',
    needsNewCredentials: true,
  },
  additionalInformationNeeded: {
    kind: 'user-action',
    messageFr:
      'Identifiant complémentaire manquant : il manque un identifiant complémentaire (code pin) pour finaliser la connexion bancaire. Veuillez terminer la saisie de vos identifiants bancaires pour finaliser la connexion à la banque.',
    needsNewCredentials: false,
  },
  actionNeeded: {
    kind: 'user-action',
    messageFr:
      'Une action de votre part sur le site web de la banque est nécessaire (validation CGU, mise à jour d’informations, ...).',
    needsNewCredentials: false,
  },
  SCARequired: {
    kind: 'user-action',
    messageFr: 'Un processus d’authentification forte est nécessaire (sans redirection vers le site de la banque).',
    needsNewCredentials: false,
  },
  webauthRequired: {
    kind: 'user-action',
    messageFr: 'Un processus d’authentification forte est nécessaire (avec une redirection vers le site de la banque).',
    needsNewCredentials: false,
  },
  decoupled: {
    kind: 'user-action',
    messageFr: 'Une action de votre part est nécessaire sur l’application de votre banque.',
    needsNewCredentials: false,
  },
  websiteUnavailable: { kind: 'transient', messageFr: TEXT_UNAVAILABLE, needsNewCredentials: false },
  rateLimiting: { kind: 'transient', messageFr: TEXT_UNAVAILABLE, needsNewCredentials: false },
  bug: { kind: 'transient', messageFr: TEXT_BUG, needsNewCredentials: false },
  validating: {
    kind: 'transient',
    messageFr: 'La validation de la connexion bancaire est en cours.',
    needsNewCredentials: false,
  },
} as const satisfies Record<string, PowensStateInfo>;

export type PowensState = keyof typeof POWENS_STATES;

export const USER_ACTION_STATES = [
  'wrongpass',
  'passwordExpired',
  'additionalInformationNeeded',
  'actionNeeded',
  'SCARequired',
  'webauthRequired',
  'decoupled',
] as const satisfies readonly PowensState[];
export const TRANSIENT_STATES = ['websiteUnavailable', 'rateLimiting', 'bug'] as const satisfies readonly PowensState[];

/** The states a connection can be put into in tests (everything but the in-progress `validating`). */
export const SIMULABLE_STATES = [...USER_ACTION_STATES, ...TRANSIENT_STATES] as const;

export const STATE_MESSAGES_FR: Record<string, string> = Object.fromEntries(
  Object.entries(POWENS_STATES).map(([state, info]) => [state, info.messageFr]),
);

export function isPowensState(state: string): state is PowensState {
  return Object.prototype.hasOwnProperty.call(POWENS_STATES, state);
}

function info(state: string | null | undefined): PowensStateInfo | null {
  if (state === null || state === undefined || state === '') return null;
  return isPowensState(state) ? POWENS_STATES[state] : null;
}

export function classifyPowensState(state: string | null | undefined): PowensStateKind {
  if (state === null || state === undefined || state === '') return 'ok';
  return info(state)?.kind ?? 'transient';
}

export function stateMessageFr(state: string | null | undefined): string {
  if (!state) return 'Connexion opérationnelle.';
  return info(state)?.messageFr ?? TEXT_BUG;
}

/** States after which the reconnect webview must ask for new credentials (`reset_credentials`). */
export function needsNewCredentials(state: string | null | undefined): boolean {
  return info(state)?.needsNewCredentials ?? false;
}
