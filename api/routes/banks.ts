/**
 * The bank referential's catalogue (issue 20, INGENEO page): Powens' connectors cached by the worker
 * (activities/bank-catalog.ts), searched by name; choosing one puts it in the account's referential
 * (a Bank with the connector's uuid), so that the webview opens on it (`connector_uuids`).
 */
import { z } from 'zod';
import { bankForConnector } from '../lookups';
import { presentConnector } from '../present';
import { catalogConnectorOut, filterText, list, pageQuery } from '../schemas';
import type { RouteContext } from '../deps';

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
