/** Moved to the e-mail module (activities/email/sender.ts); kept for existing imports. */
export { createEmailActivities, type EmailActivities } from './email/sender';
