/**
 * The e-mails the API causes (links to companies), written to the outbox (EmailMessage) inside the
 * caller's transaction. Wording after the manual (sections 2 and 4.1.2). A worker activity sends
 * the queued rows.
 */
import type { LinkKind, Prisma } from '../prisma/client';

export interface OutboxEmail {
  kind: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export async function enqueueEmail(
  tx: Prisma.TransactionClient,
  email: OutboxEmail,
  opts: { idempotencyKey: string; portalAccountId?: string | null },
): Promise<string> {
  const existing = await tx.emailMessage.findUnique({
    where: { idempotencyKey: opts.idempotencyKey },
    select: { id: true },
  });
  if (existing) return existing.id;
  const row = await tx.emailMessage.create({
    data: {
      idempotencyKey: opts.idempotencyKey,
      portalAccountId: opts.portalAccountId ?? null,
      kind: email.kind,
      to: email.to,
      subject: email.subject,
      textBody: email.text,
      htmlBody: email.html,
    },
    select: { id: true },
  });
  return row.id;
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const parisDateTime = (d: Date) =>
  new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' }).format(d);

export function renderLinkEmail(input: {
  kind: LinkKind;
  firm: { name: string; email: string; phone: string | null };
  company: { name: string; siren: string };
  connection: { accounts: string[]; errorMessage: string | null } | null;
  url: string;
  expiresAt: Date;
}): Omit<OutboxEmail, 'to'> {
  const { firm, url } = input;
  const add = input.kind === 'ADD_ACCOUNTS';
  const intro = add
    ? `Afin d'activer la réception automatique des relevés de compte au format CFONB120 sur votre dossier, ${firm.name} vous demande de saisir vos identifiants bancaires via l'URL sécurisée suivante (valide seulement durant les 72 prochaines heures, jusqu'au ${parisDateTime(input.expiresAt)}) :`
    : `Afin de maintenir la réception automatique des relevés de comptes au format CFONB120 sur votre dossier, ${firm.name} vous demande de mettre à jour les identifiants bancaires du/des compte(s) indiqué(s) ci-dessous via l'URL sécurisée suivante (valide seulement durant les 72 prochaines heures, jusqu'au ${parisDateTime(input.expiresAt)}) :`;
  const accounts = input.connection?.accounts ?? [];
  const contact = [firm.name, firm.email, firm.phone].filter((x): x is string => !!x);
  const text = [
    'Bonjour,',
    '',
    intro,
    '',
    url,
    '',
    ...(accounts.length ? ['Compte(s) bancaire(s) concerné(s) :', ...accounts.map((a) => `- ${a}`), ''] : []),
    ...(input.connection?.errorMessage ? ["Détails de l'erreur :", input.connection.errorMessage, ''] : []),
    'Pour plus d’information, veuillez contacter :',
    ...contact,
    '',
    'Cet email a été émis depuis une adresse technique, merci de ne pas y répondre.',
    '',
    'Cordialement,',
  ].join('\n');
  const html = [
    '<p>Bonjour,</p>',
    `<p>${esc(intro)}</p>`,
    `<p><a href="${esc(url)}">${add ? 'Saisir mes identifiants bancaires' : 'Mettre à jour mes identifiants bancaires'}</a></p>`,
    accounts.length
      ? `<p>Compte(s) bancaire(s) concerné(s) :</p><ul>${accounts.map((a) => `<li>${esc(a)}</li>`).join('')}</ul>`
      : '',
    input.connection?.errorMessage ? `<p>Détails de l'erreur :<br>${esc(input.connection.errorMessage)}</p>` : '',
    `<p>Pour plus d’information, veuillez contacter :<br>${contact.map(esc).join('<br>')}</p>`,
    '<p>Cet email a été émis depuis une adresse technique, merci de ne pas y répondre.</p><p>Cordialement,</p>',
  ].join('\n');
  return {
    kind: add ? 'link.add-accounts' : 'link.update-credentials',
    subject: add
      ? `${firm.name} : activation de la réception de vos relevés bancaires (${input.company.name})`
      : `${firm.name} : mise à jour de vos identifiants bancaires (${input.company.name})`,
    text,
    html,
  };
}
