/** Bank accounts: search (SIRET, name, IBAN, connection state, link state), detail, (re)activation. */
import { z } from 'zod';
import { type LinkState } from '../../domain/links';
import { Prisma, type Db } from '../../db/client';
import { deactivateSignal, reactivateSignal } from '../../workflows/messages';
import { audit } from '../audit';
import type { AuthContext } from '../auth-context';
import { conflict, notFound } from '../errors';
import {
  bankAccountInclude,
  iso,
  presentBankAccount,
  presentLink,
  presentStatement,
  statementAvailability,
  statementSelect,
} from '../present';
import {
  bankAccountOut,
  filterText,
  ibanFilter,
  idParam,
  linkOut,
  linkStateEnum,
  afterQuery,
  afterWithoutOffset,
  cappedList,
  cappedPage,
  order,
  pageQuery,
  queryBool,
  scopeQuery,
  siretFilter,
  statementOut,
} from '../schemas';
import { bankAccountScope, scopeAccountIds } from '../scope';
import {
  companyConds,
  fewCompanies,
  fewIbanAccounts,
  fewIds,
  idsScope,
  keysetSearch,
  likeContains,
  type SortKey,
} from '../search-sql';
import { notifyWorkflows, signalConnection } from '../temporal';
import { bankAccountPage, latestLinkOf } from '../page-rows';
import type { RouteContext } from '../deps';
import { EXPORT_MAX_ROWS, exportFormat } from '../schemas';
import { sendTable, type ExportColumn } from '../spreadsheet';

const TAG = 'Comptes bancaires';

const listQuery = scopeQuery
  .extend(pageQuery.shape)
  .extend(afterQuery.shape)
  .extend({
    siret: siretFilter.describe('SIREN (9 chiffres), SIRET (14) ou leur début'),
    name: filterText(100).describe('Partie de la raison sociale du redevable'),
    iban: ibanFilter.describe('Partie de l’IBAN (espaces ignorés)'),
    connection: z.enum(['ok', 'error'], { message: 'ok ou error attendu' }).optional(),
    link: linkStateEnum.optional().describe('État du dernier lien de la connexion'),
    includeInactive: queryBool.default(false),
    sort: z
      .enum(['createdAt', 'name', 'siren', 'iban', 'label'], {
        message: 'createdAt, name, siren, iban ou label attendu',
      })
      .default('createdAt'),
    order,
  })
  .superRefine(afterWithoutOffset, { when: () => true });

const eventOut = z.object({
  id: z.uuid(),
  kind: z.string(),
  field: z.string().nullable(),
  oldValue: z.string().nullable(),
  newValue: z.string().nullable(),
  detail: z.unknown(),
  occurredAt: z.iso.datetime(),
});

type ListQuery = z.infer<typeof listQuery>;

/** Each state of a link, on the link `l`. */
const LINK_STATE_SQL: Record<LinkState, Prisma.Sql> = {
  used: Prisma.sql`l."usedAt" IS NOT NULL`,
  expired: Prisma.sql`l."usedAt" IS NULL AND (l."revokedAt" IS NOT NULL OR l."expiresAt" <= now())`,
  valid: Prisma.sql`l."usedAt" IS NULL AND l."revokedAt" IS NULL AND l."expiresAt" > now()`,
};

/**
 * A firm's links newest first, by use then by expiry: (portalAccountId, usedAt, expiresAt) walked
 * backwards (`usedAt IS NULL` is no equality to the planner: without usedAt first in the order,
 * it sorted every valid link of the firm). A connection's latest link comes before its older ones.
 */
const NEWEST_LINKS = Prisma.sql`l."usedAt" DESC NULLS FIRST, l."expiresAt" DESC`;

/**
 * A firm's expired links as one source `l`, those past their expiry first (newest first when
 * `ordered`: one portal account), then those revoked before it. Its condition, revoked or past its
 * expiry, is no range to the planner: the walk newest first read every valid link of the firm
 * before the first expired one (12 597 links: 3.3 ms for the capped count of `link=expired`, 0.95
 * in two ranges; bench/RESULTS.md, “expired links in two ranges”).
 */
const expiredLinks = (ordered: boolean) =>
  Prisma.sql`((SELECT * FROM "Link" l WHERE l."usedAt" IS NULL AND l."expiresAt" <= now()
      ${ordered ? Prisma.sql`ORDER BY ${NEWEST_LINKS}` : Prisma.empty})
    UNION ALL (SELECT * FROM "Link" l WHERE l."usedAt" IS NULL AND l."revokedAt" IS NOT NULL AND l."expiresAt" > now())) l`;

