-- The searches on a company's name at a million accounts (issue 21).
-- Each bank account and each statement carries its company's name, so that a bank-account or
-- statement page filtered on a name walks the caller's own index and checks the name on the row it
-- reads, instead of probing the account and the company of every row walked (two index probes a
-- row: 411 statements walked for a page of `name=garage`, 1 001 matches counted for a failed
-- state, a name and a date). The database keeps both columns true: computed on every insert, they
-- follow a company renamed, a bank account moved to another company.
-- The name's trigram index is scoped on the portal account (btree_gin): a name matching none of a
-- firm's companies but thousands of another firm's read and rechecked those thousands (2 500 heap
-- pages for `garage dupont`), and would read those of every firm of a shared database.

CREATE EXTENSION IF NOT EXISTS btree_gin;

-- AlterTable (an empty name until filled below: the triggers write it from then on)
ALTER TABLE "BankAccount" ADD COLUMN "companyName" TEXT NOT NULL DEFAULT '';

ALTER TABLE "Statement" ADD COLUMN "companyName" TEXT NOT NULL DEFAULT '';

UPDATE "BankAccount" a SET "companyName" = c.name
FROM "Company" c
WHERE c.id = a."companyId";

UPDATE "Statement" s SET "companyName" = a."companyName"
FROM "BankAccount" a
WHERE a.id = s."bankAccountId";

-- DropIndex
DROP INDEX "Company_name_trgm_idx";

-- CreateIndex
CREATE INDEX "Company_portalAccountId_name_trgm_idx" ON "Company" USING GIN ("portalAccountId" uuid_ops, "name" gin_trgm_ops);

-- Prisma's PostgreSQL adapter runs a migration split at every semicolon, so the function bodies are
-- escape strings that write theirs as \x3b.

-- Whatever the writer sends (or omits), a bank account gets its company's portal account and name.
-- The company row is read FOR SHARE: a rename committed meanwhile waits for this row's transaction,
-- then renames it too (its UPDATE below sees the row), and a rename under way makes this one wait
-- and read the new name (without it, an account added while its company was renamed kept the old
-- name). A rename locks the company, then its accounts, then their statements: a transaction that
-- adds an account to a company whose other accounts it has locked takes the company first
-- (api/public/callback-connect.ts). Replaces company_portal_account() on bank accounts (links keep
-- it: they carry no name).
CREATE FUNCTION bank_account_company() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  SELECT c."portalAccountId", c.name INTO NEW."portalAccountId", NEW."companyName"
  FROM "Company" c WHERE c.id = NEW."companyId" FOR SHARE\x3b
  RETURN NEW\x3b
END';

DROP TRIGGER "BankAccount_portalAccountId_set" ON "BankAccount";

CREATE TRIGGER "BankAccount_company_set" BEFORE INSERT OR UPDATE OF "companyId", "portalAccountId", "companyName" ON "BankAccount"
FOR EACH ROW EXECUTE FUNCTION bank_account_company();

-- The same for a statement: its company's portal account, and the name its bank account holds, the
-- account row read FOR SHARE (a rename renames the accounts before their statements: it waits for
-- this statement's transaction, then renames the statement, and one under way makes this write
-- wait and read the account's new name). Statement writers lock accounts, never the company (the
-- builder locks its accounts FOR UPDATE first): no cycle with a rename. Replaces
-- statement_portal_account().
CREATE FUNCTION statement_company() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  SELECT c."portalAccountId", a."companyName" INTO NEW."portalAccountId", NEW."companyName"
  FROM "BankAccount" a JOIN "Company" c ON c.id = a."companyId"
  WHERE a.id = NEW."bankAccountId" FOR SHARE OF a\x3b
  RETURN NEW\x3b
END';

DROP TRIGGER "Statement_portalAccountId_set" ON "Statement";

CREATE TRIGGER "Statement_company_set" BEFORE INSERT OR UPDATE OF "bankAccountId", "portalAccountId", "companyName" ON "Statement"
FOR EACH ROW EXECUTE FUNCTION statement_company();

DROP FUNCTION statement_portal_account();

-- A company renamed: its bank accounts and their statements follow (the triggers above recompute
-- each row).
CREATE FUNCTION company_name_follow() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  UPDATE "BankAccount" SET "companyName" = NEW.name WHERE "companyId" = NEW.id\x3b
  UPDATE "Statement" s SET "companyName" = NEW.name
  FROM "BankAccount" a WHERE a."companyId" = NEW.id AND s."bankAccountId" = a.id\x3b
  RETURN NULL\x3b
END';

CREATE TRIGGER "Company_name_follow" AFTER UPDATE OF name ON "Company"
FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
EXECUTE FUNCTION company_name_follow();

-- The rows written or renamed between the fill above and these triggers (a worker still running
-- the previous release): put right now that every later write goes through the triggers.
UPDATE "BankAccount" a SET "companyName" = c.name
FROM "Company" c
WHERE c.id = a."companyId" AND a."companyName" <> c.name;

UPDATE "Statement" s SET "companyName" = a."companyName"
FROM "BankAccount" a
WHERE a.id = s."bankAccountId" AND s."companyName" <> a."companyName";
