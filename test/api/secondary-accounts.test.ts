/**
 * Secondary accounts (issue 20): a primary creates, edits, closes and reopens them; each secondary
 * logs in on its own and sees only its own companies, bank accounts and statements, never its
 * siblings' nor its primary's; the primary sees them with includeSecondary, each row naming its
 * account; SIREN uniqueness holds across the tree for every way of writing a company; a
 * statement follows the reception mode of the account that owns its company.
 */
import { enqueueStatementDelivery, outboxBodies } from '../../email';
import {
  call,
  createCompanyWithAccounts,
  createStatement,
  createTenant,
  siren,
  useApi,
  type CallResult,
  type Tenant,
} from './support';

const api = useApi({ rateLimits: { login: 1000 } });
let primary: Tenant;

beforeAll(async () => {
  primary = await createTenant(api.prisma, { name: 'Cabinet Principal' });
});

async function login(loginName: string, password: string) {
  const res = await call(api, 'POST', '/api/v1/auth/login', { body: { login: loginName, password } });
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  return { res, cookie, csrf: res.body?.csrfToken as string };
}

type Session = Awaited<ReturnType<typeof login>>;
const as = (s: Session, method: string, path: string, body?: unknown): Promise<CallResult> =>
  call(api, method, path, { headers: { cookie: s.cookie, 'x-csrf-token': s.csrf }, body });

const createSecondary = (body: Record<string, unknown>) =>
  call(api, 'POST', '/api/v1/accounts', { key: primary.key, body });

test('a primary creates a secondary with a password; the secondary logs in and sees only its own data', async () => {
  const r = await createSecondary({
    name: 'Bureau de Lyon',
    siren: siren(501),
    email: 'lyon@cabinet.test',
    login: 'bureau.lyon',
    password: 'un-mot-de-passe-solide',
  });
  expect(r.status).toBe(201);
  expect(r.body).toMatchObject({
    name: 'Bureau de Lyon',
    status: 'open',
    companyCount: 0,
    users: [{ login: 'bureau.lyon', state: 'active' }],
  });
  const sibling = await createSecondary({
    name: 'Bureau de Nantes',
    siren: siren(502),
    email: 'nantes@cabinet.test',
    login: 'bureau.nantes',
    password: 'un-autre-mot-de-passe',
  });
  expect(sibling.status).toBe(201);
  const lyon = { accountId: r.body.id as string, rootId: primary.rootId } as Tenant;
  const nantes = { accountId: sibling.body.id as string, rootId: primary.rootId } as Tenant;

  const own = await createCompanyWithAccounts(api.prisma, lyon, { name: 'Client de Lyon' });
  const theirs = await createCompanyWithAccounts(api.prisma, nantes, { name: 'Client de Nantes' });
  const parents = await createCompanyWithAccounts(api.prisma, primary, { name: 'Client du principal' });
  const ownStatement = await createStatement(api.prisma, own.accounts[0]!.id);
  const parentStatement = await createStatement(api.prisma, parents.accounts[0]!.id);

  const s = await login('bureau.lyon', 'un-mot-de-passe-solide');
  expect(s.res.status).toBe(200);
  expect(s.res.body.portalAccount).toMatchObject({ kind: 'SECONDARY', name: 'Bureau de Lyon' });
  expect(s.res.body.secondaryAccounts).toEqual([]);

  type Row = { id: string; name: string; company: { name: string } };
  const names = async (path: string, pick: (x: Row) => string) =>
    ((await as(s, 'GET', path)).body.items as Row[]).map(pick).sort();
  expect(await names('/api/v1/companies', (c) => c.name)).toEqual(['Client de Lyon']);
  expect(await names('/api/v1/bank-accounts', (a) => a.company.name)).toEqual(['Client de Lyon']);
  expect(await names('/api/v1/statements', (x) => x.id)).toEqual([ownStatement.id]);

  // Its siblings and its primary's own data do not exist for it, whatever it asks.
  for (const path of [
    `/api/v1/companies/${theirs.company.id}`,
    `/api/v1/companies/${parents.company.id}`,
    `/api/v1/bank-accounts/${parents.accounts[0]!.id}`,
    `/api/v1/statements/${parentStatement.id}`,
  ])
    expect((await as(s, 'GET', path)).status).toBe(404);
  expect((await as(s, 'GET', '/api/v1/companies?includeSecondary=true')).status).toBe(400);
  expect((await as(s, 'GET', '/api/v1/accounts')).status).toBe(403);

  // The primary sees everything with includeSecondary, each row naming its account.
  const all = await call(api, 'GET', '/api/v1/companies?includeSecondary=true', { key: primary.key });
  expect(
    (all.body.items as Array<{ name: string; portalAccountName: string }>)
      .map((c) => `${c.portalAccountName} / ${c.name}`)
      .sort(),
  ).toEqual([
    'Bureau de Lyon / Client de Lyon',
    'Bureau de Nantes / Client de Nantes',
    'Cabinet Principal / Client du principal',
  ]);
  const mine = await call(api, 'GET', '/api/v1/companies', { key: primary.key });
  expect((mine.body.items as Array<{ name: string }>).map((c) => c.name)).toEqual(['Client du principal']);
  const statements = await call(api, 'GET', '/api/v1/statements?includeSecondary=true', { key: primary.key });
  expect(
    (statements.body.items as Array<{ company: { portalAccountName: string } }>)
      .map((x) => x.company.portalAccountName)
      .sort(),
  ).toEqual(['Bureau de Lyon', 'Cabinet Principal']);
  const list = await call(api, 'GET', '/api/v1/accounts', { key: primary.key });
  expect(list.body.items.map((a: { name: string; companyCount: number }) => [a.name, a.companyCount])).toEqual([
    ['Bureau de Lyon', 1],
    ['Bureau de Nantes', 1],
  ]);
});

