/**
 * Secure links at rest: every way a link e-mail is queued (the portal API's add-accounts and
 * update-credentials links, the import's automatic links, the workflow's link after a confirmed
 * connection error) stores bodies with a placeholder and the secret only encrypted beside them;
 * the sender puts the secret into the message Postmark receives (the mail sink gets a working
 * link) and erases the encrypted copy once the message is sent or refused for good. Scanning every
 * column of every table finds no secret, before or after sending, and no log line carries one.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { createActivities } from '../../activities';
import { createEmailActivities, LINK_SECRET_PLACEHOLDER, outboxBodies } from '../../email';
import type { SqlPool } from '../../db/sql';
import { call, createCompanyWithAccounts, createTenant, listenApp, siren, useApi, type Tenant } from '../api/support';
import { useSink } from './support';

const api = useApi();
const sink = useSink();
let t: Tenant;

/** Everything the activities log, as text. */
let logged = '';
const logger = pino(
  { level: 'trace' },
  new Writable({
    write(chunk: Buffer, _enc, done) {
      logged += chunk.toString();
      done();
    },
  }),
);

beforeAll(async () => {
  t = await createTenant(api.prisma, { name: 'Cabinet Liens' });
});

/** Where a string occurs in the database: every column of every table of every schema. */
async function findInDatabase(sql: SqlPool, needle: string): Promise<string[]> {
  const { rows: columns } = await sql.query<{ s: string; t: string; c: string; type: string }>(
    `SELECT c.table_schema::text AS s, c.table_name::text AS t, c.column_name::text AS c, c.data_type::text AS type
     FROM information_schema.columns c JOIN information_schema.tables tb
       ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name AND tb.table_type = 'BASE TABLE'
     WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema')`,
  );
  expect(columns.length).toBeGreaterThan(50);
  const found: string[] = [];
  for (const col of columns) {
    const ref = `"${col.s}"."${col.t}"`;
    const test =
      col.type === 'bytea' ? `position(convert_to($1, 'UTF8') in "${col.c}") > 0` : `strpos("${col.c}"::text, $1) > 0`;
    const { rows } = await sql.query<{ n: string }>(`SELECT count(*) AS n FROM ${ref} WHERE ${test}`, [needle]);
    if (Number(rows[0]!.n) > 0) found.push(`${col.s}.${col.t}.${col.c}`);
  }
  return found;
}

