/**
 * The bank-account list's link filter (GET /bank-accounts?link=valid|expired|used): an account is
 * listed when its connection's latest link, as Prisma reads it, is in that state, and the list shows
 * that state beside it: a valid link that a later one replaced does not count, nor does a
 * connection without any link.
 */
import {
  call,
  createCompanyWithAccounts,
  createTenant,
  latestLinksOracle,
  siren,
  useApi,
  type Tenant,
} from './support';

const api = useApi();
const HOUR = 3_600_000;
let firm: Tenant;
const labels = new Map<string, string>();

beforeAll(async () => {
  const p = api.prisma;
  firm = await createTenant(p, { name: 'Cabinet Jetons' });
  const other = await createTenant(p, { name: 'Autre cabinet' });
  const now = Date.now();
  // Each company's one connection, and its links: [created h ago, expires in h, used, revoked].
  const cases: Array<[string, Array<[number, number, boolean, boolean]>, Tenant?]> = [
    ['valid', [[1, 71, false, false]]],
    [
      'replaced by a used one',
      [
        [5, 67, false, false],
        [2, 70, true, false],
      ],
    ],
    [
      'valid after an expired one',
      [
        [100, -28, false, false],
        [3, 69, false, false],
      ],
    ],
    ['expired', [[80, -8, false, false]]],
    ['revoked', [[4, 68, false, true]]],
    ['used', [[6, 66, true, false]]],
    ['no link', []],
    ['valid, another firm', [[1, 71, false, false]], other],
  ];
  let n = 0;
  for (const [name, links, tenant] of cases) {
    const c = await createCompanyWithAccounts(p, tenant ?? firm, { siren: siren(900 + n), name, accounts: 1 });
    labels.set(c.accounts[0]!.id, name);
    for (const [ago, ahead, used, revoked] of links) {
      await p.link.create({
        data: {
          companyId: c.company.id,
          portalAccountId: c.company.portalAccountId,
          connectionId: c.connection.id,
          kind: 'UPDATE_CREDENTIALS',
          recipient: 'compta@example.test',
          secretHash: `hash-${n++}`,
          createdAt: new Date(now - ago * HOUR),
          expiresAt: new Date(now + ahead * HOUR),
          usedAt: used ? new Date(now - HOUR / 2) : null,
          revokedAt: revoked ? new Date(now - HOUR / 2) : null,
        },
      });
    }
    n++;
  }
});

const listed = async (q: string) => {
  const r = await call(api, 'GET', `/api/v1/bank-accounts${q}`, { key: firm.key });
  expect(r.status).toBe(200);
  return r.body as {
    items: Array<{ id: string; connectionId: string; link: { state: string } | null }>;
    total: number;
  };
};

test.each(['valid', 'expired', 'used'] as const)(
  'link=%s lists the accounts whose latest link is so',
  async (state) => {
    const all = await listed('?limit=200');
    const latest = await latestLinksOracle(
      api.prisma,
      all.items.map((a) => a.connectionId),
    );
    const expected = all.items.filter((a) => latest.get(a.connectionId)?.state === state).map((a) => a.id);
    const found = await listed(`?link=${state}&limit=200`);
    expect(found.items.map((a) => a.id).sort()).toEqual(expected.sort());
    expect(found.total).toBe(expected.length);
    expect(found.items.every((a) => a.link?.state === state)).toBe(true);
  },
);

test('the cases the filters tell apart', async () => {
  const names = async (q: string) => (await listed(q)).items.map((a) => labels.get(a.id)).sort();
  expect(await names('?link=valid')).toEqual(['valid', 'valid after an expired one']);
  expect(await names('?link=expired')).toEqual(['expired', 'revoked']);
  expect(await names('?link=used')).toEqual(['replaced by a used one', 'used']);
});

test('the export shows each account’s latest link state, as the list does', async () => {
  const csv = await call(api, 'GET', '/api/v1/bank-accounts/export?format=csv', { key: firm.key });
  expect(csv.status).toBe(200);
  const [header, ...lines] = csv.buffer
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trim()
    .split('\r\n');
  const cols = header!.split(';');
  const name = cols.indexOf('Raison sociale');
  const link = cols.indexOf('État jeton');
  const shown = Object.fromEntries(lines.map((l) => l.split(';')).map((c) => [c[name], c[link]]));
  expect(shown).toEqual({
    valid: 'Valide',
    'replaced by a used one': 'Utilisé',
    'valid after an expired one': 'Valide',
    expired: 'Expiré',
    revoked: 'Expiré',
    used: 'Utilisé',
    'no link': '',
  });
});

test('the database writes the link’s portal account, whatever the writer sends, and moves it with its company', async () => {
  const p = api.prisma;
  const other = await createTenant(p, { name: 'Cabinet Voisin' });
  const c = await createCompanyWithAccounts(p, firm, { siren: siren(990), name: 'moved', accounts: 1 });
  const portalOf = async (id: string) => (await p.link.findUniqueOrThrow({ where: { id } })).portalAccountId;
  // Named another firm's by the writer, on insert and on update: overruled; named none (a raw
  // insert, as the import's bulk one): its company's.
  const named = await p.link.create({
    data: {
      companyId: c.company.id,
      portalAccountId: other.accountId,
      connectionId: c.connection.id,
      kind: 'UPDATE_CREDENTIALS',
      recipient: 'compta@example.test',
      secretHash: 'hash-moved-1',
      createdAt: new Date(Date.now() - 2 * HOUR),
      expiresAt: new Date(Date.now() + 70 * HOUR),
    },
  });
  expect(named.portalAccountId).toBe(firm.accountId);
  await p.$executeRaw`UPDATE "Link" SET "portalAccountId" = ${other.accountId}::uuid WHERE id = ${named.id}::uuid`;
  expect(await portalOf(named.id)).toBe(firm.accountId);
  const [raw] = await p.$queryRaw<Array<{ id: string }>>`
    INSERT INTO "Link" (id, "companyId", "connectionId", kind, recipient, "secretHash", "createdAt", "expiresAt")
    VALUES (gen_random_uuid(), ${c.company.id}::uuid, ${c.connection.id}::uuid, 'UPDATE_CREDENTIALS',
            'compta@example.test', 'hash-moved-2', now() - interval '1 hour', now() + interval '71 hours')
    RETURNING id::text`;
  expect(await portalOf(raw!.id)).toBe(firm.accountId);
  const validOf = async (t: Tenant) =>
    (await call(api, 'GET', '/api/v1/bank-accounts?link=valid&limit=200', { key: t.key })).body.items.map(
      (i: { id: string }) => i.id,
    );
  expect(await validOf(firm)).toContain(c.accounts[0]!.id);

  // The company moves to the other firm: its links follow, and its account is listed there.
  await p.company.update({ where: { id: c.company.id }, data: { portalAccountId: other.accountId } });
  expect([await portalOf(named.id), await portalOf(raw!.id)]).toEqual([other.accountId, other.accountId]);
  expect(await validOf(other)).toEqual([c.accounts[0]!.id]);
  expect(await validOf(firm)).not.toContain(c.accounts[0]!.id);
});
