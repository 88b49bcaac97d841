/**
 * Statements → ISO 20022 camt.053 (BankToCustomerStatement), version .001.08 (default) or .001.02.
 * Pure: no clock, no I/O; the same input gives the same bytes (UTF-8, LF, two-space indentation,
 * default namespace, no attributes but Ccy, trailing newline).
 *
 * The input is the CFONB writer's (domain/cfonb120 StatementInput) plus the message and statement
 * identifiers camt.053 needs; the same invariants are enforced before anything is rendered (opening
 * balance + movements = closing balance, booking dates within the period, amounts with at most the
 * currency's decimals, a known currency, a valid IBAN, a non-blank label), and errors name the path
 * as the CFONB writer does (`statements[0].movements[3].amount: …`).
 *
 * Text is cleaned to what XML 1.0 allows (domain/camt053/text.ts), escaped, and cut on code points
 * to the schema's lengths: the label goes whole into RmtInf/Ustrd in 140-character pieces and, cut
 * to 500, into AddtlNtryInf; names are cut to 140. Identifiers (MsgId, Stmt/Id, references) are
 * never cut: over 35 characters is an error.
 */
import { CfonbError, minorUnits } from '../cfonb120';
import { formatDecimal, parseDecimal } from '../cfonb120/format';
import { electronicFormatIBAN, isValidIBAN } from 'ibantools';
import { bankTransactionCode } from './codes';
import { CamtError } from './errors';
import { chunks, cleanText, codePointLength, escapeXml, truncate } from './text';
import type { CamtMessageInput, CamtOptions, CamtPage, CamtStatementInput, CamtVersion } from './types';

export const CAMT_NAMESPACES: Readonly<Record<CamtVersion, string>> = {
  '08': 'urn:iso:std:iso:20022:tech:xsd:camt.053.001.08',
  '02': 'urn:iso:std:iso:20022:tech:xsd:camt.053.001.02',
};

/** Schema lengths (Max35Text, Max140Text, Max500Text) and the 18 digits of amounts and sums. */
const MAX_ID = 35;
const MAX_NAME = 140;
const MAX_USTRD = 140;
const MAX_ADDITIONAL_INFO = 500;
const MAX_MINOR = 10n ** 18n;

/** BIC patterns of each version (BICIdentifier in .02, BICFIDec2014Identifier in .08). */
const BIC: Record<CamtVersion, RegExp> = {
  '02': /^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$/,
  '08': /^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/,
};
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))?$/;

export function renderCamt053(message: CamtMessageInput, options: CamtOptions = {}): Buffer {
  const version = options.version ?? '08';
  if (version !== '08' && version !== '02')
    throw new CamtError(`version: "${String(version)}" is not a supported version ("08" or "02")`);
  const v08 = version === '08';
  if (message === null || typeof message !== 'object') throw new CamtError('input: a message object is expected');
  const messageId = identifier(message.messageId, 'messageId');
  const createdAt = dateTime(message.createdAt, 'createdAt');
  const page = pagination(message.page, 'page');
  if (!Array.isArray(message.statements) || message.statements.length === 0)
    throw new CamtError('statements: at least one statement is needed');

  let out = `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="${CAMT_NAMESPACES[version]}">
  <BkToCstmrStmt>
    <GrpHdr>
      <MsgId>${escapeXml(messageId)}</MsgId>
      <CreDtTm>${createdAt}</CreDtTm>
      <MsgPgntn>
        <PgNb>${page.number}</PgNb>
        <LastPgInd>${page.last}</LastPgInd>
      </MsgPgntn>
    </GrpHdr>
`;
  // Each statement is rendered whole before being appended: an error anywhere throws before any byte is returned.
  for (let i = 0; i < message.statements.length; i++)
    out += renderStatement(message.statements[i]!, `statements[${i}]`, createdAt, version, v08);
  out += '  </BkToCstmrStmt>\n</Document>\n';
  return Buffer.from(out, 'utf8');
}

