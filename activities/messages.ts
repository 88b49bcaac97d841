/**
 * The messages the connection activities put in the outbox (French, text + HTML), with the firm's
 * name and contact as in the manual's examples (sections 2.a, 4.1.2, 4.2.1, 4.2.2).
 */
import type { Config } from '../lib/config';
import type { Db } from '../prisma/client';
import { stateMessageFr } from '../domain/powens-states';
import { PERIODICITY_LABELS, type PeriodicityKind } from '../domain/schedule';
import { enqueueEmail, type Outbox, type RenderedEmail } from './outbox';

interface ConnectionView {
  id: string;
  companyId: string;
  company: {
    name: string;
    siren: string;
    email: string | null;
    portalAccount: {
      name: string;
      contactEmail: string;
      contactPhone: string | null;
      receptionMode: string;
      dedicatedMailbox: string | null;
    };
  };
  accounts: Array<{ iban: string | null; label: string }>;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const frDateTime = (d: Date) =>
  new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' }).format(d);
const accountsList = (c: ConnectionView) =>
  c.accounts.map((a) => `- ${a.label}${a.iban ? ` (${a.iban})` : ''}`).join('\n');
const signature = (c: ConnectionView) =>
  `${c.company.portalAccount.name}\n${c.company.portalAccount.contactEmail}${c.company.portalAccount.contactPhone ? `\n${c.company.portalAccount.contactPhone}` : ''}`;

function email(kind: string, to: string, subject: string, text: string): RenderedEmail {
  const html = `<!doctype html><html lang="fr"><body style="font-family:sans-serif">${text
    .split('\n\n')
    .map(
      (p) =>
        `<p>${esc(p)
          .replace(/\n/g, '<br>')
          .replace(/(https?:\/\/\S+)/g, '<a href="$1">$1</a>')}</p>`,
    )
    .join('')}</body></html>`;
  return { kind, to, subject, text, html };
}

export function createMessages(config: Config): Outbox {
  return {
    renderCredentialsLink(connection, link, url, failure) {
      const c = connection as ConnectionView;
      return email(
        'COMPANY_UPDATE_CREDENTIALS',
        c.company.email ?? '',
        `${c.company.portalAccount.name} : mise à jour de vos identifiants bancaires`,
        `Bonjour,\n\nLa connexion à votre banque utilisée par ${c.company.portalAccount.name} pour récupérer vos relevés bancaires a échoué :\n${stateMessageFr(failure.state)}${failure.errorMessage ? `\n(${failure.errorMessage})` : ''}\n\nComptes concernés :\n${accountsList(c)}\n\nPour rétablir la connexion, suivez ce lien sécurisé, valable jusqu'au ${frDateTime(link.expiresAt)} (72 heures) et utilisable une seule fois :\n${url}\n\nVos identifiants sont saisis sur le site de notre partenaire Powens : ils ne nous sont jamais communiqués.\n\nCordialement,\n${signature(c)}`,
      );
    },
    renderFirmAlert(connection, failure, linkSent) {
      const c = connection as ConnectionView;
      return email(
        'FIRM_CONNECTION_ALERT',
        c.company.portalAccount.contactEmail,
        `Alerte connexion bancaire : ${c.company.name} (${c.company.siren})`,
        `Bonjour,\n\nLa collecte des relevés du redevable ${c.company.name} (SIREN ${c.company.siren}) a échoué ${failure.consecutiveErrors} fois de suite.\n\nErreur : ${failure.state} - ${stateMessageFr(failure.state)}${failure.errorMessage ? `\nMessage de la banque : ${failure.errorMessage}` : ''}\n\nComptes concernés :\n${accountsList(c)}\n\n${linkSent ? 'Un lien sécurisé de mise à jour des identifiants, valable 72 heures, a été envoyé au redevable.' : "Aucun lien n'a été envoyé automatiquement au redevable : vous pouvez lui en envoyer un depuis le portail."}\n\nDétail : ${config.publicBaseUrl}/redevables/${c.companyId}`,
      );
    },
    renderCredentialsUpdated(connection) {
      const c = connection as ConnectionView;
      return email(
        'FIRM_CREDENTIALS_UPDATED',
        c.company.portalAccount.contactEmail,
        `${c.company.name} a mis à jour ses identifiants bancaires`,
        `Bonjour,\n\nLe redevable ${c.company.name} (SIREN ${c.company.siren}) a mis à jour ses identifiants de connexion bancaire. La collecte de ses relevés reprend.\n\nComptes concernés :\n${accountsList(c)}`,
      );
    },
    async enqueueStatementDeliveries(prismaArg, statementIds) {
      const prisma = prismaArg as Db;
      let count = 0;
      for (const id of statementIds) {
        await prisma.$transaction(async (tx) => {
          const s = await tx.statement.findUniqueOrThrow({
            where: { id },
            include: { bankAccount: { include: { company: { include: { portalAccount: true } } } } },
          });
          const account = s.bankAccount.company.portalAccount;
          const to =
            account.receptionMode === 'ACCOUNT_MAILBOX'
              ? account.contactEmail
              : account.receptionMode === 'DEDICATED_MAILBOX'
                ? account.dedicatedMailbox
                : null;
          if (!to) return; // download only
          const company = s.bankAccount.company;
          const label = PERIODICITY_LABELS[company.periodicityKind as PeriodicityKind];
          const period = `${s.periodStart.toISOString().slice(0, 10)}_${s.periodEnd.toISOString().slice(0, 10)}`;
          const base = `${company.siren}_${(s.bankAccount.iban ?? s.bankAccount.id).replace(/\s/g, '')}_${period}`;
          const attachments = [
            { name: `${base}.cfonb`, contentType: 'application/octet-stream', content: Buffer.from(s.cfonb ?? []) },
          ];
          if (s.deletedCsv)
            attachments.push({
              name: `${base}_transactions_supprimees.csv`,
              contentType: 'text/csv',
              content: Buffer.from(s.deletedCsv),
            });
          const rendered = email(
            'STATEMENT_DELIVERY',
            to,
            `Relevé ${label} du compte bancaire ${company.name} - ${s.bankAccount.label}`,
            `Bonjour,\n\nVeuillez trouver ci-joint le relevé du compte ${s.bankAccount.label}${s.bankAccount.iban ? ` (${s.bankAccount.iban})` : ''} de ${company.name}, du ${s.periodStart.toISOString().slice(0, 10).split('-').reverse().join('/')} au ${s.periodEnd.toISOString().slice(0, 10).split('-').reverse().join('/')} : ${s.transactionCount} opération(s).${s.deletedCsv ? `\n\n${s.deletedCount} opération(s) supprimée(s) ou modifiée(s) par la banque après leur envoi figurent dans le fichier CSV joint.` : ''}`,
          );
          await enqueueEmail(
            tx,
            { ...rendered, attachments },
            { idempotencyKey: `statement/${id}`, portalAccountId: account.id },
          );
          count++;
        });
      }
      return count;
    },
  };
}
