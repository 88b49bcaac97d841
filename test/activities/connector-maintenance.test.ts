/**
 * The maintenance hook of the collect (issue 20): a connection in error whose bank's connector is in
 * maintenance in the catalogue says so, and the health rule then treats the failure as transient
 * (no streak, no link, no alert); the same error without maintenance counts as usual.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import type { CollectResult } from '../../activities/collect';
import { createConnectionActivities } from '../../activities/connection';
import { createMessages } from '../../email/connection-messages';
import type { PowensPort } from '../../integrations/powens/port';
import { HEALTHY, observe } from '../../domain/connection-health';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { createCompanyWithAccounts, createTenant } from '../api/support';
import { useTestDatabase } from '../support/db';

const db = useTestDatabase();

test('a failing connection of a bank in maintenance reports it, and is not alarmed', async () => {
  const config = loadConfig({ NODE_ENV: 'test', PUBLIC_BASE_URL: 'http://releves.test' });
  const firm = await createTenant(db.prisma, { name: 'Cabinet Maintenance' });
  const { company, connection } = await createCompanyWithAccounts(db.prisma, firm);
  await db.prisma.company.update({ where: { id: company.id }, data: { powensTokenEnc: 'chiffré' } });
  await db.prisma.bankConnection.update({ where: { id: connection.id }, data: { powensConnectorId: 61 } });
  // Powens answers wrongpass for this connection.
  const powens = {
    getConnection: async () => ({
      id: 1,
      state: 'wrongpass',
      errorMessage: 'Identifiant ou mot de passe incorrect.',
      lastUpdate: null,
    }),
  } as unknown as PowensPort;
  const activities = createConnectionActivities({
    config,
    prisma: db.prisma,
    sql: db.sql,
    logger: createLogger('t', 'silent'),
    powens,
    outbox: createMessages(config),
    decryptToken: () => 'jeton',
  });
  const collect = () =>
    new MockActivityEnvironment().run(activities.collect, connection.id, {
      forceSync: false,
      at: '2027-03-02T01:00:00.000Z',
    }) as Promise<CollectResult>;

  // Not in the catalogue, or not in maintenance: a plain failure.
  expect((await collect()).connectorMaintenance).toBeUndefined();
  await db.prisma.powensConnector.create({
    data: { uuid: 'neo', powensId: 61, name: 'Néobanque Démo', maintenance: true, syncedAt: new Date() },
  });
  const r = await collect();
  expect(r).toMatchObject({ state: 'wrongpass', connectorMaintenance: true });

  // What the workflow does with it: after a first counted day, the 2nd day is transient, no link.
  const day1 = observe(
    HEALTHY,
    { at: '2027-03-01T01:00:00.000Z', state: 'wrongpass' },
    { linkPending: false, autoLinks: true },
  );
  const day2 = observe(
    day1.health,
    {
      at: '2027-03-02T01:00:00.000Z',
      state: r.state,
      errorMessage: r.errorMessage,
      maintenance: r.connectorMaintenance,
    },
    { linkPending: false, autoLinks: true },
  );
  expect(day2.decision).toMatchObject({ outcome: 'transient', sendLink: false, alertFirm: false });

  await db.prisma.powensConnector.update({ where: { uuid: 'neo' }, data: { maintenance: false } });
  expect((await collect()).connectorMaintenance).toBeUndefined();
});
