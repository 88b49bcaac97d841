/**
 * Secure links ("jetons") sent to a company: a random secret (32 bytes, base64url) of which only
 * the SHA-256 is stored, valid 72 h, one valid link per company + kind (and connection) at a time:
 * issuing a new one revokes the previous. The e-mail is written to the outbox (EmailMessage) in the
 * same transaction as the link; a worker activity sends it. The stored e-mail holds a placeholder
 * for the secret, which waits beside it encrypted until the sender puts it in the message
 * (email/secrets.ts): nothing stored rebuilds the URL.
 */
import { randomUUID } from 'node:crypto';
import { newLinkSecret } from '../lib/link-secrets';
import type { Config } from '../lib/config';
import type { LinkKind, Prisma } from '../db/client';
import { linkUrlPlaceholder, LINK_SECRET_PLACEHOLDER, outboxRow, sealSecrets } from '../email';
import { renderLinkEmail } from './emails';

export interface IssueLink {
  kind: LinkKind;
  company: { id: string; name: string; siren: string; nic: string | null; portalAccountId: string };
  connection?: { id: string; accounts: string[]; errorMessage: string | null; state?: string | null } | null;
  recipient: string;
  firm: { name: string; email: string; phone: string | null };
  automatic?: boolean;
  /**
   * A bank of the firm's referential: the e-mail is the INGENEO-style connection request for it,
   * and the link's webview opens on that bank.
   */
  bank?: { id?: string; name: string } | null;
  /** The user who asked (named in the connection request). */
  requestedBy?: string | null;
}

/** The rows of a new link and its e-mail (ids generated here so that many can be bulk-inserted). */
export function prepareLink(config: Config, input: IssueLink, now = new Date()) {
  const { secret, secretHash, expiresAt } = newLinkSecret(now);
  const link = {
    id: randomUUID(),
    companyId: input.company.id,
    portalAccountId: input.company.portalAccountId, // the database's to decide (a trigger)
    connectionId: input.connection?.id ?? null,
    bankId: input.bank?.id ?? null,
    kind: input.kind,
    recipient: input.recipient,
    secretHash,
    automatic: input.automatic ?? false,
    createdAt: now,
    expiresAt,
    usedAt: null,
    revokedAt: null,
  };
  const rendered = renderLinkEmail({
    kind: input.kind,
    firm: input.firm,
    company: input.company,
    connection: input.connection ?? null,
    bank: input.bank ?? null,
    requestedBy: input.requestedBy ?? null,
    url: linkUrlPlaceholder(config.publicBaseUrl),
    expiresAt,
  });
  const email = outboxRow(
    { ...rendered, to: input.recipient },
    {
      idempotencyKey: `link:${link.id}`,
      portalAccountId: input.company.portalAccountId,
      secretsEnc: sealSecrets({ [LINK_SECRET_PLACEHOLDER]: secret }, config.ENCRYPTION_KEY),
    },
  );
  return { link, email };
}

export async function issueLink(tx: Prisma.TransactionClient, config: Config, input: IssueLink, now = new Date()) {
  const prepared = prepareLink(config, input, now);
  await tx.link.updateMany({
    where: {
      companyId: input.company.id,
      kind: input.kind,
      connectionId: input.connection?.id ?? null,
      usedAt: null,
      revokedAt: null,
      expiresAt: { gt: now },
    },
    data: { revokedAt: now },
  });
  const link = await tx.link.create({ data: prepared.link });
  await tx.emailMessage.create({ data: prepared.email });
  return { link };
}
