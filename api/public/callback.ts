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
 *
 * This file checks the callback and answers Powens' errors; callback-connect.ts and
 * callback-reconnect.ts complete the two flows, with what they share in callback-context.ts.
 */
import type { Request, Response } from 'express';
import { parseWebviewCallback } from '../../integrations/powens';
import { linkState } from '../../domain/links';
import type { AppDeps } from '../deps';
import { esc, firmContact, sendPage } from './html';
import { consumeWebviewState, verifyWebviewState } from './state';
import { completeConnect } from './callback-connect';
import { LINK_EXPIRED, LINK_USED, Refused, REPLAYED } from './callback-context';
import { completeReconnect } from './callback-reconnect';

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

export function callbackHandler(deps: AppDeps) {
  const { prisma, config, logger } = deps;

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

    const checked = { deps, row, company, link, auditBase };
    if (row.flow === 'connect') return completeConnect(checked, cb, res);
    return completeReconnect(checked, res);
  }
}
