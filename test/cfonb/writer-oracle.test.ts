/**
 * The writer against its oracle, the writer as it was before the byte-level rewrite
 * (./oracle/writer-v1.ts): on random statements, valid or not, both give the same bytes or the
 * same error (class and message). Fixed seeds: a failure reproduces; change SEED to explore.
 */
import { composeIBAN } from 'ibantools';
import fc from 'fast-check';
import {
  CURRENCY_CODES,
  minorUnits,
  normalizeText,
  POWENS_TYPE_CODES,
  writeCfonb,
  type MovementInput,
  type StatementInput,
  type WriteOptions,
} from '../../domain/cfonb120';
import { ribKey } from '../../domain/cfonb120/format';
import { AS_IS, measureText } from '../../domain/cfonb120/text';
import { normalizeTextV1, writeCfonbV1 } from './oracle/writer-v1';

const SEED = 20261123;

type Outcome = { bytes: string } | { error: string };
function outcome(write: () => Buffer): Outcome {
  try {
    return { bytes: write().toString('latin1') };
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

// ---- accounts -------------------------------------------------------------------------------------
const frenchIban = fc
  .record({
    country: fc.constantFrom('FR', 'FR', 'FR', 'MC', 'GP', 'NC'),
    bank: fc.stringMatching(/^\d{5}$/),
    branch: fc.stringMatching(/^\d{5}$/),
    account: fc.stringMatching(/^[0-9A-Z]{11}$/),
  })
  .map(({ country, bank, branch, account }) => {
    const key = ribKey({ bankCode: bank, branchCode: branch, accountNumber: account });
    return composeIBAN({ countryCode: country, bban: bank + branch + account + key })!;
  });
const ibanArb = fc.oneof(
  { weight: 8, arbitrary: frenchIban },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'DE89370400440532013000',
      'GB82WEST12345698765432',
      'NL91ABNA0417164300',
      'BE68539007547034',
      'NO9386011117947',
      'fr76 3000 4000 0312 3456 7890 143',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('FR7630004000031234567890144', '', 'not an iban', 'FR76') },
);
const currencyArb = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom(...CURRENCY_CODES) },
  { weight: 1, arbitrary: fc.constantFrom('XXX', 'eur', '', 'EURO') },
);

// ---- dates ----------------------------------------------------------------------------------------
const DAY = 86_400_000;
const EPOCH_1970 = Date.UTC(1970, 0, 1);
const iso = (day: number) => new Date(EPOCH_1970 + day * DAY).toISOString().slice(0, 10);
const LAST_DAY = Math.round((Date.UTC(2069, 11, 31) - EPOCH_1970) / DAY);
const badDate = fc.constantFrom(
  '2026-02-29',
  '2028-02-30',
  '2026-13-01',
  '2026-00-10',
  '26-11-03',
  '2026-11-3',
  '2026/11/03',
  ' 2026-11-03',
  '2070-01-01',
  '1969-12-31',
  '',
);

// ---- amounts --------------------------------------------------------------------------------------
const MAX = 10n ** 14n - 1n;
const minorArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant(0n) },
  { weight: 10, arbitrary: fc.bigInt({ min: -100_000n, max: 100_000n }) },
  { weight: 6, arbitrary: fc.bigInt({ min: -(10n ** 10n), max: 10n ** 10n }) },
  { weight: 2, arbitrary: fc.bigInt({ min: -MAX, max: MAX }) },
  { weight: 1, arbitrary: fc.constantFrom(MAX, -MAX, MAX + 1n, -MAX - 1n, 10n ** 20n, 2n ** 53n + 1n) },
);
const decimal = (minor: bigint, decimals: number) => {
  const neg = minor < 0n;
  const d = (neg ? -minor : minor).toString().padStart(decimals + 1, '0');
  return (neg ? '-' : '') + (decimals ? `${d.slice(0, -decimals)}.${d.slice(-decimals)}` : d);
};
/** Spellings of an amount: canonical mostly, then what the parser tolerates, then what it refuses. */
const spelling = fc.oneof(
  { weight: 30, arbitrary: fc.constant('canonical') },
  {
    weight: 1,
    arbitrary: fc.constantFrom('plus', 'spaces', 'trailingZeros', 'leadingZeros', 'noFraction', 'negativeZero'),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('comma', 'extraDecimal', 'empty', 'minus', 'dot', 'letters', 'huge', 'exponent'),
  },
);
function spell(minor: bigint, decimals: number, how: string): string {
  const text = decimal(minor, decimals);
  switch (how) {
    case 'plus':
      return minor < 0n ? text : `+${text}`;
    case 'spaces':
      return ` ${text} `;
    case 'trailingZeros':
      return decimals ? `${text}00` : `${text}.000`;
    case 'leadingZeros':
      return text.replace(/^(-?)/, '$1000');
    case 'noFraction':
      return minor % 10n ** BigInt(decimals) === 0n ? text.replace(/\..*$/, '') : text;
    case 'negativeZero':
      return minor !== 0n ? text : decimals ? `-0.${'0'.repeat(decimals)}` : '-0';
    case 'comma':
      return text.replace('.', ',');
    case 'extraDecimal':
      return `${text}${decimals ? '' : '.'}1`;
    case 'empty':
      return '';
    case 'minus':
      return '-';
    case 'dot':
      return '.5';
    case 'letters':
      return `${text}O`;
    case 'huge':
      return `1${'0'.repeat(30)}`;
    case 'exponent':
      return '1e3';
    default:
      return text;
  }
}