test('a secondary is edited, closed (sign-ins and sessions end) and reopened', async () => {
  const r = await createSecondary({
    name: 'Bureau de Lille',
    siren: siren(503),
    email: 'lille@cabinet.test',
    login: 'bureau.lille',
    password: 'mot-de-passe-de-lille',
  });
  const id = r.body.id as string;
  const s = await login('bureau.lille', 'mot-de-passe-de-lille');
  expect((await as(s, 'GET', '/api/v1/me')).status).toBe(200);

  const edited = await call(api, 'PATCH', `/api/v1/accounts/${id}`, {
    key: primary.key,
    body: { name: 'Bureau de Lille Centre', email: 'centre@cabinet.test' },
  });
  expect(edited.body).toMatchObject({ name: 'Bureau de Lille Centre', email: 'centre@cabinet.test' });
  const badSiret = await call(api, 'PATCH', `/api/v1/accounts/${id}`, { key: primary.key, body: { nic: '00000' } });
  expect(badSiret.status).toBe(400);

  const closed = await call(api, 'POST', `/api/v1/accounts/${id}/close`, { key: primary.key });
  expect(closed.body).toMatchObject({ status: 'closed' });
  expect((await as(s, 'GET', '/api/v1/me')).status).toBe(401);
  const refused = await login('bureau.lille', 'mot-de-passe-de-lille');
  expect(refused.res.status).toBe(401);
  expect(refused.res.body.detail).toContain('fermé par son compte principal');

  const reopened = await call(api, 'POST', `/api/v1/accounts/${id}/reopen`, { key: primary.key });
  expect(reopened.body).toMatchObject({ status: 'open', closedAt: null });
  expect((await login('bureau.lille', 'mot-de-passe-de-lille')).res.status).toBe(200);

  // The primary sets a new password: the old one stops working.
  await call(api, 'PATCH', `/api/v1/accounts/${id}`, { key: primary.key, body: { password: 'nouveau-mot-de-passe' } });
  expect((await login('bureau.lille', 'mot-de-passe-de-lille')).res.status).toBe(401);
  expect((await login('bureau.lille', 'nouveau-mot-de-passe')).res.status).toBe(200);
  // A secondary cannot manage accounts, and a login is unique.
  const dup = await createSecondary({
    name: 'Doublon',
    siren: siren(504),
    email: 'x@cabinet.test',
    login: 'bureau.lille',
    password: 'mot-de-passe-quelconque',
  });
  expect(dup.status).toBe(409);
});

test('an invitation e-mail carries a one-time link to choose the password', async () => {
  const r = await createSecondary({
    name: 'Bureau de Brest',
    siren: siren(505),
    email: 'brest@cabinet.test',
    login: 'bureau.brest',
    invite: true,
  });
  expect(r.status).toBe(201);
  expect(r.body.users[0]).toMatchObject({ state: 'invited' });
  const mail = await api.prisma.emailMessage.findFirstOrThrow({ where: { to: 'brest@cabinet.test' } });
  expect(mail.subject).toBe('Cabinet Principal vous ouvre un compte sur Relevés');
  expect(mail.textBody).toContain('Votre identifiant : bureau.brest');
  expect(mail.textBody).not.toMatch(/\/mot-de-passe\/(?!__RELEVES_LINK_SECRET__)/); // the secret is not stored
  const token = /\/mot-de-passe\/([\w-]+)/.exec(outboxBodies(mail, api.config.ENCRYPTION_KEY).text)![1]!;
  // No password yet: no sign-in.
  expect((await login('bureau.brest', '')).res.status).toBe(400);

  const info = await call(api, 'GET', `/api/v1/auth/password-setup/${token}`);
  expect(info.body).toMatchObject({ login: 'bureau.brest', accountName: 'Bureau de Brest' });
  const short = await call(api, 'POST', '/api/v1/auth/password-setup', { body: { token, password: 'court' } });
  expect(short.status).toBe(400);
  const set = await call(api, 'POST', '/api/v1/auth/password-setup', {
    body: { token, password: 'mon-mot-de-passe-choisi' },
  });
  expect(set.status).toBe(204);
  const again = await call(api, 'POST', '/api/v1/auth/password-setup', {
    body: { token, password: 'un-autre-mot-de-passe' },
  });
  expect(again.status).toBe(410);
  expect((await login('bureau.brest', 'mon-mot-de-passe-choisi')).res.status).toBe(200);
  const after = await call(api, 'GET', `/api/v1/accounts/${r.body.id as string}`, { key: primary.key });
  expect(after.body.users[0]).toMatchObject({ state: 'active' });
});

