import iconv from 'iconv-lite';
import { call, createTenant, siren, siretNic, useApi, type Tenant } from './support';

const api = useApi();
let t: Tenant;

beforeAll(async () => {
  t = await createTenant(api.prisma, { name: 'Cabinet Import' });
});

const send = (body: Buffer | string, query = '', type = 'text/csv') =>
  call(api, 'POST', `/api/v1/companies/import${query}`, { key: t.key, raw: body, headers: { 'content-type': type } });

test('a valid UTF-8 file with a header creates every company in one go and sends links for field 9 = 1', async () => {
  const s1 = siren(1001);
  const s2 = siren(1002);
  const s3 = siren(1003);
  const file = [
    'SIREN;NIC;Raison sociale;Suite;Email;Périodicité;Mois;Jour;Saisie déportée',
    `${s1};${siretNic(s1)};Boulangerie Éclair;;eclair@redevable.test;HEBDOMADAIRE;;2;1`,
    `${s2};;Garage Müller;Atelier;;MENSUELLE;;0;0`,
    `${s3};;Société Annuelle;;annuelle@redevable.test;ANNUELLE;2;29;0`,
    '',
  ].join('\r\n');
  const dry = await send(file, '?dryRun=true');
  expect(dry.status).toBe(200);
  expect(dry.body).toMatchObject({ dryRun: true, encoding: 'utf-8', lines: 3, created: 0, errors: [] });
  expect(await api.prisma.company.count({ where: { portalAccountId: t.accountId } })).toBe(0);

  const r = await send(file);
  expect(r.status).toBe(201);
  expect(r.body).toMatchObject({ dryRun: false, lines: 3, created: 3, linksSent: 1 });
  const rows = await api.prisma.company.findMany({
    where: { portalAccountId: t.accountId },
    orderBy: { siren: 'asc' },
  });
  const byName = Object.fromEntries(rows.map((c) => [c.name, c]));
  expect(byName['Boulangerie Éclair']).toMatchObject({ periodicityKind: 'WEEKLY', periodicityDay: 2, autoLinks: true });
  expect(byName['Garage Müller']).toMatchObject({
    name2: 'Atelier',
    periodicityKind: 'MONTHLY',
    periodicityDay: 0,
    email: null,
    autoLinks: false,
  });
  expect(byName['Société Annuelle']).toMatchObject({
    periodicityKind: 'ANNUAL',
    periodicityMonth: 2,
    periodicityDay: 29,
  });
  const link = await api.prisma.link.findFirstOrThrow({ where: { companyId: byName['Boulangerie Éclair']!.id } });
  expect(link).toMatchObject({ kind: 'ADD_ACCOUNTS', recipient: 'eclair@redevable.test', usedAt: null });
  expect(link.expiresAt.getTime() - link.createdAt.getTime()).toBe(72 * 3600_000);
  const mail = await api.prisma.emailMessage.findUniqueOrThrow({ where: { idempotencyKey: `link:${link.id}` } });
  expect(mail.to).toBe('eclair@redevable.test');
  expect(mail.textBody).toContain('http://releves.test/l/');
  expect(await api.prisma.auditEvent.count({ where: { action: 'company.import', portalAccountId: t.accountId } })).toBe(
    3,
  );
});

test('a Windows-1252 file is detected and decoded', async () => {
  const s = siren(1004);
  const file = iconv.encode(`${s};;Crêperie Bretonne Éole;;;TRIMESTRIELLE;3;0;0\n`, 'win1252');
  expect(file.includes(Buffer.from('ê', 'utf8'))).toBe(false);
  const r = await send(file);
  expect(r.status).toBe(201);
  expect(r.body.encoding).toBe('windows-1252');
  const c = await api.prisma.company.findFirstOrThrow({ where: { portalAccountId: t.accountId, siren: s } });
  expect(c.name).toBe('Crêperie Bretonne Éole');
  expect(c).toMatchObject({ periodicityKind: 'QUARTERLY', periodicityMonth: 3, periodicityDay: 0 });
});

