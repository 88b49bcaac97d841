/**
 * Demo data for `npm start`: a primary portal account with one secondary, a user with every right,
 * an API key, a bank in the referential, a few companies, and an unrelated portal account with its
 * own API key (to try tenant isolation). Idempotent: fixed ids and upserts; the API keys and the
 * password are derived from SESSION_SECRET (HMAC), so every start prints the same credentials and
 * only their hashes are stored. Development and tests only: with NODE_ENV=production it refuses to
 * run (credentials derived from a secret are not for a real deployment).
 */
import { createHmac } from 'node:crypto';
import { deriveApiKey, hashPassword, verifyPassword } from '../api/auth';
import type { Config } from '../lib/config';
import { createPrismaClient, type Db } from '../db/client';

const ID = {
  primary: '5eed0000-0000-4000-8000-000000000001',
  secondary: '5eed0000-0000-4000-8000-000000000002',
  other: '5eed0000-0000-4000-8000-000000000003',
  bank: '5eed0000-0000-4000-8000-000000000010',
};

const LOGIN = 'demo';

export async function seedDemo(
  databaseUrl: string,
  config: Config,
): Promise<{ apiKey: string; otherApiKey: string; login: string; password: string; portalAccountId: string }> {
  if (config.NODE_ENV === 'production')
    throw new Error('seedDemo: demo accounts, API keys and passwords are never created with NODE_ENV=production');
  const prisma = createPrismaClient(databaseUrl, { max: 2 });
  try {
    const apiKey = deriveApiKey(config.SESSION_SECRET, 'demo-primary');
    const otherApiKey = deriveApiKey(config.SESSION_SECRET, 'demo-other');
    const password = `demo-${createHmac('sha256', config.SESSION_SECRET).update('demo-password').digest('base64url').slice(0, 10)}`;

    await upsertAccount(prisma, {
      id: ID.primary,
      kind: 'PRIMARY',
      parentId: null,
      rootId: ID.primary,
      name: 'Cabinet Démo Expertise',
      siren: '732829320',
      contactEmail: 'contact@cabinet-demo.test',
      contactPhone: '0102030405',
    });
    await upsertAccount(prisma, {
      id: ID.secondary,
      kind: 'SECONDARY',
      parentId: ID.primary,
      rootId: ID.primary,
      name: 'Cabinet Démo — Agence de Lyon',
      siren: '732829320',
      contactEmail: 'lyon@cabinet-demo.test',
      contactPhone: '0472000000',
    });
    await upsertAccount(prisma, {
      id: ID.other,
      kind: 'PRIMARY',
      parentId: null,
      rootId: ID.other,
      name: 'Autre Cabinet (isolation)',
      siren: '542107651',
      contactEmail: 'contact@autre-cabinet.test',
      contactPhone: null,
    });

    for (const [accountId, key, name] of [
      [ID.primary, apiKey, 'Démo'],
      [ID.other, otherApiKey, 'Démo (autre cabinet)'],
    ] as const) {
      await prisma.apiKey.upsert({
        where: { keyHash: key.keyHash },
        create: { portalAccountId: accountId, name, prefix: key.prefix, keyHash: key.keyHash },
        update: { revokedAt: null },
      });
    }

    const user = await prisma.user.findUnique({ where: { login: LOGIN } });
    if (!user) {
      await prisma.user.create({
        data: {
          portalAccountId: ID.primary,
          login: LOGIN,
          passwordHash: await hashPassword(password),
          displayName: 'Utilisateur Démo',
          email: 'demo@cabinet-demo.test',
          rights: ['CONFIGURE_BANKS', 'MANAGE_COMPANIES', 'VIEW_STATEMENTS', 'ADMIN'],
        },
      });
    } else if (!(await verifyPassword(password, user.passwordHash))) {
      // SESSION_SECRET changed since the last start: the derived password changed too.
      await prisma.user.update({
        where: { id: user.id },
        data: { passwordHash: await hashPassword(password), active: true },
      });
    }

    await prisma.bank.upsert({
      where: { portalAccountId_name: { portalAccountId: ID.primary, name: 'Connecteur de test' } },
      create: { id: ID.bank, portalAccountId: ID.primary, name: 'Connecteur de test', powensConnectorId: 59 },
      update: {},
    });

    const companies = [
      {
        account: ID.primary,
        siren: '404833048',
        nic: '00022',
        name: 'TEST PRM2',
        email: 'prm2@redevable.test',
        kind: 'WEEKLY' as const,
        day: 2,
        month: null,
      },
      {
        account: ID.primary,
        siren: '079555439',
        nic: '00029',
        name: 'REDEVABLE TEST',
        email: 'redevable@redevable.test',
        kind: 'MONTHLY' as const,
        day: 0,
        month: null,
      },
      {
        account: ID.primary,
        siren: '404733040',
        nic: '00228',
        name: 'test PRM3',
        email: 'prm3@redevable.test',
        kind: 'DAILY' as const,
        day: null,
        month: null,
      },
      {
        account: ID.secondary,
        siren: '657845426',
        nic: '00011',
        name: 'Test PRM4 (Lyon)',
        email: 'prm4@redevable.test',
        kind: 'QUARTERLY' as const,
        day: 0,
        month: 1,
      },
      {
        account: ID.other,
        siren: '405733049',
        nic: '00226',
        name: 'Société de l’autre cabinet',
        email: 'autre@redevable.test',
        kind: 'MONTHLY' as const,
        day: 5,
        month: null,
      },
    ];
    for (const c of companies) {
      const rootAccountId = c.account === ID.other ? ID.other : ID.primary;
      await prisma.company.upsert({
        where: { rootAccountId_siren: { rootAccountId, siren: c.siren } },
        create: {
          portalAccountId: c.account,
          rootAccountId,
          siren: c.siren,
          nic: c.nic,
          name: c.name,
          email: c.email,
          periodicityKind: c.kind,
          periodicityDay: c.day,
          periodicityMonth: c.month,
        },
        update: {},
      });
    }
    return { apiKey: apiKey.key, otherApiKey: otherApiKey.key, login: LOGIN, password, portalAccountId: ID.primary };
  } finally {
    await prisma.$disconnect();
  }
}

async function upsertAccount(
  prisma: Db,
  a: {
    id: string;
    kind: 'PRIMARY' | 'SECONDARY';
    parentId: string | null;
    rootId: string;
    name: string;
    siren: string;
    contactEmail: string;
    contactPhone: string | null;
  },
) {
  await prisma.portalAccount.upsert({ where: { id: a.id }, create: a, update: {} });
}
