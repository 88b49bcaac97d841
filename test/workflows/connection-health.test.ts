/**
 * The error → link path as it happens with the real Powens (issue 17): Powens syncs each connection
 * about every 24 h at its own hour and does not sync again a connection that waits for its user;
 * its CONNECTION_SYNCED webhooks are delivered, signed, by HTTP to our endpoint (the API runs in
 * the harness), and carry no sync id. Nights pass on the time-skipping server; the company uses
 * its link through our link page, Powens' webview and our callback. Nothing is handed to the
 * workflow that the real senders would not send.
 *
 * Rule under test (domain/connection-health.ts): at most one failed attempt counts per Paris day;
 * from the second day, one link to the company and one alert to the firm.
 */
import { outboxBodies } from '../../email';
import { powensInstant } from '../../integrations/powens';
import { addDays, collectionSlotOfNight, parisDate } from '../../domain/schedule';
import { ConsecutiveErrors, ErrorSince } from '../../workflows/search-attributes';
import { runScheduledCollectionSignal, statusQuery } from '../../workflows/messages';
import { settleWorkflow, START_DATES, useRunningHarness, type Harness, type TestConnection } from './support';

type Handle = Awaited<ReturnType<Harness['start']>>;
let h: Harness;
const DAY = 86_400_000;
const MINUTE = 60_000;

let current: Handle | undefined;
async function skipTo(ms: number) {
  const now = await h.env.currentTimeMs();
  if (ms > now) await h.env.sleep(ms - now);
  if (current) await settleWorkflow(current);
  await h.catchUp();
}
/** Powens delivers its pending webhooks to our endpoint; the workflow acts on them. */
async function deliverWebhooks() {
  const accepted = await h.deliverWebhooks();
  if (current) await settleWorkflow(current);
  return accepted;
}
/** The connection as Powens' API shows it to the company's token (next_try: its next background sync). */
async function powensConnection(c: TestConnection) {
  const r = await fetch(`${h.powens.baseUrl}/users/me/connections/${c.powensConnectionId}`, {
    headers: { authorization: `Bearer ${c.token}` },
  });
  expect(r.status).toBe(200);
  return (await r.json()) as { state: string | null; next_try: string | null; last_update: string | null };
}
/** The bank starts refusing the credentials; Powens' next background sync (at its own hour) fails. */
async function bankFailsAtNextPowensSync(c: TestConnection, state = 'wrongpass'): Promise<number> {
  const r = await h.powens.admin('POST', `/connections/${c.powensConnectionId}/state`, { state });
  expect(r.status).toBe(200);
  const nextTry = powensInstant((await powensConnection(c)).next_try)!.getTime();
  await skipTo(nextTry + MINUTE);
  expect((await powensConnection(c)).state).toBe(state);
  return nextTry;
}
/** Our nightly slots (domain/schedule) after `ms`, each on its own Paris day. */
function slotsAfter(c: TestConnection, ms: number, count: number): number[] {
  const out: number[] = [];
  for (let d = addDays(parisDate(ms), -1); out.length < count; d = addDays(d, 1)) {
    const slot = collectionSlotOfNight(c.id, d).getTime();
    if (slot > ms) out.push(slot);
  }
  return out;
}
/** The first slot after `ms` that falls on a later Paris day than `ms`. */
const firstSlotOnALaterDay = (c: TestConnection, ms: number) =>
  slotsAfter(c, ms, 3).find((slot) => parisDate(slot) > parisDate(ms))!;

const emailsOf = (c: TestConnection, kind?: string) =>
  h.prisma.emailMessage.findMany({
    where: { idempotencyKey: { contains: c.id }, ...(kind ? { kind } : {}) },
    orderBy: { createdAt: 'asc' },
  });
const linksOf = (c: TestConnection) => h.prisma.link.findMany({ where: { connectionId: c.id } });

async function healthy(opts: Parameters<Harness['makeConnection']>[0] = {}) {
  const c = await h.makeConnection(opts);
  const handle = await h.start(c);
  current = handle;
  await skipTo((await h.env.currentTimeMs()) + DAY);
  await deliverWebhooks(); // the first syncs' (fine) webhooks
  expect(await handle.query(statusQuery)).toMatchObject({ state: 'ok', consecutiveErrors: 0 });
  return { c, handle };
}

async function streakOf(handle: Handle) {
  const [status, d] = await Promise.all([handle.query(statusQuery), handle.describe()]);
  expect(d.typedSearchAttributes.get(ConsecutiveErrors)).toBe(status.consecutiveErrors);
  return status.consecutiveErrors;
}

