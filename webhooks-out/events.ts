/**
 * The events a firm's endpoints receive (README "Outgoing webhooks") and the outbox they go through:
 * `enqueueWebhookEvents` writes them in the caller's database transaction, the one that makes them
 * happen (a statement issued, a failure counted…), with one WebhookMessage per subscribed endpoint;
 * the worker's sender delivers the messages (sender.ts). Nothing is written for a portal account
 * with no enabled endpoint subscribed to the type, so the nightly path pays one cheap query.
 *
 * Body (Standard Webhooks' recommended shape): `{"type", "timestamp", "data"}`, kept as the exact
 * text sent (the signature covers its bytes); `timestamp` is when it happened (workflow time).
 */
import { randomUUID } from 'node:crypto';
import { balanceCheck, type BalanceCheck } from '../domain/balance-check';
import { minorUnits } from '../domain/cfonb120';
import { Prisma } from '../db/client';
import { utcTimestamp, valuesList, type Sql } from '../db/sql';
import { formatChoice, type StoredCamtVersion, type StoredFormats } from '../statement-files';
import type { EventType } from '../domain/webhook-events';

export { EVENT_LABELS, EVENT_TYPES, type EventType } from '../domain/webhook-events';

export interface WebhookEventInput {
  portalAccountId: string;
  type: EventType;
  /** When it happened (workflow time). */
  occurredAt: Date;
  /** The same key twice keeps the first event (a retried activity). */
  idempotencyKey: string;
  data: Record<string, unknown>;
}

export const eventBody = (e: Pick<WebhookEventInput, 'type' | 'occurredAt' | 'data'>) =>
  JSON.stringify({ type: e.type, timestamp: e.occurredAt.toISOString(), data: e.data });

/** `msg_` + 32 hex digits: the webhook-id of an event, the same for every endpoint and attempt. */
export const newEventId = () => `msg_${randomUUID().replace(/-/g, '')}`;

/**
 * Writes the events (and one message per enabled endpoint of their portal account subscribed to
 * their type) in one statement, in the caller's transaction. An event whose key exists already,
 * or that no endpoint wants, is not written. Returns how many messages were queued.
 */
export async function enqueueWebhookEvents(sql: Sql, events: WebhookEventInput[]): Promise<number> {
  if (events.length === 0) return 0;
  const now = utcTimestamp(new Date());
  const rows = valuesList(
    events.map((e) => [
      newEventId(),
      e.portalAccountId,
      e.type,
      eventBody(e),
      e.idempotencyKey,
      utcTimestamp(e.occurredAt),
    ]),
    [null, 'uuid', null, null, null, 'timestamp'],
  );
  const at = rows.values.length + 1;
  const { rows: queued } = await sql.query<{ n: string }>(
    `WITH ev AS (
       INSERT INTO "WebhookEvent" (id, "portalAccountId", type, body, "idempotencyKey", "occurredAt", "createdAt")
       SELECT v.id, v.account, v.type, v.body, v.key, v.occurred, $${at}::timestamp
       FROM (VALUES ${rows.text}) AS v(id, account, type, body, key, occurred)
       WHERE EXISTS (SELECT 1 FROM "WebhookEndpoint" e
                     WHERE e."portalAccountId" = v.account AND e.enabled AND v.type = ANY(e.events))
       ON CONFLICT ("idempotencyKey") DO NOTHING
       RETURNING id, "portalAccountId", type
     ), msg AS (
       INSERT INTO "WebhookMessage" (id, "eventId", "endpointId", status, "nextAttemptAt", "createdAt")
       SELECT gen_random_uuid(), ev.id, e.id, 'PENDING'::"WebhookMessageStatus", $${at}::timestamp, $${at}::timestamp
       FROM ev JOIN "WebhookEndpoint" e
         ON e."portalAccountId" = ev."portalAccountId" AND e.enabled AND ev.type = ANY(e.events)
       RETURNING 1
     )
     SELECT count(*)::text AS n FROM msg`,
    [...rows.values, now],
  );
  return Number(queued[0]?.n ?? 0);
}