type Listed = ReturnType<typeof presentBankAccount>;

/**
 * Each sort's key (on the account `a`, its company `c`), its type, and its value as the list shows
 * it (the cursor's key); only the IBAN can be null.
 */
const SORT_SQL: Record<ListQuery['sort'], SortKey<Listed>> = {
  createdAt: { sort: Prisma.sql`a."createdAt"`, cast: 'timestamp', of: (a) => a.createdAt },
  name: { sort: Prisma.sql`c.name`, cast: 'text', of: (a) => a.company.name },
  siren: { sort: Prisma.sql`c.siren`, cast: 'text', of: (a) => a.company.siren },
  iban: { sort: Prisma.sql`a.iban`, cast: 'text', of: (a) => a.iban, nullable: true },
  label: { sort: Prisma.sql`a.label`, cast: 'text', of: (a) => a.label },
};

/**
 * Up to this many companies matched by a SIRET or name filter, a bank-account page is merged from
 * their accounts (each company's, on BankAccount_companyId_idx); past it, the sort's index is walked
 * until the page is full, each account's company checked. A SIREN prefix alone, sorted on the
 * account, up to 2 000 (its companies read in the (portalAccountId, siren) index alone; at 1 000 000
 * accounts 1 284 companies cost 34.4 ms walked, 19.6 merged; 128: 249 against 3.8); a name, or a
 * sort on the company, up to 300 (a name's companies are read through the trigram index, each one
 * checked in the table: `garage`'s 2 001 first cost 6 ms, a tax on every name search; sorted on the
 * company, its own index is walked, a company a step: 1 284 companies 4.3 ms against 19.0). None of
 * 176 000 companies ("garage dupont"): 3 014 ms walked, 16 merged (bench/RESULTS.md, “searches on
 * the company matching few”).
 */
const FEW_COMPANIES = { siren: 2_000, other: 300 };

/**
 * Up to this many links of the caller in the state `link=` asks for, the page is merged from their
 * connections' accounts; past it, the accounts are walked, each one's latest link probed. A link is
 * valid for 72 h, and sent from a connection's second consecutive failure: a firm has few at a
 * time, and the walk then read every account of the firm (3.3 s for 38 connections of a firm of
 * 176 000 companies; bench/RESULTS.md, “link=valid with the few valid links of production”).
 */
const FEW_LINKS = 2_000;

/**
 * The connections of the caller's links in `state` (a range of (portalAccountId, usedAt, expiresAt),
 * read alone), when there are at most FEW_LINKS such links; else null. Some are not their
 * connection's latest link: the page's condition drops their accounts.
 */
const fewConnectionsWithLink = (prisma: Db, ids: string[], state: LinkState): Promise<string[] | null> =>
  fewIds(
    prisma,
    Prisma.sql`SELECT l."connectionId"::text AS id FROM "Link" l
      WHERE l."portalAccountId" = ANY(${ids}::uuid[]) AND ${LINK_STATE_SQL[state]} AND l."connectionId" IS NOT NULL`,
    FEW_LINKS,
  );

/**
 * The SQL of a search (api/search-sql.ts keysetSearch: its page of ids, its capped count, the
 * cursor of an item), written so that PostgreSQL can walk an index in the requested order and stop
 * at the page (an ORDER BY on the company's name through Prisma's relation ordering sorted every
 * row), and the link-state filter is a semi-join on each connection's latest link.
 */
