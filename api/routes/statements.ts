/**
 * Statements: search and export, detail with transactions, send again by e-mail (their files:
 * statement-downloads.ts).
 */
import { z } from 'zod';
import { Prisma, type Db } from '../../db/client';
import { audit } from '../audit';
import { conflict } from '../errors';
import { day, deliverySelect, emailBounces, presentDelivery, presentStatement, statementSelect } from '../present';
import { enqueueStatementDelivery, statementRecipient } from '../../email';
import {
  filterText,
  ibanFilter,
  idParam,
  afterQuery,
  afterWithoutOffset,
  cappedList,
  cappedPage,
  isoDate,
  order,
  pageQuery,
  scopeQuery,
  siretFilter,
  deliveryOut,
  statementOut,
  statementStateEnum,
} from '../schemas';
import { scopeAccountIds } from '../scope';
import {
  companyConds,
  fewCompanies,
  fewIbanAccounts,
  idsScope,
  keysetSearch,
  likeContains,
  type SortKey,
} from '../search-sql';
import type { RouteContext } from '../deps';
import { EXPORT_MAX_ROWS, exportFormat } from '../schemas';
import { sendTable, type ExportColumn } from '../spreadsheet';
import { findStatement } from '../lookups';
import { statementPage } from '../page-rows';

const TAG = 'Relevés';

const listQuery = scopeQuery
  .extend(pageQuery.shape)
  .extend(afterQuery.shape)
  .extend({
    receivedFrom: isoDate.optional().describe('Reçus à partir de ce jour (inclus)'),
    receivedTo: isoDate.optional().describe('Reçus jusqu’à ce jour (inclus)'),
    siret: siretFilter,
    name: filterText(100),
    iban: ibanFilter,
    state: statementStateEnum.optional(),
    delivery: z
      .enum(['none', 'queued', 'sent', 'delivered', 'bounced', 'failed'], {
        message: 'none, queued, sent, delivered, bounced ou failed attendu',
      })
      .optional()
      .describe(
        'Envoi par e-mail : none (aucun e-mail), queued (en attente), sent (envoyé), delivered (remis), bounced (rejeté), failed (échec ou adresse désactivée)',
      ),
    balance: z
      .enum(['break', 'ok', 'unchecked'], { message: 'break, ok ou unchecked attendu' })
      .optional()
      .describe('Continuité des soldes : break (rupture de solde), ok, unchecked (rien à comparer)'),
    sort: z.enum(['receivedAt', 'periodEnd'], { message: 'receivedAt ou periodEnd attendu' }).default('receivedAt'),
    order: order.unwrap().default('desc'),
  })
  .superRefine(
    (q, ctx) => {
      const { receivedFrom: from, receivedTo: to } = q as { receivedFrom?: unknown; receivedTo?: unknown };
      if (typeof from === 'string' && typeof to === 'string' && from > to) {
        ctx.addIssue({
          code: 'custom',
          path: ['receivedTo'],
          message: 'doit être postérieure ou égale à receivedFrom',
        });
      }
      afterWithoutOffset(q, ctx);
    },
    { when: () => true },
  );

type ListQuery = z.infer<typeof listQuery>;

const STATE = { success: 'SUCCESS', running: 'RUNNING', failure: 'FAILURE' } as const;

/** A statement's e-mails as the Réception filter reads them. */
const DELIVERY_SQL: Record<NonNullable<ListQuery['delivery']>, Prisma.Sql> = {
  none: Prisma.sql`NOT EXISTS (SELECT 1 FROM "EmailMessage" e WHERE e."statementId" = s.id)`,
  queued: Prisma.sql`EXISTS (SELECT 1 FROM "EmailMessage" e WHERE e."statementId" = s.id AND e.status IN ('QUEUED', 'SENDING'))`,
  sent: Prisma.sql`EXISTS (SELECT 1 FROM "EmailMessage" e WHERE e."statementId" = s.id AND e.status = 'SENT' AND e."deliveredAt" IS NULL)`,
  delivered: Prisma.sql`EXISTS (SELECT 1 FROM "EmailMessage" e WHERE e."statementId" = s.id AND e."deliveredAt" IS NOT NULL)`,
  bounced: Prisma.sql`EXISTS (SELECT 1 FROM "EmailMessage" e WHERE e."statementId" = s.id AND e.status = 'BOUNCED')`,
  failed: Prisma.sql`EXISTS (SELECT 1 FROM "EmailMessage" e WHERE e."statementId" = s.id AND e.status IN ('FAILED', 'SUPPRESSED'))`,
};

