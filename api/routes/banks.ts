/**
 * The bank referential's catalogue (issue 20, INGENEO page): Powens' connectors cached by the worker
 * (activities/bank-catalog.ts), searched by name; choosing one puts it in the account's referential
 * (a Bank with the connector's uuid), so that the webview opens on it (`connector_uuids`).
 */
import { z } from 'zod';
import type { Db, Prisma } from '../../prisma/client';
import { audit } from '../audit';
import type { AuthContext } from '../auth-context';
import { badRequest } from '../errors';
import { filterText, list, pageQuery } from '../schemas';
import type { RouteContext } from '../deps';

export const catalogConnectorOut = z
  .object({
    uuid: z.string(),
    powensId: z.number().int().nullable().describe('Identifiant Powens déprécié'),
    name: z.string(),
    color: z.string().nullable().describe('Couleur de la marque (hexadécimal sans #)'),
    logoUrl: z.string().nullable(),
    capabilities: z.array(z.string()).describe('bank, bankwealth, transfer, document…'),
    maintenance: z.boolean().describe('En maintenance chez Powens : aucune synchronisation pour le moment'),
    restricted: z.boolean().describe('Nouvelles connexions impossibles'),
    beta: z.boolean(),
    state: z.string().describe('L’état, en français'),
    syncedAt: z.iso.datetime().describe('Dernière mise à jour du catalogue'),
  })
  .meta({ id: 'CatalogConnector' });

type ConnectorRow = Prisma.PowensConnectorGetPayload<object>;

/** The connector's state for the portal, in French. */
export function connectorStateFr(c: Pick<ConnectorRow, 'maintenance' | 'restricted' | 'beta'>): string {
  if (c.maintenance) return 'En maintenance : les synchronisations reprendront à la fin de la maintenance';
  if (c.restricted) return 'Nouvelles connexions impossibles pour le moment';
  if (c.beta) return 'Disponible (connecteur en version bêta)';
  return 'Disponible';
}

export function presentConnector(c: ConnectorRow) {
  return {
    uuid: c.uuid,
    powensId: c.powensId,
    name: c.name,
    color: c.color,
    logoUrl: c.logoUrl,
    capabilities: c.capabilities,
    maintenance: c.maintenance,
    restricted: c.restricted,
    beta: c.beta,
    state: connectorStateFr(c),
    syncedAt: c.syncedAt.toISOString(),
  };
}

/** Lower case, without accents nor punctuation: "Crédit-Fictif" → "credit fictif". */
const fold = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();

/**
 * The account's bank for a connector of the catalogue: the one of the referential with that uuid,
 * else one of the same name (it gets the uuid), else a new one. 400 for a connector not listed.
 */
export async function bankForConnector(
  prisma: Db,
  who: { auth: AuthContext; req: Parameters<typeof audit>[1]['req'] },
  portalAccountId: string,
  uuid: string,
) {
  const connector = await prisma.powensConnector.findUnique({ where: { uuid } });
  if (!connector || !connector.listed)
    throw badRequest('Banque inconnue du catalogue.', [
      { field: 'connectorUuid', reason: 'aucune banque du catalogue Powens ne porte cet identifiant' },
    ]);
  const existing =
    (await prisma.bank.findFirst({ where: { portalAccountId, powensConnectorUuid: uuid } })) ??
    (await prisma.bank.findFirst({
      where: { portalAccountId, name: { equals: connector.name, mode: 'insensitive' } },
    }));
  if (existing) {
    if (existing.powensConnectorUuid === uuid) return existing;
    return prisma.bank.update({
      where: { id: existing.id },
      data: { powensConnectorUuid: uuid, powensConnectorId: existing.powensConnectorId ?? connector.powensId },
    });
  }
  return prisma.$transaction(async (tx) => {
    const b = await tx.bank.create({
      data: {
        portalAccountId,
        name: connector.name,
        powensConnectorId: connector.powensId,
        powensConnectorUuid: uuid,
      },
    });
    await audit(tx, who, {
      action: 'bank.create',
      entityType: 'Bank',
      entityId: b.id,
      detail: { connectorUuid: uuid, name: connector.name },
      portalAccountId,
    });
    return b;
  });
}

export function bankCatalogRoutes({ api, deps }: RouteContext) {
  const { prisma } = deps;

  api.op({
    method: 'get',
    path: '/bank-catalog',
    tag: 'Compte',
    summary: 'Catalogue des banques (connecteurs Powens, mis à jour chaque jour) : recherche par nom',
    query: pageQuery.extend({
      name: filterText(100).describe('Partie du nom de la banque (insensible à la casse et aux accents)'),
    }),
    responses: { 200: { description: 'Banques du catalogue', schema: list(catalogConnectorOut) } },
    handler: async ({ query }) => {
      // A few hundred connectors: matched here, accents and case ignored ("credit" finds "Crédit").
      const rows = await prisma.powensConnector.findMany({
        where: { listed: true },
        orderBy: [{ name: 'asc' }, { uuid: 'asc' }],
      });
      const wanted = query.name ? fold(query.name) : null;
      const found = wanted ? rows.filter((r) => fold(r.name).includes(wanted)) : rows;
      return {
        items: found.slice(query.offset, query.offset + query.limit).map(presentConnector),
        total: found.length,
        limit: query.limit,
        offset: query.offset,
      };
    },
  });

  api.op({
    method: 'post',
    path: '/banks/from-catalog',
    tag: 'Compte',
    summary: 'Ajouter au référentiel une banque du catalogue (ou retrouver celle qui y est déjà)',
    rights: ['CONFIGURE_BANKS'],
    status: 201,
    body: z.object({ connectorUuid: z.string().trim().min(1, 'obligatoire').max(64) }),
    responses: { 201: { description: 'La banque du référentiel' } },
    handler: async ({ auth, body, req }) => {
      const b = await bankForConnector(prisma, { auth, req }, auth.account.id, body.connectorUuid);
      const { createdAt: _c, ...out } = b;
      return out;
    },
  });
}
