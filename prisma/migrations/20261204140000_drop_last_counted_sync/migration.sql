-- The error streak counts failures per Paris day (domain/connection-health.ts), not per Powens
-- sync: the identity of the last counted sync is no longer kept.
ALTER TABLE "BankConnection" DROP COLUMN "lastCountedSyncAt";
