/**
 * Statements → CFONB120 bytes. Enforces the invariants before writing anything: opening balance +
 * movements = closing balance, dates within the period, every field fits, currency known.
 *
 * Two passes over the whole input, one Buffer per call:
 *  1. validate every statement and movement in order (the first error is the one thrown, naming its
 *     path, the same as the writer before this one: test/cfonb/writer-oracle.test.ts) and measure:
 *     each movement's amount in minor units (a number: 14 digits are exact below 2^53), the CFONB
 *     length of its label (→ its LIB 05 records) and whether it has a counterparty 05. That gives
 *     the exact size of the file.
 *  2. allocate the Buffer once and fill it record by record: a template per record type (code, the
 *     statement's positions 3-32, blanks, zeros, separator) copied natively, then the variable
 *     fields written as bytes at the offsets of the field tables (layout.ts): digits and the
 *     amount's overpunch computed from numbers, dates copied from their ISO characters, text
 *     streamed through the transliteration table (text.ts). No string is built per field.
 * Per movement nothing is allocated; per call, four typed arrays of one entry per movement.
 */
import * as codes from './codes';
import { minorUnits } from './currencies';
import { CfonbError } from './errors';
import * as format from './format';
import { accountFromIban, encodeDate, formatDecimal, MAX_MINOR, parseDecimal } from './format';
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
import * as text from './text';
import type { MovementInput, StatementInput, WriteOptions } from './types';

// The functions called per field, bound once: tsx (esbuild) turns every use of an imported name
// into a getter call on the exporting module, which costs more than writing the field itself.
const { interbankCode } = codes;
const { isoDay, parseMinor, putAmount, putDate } = format;
const { AS_IS, copyText, measureText, putText } = text;
/** 10^14 - 1, the largest amount in minor units. */
const MAX_AMOUNT = format.MAX_MINOR_NUMBER;

// Offsets of the variable fields, from the tables.
const INTERBANK_04 = M04.interbankCode.offset;
const BOOKING_04 = M04.bookingDate.offset;
const VALUE_04 = M04.valueDate.offset;
const LABEL_AT = M04.label.offset;
const ENTRY_04 = M04.entryNumber.offset;
const ENTRY_WIDTH = M04.entryNumber.width;
const AMOUNT_04 = M04.amount.offset;
const REFERENCE_04 = M04.reference.offset;
const REFERENCE_WIDTH = M04.reference.width;
const INTERBANK_05 = C05.interbankCode.offset;
const BOOKING_05 = C05.bookingDate.offset;
const QUALIFIER_05 = C05.qualifier.offset;
const INFO_AT = C05.information.offset;

const LABEL_04 = M04.label.width;
const INFO_05 = C05.information.width;
const MAX_LIB_RECORDS = 9;
const MAX_LABEL = LABEL_04 + INFO_05 * MAX_LIB_RECORDS;
const SPACE = 0x20;
const ZERO = 0x30;

/** The running total of a statement's movements stays a number while exact (|amounts| ≤ 10^14 < 2^47). */
const EXACT_SUM = Number.MAX_SAFE_INTEGER - 2 ** 47;
/** Stands for an amount beyond 14 digits (refused at the end of its movement's checks). */
const TOO_LARGE = MAX_AMOUNT + 1;

const LIB = bytes('LIB');
const NPY = bytes('NPY');
const NBE = bytes('NBE');

/** The input's values, coerced as the writer always did (String(…)). */
const str = (v: unknown): string => (typeof v === 'string' ? v : String(v));

/** One statement, validated: what pass 2 needs beyond the input. */
interface Prepared {
  /** Positions 3-32 of every record of the statement. */
  head: Uint8Array;
  opening: number;
  closing: number;
  openingDate: string;
  closingDate: string;
  movements: MovementInput[];
  /** Index of its first movement in the per-call arrays. */
  first: number;
}

/** Per movement of the call, filled by pass 1. */
interface Measures {
  amounts: Float64Array;
  labelLengths: Uint16Array;
  /** 1 when the label is its own CFONB form (copied as is), 0 otherwise. */
  labelsAsIs: Uint8Array;
  hasCounterparty: Uint8Array;
}

