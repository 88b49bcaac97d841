-- Outbox sender states (claim, suppression) and bounce records (issue 7).
-- AlterEnum
ALTER TYPE "EmailStatus" ADD VALUE 'SENDING';
ALTER TYPE "EmailStatus" ADD VALUE 'SUPPRESSED';

-- AlterTable
ALTER TABLE "EmailMessage" ADD COLUMN     "bouncedAt" TIMESTAMP(3),
ADD COLUMN     "claimedAt" TIMESTAMP(3),
ADD COLUMN     "nextAttemptAt" TIMESTAMP(3),
ADD COLUMN     "uncertain" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "EmailSuppression" ADD COLUMN     "details" TEXT,
ADD COLUMN     "postmarkMessageId" TEXT,
ADD COLUMN     "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- CreateIndex
CREATE INDEX "EmailMessage_postmarkMessageId_idx" ON "EmailMessage"("postmarkMessageId");
