-- AlterTable
ALTER TABLE "Bank" ADD COLUMN     "powensConnectorUuid" TEXT;

-- AlterTable
ALTER TABLE "Link" ADD COLUMN     "bankId" UUID;

-- AddForeignKey
ALTER TABLE "Link" ADD CONSTRAINT "Link_bankId_fkey" FOREIGN KEY ("bankId") REFERENCES "Bank"("id") ON DELETE SET NULL ON UPDATE CASCADE;
