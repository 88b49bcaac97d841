/**
 * Statements → CFONB120 bytes. Enforces the invariants before writing anything: opening balance +
 * movements = closing balance, dates within the period, every field fits, currency known.
 */
import { interbankCode } from './codes';
import { minorUnits } from './currencies';
import { CfonbError } from './errors';
import {
  accountFromIban,
  ALLOWED,
  encodeAmount,
  encodeDate,
  formatDecimal,
  normalizeText,
  padRight,
  parseDecimal,
  RECORD_LENGTH,
} from './format';
import type { StatementInput, WriteOptions } from './types';

const LABEL_04 = 31;
const INFO_05 = 70;
const MAX_LIB_RECORDS = 9;
const SPACES = ' '.repeat(64);
const blank = (n: number) => (n <= 64 ? SPACES.slice(0, n) : ' '.repeat(n));

function text(value: string): string {
  // Fast path: text already in the CFONB set needs no transliteration.
  return ALLOWED.test(value) && !value.includes('  ') ? value.trim() : normalizeText(value);
}

export function writeCfonb(statements: StatementInput[], options: WriteOptions = {}): Buffer {
  const sep = options.lineSeparator ?? '\n';
  const records: string[] = [];
  statements.forEach((s, i) => writeStatement(s, `statements[${i}]`, records));
  const body = records.join(sep) + (records.length && sep ? sep : '');
  return Buffer.from(body, 'latin1');
}

function writeStatement(s: StatementInput, path: string, out: string[]): void {
  const currency = s.account?.currency;
  const decimals = typeof currency === 'string' ? minorUnits(currency) : undefined;
  if (decimals === undefined)
    throw new CfonbError(`${path}.account.currency: "${currency}" is not an ISO 4217 currency code`);
  const acc = accountFromIban(String(s.account.iban ?? ''), `${path}.account.iban`);
  // Positions 3-32 are the same on every record of the statement: bank, branch, currency, decimals, account.
  const head = (internal: string) =>
    `${acc.bankCode}${internal}${acc.branchCode}${currency}${decimals} ${acc.accountNumber.padEnd(11, ' ')}`;
  const headBalance = head('    ');

  const openingDate = encodeDate(s.opening?.date, `${path}.opening.date`);
  const closingDate = encodeDate(s.closing?.date, `${path}.closing.date`);
  if (s.closing.date < s.opening.date)
    throw new CfonbError(`${path}.closing.date: ${s.closing.date} is before the opening date ${s.opening.date}`);
  const opening = parseDecimal(String(s.opening.balance), decimals, `${path}.opening.balance`);
  const closing = parseDecimal(String(s.closing.balance), decimals, `${path}.closing.balance`);

  const start = out.length;
  out.push(
    `01${headBalance}  ${openingDate}${blank(50)}${encodeAmount(opening, `${path}.opening.balance`)}${blank(16)}`,
  );
  let total = opening;
  const movements = Array.isArray(s.movements) ? s.movements : [];
  for (let j = 0; j < movements.length; j++) {
    const m = movements[j]!;
    const mp = `${path}.movements[${j}]`;
    const amount = parseDecimal(String(m.amount), decimals, `${mp}.amount`);
    total += amount;
    const booking = encodeDate(m.bookingDate, `${mp}.bookingDate`);
    if (m.bookingDate < s.opening.date || m.bookingDate > s.closing.date)
      throw new CfonbError(
        `${mp}.bookingDate: ${m.bookingDate} is outside the period ${s.opening.date} – ${s.closing.date}`,
      );
    const value = encodeDate(m.valueDate ?? m.bookingDate, `${mp}.valueDate`);
    const code = interbankCode(m.type, amount < 0n);
    const label = text(String(m.label ?? ''));
    if (label === '') throw new CfonbError(`${mp}.label: the label is empty`);
    if (label.length > LABEL_04 + INFO_05 * MAX_LIB_RECORDS)
      throw new CfonbError(`${mp}.label: longer than ${LABEL_04 + INFO_05 * MAX_LIB_RECORDS} characters`);
    const reference = m.reference === undefined ? '' : text(String(m.reference));
    if (reference.length > 16) throw new CfonbError(`${mp}.reference: longer than 16 characters`);
    const entry = m.entryNumber === undefined ? '' : String(m.entryNumber).toUpperCase();
    if (!/^[0-9A-Z]{0,7}$/.test(entry)) throw new CfonbError(`${mp}.entryNumber: up to 7 letters or digits expected`);
    const counterparty = m.counterparty === undefined ? '' : text(String(m.counterparty));
    if (counterparty.length > INFO_05) throw new CfonbError(`${mp}.counterparty: longer than ${INFO_05} characters`);

    const prefix = head('    ') + code + booking;
    out.push(
      `04${prefix}  ${value}${padRight(label.slice(0, LABEL_04), LABEL_04)}  ${entry.padStart(7, '0')}00${encodeAmount(amount, `${mp}.amount`)}${padRight(reference, 16)}`,
    );
    for (let k = LABEL_04; k < label.length; k += INFO_05)
      out.push(`05${prefix}${blank(5)}LIB${padRight(label.slice(k, k + INFO_05), INFO_05)}  `);
    if (counterparty)
      out.push(`05${prefix}${blank(5)}${amount < 0n ? 'NBE' : 'NPY'}${padRight(counterparty, INFO_05)}  `);
  }
  if (total !== closing) {
    out.length = start;
    throw new CfonbError(
      `${path}.closing.balance: opening balance + movements = ${formatDecimal(total, decimals)}, not ${s.closing.balance}`,
    );
  }
  out.push(
    `07${headBalance}  ${closingDate}${blank(50)}${encodeAmount(closing, `${path}.closing.balance`)}${blank(16)}`,
  );
  if (out[start]!.length !== RECORD_LENGTH || out[out.length - 1]!.length !== RECORD_LENGTH)
    throw new Error('internal: a balance record is not 120 characters');
}
