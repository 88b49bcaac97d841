/**
 * Powens connection states (`connection.state`, null when fine) classified for the workflow, with
 * the French texts of the manual's section 4.2.3. Pure.
 *  - user-action: only the company can fix it (new credentials, SCA…): counts as a failed attempt;
 *  - transient: Powens or the bank will recover by itself: retried, never alarms the company.
 */
export type PowensStateKind = 'ok' | 'user-action' | 'transient';

export const USER_ACTION_STATES = [
  'wrongpass',
  'passwordExpired',
  'additionalInformationNeeded',
  'actionNeeded',
  'SCARequired',
  'webauthRequired',
  'decoupled',
] as const;
export const TRANSIENT_STATES = ['websiteUnavailable', 'rateLimiting', 'bug'] as const;

export const STATE_MESSAGES_FR: Record<string, string> = {
  wrongpass:
    "L'authentification au site de la banque a échoué. Veuillez mettre à jour vos identifiants de connexion bancaire.",
  passwordExpired:
    'Votre mot de passe de connexion à la banque a expiré. Veuillez changer votre mot de passe par l’intermédiaire de votre banque en ligne.',
  additionalInformationNeeded:
    'Identifiant complémentaire manquant : il manque un identifiant complémentaire (code pin) pour finaliser la connexion bancaire. Veuillez terminer la saisie de vos identifiants bancaires pour finaliser la connexion à la banque.',
  actionNeeded:
    'Une action de votre part sur le site web de la banque est nécessaire (validation CGU, mise à jour d’informations, ...).',
  SCARequired: 'Un processus d’authentification forte est nécessaire (sans redirection vers le site de la banque).',
  webauthRequired:
    'Un processus d’authentification forte est nécessaire (avec une redirection vers le site de la banque).',
  decoupled: 'Une action de votre part est nécessaire sur l’application de votre banque.',
  websiteUnavailable: 'Le service est temporairement indisponible.',
  rateLimiting: 'Le service est temporairement indisponible.',
  bug: 'Une erreur inattendue s’est produite.',
};

export function classifyPowensState(state: string | null | undefined): PowensStateKind {
  if (state === null || state === undefined || state === '') return 'ok';
  if ((USER_ACTION_STATES as readonly string[]).includes(state)) return 'user-action';
  // Unknown states are treated as transient: never alarm a company for something we don't know.
  return 'transient';
}

export function stateMessageFr(state: string | null | undefined): string {
  if (!state) return 'Connexion opérationnelle.';
  return STATE_MESSAGES_FR[state] ?? STATE_MESSAGES_FR.bug!;
}

/** States after which the reconnect webview must ask for new credentials (`reset_credentials`). */
export function needsNewCredentials(state: string | null | undefined): boolean {
  return state === 'wrongpass' || state === 'passwordExpired';
}
