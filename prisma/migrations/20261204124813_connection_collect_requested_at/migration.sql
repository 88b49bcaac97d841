-- "Collecter maintenant": when a person last asked for a forced sync of the connection (the API's
-- cooldown, one forced sync per connection per quarter of an hour).
-- AlterTable
ALTER TABLE "BankConnection" ADD COLUMN     "collectRequestedAt" TIMESTAMP(3);
