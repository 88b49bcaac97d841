/**
 * GET /powens/callback re-checks, when the company comes back from Powens' webview, what the link
 * page checked when it left: the link still valid (not used, replaced, revoked, expired, gone) and
 * its company still active. A refusal is a French page, and nothing is recorded: the state stays
 * unused, the link unused, no connection, no audit row, no e-mail.
 */
import { issueWebviewState } from '../../api/public/state';
import { hashLinkSecret } from '../../lib/link-secrets';
import { textOf } from '../web/support';
import { createTenant, useApi, type Tenant } from './support';

const api = useApi();
let t: Tenant;
let n = 0;

beforeAll(async () => {
  t = await createTenant(api.prisma);
});

/** A company, its add-accounts link and the webview state its consent issued. */
async function opened() {
  n++;
  const company = await api.prisma.company.create({
    data: {
      portalAccountId: t.accountId,
      rootAccountId: t.rootId,
      siren: `44306184${n % 10}`,
      name: `Société Rappel ${n}`,
      email: `rappel${n}@example.test`,
      periodicityKind: 'MONTHLY',
      periodicityDay: 0,
    },
  });
  const link = await api.prisma.link.create({
    data: {
      companyId: company.id,
      portalAccountId: company.portalAccountId,
      kind: 'ADD_ACCOUNTS',
      recipient: company.email!,
      secretHash: hashLinkSecret(`secret-${n}-${Date.now()}`),
      expiresAt: new Date(Date.now() + 3600_000),
    },
  });
  const state = await issueWebviewState(api.prisma, api.config.SESSION_SECRET, {
    flow: 'connect',
    companyId: company.id,
    linkId: link.id,
  });
  return { company, link, state, id: state.split('.')[0]! };
}

async function recorded(f: Awaited<ReturnType<typeof opened>>) {
  const [state, link, connections, audit, emails] = await Promise.all([
    api.prisma.webviewState.findUniqueOrThrow({ where: { id: f.id } }),
    api.prisma.link.findUnique({ where: { id: f.link.id } }),
    api.prisma.bankConnection.count({ where: { companyId: f.company.id } }),
    api.prisma.auditEvent.count({ where: { entityId: f.company.id } }),
    api.prisma.emailMessage.count({ where: { portalAccountId: t.accountId } }),
  ]);
  return { stateUsed: state.usedAt !== null, linkUsed: link?.usedAt ?? null, connections, audit, emails };
}

const callback = (state: string, extra = 'connection_id=4242&code=abc') =>
  fetch(`${api.baseUrl}/powens/callback?${extra}&state=${encodeURIComponent(state)}`).then(async (r) => ({
    status: r.status,
    text: textOf(await r.text()),
  }));

const nothing = { stateUsed: false, linkUsed: null, connections: 0, audit: 0, emails: 0 };

test('the firm deactivated the company while it was in the webview: 410 "Dossier désactivé", nothing recorded', async () => {
  const f = await opened();
  await api.prisma.company.update({ where: { id: f.company.id }, data: { active: false, deactivatedAt: new Date() } });
  for (const extra of ['connection_id=4242&code=abc', 'error=access_denied&error_description=x']) {
    const r = await callback(f.state, extra);
    expect(r.status).toBe(410);
    expect(r.text).toContain('Dossier désactivé');
    expect(r.text).toContain('a désactivé ce dossier : rien n’a été enregistré.');
  }
  expect(await recorded(f)).toEqual(nothing);
});

test('the link was replaced, revoked, used, or expired meanwhile, or is gone: 410, nothing recorded', async () => {
  const cases: Array<[string, (f: Awaited<ReturnType<typeof opened>>) => Promise<unknown>, string]> = [
    [
      'revoked',
      (f) => api.prisma.link.update({ where: { id: f.link.id }, data: { revokedAt: new Date() } }),
      'Lien déjà utilisé',
    ],
    [
      'used',
      (f) => api.prisma.link.update({ where: { id: f.link.id }, data: { usedAt: new Date() } }),
      'Lien déjà utilisé',
    ],
    [
      'expired',
      (f) => api.prisma.link.update({ where: { id: f.link.id }, data: { expiresAt: new Date(Date.now() - 1000) } }),
      'Lien expiré',
    ],
    ['gone', (f) => api.prisma.link.delete({ where: { id: f.link.id } }), 'Lien déjà utilisé'],
  ];
  for (const [name, change, title] of cases) {
    const f = await opened();
    await change(f);
    const before = await recorded(f);
    const r = await callback(f.state);
    expect({ name, status: r.status }).toEqual({ name, status: 410 });
    expect(r.text).toContain(title);
    expect(await recorded(f)).toEqual(before);
    expect(before.stateUsed).toBe(false);
  }
});

test('a valid link and an active company get past these checks (here to Powens, absent: 503, still nothing recorded)', async () => {
  const f = await opened();
  const r = await callback(f.state);
  expect(r.status).toBe(503);
  expect(await recorded(f)).toEqual(nothing);
});