async function searchBankAccounts(prisma: Db, ids: string[], q: ListQuery) {
  // Each account carries its company's portal account (kept by the database): without a filter or a
  // sort on the company, the scope, the sort and the capped count walk (portalAccountId, createdAt |
  // iban | label, id), and the company is not joined. A filter or a sort on the company (SIRET,
  // name) is scoped on the company, so that its count starts from the company's indexes (one portal
  // account as an equality: the planner walks (portalAccountId, name | siren)); the page too, but for
  // a name alone (below).
  // The page from a few connections with a link in the state asked for, else from the few accounts
  // an IBAN part matches (fewIbanAccounts), else from a few companies matched (a SIREN prefix alone,
  // sorted on the account, from up to FEW_COMPANIES.siren).
  const connections = q.link ? await fewConnectionsWithLink(prisma, ids, q.link) : null;
  const byIban = !connections && q.iban ? await fewIbanAccounts(prisma, ids, q.iban) : null;
  const sirenOnly = !q.name && q.sort !== 'name' && q.sort !== 'siren';
  const companies =
    connections || byIban
      ? null
      : await fewCompanies(prisma, ids, q, sirenOnly ? FEW_COMPANIES.siren : FEW_COMPANIES.other);
  // A name alone matching many companies, sorted on the account: checked on the account's own copy
  // of its company's name (kept by the database), no company probed for each account walked (a
  // page of `name=garage`: 1.3 ms joined, 0.4 on the row; bench/RESULTS.md, “a company's name on
  // its accounts and statements”). Its count stays on the company's side (below).
  const ownName =
    Boolean(q.name) && !q.siret && !q.link && !byIban && !companies && q.sort !== 'name' && q.sort !== 'siren';
  // A few companies matched, sorted on the account: they stand for the filters on the company
  // (fewCompanies read them with the same ones, in the caller's scope), and the page and the count
  // read their accounts without probing each company again (the 1 284 companies of `siret=10011`:
  // 11.1 → 7.2 ms for the page under EXPLAIN ANALYZE).
  const standIn = companies !== null && q.sort !== 'name' && q.sort !== 'siren';
  const company = Boolean(q.siret || q.name || q.sort === 'name' || q.sort === 'siren') && !ownName && !standIn;
  // The filters on the account itself (its company's are added below).
  const accountConds: Prisma.Sql[] = [];
  if (!q.includeInactive) accountConds.push(Prisma.sql`a.active`);
  if (q.iban) accountConds.push(Prisma.sql`a.iban LIKE ${likeContains(q.iban)}`);
  if (q.connection) {
    accountConds.push(
      Prisma.sql`EXISTS (SELECT 1 FROM "BankConnection" bc WHERE bc.id = a."connectionId" AND bc.state IS ${
        q.connection === 'ok' ? Prisma.sql`NULL` : Prisma.sql`NOT NULL`
      })`,
    );
  }
  // The connection's latest link, one probe of (connectionId, createdAt, id) per account (the
  // scope is the account's: a connection's links are its company's). Counted from the other side:
  // the firm's links in that state, newest first, each its connection's latest, then their accounts
  // (at 1 000 000 accounts, 12 576 of the firm's connections with a valid link: 36.8 ms probing
  // 14 000 accounts for the capped count, 0.7 from 214 links; bench/RESULTS.md, “`link=` and the
  // SIREN prefix of a thousand companies”).
  const link = q.link ? LINK_STATE_SQL[q.link] : undefined;
  // Every filter but the link's, the company's on the company (what either count reads).
  const others = [...companyConds(q), ...accountConds];
  const conds: Prisma.Sql[] = [
    ...(ownName ? [Prisma.sql`a."companyName" ILIKE ${likeContains(q.name!)}`] : standIn ? [] : companyConds(q)),
    ...accountConds,
    ...(link
      ? [Prisma.sql`EXISTS (SELECT 1 FROM (${latestLinkOf(Prisma.sql`a."connectionId"`)}) l WHERE ${link})`]
      : []),
  ];
  // The page itself starts from the company's indexes only for a SIRET or a sort on the company: a
  // name alone is checked as the account's index is walked (a firm of 5 % searching a name read
  // everyone's accounts in creation order, 12.5 ms, now its own, 0.8 ms: bench/RESULTS.md "api"
  // 13:05), on the account's copy of it (`ownName`), or on its company with a link filter. The count
  // keeps the company's (trigram) index, cheaper there. Ties broken by the id, ascending either way.
  const companyFirst = Boolean(q.siret || q.sort === 'name' || q.sort === 'siren') && !standIn;
  return keysetSearch(q, {
    from: Prisma.sql`FROM "BankAccount" a ${company ? Prisma.sql`JOIN "Company" c ON c.id = a."companyId"` : Prisma.empty}`,
    conds,
    row: 'a',
    ids,
    pageOn: [companyFirst ? 'c' : 'a'],
    countOn: company ? 'c' : 'a',
    key: SORT_SQL[q.sort],
    idDesc: false,
    counting: link
      ? {
          from: Prisma.sql`FROM ${q.link === 'expired' ? expiredLinks(ids.length === 1) : Prisma.sql`"Link" l`}
        CROSS JOIN LATERAL (${latestLinkOf(Prisma.sql`l."connectionId"`)}) latest
        JOIN "BankAccount" a ON a."connectionId" = l."connectionId"
        ${company ? Prisma.sql`JOIN "Company" c ON c.id = a."companyId"` : Prisma.empty}`,
          on: 'l',
          conds: [link, Prisma.sql`latest.id = l.id`, ...others],
          order: q.link === 'expired' ? undefined : NEWEST_LINKS,
        }
      : ownName
        ? {
            from: Prisma.sql`FROM "BankAccount" a JOIN "Company" c ON c.id = a."companyId"`,
            on: 'c',
            conds: others,
          }
        : undefined,
    narrow: connections
      ? { on: Prisma.sql`a."connectionId"`, from: idsScope(connections) }
      : byIban
        ? { on: Prisma.sql`a.id`, from: idsScope(byIban.map((a) => a.id)) }
        : companies
          ? { on: Prisma.sql`a."companyId"`, from: idsScope(companies) }
          : undefined,
  });
}

