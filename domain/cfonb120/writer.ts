/**
 * Statements → CFONB120 bytes. Enforces the invariants before writing anything: opening balance +
 * movements = closing balance, dates within the period, every field fits, currency known.
 *
 * Per statement, two passes: the first validates and prepares each record's variable fields (and
 * so knows the exact size), the second fills a preallocated Buffer byte by byte. No intermediate
 * record strings are built, which keeps the garbage collector out of the way on large files.
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
  parseDecimal,
} from './format';
import {
  COMPLEMENT as C05,
  HEAD,
  MOVEMENT as M04,
  NEW_BALANCE,
  OLD_BALANCE,
  RECORD_LENGTH,
  type Field,
  type Layout,
} from './layout';
import type { StatementInput, WriteOptions } from './types';

const LABEL_04 = M04.label.width;
const INFO_05 = C05.information.width;
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
  return isNormalized(value) ? value : normalizeText(value);
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

export function writeCfonb(statements: StatementInput[], options: WriteOptions = {}): Buffer {
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
  const t04 = template(M04, p.head, sep);
  const t05 = template(C05, p.head, sep);
  let off = 0;
  off = balanceRecord(out, off, OLD_BALANCE, p.head, p.openingDate, p.opening, sep);
  for (const m of p.movements) {
    out.set(t04, off);
    put(out, off + M04.interbankCode.offset, m.code);
    put(out, off + M04.bookingDate.offset, m.booking);
    put(out, off + M04.valueDate.offset, m.value);
    putText(out, off + M04.label.offset, m.label, 0, LABEL_04);
    put(out, off + M04.entryNumber.offset, m.entry);
    put(out, off + M04.amount.offset, m.amount);
    putText(out, off + M04.reference.offset, m.reference, 0, M04.reference.width);
    off += stride;
    for (let k = 0; k < m.libRecords; k++) {
      out.set(t05, off);
      complement(out, off, m, 'LIB');
      putText(out, off + C05.information.offset, m.label, LABEL_04 + k * INFO_05, INFO_05);
      off += stride;
    }
    if (m.counterparty) {
      out.set(t05, off);
      complement(out, off, m, m.counterpartyQualifier);
      putText(out, off + C05.information.offset, m.counterparty, 0, INFO_05);
      off += stride;
    }
  }
  off = balanceRecord(out, off, NEW_BALANCE, p.head, p.closingDate, p.closing, sep);
  if (off !== out.length) throw new Error(`internal: ${off} bytes written for ${out.length} expected`);
  return out;
}

/** A record of the layout's code + the statement's positions 3-32, blanks elsewhere ("0" in flags), and the separator. */
function template(layout: Layout, head: Uint8Array, sep: Buffer): Buffer {
  const t = Buffer.alloc(RECORD_LENGTH + sep.length, SPACE);
  put(t, 0, layout.recordCode);
  t.set(head, HEAD.offset);
  for (const f of layout.fields) if (f.kind === 'flag') t.fill('0', f.offset, f.offset + f.width);
  t.set(sep, RECORD_LENGTH);
  return t;
}

function complement(out: Buffer, off: number, m: PreparedMovement, qualifier: string): void {
  put(out, off + C05.interbankCode.offset, m.code);
  put(out, off + C05.bookingDate.offset, m.booking);
  put(out, off + C05.qualifier.offset, qualifier);
}

function prepareStatement(s: StatementInput, path: string): PreparedStatement {
  const currency = s.account?.currency;
  const decimals = typeof currency === 'string' ? minorUnits(currency) : undefined;
  if (decimals === undefined)
    throw new CfonbError(`${path}.account.currency: "${currency}" is not an ISO 4217 currency code`);
  const acc = accountFromIban(String(s.account.iban ?? ''), `${path}.account.iban`);
  const head = Buffer.alloc(HEAD.width, SPACE);
  const headField = (f: Field, value: string) => head.write(value, f.offset - HEAD.offset, f.width, 'latin1');
  headField(OLD_BALANCE.bankCode, acc.bankCode);
  headField(OLD_BALANCE.branchCode, acc.branchCode);
  headField(OLD_BALANCE.currency, currency);
  headField(OLD_BALANCE.decimals, String(decimals));
  headField(OLD_BALANCE.accountNumber, acc.accountNumber);

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
/** Writes `s[from, from + width)` over a blank zone (the template's spaces pad it). */
function putText(out: Buffer, off: number, s: string, from: number, width: number): void {
  const end = Math.min(s.length, from + width);
  for (let i = from; i < end; i++) out[off + i - from] = s.charCodeAt(i);
}
function balanceRecord(
  out: Buffer,
  off: number,
  layout: typeof OLD_BALANCE,
  head: Buffer,
  date: string,
  amount: string,
  sep: Buffer,
): number {
  out.set(template(layout, head, sep), off);
  put(out, off + layout.date.offset, date);
  put(out, off + layout.balance.offset, amount);
  return off + RECORD_LENGTH + sep.length;
}