function renderStatement(
  s: CamtStatementInput,
  path: string,
  messageCreatedAt: string,
  version: CamtVersion,
  v08: boolean,
): string {
  if (s === null || typeof s !== 'object') throw new CamtError(`${path}: a statement object is expected`);
  const id = identifier(s.id, `${path}.id`);
  const currency = s.account?.currency;
  const decimals = typeof currency === 'string' ? minorUnits(currency) : undefined;
  if (decimals === undefined)
    throw new CamtError(`${path}.account.currency: "${currency}" is not an ISO 4217 currency code`);
  const iban = electronicFormatIBAN(String(s.account.iban ?? '')) ?? '';
  if (!isValidIBAN(iban)) throw new CamtError(`${path}.account.iban: "${s.account.iban}" is not a valid IBAN`);
  const sequence =
    s.electronicSequenceNumber === undefined
      ? undefined
      : sequenceNumber(s.electronicSequenceNumber, `${path}.electronicSequenceNumber`);
  const createdAt = s.createdAt === undefined ? messageCreatedAt : dateTime(s.createdAt, `${path}.createdAt`);
  const statementPage = pagination(s.page, `${path}.page`);
  let bic: string | undefined;
  if (s.servicerBic !== undefined) {
    bic = String(s.servicerBic).toUpperCase();
    if (!BIC[version].test(bic))
      throw new CamtError(`${path}.servicerBic: "${s.servicerBic}" is not a BIC that camt.053.001.${version} accepts`);
  }
  const owner = s.ownerName === undefined ? '' : truncate(cleanText(String(s.ownerName)), MAX_NAME);

  const openingDate = isoDate(s.opening?.date, `${path}.opening.date`);
  const closingDate = isoDate(s.closing?.date, `${path}.closing.date`);
  if (closingDate < openingDate)
    throw new CamtError(`${path}.closing.date: ${closingDate} is before the opening date ${openingDate}`);
  const opening = amount(s.opening.balance, decimals, `${path}.opening.balance`);
  const closing = amount(s.closing.balance, decimals, `${path}.closing.balance`);

  const ccy = `Ccy="${currency}"`;
  const inputs = Array.isArray(s.movements) ? s.movements : [];
  let total = opening;
  let credits = 0n;
  let debits = 0n;
  let creditCount = 0;
  let entries = '';
  for (let j = 0; j < inputs.length; j++) {
    const m = inputs[j]!;
    const mp = `${path}.movements[${j}]`;
    if (m === null || typeof m !== 'object') throw new CamtError(`${mp}: a movement object is expected`);
    const value = amount(m.amount, decimals, `${mp}.amount`);
    total += value;
    const debit = value < 0n;
    const abs = debit ? -value : value;
    if (debit) debits += abs;
    else {
      credits += abs;
      creditCount++;
    }
    const booking = isoDate(m.bookingDate, `${mp}.bookingDate`);
    if (booking < openingDate || booking > closingDate)
      throw new CamtError(`${mp}.bookingDate: ${booking} is outside the period ${openingDate} – ${closingDate}`);
    const valueDate = m.valueDate === undefined ? booking : isoDate(m.valueDate, `${mp}.valueDate`);
    const label = cleanText(String(m.label ?? ''));
    if (label === '') throw new CamtError(`${mp}.label: the label is empty`);
    const reference = optionalIdentifier(m.reference, `${mp}.reference`);
    const entryNumber = optionalIdentifier(m.entryNumber, `${mp}.entryNumber`);
    const counterparty = m.counterparty === undefined ? '' : truncate(cleanText(String(m.counterparty)), MAX_NAME);
    const code = bankTransactionCode(m.type === undefined ? undefined : String(m.type), debit);

    const amt = `<Amt ${ccy}>${formatDecimal(abs, decimals)}</Amt>`;
    const indicator = debit ? 'DBIT' : 'CRDT';
    const ref = reference === '' ? '' : escapeXml(reference);
    let e = '      <Ntry>\n';
    if (entryNumber !== '') e += `        <NtryRef>${escapeXml(entryNumber)}</NtryRef>\n`;
    e += `        ${amt}\n        <CdtDbtInd>${indicator}</CdtDbtInd>\n`;
    e += v08 ? '        <Sts>\n          <Cd>BOOK</Cd>\n        </Sts>\n' : '        <Sts>BOOK</Sts>\n';
    e += `        <BookgDt>\n          <Dt>${booking}</Dt>\n        </BookgDt>\n`;
    e += `        <ValDt>\n          <Dt>${valueDate}</Dt>\n        </ValDt>\n`;
    if (ref !== '') e += `        <AcctSvcrRef>${ref}</AcctSvcrRef>\n`;
    e += '        <BkTxCd>\n';
    if (code.domain)
      e +=
        `          <Domn>\n            <Cd>${code.domain.domain}</Cd>\n            <Fmly>\n` +
        `              <Cd>${code.domain.family}</Cd>\n              <SubFmlyCd>${code.domain.subFamily}</SubFmlyCd>\n` +
        '            </Fmly>\n          </Domn>\n';
    e += `          <Prtry>\n            <Cd>${code.proprietary}</Cd>\n            <Issr>CFONB</Issr>\n          </Prtry>\n`;
    e += '        </BkTxCd>\n        <NtryDtls>\n          <TxDtls>\n';
    if (ref !== '') e += `            <Refs>\n              <AcctSvcrRef>${ref}</AcctSvcrRef>\n            </Refs>\n`;
    e += v08
      ? `            ${amt}\n            <CdtDbtInd>${indicator}</CdtDbtInd>\n`
      : `            <AmtDtls>\n              <TxAmt>\n                ${amt}\n              </TxAmt>\n            </AmtDtls>\n`;
    if (counterparty !== '') {
      // The payer of a credit is its debtor; the beneficiary of a debit its creditor.
      const role = debit ? 'Cdtr' : 'Dbtr';
      const name = `<Nm>${escapeXml(counterparty)}</Nm>`;
      e += v08
        ? `            <RltdPties>\n              <${role}>\n                <Pty>\n                  ${name}\n                </Pty>\n              </${role}>\n            </RltdPties>\n`
        : `            <RltdPties>\n              <${role}>\n                ${name}\n              </${role}>\n            </RltdPties>\n`;
    }
    e += '            <RmtInf>\n';
    for (const piece of chunks(label, MAX_USTRD)) e += `              <Ustrd>${escapeXml(piece)}</Ustrd>\n`;
    e += '            </RmtInf>\n          </TxDtls>\n        </NtryDtls>\n';
    e += `        <AddtlNtryInf>${escapeXml(truncate(label, MAX_ADDITIONAL_INFO))}</AddtlNtryInf>\n      </Ntry>\n`;
    entries += e;
  }
  if (total !== closing)
    throw new CamtError(
      `${path}.closing.balance: opening balance + movements = ${formatDecimal(total, decimals)}, not ${s.closing.balance}`,
    );

  let out = `    <Stmt>\n      <Id>${escapeXml(id)}</Id>\n`;
  if (v08) out += paginationXml('StmtPgntn', statementPage, '      ');
  if (sequence !== undefined) out += `      <ElctrncSeqNb>${sequence}</ElctrncSeqNb>\n`;
  out += `      <CreDtTm>${createdAt}</CreDtTm>\n`;
  out += `      <FrToDt>\n        <FrDtTm>${openingDate}T00:00:00</FrDtTm>\n        <ToDtTm>${closingDate}T23:59:59</ToDtTm>\n      </FrToDt>\n`;
  out += `      <Acct>\n        <Id>\n          <IBAN>${iban}</IBAN>\n        </Id>\n        <Ccy>${currency}</Ccy>\n`;
  if (owner !== '') out += `        <Ownr>\n          <Nm>${escapeXml(owner)}</Nm>\n        </Ownr>\n`;
  if (bic !== undefined)
    out += `        <Svcr>\n          <FinInstnId>\n            <${v08 ? 'BICFI' : 'BIC'}>${bic}</${v08 ? 'BICFI' : 'BIC'}>\n          </FinInstnId>\n        </Svcr>\n`;
  out += '      </Acct>\n';
  out += balance('OPBD', opening, decimals, ccy, openingDate);
  out += balance('CLBD', closing, decimals, ccy, closingDate);
  out += summary(inputs.length, creditCount, credits, debits, decimals, v08);
  out += entries;
  out += '    </Stmt>\n';
  return out;
}

