/**
 * CFONB text: any Unicode text → upper-case ASCII restricted to the CFONB character set (digits,
 * capitals, space and / - ? : ( ) . , ' + *). Rules: the text in NFC, each character
 * transliterated by any-ascii ("é" → "E", "€" → "EUR", emoji → ":name:"), upper-cased, each
 * remaining sign replaced by a documented substitute or "." (never a silent drop), control and
 * space characters → one space, runs of spaces folded to one, no leading or trailing space.
 *
 * any-ascii works code point by code point, so the CFONB form of a text is the concatenation of
 * the forms of its code points, folded. Each code point's form is computed once (any-ascii,
 * upper case, substitutes) and kept in a lookup table: tables built at load for the code units
 * below U+0300 (Latin-1, Latin Extended: French labels), lazily filled 65 536-entry tables for the
 * rest of the BMP, a bounded cache for the astral planes. NFC is applied only to texts holding a
 * code point that may change under it (text.normalize was the costliest step). putText
 * streams the bytes straight into the record being written, without intermediate strings.
 */
import anyAscii from 'any-ascii';

const SPACE = 0x20;

/** Characters the strictest readers accept, kept as they are. */
const KEPT = /[A-Z0-9 /\-?:().,'+*]/;
/** Visible substitutes of the other ASCII signs. */
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

/** The CFONB form of one code point, spaces not folded yet. */
function formOf(codePoint: number): string {
  let out = '';
  for (const ch of anyAscii(String.fromCodePoint(codePoint)).toUpperCase()) {
    if (KEPT.test(ch)) out += ch;
    else if (Object.hasOwn(SUBSTITUTES, ch)) out += SUBSTITUTES[ch];
    else if (/\s/.test(ch) || ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f) out += ' ';
    else out += '.';
  }
  return out;
}

/**
 * Below U+0300 a text is already in NFC whatever its characters (checked for every pair of them in
 * test/cfonb/writer-oracle.test.ts). Code unit → its form, and its one byte when the form is one
 * byte (0 otherwise).
 */
const NFC_STABLE_BELOW = 0x300;
const LOW_FORMS: string[] = [];
const ONE_BYTE = new Uint8Array(NFC_STABLE_BELOW);
for (let c = 0; c < NFC_STABLE_BELOW; c++) {
  LOW_FORMS[c] = formOf(c);
  if (LOW_FORMS[c]!.length === 1) ONE_BYTE[c] = LOW_FORMS[c]!.charCodeAt(0);
}

/**
 * Whether a code point from U+0300 on may change a text's NFC, so that the text must be
 * normalised first. Spared: punctuation, symbols and emoji (U+2000-U+2BFF: ’ “ ” « – … € and
 * arrows; U+1F000-U+1FAFF) that neither decompose, nor are marks (combining marks reorder and
 * compose), nor have a combining class (the canonical reordering around U+0316 and U+0301 would
 * show it): NFC leaves them and their neighbours as they are. Every other script is normalised:
 * some of their letters compose with the one before (Hangul jamo, Kirat Rai vowels).
 */
function changesNfc(codePoint: number): boolean {
  if (!((codePoint >= 0x2000 && codePoint <= 0x2bff) || (codePoint >= 0x1f000 && codePoint <= 0x1faff))) return true;
  const x = String.fromCodePoint(codePoint);
  if (x.normalize('NFD') !== x || /\p{M}/u.test(x)) return true;
  for (const mark of ['\u0316', '\u0301'])
    if ((mark + x).normalize('NFD') !== mark + x || (x + mark).normalize('NFD') !== x + mark) return true;
  return false;
}

/**
 * Code points from U+0300 on, filled on first use: the BMP in tables (form, and 1 when the code
 * point spares the normalisation, 2 when it needs it), the astral planes in a bounded cache.
 */
const BMP_FORMS: Array<string | undefined> = new Array<string | undefined>(0x10000);
const BMP_NFC = new Uint8Array(0x10000);
const ASTRAL = new Map<number, { form: string; changesNfc: boolean }>();
function astral(codePoint: number): { form: string; changesNfc: boolean } {
  let entry = ASTRAL.get(codePoint);
  if (entry === undefined) {
    if (ASTRAL.size >= 4096) ASTRAL.clear();
    entry = { form: formOf(codePoint), changesNfc: changesNfc(codePoint) };
    ASTRAL.set(codePoint, entry);
  }
  return entry;
}
function wideChangesNfc(codePoint: number): boolean {
  if (codePoint >= 0x10000) return astral(codePoint).changesNfc;
  if (BMP_NFC[codePoint] === 0) BMP_NFC[codePoint] = changesNfc(codePoint) ? 2 : 1;
  return BMP_NFC[codePoint] === 2;
}
function wideForm(codePoint: number): string {
  if (codePoint >= 0x10000) return astral(codePoint).form;
  return (BMP_FORMS[codePoint] ??= formOf(codePoint));
}

/**
 * Writes the CFONB form of `text` into `out`: its first `first` bytes from `at`, the following ones
 * `next` at a time from `nextAt`, `nextAt + stride`, … (a 04 label continued in its 05 LIB
 * records). The caller has checked that the form fits. With `out` null, only measures.
 * Returns the length of the form, normalizeText(text).length.
 */
export function putText(
  text: string,
  out: Uint8Array | null,
  at = 0,
  first = 0,
  nextAt = 0,
  next = 0,
  stride = 0,
): number {
  return putForms(text, false, out, at, first, nextAt, next, stride);
}

/**
 * putText's loop, code point by code point (surrogate pairs joined, lone surrogates kept, as
 * for…of does): each one's form from the tables, spaces folded on the way. The first code point
 * that may change the text's NFC puts the text in NFC (unless `normalized` already); when that
 * changes it, the text is written again from its start.
 */
function putForms(
  text: string,
  normalized: boolean,
  out: Uint8Array | null,
  at: number,
  first: number,
  nextAt: number,
  next: number,
  stride: number,
): number {
  let n = 0;
  let pending = false;
  let p = at;
  let room = first;
  let following = nextAt;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    let c = text.charCodeAt(i);
    let b = c < NFC_STABLE_BELOW ? ONE_BYTE[c]! : 0;
    let form = '';
    if (b === 0) {
      if (c < NFC_STABLE_BELOW) form = LOW_FORMS[c]!;
      else {
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < length) {
          const low = text.charCodeAt(i + 1);
          if (low >= 0xdc00 && low <= 0xdfff) {
            c = (c - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
            i++;
          }
        }
        if (!normalized && wideChangesNfc(c)) {
          normalized = true;
          const nfc = text.normalize('NFC');
          if (nfc !== text) {
            // It may write fewer bytes: blank what was written.
            if (out !== null) putSpaces(out, n, at, first, nextAt, next, stride);
            return putForms(nfc, true, out, at, first, nextAt, next, stride);
          }
        }
        form = wideForm(c);
      }
      if (form.length === 1) b = form.charCodeAt(0);
    }
    const count = b === 0 ? form.length : 1;
    for (let k = 0; k < count; k++) {
      const byte = b === 0 ? form.charCodeAt(k) : b;
      if (byte === SPACE) {
        if (n > 0) pending = true;
        continue;
      }
      if (pending) {
        if (out !== null) {
          if (room === 0) {
            p = following;
            following += stride;
            room = next;
          }
          out[p++] = SPACE;
          room--;
        }
        n++;
        pending = false;
      }
      if (out !== null) {
        if (room === 0) {
          p = following;
          following += stride;
          room = next;
        }
        out[p++] = byte;
        room--;
      }
      n++;
    }
  }
  return n;
}