/** The balance filter (domain/balance-check.ts: a break is recorded on the row when issued). */
const BALANCE_SQL: Record<NonNullable<ListQuery['balance']>, Prisma.Sql> = {
  break: Prisma.sql`s.state = 'SUCCESS' AND s."balanceBreak"`,
  ok: Prisma.sql`s.state = 'SUCCESS' AND NOT s."balanceBreak" AND (s."previousClosingBalance" IS NOT NULL OR s."bankBalance" IS NOT NULL)`,
  unchecked: Prisma.sql`s.state = 'SUCCESS' AND s."previousClosingBalance" IS NULL AND s."bankBalance" IS NULL`,
};

/** The list's sort key on the statement `s`, its type, and its value as the list shows it. */
const sortKey = (q: ListQuery): SortKey<ReturnType<typeof presentStatement>> =>
  q.sort === 'periodEnd'
    ? { sort: Prisma.sql`s."periodEnd"`, cast: 'date', of: (s) => s.periodEnd }
    : { sort: Prisma.sql`s."receivedAt"`, cast: 'timestamp', of: (s) => s.receivedAt };

/**
 * Up to this many companies matched by a SIRET or name filter, a statement page is merged from
 * their bank accounts' statements (each account's first offset + limit, on its (bankAccountId,
 * receivedAt | periodEnd) index); past it, the caller's statements are walked in order until the page
 * is full, each one's company checked. At 1 000 000 accounts and 10 000 000 statements: 128
 * companies 532 ms walked, 17 merged; 840: 43.5 against 94; none of 176 000 ("garage dupont"):
 * 30 s (the statement timeout) against 19 (bench/RESULTS.md, “searches on the company matching
 * few”).
 */
const FEW_COMPANIES = 300;

/**
 * Up to this many companies matched by a SIRET alone (past FEW_COMPANIES), the page walks the
 * caller's statements in order on the (portalAccountId, receivedAt, id, bankAccountId) index alone
 * and keeps those of the matched companies' bank accounts, read once into a hash table (a hashed
 * subplan, `listedAccounts`), and the count reads those accounts' statements, account by account,
 * on (bankAccountId, receivedAt); past it, each statement walked is joined to its account and
 * company (7 µs), and counted from the companies. At 1 000 000 accounts, a SIREN prefix of 1 284
 * companies (6 420 accounts): 55 ms for the page joined, 3.2 from a list of the accounts
 * (bench/RESULTS.md, “`link=` and the SIREN prefix of a thousand companies”), a list the API read
 * in a statement of its own and sent twice (its page and its count: 230 kB of text each way,
 * planned twice, 4.5 ms), before the hashed read of the companies' accounts inside the statement
 * (bench/RESULTS.md, “a SIREN prefix's accounts read in the statement”). Up to 2 000 companies,
 * about 10 000 accounts: past them, the matches are a few per cent of the firm's statements, the
 * join walk stops soon, and reading the accounts would cost more than it saves.
 */
const MANY_COMPANIES = 2_000;

/**
 * A statement `s` of the bank accounts of `companies` (a few thousand at most): those accounts read
 * once into a hash table that each statement walked probes. `IS TRUE` keeps PostgreSQL from turning
 * the IN into a join (a join's rows lose the walk's order, and all the matches would be read and
 * sorted), so that it stays a hashed subplan. An array of those ids built by a subquery would not
 * do: only a constant array is hashed, and each statement walked would scan it.
 */
