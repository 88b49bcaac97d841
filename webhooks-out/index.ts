/** Outgoing webhooks (issue 19): the event outbox, Standard Webhooks signing, delivery without SSRF, the sender. */
export {
  EVENT_LABELS,
  EVENT_TYPES,
  enqueueConnectionEvent,
  enqueueStatementEvents,
  enqueueWebhookEvents,
  eventBody,
  type ConnectionRef,
  type EventType,
  type WebhookEventInput,
} from './events';
export {
  checkedLookup,
  isPublicAddress,
  localPolicy,
  policyFor,
  postWebhook,
  strictPolicy,
  urlProblem,
  type DeliveryPolicy,
} from './http';
export { ROTATION_OVERLAP_MS, decryptSecret, encryptSecret, newWebhookSecret, signatureHeaders } from './signing';
export {
  DISABLE_AFTER_MS,
  MAX_ATTEMPTS,
  RETRY_DELAYS_MS,
  createWebhookSender,
  type WebhookSendResult,
  type WebhookSender,
} from './sender';
