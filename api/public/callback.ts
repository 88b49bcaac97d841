/**
 * GET /powens/callback: where Powens' webview sends the browser back (our registered redirect_uri,
 * no query string of its own). Success: `connection_id` (and `connection_ids`), `code`, `state`;
 * failure: `error` + `error_description`. The `state` (api/public/state.ts) says which company,
 * link and connection this completes; a forged, expired or replayed one is refused.
 *
 * On success, ONE database transaction records the connection and the chosen accounts (a connect)
 * or the connection's new state (a reconnect), uses the state and the link, audits, and puts the
 * firm's e-mail and in-app notification in the outbox (a connect; after a reconnect the workflow
 * tells the firm once it sees the connection fine). Then the accounts are enabled at Powens and
 * the connection's workflow is signalled (started when needed). Powens is read before the
 * transaction: if it fails, nothing is used and reloading the page tries again.
 */
import type { Request, Response } from 'express';
import { parseWebviewCallback, powensInstant, type PowensBankAccount } from '../../activities/powens';
import { statementIban } from '../../domain/identifiers';
import { linkState } from '../../domain/links';
import { noIbanReason } from '../../domain/statements';
import type { Logger } from '../../lib/logger';
import type { Prisma } from '../../prisma/client';
import { accountsChangedSignal, reconnectedSignal } from '../../workflows/messages';
import type { AppDeps } from '../deps';
import { startOrSignalConnection } from '../temporal';
import { esc, firmContact, sendPage } from './html';
import { accountLine, notifyAccountsConnected } from './notify';
import { consumeWebviewState, verifyWebviewState } from './state';

/** French messages for Powens' documented error codes; anything else gets the generic one. */
export const CALLBACK_ERRORS: Record<string, { title: string; message: string }> = {
  access_denied: {
    title: 'Opération annulée',
    message: 'Vous avez interrompu la connexion à votre banque : aucun compte n’a été ajouté ni modifié.',
  },
  tos_declined: {
    title: 'Conditions non acceptées',
    message:
      'Les conditions d’utilisation de Powens n’ont pas été acceptées : sans elles, la connexion à votre banque n’est pas possible.',
  },
  session_expired: {
    title: 'Session expirée',
    message: 'La session de connexion à votre banque a expiré avant la fin de l’opération.',
  },
  server_error: {
    title: 'Erreur chez notre partenaire',
    message: 'Une erreur est survenue chez notre partenaire Powens pendant la connexion à votre banque.',
  },
};
const GENERIC_ERROR = {
  title: 'Connexion interrompue',
  message: 'La connexion à votre banque n’a pas pu aboutir.',
};

class Refused extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly html: string,
  ) {
    super(title);
  }
}

const REPLAYED = new Refused(
  409,
  'Opération déjà enregistrée',
  '<p>Ce retour de Powens a déjà été traité : il ne peut servir qu’une fois. Vous pouvez fermer cette page.</p>',
);
const LINK_USED = new Refused(
  410,
  'Lien déjà utilisé',
  '<p>Le lien qui a ouvert cette connexion a déjà été utilisé : un lien ne sert qu’une fois. Demandez un nouveau lien à votre cabinet si nécessaire.</p>',
);

const LINK_EXPIRED = new Refused(
  410,
  'Lien expiré',
  '<p>Le lien qui a ouvert cette connexion a expiré (il est valable 72 heures) : rien n’a été enregistré. Demandez un nouveau lien à votre cabinet.</p>',
);

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

