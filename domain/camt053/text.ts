/**
 * Text for XML 1.0 elements: cleaning (only characters XML allows, no control characters), escaping,
 * and cutting to the schema's lengths on code points (xs:maxLength counts characters, not UTF-16
 * units), so that a cut never splits a surrogate pair.
 */

const SPACE = 0x20;

/** Printable ASCII without leading, trailing or double spaces: already clean. */
function isCleanAscii(value: string): boolean {
  const n = value.length;
  if (n === 0 || value.charCodeAt(0) === SPACE || value.charCodeAt(n - 1) === SPACE) return false;
  let previous = 0;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < SPACE || c > 0x7e || (c === SPACE && previous === SPACE)) return false;
    previous = c;
  }
  return true;
}

/** Unicode white space (JavaScript's \s: tab, CR, LF, NEL, no-break and other spaces, line separators, BOM). */
function isSpace(cp: number): boolean {
  return (
    cp === SPACE ||
    (cp >= 0x09 && cp <= 0x0d) ||
    cp === 0x85 ||
    cp === 0xa0 ||
    cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0x202f ||
    cp === 0x205f ||
    cp === 0x3000 ||
    cp === 0xfeff
  );
}

/**
 * NFC; white space (tab, CR, LF, no-break space, U+2028…) → space; other control characters (C0,
 * DEL, C1), lone surrogates and U+FFFE/U+FFFF removed; runs of spaces folded to one; trimmed.
 */
export function cleanText(value: string): string {
  if (isCleanAscii(value)) return value;
  let out = '';
  let previousSpace = true; // drops leading spaces
  for (const ch of value.normalize('NFC')) {
    let cp = ch.codePointAt(0)!;
    if (isSpace(cp)) cp = SPACE;
    else if (
      cp < SPACE ||
      (cp >= 0x7f && cp <= 0x9f) ||
      (cp >= 0xd800 && cp <= 0xdfff) ||
      cp === 0xfffe ||
      cp === 0xffff
    )
      continue;
    if (cp === SPACE) {
      if (previousSpace) continue;
      previousSpace = true;
      out += ' ';
    } else {
      previousSpace = false;
      out += ch;
    }
  }
  return previousSpace && out.length > 0 ? out.slice(0, -1) : out;
}

const SPECIAL = /[&<>"']/;
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes the five XML special characters (text is already clean). */
export function escapeXml(value: string): string {
  return SPECIAL.test(value) ? value.replace(/[&<>"']/g, (c) => ENTITIES[c]!) : value;
}

/** Number of code points. */
export function codePointLength(value: string): number {
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

/** The first `max` code points (trailing space removed when cut). */
export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  return chunks(value, max)[0]!.trimEnd();
}

/** Consecutive pieces of at most `size` code points; joined they give `value` back. */
export function chunks(value: string, size: number): string[] {
  if (value.length <= size) return [value];
  const out: string[] = [];
  let start = 0;
  let count = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) continue; // low surrogate: belongs to the code point before it
    if (count === size) {
      out.push(value.slice(start, i));
      start = i;
      count = 0;
    }
    count++;
  }
  out.push(value.slice(start));
  return out;
}
