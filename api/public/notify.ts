/**
 * What the firm is told when a company completes a Powens webview (manual 4.1.5: accounts
 * activated; 4.2.2: credentials updated): an e-mail to the portal account's contact address,
 * through the outbox, and an in-app notification, both in the callback's transaction.
 */
import { enqueueEmail } from '../../activities/outbox';
import type { Prisma } from '../../prisma/client';
import { esc } from './html';

interface Firm {
  id: string;
  name: string;
  contactEmail: string;
}

const FOOTER = 'Cet email a été émis depuis une adresse technique, merci de ne pas y répondre.';

function render(kind: string, to: string, subject: string, intro: string, accounts: string[]) {
  const text = ['Bonjour,', '', intro, '', ...accounts.map((a) => `- ${a}`), '', FOOTER, '', 'Cordialement,'].join(
    '\n',
  );
  const html = [
    '<!doctype html><html lang="fr"><body style="font-family:sans-serif">',
    '<p>Bonjour,</p>',
    `<p>${esc(intro)}</p>`,
    `<ul>${accounts.map((a) => `<li>${esc(a)}</li>`).join('')}</ul>`,
    `<p>${esc(FOOTER)}</p><p>Cordialement,</p></body></html>`,
  ].join('\n');
  return { kind, to, subject, text, html };
}

/** "COMPTE CHÈQUE (CONNECTEUR DE TEST)", as in the manual's e-mails. */
export const accountLine = (label: string, bank: string | null) => (bank ? `${label} (${bank})` : label).toUpperCase();

export async function notifyAccountsActivated(
  tx: Prisma.TransactionClient,
  input: { firm: Firm; company: { id: string; name: string }; accounts: string[]; idempotencyKey: string },
): Promise<void> {
  const { firm, company } = input;
  await enqueueEmail(
    tx,
    render(
      'FIRM_ACCOUNTS_ACTIVATED',
      firm.contactEmail,
      `${company.name} a activé la collecte de ses relevés bancaires`,
      `${company.name} a saisi ses identifiants bancaires et activé la collecte des relevés sur le(s) compte(s) bancaire(s) suivant(s) :`,
      input.accounts,
    ),
    { idempotencyKey: input.idempotencyKey, portalAccountId: firm.id },
  );
  await tx.notification.create({
    data: {
      portalAccountId: firm.id,
      kind: 'CONNECTION_ADDED',
      title: `${company.name} a activé la collecte de ses relevés`,
      body: `${input.accounts.length} compte(s) bancaire(s) : ${input.accounts.join(', ')}. Les premiers mouvements arrivent sous 48 à 72 heures.`,
      url: `/redevables/${company.id}`,
    },
  });
}

/**
 * `idempotencyKey` is the one the workflow's `notifyReconnected` activity uses for the same
 * recovery (`reconnected/<connection>/<lastCountedSyncAt>`), so the firm is told once, whichever
 * of the callback and the workflow comes first.
 */
export async function notifyCredentialsUpdated(
  tx: Prisma.TransactionClient,
  input: { firm: Firm; company: { id: string; name: string }; accounts: string[]; idempotencyKey: string },
): Promise<void> {
  const { firm, company } = input;
  if (await tx.emailMessage.findUnique({ where: { idempotencyKey: input.idempotencyKey }, select: { id: true } }))
    return;
  await enqueueEmail(
    tx,
    render(
      'FIRM_CREDENTIALS_UPDATED',
      firm.contactEmail,
      `${company.name} a mis à jour ses identifiants bancaires`,
      `${company.name} a mis à jour ses identifiants bancaires relatifs à l'accès du/des compte(s) suivant(s) :`,
      input.accounts,
    ),
    { idempotencyKey: input.idempotencyKey, portalAccountId: firm.id },
  );
  await tx.notification.create({
    data: {
      portalAccountId: firm.id,
      kind: 'CONNECTION_RESTORED',
      title: `${company.name} a mis à jour ses identifiants`,
      body: 'La collecte des relevés reprend normalement.',
      url: `/redevables/${company.id}`,
    },
  });
}
