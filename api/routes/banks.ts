/**
 * Banks: the account's referential (the banks its connections are made at) and Powens' catalogue
 * (issue 20, INGENEO page): Powens' connectors cached by the worker (activities/bank-catalog.ts),
 * searched by name; choosing one puts it in the account's referential (a Bank with the connector's
 * uuid), so that the webview opens on it (`connector_uuids`).
 */
import { z } from 'zod';
import { bankForConnector } from '../lookups';
import { filterText, list, pageQuery, scopeQuery } from '../schemas';
import type { RouteContext } from '../deps';
import { audit } from '../audit';
import { conflict } from '../errors';
import { bankScope, scopeAccountIds } from '../scope';
import type { Prisma } from '../../db/client';

const TAG_ACCOUNT = 'Compte';

const catalogConnectorOut = z
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
function connectorStateFr(c: Pick<ConnectorRow, 'maintenance' | 'restricted' | 'beta'>): string {
  if (c.maintenance) return 'En maintenance : les synchronisations reprendront à la fin de la maintenance';
  if (c.restricted) return 'Nouvelles connexions impossibles pour le moment';
  if (c.beta) return 'Disponible (connecteur en version bêta)';
  return 'Disponible';
}

function presentConnector(c: ConnectorRow) {
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

const bankOut = z
  .object({
    id: z.uuid(),
    portalAccountId: z.uuid(),
    name: z.string(),
    bic: z.string().nullable(),
    powensConnectorId: z.number().int().nullable(),
    powensConnectorUuid: z.string().nullable(),
    connector: catalogConnectorOut
      .nullable()
      .optional()
      .describe('Listes : le connecteur Powens de la banque dans le catalogue (état, maintenance), s’il y est'),
  })
  .meta({ id: 'Bank' });

export function bankReferentialRoutes({ api, deps }: RouteContext) {
  const { prisma } = deps;

  api.op({
    method: 'get',
    path: '/banks',
    tag: TAG_ACCOUNT,
    summary: 'Référentiel des banques du compte',
    query: scopeQuery,
    responses: {
      200: { description: 'Banques', schema: z.object({ items: z.array(bankOut), total: z.number().int() }) },
    },
    handler: async ({ auth, query }) => {
      const ids = await scopeAccountIds(prisma, auth, query.includeSecondary);
      const items = await prisma.bank.findMany({ where: bankScope(ids), orderBy: { name: 'asc' } });
      const uuids = items.flatMap((b) => (b.powensConnectorUuid ? [b.powensConnectorUuid] : []));
      const ids2 = items.flatMap((b) => (b.powensConnectorId !== null ? [b.powensConnectorId] : []));
      const connectors = await prisma.powensConnector.findMany({
        where: { OR: [{ uuid: { in: uuids } }, { powensId: { in: ids2 } }] },
      });
      const connectorOf = (b: { powensConnectorUuid: string | null; powensConnectorId: number | null }) =>
        connectors.find((c) => c.uuid === b.powensConnectorUuid) ??
        connectors.find((c) => b.powensConnectorId !== null && c.powensId === b.powensConnectorId);
      return {
        items: items.map(({ createdAt: _c, ...b }) => {
          const c = connectorOf(b);
          return { ...b, connector: c ? presentConnector(c) : null };
        }),
        total: items.length,
      };
    },
  });

  api.op({
    method: 'post',
    path: '/banks',
    tag: TAG_ACCOUNT,
    summary: 'Ajouter une banque au référentiel (préalable à toute connexion)',
    rights: ['CONFIGURE_BANKS'],
    status: 201,
    body: z.object({
      name: z.string().trim().min(1, 'obligatoire').max(100, 'au plus 100 caractères'),
      bic: z
        .string()
        .trim()
        .toUpperCase()
        .regex(/^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$/, 'BIC invalide (8 ou 11 caractères)')
        .optional(),
      powensConnectorId: z
        .number()
        .int('entier attendu')
        .positive('identifiant de connecteur Powens attendu')
        .optional()
        .describe('Identifiant entier du connecteur Powens (déprécié par Powens : préférer powensConnectorUuid).'),
      powensConnectorUuid: z
        .guid({ message: 'uuid de connecteur Powens attendu' })
        .optional()
        .describe('uuid du connecteur Powens (stable entre domaines) : la webview s’ouvre sur cette banque.'),
    }),
    responses: { 201: { description: 'Banque créée', schema: bankOut }, 409: { description: 'Nom déjà utilisé' } },
    handler: async ({ auth, body, req }) => {
      const exists = await prisma.bank.findUnique({
        where: { portalAccountId_name: { portalAccountId: auth.account.id, name: body.name } },
      });
      if (exists)
        throw conflict('Une banque de ce nom existe déjà dans le référentiel.', [
          { field: 'name', reason: 'déjà utilisé' },
        ]);
      const bank = await prisma.$transaction(async (tx) => {
        const b = await tx.bank.create({
          data: {
            portalAccountId: auth.account.id,
            name: body.name,
            bic: body.bic,
            powensConnectorId: body.powensConnectorId,
            powensConnectorUuid: body.powensConnectorUuid,
          },
        });
        await audit(tx, { auth, req }, { action: 'bank.create', entityType: 'Bank', entityId: b.id, detail: body });
        return b;
      });
      const { createdAt: _c, ...out } = bank;
      return out;
    },
  });
}

/** Lower case, without accents nor punctuation: "Crédit-Fictif" → "credit fictif". */
const fold = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();

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
