/**
 * The error path on the running system (the Temporal dev server, the real worker, the API, the
 * Powens sandbox, the mail sink), driven only as production is: the sandbox's admin API plays the
 * bank and Powens (a background sync that fails, then one that succeeds), its signed
 * CONNECTION_SYNCED webhooks reach our real endpoint, and ops use the `runScheduledCollection`
 * signal and the README's visibility query. The dev server runs on real time, so a second Paris
 * day cannot pass here: what the second day does (the link, the firm's alert, one recovery
 * e-mail) is proven on the time-skipping server (test/workflows/connection-health.test.ts); here,
 * the first day: counted once, nobody alarmed, found by ops, reset by a successful sync.
 */
import type { temporal } from '@temporalio/proto';
import { collectionsOf } from '../../bench/history';
import { parisDate } from '../../domain/schedule';
import { connectionWorkflowId, runScheduledCollectionSignal, statusQuery } from '../../workflows/messages';
import { call, createTenant, siren } from '../api/support';
import { eventually, useE2EStack } from './stack';

const s = useE2EStack('connection-errors');
const api = () => ({ baseUrl: s.baseUrl }) as Parameters<typeof call>[0];
/** Collections the workflow has run or scheduled so far: activity tasks, or local activities (the night's). */
async function collects(handle: {
  fetchHistory(): Promise<{ events?: temporal.api.history.v1.IHistoryEvent[] | null }>;
}) {
  return collectionsOf((await handle.fetchHistory()).events ?? []).length;
}

/** The company connects its checking account through the link it was e-mailed. */
async function connectedCompany() {
  const firm = await createTenant(s.prisma, { name: 'Cabinet Morel' });
  const created = await call(api(), 'POST', '/api/v1/companies', {
    key: firm.key,
    body: {
      siren: siren(4242),
      name: 'Menuiserie Roux',
      email: 'gerant@menuiserie-roux.test',
      periodicity: { kind: 'DAILY' },
    },
  });
  expect(created.status).toBe(201);
  const companyId = (created.body as { id: string }).id;
  const link = await call(api(), 'POST', `/api/v1/companies/${companyId}/links`, {
    key: firm.key,
    body: {},
  });
  expect(link.status).toBe(201);
  const mail = await eventually('the link e-mail', async () => (await s.mails('gerant@menuiserie-roux.test'))[0]);
  const url = /(https?:\/\/\S+\/l\/[\w-]+)/.exec(mail.text)![1]!;
  const consent = await fetch(url, {
    method: 'POST',
    body: new URLSearchParams({ consent: 'yes' }),
    redirect: 'manual',
  });
  expect(consent.status).toBe(303);
  const done = await s.admin<{ redirect: string }>('POST', '/webview/complete', {
    url: consent.headers.get('location'),
    accounts: ['checking_eur'],
  });
  expect(done.status).toBe(200);
  expect((await fetch(done.body.redirect)).status).toBe(200);
  const connection = await s.prisma.bankConnection.findFirstOrThrow({ where: { companyId } });
  const handle = s.temporal.workflow.getHandle(connectionWorkflowId(connection.id));
  await eventually('the workflow running', async () =>
    (await handle.query(statusQuery).catch(() => null))?.active ? true : undefined,
  );
  return { firm, connection, handle };
}

/** Powens delivers its pending webhooks to our endpoint. */
async function flushWebhooks() {
  const r = await s.admin<Array<{ status: number | null }>>('POST', '/webhooks/flush', { force: true });
  expect(r.status).toBe(200);
}

test('a wrongpass reported by Powens’ webhook: day 1 counted once, no link, no alert; ops find it; a successful sync resets it', async () => {
  const { firm, connection, handle } = await connectedCompany();
  const day = parisDate(Date.now());
  const mailsBefore = (await s.mails('gerant@menuiserie-roux.test')).length;

  // The bank refuses the credentials at Powens' next background sync; Powens says so by webhook.
  await s.admin('POST', `/connections/${connection.powensConnectionId}/state`, { state: 'wrongpass' });
  await s.admin('POST', `/connections/${connection.powensConnectionId}/sync`, {});
  await flushWebhooks();
  const status = await eventually('the failure counted', async () => {
    const st = await handle.query(statusQuery);
    return st.consecutiveErrors > 0 ? st : undefined;
  });
  // (Were the Paris day to change during the test, that day would count too.)
  const days = parisDate(Date.now()) === day ? 1 : 2;
  expect(status).toMatchObject({ consecutiveErrors: days, errorCode: 'wrongpass' });
  if (days === 1) expect(status.pendingLink).toBeNull();

  // Ops run the night's collection now: a read of the same day's failure, not counted again.
  const before = await collects(handle);
  await handle.signal(runScheduledCollectionSignal);
  await eventually('the scheduled collection ran', async () => {
    if ((await collects(handle)) <= before) return undefined;
    const d = await handle.describe();
    return (d.raw.pendingActivities?.length ?? 0) === 0 ? true : undefined;
  });
  if (parisDate(Date.now()) === day) expect((await handle.query(statusQuery)).consecutiveErrors).toBe(1);

  // The README's query finds it among the connections in their first day of errors.
  const found = await eventually('visibility', async () => {
    const ids: string[] = [];
    for await (const w of s.temporal.workflow.list({
      query: `ConsecutiveErrors = 1 AND ExecutionStatus = "Running"`,
    }))
      ids.push(w.workflowId);
    return ids.includes(handle.workflowId) ? ids : undefined;
  });
  expect(found).toContain(connectionWorkflowId(connection.id));
  // Nobody alarmed on the first day: no link, no e-mail to the company or the firm.
  expect(await s.prisma.link.count({ where: { connectionId: connection.id, kind: 'UPDATE_CREDENTIALS' } })).toBe(0);
  expect((await s.mails('gerant@menuiserie-roux.test')).length).toBe(mailsBefore);
  expect(
    await s.prisma.emailMessage.count({ where: { portalAccountId: firm.accountId, kind: 'firm.connection-alert' } }),
  ).toBe(0);

  // The company fixes it with its bank; Powens syncs successfully and says so: the streak resets.
  await s.admin('POST', `/connections/${connection.powensConnectionId}/state`, { state: null });
  await s.admin('POST', `/connections/${connection.powensConnectionId}/sync`, {});
  await flushWebhooks();
  await eventually('the connection fine again', async () =>
    (await handle.query(statusQuery)).consecutiveErrors === 0 ? true : undefined,
  );
  expect(await handle.query(statusQuery)).toMatchObject({ state: 'ok', errorCode: null, pendingLink: null });
  expect(
    await s.prisma.emailMessage.count({ where: { portalAccountId: firm.accountId, kind: 'firm.credentials-updated' } }),
  ).toBe(0);
});
