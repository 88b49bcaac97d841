import { call, createCompanyWithAccounts, createTenant, siren, siretNic, luhn, useApi, type Tenant } from './support';

const api = useApi();
let primary: Tenant;
let secondary: Tenant;

beforeAll(async () => {
  primary = await createTenant(api.prisma, { name: 'Cabinet Principal' });
  secondary = await createTenant(api.prisma, { name: 'Cabinet Secondaire', parent: primary });
});

const valid = (over: Record<string, unknown> = {}) => ({
  siren: siren(501),
  name: 'ACME',
  email: 'compta@acme.test',
  periodicity: { kind: 'MONTHLY', day: 0 },
  ...over,
});

async function create(key: string, body: Record<string, unknown>) {
  return call(api, 'POST', '/api/v1/companies', { key, body });
}

function fields(res: { body: { errors?: Array<{ field: string; reason: string }> } }) {
  return (res.body.errors ?? []).map((e) => e.field);
}

describe('creation', () => {
  test('creates a company with SIRET, second name and periodicity, and audits it', async () => {
    const s = siren(502);
    const nic = siretNic(s);
    const r = await create(
      primary.key,
      valid({
        siren: s.slice(0, 3) + ' ' + s.slice(3),
        nic,
        name2: 'Suite',
        periodicity: { kind: 'QUARTERLY', month: 2, day: 15 },
        autoLinks: false,
      }),
    );
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      siren: s,
      nic,
      siret: s + nic,
      name: 'ACME',
      name2: 'Suite',
      periodicity: { kind: 'QUARTERLY', month: 2, day: 15 },
      autoLinks: false,
      active: true,
      portalAccountId: primary.accountId,
      collection: 'none',
    });
    const row = await api.prisma.company.findUniqueOrThrow({ where: { id: r.body.id } });
    expect(row.rootAccountId).toBe(primary.accountId);
    const audit = await api.prisma.auditEvent.findFirst({ where: { action: 'company.create', entityId: r.body.id } });
    expect(audit).toMatchObject({ actorType: 'API_KEY', portalAccountId: primary.accountId });
  });

  test('SIREN must be 9 digits with a valid Luhn key', async () => {
    const bad = siren(503).slice(0, 8) + ((Number(siren(503)[8]) + 1) % 10);
    expect(luhn(bad)).toBe(false);
    for (const value of ['12345678', '1234567890', 'ABCDEFGHI', bad]) {
      const r = await create(primary.key, valid({ siren: value }));
      expect(r.status).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(fields(r)).toEqual(['siren']);
      expect(r.body.errors[0].reason).toMatch(/SIREN invalide/);
    }
    expect((await create(primary.key, valid({ siren: undefined }))).body.errors[0].field).toBe('siren');
  });

  test('NIC must be 5 digits and give a Luhn-valid SIRET, La Poste excepted', async () => {
    const s = siren(504);
    const nic = siretNic(s);
    const wrongNic = String((Number(nic) + 1) % 100000).padStart(5, '0');
    for (const value of ['123', '123456', 'ABCDE', wrongNic]) {
      const r = await create(primary.key, valid({ siren: s, nic: value }));
      expect(r.status).toBe(400);
      expect(fields(r)).toEqual(['nic']);
    }
    // La Poste (SIREN 356000000): SIRETs whose digit sum is a multiple of 5, not Luhn-valid.
    const sum = (d: string) => [...d].reduce((a, c) => a + Number(c), 0);
    const nics = Array.from({ length: 200 }, (_, i) => String(i + 1).padStart(5, '0'));
    const poste = nics.find((n) => sum('356000000' + n) % 5 === 0 && !luhn('356000000' + n))!;
    const r = await create(primary.key, valid({ siren: '356000000', nic: poste, name: 'LA POSTE' }));
    expect(r.status).toBe(201);
    const notPoste = nics.find((n) => sum('356000000' + n) % 5 !== 0 && !luhn('356000000' + n))!;
    const refused = await create(primary.key, valid({ siren: '356000000', nic: notPoste, name: 'LA POSTE' }));
    expect(fields(refused)).toEqual(['nic']);
  });

  test('name (35), second name (35) and e-mail are checked, each field named', async () => {
    const r = await create(primary.key, valid({ name: 'x'.repeat(36), name2: 'y'.repeat(36), email: 'pas-un-email' }));
    expect(r.status).toBe(400);
    expect(fields(r).sort()).toEqual(['email', 'name', 'name2']);
    expect(r.body.detail).toBe('La requête contient des champs invalides.');
    const empty = await create(primary.key, valid({ name: '   ' }));
    expect(fields(empty)).toEqual(['name']);
    expect(fields(await create(primary.key, valid({ email: undefined })))).toEqual(['email']);
  });

  test.each([
    [{ kind: 'DAILY' }, null],
    [{ kind: 'DAILY', day: 3 }, 'periodicity.day'],
    [{ kind: 'WEEKLY', day: 1 }, null],
    [{ kind: 'WEEKLY', day: 7 }, null],
    [{ kind: 'WEEKLY', day: 0 }, 'periodicity.day'],
    [{ kind: 'WEEKLY', day: 8 }, 'periodicity.day'],
    [{ kind: 'WEEKLY' }, 'periodicity.day'],
    [{ kind: 'WEEKLY', day: 2, month: 1 }, 'periodicity.month'],
    [{ kind: 'MONTHLY', day: 0 }, null],
    [{ kind: 'MONTHLY', day: 28 }, null],
    [{ kind: 'MONTHLY', day: 29 }, 'periodicity.day'],
    [{ kind: 'MONTHLY', day: 1.5 }, 'periodicity.day'],
    [{ kind: 'QUARTERLY', month: 3, day: 0 }, null],
    [{ kind: 'QUARTERLY', month: 4, day: 1 }, 'periodicity.month'],
    [{ kind: 'QUARTERLY', day: 1 }, 'periodicity.month'],
    [{ kind: 'QUARTERLY', month: 1, day: 29 }, 'periodicity.day'],
    [{ kind: 'SEMIANNUAL', month: 6, day: 28 }, null],
    [{ kind: 'SEMIANNUAL', month: 7, day: 1 }, 'periodicity.month'],
    [{ kind: 'ANNUAL', month: 12, day: 31 }, null],
    [{ kind: 'ANNUAL', month: 2, day: 29 }, null],
    [{ kind: 'ANNUAL', month: 2, day: 30 }, 'periodicity.day'],
    [{ kind: 'ANNUAL', month: 4, day: 31 }, 'periodicity.day'],
    [{ kind: 'ANNUAL', month: 13, day: 1 }, 'periodicity.month'],
    [{ kind: 'ANNUAL', month: 6, day: 0 }, 'periodicity.day'],
    [{ kind: 'HOURLY' }, 'periodicity.kind'],
  ])('periodicity %j → %s', async (periodicity, field) => {
    const n = 600 + Math.floor(Math.random() * 100000);
    const r = await create(primary.key, valid({ siren: siren(n), periodicity }));
    if (field === null) expect(r.status).toBe(201);
    else {
      expect(r.status).toBe(400);
      expect(fields(r)).toContain(field);
      expect(r.body.errors.find((e: { field: string }) => e.field === field).reason).toMatch(/[a-zé]/);
    }
  });

  test('a SIREN is unique across a primary and its secondaries (409)', async () => {
    const s = siren(505);
    expect((await create(primary.key, valid({ siren: s }))).status).toBe(201);
    const again = await create(primary.key, valid({ siren: s }));
    expect(again.status).toBe(409);
    expect(fields(again)).toEqual(['siren']);
    const fromSecondary = await create(
      secondary.key,
      valid({ siren: s.slice(0, 3) + ' ' + s.slice(3, 6) + ' ' + s.slice(6) }),
    );
    expect(fromSecondary.status).toBe(409);
    // Another, unrelated account may have the same SIREN.
    const other = await createTenant(api.prisma);
    expect((await create(other.key, valid({ siren: s }))).status).toBe(201);
  });

  test('a malformed JSON body answers 400 in French', async () => {
    const r = await call(api, 'POST', '/api/v1/companies', {
      key: primary.key,
      raw: '{"siren":',
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(400);
    expect(r.body.detail).toBe("Le corps de la requête n'est pas un JSON valide.");
  });
});

