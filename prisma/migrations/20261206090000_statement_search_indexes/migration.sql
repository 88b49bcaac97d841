-- The statement search at ten million rows (issue 21): sorted by period end, and filtered by state.

-- CreateIndex
CREATE INDEX "Statement_periodEnd_id_idx" ON "Statement"("periodEnd", "id");

-- CreateIndex
CREATE INDEX "Statement_state_receivedAt_idx" ON "Statement"("state", "receivedAt");