// ---- text -----------------------------------------------------------------------------------------
const TOKENS = [
  'PRLV SEPA',
  'VIR',
  'CB',
  'Café',
  'crème brûlée',
  'Noël',
  'ÉTÉ',
  'l’été',
  '« chez Zoë »',
  '€',
  '—',
  '😀',
  '👩‍👩‍👧',
  'ß',
  'Œuvre',
  'ﬁ',
  '%',
  '&',
  '_',
  '"',
  '@',
  '\t',
  '\n',
  '\u0000',
  '\u007f',
  '\u00a0',
  '  ',
  'e\u0301',
  'A\u030a',
  '\u212b',
  '北京',
  'Привет',
  'مرحبا',
  'ĳ',
  '\ud800',
  '\udc00',
  '½',
  '²',
  '№',
  '’',
  '‘',
  '“',
  '…',
  '–',
  '\u2126',
  '\u212a',
  '\u0958',
  '\u0b47',
  '\u0b3e',
  '\u1100',
  '\u1161',
  '\u11a8',
  '가',
  '\u0f73',
  '\u0345',
  '\u0316',
  'x',
  '12345',
];
const tokenText = (maxTokens: number) =>
  fc
    .array(fc.oneof(fc.constantFrom(...TOKENS), fc.stringMatching(/^[A-Za-z0-9 .\-/]{1,12}$/)), {
      maxLength: maxTokens,
    })
    .chain((tokens) =>
      fc
        .array(fc.constantFrom(' ', '', '-', '  '), { minLength: tokens.length, maxLength: tokens.length })
        .map((seps) => tokens.map((t, i) => t + seps[i]).join('')),
    );
const anyText = (maxLength: number) =>
  fc.oneof(
    { weight: 6, arbitrary: tokenText(Math.ceil(maxLength / 4)) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength }) },
  );