test('every bad line is reported with its number, field and reason, and nothing is written', async () => {
  const ok = siren(1010);
  const dup = siren(1011);
  const existing = siren(1001); // imported by the first test
  const lines = [
    `${ok};;Valide;;;JOURNALIERE;;;0`, // 1: valid
    `12345678A;;Mauvais SIREN;;;JOURNALIERE;;;0`, // 2
    `${siren(1012)};123;${'X'.repeat(36)};;pas-un-mail;HEBDOMADAIRE;;9;0`, // 3: nic, name, email, day
    `${siren(1013)};;Sans e-mail;;;MENSUELLE;;15;1`, // 4: email required with field 9 = 1
    `${siren(1014)};;Périodicité;;;HORAIRE;;;0`, // 5
    `${siren(1015)};;Mois manquant;;;SEMESTRIELLE;;1;0`, // 6
    `${siren(1016)};;Jour inattendu;;;JOURNALIERE;;3;2`, // 7: day, field 9
    `${dup};;Premier;;;MENSUELLE;;1;0`, // 8
    `${dup};;Doublon;;;MENSUELLE;;1;0`, // 9: duplicate in the file
    `${existing};;Déjà là;;;MENSUELLE;;1;0`, // 10: exists already
    `${siren(1017)};;Trop peu de champs`, // 11
    `${siren(1018)};;Annuelle;;;ANNUELLE;4;31;0`, // 12: 31 April
  ].join('\n');
  const before = await api.prisma.company.count();
  const r = await send(lines);
  expect(r.status).toBe(422);
  expect(r.headers.get('content-type')).toContain('application/problem+json');
  expect(r.body.detail).toBe('10 ligne(s) en erreur sur 12 : aucun redevable n’a été créé.');
  const got = r.body.errors.map((e: { line: number; field: string }) => `${e.line}:${e.field}`);
  expect(got).toEqual([
    '2:siren',
    '3:nic',
    '3:name',
    '3:email',
    '3:day',
    '4:email',
    '5:periodicity',
    '6:month',
    '7:day',
    '7:remoteCredentials',
    '9:siren',
    '10:siren',
    '11:(ligne)',
    '12:day',
  ]);
  const reason = (line: number, field: string) =>
    r.body.errors.find((e: { line: number; field: string }) => e.line === line && e.field === field).reason;
  expect(reason(4, 'email')).toMatch(/obligatoire/);
  expect(reason(9, 'siren')).toBe('SIREN déjà présent ligne 8 du fichier');
  expect(reason(10, 'siren')).toMatch(/existe déjà/);
  expect(r.body.errors.find((e: { line: number }) => e.line === 3).column).toBe(2);
  expect(await api.prisma.company.count()).toBe(before);
});

test('the wrong content type, an empty file and too many lines are refused', async () => {
  expect((await send('x', '', 'application/json')).status).toBe(400); // JSON parser: not a valid JSON body
  expect((await send('x', '', 'application/xml')).status).toBe(415);
  expect((await send('\n\n')).status).toBe(422);
  const many = Array.from({ length: 50_001 }, (_, i) => `${siren(20000 + i)};;Société ${i};;;JOURNALIERE;;;0`).join(
    '\n',
  );
  const r = await send(many, '?dryRun=true');
  expect(r.status).toBe(413);
  expect(r.body.detail).toMatch(/50000 lignes/);
});

test('50 000 lines are imported in one transaction', async () => {
  const big = await createTenant(api.prisma, { name: 'Gros cabinet' });
  const seen = new Set<string>();
  const rows: string[] = [];
  for (let i = 0; rows.length < 50_000; i++) {
    const s = siren(300000 + i);
    if (seen.has(s)) continue;
    seen.add(s);
    rows.push(`${s};;Société ${i};;;MENSUELLE;;0;0`);
  }
  const r = await call(api, 'POST', '/api/v1/companies/import', {
    key: big.key,
    raw: rows.join('\n'),
    headers: { 'content-type': 'text/csv' },
  });
  expect(r.status).toBe(201);
  expect(r.body.created).toBe(50_000);
  expect(await api.prisma.company.count({ where: { portalAccountId: big.accountId } })).toBe(50_000);
});
