-- The companies list at scale (issue 21): its page and capped count walk the sort's index within
-- the caller's portal account, as the bank-account and statement lists do. Sorted by name or SIREN
-- it walks (portalAccountId, name | siren), sorted by creation this one.

-- CreateIndex
CREATE INDEX "Company_portalAccountId_createdAt_id_idx" ON "Company"("portalAccountId", "createdAt", "id");