const listedAccounts = (companies: string[]) =>
  Prisma.sql`(s."bankAccountId" IN (SELECT n.id FROM "BankAccount" n WHERE n."companyId" = ANY(${companies}::uuid[]))) IS TRUE`;

/**
 * The SQL of a search (api/search-sql.ts keysetSearch): the page of statement ids it asks for, in
 * order, its capped count and the cursor of an item. `ids` are the portal accounts in the caller's
 * scope.
 */
async function searchStatements(prisma: Db, ids: string[], q: ListQuery) {
  // Each statement carries its company's portal account (kept by the database): without a filter on
  // the company, the scope, the sort and the capped count walk (portalAccountId, receivedAt | periodEnd,
  // id) or (portalAccountId, state, receivedAt, id), and the bank account is joined only for its IBAN.
  // A filter on the company (SIRET, name) starts from the company's indexes, scoped there.
  // A few companies matched (FEW_COMPANIES): the page from their accounts' statements; more, up to
  // MANY_COMPANIES for a SIRET alone: their accounts hashed (listedAccounts); else the company joined to each
  // statement walked. A name's 2 001 first companies cost 4.4 ms through its trigrams (1.3 for
  // 301), a SIREN prefix's 0.5 on (portalAccountId, siren): names keep the smaller cap.
  // An IBAN part matching few accounts: the page from their statements (fewIbanAccounts).
  const byIban = q.iban ? await fewIbanAccounts(prisma, ids, q.iban) : null;
  const matched = byIban ? null : await fewCompanies(prisma, ids, q, q.name ? FEW_COMPANIES : MANY_COMPANIES);
  const companies = matched && matched.length <= FEW_COMPANIES ? matched : null;
  const listed = matched && !companies ? matched : null;
  // A name alone matching many companies: checked on the statement's own copy of its company's name
  // (kept by the database), no account or company probed for each statement walked (a page of
  // `name=garage`: 411 statements walked, 4 ms joined, 0.35 on the row; bench/RESULTS.md, “a
  // company's name on its accounts and statements”).
  const ownName = Boolean(q.name) && !q.siret && !byIban && !matched;
  const statementConds: Prisma.Sql[] = [];
  if (q.iban) statementConds.push(Prisma.sql`a.iban LIKE ${likeContains(q.iban)}`);
  if (q.state) statementConds.push(Prisma.sql`s.state = ${STATE[q.state]}::"StatementState"`);
  if (q.delivery) statementConds.push(DELIVERY_SQL[q.delivery]);
  if (q.balance) statementConds.push(BALANCE_SQL[q.balance]);
  // receivedAt is a timestamp without time zone holding UTC (Prisma's DateTime): compared as such.
  if (q.receivedFrom) statementConds.push(Prisma.sql`s."receivedAt" >= ${q.receivedFrom}::timestamp`);
  if (q.receivedTo) statementConds.push(Prisma.sql`s."receivedAt" < ${q.receivedTo}::timestamp + interval '1 day'`);
  // A few companies matched: their accounts, within the caller's scope, stand for the company's
  // filters and its scope, and each account's statements are walked on (bankAccountId, receivedAt,
  // id) alone (640 accounts of a SIREN prefix: 8 ms joined to their account and company and read
  // from the table, 2 from the index; bench/RESULTS.md, “a company's name on its accounts and
  // statements”).
  const conds: Prisma.Sql[] = [
    ...(listed
      ? [listedAccounts(listed)]
      : ownName
        ? [Prisma.sql`s."companyName" ILIKE ${likeContains(q.name!)}`]
        : companies
          ? []
          : companyConds(q)),
    ...statementConds,
  ];
  // Scoped on the company when it is joined, else on the statement (its index walked in order;
  // several portal accounts, a primary with its secondaries: each one's first rows, then merged).
  // The page is scoped on the statement as well when the company is joined (the same rows: the
  // database keeps each statement's portal account its company's), so that PostgreSQL may walk the
  // caller's own (portalAccountId, sort key, id) index when the company filter matches many, where
  // it walked everyone's statements in that order (a firm of 5 % reading 20 times its rows: 33 ms
  // instead of 5, bench/RESULTS.md "api" 12:40). Not the count: started from the company's indexes,
  // it is cheaper, and the planner would take the two scopes for independent filters.
  // Ties broken by the id in the same direction: (periodEnd, id) walked either way, no sort of a
  // month's million statements that share their period end.
  const company = Boolean(q.siret || q.name) && !listed && !ownName && !companies;
  const joins = Prisma.sql`${
    company || q.iban ? Prisma.sql`JOIN "BankAccount" a ON a.id = s."bankAccountId"` : Prisma.empty
  } ${company ? Prisma.sql`JOIN "Company" c ON c.id = a."companyId"` : Prisma.empty}`;
  // The name's count, though, from the company's indexes (its companies' accounts' statements: 0.6 ms
  // for the capped 1 001 of `name=garage`, 4.3 checking the walked statements' names), but when the
  // statements asked for are rare (a failed or running state, a balance break: 3 % of them or
  // fewer): most of those accounts have none, and the walk on (portalAccountId, state, receivedAt,
  // id) finds them sooner (`state=failure&name=dupont&receivedFrom=…`: 11 ms against 131), from
  // the index alone for a failed or running state (its partial copy carries the company's name,
  // migration 20261216090000: 12.6 → 4.1 ms for the capped count of those 11 000 failed statements).
  const rare = q.state === 'failure' || q.state === 'running' || q.balance === 'break';
  const countFromCompanies = ownName && !rare;
  return keysetSearch(q, {
    from: Prisma.sql`FROM "Statement" s ${joins}`,
    conds,
    row: 's',
    ids,
    pageOn: company ? ['c', 's'] : ['s'],
    countOn: company ? 'c' : 's',
    // A SIREN prefix's companies: counted account by account on (bankAccountId, …), their accounts
    // read in turn until the cap (`OFFSET 0` keeps PostgreSQL from walking the firm's statements in
    // reception order instead, on the index that carries each one's account: 1 001 matches among
    // 150 000 statements walked, 30 ms, against 2 from the accounts; bench/RESULTS.md, “the firm's
    // statements with their bank account”). The account joined as the page's is (an IBAN part's
    // condition).
    counting: listed
      ? {
          from: Prisma.sql`FROM "BankAccount" listed
            CROSS JOIN LATERAL (SELECT * FROM "Statement" s WHERE s."bankAccountId" = listed.id OFFSET 0) s ${joins}`,
          on: 's',
          conds: [Prisma.sql`listed."companyId" = ANY(${listed}::uuid[])`, ...statementConds],
        }
      : countFromCompanies
        ? {
            from: Prisma.sql`FROM "Statement" s JOIN "BankAccount" a ON a.id = s."bankAccountId" JOIN "Company" c ON c.id = a."companyId"`,
            on: 'c',
            conds: [...companyConds(q), ...statementConds],
          }
        : undefined,
    key: sortKey(q),
    idDesc: q.order === 'desc',
    // Sorted by reception, a state is the equality and the dates the range of (portalAccountId,
    // state, receivedAt, id) or (portalAccountId, receivedAt, id): the same plan for any of them.
    // Sorted by period end, they are filters along the walk, whose cost depends on their values.
    indexed: q.sort === 'receivedAt' ? ['state', 'receivedFrom', 'receivedTo'] : [],
    narrow: byIban
      ? { on: Prisma.sql`s."bankAccountId"`, from: idsScope(byIban.map((a) => a.id)) }
      : companies
        ? {
            on: Prisma.sql`s."bankAccountId"`,
            from: Prisma.sql`(SELECT n.id FROM "BankAccount" n WHERE n."companyId" = ANY(${companies}::uuid[])
              AND n."portalAccountId" = ANY(${ids}::uuid[])) AS scope(id)`,
            scoped: true,
          }
        : undefined,
  });
}

