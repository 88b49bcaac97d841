/** Field-level codecs shared by the writer and the reader: amounts, dates, text, account. */
import anyAscii from 'any-ascii';
import { composeIBAN, electronicFormatIBAN, extractIBAN, isValidIBAN } from 'ibantools';
import { CfonbError } from './errors';

// ---- amounts: 14 positions, last character = last digit + sign ("overpunch") --------------------
const POSITIVE = '{ABCDEFGHI';
const NEGATIVE = '}JKLMNOPQR';
export const AMOUNT_WIDTH = 14;
export const MAX_MINOR = 10n ** 14n - 1n;

/** Decimal string ("-42.10") → integer minor units, exact; refuses more decimals than allowed. */
export function parseDecimal(value: string, decimals: number, path: string): bigint {
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

// ---- text: upper-case ASCII restricted to the CFONB character set ---------------------------------
/** Characters the strictest readers accept: digits, capitals, space and these signs. */
export const ALLOWED = /^[A-Z0-9 /\-?:().,'+*]*$/;
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
export function normalizeText(text: string): string {
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

export const padRight = (text: string, width: number) => text.padEnd(width, ' ').slice(0, width);

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