export function writeCfonb(statements: StatementInput[], options: WriteOptions = {}): Buffer {
  const sep = Buffer.from(options.lineSeparator ?? '\n', 'latin1');
  let movementCount = 0;
  for (let i = 0; i < statements.length; i++) {
    const movements = statements[i]?.movements;
    if (Array.isArray(movements)) movementCount += movements.length;
  }
  const measures: Measures = {
    amounts: new Float64Array(movementCount),
    labelLengths: new Uint16Array(movementCount),
    labelsAsIs: new Uint8Array(movementCount),
    hasCounterparty: new Uint8Array(movementCount),
  };

  // Pass 1: validate and measure.
  const prepared: Prepared[] = new Array(statements.length);
  let records = 0;
  let first = 0;
  for (let i = 0; i < statements.length; i++) {
    const p = prepareStatement(statements[i]!, i, first, measures);
    prepared[i] = p;
    records += 2 + p.movements.length;
    for (let k = first; k < first + p.movements.length; k++)
      records += libRecords(measures.labelLengths[k]!) + measures.hasCounterparty[k]!;
    first += p.movements.length;
  }

  // Pass 2: write.
  const stride = RECORD_LENGTH + sep.length;
  const out = Buffer.allocUnsafe(records * stride);
  const templates = {
    t01: template(OLD_BALANCE, sep),
    t04: template(M04, sep),
    t05: template(C05, sep),
    t07: template(NEW_BALANCE, sep),
  };
  let off = 0;
  for (const p of prepared) off = writeStatement(out, off, stride, p, measures, templates);
  if (off !== out.length) throw new Error(`internal: ${off} bytes written for ${out.length} expected`);
  return out;
}

const libRecords = (labelLength: number) =>
  labelLength > LABEL_04 ? Math.ceil((labelLength - LABEL_04) / INFO_05) : 0;

function prepareStatement(s: StatementInput, i: number, first: number, measures: Measures): Prepared {
  const path = `statements[${i}]`;
  const currency = s.account?.currency;
  const decimals = typeof currency === 'string' ? minorUnits(currency) : undefined;
  if (decimals === undefined)
    throw new CfonbError(`${path}.account.currency: "${currency}" is not an ISO 4217 currency code`);
  const acc = accountFromIban(String(s.account.iban ?? ''), `${path}.account.iban`);
  const head = new Uint8Array(HEAD.width).fill(SPACE);
  const headField = (f: Field, value: string) => {
    for (let k = 0; k < f.width && k < value.length; k++) head[f.offset - HEAD.offset + k] = value.charCodeAt(k);
  };
  headField(OLD_BALANCE.bankCode, acc.bankCode);
  headField(OLD_BALANCE.branchCode, acc.branchCode);
  headField(OLD_BALANCE.currency, currency!);
  headField(OLD_BALANCE.decimals, String(decimals));
  headField(OLD_BALANCE.accountNumber, acc.accountNumber);

  encodeDate(s.opening?.date, `${path}.opening.date`);
  encodeDate(s.closing?.date, `${path}.closing.date`);
  if (s.closing.date < s.opening.date)
    throw new CfonbError(`${path}.closing.date: ${s.closing.date} is before the opening date ${s.opening.date}`);
  const openingDate = str(s.opening.date);
  const closingDate = str(s.closing.date);
  const openingDay = isoDay(openingDate);
  const closingDay = isoDay(closingDate);
  const opening = parseDecimal(String(s.opening.balance), decimals, `${path}.opening.balance`);
  const closing = parseDecimal(String(s.closing.balance), decimals, `${path}.closing.balance`);

  const movements = Array.isArray(s.movements) ? s.movements : [];
  const { amounts, labelLengths, labelsAsIs, hasCounterparty } = measures;
  const mp = (j: number) => `${path}.movements[${j}]`;
  // Movements often share their dates: the last one checked is remembered.
  let lastBooking: string | null = null;
  let lastBookingDay = -1;
  let lastValue: string | null = null;
  let sum = 0;
  let sumCarried = 0n;
  for (let j = 0; j < movements.length; j++) {
    const m = movements[j]!;
    const amountText = str(m.amount);
    let minor = parseMinor(amountText, decimals);
    if (Number.isNaN(minor)) {
      const exact = parseDecimal(amountText, decimals, `${mp(j)}.amount`);
      minor = exact > MAX_MINOR ? TOO_LARGE : exact < -MAX_MINOR ? -TOO_LARGE : Number(exact);
    } else if (minor > MAX_AMOUNT) minor = TOO_LARGE;
    else if (minor < -MAX_AMOUNT) minor = -TOO_LARGE;
    sum += minor;
    if (sum > EXACT_SUM || sum < -EXACT_SUM) {
      sumCarried += BigInt(sum);
      sum = 0;
    }

    const booking = str(m.bookingDate);
    if (booking !== lastBooking) {
      lastBookingDay = isoDay(booking);
      if (lastBookingDay < 0) refuseDate(m.bookingDate, `${mp(j)}.bookingDate`);
      lastBooking = booking;
    }
    const bookingDay = lastBookingDay;
    if (bookingDay < openingDay || bookingDay > closingDay)
      throw new CfonbError(
        `${mp(j)}.bookingDate: ${m.bookingDate} is outside the period ${s.opening.date} – ${s.closing.date}`,
      );
    if (m.valueDate !== undefined) {
      const value = str(m.valueDate);
      if (value !== lastValue) {
        if (isoDay(value) < 0) refuseDate(m.valueDate, `${mp(j)}.valueDate`);
        lastValue = value;
      }
    }

    const measured = measureText(str(m.label ?? ''));
    const labelLength = measured >= AS_IS ? measured - AS_IS : measured;
    if (labelLength === 0) throw new CfonbError(`${mp(j)}.label: the label is empty`);
    if (labelLength > MAX_LABEL) throw new CfonbError(`${mp(j)}.label: longer than ${MAX_LABEL} characters`);
    if (m.reference !== undefined && putText(str(m.reference), null) > REFERENCE_WIDTH)
      throw new CfonbError(`${mp(j)}.reference: longer than ${REFERENCE_WIDTH} characters`);
    if (m.entryNumber !== undefined && entryNumber(m.entryNumber) === null)
      throw new CfonbError(`${mp(j)}.entryNumber: up to ${ENTRY_WIDTH} letters or digits expected`);
    const counterpartyLength = m.counterparty === undefined ? 0 : putText(str(m.counterparty), null);
    if (counterpartyLength > INFO_05) throw new CfonbError(`${mp(j)}.counterparty: longer than ${INFO_05} characters`);
    if (minor === TOO_LARGE || minor === -TOO_LARGE)
      throw new CfonbError(`${mp(j)}.amount: the amount does not fit in 14 digits`);

    amounts[first + j] = minor;
    labelLengths[first + j] = labelLength;
    labelsAsIs[first + j] = measured >= AS_IS ? 1 : 0;
    hasCounterparty[first + j] = counterpartyLength > 0 ? 1 : 0;
  }
  const total = opening + sumCarried + BigInt(sum);
  if (total !== closing)
    throw new CfonbError(
      `${path}.closing.balance: opening balance + movements = ${formatDecimal(total, decimals)}, not ${s.closing.balance}`,
    );
  if (opening > MAX_MINOR || opening < -MAX_MINOR)
    throw new CfonbError(`${path}.opening.balance: the amount does not fit in 14 digits`);
  if (closing > MAX_MINOR || closing < -MAX_MINOR)
    throw new CfonbError(`${path}.closing.balance: the amount does not fit in 14 digits`);
  return {
    head,
    opening: Number(opening),
    closing: Number(closing),
    openingDate,
    closingDate,
    movements,
    first,
  };
}