/** Whether any enabled endpoint of these portal accounts wants one of these types (skips building payloads). */
async function anySubscribed(sql: Sql, portalAccountIds: string[], types: EventType[]): Promise<boolean> {
  const { rows } = await sql.query(
    `SELECT 1 FROM "WebhookEndpoint" WHERE "portalAccountId" = ANY($1::uuid[]) AND enabled AND events && $2::text[] LIMIT 1`,
    [portalAccountIds, types],
  );
  return rows.length > 0;
}

// ---- statements ------------------------------------------------------------------------------------

interface StatementRow {
  id: string;
  state: string;
  periodStart: Date;
  periodEnd: Date;
  receivedAt: Date;
  transactionCount: number;
  deletedCount: number;
  currency: string;
  openingBalance: string;
  closingBalance: string;
  previousClosingBalance: string | null;
  bankBalance: string | null;
  bankBalanceAt: Date | null;
  bookedAfterPeriodEnd: string | null;
  errorMessage: string | null;
  hasDeletedCsv: boolean;
  iban: string | null;
  bankAccountId: string;
  accountIban: string | null;
  label: string;
  companyId: string;
  siren: string;
  nic: string | null;
  companyName: string;
  portalAccountId: string;
  companyFormats: StoredFormats;
  companyVersion: StoredCamtVersion;
  accountFormats: StoredFormats | null;
  accountVersion: StoredCamtVersion | null;
}

const day = (d: Date) => d.toISOString().slice(0, 10);
/** A stored amount at its currency's decimals ("870.0000" → "870.00"). */
const money = (v: string, currency: string) => new Prisma.Decimal(v).toFixed(minorUnits(currency) ?? 2);

/** The data of statement.issued / statement.failed. */
export function statementEventData(s: StatementRow, publicBaseUrl: string) {
  const choice = formatChoice(
    { statementFormats: s.companyFormats, camtVersion: s.companyVersion },
    { statementFormats: s.accountFormats, camtVersion: s.accountVersion },
  );
  const base = {
    statementId: s.id,
    company: { id: s.companyId, siren: s.siren, nic: s.nic, name: s.companyName },
    account: { id: s.bankAccountId, iban: s.iban ?? s.accountIban, label: s.label, currency: s.currency },
    period: { start: day(s.periodStart), end: day(s.periodEnd) },
    receivedAt: s.receivedAt.toISOString(),
  };
  if (s.state !== 'SUCCESS') return { ...base, error: s.errorMessage };
  const url = (file: string) => `${publicBaseUrl}/api/v1/statements/${s.id}/${file}`;
  const check: BalanceCheck = balanceCheck({
    currency: s.currency,
    openingBalance: s.openingBalance,
    closingBalance: s.closingBalance,
    previousClosingBalance: s.previousClosingBalance,
    bankBalance: s.bankBalance,
    bankBalanceAt: s.bankBalanceAt,
    bookedAfterPeriodEnd: s.bookedAfterPeriodEnd,
    periodEnd: day(s.periodEnd),
  });
  return {
    ...base,
    transactionCount: s.transactionCount,
    deletedCount: s.deletedCount,
    openingBalance: money(s.openingBalance, s.currency),
    closingBalance: money(s.closingBalance, s.currency),
    formats: choice.formats,
    camtVersion: choice.camtVersion,
    downloads: {
      ...(choice.formats.includes('cfonb120') ? { cfonb120: url('cfonb') } : {}),
      ...(choice.formats.includes('camt053') ? { camt053: url('camt053') } : {}),
      ...(s.hasDeletedCsv ? { deletedCsv: url('deleted.csv') } : {}),
    },
    balanceCheck: check,
  };
}

