/** The events a firm's webhook endpoints can subscribe to (README "Outgoing webhooks"), with their French labels. */
export const EVENT_TYPES = [
  'statement.issued',
  'statement.failed',
  'connection.error',
  'connection.restored',
  'link.expired',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** French descriptions (portal, OpenAPI). */
export const EVENT_LABELS: Record<EventType, string> = {
  'statement.issued': 'Relevé émis',
  'statement.failed': 'Relevé en échec',
  'connection.error': 'Connexion bancaire en erreur',
  'connection.restored': 'Connexion bancaire rétablie',
  'link.expired': 'Lien de mise à jour expiré',
};
