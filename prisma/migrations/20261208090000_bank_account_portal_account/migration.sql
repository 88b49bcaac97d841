-- The bank-account lists at a million rows (issue 21): each bank account carries its company's
-- portal account, as each statement does (20261207090000), so that a list's scope, its sort on the
-- account (createdAt, iban, label) and its capped count walk one index (portalAccountId, key, id)
-- instead of walking everyone's accounts in that order and probing each one's company. A firm
-- holding a few per cent of the accounts no longer walks everyone's.
-- The database keeps the column true: it is computed on every insert, and follows a bank account
-- moved to another company or a company moved to another portal account (neither happens today).

-- AlterTable (filled from the company before it becomes required)
ALTER TABLE "BankAccount" ADD COLUMN "portalAccountId" UUID;

UPDATE "BankAccount" a SET "portalAccountId" = c."portalAccountId"
FROM "Company" c
WHERE c.id = a."companyId";

ALTER TABLE "BankAccount" ALTER COLUMN "portalAccountId" SET NOT NULL;

-- CreateIndex
CREATE INDEX "BankAccount_portalAccountId_createdAt_id_idx" ON "BankAccount"("portalAccountId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "BankAccount_portalAccountId_iban_id_idx" ON "BankAccount"("portalAccountId", "iban", "id");

-- CreateIndex
CREATE INDEX "BankAccount_portalAccountId_label_id_idx" ON "BankAccount"("portalAccountId", "label", "id");

-- AddForeignKey
ALTER TABLE "BankAccount" ADD CONSTRAINT "BankAccount_portalAccountId_fkey" FOREIGN KEY ("portalAccountId") REFERENCES "PortalAccount"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Prisma's PostgreSQL adapter runs a migration split at every semicolon, so the two function bodies
-- are escape strings that write theirs as \x3b.

-- Whatever the writer sends (or omits), the row gets its company's portal account.
CREATE FUNCTION bank_account_portal_account() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  SELECT c."portalAccountId" INTO NEW."portalAccountId" FROM "Company" c WHERE c.id = NEW."companyId"\x3b
  RETURN NEW\x3b
END';

CREATE TRIGGER "BankAccount_portalAccountId_set" BEFORE INSERT OR UPDATE OF "companyId", "portalAccountId" ON "BankAccount"
FOR EACH ROW EXECUTE FUNCTION bank_account_portal_account();

-- A company moved to another portal account: its bank accounts follow (the trigger above recomputes
-- each one).
CREATE FUNCTION bank_account_portal_account_follow() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  UPDATE "BankAccount" SET "portalAccountId" = NULL WHERE "companyId" = NEW.id\x3b
  RETURN NULL\x3b
END';

CREATE TRIGGER "Company_portalAccountId_follow_accounts" AFTER UPDATE OF "portalAccountId" ON "Company"
FOR EACH ROW WHEN (OLD."portalAccountId" IS DISTINCT FROM NEW."portalAccountId")
EXECUTE FUNCTION bank_account_portal_account_follow();