/** Blanks the first `n` bytes putText wrote with these arguments. */
function putSpaces(
  out: Uint8Array,
  n: number,
  at: number,
  first: number,
  nextAt: number,
  next: number,
  stride: number,
): void {
  let p = at;
  let room = first;
  let following = nextAt;
  for (let k = 0; k < n; k++) {
    if (room === 0) {
      p = following;
      following += stride;
      room = next;
    }
    out[p++] = SPACE;
    room--;
  }
}

/** Set in measureText's result when the text is already its own CFONB form: copyText writes it. */
export const AS_IS = 2 ** 30;

/**
 * Texts that are their own CFONB form: characters KEPT as they are, one space between words. The
 * regular expression (compiled to machine code by V8) checks that twice as fast as a loop.
 */
const OWN_FORM = /^[-A-Z0-9/?:().,'+*]+(?: [-A-Z0-9/?:().,'+*]+)*$/;

/** putText(text, null), the length of the CFONB form, plus AS_IS when the text is its own form. */
export function measureText(text: string): number {
  return OWN_FORM.test(text) ? text.length + AS_IS : putText(text, null);
}

/** putText for a text measureText found AS_IS: its characters copied, segment after segment. */
export function copyText(
  text: string,
  out: Uint8Array,
  at: number,
  first: number,
  nextAt = 0,
  next = 0,
  stride = 0,
): void {
  const length = text.length;
  let i = 0;
  let end = length < first ? length : first;
  for (let p = at; i < end; i++, p++) out[p] = text.charCodeAt(i);
  for (let segment = nextAt; i < length; segment += stride) {
    end = length - i < next ? length : i + next;
    for (let p = segment; i < end; i++, p++) out[p] = text.charCodeAt(i);
  }
}

/** The CFONB form of `text` as a string (the writer streams it with putText instead). */
export function normalizeText(text: string): string {
  const length = putText(text, null);
  const bytes = Buffer.allocUnsafe(length);
  putText(text, bytes, 0, length);
  return bytes.toString('latin1');
}