describe.each([START_DATES[1], START_DATES[2]])('starting %s', (startAt) => {
  useRunningHarness({ startAt }, (x) => (h = x));

  test('(a) a wrongpass reported by a signed webhook: day 1 no link; day 2 one link and one firm alert; day 3 nothing more', async () => {
    const { c, handle } = await healthy();
    const failedAt = await bankFailsAtNextPowensSync(c);
    expect(await deliverWebhooks()).toBeGreaterThan(0); // CONNECTION_SYNCED, state wrongpass, by HTTP
    expect(await streakOf(handle)).toBe(1);
    expect(await handle.query(statusQuery)).toMatchObject({
      state: 'error',
      errorCode: 'wrongpass',
      pendingLink: null,
    });
    expect(await linksOf(c)).toHaveLength(0);
    expect(await emailsOf(c)).toHaveLength(0);
    const since = (await handle.describe()).typedSearchAttributes.get(ErrorSince);
    expect(since).toBeInstanceOf(Date);

    // Powens does not sync a connection waiting for its user: our next night on a later day reads it.
    const day2 = firstSlotOnALaterDay(c, failedAt);
    await skipTo(day2 + MINUTE);
    expect(await streakOf(handle)).toBe(2);
    const links = await linksOf(c);
    expect(links).toHaveLength(1);
    expect(links[0]!.expiresAt.getTime() - links[0]!.createdAt.getTime()).toBe(72 * 3_600_000);
    const companyMail = await emailsOf(c, 'link.update-credentials');
    expect(companyMail.map((m) => m.to)).toEqual(['gerant@boulangerie-martin.test']);
    const alert = await emailsOf(c, 'firm.connection-alert');
    expect(alert.map((m) => m.to)).toEqual(['contact@cabinet-dupont.test']);
    expect(alert[0]!.textBody).toMatch(/généré et transmis au redevable/);
    expect((await handle.query(statusQuery)).pendingLink?.linkId).toBe(links[0]!.id);
    expect((await handle.describe()).typedSearchAttributes.get(ErrorSince)).toEqual(since);

    // A third day: counted, but the link is still valid: nothing sent.
    const [day3] = slotsAfter(c, day2, 1);
    await skipTo(day3! + MINUTE);
    expect(await streakOf(handle)).toBe(3);
    expect(await linksOf(c)).toHaveLength(1);
    expect(await emailsOf(c)).toHaveLength(2);
    await h.retire(c);
  });

  test('(b) no webhook ever arrives: our nightly reads alone see the failure, one count a night, the link the 2nd night', async () => {
    const { c, handle } = await healthy();
    const failedAt = await bankFailsAtNextPowensSync(c, 'SCARequired');
    const [night1, night2, night3] = slotsAfter(c, failedAt, 3);
    await skipTo(night1! + MINUTE);
    expect(await streakOf(handle)).toBe(1);
    expect(await linksOf(c)).toHaveLength(0);
    await skipTo(night2! + MINUTE);
    expect(await streakOf(handle)).toBe(2);
    expect(await linksOf(c)).toHaveLength(1);
    expect(await emailsOf(c, 'firm.connection-alert')).toHaveLength(1);
    await skipTo(night3! + MINUTE);
    expect(await streakOf(handle)).toBe(3);
    expect(await linksOf(c)).toHaveLength(1);
    // Powens never re-synced the connection by itself while it waited for its user.
    expect((await powensConnection(c)).state).toBe('SCARequired');
    await h.retire(c);
  });

  test('(c) two failures the same Paris day count once (a webhook, then ops run the scheduled collection)', async () => {
    const { c, handle } = await healthy();
    await bankFailsAtNextPowensSync(c);
    await deliverWebhooks();
    expect(await streakOf(handle)).toBe(1);
    await handle.signal(runScheduledCollectionSignal);
    await settleWorkflow(handle);
    expect(await streakOf(handle)).toBe(1);
    const events = await h.prisma.bankAccountEvent.count({
      where: { bankAccount: { connectionId: c.id }, kind: 'CONNECTION_ERROR' },
    });
    expect(events).toBe(c.accounts.length); // one counted failure, one event per account
    expect(await linksOf(c)).toHaveLength(0);
    await h.retire(c);
  });

  test('(d) the user fixes it before the next night (a successful sync webhook): streak reset, no link, no e-mail', async () => {
    const { c, handle } = await healthy();
    const failedAt = await bankFailsAtNextPowensSync(c);
    await deliverWebhooks();
    expect(await streakOf(handle)).toBe(1);
    // The company fixes its credentials with Powens: Powens syncs successfully and says so.
    await h.powens.admin('POST', `/connections/${c.powensConnectionId}/state`, { state: null });
    await h.powens.admin('POST', `/connections/${c.powensConnectionId}/sync`, {});
    expect(await deliverWebhooks()).toBeGreaterThan(0);
    expect(await handle.query(statusQuery)).toMatchObject({ state: 'ok', consecutiveErrors: 0, errorCode: null });
    const [, night2] = slotsAfter(c, failedAt, 2);
    await skipTo(night2! + MINUTE);
    expect(await streakOf(handle)).toBe(0);
    expect(await linksOf(c)).toHaveLength(0);
    expect(await emailsOf(c)).toHaveLength(0);
    await h.retire(c);
  });

  test('(e) reconnection through the e-mailed link: one recovery e-mail to the firm, the link used, collection resumes', async () => {
    const { c, handle } = await healthy({ periodicity: { kind: 'DAILY', day: null, month: null } });
    const failedAt = await bankFailsAtNextPowensSync(c);
    await skipTo(slotsAfter(c, failedAt, 2)[1]! + MINUTE);
    expect(await streakOf(handle)).toBe(2);
    const [mail] = await emailsOf(c, 'link.update-credentials');
    // As the sender will send it: the stored body holds a placeholder for the secret.
    const url = /https?:\/\/\S+\/l\/[A-Za-z0-9_-]+/.exec(outboxBodies(mail!, h.config.ENCRYPTION_KEY).text)![0];
    expect(url.startsWith(h.apiUrl)).toBe(true);

    // The company opens the link page, consents, lands in Powens' webview and is sent back to us.
    const page = await fetch(url);
    expect(page.status).toBe(200);
    const html = await page.text();
    const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(html)!;
    const fields = new URLSearchParams();
    for (const m of form[2]!.matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) fields.set(m[1]!, m[2]!);
    const consent = await fetch(new URL(form[1]!.replace(/&amp;/g, '&'), url), {
      method: 'POST',
      body: fields,
      redirect: 'manual',
    });
    expect(consent.status).toBe(303);
    const webview = consent.headers.get('location')!;
    expect(webview.startsWith(h.powens.webviewUrl)).toBe(true);
    await h.powens.admin('POST', `/connections/${c.powensConnectionId}/state`, { state: null });
    const done = await h.powens.admin<{ redirect: string }>('POST', '/webview/complete', {
      url: webview,
      credentials: { password: '1234' },
    });
    expect(done.status).toBe(200);
    const back = await fetch(done.body.redirect);
    expect(back.status).toBe(200);
    expect(await back.text()).toContain('vos identifiants sont à jour');
    await settleWorkflow(handle);
    await deliverWebhooks(); // Powens' CONNECTION_SYNCED of the reconnection, fine
    expect(await handle.query(statusQuery)).toMatchObject({ state: 'ok', consecutiveErrors: 0, pendingLink: null });
    const recovery = await emailsOf(c, 'firm.credentials-updated');
    expect(recovery).toHaveLength(1);
    const [link] = await linksOf(c);
    expect(link!.usedAt).not.toBeNull();
    // The next nights: fine, still one recovery e-mail, the missed daily statements caught up.
    await skipTo((await h.env.currentTimeMs()) + 2 * DAY);
    expect(await emailsOf(c, 'firm.credentials-updated')).toHaveLength(1);
    const yesterday = addDays(parisDate(await h.env.currentTimeMs()), -1);
    const last = await h.prisma.statement.findFirst({
      where: { bankAccount: { connectionId: c.id }, state: 'SUCCESS' },
      orderBy: { periodEnd: 'desc' },
    });
    expect(last!.periodEnd.toISOString().slice(0, 10) >= addDays(yesterday, -1)).toBe(true);
    await h.retire(c);
  });

  test('(f) opt-out ("ne pas générer automatiquement le jeton"): no link ever; the firm alerted once, saying so', async () => {
    const { c, handle } = await healthy({ autoLinks: false });
    const failedAt = await bankFailsAtNextPowensSync(c, 'passwordExpired');
    const nights = slotsAfter(c, failedAt, 3);
    await skipTo(nights[2]! + MINUTE);
    expect(await streakOf(handle)).toBe(3);
    expect(await linksOf(c)).toHaveLength(0);
    expect(await emailsOf(c, 'link.update-credentials')).toHaveLength(0);
    const alerts = await emailsOf(c, 'firm.connection-alert');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.textBody).not.toMatch(/généré et transmis au redevable/);
    await h.retire(c);
  });
});