/** Throws encodeDate's error for a date isoDay refused. */
function refuseDate(value: unknown, path: string): never {
  encodeDate(value as string, path);
  throw new Error(`internal: ${path} "${String(value)}" accepted by encodeDate, refused by isoDay`);
}

/**
 * The entry number as written before padding: upper case, up to 7 letters or digits; null when it
 * is not one. ASCII needs no toUpperCase (nor its string); other text may upper-case to ASCII ("ß").
 */
function entryNumber(value: unknown): string | null {
  const s = str(value);
  if (s.length <= ENTRY_WIDTH) {
    let ascii = true;
    for (let k = 0; k < s.length && ascii; k++) {
      const c = s.charCodeAt(k);
      const lower = c | 0x20;
      ascii = (c >= 0x30 && c <= 0x39) || (lower >= 0x61 && lower <= 0x7a);
    }
    if (ascii) return s;
  }
  const upper = s.toUpperCase();
  return /^[0-9A-Z]{0,7}$/.test(upper) ? upper : null;
}

/**
 * The layout's record as every record of its type starts: its code, blanks, zeros in the amount
 * and in the 04's flags and entry number (what an absent entry number is written as; putAmount
 * and putEntryNumber then write only significant digits), and the separator.
 */
function template(layout: Layout, sep: Buffer): Uint8Array {
  const t = new Uint8Array(RECORD_LENGTH + sep.length).fill(SPACE);
  for (const f of layout.fields) {
    if (f.kind === 'code') for (let k = 0; k < f.width; k++) t[f.offset + k] = layout.recordCode.charCodeAt(k);
    if (f.kind === 'flag' || f.kind === 'amount' || f === M04.entryNumber) t.fill(ZERO, f.offset, f.offset + f.width);
  }
  t.set(sep, RECORD_LENGTH);
  return t;
}

