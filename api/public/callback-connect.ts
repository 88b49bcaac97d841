/**
 * A connect completed in Powens' webview (api/public/callback.ts): ONE transaction records the
 * connections and the chosen accounts, uses the state and the link, audits and puts the firm's
 * e-mail and in-app notification in the outbox; then the accounts are enabled at Powens and each
 * connection's workflow is signalled (started when needed).
 */
import type { Response } from 'express';
import { parseWebviewCallback, powensInstant, type PowensBankAccount } from '../../integrations/powens';
import { statementIban } from '../../domain/identifiers';
import { noIbanReason } from '../../domain/statements';
import type { Logger } from '../../lib/logger';
import { accountsChangedSignal } from '../../workflows/messages';
import type { AppDeps } from '../deps';
import { startOrSignalConnection } from '../temporal';
import { esc, sendPage } from './html';
import { accountLine, notifyAccountsConnected } from './notify';
import { consumeWebviewState } from './state';
import { readPowens, REPLAYED, Refused, useLink, type CheckedCallback } from './callback-context';

const chosen = (accounts: PowensBankAccount[]) => accounts.filter((a) => !a.disabled && !a.deleted);
const accountData = (a: PowensBankAccount) => ({
  iban: a.iban ? a.iban.replace(/\s+/g, '').toUpperCase() : null,
  number: a.number ?? null,
  bic: a.bic ?? null,
  label: a.original_name ?? a.name,
  type: a.type,
  currency: a.currency?.id ?? 'EUR',
});
/** An account that can get a CFONB120 statement: an IBAN, or a French RIB in its number. */
const statementCapable = (a: PowensBankAccount) => statementIban({ iban: a.iban ?? null, number: a.number }) !== null;

