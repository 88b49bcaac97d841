/** Field-level codecs shared by the writer and the reader: amounts, dates, account (text: text.ts). */
import { composeIBAN, electronicFormatIBAN, extractIBAN, isValidIBAN } from 'ibantools';
import { CfonbError } from './errors';

// ---- amounts: 14 positions, last character = last digit + sign ("overpunch") --------------------
const POSITIVE = '{ABCDEFGHI';
const NEGATIVE = '}JKLMNOPQR';
export const AMOUNT_WIDTH = 14;
export const MAX_MINOR = 10n ** 14n - 1n;

/** Decimal string ("-42.10") → integer minor units, exact; refuses more decimals than allowed. */
export function parseDecimal(value: string, decimals: number, path: string): bigint {
  const fast = parseMinor(value, decimals);
  if (!Number.isNaN(fast)) return BigInt(fast);
  const m = /^([+-])?(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!m) throw new CfonbError(`${path}: "${value}" is not a decimal number (e.g. "-42.10")`);
  const [, sign, int, fracRaw = ''] = m;
  const frac = fracRaw.replace(/0+$/, '');
  if (frac.length > decimals)
    throw new CfonbError(`${path}: "${value}" has more than ${decimals} decimal(s), the currency's minor unit`);
  const minor = BigInt(int! + frac.padEnd(decimals, '0'));
  return sign === '-' ? -minor : minor;
}

/**
 * The common spelling, [-]digits[.digits] with at most `decimals` decimals, without regex or
 * bigint: integer minor units as a number, exact (at most 2^53 - 1); NaN for anything else, which
 * parseDecimal then reads (or refuses) exactly. "-0.00" gives -0.
 */
export function parseMinor(value: string, decimals: number): number {
  const length = value.length;
  let i = 0;
  let negative = false;
  if (value.charCodeAt(0) === 45) {
    negative = true;
    i = 1;
  }
  let minor = 0;
  let digits = 0;
  let frac = -1;
  for (; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      // Exact while below 2^53; beyond, it stays beyond (checked below).
      minor = minor * 10 + (c - 48);
      digits++;
      if (frac >= 0) frac++;
    } else if (c === 46 && frac < 0) frac = 0;
    else return NaN;
  }
  if (digits === 0 || frac === 0 || frac > decimals) return NaN;
  for (let k = frac < 0 ? 0 : frac; k < decimals; k++) minor *= 10;
  if (minor > Number.MAX_SAFE_INTEGER) return NaN;
  return negative ? -minor : minor;
}

export function formatDecimal(minor: bigint, decimals: number): string {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(decimals + 1, '0');
  const text = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
  return negative ? `-${text}` : text;
}

export function encodeAmount(minor: bigint, path: string): string {
  const negative = minor < 0n;
  const abs = negative ? -minor : minor;
  if (abs > MAX_MINOR) throw new CfonbError(`${path}: the amount does not fit in 14 digits`);
  const digits = abs.toString();
  const last = digits.charCodeAt(digits.length - 1) - 48;
  return digits.slice(0, -1).padStart(AMOUNT_WIDTH - 1, '0') + (negative ? NEGATIVE : POSITIVE)[last];
}

/** MAX_MINOR as a number. */
export const MAX_MINOR_NUMBER = 1e14 - 1;
const POSITIVE_BYTES = Buffer.from(POSITIVE, 'latin1');
const NEGATIVE_BYTES = Buffer.from(NEGATIVE, 'latin1');

/**
 * encodeAmount's 14 bytes at `at` for minor units |minor| ≤ MAX_MINOR_NUMBER (checked by the
 * caller), over a zone already zero-filled (the writer's record templates): only the significant
 * digits are written.
 */
export function putAmount(out: Uint8Array, at: number, minor: number): void {
  const negative = minor < 0;
  const abs = negative ? -minor : minor;
  // Two halves of 7 digits each, small enough for integer arithmetic.
  let high = Math.floor(abs / 1e7);
  let low = abs - high * 1e7;
  let q = (low / 10) | 0;
  out[at + 13] = (negative ? NEGATIVE_BYTES : POSITIVE_BYTES)[low - q * 10]!;
  low = q;
  for (let p = at + 12; low > 0; p--) {
    q = (low / 10) | 0;
    out[p] = 48 + low - q * 10;
    low = q;
  }
  for (let p = at + 6; high > 0; p--) {
    q = (high / 10) | 0;
    out[p] = 48 + high - q * 10;
    high = q;
  }
}