/**
 * statement.issued (or statement.failed) for statements just written, in the caller's
 * transaction; keyed by statement id (a failed statement tried again keeps its row: one event).
 */
export async function enqueueStatementEvents(sql: Sql, statementIds: string[], publicBaseUrl: string): Promise<number> {
  if (statementIds.length === 0) return 0;
  const { rows } = await sql.query<StatementRow>(
    `SELECT s.id::text, s.state::text, s."periodStart", s."periodEnd", s."receivedAt", s."transactionCount", s."deletedCount",
            s.currency, s."openingBalance"::text AS "openingBalance", s."closingBalance"::text AS "closingBalance",
            s."previousClosingBalance"::text AS "previousClosingBalance", s."bankBalance"::text AS "bankBalance",
            s."bankBalanceAt", s."bookedAfterPeriodEnd"::text AS "bookedAfterPeriodEnd", s."errorMessage",
            s."deletedCsv" IS NOT NULL AS "hasDeletedCsv", s.iban,
            a.id::text AS "bankAccountId", a.iban AS "accountIban", a.label,
            c.id::text AS "companyId", c.siren, c.nic, c.name AS "companyName", c."portalAccountId"::text AS "portalAccountId",
            c."statementFormats"::text AS "companyFormats", c."camtVersion"::text AS "companyVersion",
            a."statementFormats"::text AS "accountFormats", a."camtVersion"::text AS "accountVersion"
     FROM "Statement" s JOIN "BankAccount" a ON a.id = s."bankAccountId" JOIN "Company" c ON c.id = a."companyId"
     WHERE s.id = ANY($1::uuid[]) AND s.state <> 'RUNNING'::"StatementState"
       AND EXISTS (SELECT 1 FROM "WebhookEndpoint" e WHERE e."portalAccountId" = c."portalAccountId" AND e.enabled
                   AND (CASE WHEN s.state = 'SUCCESS'::"StatementState" THEN 'statement.issued' ELSE 'statement.failed' END) = ANY(e.events))`,
    [statementIds],
  );
  return enqueueWebhookEvents(
    sql,
    rows.map((s) => {
      const type: EventType = s.state === 'SUCCESS' ? 'statement.issued' : 'statement.failed';
      return {
        portalAccountId: s.portalAccountId,
        type,
        occurredAt: s.receivedAt,
        idempotencyKey: `${type}/${s.id}`,
        data: statementEventData(s, publicBaseUrl),
      };
    }),
  );
}

// ---- connections -----------------------------------------------------------------------------------

/** What the connection events say about a connection (loaded by the connection activities). */
export interface ConnectionRef {
  id: string;
  companyId: string;
  connectorName?: string | null;
  bank?: { name: string } | null;
  company: { siren: string; name: string; portalAccountId: string };
  accounts: Array<{ id: string; iban: string | null; label: string; active?: boolean }>;
}

const connectionData = (c: ConnectionRef) => ({
  connection: { id: c.id, bank: c.bank?.name ?? c.connectorName ?? null },
  company: { id: c.companyId, siren: c.company.siren, name: c.company.name },
  accounts: c.accounts.filter((a) => a.active !== false).map((a) => ({ id: a.id, iban: a.iban, label: a.label })),
});

/** A connection event, if one of the firm's endpoints wants it (in the caller's transaction). */
export async function enqueueConnectionEvent(
  sql: Sql,
  c: ConnectionRef,
  e: { type: EventType; occurredAt: Date; idempotencyKey: string; data: Record<string, unknown> },
): Promise<number> {
  if (!(await anySubscribed(sql, [c.company.portalAccountId], [e.type]))) return 0;
  return enqueueWebhookEvents(sql, [
    {
      portalAccountId: c.company.portalAccountId,
      type: e.type,
      occurredAt: e.occurredAt,
      idempotencyKey: e.idempotencyKey,
      data: { ...connectionData(c), ...e.data },
    },
  ]);
}
