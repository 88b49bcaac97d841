-- Secondary accounts: SIRET of an account, closing, one-time password links (invitations).
ALTER TABLE "PortalAccount" ADD COLUMN "nic" VARCHAR(5),
ADD COLUMN "closedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "PasswordSetup" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "secretHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "PasswordSetup_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "PasswordSetup_secretHash_key" ON "PasswordSetup"("secretHash");

-- CreateIndex
CREATE INDEX "PasswordSetup_userId_idx" ON "PasswordSetup"("userId");

-- AddForeignKey
ALTER TABLE "PasswordSetup" ADD CONSTRAINT "PasswordSetup_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Delivery you can see: the statement of a message, the delivery reported by Postmark, bounce type, soft bounces
-- answered, the ErrorCode of a refusal, and the bounce ID of a suppressed address.
ALTER TABLE "EmailMessage" ADD COLUMN "statementId" UUID,
ADD COLUMN "deliveredAt" TIMESTAMP(3),
ADD COLUMN "bounceType" TEXT,
ADD COLUMN "softBounces" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "lastErrorCode" INTEGER;

-- The statement e-mails written so far are keyed statement/<id>.
UPDATE "EmailMessage" m SET "statementId" = s.id
FROM "Statement" s
WHERE m."idempotencyKey" LIKE 'statement/%' AND m."idempotencyKey" = 'statement/' || s.id::text;

-- CreateIndex
CREATE INDEX "EmailMessage_statementId_idx" ON "EmailMessage"("statementId");

-- CreateIndex
CREATE INDEX "EmailMessage_portalAccountId_bouncedAt_idx" ON "EmailMessage"("portalAccountId", "bouncedAt");

-- AddForeignKey
ALTER TABLE "EmailMessage" ADD CONSTRAINT "EmailMessage_statementId_fkey" FOREIGN KEY ("statementId") REFERENCES "Statement"("id") ON DELETE SET NULL ON UPDATE CASCADE;

ALTER TABLE "EmailSuppression" ADD COLUMN "postmarkBounceId" TEXT;

-- The catalogue of the bank referential: the Powens connectors, refreshed daily.
CREATE TABLE "PowensConnector" (
    "uuid" TEXT NOT NULL,
    "powensId" INTEGER,
    "name" TEXT NOT NULL,
    "color" TEXT,
    "slug" TEXT,
    "logoUrl" TEXT,
    "capabilities" TEXT[],
    "authMechanism" TEXT,
    "beta" BOOLEAN NOT NULL DEFAULT false,
    "restricted" BOOLEAN NOT NULL DEFAULT false,
    "maintenance" BOOLEAN NOT NULL DEFAULT false,
    "listed" BOOLEAN NOT NULL DEFAULT true,
    "syncedAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PowensConnector_pkey" PRIMARY KEY ("uuid")
);

-- CreateIndex
CREATE UNIQUE INDEX "PowensConnector_powensId_key" ON "PowensConnector"("powensId");

-- CreateIndex
CREATE INDEX "PowensConnector_name_trgm_idx" ON "PowensConnector" USING GIN ("name" gin_trgm_ops);
