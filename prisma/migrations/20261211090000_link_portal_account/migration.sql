-- The bank-account list's link filter at a million accounts (issue 21): each link carries its
-- company's portal account, as bank accounts and statements do, so that a firm's links in a state
-- are one range of (portalAccountId, usedAt, expiresAt): unused and still ahead (valid), unused and
-- past (expired), used. `link=` then finds a firm's few connections in that state without reading
-- everyone's links and their companies, and counts its matches from those links instead of probing
-- every account's latest link (14 000 probes for the capped count of 1 001 accounts).
-- The database keeps the column true: computed on every insert, it follows a link moved to another
-- company or a company moved to another portal account (neither happens today).

-- AlterTable (filled from the company before it becomes required)
ALTER TABLE "Link" ADD COLUMN "portalAccountId" UUID;

UPDATE "Link" l SET "portalAccountId" = c."portalAccountId"
FROM "Company" c
WHERE c.id = l."companyId";

ALTER TABLE "Link" ALTER COLUMN "portalAccountId" SET NOT NULL;

-- DropIndex (the valid links are now a range of the firm's: the index below)
DROP INDEX "Link_expiresAt_idx";

-- CreateIndex
CREATE INDEX "Link_portalAccountId_usedAt_expiresAt_idx" ON "Link"("portalAccountId", "usedAt", "expiresAt");

-- DropIndex
DROP INDEX "Link_connectionId_createdAt_idx";

-- CreateIndex (a connection's latest link, ties broken by id, read in one step without a sort: the
-- probe that each listed account, and each account walked by `link=`, makes)
CREATE INDEX "Link_connectionId_createdAt_id_idx" ON "Link"("connectionId", "createdAt", "id");

-- AddForeignKey
ALTER TABLE "Link" ADD CONSTRAINT "Link_portalAccountId_fkey" FOREIGN KEY ("portalAccountId") REFERENCES "PortalAccount"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Prisma's PostgreSQL adapter runs a migration split at every semicolon, so the two function bodies
-- are escape strings that write theirs as \x3b.

-- Whatever the writer sends (or omits), a row of a company (a bank account, a link) gets that
-- company's portal account: one function for both, which replaces the bank account's own
-- (20261208090000, the same body).
CREATE FUNCTION company_portal_account() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  SELECT c."portalAccountId" INTO NEW."portalAccountId" FROM "Company" c WHERE c.id = NEW."companyId"\x3b
  RETURN NEW\x3b
END';

DROP TRIGGER "BankAccount_portalAccountId_set" ON "BankAccount";

CREATE TRIGGER "BankAccount_portalAccountId_set" BEFORE INSERT OR UPDATE OF "companyId", "portalAccountId" ON "BankAccount"
FOR EACH ROW EXECUTE FUNCTION company_portal_account();

DROP FUNCTION bank_account_portal_account();

CREATE TRIGGER "Link_portalAccountId_set" BEFORE INSERT OR UPDATE OF "companyId", "portalAccountId" ON "Link"
FOR EACH ROW EXECUTE FUNCTION company_portal_account();

-- A company moved to another portal account: its bank accounts and its links follow (the trigger
-- above recomputes each row). Replaces the bank accounts' own (20261208090000).
CREATE FUNCTION company_portal_account_follow() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  UPDATE "BankAccount" SET "portalAccountId" = NULL WHERE "companyId" = NEW.id\x3b
  UPDATE "Link" SET "portalAccountId" = NULL WHERE "companyId" = NEW.id\x3b
  RETURN NULL\x3b
END';

DROP TRIGGER "Company_portalAccountId_follow_accounts" ON "Company";

DROP FUNCTION bank_account_portal_account_follow();

CREATE TRIGGER "Company_portalAccountId_follow_rows" AFTER UPDATE OF "portalAccountId" ON "Company"
FOR EACH ROW WHEN (OLD."portalAccountId" IS DISTINCT FROM NEW."portalAccountId")
EXECUTE FUNCTION company_portal_account_follow();
