-- Secure links at rest: an outbox message's bodies hold placeholders, the secrets they stand for
-- are kept here encrypted with ENCRYPTION_KEY until the message is sent or refused for good
-- AlterTable
ALTER TABLE "EmailMessage" ADD COLUMN "secretsEnc" TEXT;