export function bankAccountRoutes(ctx: RouteContext) {
  const { api, deps } = ctx;
  const { prisma, temporal, logger } = deps;

  async function findAccount(auth: AuthContext, id: string, includeSecondary: boolean) {
    const ids = await scopeAccountIds(prisma, auth, includeSecondary);
    const a = await prisma.bankAccount.findFirst({
      where: { id, ...bankAccountScope(ids) },
      include: { ...bankAccountInclude, company: true },
    });
    if (!a) throw notFound('Compte bancaire');
    return a;
  }

  api.op({
    method: 'get',
    path: '/bank-accounts',
    tag: TAG,
    summary: 'Rechercher des comptes bancaires',
    rights: ['CONFIGURE_BANKS', 'MANAGE_COMPANIES', 'VIEW_STATEMENTS'],
    query: listQuery,
    responses: { 200: { description: 'Comptes bancaires', schema: cappedList(bankAccountOut) } },
    handler: async ({ auth, query }) => {
      // The page, its rows, their links and the capped total in one round trip (api/page-rows.ts).
      const ids = await scopeAccountIds(prisma, auth, query.includeSecondary);
      const search = await searchBankAccounts(prisma, ids, query);
      const found = await bankAccountPage(prisma, search.page, { total: search.count, planOnce: search.planOnce });
      const items = found.rows.map((r, i) => ({ ...presentBankAccount(r), link: found.links[i] ?? null }));
      return cappedPage(items, found.total, query, search.cursor);
    },
  });

  api.op({
    method: 'get',
    path: '/bank-accounts/export',
    tag: TAG,
    summary: 'Exporter la recherche de comptes bancaires (CSV ou Excel), avec les mêmes filtres que la liste',
    rights: ['CONFIGURE_BANKS', 'MANAGE_COMPANIES', 'VIEW_STATEMENTS'],
    query: listQuery.and(z.object({ format: exportFormat })),
    responses: { 200: { description: 'Le fichier', contentType: 'text/csv' } },
    handler: async ({ auth, query, res }) => {
      const ids = await scopeAccountIds(prisma, auth, query.includeSecondary);
      const search = await searchBankAccounts(prisma, ids, { ...query, limit: EXPORT_MAX_ROWS, offset: 0 });
      const found = await bankAccountPage(prisma, search.page, { portalAccountName: true });
      const rows = found.rows.map((a, i) => ({ ...a, link: found.links[i] ?? null }));
      const LINK_FR = { valid: 'Valide', used: 'Utilisé', expired: 'Expiré' } as const;
      type Row = (typeof rows)[number];
      await sendTable<Row>(res, {
        format: query.format,
        name: 'comptes_bancaires',
        sheet: 'Comptes bancaires',
        rows,
        columns: [
          ...(query.includeSecondary ? [['Compte', (a: Row) => a.company.portalAccount.name, 24] as const] : []),
          ['SIREN', (a) => a.company.siren, 12],
          ['NIC', (a) => a.company.nic, 8],
          ['Raison sociale', (a) => a.company.name, 30],
          ['Banque', (a) => a.connection.bank?.name ?? a.connection.connectorName, 22],
          ['Libellé', (a) => a.label, 26],
          ['IBAN', (a) => a.iban, 32],
          ['Devise', (a) => a.currency, 8],
          ['État connexion', (a) => (a.connection.state === null ? 'Succès' : `Erreur (${a.connection.state})`), 18],
          ['Dernière collecte', (a) => a.connection.lastSuccessAt?.toISOString().slice(0, 10) ?? '', 14],
          ['État jeton', (a) => (a.link ? LINK_FR[a.link.state] : ''), 12],
          ['Actif', (a) => (a.active ? 'Oui' : 'Non'), 8],
        ] as ExportColumn<Row>[],
      });
    },
  });

  api.op({
    method: 'get',
    path: '/bank-accounts/{id}',
    tag: TAG,
    summary: 'Détail d’un compte bancaire : historique, 10 derniers relevés, liens de sa connexion',
    rights: ['CONFIGURE_BANKS', 'MANAGE_COMPANIES', 'VIEW_STATEMENTS'],
    params: idParam,
    query: scopeQuery,
    responses: {
      200: {
        description: 'Compte bancaire',
        schema: bankAccountOut.extend({
          balance: z.string().nullable(),
          balanceAt: z.iso.datetime().nullable(),
          events: z.array(eventOut),
          statements: z.array(statementOut),
          links: z.array(linkOut),
        }),
      },
    },
    handler: async ({ auth, params, query }) => {
      const a = await findAccount(auth, params.id, query.includeSecondary);
      const [events, statements, links] = await Promise.all([
        prisma.bankAccountEvent.findMany({
          where: { bankAccountId: a.id },
          orderBy: { occurredAt: 'desc' },
          take: 100,
        }),
        prisma.statement.findMany({
          where: { bankAccountId: a.id },
          orderBy: { receivedAt: 'desc' },
          take: 10,
          select: statementSelect,
        }),
        prisma.link.findMany({ where: { connectionId: a.connectionId }, orderBy: { createdAt: 'desc' }, take: 10 }),
      ]);
      return {
        ...presentBankAccount(a),
        balance: a.balance?.toFixed(2) ?? null,
        balanceAt: iso(a.balanceAt),
        events: events.map((e) => ({ ...e, bankAccountId: undefined, occurredAt: e.occurredAt.toISOString() })),
        statements: statements.map(presentStatement),
        links: links.map(presentLink),
      };
    },
  });

  for (const activate of [false, true]) {
    api.op({
      method: 'post',
      path: `/bank-accounts/{id}/${activate ? 'reactivate' : 'deactivate'}`,
      tag: TAG,
      summary: activate
        ? 'Réactiver la réception des relevés (reprise à la dernière date livrée)'
        : 'Désactiver la réception des relevés sur ce compte (rien n’est supprimé)',
      rights: ['CONFIGURE_BANKS'],
      params: idParam,
      query: scopeQuery,
      responses: {
        200: { description: 'Compte bancaire', schema: bankAccountOut },
        409: { description: 'Redevable désactivé, ou compte sans IBAN (pas de relevé CFONB possible)' },
      },
      handler: async ({ auth, params, query, req }) => {
        const a = await findAccount(auth, params.id, query.includeSecondary);
        if (activate && !a.company.active)
          throw conflict('Le redevable est désactivé : réactivez d’abord le redevable.');
        const availability = statementAvailability(a);
        if (activate && !availability.available)
          throw conflict(`${availability.reason} : ce compte ne peut pas recevoir de relevés.`);
        const updated = await prisma.$transaction(async (tx) => {
          if (a.active !== activate) {
            await tx.bankAccount.update({
              where: { id: a.id },
              data: { active: activate, deactivatedAt: activate ? null : new Date() },
            });
            await tx.bankAccountEvent.create({
              data: {
                bankAccountId: a.id,
                kind: activate ? 'REACTIVATED' : 'DEACTIVATED',
                detail: { by: auth.actor.type, resumeAfter: a.collectedUntil?.toISOString().slice(0, 10) ?? null },
              },
            });
          }
          await audit(
            tx,
            { auth, req },
            {
              action: activate ? 'bank-account.reactivate' : 'bank-account.deactivate',
              entityType: 'BankAccount',
              entityId: a.id,
              portalAccountId: a.company.portalAccountId,
            },
          );
          return tx.bankAccount.findUniqueOrThrow({ where: { id: a.id }, include: bankAccountInclude });
        });
        notifyWorkflows([
          signalConnection(temporal, logger, a.connectionId, activate ? reactivateSignal : deactivateSignal, {
            bankAccountId: a.id,
          }),
        ]);
        return presentBankAccount(updated);
      },
    });
  }
}