function balance(code: string, value: bigint, decimals: number, ccy: string, date: string): string {
  const abs = value < 0n ? -value : value;
  return (
    `      <Bal>\n        <Tp>\n          <CdOrPrtry>\n            <Cd>${code}</Cd>\n          </CdOrPrtry>\n        </Tp>\n` +
    `        <Amt ${ccy}>${formatDecimal(abs, decimals)}</Amt>\n        <CdtDbtInd>${value < 0n ? 'DBIT' : 'CRDT'}</CdtDbtInd>\n` +
    `        <Dt>\n          <Dt>${date}</Dt>\n        </Dt>\n      </Bal>\n`
  );
}

/** TxsSummry: counts and sums of all, credit and debit entries; left out when a sum does not fit 18 digits. */
function summary(count: number, creditCount: number, credits: bigint, debits: bigint, decimals: number, v08: boolean) {
  const all = credits + debits;
  if (all >= MAX_MINOR) return '';
  const net = credits - debits;
  const netAbs = formatDecimal(net < 0n ? -net : net, decimals);
  const netSign = net < 0n ? 'DBIT' : 'CRDT';
  const group = (name: string, n: number, sum: bigint, extra = '') =>
    `        <${name}>\n          <NbOfNtries>${n}</NbOfNtries>\n          <Sum>${formatDecimal(sum, decimals)}</Sum>\n${extra}        </${name}>\n`;
  const netXml = v08
    ? `          <TtlNetNtry>\n            <Amt>${netAbs}</Amt>\n            <CdtDbtInd>${netSign}</CdtDbtInd>\n          </TtlNetNtry>\n`
    : `          <TtlNetNtryAmt>${netAbs}</TtlNetNtryAmt>\n          <CdtDbtInd>${netSign}</CdtDbtInd>\n`;
  return (
    '      <TxsSummry>\n' +
    group('TtlNtries', count, all, netXml) +
    group('TtlCdtNtries', creditCount, credits) +
    group('TtlDbtNtries', count - creditCount, debits) +
    '      </TxsSummry>\n'
  );
}