/** Returns null when the field is not a valid amount. Negative zero reads as zero. */
export function decodeAmount(field: string): bigint | null {
  if (!/^\d{13}[{}A-R]$/.test(field)) return null;
  const last = field[13]!;
  const pos = POSITIVE.indexOf(last);
  const neg = NEGATIVE.indexOf(last);
  const value = BigInt(field.slice(0, 13) + String(pos >= 0 ? pos : neg));
  return neg >= 0 ? -value : value;
}

// ---- dates: DDMMYY; years 00-69 → 20xx, 70-99 → 19xx ------------------------------------------
const dateCache = new Map<string, string>();
export function encodeDate(iso: string, path: string): string {
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

/**
 * yyyymmdd of an ISO date (YYYY-MM-DD) that encodeDate accepts (a real date, 1970-2069), without
 * regex or Date; -1 otherwise (encodeDate then says why).
 */
export function isoDay(iso: string): number {
  if (iso.length !== 10 || iso.charCodeAt(4) !== 45 || iso.charCodeAt(7) !== 45) return -1;
  const y = digitsAt(iso, 0, 4);
  const m = digitsAt(iso, 5, 2);
  const d = digitsAt(iso, 8, 2);
  if (y < 1970 || y > 2069 || m < 1 || m > 12 || d < 1) return -1;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (d > (m === 2 ? (leap ? 29 : 28) : DAYS_IN_MONTH[m]!)) return -1;
  return y * 10000 + m * 100 + d;
}
const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number written by `n` ASCII digits from `from`, or -1. */
function digitsAt(s: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** encodeDate's DDMMYY bytes at `at`, from an ISO date isoDay accepted. */
export function putDate(out: Uint8Array, at: number, iso: string): void {
  out[at] = iso.charCodeAt(8);
  out[at + 1] = iso.charCodeAt(9);
  out[at + 2] = iso.charCodeAt(5);
  out[at + 3] = iso.charCodeAt(6);
  out[at + 4] = iso.charCodeAt(2);
  out[at + 5] = iso.charCodeAt(3);
}

export function decodeDate(field: string): string | null {
  if (!/^\d{6}$/.test(field)) return null;
  const d = Number(field.slice(0, 2));
  const mo = Number(field.slice(2, 4));
  const yy = Number(field.slice(4, 6));
  const y = yy < 70 ? 2000 + yy : 1900 + yy;
  if (!isRealDate(y, mo, d)) return null;
  return `${y}-${field.slice(2, 4)}-${field.slice(0, 2)}`;
}

function isRealDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

// ---- account ------------------------------------------------------------------------------------
export interface AccountIdentity {
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
export function accountFromIban(iban: string, path: string): AccountIdentity {
  const e = electronicFormatIBAN(iban) ?? '';
  if (!isValidIBAN(e)) throw new CfonbError(`${path}: "${iban}" is not a valid IBAN`);
  const { bban = '', countryCode = '' } = extractIBAN(e);
  if (FRENCH_LAYOUT.has(countryCode))
    return { bankCode: bban.slice(0, 5), branchCode: bban.slice(5, 10), accountNumber: bban.slice(10, 21) };
  return { bankCode: '99999', branchCode: '00000', accountNumber: bban.slice(-11).padStart(11, '0') };
}

const RIB_LETTERS: Record<string, number> = {};
'ABCDEFGHI'.split('').forEach((c, i) => (RIB_LETTERS[c] = i + 1));
'JKLMNOPQR'.split('').forEach((c, i) => (RIB_LETTERS[c] = i + 1));
'STUVWXYZ'.split('').forEach((c, i) => (RIB_LETTERS[c] = i + 2));

/** The French RIB key, letters converted as the RIB standard says. */
export function ribKey(a: AccountIdentity): string {
  const digits = (s: string) => s.replace(/[A-Z]/g, (c) => String(RIB_LETTERS[c] ?? 0));
  const n =
    (BigInt(digits(a.bankCode)) * 89n + BigInt(digits(a.branchCode)) * 15n + BigInt(digits(a.accountNumber)) * 3n) %
    97n;
  return String(97n - n).padStart(2, '0');
}

/** The French IBAN of a bank/branch/account, or undefined when it cannot be rebuilt. */
export function ibanFromAccount(a: AccountIdentity): string | undefined {
  if (a.bankCode === '99999' || !/^\d{5}$/.test(a.bankCode) || !/^\d{5}$/.test(a.branchCode)) return undefined;
  if (!/^[0-9A-Z]{11}$/.test(a.accountNumber)) return undefined;
  return composeIBAN({ countryCode: 'FR', bban: a.bankCode + a.branchCode + a.accountNumber + ribKey(a) }) ?? undefined;
}
