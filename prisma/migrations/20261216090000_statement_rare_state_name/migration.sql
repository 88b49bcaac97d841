-- A statement search on part of a company's name and a rare state (failed or running: 3 % of ten
-- million statements) at a million accounts (issue 21): its capped count walks the firm's statements
-- of that state in reception order and checks each one's copy of its company's name, read from the
-- table (11 000 failed statements since October for the 1 001 of `name=dupont`: 12.6 ms under
-- EXPLAIN ANALYZE with the API's session settings). The firm's statements in those states, in the
-- same order, with that name: the walk reads them from the index alone (4.1 ms). Partial (29 MB,
-- not the 250 MB of the name on every statement): Prisma 6 cannot write it and its drift check
-- skips it (prisma/schema.prisma says so).

-- CreateIndex
CREATE INDEX "Statement_portalAccountId_state_receivedAt_id_rare_idx" ON "Statement"("portalAccountId", "state", "receivedAt", "id") INCLUDE ("companyName") WHERE state <> 'SUCCESS';
