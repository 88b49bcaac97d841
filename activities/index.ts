/** Every activity the worker registers, built from their dependencies. */
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { Db } from '../db/client';
import type { SqlPool } from '../db/sql';
import { createConnectionActivities } from './connection';
import { createEmailActivities } from '../email/sender';
import { createMessages } from '../email/connection-messages';
import { decryptToken } from '../integrations/powens';
import { createPowensPort, type PowensPort } from '../integrations/powens/port';

/** The real Powens port from the configuration (the sandbox's URL when POWENS_BASE_URL is unset). */
export function powensPortFromConfig(config: Config, logger?: Logger): PowensPort {
  return createPowensPort({
    baseUrl: config.powensBaseUrl,
    webviewUrl: config.powensWebviewUrl,
    clientId: config.POWENS_CLIENT_ID,
    clientSecret: config.POWENS_CLIENT_SECRET,
    logger: logger && {
      debug: (obj: object, msg: string) => logger.debug(obj, msg),
      warn: (obj: object, msg: string) => logger.warn(obj, msg),
    },
  });
}

export function createActivities(deps: {
  config: Config;
  prisma: Db;
  sql: SqlPool;
  logger: Logger;
  powens?: PowensPort;
}) {
  return {
    ...createConnectionActivities({
      config: deps.config,
      prisma: deps.prisma,
      sql: deps.sql,
      logger: deps.logger,
      powens: deps.powens ?? powensPortFromConfig(deps.config, deps.logger),
      outbox: createMessages(deps.config),
      decryptToken: (enc) => decryptToken(enc, deps.config.ENCRYPTION_KEY),
    }),
    ...createEmailActivities({ config: deps.config, prisma: deps.prisma, sql: deps.sql, logger: deps.logger }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
