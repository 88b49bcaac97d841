-- Powens' account `number`: a French RIB in it gives a CFONB statement to an account without IBAN.
ALTER TABLE "BankAccount" ADD COLUMN "number" TEXT;