/** Absent one time in three. */
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
/** Present one time in `odds`. */
const rarely = <T>(arb: fc.Arbitrary<T>, odds = 40) =>
  fc.oneof({ weight: odds - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
const typeArb = fc.option(fc.constantFrom(...Object.keys(POWENS_TYPE_CODES), 'unknown', 'Transfer', 'other', ''), {
  nil: undefined,
  freq: 5,
});
const fits = (max: number) => (text: string) => normalizeTextV1(text) !== '' && normalizeTextV1(text).length <= max;

/**
 * Movements and statements; `valid` ones pass every invariant (so that long statements get written),
 * the others mostly do, with one error now and then anywhere the writer checks something.
 */
function movementArb(valid: boolean) {
  const label = valid
    ? fc.oneof({ weight: 4, arbitrary: anyText(60) }, { weight: 1, arbitrary: anyText(700) }).filter(fits(661))
    : fc.oneof(
        { weight: 8, arbitrary: anyText(60) },
        { weight: 3, arbitrary: anyText(700) },
        { weight: 1, arbitrary: fc.constantFrom('', '   ', '\t\n', 'X'.repeat(661), 'X'.repeat(662), 'É'.repeat(661)) },
        { weight: 1, arbitrary: fc.integer({ min: 600, max: 700 }).map((n) => 'AB '.repeat(n).slice(0, n)) },
      );
  const reference = valid
    ? fc.oneof(fc.stringMatching(/^[A-Z0-9]{1,16}$/), anyText(16).filter(fits(16)))
    : fc.oneof({ weight: 5, arbitrary: fc.stringMatching(/^[A-Z0-9]{1,16}$/) }, { weight: 2, arbitrary: anyText(20) });
  const counterparty = valid
    ? fc.oneof(anyText(70).filter(fits(70)), fc.constantFrom('', '  ', 'N'.repeat(70), '%'.repeat(17)))
    : fc.oneof(
        { weight: 5, arbitrary: anyText(70) },
        { weight: 1, arbitrary: fc.constantFrom('', '  ', 'N'.repeat(70), 'N'.repeat(71), '%'.repeat(20)) },
      );
  const entryNumber = valid
    ? fc.oneof(fc.stringMatching(/^[0-9A-Za-z]{0,7}$/), fc.constantFrom('ß', 'ﬀ', 'ı', 'ﬃ1234'))
    : fc.oneof(
        { weight: 5, arbitrary: fc.stringMatching(/^[0-9A-Za-z]{0,7}$/) },
        { weight: 1, arbitrary: fc.constantFrom('ß', 'ﬀ', 'ı', 'straße', '12345678', 'A-1', ' 1', 'é') },
      );
  const never = fc.constant(undefined);
  return fc.record({
    day: fc.integer({ min: 0, max: 400 }),
    outside: valid ? never : rarely(fc.constantFrom(-1, 1)),
    valueShift: fc.option(fc.integer({ min: -5, max: 5 }), { nil: undefined }),
    badBooking: valid ? never : rarely(badDate),
    badValue: valid ? never : rarely(badDate),
    minor: valid
      ? fc.oneof(fc.constant(0n), fc.constant(0n), fc.bigInt({ min: -(10n ** 11n), max: 10n ** 11n }))
      : minorArb,
    spelling: valid ? fc.constantFrom('canonical', 'plus', 'spaces', 'trailingZeros', 'negativeZero') : spelling,
    label,
    type: typeArb,
    reference: optional(reference),
    counterparty: optional(counterparty),
    entryNumber: optional(entryNumber),
  });
}

function statementArb(valid: boolean, movements: { minLength?: number; maxLength: number }) {
  const never = fc.constant(undefined);
  return fc
    .record({
      iban: valid ? fc.oneof(frenchIban, fc.constantFrom('DE89370400440532013000', 'NO9386011117947')) : ibanArb,
      currency: valid ? fc.constantFrom(...CURRENCY_CODES) : currencyArb,
      start: valid ? fc.integer({ min: 5, max: LAST_DAY - 410 }) : fc.integer({ min: -30, max: LAST_DAY }),
      length: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 400 })),
      opening: valid ? fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }) : minorArb,
      openingSpelling: valid ? fc.constant('canonical') : spelling,
      closingSpelling: valid ? fc.constant('canonical') : spelling,
      closingDelta: valid ? never : rarely(fc.bigInt({ min: -100n, max: 100n }), 15),
      badOpening: valid ? never : rarely(badDate),
      badClosing: valid ? never : rarely(fc.oneof(badDate, fc.constant('before the opening'))),
      movements: fc.array(movementArb(valid), movements),
    })
    .map((g): StatementInput => {
      const decimals = minorUnits(g.currency) ?? 2;
      const openingDate = iso(g.start);
      let total = g.opening;
      const list = g.movements.map((m): MovementInput => {
        total += m.minor;
        const booking =
          m.outside === undefined
            ? g.start + Math.min(m.day, g.length)
            : m.outside < 0
              ? g.start - 1
              : g.start + g.length + 1;
        return {
          bookingDate: m.badBooking ?? iso(booking),
          ...(m.valueShift === undefined ? {} : { valueDate: m.badValue ?? iso(booking + m.valueShift) }),
          amount: spell(m.minor, decimals, m.spelling),
          label: m.label,
          ...(m.type === undefined ? {} : { type: m.type }),
          ...(m.reference === undefined ? {} : { reference: m.reference }),
          ...(m.counterparty === undefined ? {} : { counterparty: m.counterparty }),
          ...(m.entryNumber === undefined ? {} : { entryNumber: m.entryNumber }),
        };
      });
      return {
        account: { iban: g.iban, currency: g.currency },
        opening: { date: g.badOpening ?? openingDate, balance: spell(g.opening, decimals, g.openingSpelling) },
        closing: {
          date: g.badClosing === 'before the opening' ? iso(g.start - 1) : (g.badClosing ?? iso(g.start + g.length)),
          balance: spell(total + (g.closingDelta ?? 0n), decimals, g.closingSpelling),
        },
        movements: list,
      };
    });
}
const separatorArb = fc.constantFrom<WriteOptions['lineSeparator'] | 'default'>('default', '\n', '\r\n', '');

