/**
 * PowensWebviews over the typed Powens client. Each company has one permanent Powens user, created
 * with POST /auth/init the first time it is needed; its token is stored encrypted at rest
 * (ENCRYPTION_KEY, integrations/powens/tokens.ts) and decrypted only for a call. Two concurrent
 * first calls for one company: one user wins (conditional update), the other is deleted at Powens.
 *
 * The connect webview offers only the account types of POWENS_WEBVIEW_ACCOUNT_TYPES (by default
 * those that can get a CFONB statement, lib/config-schema.ts CFONB_ACCOUNT_TYPES) and usages of
 * POWENS_WEBVIEW_ACCOUNT_USAGES; when the firm chose a bank of its referential, it opens on that
 * bank with `connector_uuids` (the connector's uuid, stable across Powens domains; a bank known only
 * by the deprecated integer id gets its uuid from GET /connectors/{id} once, then stored).
 */
import { createPowensClient, decryptToken, encryptToken, type PowensClient } from '../integrations/powens';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { Db } from '../db/client';
import type { PowensWebviews } from './powens';

export function createPowensClientFromConfig(config: Config, logger?: Logger): PowensClient {
  return createPowensClient({
    baseUrl: config.powensBaseUrl,
    webviewUrl: config.powensWebviewUrl,
    clientId: config.POWENS_CLIENT_ID,
    clientSecret: config.POWENS_CLIENT_SECRET,
    logger,
  });
}

export function createPowensWebviews(deps: {
  prisma: Db;
  config: Config;
  client: PowensClient;
  logger: Logger;
}): PowensWebviews & { userToken(companyId: string): Promise<string> } {
  const { prisma, config, client, logger } = deps;
  const key = config.ENCRYPTION_KEY;

  /** The company's permanent user token (created at Powens when missing). */
  async function userToken(companyId: string): Promise<string> {
    const company = await prisma.company.findUniqueOrThrow({
      where: { id: companyId },
      select: { powensTokenEnc: true },
    });
    if (company.powensTokenEnc) return decryptToken(company.powensTokenEnc, key);
    const user = await client.initUser();
    const won = await prisma.company.updateMany({
      where: { id: companyId, powensTokenEnc: null },
      data: { powensUserId: user.id_user, powensTokenEnc: encryptToken(user.auth_token, key) },
    });
    if (won.count === 1) {
      logger.info({ companyId, powensUserId: user.id_user }, 'Powens user created for the company');
      return user.auth_token;
    }
    // Another request created the company's user meanwhile: ours is removed, theirs is used.
    await client.deleteUser(user.auth_token).catch((err: unknown) => {
      logger.warn({ err, companyId, powensUserId: user.id_user }, 'could not delete a duplicate Powens user');
    });
    return userToken(companyId);
  }

  async function code(companyId: string): Promise<string> {
    const token = await userToken(companyId);
    return (await client.getTemporaryCode(token, { type: 'singleAccess' })).code;
  }

  /** The connector uuid of a bank of the referential, or null (no bank, or no connector given). */
  async function connectorUuid(bankId: string | null | undefined): Promise<string | null> {
    if (!bankId) return null;
    const bank = await prisma.bank.findUnique({
      where: { id: bankId },
      select: { powensConnectorId: true, powensConnectorUuid: true },
    });
    if (!bank) return null;
    if (bank.powensConnectorUuid) return bank.powensConnectorUuid;
    if (bank.powensConnectorId === null) return null;
    try {
      const connector = await client.getConnector(bank.powensConnectorId);
      if (!connector.uuid) return null;
      await prisma.bank.update({ where: { id: bankId }, data: { powensConnectorUuid: connector.uuid } });
      return connector.uuid;
    } catch (err) {
      // The company still connects, choosing its bank in the webview.
      logger.warn({ err, bankId, connectorId: bank.powensConnectorId }, 'Powens connector uuid not found');
      return null;
    }
  }

  return {
    userToken,
    async connectUrl({ companyId, redirectUri, state, bankId }) {
      const uuid = await connectorUuid(bankId);
      return client.connectUrl({
        code: await code(companyId),
        redirectUri,
        state,
        lang: 'fr',
        connectorUuids: uuid ? [uuid] : undefined,
        accountTypes: config.POWENS_WEBVIEW_ACCOUNT_TYPES,
        accountUsages: config.POWENS_WEBVIEW_ACCOUNT_USAGES,
      });
    },
    async reconnectUrl({ companyId, powensConnectionId, redirectUri, state, resetCredentials }) {
      return client.reconnectUrl({
        code: await code(companyId),
        connectionId: powensConnectionId,
        redirectUri,
        state,
        resetCredentials: resetCredentials ?? false,
        lang: 'fr',
      });
    },
    async readConnection({ companyId, powensConnectionId }) {
      const token = await userToken(companyId);
      const [connection, accounts] = await Promise.all([
        client.getConnection(token, powensConnectionId, { expand: ['connector'] }),
        client.listAccounts(token, { all: true, connectionId: powensConnectionId }),
      ]);
      return { connection, accounts };
    },
    async enableAccounts({ companyId, powensAccountIds }) {
      const token = await userToken(companyId);
      for (const id of powensAccountIds) await client.enableAccount(token, id);
    },
  };
}
