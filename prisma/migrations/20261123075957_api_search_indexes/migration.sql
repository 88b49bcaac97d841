-- Substring search on company names and IBANs (ILIKE/LIKE %…%) through trigram GIN indexes.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- CreateIndex
CREATE INDEX "BankAccount_createdAt_idx" ON "BankAccount"("createdAt");

-- CreateIndex
CREATE INDEX "BankAccount_iban_trgm_idx" ON "BankAccount" USING GIN ("iban" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Company_portalAccountId_siren_idx" ON "Company"("portalAccountId", "siren");

-- CreateIndex
CREATE INDEX "Company_name_trgm_idx" ON "Company" USING GIN ("name" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Statement_bankAccountId_receivedAt_idx" ON "Statement"("bankAccountId", "receivedAt");
