-- The bank-account list's `link=valid` (issue 21): the connections whose latest link is valid are
-- found from the links whose expiry is ahead, those sent in the last 72 hours, a few of a firm's
-- connections in production, instead of probing every account's latest link until the page is full.

-- CreateIndex
CREATE INDEX "Link_expiresAt_idx" ON "Link"("expiresAt");
