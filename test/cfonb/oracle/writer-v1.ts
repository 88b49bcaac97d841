/**
 * The oracle of the writer's property test (test/cfonb/writer-oracle.test.ts): the CFONB120 writer
 * as it was before the byte-level rewrite (main at 7bdd82d: domain/cfonb120/writer.ts and the
 * parts of format.ts it used), frozen here verbatim but for the names writeCfonbV1 and
 * normalizeTextV1. Do not "improve" it: the new writer must give exactly its bytes and its errors.
 */
import anyAscii from 'any-ascii';
import { electronicFormatIBAN, extractIBAN, isValidIBAN } from 'ibantools';
import { interbankCode } from '../../../domain/cfonb120/codes';
import { minorUnits } from '../../../domain/cfonb120/currencies';
import { CfonbError } from '../../../domain/cfonb120/errors';
import type { StatementInput, WriteOptions } from '../../../domain/cfonb120/types';

// ---- format.ts -----------------------------------------------------------------------------------
const RECORD_LENGTH = 120;

// ---- amounts: 14 positions, last character = last digit + sign ("overpunch") --------------------
const POSITIVE = '{ABCDEFGHI';
const NEGATIVE = '}JKLMNOPQR';
const AMOUNT_WIDTH = 14;
const MAX_MINOR = 10n ** 14n - 1n;

/** Decimal string ("-42.10") → integer minor units, exact; refuses more decimals than allowed. */
function parseDecimal(value: string, decimals: number, path: string): bigint {
  const fast = parseDecimalFast(value, decimals);
  if (fast !== null) return fast;
  const m = /^([+-])?(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!m) throw new CfonbError(`${path}: "${value}" is not a decimal number (e.g. "-42.10")`);
  const [, sign, int, fracRaw = ''] = m;
  const frac = fracRaw.replace(/0+$/, '');
  if (frac.length > decimals)
    throw new CfonbError(`${path}: "${value}" has more than ${decimals} decimal(s), the currency's minor unit`);
  const minor = BigInt(int! + frac.padEnd(decimals, '0'));
  return sign === '-' ? -minor : minor;
}

/** Common case without regex: [-]digits[.digits] with at most `decimals` decimals; null otherwise. */
function parseDecimalFast(value: string, decimals: number): bigint | null {
  let i = 0;
  let negative = false;
  if (value.charCodeAt(0) === 45) {
    negative = true;
    i = 1;
  }
  let digits = '';
  let frac = -1;
  for (; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digits += value[i];
      if (frac >= 0) frac++;
    } else if (c === 46 && frac < 0) frac = 0;
    else return null;
  }
  if (digits === '' || frac === 0 || frac > decimals) return null;
  const minor = BigInt(digits + '0'.repeat(decimals - Math.max(frac, 0)));
  return negative ? -minor : minor;
}

function formatDecimal(minor: bigint, decimals: number): string {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(decimals + 1, '0');
  const text = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
  return negative ? `-${text}` : text;
}

function encodeAmount(minor: bigint, path: string): string {
  const negative = minor < 0n;
  const abs = negative ? -minor : minor;
  if (abs > MAX_MINOR) throw new CfonbError(`${path}: the amount does not fit in 14 digits`);
  const digits = abs.toString();
  const last = digits.charCodeAt(digits.length - 1) - 48;
  return digits.slice(0, -1).padStart(AMOUNT_WIDTH - 1, '0') + (negative ? NEGATIVE : POSITIVE)[last];
}

// ---- dates: DDMMYY; years 00-69 → 20xx, 70-99 → 19xx ------------------------------------------
const dateCache = new Map<string, string>();
function encodeDate(iso: string, path: string): string {
  const cached = dateCache.get(iso);
  if (cached !== undefined) return cached;
  const encoded = encodeDateUncached(iso, path);
  if (dateCache.size > 50_000) dateCache.clear();
  dateCache.set(iso, encoded);
  return encoded;
}

