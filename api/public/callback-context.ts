/**
 * What completing a Powens webview callback (api/public/callback.ts) shares between its connect and
 * reconnect paths: the checked callback (its state row, company, link and audit fields), the
 * refusals that end it with a page, reading Powens, and using the company's link.
 */
import type { Prisma } from '../../db/client';
import type { AppDeps } from '../deps';

export class Refused extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly html: string,
  ) {
    super(title);
  }
}

export const REPLAYED = new Refused(
  409,
  'Opération déjà enregistrée',
  '<p>Ce retour de Powens a déjà été traité : il ne peut servir qu’une fois. Vous pouvez fermer cette page.</p>',
);
export const LINK_USED = new Refused(
  410,
  'Lien déjà utilisé',
  '<p>Le lien qui a ouvert cette connexion a déjà été utilisé : un lien ne sert qu’une fois. Demandez un nouveau lien à votre cabinet si nécessaire.</p>',
);

export const LINK_EXPIRED = new Refused(
  410,
  'Lien expiré',
  '<p>Le lien qui a ouvert cette connexion a expiré (il est valable 72 heures) : rien n’a été enregistré. Demandez un nouveau lien à votre cabinet.</p>',
);

/** A callback whose state, link and company were checked: what the completions work on. */
export interface CheckedCallback {
  deps: AppDeps;
  row: Prisma.WebviewStateGetPayload<object>;
  company: Prisma.CompanyGetPayload<{ include: { portalAccount: true } }>;
  link: Prisma.LinkGetPayload<object> | null;
  auditBase: { portalAccountId: string; actorType: string; actorId: string | null; ip: string | null };
}

export async function readPowens(deps: AppDeps, items: Array<{ companyId: string; powensConnectionId: number }>) {
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
    deps.logger.error({ err }, 'Powens could not be read after the webview');
    throw new Refused(
      502,
      'Service momentanément indisponible',
      '<p>Notre partenaire Powens ne répond pas. Rien n’est perdu : rechargez cette page dans quelques minutes.</p>',
    );
  }
}

export async function useLink(tx: Prisma.TransactionClient, linkId: string) {
  const r = await tx.link.updateMany({
    where: { id: linkId, usedAt: null, revokedAt: null },
    data: { usedAt: new Date() },
  });
  if (r.count !== 1) throw LINK_USED;
}