interface Templates {
  t01: Uint8Array;
  t04: Uint8Array;
  t05: Uint8Array;
  t07: Uint8Array;
}

function writeStatement(
  out: Buffer,
  off: number,
  stride: number,
  p: Prepared,
  measures: Measures,
  { t01, t04, t05, t07 }: Templates,
): number {
  for (const t of [t01, t04, t05, t07]) t.set(p.head, HEAD.offset);
  const { amounts, labelLengths, labelsAsIs, hasCounterparty } = measures;

  out.set(t01, off);
  putDate(out, off + OLD_BALANCE.date.offset, p.openingDate);
  putAmount(out, off + OLD_BALANCE.balance.offset, p.opening);
  off += stride;

  const movements = p.movements;
  // Interbank codes by Powens type, computed once: credit code << 16 | debit code, one byte a character.
  const codesByType = new Map<unknown, number>();
  for (let j = 0, k = p.first; j < movements.length; j++, k++) {
    const m = movements[j]!;
    const minor = amounts[k]!;
    const negative = minor < 0;
    let pair = codesByType.get(m.type);
    if (pair === undefined) {
      const credit = interbankCode(m.type, false);
      const debit = interbankCode(m.type, true);
      pair =
        (credit.charCodeAt(0) << 24) | (credit.charCodeAt(1) << 16) | (debit.charCodeAt(0) << 8) | debit.charCodeAt(1);
      codesByType.set(m.type, pair);
    }
    const code = negative ? pair & 0xffff : pair >>> 16;
    const c0 = code >>> 8;
    const c1 = code & 0xff;
    const booking = str(m.bookingDate);
    const lib = libRecords(labelLengths[k]!);

    // The 04 and its 05s: templates first, the label then runs from the 04 into the LIBs.
    out.set(t04, off);
    out[off + INTERBANK_04] = c0;
    out[off + INTERBANK_04 + 1] = c1;
    putDate(out, off + BOOKING_04, booking);
    putDate(out, off + VALUE_04, m.valueDate === undefined ? booking : str(m.valueDate));
    if (m.entryNumber !== undefined) putEntryNumber(out, off + ENTRY_04, m.entryNumber);
    putAmount(out, off + AMOUNT_04, minor);
    if (m.reference !== undefined) putText(str(m.reference), out, off + REFERENCE_04, REFERENCE_WIDTH);
    let o = off + stride;
    for (let r = 0; r < lib; r++, o += stride) complement(out, o, t05, c0, c1, booking, LIB);
    const label = str(m.label ?? '');
    if (labelsAsIs[k] === 1) copyText(label, out, off + LABEL_AT, LABEL_04, off + stride + INFO_AT, INFO_05, stride);
    else putText(label, out, off + LABEL_AT, LABEL_04, off + stride + INFO_AT, INFO_05, stride);
    if (hasCounterparty[k] === 1) {
      complement(out, o, t05, c0, c1, booking, negative ? NBE : NPY);
      putText(str(m.counterparty), out, o + INFO_AT, INFO_05);
      o += stride;
    }
    off = o;
  }

  out.set(t07, off);
  putDate(out, off + NEW_BALANCE.date.offset, p.closingDate);
  putAmount(out, off + NEW_BALANCE.balance.offset, p.closing);
  return off + stride;
}

function complement(
  out: Buffer,
  o: number,
  t05: Uint8Array,
  c0: number,
  c1: number,
  booking: string,
  qualifier: Uint8Array,
): void {
  out.set(t05, o);
  out[o + INTERBANK_05] = c0;
  out[o + INTERBANK_05 + 1] = c1;
  putDate(out, o + BOOKING_05, booking);
  out[o + QUALIFIER_05] = qualifier[0]!;
  out[o + QUALIFIER_05 + 1] = qualifier[1]!;
  out[o + QUALIFIER_05 + 2] = qualifier[2]!;
}

/** Upper case, right-aligned over the template's zeros. */
function putEntryNumber(out: Buffer, at: number, value: unknown): void {
  const entry = entryNumber(value)!;
  const pad = ENTRY_WIDTH - entry.length;
  for (let k = 0; k < entry.length; k++) {
    const c = entry.charCodeAt(k);
    out[at + pad + k] = c >= 0x61 ? c - 0x20 : c;
  }
}

function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}