function encodeDateUncached(iso: string, path: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m || !isRealDate(Number(m[1]), Number(m[2]), Number(m[3])))
    throw new CfonbError(`${path}: "${iso}" is not a date (YYYY-MM-DD)`);
  const year = Number(m[1]);
  if (year < 1970 || year > 2069)
    throw new CfonbError(`${path}: year ${year} cannot be written on two digits (1970-2069)`);
  return `${m[3]}${m[2]}${m[1]!.slice(2)}`;
}

function isRealDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

// ---- text: upper-case ASCII restricted to the CFONB character set ---------------------------------
/** Characters the strictest readers accept: digits, capitals, space and these signs. */
const ALLOWED = /^[A-Z0-9 /\-?:().,'+*]*$/;
const SUBSTITUTES: Record<string, string> = {
  '"': "'",
  '`': "'",
  _: '-',
  '&': '+',
  '@': ' ',
  '#': ' ',
  ';': ',',
  '!': '.',
  '%': ' PCT',
  '=': '-',
  '<': '(',
  '>': ')',
  '[': '(',
  ']': ')',
  '{': '(',
  '}': ')',
  '|': '/',
  '\\': '/',
  '~': '-',
  $: ' ',
  '^': ' ',
};

/**
 * Transliterates any text to the CFONB set: accents and other scripts through any-ascii
 * ("é" → "E", "€" → "EUR", emoji → ":name:"), upper case, a documented substitute for each
 * remaining sign (never a silent drop), control characters and runs of spaces folded to one space.
 */
export function normalizeTextV1(text: string): string {
  const ascii = anyAscii(text.normalize('NFC')).toUpperCase();
  let out = '';
  for (const ch of ascii) {
    if (/[A-Z0-9 /\-?:().,'+*]/.test(ch)) out += ch;
    else if (SUBSTITUTES[ch] !== undefined) out += SUBSTITUTES[ch];
    else if (/\s/.test(ch) || ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f) out += ' ';
    else out += '.';
  }
  return out.replace(/ {2,}/g, ' ').trim();
}

// ---- account ------------------------------------------------------------------------------------
interface AccountIdentity {
  bankCode: string;
  branchCode: string;
  accountNumber: string;
}

/** IBANs whose BBAN is the French RIB: bank (5) + branch (5) + account (11) + key (2). */
const FRENCH_LAYOUT = new Set(['FR', 'MC', 'GP', 'MQ', 'GF', 'RE', 'PM', 'YT', 'NC', 'PF', 'WF', 'BL', 'MF', 'TF']);

/**
 * French-layout IBAN → its bank, branch and account number. Other IBANs (documented rule): bank
 * code "99999", branch code "00000", account number = the last 11 characters of the BBAN, which
 * keeps statements of one account together; the IBAN cannot be rebuilt from the file then.
 */
function accountFromIban(iban: string, path: string): AccountIdentity {
  const e = electronicFormatIBAN(iban) ?? '';
  if (!isValidIBAN(e)) throw new CfonbError(`${path}: "${iban}" is not a valid IBAN`);
  const { bban = '', countryCode = '' } = extractIBAN(e);
  if (FRENCH_LAYOUT.has(countryCode))
    return { bankCode: bban.slice(0, 5), branchCode: bban.slice(5, 10), accountNumber: bban.slice(10, 21) };
  return { bankCode: '99999', branchCode: '00000', accountNumber: bban.slice(-11).padStart(11, '0') };
}

// ---- writer.ts -----------------------------------------------------------------------------------
const LABEL_04 = 31;
const INFO_05 = 70;
const MAX_LIB_RECORDS = 9;
const SPACE = 0x20;

/** Byte → allowed in CFONB text (digits, capitals, space and / - ? : ( ) . , ' + *). */
const ALLOWED_BYTE = new Uint8Array(128);
for (let c = 0; c < 128; c++) ALLOWED_BYTE[c] = ALLOWED.test(String.fromCharCode(c)) ? 1 : 0;

/** Already in its CFONB form: allowed characters only, no leading/trailing or double spaces. */
function isNormalized(value: string): boolean {
  const n = value.length;
  if (n === 0 || value.charCodeAt(0) === SPACE || value.charCodeAt(n - 1) === SPACE) return false;
  let previous = 0;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c > 127 || ALLOWED_BYTE[c] === 0 || (c === SPACE && previous === SPACE)) return false;
    previous = c;
  }
  return true;
}

function text(value: string): string {
  // Fast path: text already in the CFONB set needs no transliteration.
  return isNormalized(value) ? value : normalizeTextV1(value);
}

/** One movement, validated, with its fields in their final encoded form. */
interface PreparedMovement {
  code: string;
  booking: string;
  value: string;
  label: string;
  entry: string;
  amount: string;
  reference: string;
  counterpartyQualifier: string;
  counterparty: string;
  libRecords: number;
}

interface PreparedStatement {
  /** Positions 3-32 (30 characters) shared by every record of the statement, internal code blank. */
  head: Buffer;
  openingDate: string;
  closingDate: string;
  opening: string;
  closing: string;
  movements: PreparedMovement[];
  records: number;
}

export function writeCfonbV1(statements: StatementInput[], options: WriteOptions = {}): Buffer {
  const sep = Buffer.from(options.lineSeparator ?? '\n', 'latin1');
  // Statement by statement: the prepared fields stay short-lived (young-generation garbage), and
  // an error anywhere throws before any byte is returned.
  const chunks = statements.map((s, i) => writeStatement(prepareStatement(s, `statements[${i}]`), sep));
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

function writeStatement(p: PreparedStatement, sep: Buffer): Buffer {
  const stride = RECORD_LENGTH + sep.length;
  const out = Buffer.allocUnsafe(p.records * stride);
  // Record templates: the constant parts written once, copied natively, then the variable fields.
  const t04 = template('04', p.head, sep);
  const t05 = template('05', p.head, sep);
  let off = 0;
  off = balanceRecord(out, off, '01', p.head, p.openingDate, p.opening);
  off = putBytes(out, off, sep);
  for (const m of p.movements) {
    out.set(t04, off);
    put(out, off + 32, m.code);
    put(out, off + 34, m.booking);
    put(out, off + 42, m.value);
    putText(out, off + 48, m.label, 0, LABEL_04);
    put(out, off + 81, m.entry);
    put(out, off + 90, m.amount);
    putText(out, off + 104, m.reference, 0, 16);
    off += stride;
    for (let k = 0; k < m.libRecords; k++) {
      out.set(t05, off);
      complement(out, off, m, 'LIB');
      putText(out, off + 48, m.label, LABEL_04 + k * INFO_05, INFO_05);
      off += stride;
    }
    if (m.counterparty) {
      out.set(t05, off);
      complement(out, off, m, m.counterpartyQualifier);
      putText(out, off + 48, m.counterparty, 0, INFO_05);
      off += stride;
    }
  }
  off = balanceRecord(out, off, '07', p.head, p.closingDate, p.closing);
  off = putBytes(out, off, sep);
  if (off !== out.length) throw new Error(`internal: ${off} bytes written for ${out.length} expected`);
  return out;
}

/** A record of `code` + the statement's positions 3-32, blanks elsewhere, and the separator; 04s carry "00" at 89-90. */
function template(code: string, head: Uint8Array, sep: Buffer): Buffer {
  const t = Buffer.alloc(RECORD_LENGTH + sep.length, SPACE);
  put(t, 0, code);
  t.set(head, 2);
  if (code === '04') put(t, 88, '00');
  t.set(sep, RECORD_LENGTH);
  return t;
}

function complement(out: Buffer, off: number, m: PreparedMovement, qualifier: string): void {
  put(out, off + 32, m.code);
  put(out, off + 34, m.booking);
  put(out, off + 45, qualifier);
}

function prepareStatement(s: StatementInput, path: string): PreparedStatement {
  const currency = s.account?.currency;
  const decimals = typeof currency === 'string' ? minorUnits(currency) : undefined;
  if (decimals === undefined)
    throw new CfonbError(`${path}.account.currency: "${currency}" is not an ISO 4217 currency code`);
  const acc = accountFromIban(String(s.account.iban ?? ''), `${path}.account.iban`);
  const head = Buffer.from(
    `${acc.bankCode}    ${acc.branchCode}${currency}${decimals} ${acc.accountNumber.padEnd(11, ' ')}`,
    'latin1',
  );

  const openingDate = encodeDate(s.opening?.date, `${path}.opening.date`);
  const closingDate = encodeDate(s.closing?.date, `${path}.closing.date`);
  if (s.closing.date < s.opening.date)
    throw new CfonbError(`${path}.closing.date: ${s.closing.date} is before the opening date ${s.opening.date}`);
  const opening = parseDecimal(String(s.opening.balance), decimals, `${path}.opening.balance`);
  const closing = parseDecimal(String(s.closing.balance), decimals, `${path}.closing.balance`);

  let total = opening;
  let records = 2;
  const inputs = Array.isArray(s.movements) ? s.movements : [];
  const movements: PreparedMovement[] = new Array(inputs.length);
  for (let j = 0; j < inputs.length; j++) {
    const m = inputs[j]!;
    const mp = `${path}.movements[${j}]`;
    const amount = parseDecimal(String(m.amount), decimals, `${mp}.amount`);
    total += amount;
    const booking = encodeDate(m.bookingDate, `${mp}.bookingDate`);
    if (m.bookingDate < s.opening.date || m.bookingDate > s.closing.date)
      throw new CfonbError(
        `${mp}.bookingDate: ${m.bookingDate} is outside the period ${s.opening.date} – ${s.closing.date}`,
      );
    const value = m.valueDate === undefined ? booking : encodeDate(m.valueDate, `${mp}.valueDate`);
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
    const libRecords = label.length > LABEL_04 ? Math.ceil((label.length - LABEL_04) / INFO_05) : 0;
    records += 1 + libRecords + (counterparty ? 1 : 0);
    movements[j] = {
      code: interbankCode(m.type, amount < 0n),
      booking,
      value,
      label,
      entry: entry === '' ? '0000000' : entry.padStart(7, '0'),
      amount: encodeAmount(amount, `${mp}.amount`),
      reference,
      counterpartyQualifier: amount < 0n ? 'NBE' : 'NPY',
      counterparty,
      libRecords,
    };
  }
  if (total !== closing)
    throw new CfonbError(
      `${path}.closing.balance: opening balance + movements = ${formatDecimal(total, decimals)}, not ${s.closing.balance}`,
    );
  return {
    head,
    openingDate,
    closingDate,
    opening: encodeAmount(opening, `${path}.opening.balance`),
    closing: encodeAmount(closing, `${path}.closing.balance`),
    movements,
    records,
  };
}

// ---- byte-level helpers (all text here is already ASCII) ----------------------------------------
function put(out: Buffer, off: number, s: string): number {
  for (let i = 0; i < s.length; i++) out[off + i] = s.charCodeAt(i);
  return off + s.length;
}
function fill(out: Buffer, off: number, n: number): number {
  for (let i = 0; i < n; i++) out[off + i] = SPACE;
  return off + n;
}
/** Small copies by hand: Buffer#copy costs more than the 30 bytes it moves. */
function putBytes(out: Buffer, off: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) out[off + i] = bytes[i]!;
  return off + bytes.length;
}
/** Writes `s[from, from + width)` over a blank zone (the template's spaces pad it). */
function putText(out: Buffer, off: number, s: string, from: number, width: number): void {
  const end = Math.min(s.length, from + width);
  for (let i = from; i < end; i++) out[off + i - from] = s.charCodeAt(i);
}
function balanceRecord(out: Buffer, off: number, code: string, head: Buffer, date: string, amount: string): number {
  off = put(out, off, code);
  off = putBytes(out, off, head);
  off = fill(out, off, 2);
  off = put(out, off, date);
  off = fill(out, off, 50);
  off = put(out, off, amount);
  return fill(out, off, 16);
}
