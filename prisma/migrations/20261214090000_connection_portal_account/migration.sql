-- The company list's collection filter at a million accounts (issue 21): each bank connection
-- carries its company's portal account, as bank accounts, links and statements do, so that a firm's
-- companies with a connection in error are one range of a small index, scoped on the firm and read
-- without the table. `collection=error` counted its matches by reading every firm's connections in
-- error (20 000 at 1 000 000 accounts: 18 ms), or probed each company walked.
-- The database keeps the column true: computed on every insert, it follows a connection moved to
-- another company or a company moved to another portal account (neither happens today).

-- AlterTable (required once filled, below)
ALTER TABLE "BankConnection" ADD COLUMN "portalAccountId" UUID;

-- Whatever the writer sends (or omits), a connection gets its company's portal account (the
-- function of the bank accounts and links, migration 20261211090000). Created before the fill, so
-- that a connection written meanwhile by a worker of the previous release gets it too.
CREATE TRIGGER "BankConnection_portalAccountId_set" BEFORE INSERT OR UPDATE OF "companyId", "portalAccountId" ON "BankConnection"
FOR EACH ROW EXECUTE FUNCTION company_portal_account();

-- A company moved to another portal account: its connections follow, with its bank accounts and
-- links (the triggers recompute each row). The body is an escape string that writes its statement
-- ends as \x3b: Prisma's PostgreSQL adapter splits a migration at every semicolon.
CREATE OR REPLACE FUNCTION company_portal_account_follow() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  UPDATE "BankConnection" SET "portalAccountId" = NULL WHERE "companyId" = NEW.id\x3b
  UPDATE "BankAccount" SET "portalAccountId" = NULL WHERE "companyId" = NEW.id\x3b
  UPDATE "Link" SET "portalAccountId" = NULL WHERE "companyId" = NEW.id\x3b
  RETURN NULL\x3b
END';

UPDATE "BankConnection" x SET "portalAccountId" = c."portalAccountId"
FROM "Company" c
WHERE c.id = x."companyId";

ALTER TABLE "BankConnection" ALTER COLUMN "portalAccountId" SET NOT NULL;

-- AddForeignKey
ALTER TABLE "BankConnection" ADD CONSTRAINT "BankConnection_portalAccountId_fkey" FOREIGN KEY ("portalAccountId") REFERENCES "PortalAccount"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- CreateIndex (only the active connections in error, in company order, read without the table: a
-- firm's companies whose collection is in error)
CREATE INDEX "BankConnection_portalAccountId_companyId_error_idx" ON "BankConnection"("portalAccountId", "companyId") WHERE active AND state IS NOT NULL;
