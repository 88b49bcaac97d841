/**
 * The one e-mail module: templates (templates/), rendering (messages.ts), statement attachments,
 * delivery modes, the outbox, and the Postmark sender. The API and the activities both use it.
 */
export * from './messages';
export { ZIP_THRESHOLD_BYTES, statementAttachments, zipBuffer, type EmailAttachmentInput } from './attachments';
export { enqueueEmail, enqueueEmails, outboxRow, type EnqueueOptions } from './outbox';
export {
  dedicatedMailboxProblem,
  enqueueStatementDeliveries,
  enqueueStatementDeliveriesIn,
  enqueueStatementDelivery,
  MAX_ATTACHMENT_BYTES,
  statementIdempotencyKey,
  statementLinkVersion,
  statementRecipient,
  type ReceptionSettings,
  type StatementRecipient,
} from './delivery';
export { escapeHtml, renderTemplate } from './render';
export {
  LINK_SECRET_PLACEHOLDER,
  linkUrlPlaceholder,
  openSecrets,
  outboxBodies,
  sealSecrets,
  withSecrets,
} from './secrets';
export { classifyPostmarkError, postmarkClient, METADATA_KEY } from './postmark';
export { backoffMs } from './sender-rows';
export { createEmailActivities, type EmailActivities, type SendResult } from './sender';