const SECRET_IN_URL = /https?:\/\/[^\s"<]+\/l\/([A-Za-z0-9_-]{43})/;

test('no stored row rebuilds a link, before or after sending; the sink receives working links; nothing logged', async () => {
  // 1. Every way a link e-mail is queued.
  const { company, connection } = await createCompanyWithAccounts(api.prisma, t, { accounts: 1 });
  expect((await call(api, 'POST', `/api/v1/companies/${company.id}/links`, { key: t.key, body: {} })).status).toBe(201);
  expect((await call(api, 'POST', `/api/v1/connections/${connection.id}/links`, { key: t.key, body: {} })).status).toBe(
    201,
  );
  const s1 = siren(7301);
  const imported = await call(api, 'POST', '/api/v1/companies/import', {
    key: t.key,
    raw: `${s1};;Import Lien;;import-lien@redevable.test;MENSUELLE;;0;1\r\n`,
    headers: { 'content-type': 'text/csv' },
  });
  expect(imported.body).toMatchObject({ created: 1, linksSent: 1 });
  const failing = await createCompanyWithAccounts(api.prisma, t, { accounts: 1, state: 'wrongpass' });
  const activities = createActivities({ config: sink.config, prisma: api.prisma, sql: api.sql, logger });
  const notified = await activities.notifyConnectionError(failing.connection.id, {
    state: 'wrongpass',
    errorMessage: 'Mot de passe incorrect',
    consecutiveErrors: 2,
    day: '2026-12-05',
    at: new Date().toISOString(),
    sendLink: true,
  });
  expect(notified.linkSent).toBe(true);

  const queued = await api.prisma.emailMessage.findMany({
    where: { OR: [{ kind: { startsWith: 'link.' } }, { kind: 'company.connection-request' }] },
    orderBy: { createdAt: 'asc' },
  });
  expect(queued.map((m) => m.kind).sort()).toEqual([
    'link.add-accounts',
    'link.add-accounts',
    'link.update-credentials',
    'link.update-credentials',
  ]);
  // The secrets as the sender will put them in: only reachable with ENCRYPTION_KEY.
  const secrets = queued.map((m) => {
    expect(m.textBody).toContain(`/l/${LINK_SECRET_PLACEHOLDER}`);
    expect(m.htmlBody).toContain(`/l/${LINK_SECRET_PLACEHOLDER}`);
    expect(m.secretsEnc).toMatch(/^v1:/);
    return SECRET_IN_URL.exec(outboxBodies(m, api.config.ENCRYPTION_KEY).text)![1]!;
  });
  expect(new Set(secrets).size).toBe(4);
  // The scan finds what is stored (here the company's address).
  expect(await findInDatabase(api.sql, company.email!)).toContain('public.Company.email');
  for (const secret of secrets) expect(await findInDatabase(api.sql, secret)).toEqual([]);

  // 2. Sent: Postmark (the sink) gets the real links, the encrypted copies are erased.
  const email = createEmailActivities({ config: sink.config, prisma: api.prisma, sql: api.sql, logger });
  expect((await email.sendPendingEmails()).sent).toBeGreaterThanOrEqual(4);
  const sent = await api.prisma.emailMessage.findMany({ where: { id: { in: queued.map((m) => m.id) } } });
  expect(sent.map((m) => [m.status, m.secretsEnc])).toEqual(sent.map(() => ['SENT', null]));
  for (const [i, m] of queued.entries()) {
    const received = (await sink.messages(m.to)).find((x) => x.metadata.releves_key === m.idempotencyKey);
    const secret = secrets[i]!;
    expect(received!.text).toContain(`http://releves.test/l/${secret}`);
    expect(received!.html).toContain(`http://releves.test/l/${secret}`);
    expect(received!.text).not.toContain(LINK_SECRET_PLACEHOLDER);
    // The link works: the company's consent page.
    const page = await fetch(`${api.baseUrl}/l/${secret}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('J’autorise la transmission des opérations de mes comptes bancaires');
    expect(await findInDatabase(api.sql, secret)).toEqual([]);
    expect(logged).not.toContain(secret);
  }
});

test('the encrypted secret is kept while a message is retried and erased once it fails for good', async () => {
  await sink.reset();
  const { company } = await createCompanyWithAccounts(api.prisma, t, { accounts: 0 });
  const r = await call(api, 'POST', `/api/v1/companies/${company.id}/links`, { key: t.key, body: {} });
  const id = (await api.prisma.emailMessage.findUniqueOrThrow({ where: { idempotencyKey: `link:${r.body.id}` } })).id;
  const email = createEmailActivities({ config: sink.config, prisma: api.prisma, sql: api.sql, logger });

  await sink.faults({ failNext: 1, status: 500 });
  await email.sendPendingEmails();
  const retried = await api.prisma.emailMessage.findUniqueOrThrow({ where: { id } });
  expect(retried.status).toBe('QUEUED');
  expect(retried.secretsEnc).toMatch(/^v1:/);

  await api.prisma.emailMessage.update({ where: { id }, data: { nextAttemptAt: null } });
  await sink.faults({ failNext: 2, status: 422 });
  await email.sendPendingEmails();
  expect(await api.prisma.emailMessage.findUniqueOrThrow({ where: { id } })).toMatchObject({
    status: 'FAILED',
    secretsEnc: null,
  });
});

test('a secret sealed with another ENCRYPTION_KEY is never sent with its placeholder: FAILED with the reason', async () => {
  await sink.reset();
  const { company } = await createCompanyWithAccounts(api.prisma, t, { accounts: 0 });
  const r = await call(api, 'POST', `/api/v1/companies/${company.id}/links`, { key: t.key, body: {} });
  const id = (await api.prisma.emailMessage.findUniqueOrThrow({ where: { idempotencyKey: `link:${r.body.id}` } })).id;
  const rotated = { ...sink.config, ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64') };
  await createEmailActivities({ config: rotated, prisma: api.prisma, sql: api.sql, logger }).sendPendingEmails();
  expect(await api.prisma.emailMessage.findUniqueOrThrow({ where: { id } })).toMatchObject({
    status: 'FAILED',
    secretsEnc: null,
    lastError: expect.stringContaining('lien sécurisé illisible'),
  });
  expect(await sink.messages(company.email!)).toEqual([]);
});

test('a link page that fails unexpectedly logs its path without the secret', async () => {
  const secret = 'S'.repeat(43);
  // The database failing under the link page.
  const prisma = new Proxy(api.prisma, {
    get: (target, prop, receiver) =>
      prop === 'link'
        ? {
            findUnique: () => {
              throw new Error('database unreachable');
            },
          }
        : (Reflect.get(target, prop, receiver) as unknown),
  });
  const failing = await listenApp({ prisma, temporal: api.temporal }, { config: api.config, logger });
  try {
    logged = '';
    const r = await fetch(`${failing.baseUrl}/l/${secret}`);
    expect(r.status).toBe(500);
    expect(logged).toContain('"path":"/l/<secret>"');
    expect(logged).toContain('database unreachable');
    expect(logged).not.toContain(secret);
  } finally {
    await failing.close();
  }
});
