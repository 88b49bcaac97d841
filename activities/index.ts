/** Every activity the worker registers, built from their dependencies. */
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { Db } from '../prisma/client';
import { createConnectionActivities } from './connection';
import { createEmailActivities } from './email-sender';
import { createMessages } from './messages';
import { createPowensPort, type PowensPort } from './powens-port';
import { decryptToken } from './token-crypto';

export function createActivities(deps: { config: Config; prisma: Db; logger: Logger; powens?: PowensPort }) {
  return {
    ...createConnectionActivities({
      config: deps.config,
      prisma: deps.prisma,
      logger: deps.logger,
      powens: deps.powens ?? createPowensPort({ baseUrl: deps.config.powensBaseUrl }),
      outbox: createMessages(deps.config),
      decryptToken: (enc) => decryptToken(enc, deps.config.ENCRYPTION_KEY),
    }),
    ...createEmailActivities({ config: deps.config, prisma: deps.prisma }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
