/**
 * What a Postmark bounce means for us, by its `Type` (https://postmarkapp.com/developer/api/bounce-api,
 * "Bounce types"), and how a delivery is told in French. Pure.
 *
 *  - permanent: the address will not receive anything (HardBounce, BadEmailAddress, SpamComplaint,
 *    ManuallyDeactivated, Blocked, Unsubscribe, DMARCPolicy): the message is BOUNCED, the address is
 *    suppressed (nothing is sent to it) until a person changes or reactivates it, the company is
 *    flagged and the firm's daily summary lists it;
 *  - retry: the mailbox could not take it now (SoftBounce, DnsError, Undeliverable…): the message is
 *    sent again later, up to SOFT_BOUNCE_RESENDS times, then BOUNCED (listed, not suppressed);
 *  - delayed: Postmark keeps trying by itself (Transient): nothing to do, the delivery shows it;
 *  - ignore: the message was delivered and something answered (AutoResponder, AddressChange,
 *    ChallengeVerification, Subscribe, OpenRelayTest, VirusNotification, SpamNotification, Unknown…).
 */
export type BounceKind = 'permanent' | 'retry' | 'delayed' | 'ignore';

const PERMANENT = new Set([
  'HardBounce',
  'BadEmailAddress',
  'SpamComplaint',
  'ManuallyDeactivated',
  'Blocked',
  'Unsubscribe',
  'DMARCPolicy',
]);
const RETRY = new Set(['SoftBounce', 'DnsError', 'Undeliverable', 'SMTPApiError']);
const DELAYED = new Set(['Transient']);

/** At most this many sends again after soft bounces, then the message stays BOUNCED. */
export const SOFT_BOUNCE_RESENDS = 2;
/** Delay before sending again after the n-th soft bounce (1 h, then 6 h). */
export const softBounceDelayMs = (n: number) => (n <= 1 ? 3600_000 : 6 * 3600_000);

export function classifyBounce(type: string, inactive = false): BounceKind {
  // Postmark deactivated the address: whatever the type, nothing more goes there.
  if (inactive || PERMANENT.has(type)) return 'permanent';
  if (RETRY.has(type)) return 'retry';
  if (DELAYED.has(type)) return 'delayed';
  return 'ignore';
}

const REASONS: Record<string, string> = {
  HardBounce: 'adresse inexistante ou refusée par le serveur du destinataire',
  BadEmailAddress: 'adresse e-mail invalide',
  SpamComplaint: 'le destinataire a signalé un message comme indésirable',
  ManuallyDeactivated: 'adresse désactivée manuellement chez Postmark',
  Blocked: 'message bloqué par le fournisseur de messagerie du destinataire',
  Unsubscribe: 'le destinataire s’est désabonné',
  DMARCPolicy: 'message refusé par la politique DMARC du destinataire',
  SoftBounce: 'boîte momentanément indisponible (pleine ou inactive)',
  DnsError: 'erreur DNS temporaire du domaine du destinataire',
  Undeliverable: 'message non remis',
  SMTPApiError: 'erreur du serveur d’envoi',
  Transient: 'remise retardée (le serveur du destinataire ne répond pas pour l’instant)',
  AutoResponder: 'réponse automatique (absence, congés)',
  InactiveRecipient: 'adresse désactivée après un rejet définitif',
};

/** A bounce type in French (the type itself when unknown). */
export const bounceReasonFr = (type: string | null | undefined) =>
  type ? (REASONS[type] ?? `rejet (${type})`) : 'rejet';

export type DeliveryState = 'queued' | 'sent' | 'delivered' | 'delayed' | 'bounced' | 'failed' | 'suppressed';

export const DELIVERY_STATE_FR: Record<DeliveryState, string> = {
  queued: 'En attente d’envoi',
  sent: 'Envoyé',
  delivered: 'Remis',
  delayed: 'Remise retardée',
  bounced: 'Rejeté',
  failed: 'Échec',
  suppressed: 'Non envoyé (adresse désactivée)',
};

/** Postmark ErrorCodes that say our sending is misconfigured (sender signature, account), not the message. */
export const CONFIGURATION_ERROR_CODES = new Set([10, 400, 401, 405, 412, 413]);

/** A message's state as shown to the firm, and why in French. */
export function deliveryOf(m: {
  status: string;
  deliveredAt: Date | null;
  bounceType: string | null;
  lastError: string | null;
  lastErrorCode: number | null;
  nextAttemptAt: Date | null;
}): { state: DeliveryState; reason: string | null } {
  switch (m.status) {
    case 'QUEUED':
    case 'SENDING':
      if (m.lastErrorCode !== null && CONFIGURATION_ERROR_CODES.has(m.lastErrorCode))
        return {
          state: 'queued',
          reason:
            'en attente : l’envoi d’e-mails est mal configuré chez notre prestataire (expéditeur non confirmé) ; l’exploitant est prévenu et le message partira dès la correction',
        };
      if (m.bounceType) return { state: 'queued', reason: `nouvel envoi prévu : ${bounceReasonFr(m.bounceType)}` };
      return { state: 'queued', reason: m.lastError ? 'nouvel essai prévu après une erreur temporaire' : null };
    case 'SENT':
      if (m.deliveredAt) return { state: 'delivered', reason: null };
      if (m.bounceType === 'Transient') return { state: 'delayed', reason: bounceReasonFr('Transient') };
      if (m.bounceType === 'AutoResponder') return { state: 'sent', reason: bounceReasonFr('AutoResponder') };
      return { state: 'sent', reason: null };
    case 'BOUNCED':
      return { state: 'bounced', reason: bounceReasonFr(m.bounceType) };
    case 'SUPPRESSED':
      return { state: 'suppressed', reason: bounceReasonFr('InactiveRecipient') };
    default:
      return { state: 'failed', reason: m.lastError };
  }
}
