-- The companies list sorted by name with part of a name that many companies hold but none of the
-- first thousands in name order (issue 21: `name=dupont`, 15 000 of a firm's 180 000 companies,
-- the first after 20 000 names): the page walks the firm's names in order and checks each one,
-- reading each company from the table (12.9 ms under EXPLAIN ANALYZE with the API's session
-- settings). The firm's active companies in name order (the list's default, inactive ones only on
-- request), with the id that breaks ties: the walk reads them from the index alone (5.6 ms, `garage`
-- 25.8 → 11.4 ms). Partial, so that the search for a name's first few companies (every company,
-- active or not, in any order) cannot take it and read the names in order where the table's order
-- finds them sooner (a covering index of every company, tried on 2026-12-06: `bank-accounts
-- name=garage` 6 → 26 ms). Prisma 6 cannot write it and its drift check skips it
-- (prisma/schema.prisma says so).

-- CreateIndex
CREATE INDEX "Company_portalAccountId_name_id_active_idx" ON "Company"("portalAccountId", "name", "id") WHERE active;
