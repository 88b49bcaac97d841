/**
 * CFONB text: any Unicode text → upper-case ASCII restricted to the CFONB character set (digits,
 * capitals, space and / - ? : ( ) . , ' + *). Rules: the text in NFC, each character
 * transliterated by any-ascii ("é" → "E", "€" → "EUR", emoji → ":name:"), upper-cased, each
 * remaining sign replaced by a documented substitute or "." (never a silent drop), control and
 * space characters → one space, runs of spaces folded to one, no leading or trailing space.
 *
 * any-ascii works code point by code point, so the CFONB form of a text is the concatenation of
 * the forms of its code points, folded. Each code point's form is computed once (any-ascii,
 * upper case, substitutes) and kept in a lookup table: a byte table for the code units below
 * U+0300 whose form is one byte (Latin-1, Latin Extended: the fast path of French labels), a
 * lazily filled 65 536-entry table for the rest of the BMP, a bounded cache for the astral planes.
 * putText streams the bytes straight into the record being written, without intermediate strings.
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
 * test/cfonb/writer-oracle.test.ts): no normalisation needed. Code unit → its one-byte form, or 0
 * when the form is not one byte (then the general path).
 */
const NFC_STABLE_BELOW = 0x300;
const ONE_BYTE = new Uint8Array(NFC_STABLE_BELOW);
for (let c = 0; c < NFC_STABLE_BELOW; c++) {
  const form = formOf(c);
  if (form.length === 1) ONE_BYTE[c] = form.charCodeAt(0);
}

/** Forms of the BMP code points, filled on first use; the astral planes in a bounded cache. */
const BMP_FORMS: Array<string | undefined> = new Array<string | undefined>(0x10000);
const ASTRAL_FORMS = new Map<number, string>();
function cachedForm(codePoint: number): string {
  if (codePoint < 0x10000) return (BMP_FORMS[codePoint] ??= formOf(codePoint));
  let form = ASTRAL_FORMS.get(codePoint);
  if (form === undefined) {
    if (ASTRAL_FORMS.size >= 4096) ASTRAL_FORMS.clear();
    form = formOf(codePoint);
    ASTRAL_FORMS.set(codePoint, form);
  }
  return form;
}

/** Where putText writes: `first` bytes from `at`, then `next` bytes from `nextAt`, `nextAt + stride`… */
interface Sink {
  out: Uint8Array | null;
  at: number;
  first: number;
  nextAt: number;
  next: number;
  stride: number;
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
  // Fast path: code units below U+0300 whose form is one byte.
  let n = 0;
  let pending = false;
  let p = at;
  let room = first;
  let following = nextAt;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    const b = c < NFC_STABLE_BELOW ? ONE_BYTE[c]! : 0;
    if (b === 0) {
      const sink = { out, at, first, nextAt, next, stride };
      return putTextSlow(text, i, n, pending, sink, p, room, following, false);
    }
    if (b === SPACE) {
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
      out[p++] = b;
      room--;
    }
    n++;
  }
  return n;
}

/**
 * The general path, from code unit `from` on, `n` bytes written so far (`p`, `room`, `following`:
 * where the next goes, as in putText's loop): code point by code point (surrogate pairs joined, lone surrogates kept, as for…of does),
 * forms from the tables. The first code unit from U+0300 on puts the text in NFC (unless it is
 * `normalized` already); when that changes it, the text starts over.
 */
function putTextSlow(
  text: string,
  from: number,
  n: number,
  pending: boolean,
  sink: Sink,
  p: number,
  room: number,
  following: number,
  normalized: boolean,
): number {
  const emit = (b: number) => {
    if (sink.out !== null) {
      if (room === 0) {
        p = following;
        following += sink.stride;
        room = sink.next;
      }
      sink.out[p++] = b;
      room--;
    }
    n++;
  };
  for (let i = from; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= NFC_STABLE_BELOW && !normalized) {
      const nfc = text.normalize('NFC');
      if (nfc !== text) {
        // Start over on the NFC text, blanking what was written (it may write fewer bytes).
        blank(sink, n);
        return putTextSlow(nfc, 0, 0, false, sink, sink.at, sink.first, sink.nextAt, true);
      }
      normalized = true;
    }
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = (cp - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
        i++;
      }
    }
    const form = cachedForm(cp);
    for (let k = 0; k < form.length; k++) {
      const b = form.charCodeAt(k);
      if (b === SPACE) {
        if (n > 0) pending = true;
        continue;
      }
      if (pending) {
        emit(SPACE);
        pending = false;
      }
      emit(b);
    }
  }
  return n;
}

/** Blanks the first `n` bytes written to `sink`. */
function blank(sink: Sink, n: number): void {
  if (sink.out === null) return;
  let p = sink.at;
  let room = sink.first;
  let nextAt = sink.nextAt;
  for (let k = 0; k < n; k++) {
    if (room === 0) {
      p = nextAt;
      nextAt += sink.stride;
      room = sink.next;
    }
    sink.out[p++] = SPACE;
    room--;
  }
}

/** Set in measureText's result when the text is already its own CFONB form: copyText writes it. */
export const AS_IS = 2 ** 30;

/**
 * putText(text, null) (the length of the CFONB form) in a loop of its own, plus AS_IS when the
 * text is its own form: every character kept as it is, no space dropped.
 */
export function measureText(text: string): number {
  let n = 0;
  let pending = false;
  let changed = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    const b = c < NFC_STABLE_BELOW ? ONE_BYTE[c]! : 0;
    if (b === 0) return putText(text, null);
    changed |= b ^ c;
    if (b === SPACE) {
      if (n > 0) pending = true;
    } else if (pending) {
      n += 2;
      pending = false;
    } else n++;
  }
  return n === length && changed === 0 ? n + AS_IS : n;
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
