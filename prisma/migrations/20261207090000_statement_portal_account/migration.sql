-- The statement lists at ten million rows (issue 21): each statement carries its company's portal
-- account, so that a list's scope, its sort and its capped count walk one index (portalAccountId,
-- receivedAt | periodEnd, id) or (portalAccountId, state, receivedAt, id) instead of joining every
-- statement to its bank account and company. A firm holding a few per cent of the rows no longer
-- walks everyone's.
-- The database keeps the column true: it is computed on every insert, and follows a bank account
-- moved to another company or a company moved to another portal account (neither happens today).

-- AlterTable (filled from the company before it becomes required)
ALTER TABLE "Statement" ADD COLUMN "portalAccountId" UUID;

UPDATE "Statement" s SET "portalAccountId" = c."portalAccountId"
FROM "BankAccount" a JOIN "Company" c ON c.id = a."companyId"
WHERE a.id = s."bankAccountId";

ALTER TABLE "Statement" ALTER COLUMN "portalAccountId" SET NOT NULL;

-- CreateIndex
CREATE INDEX "Statement_portalAccountId_receivedAt_id_idx" ON "Statement"("portalAccountId", "receivedAt", "id");

-- CreateIndex
CREATE INDEX "Statement_portalAccountId_periodEnd_id_idx" ON "Statement"("portalAccountId", "periodEnd", "id");

-- CreateIndex
CREATE INDEX "Statement_portalAccountId_state_receivedAt_id_idx" ON "Statement"("portalAccountId", "state", "receivedAt", "id");

-- AddForeignKey
ALTER TABLE "Statement" ADD CONSTRAINT "Statement_portalAccountId_fkey" FOREIGN KEY ("portalAccountId") REFERENCES "PortalAccount"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Prisma's PostgreSQL adapter runs a migration split at every semicolon, so the two function bodies
-- are escape strings that write theirs as \x3b.

-- Whatever the writer sends (or omits), the row gets its company's portal account.
CREATE FUNCTION statement_portal_account() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  SELECT c."portalAccountId" INTO NEW."portalAccountId"
  FROM "BankAccount" a JOIN "Company" c ON c.id = a."companyId"
  WHERE a.id = NEW."bankAccountId"\x3b
  RETURN NEW\x3b
END';

CREATE TRIGGER "Statement_portalAccountId_set" BEFORE INSERT OR UPDATE OF "bankAccountId", "portalAccountId" ON "Statement"
FOR EACH ROW EXECUTE FUNCTION statement_portal_account();

-- A company moved to another portal account, or a bank account to another company: its statements
-- follow (the trigger above recomputes each one).
CREATE FUNCTION statement_portal_account_follow() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  IF TG_TABLE_NAME = ''Company'' THEN
    UPDATE "Statement" s SET "portalAccountId" = NEW."portalAccountId"
    FROM "BankAccount" a WHERE a."companyId" = NEW.id AND s."bankAccountId" = a.id\x3b
  ELSE
    UPDATE "Statement" SET "portalAccountId" = NULL WHERE "bankAccountId" = NEW.id\x3b
  END IF\x3b
  RETURN NULL\x3b
END';

CREATE TRIGGER "Company_portalAccountId_follow" AFTER UPDATE OF "portalAccountId" ON "Company"
FOR EACH ROW WHEN (OLD."portalAccountId" IS DISTINCT FROM NEW."portalAccountId")
EXECUTE FUNCTION statement_portal_account_follow();

CREATE TRIGGER "BankAccount_companyId_follow" AFTER UPDATE OF "companyId" ON "BankAccount"
FOR EACH ROW WHEN (OLD."companyId" IS DISTINCT FROM NEW."companyId")
EXECUTE FUNCTION statement_portal_account_follow();
