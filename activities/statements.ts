/**
 * The statements a connection issues (how they are built: statement-builder.ts; what they cover:
 * domain/statements.ts): one per active account up to a period end, in one database transaction
 * with their delivery e-mails and their statement.issued / statement.failed events; and the
 * "En cours" rows of a due statement still waiting for the bank's data.
 */
import { randomUUID } from 'node:crypto';
import { parisDate } from '../domain/schedule';
import { nextPeriodStart, pendingReason } from '../domain/statements';
import { inTransaction, utcTimestamp, valuesList, type Sql } from '../db/sql';
import { heartbeating, type ConnectionActivityDeps } from './context';
import { buildStatements } from './statement-builder';
import { enqueueStatementEvents } from '../webhooks-out';

/** The statements up to a period end, their delivery e-mails queued in the same transaction. */
export interface IssuedStatements {
  statementIds: string[];
  /** Accounts whose statement could not be produced: recorded as failed statements. */
  failed: number;
}

export function createStatementActivities(deps: Pick<ConnectionActivityDeps, 'config' | 'sql' | 'outbox'>) {
  const { sql } = deps;
  return {
    /**
     * One statement per active account up to `periodEnd`, with their delivery e-mails, in one
     * database transaction; an account whose statement cannot be produced gets a failed statement
     * (its reason in French) without holding up the others.
     */
    async issueStatements(connectionId: string, opts: { periodEnd: string; at: string }): Promise<IssuedStatements> {
      return heartbeating(() =>
        inTransaction(sql, async (tx) => {
          const built = await buildStatements(
            tx,
            { connectionId },
            { periodEnd: opts.periodEnd, today: new Date(opts.at) },
          );
          await deps.outbox.enqueueStatementDeliveriesIn(
            tx,
            built.filter((b) => b.created && !b.failed).map((b) => b.id!),
          );
          // statement.issued / statement.failed for the firm's endpoints, in the same transaction.
          await enqueueStatementEvents(
            tx,
            built.filter((b) => b.created).map((b) => b.id!),
            deps.config.publicBaseUrl,
          );
          return {
            statementIds: built.flatMap((b) => (b.id && !b.failed ? [b.id] : [])),
            failed: built.filter((b) => b.failed).length,
          };
        }),
      );
    },

    /**
     * Period ends that are due but wait for the bank's data: "En cours" rows in Réception, with
     * the reason (replaced by the statement once Powens has synced past the period's last day).
     */
    async markStatementsPending(connectionId: string, opts: { periodEnd: string; at: string }): Promise<number> {
      return insertPendingRows(sql, connectionId, {
        periodEnd: opts.periodEnd,
        today: new Date(opts.at),
        reason: pendingReason(opts.periodEnd),
      });
    },
  };
}

/**
 * Statements whose period has ended but that wait for the bank's data (Powens has not synced since
 * their last day): a pending row (RUNNING, "En cours" in Réception) per active account that has no
 * statement for that period end yet, with the reason in French. Idempotent; the statement built
 * later replaces it.
 */
async function insertPendingRows(
  tx: Sql,
  connectionId: string,
  opts: { periodEnd: string; today: Date; reason: string },
): Promise<number> {
  const { rows } = await tx.query<{ id: string; currency: string; activatedAt: Date; collectedUntil: Date | null }>(
    `SELECT id::text, currency, "activatedAt", "collectedUntil" FROM "BankAccount"
     WHERE "connectionId" = $1::uuid AND active AND ("collectedUntil" IS NULL OR "collectedUntil" < $2::date)`,
    [connectionId, opts.periodEnd],
  );
  if (rows.length === 0) return 0;
  const values = valuesList(
    rows.map((a) => [
      randomUUID(),
      a.id,
      nextPeriodStart({
        activatedOn: parisDate(a.activatedAt),
        collectedUntil: a.collectedUntil ? a.collectedUntil.toISOString().slice(0, 10) : null,
      }),
      opts.periodEnd,
      utcTimestamp(opts.today),
      a.currency,
      opts.reason,
    ]),
    ['uuid', 'uuid', 'date', 'date', 'timestamp', null, null],
  );
  const r = await tx.query(
    `INSERT INTO "Statement" (id, "bankAccountId", "periodStart", "periodEnd", "receivedAt", state, currency,
       "openingBalance", "closingBalance", "errorMessage")
     SELECT v.id, v.account, v.start, v."end", v.received, 'RUNNING'::"StatementState", v.currency, 0, 0, v.reason
     FROM (VALUES ${values.text}) AS v(id, account, start, "end", received, currency, reason)
     ON CONFLICT ("bankAccountId", "periodEnd") DO NOTHING
     RETURNING id`,
    values.values,
  );
  return r.rows.length;
}
