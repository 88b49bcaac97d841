-- The bank-account list's "valid link" filter (issue 21): the connections whose latest link is valid
-- are found from the links whose expiry is ahead (a link lives 72 h), not by probing every account.

-- CreateIndex
CREATE INDEX "Link_expiresAt_idx" ON "Link"("expiresAt");
