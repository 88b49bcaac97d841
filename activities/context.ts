/**
 * What the bank-connection activities are built from (`ConnectionActivityDeps`), and what several
 * of them share: reading a connection with its company and accounts, heartbeating a long call.
 * Time: every activity that records an instant takes it from the workflow (`at`, an ISO instant of
 * workflow time), never from the worker's clock, so replays, retries and tests agree.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { Db } from '../db/client';
import type { SqlPool } from '../db/sql';
import type { Outbox } from '../email/connection-outbox';
import type { PowensPort } from '../integrations/powens/port';

export interface ConnectionActivityDeps {
  config: Config;
  prisma: Db;
  /** Plain SQL for the nightly hot path (collect, issueStatements): see db/sql.ts. */
  sql: SqlPool;
  logger: Logger;
  powens: PowensPort;
  outbox: Outbox;
  /** Decrypts a company's Powens user token (stored encrypted at rest). */
  decryptToken(encrypted: string): string;
}

/** The connection, its company (and portal account) and its accounts; a missing one is not retried. */
export async function loadConnection(prisma: Db, connectionId: string) {
  const connection = await prisma.bankConnection.findUnique({
    where: { id: connectionId },
    include: { company: { include: { portalAccount: true } }, accounts: true },
  });
  if (!connection) throw connectionNotFound(connectionId);
  return connection;
}

export type LoadedConnection = Awaited<ReturnType<typeof loadConnection>>;

/** Not retried by the workflow (`nonRetryableErrorTypes`). */
export function connectionNotFound(connectionId: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`connection ${connectionId} not found`, 'ConnectionNotFound');
}

/** What an activity heartbeats: that its code runs (workflows/collect.ts reads its absence). */
export const RUNNING = 'running';

/**
 * Runs `work` heartbeating every 30 s (the activities' heartbeat timeout is 2 min). With `atOnce`,
 * the first heartbeat goes before any call: a heartbeat timeout with no heartbeat at all then says
 * the activity's code never ran (a task Temporal recorded as started that never reached the
 * worker), so nothing was asked of Powens. Only where that matters (a forced sync): each heartbeat
 * is a write of Temporal's.
 */
export async function heartbeating<T>(work: () => Promise<T>, opts: { atOnce?: boolean } = {}): Promise<T> {
  const ctx = Context.current();
  // A local activity has no heartbeat at Temporal (the SDK keeps its workflow task alive instead).
  if (ctx.info.isLocal) return work();
  if (opts.atOnce) ctx.heartbeat(RUNNING);
  const beat = setInterval(() => ctx.heartbeat(RUNNING), 30_000);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}
