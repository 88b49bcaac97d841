/**
 * api/search-sql.ts keysetSearch's `planOnce`: a list without filter (but those the walked index
 * answers itself) whose page walks the listed rows' own index, or a page merged from a few matches,
 * is planned once per session (db/client.ts readSql); a filter walked over the firm's rows, or a
 * sort on the company, keeps a plan made for its values.
 */
import { keysetSearch, unfiltered, type SortKey } from '../../api/search-sql';
import { Prisma } from '../../db/client';

const FIRM = '00000000-0000-4000-8000-0000000000f1';
const SECONDARY = '00000000-0000-4000-8000-0000000000f2';
const key: SortKey<{ id: string; createdAt: string }> = {
  sort: Prisma.sql`a."createdAt"`,
  cast: 'timestamp',
  of: (a) => a.createdAt,
};
const search = {
  from: Prisma.sql`FROM "BankAccount" a`,
  conds: [Prisma.sql`a.active`],
  row: 'a' as const,
  ids: [FIRM],
  pageOn: ['a' as const],
  countOn: 'a' as const,
  key,
  idDesc: false,
};
/** A list's query as the route's schema parses it: defaults filled, absent filters undefined. */
const plain = {
  includeSecondary: false,
  limit: 50,
  offset: 0,
  after: undefined,
  name: undefined,
  iban: undefined,
  includeInactive: false,
  sort: 'createdAt',
  order: 'asc' as const,
};
/** The plain query with other fields (the route's parsed query has them all). */
const and = (fields: object): typeof plain => ({ ...plain, ...fields });

test('a list without filter is planned once: any page, order, cursor, inactive rows or secondary accounts', () => {
  expect(keysetSearch(plain, search).planOnce).toBe(true);
  expect(keysetSearch(and({ offset: 5000, limit: 200, order: 'desc' }), search).planOnce).toBe(true);
  expect(keysetSearch(and({ includeInactive: true }), { ...search, conds: [] }).planOnce).toBe(true);
  const first = keysetSearch(plain, search);
  const after = first.cursor({ id: '00000000-0000-4000-8000-0000000000a1', createdAt: '2026-12-01T08:00:00.000Z' });
  const next = keysetSearch(and({ after }), search);
  expect(next.planOnce).toBe(true);
  expect(next.page.values).toContain('2026-12-01T08:00:00.000Z'); // the cursor is a parameter: the same statement
  expect(next.page.text).not.toBe(first.page.text);
  // A primary with its secondaries: each one's rows walked in order, then merged.
  expect(keysetSearch(and({ includeSecondary: true }), { ...search, ids: [FIRM, SECONDARY] }).planOnce).toBe(true);
});

test('a filter, an export or a sort on the company keep plans made for their values', () => {
  expect(keysetSearch(and({ name: 'garage' }), search).planOnce).toBe(false);
  expect(keysetSearch(and({ iban: '7630' }), search).planOnce).toBe(false);
  expect(keysetSearch(and({ state: 'failure' }), search).planOnce).toBe(false);
  expect(keysetSearch(and({ format: 'csv' }), search).planOnce).toBe(false);
  const company = { ...search, from: Prisma.sql`FROM "BankAccount" a JOIN "Company" c ON c.id = a."companyId"` };
  expect(keysetSearch(and({ sort: 'name' }), { ...company, pageOn: ['c'], countOn: 'c' }).planOnce).toBe(false);
  expect(keysetSearch(plain, { ...company, countOn: 'c' }).planOnce).toBe(false);
});

test('unfiltered: only the scope, the page and the order; an absent filter is no filter', () => {
  expect(unfiltered(plain)).toBe(true);
  expect(unfiltered(and({ emailBounced: undefined, collection: undefined }))).toBe(true);
  expect(unfiltered(and({ emailBounced: false }))).toBe(false);
  expect(unfiltered(and({ receivedFrom: '2026-10-01' }))).toBe(false);
});

test('a page merged from a few matches is planned once, whatever its filters', () => {
  const few = { on: Prisma.sql`a."companyId"`, from: Prisma.sql`unnest(${[FIRM]}::uuid[]) AS scope(id)` };
  const narrowed = { ...search, conds: [...search.conds, Prisma.sql`a.iban LIKE ${'%7630%'}`], narrow: few };
  expect(keysetSearch(and({ siret: '100011', iban: '7630' }), narrowed).planOnce).toBe(true);
  expect(keysetSearch(and({ siret: '100011', iban: '7630' }), { ...narrowed, narrow: undefined }).planOnce).toBe(false);
});

test('the fields the walked index answers itself leave a list planned once', () => {
  const received = { ...search, indexed: ['state', 'receivedFrom', 'receivedTo'] };
  expect(keysetSearch(and({ state: 'failure', receivedFrom: '2026-10-01' }), received).planOnce).toBe(true);
  expect(keysetSearch(and({ state: 'failure', name: 'garage' }), received).planOnce).toBe(false);
  expect(keysetSearch(and({ state: 'failure' }), search).planOnce).toBe(false);
  expect(unfiltered(and({ state: 'running' }), ['state'])).toBe(true);
});