function paginationXml(name: string, page: CamtPage, indent: string): string {
  return `${indent}<${name}>\n${indent}  <PgNb>${page.number}</PgNb>\n${indent}  <LastPgInd>${page.last}</LastPgInd>\n${indent}</${name}>\n`;
}

// ---- field checks ---------------------------------------------------------------------------------

function amount(value: unknown, decimals: number, path: string): bigint {
  let minor: bigint;
  try {
    minor = parseDecimal(String(value), decimals, path);
  } catch (e) {
    throw e instanceof CfonbError ? new CamtError(e.message) : e;
  }
  if ((minor < 0n ? -minor : minor) >= MAX_MINOR) throw new CamtError(`${path}: the amount does not fit in 18 digits`);
  return minor;
}

const dateCache = new Map<string, boolean>();
function isoDate(value: unknown, path: string): string {
  const s = String(value);
  let ok = dateCache.get(s);
  if (ok === undefined) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
    ok = m !== null && isRealDate(Number(m[1]), Number(m[2]), Number(m[3]));
    if (dateCache.size > 50_000) dateCache.clear();
    dateCache.set(s, ok);
  }
  if (!ok) throw new CamtError(`${path}: "${s}" is not a date (YYYY-MM-DD)`);
  return s;
}

function isRealDate(y: number, m: number, d: number): boolean {
  if (y < 1) return false;
  const date = new Date(Date.UTC(2000, m - 1, d));
  date.setUTCFullYear(y);
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function dateTime(value: unknown, path: string): string {
  const s = String(value);
  const m = DATE_TIME.exec(s);
  const valid =
    m !== null &&
    isRealDate(Number(m[1]), Number(m[2]), Number(m[3])) &&
    Number(m[4]) <= 23 &&
    Number(m[5]) <= 59 &&
    Number(m[6]) <= 59 &&
    (m[9] === undefined || (Number(m[9]) <= 14 && Number(m[10]) <= 59));
  if (!valid) throw new CamtError(`${path}: "${s}" is not a date-time (YYYY-MM-DDThh:mm:ss, optional offset)`);
  return s;
}

function identifier(value: unknown, path: string): string {
  const s = cleanText(String(value ?? ''));
  if (s === '') throw new CamtError(`${path}: an identifier of 1 to ${MAX_ID} characters is required`);
  if (codePointLength(s) > MAX_ID) throw new CamtError(`${path}: longer than ${MAX_ID} characters`);
  return s;
}

/** An optional identifier: '' when absent or blank. */
function optionalIdentifier(value: unknown, path: string): string {
  if (value === undefined || value === null) return '';
  const s = cleanText(String(value));
  if (codePointLength(s) > MAX_ID) throw new CamtError(`${path}: longer than ${MAX_ID} characters`);
  return s;
}

function sequenceNumber(value: unknown, path: string): string {
  const s = typeof value === 'number' ? (Number.isSafeInteger(value) ? String(value) : '') : String(value);
  if (!/^\d{1,18}$/.test(s)) throw new CamtError(`${path}: a whole number of at most 18 digits is expected`);
  return BigInt(s).toString();
}

function pagination(page: CamtPage | undefined, path: string): CamtPage {
  if (page === undefined) return { number: 1, last: true };
  if (!Number.isInteger(page.number) || page.number < 1 || page.number > 99_999)
    throw new CamtError(`${path}.number: a page number from 1 to 99999 is expected`);
  if (typeof page.last !== 'boolean') throw new CamtError(`${path}.last: true or false is expected`);
  return { number: page.number, last: page.last };
}