export async function completeConnect(
  { deps, row, company, link, auditBase }: CheckedCallback,
  cb: Extract<ReturnType<typeof parseWebviewCallback>, { error?: undefined }>,
  res: Response,
) {
  const { prisma, config, temporal, logger } = deps;
  const taskQueue = config.TEMPORAL_TASK_QUEUE;

  const ids = [...new Set([...(cb.connection_ids ?? []), ...(cb.connection_id ? [cb.connection_id] : [])])];
  if (ids.length === 0 || ids.some((n) => !Number.isSafeInteger(n) || n <= 0))
    throw new Refused(400, 'Retour de Powens incomplet', '<p>Aucune connexion bancaire n’a été indiquée.</p>');
  const remote = await readPowens(
    deps,
    ids.map((id) => ({ companyId: company.id, powensConnectionId: id })),
  );
  const recorded = await prisma.$transaction(async (tx) => {
    if (!(await consumeWebviewState(tx, row.id))) throw REPLAYED;
    if (link) await useLink(tx, link.id);
    // The company first, before any of its accounts is updated: adding an account reads the company
    // FOR SHARE, and a rename locks the company, then its accounts (migration
    // 20261212090000_company_name_search); taken the other way round, the two would deadlock.
    await tx.$queryRaw`SELECT 1 FROM "Company" WHERE id = ${company.id}::uuid FOR SHARE`;
    const out: Array<{
      connectionId: string;
      accounts: Array<{ label: string; bank: string | null }>;
      /** Chosen but without IBAN nor RIB: no CFONB statement possible. */
      unavailable: Array<{ label: string; reason: string }>;
      powensAccountIds: number[];
    }> = [];
    for (const { connection, accounts } of remote) {
      const existing = await tx.bankConnection.findUnique({ where: { powensConnectionId: connection.id } });
      if (existing && existing.companyId !== company.id)
        throw new Refused(
          409,
          'Connexion déjà enregistrée',
          '<p>Cette connexion bancaire appartient à un autre dossier.</p>',
        );
      const bankName = connection.connector?.name ?? null;
      const data = {
        powensConnectorId: connection.id_connector,
        connectorName: bankName,
        state: connection.state ?? null,
        errorMessage: connection.error_message ?? null,
        lastSyncAt: powensInstant(connection.last_update),
        active: true,
      };
      const c = existing
        ? await tx.bankConnection.update({ where: { id: existing.id }, data })
        : await tx.bankConnection.create({
            data: {
              ...data,
              companyId: company.id,
              portalAccountId: company.portalAccountId, // the database's to decide (a trigger)
              powensConnectionId: connection.id,
            },
          });
      const picked = chosen(accounts);
      // Accounts without IBAN nor French RIB (cards, loans, market…) cannot get a CFONB120
      // statement: kept (the portal shows them as such) but never active.
      const capable = picked.filter(statementCapable);
      for (const a of picked) {
        const values = accountData(a);
        const active = statementCapable(a);
        const prior = await tx.bankAccount.findUnique({
          where: { connectionId_powensAccountId: { connectionId: c.id, powensAccountId: a.id } },
        });
        const saved = prior
          ? await tx.bankAccount.update({
              where: { id: prior.id },
              data: { ...values, ...(active ? { active: true, deactivatedAt: null } : {}) },
            })
          : await tx.bankAccount.create({
              data: {
                ...values,
                connectionId: c.id,
                companyId: company.id,
                portalAccountId: company.portalAccountId, // the database's to decide (a trigger)
                powensAccountId: a.id,
                ...(active ? {} : { active: false, deactivatedAt: new Date() }),
              },
            });
        await tx.bankAccountEvent.create({
          data: {
            bankAccountId: saved.id,
            kind: !active ? 'STATEMENT_UNAVAILABLE' : prior ? 'ACCOUNT_REACTIVATED' : 'ACCOUNT_ADDED',
            detail: { ...values, powensAccountId: a.id, linkId: link?.id ?? null },
          },
        });
      }
      out.push({
        connectionId: c.id,
        accounts: capable.map((a) => ({ label: a.original_name ?? a.name, bank: bankName })),
        unavailable: picked
          .filter((a) => !statementCapable(a))
          .map((a) => ({ label: a.original_name ?? a.name, reason: noIbanReason(a.type) })),
        powensAccountIds: capable.map((a) => a.id),
      });
    }
    await tx.auditEvent.create({
      data: {
        ...auditBase,
        action: 'powens.callback.connect',
        entityType: 'Company',
        entityId: company.id,
        detail: {
          linkId: link?.id ?? null,
          connections: out.map((o) => ({ id: o.connectionId, powensAccountIds: o.powensAccountIds })),
        },
      },
    });
    await notifyAccountsConnected(tx, config, {
      firm: company.portalAccount,
      company,
      accounts: out.flatMap((o) => o.accounts),
      idempotencyKey: `callback/${row.id}`,
    });
    return out;
  });
  for (const o of recorded) {
    await enable(deps, company.id, o.powensAccountIds, logger);
    await startOrSignalConnection(temporal, logger, { connectionId: o.connectionId, taskQueue }, accountsChangedSignal);
  }
  const lines = recorded.flatMap((o) => o.accounts.map(accountLine));
  const unavailable = recorded.flatMap((o) => o.unavailable);
  const without = unavailable.length
    ? `<p>Sans relevé possible (ces comptes ne seront pas transmis) :</p><ul>${unavailable
        .map((u) => `<li>${esc(u.label)} — ${esc(u.reason)}</li>`)
        .join('')}</ul>`
    : '';
  return sendPage(
    res,
    200,
    'Merci, vos comptes sont connectés',
    `<div class="ok">La transmission de vos relevés à ${esc(company.portalAccount.name)} est activée.</div>
<p>Compte(s) bancaire(s) :</p><ul>${lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>${without}
<p>Les premiers mouvements seront récupérés sous 48 à 72 heures. Vous pouvez fermer cette page.</p>`,
  );
}

async function enable(deps: AppDeps, companyId: string, powensAccountIds: number[], log: Logger) {
  if (!deps.powens || powensAccountIds.length === 0) return;
  try {
    await deps.powens.enableAccounts({ companyId, powensAccountIds });
  } catch (err) {
    // Recorded already; the accounts were enabled by the webview's own choice in most cases.
    log.error({ err, companyId, powensAccountIds }, 'accounts could not be enabled at Powens');
  }
}