describe('SIREN uniqueness across the primary and all its secondaries', () => {
  let a: Tenant;
  let b: Tenant;
  const taken = siren(601);
  beforeAll(async () => {
    a = await createTenant(api.prisma, { name: 'Secondaire A', parent: primary });
    b = await createTenant(api.prisma, { name: 'Secondaire B', parent: primary });
    await call(api, 'POST', '/api/v1/companies', {
      key: a.key,
      body: { siren: taken, name: 'Chez A', email: 'a@x.test', periodicity: { kind: 'DAILY' } },
    });
  });

  test('form and API (POST): the sibling, the primary and the secondary itself are refused', async () => {
    for (const t of [a, b, primary]) {
      const r = await call(api, 'POST', '/api/v1/companies', {
        key: t.key,
        body: { siren: taken, name: 'Doublon', email: 'd@x.test', periodicity: { kind: 'DAILY' } },
      });
      expect(r.status).toBe(409);
      expect(r.body.errors).toEqual([{ field: 'siren', reason: 'déjà utilisé' }]);
    }
  });

  test('two simultaneous creations of one SIREN: one 201, one 409 (never a 500)', async () => {
    const s = siren(602);
    const rs = await Promise.all(
      [a, b].map((t) =>
        call(api, 'POST', '/api/v1/companies', {
          key: t.key,
          body: { siren: s, name: 'Course', email: 'c@x.test', periodicity: { kind: 'DAILY' } },
        }),
      ),
    );
    expect(rs.map((r) => r.status).sort()).toEqual([201, 409]);
  });

  test('edit (PATCH): changing a SIREN to a sibling’s is refused', async () => {
    const mine = await call(api, 'POST', '/api/v1/companies', {
      key: b.key,
      body: { siren: siren(603), name: 'Chez B', email: 'b@x.test', periodicity: { kind: 'DAILY' } },
    });
    const r = await call(api, 'PATCH', `/api/v1/companies/${mine.body.id as string}`, {
      key: b.key,
      body: { siren: taken },
    });
    expect(r.status).toBe(409);
    // Through the primary with includeSecondary, the same.
    const viaPrimary = await call(api, 'PATCH', `/api/v1/companies/${mine.body.id as string}?includeSecondary=true`, {
      key: primary.key,
      body: { siren: taken },
    });
    expect(viaPrimary.status).toBe(409);
  });

  test('import: a line with a SIREN of another account of the tree is a line error', async () => {
    const file = `SIREN;NIC;Raison sociale;Suite;Email;Périodicité;Mois;Jour;Saisie déportée\r\n${siren(604)};;Nouveau;;;MENSUELLE;;0;0\r\n${taken};;Doublon;;;MENSUELLE;;0;0\r\n`;
    const r = await call(api, 'POST', '/api/v1/companies/import', {
      key: primary.key,
      raw: file,
      headers: { 'content-type': 'text/csv' },
    });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([
      {
        line: 3,
        column: 1,
        field: 'siren',
        reason: 'un redevable de même SIREN existe déjà sur ce compte ou un compte rattaché',
      },
    ]);
  });

  test('another tree may hold the same SIREN', async () => {
    const other = await createTenant(api.prisma, { name: 'Autre arbre' });
    const r = await call(api, 'POST', '/api/v1/companies', {
      key: other.key,
      body: { siren: taken, name: 'Ailleurs', email: 'e@x.test', periodicity: { kind: 'DAILY' } },
    });
    expect(r.status).toBe(201);
  });
});

test('a statement follows the reception mode of the account that owns the company', async () => {
  const secondary = await createTenant(api.prisma, { name: 'Bureau Réception', parent: primary });
  await api.prisma.portalAccount.update({
    where: { id: secondary.accountId },
    data: { receptionMode: 'ACCOUNT_MAILBOX', contactEmail: 'releves@bureau.test' },
  });
  await api.prisma.portalAccount.update({ where: { id: primary.accountId }, data: { receptionMode: 'NONE' } });
  const { accounts } = await createCompanyWithAccounts(api.prisma, secondary);
  const statement = await createStatement(api.prisma, accounts[0]!.id);
  const outcome = await api.prisma.$transaction((tx) => enqueueStatementDelivery(tx, statement.id));
  expect(outcome).toBe('queued');
  const mail = await api.prisma.emailMessage.findUniqueOrThrow({
    where: { idempotencyKey: `statement/${statement.id}` },
  });
  expect(mail).toMatchObject({ to: 'releves@bureau.test', portalAccountId: secondary.accountId });
});