describe('the writer gives the bytes and the errors of its oracle (the writer before the rewrite)', () => {
  test('random statements, valid or not, every separator', () => {
    let written = 0;
    let refused = 0;
    const statements = fc.oneof(
      fc.array(statementArb(true, { maxLength: 12 }), { maxLength: 3 }),
      fc.array(statementArb(false, { maxLength: 12 }), { maxLength: 3 }),
    );
    fc.assert(
      fc.property(statements, separatorArb, (list, separator) => {
        const options: WriteOptions = separator === 'default' ? {} : { lineSeparator: separator };
        const expected = outcome(() => writeCfonbV1(list, options));
        expect(outcome(() => writeCfonb(list, options))).toEqual(expected);
        if ('bytes' in expected) written++;
        else refused++;
      }),
      { seed: SEED, numRuns: 1500 },
    );
    // Both sides exercised.
    expect(written).toBeGreaterThan(500);
    expect(refused).toBeGreaterThan(300);
  });

  test('long statements: many movements and complement records', () => {
    fc.assert(
      fc.property(statementArb(true, { minLength: 100, maxLength: 300 }), separatorArb, (statement, separator) => {
        const options: WriteOptions = separator === 'default' ? {} : { lineSeparator: separator };
        const expected = outcome(() => writeCfonbV1([statement], options));
        expect(expected).toMatchObject({ bytes: expect.any(String) });
        expect(outcome(() => writeCfonb([statement], options))).toEqual(expected);
      }),
      { seed: SEED + 1, numRuns: 40 },
    );
  });

  test('combining marks after the first bytes of a text were written, across the 04/05 boundary', () => {
    // The text is put in NFC at its first code unit from U+0300 on and written again from its start.
    for (const marked of ['A\u030a', 'e\u0301', '=\u0338', '\u1100\u1161', '%e\u0301', 'ſ\u0307', '😀e\u0301'])
      for (let at = 25; at <= 40; at++) {
        const statement: StatementInput = {
          account: { iban: 'FR7630004000031234567890143', currency: 'EUR' },
          opening: { date: '2026-11-01', balance: '0.00' },
          closing: { date: '2026-11-30', balance: '-1.00' },
          movements: [
            {
              bookingDate: '2026-11-02',
              amount: '-1.00',
              label: `${'X'.repeat(at)}${marked} FIN`,
              counterparty: `${'Y'.repeat(at)}${marked}`,
              reference: `${'Z'.repeat(at % 12)}${marked}`,
            },
          ],
        };
        expect(outcome(() => writeCfonb([statement]))).toEqual(outcome(() => writeCfonbV1([statement])));
      }
  });
});

describe('normalizeText gives the oracle’s text', () => {
  test('measureText: the CFONB length, flagged AS_IS exactly when the text is its own form', () => {
    fc.assert(
      fc.property(fc.oneof(anyText(80), fc.stringMatching(/^[A-Z0-9 /\-?:().,'+*]{0,40}$/)), (text) => {
        const form = normalizeTextV1(text);
        const measured = measureText(text);
        expect(measured >= AS_IS ? measured - AS_IS : measured).toBe(form.length);
        expect(measured >= AS_IS).toBe(text !== '' && form === text);
      }),
      { seed: SEED + 3, numRuns: 3000 },
    );
  });

  test('random strings', () => {
    fc.assert(
      fc.property(fc.oneof(anyText(200), fc.string({ unit: 'binary', maxLength: 50 })), (text) => {
        expect(normalizeText(text)).toBe(normalizeTextV1(text));
      }),
      { seed: SEED + 2, numRuns: 3000 },
    );
  });

  test('below U+0300 every text is already in NFC (text.ts skips the normalisation there)', () => {
    const changed: string[] = [];
    for (let a = 0; a < 0x300; a++) {
      const one = String.fromCharCode(a);
      if (one.normalize('NFC') !== one) changed.push(a.toString(16));
      for (let b = 0; b < 0x300; b++) {
        const two = one + String.fromCharCode(b);
        if (two.normalize('NFC') !== two) changed.push(`${a.toString(16)} ${b.toString(16)}`);
      }
    }
    expect(changed).toEqual([]);
  });

  test('every code point, alone and between letters and spaces', () => {
    const mismatches: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      const c = String.fromCodePoint(cp);
      for (const text of [c, `a ${c}${c} b`]) {
        if (normalizeText(text) !== normalizeTextV1(text)) mismatches.push(cp.toString(16));
      }
      if (mismatches.length > 20) break;
    }
    expect(mismatches).toEqual([]);
  });

  test('every BMP code point after and before characters it could compose or reorder with', () => {
    // A letter, a Hangul leading jamo and syllable, an Oriya vowel sign, marks of classes 220 and 230.
    const before = ['e', 'A', '\u1100', '가', '\u0b47', '\u0316', '\u0301'];
    const after = ['\u0301', '\u0316', '\u1161', '\u0b3e'];
    const mismatches: string[] = [];
    for (let cp = 0x300; cp <= 0xffff && mismatches.length <= 20; cp++) {
      const c = String.fromCharCode(cp);
      for (const text of [...before.map((x) => x + c), ...after.map((x) => c + x)])
        if (normalizeText(text) !== normalizeTextV1(text)) mismatches.push(`${cp.toString(16)} in ${escape(text)}`);
    }
    expect(mismatches).toEqual([]);
  });
});
