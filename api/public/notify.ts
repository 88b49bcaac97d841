/**
 * What the firm is told when a company completes a Powens webview (manual 4.1.5: accounts
 * connected; 4.2.2, credentials updated, is the workflow's: activities/notify.ts
 * notifyReconnected): the e-mail of the e-mail module (email) to the
 * portal account's contact address, through the outbox, and an in-app notification, both in the
 * callback's transaction.
 */
import { enqueueEmail, renderAccountsConnected, type AccountRef } from '../../email';
import { firmOf, platformFromConfig } from '../../email/connection-messages';
import type { Config } from '../../lib/config';
import type { Prisma } from '../../db/client';

export { accountLine } from '../../email';

interface NotifyInput {
  firm: { id: string; name: string; contactEmail: string; contactPhone: string | null };
  company: { id: string; name: string; siren: string; nic: string | null };
  accounts: AccountRef[];
  idempotencyKey: string;
}

const view = (config: Config, input: NotifyInput) => ({
  to: input.firm.contactEmail,
  firm: firmOf(input.firm),
  company: input.company,
  accounts: input.accounts,
  companyUrl: `${config.publicBaseUrl}/redevables/${input.company.id}`,
  platform: platformFromConfig(config),
});

export async function notifyAccountsConnected(tx: Prisma.TransactionClient, config: Config, input: NotifyInput) {
  await enqueueEmail(tx, renderAccountsConnected(view(config, input)), {
    idempotencyKey: input.idempotencyKey,
    portalAccountId: input.firm.id,
  });
  await tx.notification.create({
    data: {
      portalAccountId: input.firm.id,
      kind: 'CONNECTION_ADDED',
      title: `${input.company.name} a activé la collecte de ses relevés`,
      body: `${input.accounts.length} compte(s) bancaire(s) : ${input.accounts.map((a) => a.label).join(', ')}. Les premiers mouvements arrivent sous 48 à 72 heures.`,
      url: `/redevables/${input.company.id}`,
    },
  });
}