describe('search, detail and changes', () => {
  let t: Tenant;
  let sec: Tenant;
  beforeAll(async () => {
    t = await createTenant(api.prisma, { name: 'Cabinet Recherche' });
    sec = await createTenant(api.prisma, { name: 'Secondaire Recherche', parent: t });
    await createCompanyWithAccounts(api.prisma, t, { siren: siren(701), name: 'Boulangerie Dupont', accounts: 2 });
    await createCompanyWithAccounts(api.prisma, t, { siren: siren(702), name: 'Garage Martin', state: 'wrongpass' });
    await createCompanyWithAccounts(api.prisma, t, { siren: siren(703), name: 'Pharmacie Durand', accounts: 0 });
    await createCompanyWithAccounts(api.prisma, sec, { siren: siren(704), name: 'Boulangerie de Lyon' });
  });

  const list = async (query: string, key = t.key) => call(api, 'GET', `/api/v1/companies${query}`, { key });
  const names = (r: { body: { items: Array<{ name: string }> } }) => r.body.items.map((i) => i.name);

  test('lists the own account only, sorted by name, with total/limit/offset', async () => {
    const r = await list('');
    expect(r.status).toBe(200);
    expect(names(r)).toEqual(['Boulangerie Dupont', 'Garage Martin', 'Pharmacie Durand']);
    expect(r.body).toMatchObject({ total: 3, limit: 50, offset: 0 });
    const page = await list('?limit=1&offset=1&sort=name&order=desc');
    expect(names(page)).toEqual(['Garage Martin']);
    expect(page.body.total).toBe(3);
  });

  test('filters: name (insensitive, partial), siret (SIREN, prefix, SIRET), iban, collection', async () => {
    expect(names(await list('?name=boulang'))).toEqual(['Boulangerie Dupont']);
    expect(names(await list(`?siret=${siren(702)}`))).toEqual(['Garage Martin']);
    expect(names(await list(`?siret=${siren(703).slice(0, 5)}`))).toContain('Pharmacie Durand');
    const acct = await api.prisma.bankAccount.findFirstOrThrow({ where: { company: { name: 'Boulangerie Dupont' } } });
    const part = acct.iban!.slice(4, 20);
    expect(names(await list(`?iban=${part.slice(0, 4)}%20${part.slice(4)}`))).toEqual(['Boulangerie Dupont']);
    expect(names(await list('?collection=error'))).toEqual(['Garage Martin']);
    expect(names(await list('?collection=success'))).toEqual(['Boulangerie Dupont', 'Pharmacie Durand']);
  });

  test('includeSecondary adds the secondaries’ companies for a primary; a secondary may not ask', async () => {
    const r = await list('?includeSecondary=true&name=boulangerie');
    expect(names(r)).toEqual(['Boulangerie de Lyon', 'Boulangerie Dupont'].sort());
    expect(r.body.items.find((i: { name: string }) => i.name === 'Boulangerie de Lyon').portalAccountName).toBe(
      'Secondaire Recherche',
    );
    const bySecondary = await list('?includeSecondary=true', sec.key);
    expect(bySecondary.status).toBe(400);
    expect(fields(bySecondary)).toEqual(['includeSecondary']);
    expect(names(await list('', sec.key))).toEqual(['Boulangerie de Lyon']);
  });

  test('invalid filters are refused with their names', async () => {
    const r = await list('?limit=0&offset=-1&sort=foo&collection=maybe&siret=12ab&includeInactive=oui');
    expect(r.status).toBe(400);
    expect(fields(r).sort()).toEqual(['collection', 'includeInactive', 'limit', 'offset', 'siret', 'sort']);
  });

  test('detail, modification (audited, SIREN uniqueness), deactivation and reactivation', async () => {
    const created = await createCompanyWithAccounts(api.prisma, t, {
      siren: siren(705),
      name: 'Menuiserie',
      accounts: 2,
    });
    const id = created.company.id;
    // One account deactivated on its own before: it stays deactivated after the company's reactivation.
    await api.prisma.bankAccount.update({
      where: { id: created.accounts[1]!.id },
      data: { active: false, deactivatedAt: new Date(Date.now() - 86_400_000) },
    });
    await api.prisma.bankAccount.update({
      where: { id: created.accounts[0]!.id },
      data: { collectedUntil: new Date('2026-10-31T00:00:00Z') },
    });

    const detail = await call(api, 'GET', `/api/v1/companies/${id}`, { key: t.key });
    expect(detail.status).toBe(200);
    expect(detail.body.accounts).toHaveLength(2);
    expect(detail.body.accounts[0]).toMatchObject({ companyId: id, connectionId: created.connection.id });

    const patched = await call(api, 'PATCH', `/api/v1/companies/${id}`, {
      key: t.key,
      body: { name: 'Menuiserie Leroy', periodicity: { kind: 'WEEKLY', day: 2 } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      name: 'Menuiserie Leroy',
      periodicity: { kind: 'WEEKLY', day: 2, month: null },
    });
    expect(await api.prisma.auditEvent.count({ where: { action: 'company.update', entityId: id } })).toBe(1);
    expect(
      (await call(api, 'PATCH', `/api/v1/companies/${id}`, { key: t.key, body: { siren: siren(701) } })).status,
    ).toBe(409);
    expect(
      fields(
        await call(api, 'PATCH', `/api/v1/companies/${id}`, {
          key: t.key,
          body: { periodicity: { kind: 'WEEKLY', day: 9 } },
        }),
      ),
    ).toEqual(['periodicity.day']);
    expect((await call(api, 'PATCH', `/api/v1/companies/${id}`, { key: t.key, body: {} })).status).toBe(400);

    const off = await call(api, 'POST', `/api/v1/companies/${id}/deactivate`, { key: t.key });
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    const accounts = await api.prisma.bankAccount.findMany({
      where: { companyId: id },
      orderBy: { powensAccountId: 'asc' },
    });
    expect(accounts.map((a) => a.active)).toEqual([false, false]);
    expect(await api.prisma.company.count({ where: { id } })).toBe(1); // nothing deleted
    expect(names(await list('?name=menuiserie'))).toEqual([]);
    expect(names(await list('?name=menuiserie&includeInactive=true'))).toEqual(['Menuiserie Leroy']);

    const on = await call(api, 'POST', `/api/v1/companies/${id}/reactivate`, { key: t.key });
    expect(on.status).toBe(200);
    expect(on.body.active).toBe(true);
    const after = await api.prisma.bankAccount.findMany({
      where: { companyId: id },
      orderBy: { powensAccountId: 'asc' },
    });
    expect(after.map((a) => a.active)).toEqual([true, false]);
    expect(after[0]!.collectedUntil?.toISOString().slice(0, 10)).toBe('2026-10-31'); // resumes from the last delivered date
    expect(
      await api.prisma.auditEvent.count({
        where: { entityId: id, action: { in: ['company.deactivate', 'company.reactivate'] } },
      }),
    ).toBe(2);
  });

  test('unknown or malformed ids answer 404 / 400', async () => {
    expect(
      (await call(api, 'GET', '/api/v1/companies/00000000-0000-4000-8000-000000000999', { key: t.key })).status,
    ).toBe(404);
    const bad = await call(api, 'GET', '/api/v1/companies/nope', { key: t.key });
    expect(bad.status).toBe(400);
    expect(fields(bad)).toEqual(['id']);
  });
});