export function callbackHandler(deps: AppDeps) {
  const { prisma, config, temporal, logger } = deps;
  const taskQueue = config.TEMPORAL_TASK_QUEUE;

  return async (req: Request, res: Response) => {
    try {
      await handle(req, res);
    } catch (err) {
      if (err instanceof Refused) return sendPage(res, err.status, err.title, err.html);
      throw err;
    }
  };

  async function handle(req: Request, res: Response) {
    let cb: ReturnType<typeof parseWebviewCallback>;
    try {
      cb = parseWebviewCallback(req.query as Record<string, unknown>);
    } catch {
      throw new Refused(400, 'Retour de Powens incomplet', '<p>Les paramètres de retour de Powens sont invalides.</p>');
    }
    const check = verifyWebviewState(config.SESSION_SECRET, cb.state);
    if (!check.ok) {
      logger.warn({ reason: check.reason, ip: req.ip }, 'Powens callback refused: state');
      throw new Refused(
        400,
        check.reason === 'expired' ? 'Session expirée' : 'Retour de Powens non reconnu',
        check.reason === 'expired'
          ? '<p>Cette connexion a été commencée il y a trop longtemps. Rouvrez le lien reçu par e-mail s’il est encore valable.</p>'
          : '<p>Ce retour ne provient pas d’une connexion ouverte depuis notre service : il est ignoré.</p>',
      );
    }
    const row = await prisma.webviewState.findUnique({ where: { id: check.id } });
    if (!row) throw new Refused(400, 'Retour de Powens non reconnu', '<p>Cette connexion est inconnue.</p>');
    if (row.usedAt) throw REPLAYED;
    const company = await prisma.company.findUniqueOrThrow({
      where: { id: row.companyId },
      include: { portalAccount: true },
    });
    const link = row.linkId ? await prisma.link.findUnique({ where: { id: row.linkId } }) : null;
    // Re-checked now, before anything is read or written: the link may have been used, replaced
    // or revoked, its 72 h may have run out, or the firm may have deactivated the company while the
    // company was in Powens' webview.
    if (row.linkId && !link) throw LINK_USED;
    if (link && (link.usedAt || link.revokedAt)) throw LINK_USED;
    if (link && linkState(link, deps.clock?.() ?? new Date()) === 'expired') throw LINK_EXPIRED;
    if (link && link.companyId !== company.id) throw LINK_USED;
    if (!company.active) {
      logger.warn({ companyId: company.id, linkId: link?.id ?? null }, 'Powens callback refused: company inactive');
      throw new Refused(
        410,
        'Dossier désactivé',
        `<p>${esc(company.portalAccount.name)} a désactivé ce dossier : rien n’a été enregistré. Contactez votre cabinet si vos relevés doivent être transmis.</p><p class="muted">${firmContact(company.portalAccount)}</p>`,
      );
    }
    const actor = link
      ? { actorType: 'COMPANY_LINK', actorId: link.id }
      : { actorType: 'POWENS', actorId: null as string | null };
    const auditBase = { portalAccountId: company.portalAccountId, ...actor, ip: req.ip ?? null };

    if (cb.error !== undefined) {
      const known = CALLBACK_ERRORS[cb.error] ?? GENERIC_ERROR;
      await prisma.$transaction(async (tx) => {
        if (!(await consumeWebviewState(tx, row.id))) throw REPLAYED;
        await tx.auditEvent.create({
          data: {
            ...auditBase,
            action: 'powens.callback.error',
            entityType: 'Company',
            entityId: company.id,
            detail: { error: cb.error ?? null, description: cb.error_description ?? null, linkId: link?.id ?? null },
          },
        });
      });
      const again = link
        ? '<p>Vous pouvez recommencer en rouvrant le lien reçu par e-mail tant qu’il est valable.</p>'
        : '<p>Vous pouvez recommencer depuis le portail.</p>';
      return sendPage(
        res,
        200,
        known.title,
        `<p>${esc(known.message)}</p>${again}<p class="muted">Pour toute question : ${firmContact(company.portalAccount)}</p>`,
      );
    }

    if (row.flow === 'connect') {
      const ids = [...new Set([...(cb.connection_ids ?? []), ...(cb.connection_id ? [cb.connection_id] : [])])];
      if (ids.length === 0 || ids.some((n) => !Number.isSafeInteger(n) || n <= 0))
        throw new Refused(400, 'Retour de Powens incomplet', '<p>Aucune connexion bancaire n’a été indiquée.</p>');
      const remote = await readPowens(ids.map((id) => ({ companyId: company.id, powensConnectionId: id })));
      const recorded = await prisma.$transaction(async (tx) => {
        if (!(await consumeWebviewState(tx, row.id))) throw REPLAYED;
        if (link) await useLink(tx, link.id);
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
                data: { ...data, companyId: company.id, powensConnectionId: connection.id },
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
        await enable(company.id, o.powensAccountIds, logger);
        await startOrSignalConnection(
          temporal,
          logger,
          { connectionId: o.connectionId, taskQueue },
          accountsChangedSignal,
        );
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

    // reconnect: Powens returns only `state`; the connection is the one the state names.
    const connection = row.connectionId
      ? await prisma.bankConnection.findUnique({
          where: { id: row.connectionId },
          include: { bank: true, accounts: { where: { active: true }, orderBy: { label: 'asc' } } },
        })
      : null;
    if (!connection || connection.companyId !== company.id)
      throw new Refused(410, 'Connexion introuvable', '<p>La connexion bancaire concernée n’existe plus.</p>');
    let remoteState: { state: string | null; errorMessage: string | null; lastSyncAt: Date | null } | null = null;
    try {
      const [r] = await readPowens([{ companyId: company.id, powensConnectionId: connection.powensConnectionId }]);
      remoteState = {
        state: r!.connection.state ?? null,
        errorMessage: r!.connection.error_message ?? null,
        lastSyncAt: powensInstant(r!.connection.last_update),
      };
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      // Powens unreachable right now: the reconnection is recorded; the workflow reads the state.
      logger.warn({ connectionId: connection.id }, 'Powens not readable after a reconnect callback');
    }
    const bankName = connection.bank?.name ?? connection.connectorName ?? null;
    const accounts = connection.accounts.map((a) => ({ label: a.label, bank: bankName }));
    const lines = accounts.map(accountLine);
    await prisma.$transaction(async (tx) => {
      if (!(await consumeWebviewState(tx, row.id))) throw REPLAYED;
      if (link) await useLink(tx, link.id);
      if (remoteState)
        await tx.bankConnection.update({
          where: { id: connection.id },
          data: {
            state: remoteState.state,
            errorMessage: remoteState.errorMessage,
            ...(remoteState.lastSyncAt ? { lastSyncAt: remoteState.lastSyncAt } : {}),
          },
        });
      await tx.bankAccountEvent.createMany({
        data: connection.accounts.map((a) => ({
          bankAccountId: a.id,
          kind: 'CREDENTIALS_UPDATED',
          detail: { linkId: link?.id ?? null, state: remoteState?.state ?? null },
        })),
      });
      await tx.auditEvent.create({
        data: {
          ...auditBase,
          action: 'powens.callback.reconnect',
          entityType: 'BankConnection',
          entityId: connection.id,
          detail: { linkId: link?.id ?? null, state: remoteState?.state ?? null },
        },
      });
      // The firm is told by the connection's workflow once it sees the connection fine again
      // (one writer for that e-mail: a reconnection that did not fix the error tells nobody).
    });
    await startOrSignalConnection(temporal, logger, { connectionId: connection.id, taskQueue }, reconnectedSignal, {
      source: 'callback',
      at: new Date().toISOString(),
    });
    return sendPage(
      res,
      200,
      'Merci, vos identifiants sont à jour',
      `<div class="ok">La transmission de vos relevés à ${esc(company.portalAccount.name)} reprend.</div>
<p>Compte(s) bancaire(s) :</p><ul>${lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul><p>Vous pouvez fermer cette page.</p>`,
    );
  }

  async function readPowens(items: Array<{ companyId: string; powensConnectionId: number }>) {
    if (!deps.powens)
      throw new Refused(
        503,
        'Service momentanément indisponible',
        '<p>Veuillez recharger cette page dans quelques minutes.</p>',
      );
    const powens = deps.powens;
    try {
      return await Promise.all(items.map((i) => powens.readConnection(i)));
    } catch (err) {
      logger.error({ err }, 'Powens could not be read after the webview');
      throw new Refused(
        502,
        'Service momentanément indisponible',
        '<p>Notre partenaire Powens ne répond pas. Rien n’est perdu : rechargez cette page dans quelques minutes.</p>',
      );
    }
  }

  async function enable(companyId: string, powensAccountIds: number[], log: Logger) {
    if (!deps.powens || powensAccountIds.length === 0) return;
    try {
      await deps.powens.enableAccounts({ companyId, powensAccountIds });
    } catch (err) {
      // Recorded already; the accounts were enabled by the webview's own choice in most cases.
      log.error({ err, companyId, powensAccountIds }, 'accounts could not be enabled at Powens');
    }
  }
}

async function useLink(tx: Prisma.TransactionClient, linkId: string) {
  const r = await tx.link.updateMany({
    where: { id: linkId, usedAt: null, revokedAt: null },
    data: { usedAt: new Date() },
  });
  if (r.count !== 1) throw LINK_USED;
}