const transactionOut = z.object({
  id: z.uuid(),
  bookingDate: isoDate,
  valueDate: isoDate.nullable(),
  amount: z.string(),
  label: z.string(),
  type: z.string(),
  deleted: z.boolean(),
});

export function statementRoutes(ctx: RouteContext) {
  const { api, deps } = ctx;
  const { prisma } = deps;

  /**
   * The statements a search asks for, in order (searchStatements), and (with `count`) its capped
   * total, in one round trip (api/page-rows.ts); shared by the list and its export.
   */
  async function findStatements(auth: Parameters<typeof scopeAccountIds>[1], query: ListQuery, count: boolean) {
    const ids = await scopeAccountIds(prisma, auth, query.includeSecondary);
    const search = await searchStatements(prisma, ids, query);
    const found = await statementPage(prisma, search.page, {
      total: count ? search.count : undefined,
      planOnce: search.planOnce,
    });
    return { rows: found.rows, total: found.total, cursor: search.cursor };
  }

  api.op({
    method: 'get',
    path: '/statements',
    tag: TAG,
    summary: 'Rechercher des relevés reçus (date de réception, SIRET, raison sociale, IBAN, état)',
    rights: ['VIEW_STATEMENTS'],
    query: listQuery,
    responses: { 200: { description: 'Relevés', schema: cappedList(statementOut) } },
    handler: async ({ auth, query }) => {
      const found = await findStatements(auth, query, true);
      return cappedPage(found.rows.map(presentStatement), found.total, query, found.cursor);
    },
  });

  api.op({
    method: 'get',
    path: '/statements/export',
    tag: TAG,
    summary: 'Exporter la recherche de relevés (CSV ou Excel), avec les mêmes filtres que la liste',
    rights: ['VIEW_STATEMENTS'],
    query: listQuery.and(z.object({ format: exportFormat })),
    responses: { 200: { description: 'Le fichier', contentType: 'text/csv' } },
    handler: async ({ auth, query, res }) => {
      const rows = (await findStatements(auth, { ...query, limit: EXPORT_MAX_ROWS, offset: 0 }, false)).rows.map(
        presentStatement,
      );
      const STATE_FR = { success: 'Succès', running: 'En cours', failure: 'Échec' } as const;
      const fr = (d: string) => d.split('-').reverse().join('/');
      type Row = (typeof rows)[number];
      await sendTable<Row>(res, {
        format: query.format,
        name: 'releves',
        sheet: 'Relevés',
        rows,
        columns: [
          ...(query.includeSecondary ? [['Compte', (r: Row) => r.company.portalAccountName, 24] as const] : []),
          ['SIREN', (r) => r.company.siren, 12],
          ['NIC', (r) => r.company.nic, 8],
          ['Raison sociale', (r) => r.company.name, 30],
          ['IBAN', (r) => r.iban, 32],
          ['Début de période', (r) => fr(r.periodStart), 14],
          ['Fin de période', (r) => fr(r.periodEnd), 14],
          ['Date de réception', (r) => fr(r.receivedAt.slice(0, 10)), 14],
          ['État', (r) => STATE_FR[r.state], 10],
          ['Transactions', (r) => r.transactionCount, 12],
          ['Transactions supprimées', (r) => r.deletedCount, 12],
          ['Solde initial', (r) => r.openingBalance, 14],
          ['Solde final', (r) => r.closingBalance, 14],
          ['Devise', (r) => r.currency, 8],
          ['Erreur', (r) => r.errorMessage, 30],
        ] as ExportColumn<Row>[],
      });
    },
  });

  api.op({
    method: 'get',
    path: '/statements/{id}',
    tag: TAG,
    summary: 'Un relevé et ses transactions (livrées et supprimées)',
    rights: ['VIEW_STATEMENTS'],
    params: idParam,
    query: scopeQuery,
    responses: {
      200: {
        description: 'Relevé',
        schema: statementOut.extend({
          transactions: z.array(transactionOut),
          deletedTransactions: z.array(transactionOut),
          deliveries: z.array(deliveryOut).describe('Les envois par e-mail du relevé, le plus récent d’abord'),
        }),
      },
    },
    handler: async ({ auth, params, query }) => {
      const s = await findStatement(ctx, auth, params.id, query.includeSecondary, statementSelect);
      const tx = (t: {
        id: string;
        bookingDate: Date;
        valueDate: Date | null;
        amount: Prisma.Decimal;
        label: string;
        type: string;
        deletedAt: Date | null;
      }) => ({
        id: t.id,
        bookingDate: day(t.bookingDate)!,
        valueDate: day(t.valueDate),
        amount: t.amount.toFixed(2),
        label: t.label,
        type: t.type,
        deleted: t.deletedAt !== null,
      });
      const [delivered, deleted, emails] = await Promise.all([
        prisma.transaction.findMany({ where: { statementId: s.id }, orderBy: [{ bookingDate: 'asc' }, { id: 'asc' }] }),
        prisma.transaction.findMany({
          where: { deletionStatementId: s.id },
          orderBy: [{ bookingDate: 'asc' }, { id: 'asc' }],
        }),
        prisma.emailMessage.findMany({
          where: { statementId: s.id },
          orderBy: { createdAt: 'desc' },
          select: deliverySelect,
        }),
      ]);
      return {
        ...presentStatement(s),
        transactions: delivered.map(tx),
        deletedTransactions: deleted.map(tx),
        deliveries: emails.map(presentDelivery),
      };
    },
  });

  api.op({
    method: 'post',
    path: '/statements/{id}/resend',
    tag: TAG,
    summary: 'Renvoyer le relevé par e-mail, à l’adresse de réception actuelle du compte',
    description:
      'Un nouvel envoi, selon le mode de réception actuel du compte qui porte le redevable (boîte du compte ou boîte dédiée). 409 si le compte ne reçoit pas ses relevés par e-mail, si le relevé n’a pas de fichier, ou si l’adresse a été rejetée définitivement.',
    rights: ['VIEW_STATEMENTS'],
    status: 201,
    params: idParam,
    query: scopeQuery,
    responses: {
      201: { description: 'Envoi mis en file', schema: deliveryOut },
      409: { description: 'Pas d’envoi possible (mode de réception, relevé sans fichier, adresse rejetée)' },
    },
    handler: async ({ auth, params, query, req }) => {
      const s = await findStatement(ctx, auth, params.id, query.includeSecondary, {
        id: true,
        state: true,
        bankAccount: { select: { company: { select: { portalAccount: true } } } },
      });
      if (s.state !== 'SUCCESS') throw conflict('Ce relevé n’a pas de fichier à envoyer (en cours ou en échec).');
      const account = s.bankAccount.company.portalAccount;
      const recipient = statementRecipient(account);
      if (recipient.to === null)
        throw conflict(
          recipient.mode === 'download-only'
            ? 'Le compte ne reçoit pas ses relevés par e-mail (« Pas de réception par mail ») : choisissez une boîte de réception dans les paramètres.'
            : `Envoi refusé : ${recipient.reason}.`,
        );
      const [bounce] = (await emailBounces(prisma, [recipient.to])).values();
      if (bounce)
        throw conflict(
          `L’adresse ${recipient.to} a été rejetée définitivement (${bounce.reason}) : changez l’adresse de réception dans les paramètres du compte.`,
        );
      const n = (await prisma.emailMessage.count({ where: { statementId: s.id } })) + 1;
      const key = `statement/${s.id}/resend/${n}`;
      await prisma.$transaction(async (tx) => {
        await enqueueStatementDelivery(
          tx,
          s.id,
          {
            supportEmail: deps.config.SUPPORT_EMAIL,
            supportPhone: deps.config.SUPPORT_PHONE ?? null,
            portalUrl: deps.config.publicBaseUrl,
          },
          { idempotencyKey: key },
        );
        await audit(
          tx,
          { auth, req },
          {
            action: 'statement.resend',
            entityType: 'Statement',
            entityId: s.id,
            detail: { to: recipient.to },
            portalAccountId: account.id,
          },
        );
      });
      const m = await prisma.emailMessage.findUniqueOrThrow({ where: { idempotencyKey: key }, select: deliverySelect });
      return presentDelivery(m);
    },
  });
}
