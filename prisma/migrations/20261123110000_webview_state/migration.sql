-- CreateTable
CREATE TABLE "WebviewState" (
    "id" TEXT NOT NULL,
    "flow" TEXT NOT NULL,
    "companyId" UUID NOT NULL,
    "linkId" UUID,
    "connectionId" UUID,
    "resetCredentials" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),

    CONSTRAINT "WebviewState_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "WebviewState_companyId_createdAt_idx" ON "WebviewState"("companyId", "createdAt");
