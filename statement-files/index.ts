/**
 * A statement's files beyond the stored CFONB120: the ISO 20022 camt.053, rendered on demand
 * (domain/camt053) from the same stored data the CFONB file was written from: the Statement row
 * (period, receivedAt, balances, currency, and the IBAN/BIC it was written for), its delivered
 * Transaction rows (never rewritten once delivered: a bank's deletion or change only marks them)
 * in the writer's order, and its account's number when no IBAN was recorded.
 *
 * On demand rather than stored: either version of any statement can be had at any time, including
 * statements issued before the firm chose camt.053, and firms that never use it pay nothing at
 * night nor in storage (an entry is ~1.3 kB of XML against 240 bytes of CFONB). Deterministic:
 * nothing mutable and no clock goes in; MsgId and Stmt/Id derive from the statement id, CreDtTm
 * from its receivedAt, ElctrncSeqNb from its rank among the account's issued statements (they only
 * ever come after it), so a re-download gives the same bytes.
 *
 * Which formats are delivered (e-mail, ZIP, webhook URLs) is the firm's choice per company,
 * overridable per account (`formatChoice`).
 */
import { Prisma } from '../db/client';
import type { Sql } from '../db/sql';
import { minorUnits } from '../domain/cfonb120';
import { CamtError, renderCamt053, type CamtMessageInput, type CamtVersion } from '../domain/camt053';
import { statementIban } from '../domain/identifiers';
import { addDays } from '../domain/schedule';
import { bookingDateIn } from '../domain/statements';

export type StatementFormat = 'cfonb120' | 'camt053';
/** The API's and the forms' names of the stored choice (StatementFormats). */
export type FormatsName = 'cfonb120' | 'camt053' | 'both';
export type StoredFormats = 'CFONB120' | 'CAMT053' | 'BOTH';
export type StoredCamtVersion = 'V08' | 'V02';

export interface FormatChoice {
  /** What is delivered, CFONB120 first. */
  formats: StatementFormat[];
  camtVersion: CamtVersion;
}

export const formatsName = (f: StoredFormats): FormatsName => f.toLowerCase() as FormatsName;
export const storedFormats = (f: FormatsName): StoredFormats => f.toUpperCase() as StoredFormats;
export const camtVersionName = (v: StoredCamtVersion): CamtVersion => v.slice(1) as CamtVersion;
export const storedCamtVersion = (v: CamtVersion): StoredCamtVersion => `V${v}`;

/** The formats delivered for an account: its own choice, else its company's. */
export function formatChoice(
  company: { statementFormats: StoredFormats; camtVersion: StoredCamtVersion },
  account: { statementFormats: StoredFormats | null; camtVersion: StoredCamtVersion | null },
): FormatChoice {
  const f = account.statementFormats ?? company.statementFormats;
  return {
    formats: f === 'BOTH' ? ['cfonb120', 'camt053'] : f === 'CAMT053' ? ['camt053'] : ['cfonb120'],
    camtVersion: camtVersionName(account.camtVersion ?? company.camtVersion),
  };
}

/** "CFONB120", "camt.053.001.08", "CFONB120 et camt.053.001.08". */
export function formatsText(choice: FormatChoice): string {
  return choice.formats.map((f) => (f === 'cfonb120' ? 'CFONB120' : `camt.053.001.${choice.camtVersion}`)).join(' et ');
}

export interface StoredStatement {
  id: string;
  periodStart: Date;
  periodEnd: Date;
  receivedAt: Date;
  currency: string;
  openingBalance: string;
  closingBalance: string;
  iban: string | null;
  bic: string | null;
  /** The account's identifiers, for a statement issued before its IBAN was recorded. */
  account: { iban: string | null; number: string | null };
  /** 1 for the account's first issued statement. */
  sequence: number;
}

export interface StoredMovement {
  powensId: string;
  bookingDate: Date;
  valueDate: Date | null;
  amount: string;
  label: string;
  type: string;
}

const iso = (d: Date) => d.toISOString().slice(0, 10);
/** BICs both versions accept (.02's pattern is the stricter one); anything else is left out. */
const BIC = /^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$/;

