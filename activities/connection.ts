/**
 * Activities of the bank-connection workflow: all its I/O (Powens, PostgreSQL, outbox), one module
 * per concern: settings.ts, collect.ts, notify.ts, links.ts, statements.ts (their shared
 * dependencies: context.ts). Each is idempotent, because Temporal delivers activities at least once:
 *  - transactions are upserted by (account, Powens id, version);
 *  - a statement is unique per (account, period end) and written with its transactions' links,
 *    the account's new `collectedUntil` and its e-mail in one database transaction;
 *  - links and e-mails carry idempotency keys derived from the connection and the attempt.
 * Their names are the workflow's activity types (in recorded histories): never renamed.
 */
import { createCollectActivities } from './collect';
import type { ConnectionActivityDeps } from './context';
import { createLinkActivities } from './links';
import { createNotifyActivities } from './notify';
import { createSettingsActivities } from './settings';
import { createStatementActivities } from './statements';

export type { ConnectionActivityDeps } from './context';

export function createConnectionActivities(deps: ConnectionActivityDeps) {
  return {
    ...createSettingsActivities(deps),
    ...createCollectActivities(deps),
    ...createNotifyActivities(deps),
    ...createLinkActivities(deps),
    ...createStatementActivities(deps),
  };
}

export type ConnectionActivities = ReturnType<typeof createConnectionActivities>;