/** The camt.053 message of a stored statement (pure): the same statement the CFONB writer got. */
export function camtMessage(s: StoredStatement, movements: StoredMovement[]): CamtMessageInput {
  const decimals = minorUnits(s.currency) ?? 2;
  const periodStart = iso(s.periodStart);
  const hex = s.id.replace(/-/g, '').toUpperCase();
  const bic = s.bic?.toUpperCase();
  return {
    messageId: `RLV${hex}`,
    createdAt: s.receivedAt.toISOString().replace(/\.\d+Z$/, 'Z'),
    statements: [
      {
        id: hex,
        electronicSequenceNumber: s.sequence,
        account: { iban: s.iban ?? statementIban(s.account) ?? '', currency: s.currency },
        ...(bic && BIC.test(bic) ? { servicerBic: bic } : {}),
        opening: { date: addDays(periodStart, -1), balance: new Prisma.Decimal(s.openingBalance).toFixed(decimals) },
        closing: { date: iso(s.periodEnd), balance: new Prisma.Decimal(s.closingBalance).toFixed(decimals) },
        movements: movements.map((m) => ({
          bookingDate: bookingDateIn(periodStart, iso(m.bookingDate)),
          valueDate: iso(m.valueDate ?? m.bookingDate),
          amount: new Prisma.Decimal(m.amount).toFixed(decimals),
          label: m.label,
          type: m.type,
          reference: m.powensId,
        })),
      },
    ],
  };
}

export type CamtFile = { ok: true; xml: Buffer; version: CamtVersion } | { ok: false; reason: string };

/**
 * The camt.053 of issued statements, in two queries whatever their number: each in `version`, or
 * in its account's chosen version. A statement that is not issued (running, failed) is absent; one
 * the renderer refuses gives its French reason.
 */
export async function loadCamt053(
  sql: Sql,
  statementIds: string[],
  version?: CamtVersion,
): Promise<Map<string, CamtFile>> {
  if (statementIds.length === 0) return new Map();
  const { rows } = await sql.query<
    Omit<StoredStatement, 'account' | 'sequence'> & {
      accountIban: string | null;
      accountNumber: string | null;
      sequence: string;
      companyFormats: StoredFormats;
      companyVersion: StoredCamtVersion;
      accountFormats: StoredFormats | null;
      accountVersion: StoredCamtVersion | null;
    }
  >(
    `SELECT s.id::text, s."periodStart", s."periodEnd", s."receivedAt", s.currency, s."openingBalance"::text AS "openingBalance",
            s."closingBalance"::text AS "closingBalance", s.iban, s.bic, a.iban AS "accountIban", a.number AS "accountNumber",
            (SELECT count(*) FROM "Statement" p WHERE p."bankAccountId" = s."bankAccountId"
               AND p.state = 'SUCCESS'::"StatementState" AND p."periodEnd" <= s."periodEnd")::text AS sequence,
            c."statementFormats"::text AS "companyFormats", c."camtVersion"::text AS "companyVersion",
            a."statementFormats"::text AS "accountFormats", a."camtVersion"::text AS "accountVersion"
     FROM "Statement" s JOIN "BankAccount" a ON a.id = s."bankAccountId" JOIN "Company" c ON c.id = a."companyId"
     WHERE s.id = ANY($1::uuid[]) AND s.state = 'SUCCESS'::"StatementState"`,
    [statementIds],
  );
  if (rows.length === 0) return new Map();
  const { rows: movements } = await sql.query<StoredMovement & { statementId: string }>(
    `SELECT t."statementId"::text AS "statementId", t."powensId"::text AS "powensId", t."bookingDate", t."valueDate",
            t.amount::text, t.label, t.type
     FROM "Transaction" t WHERE t."statementId" = ANY($1::uuid[])
     ORDER BY t."bookingDate", t."powensId", t.version`,
    [rows.map((r) => r.id)],
  );
  const byStatement = new Map<string, StoredMovement[]>();
  for (const m of movements) {
    const list = byStatement.get(m.statementId) ?? [];
    list.push(m);
    byStatement.set(m.statementId, list);
  }
  const out = new Map<string, CamtFile>();
  for (const r of rows) {
    const v =
      version ??
      formatChoice(
        { statementFormats: r.companyFormats, camtVersion: r.companyVersion },
        { statementFormats: r.accountFormats, camtVersion: r.accountVersion },
      ).camtVersion;
    const stored: StoredStatement = {
      ...r,
      account: { iban: r.accountIban, number: r.accountNumber },
      sequence: Number(r.sequence),
    };
    try {
      out.set(r.id, {
        ok: true,
        xml: renderCamt053(camtMessage(stored, byStatement.get(r.id) ?? []), { version: v }),
        version: v,
      });
    } catch (e) {
      if (!(e instanceof CamtError)) throw e;
      out.set(r.id, { ok: false, reason: `Relevé camt.053 impossible à produire : ${e.message}` });
    }
  }
  return out;
}

/** One statement's camt.053 (see loadCamt053); undefined when it is not issued. */
export async function camt053Of(sql: Sql, statementId: string, version?: CamtVersion): Promise<CamtFile | undefined> {
  return (await loadCamt053(sql, [statementId], version)).get(statementId);
}
