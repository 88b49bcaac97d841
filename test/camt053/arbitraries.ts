/**
 * fast-check generators of camt.053 input: statements the CFONB writer accepts too (14-digit amounts,
 * labels of at most 661 characters in CFONB form), with text that stresses XML and the code-point
 * cuts (specials, accents, emoji, white space, control characters), every currency, empty statements.
 */
import fc from 'fast-check';
import { CURRENCY_CODES, minorUnits, normalizeText, type StatementInput } from '../../domain/cfonb120';
import type { CamtMessageInput } from '../../domain/camt053';

const IBANS = [
  'FR7630004000031234567890143',
  'FR1420041010050500013M02606',
  'MC5811222000010123456789030',
  'DE89370400440532013000',
  'GB29NWBK60161331926819',
  'CH9300762011623852957',
];

const isoDay = (base: string, offset: number) =>
  new Date(Date.parse(`${base}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
const decimal = (minor: bigint, decimals: number) => {
  const neg = minor < 0n;
  const d = (neg ? -minor : minor).toString().padStart(decimals + 1, '0');
  return (neg ? '-' : '') + (decimals ? `${d.slice(0, -decimals)}.${d.slice(-decimals)}` : d);
};

/** Pieces that stress XML and the code-point cuts: specials, accents, emoji (ZWJ too), whitespace, controls. */
const PIECES = [
  '&',
  '<',
  '>',
  '"',
  "'",
  ']]>',
  '&amp;',
  '<![CDATA[x]]>',
  'é',
  'e\u0301',
  'Ç',
  'ß',
  'ø',
  '€',
  '😀',
  '👨‍👩‍👧',
  '🇫🇷',
  '東京',
  'Ελλάδα',
  ' ',
  '  ',
  '\t',
  '\n',
  '\r\n',
  '\u00a0',
  '\u2028',
  'PRLV SEPA',
  'VIR ',
  'CB ',
];
/** Removed from camt text (no XML or no meaning), turned into spaces by the CFONB writer. */
const CONTROLS = ['\u0000', '\u0001', '\u001b', '\u007f', '\u0080', '\u009f', '\ufffe', '\uffff', '\ud800', '\udfff'];
// eslint-disable-next-line no-control-regex
export const REMOVED = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f\ud800-\udfff\ufffe\uffff]/gu;
export const hasRemoved = (text: string) => text.replace(REMOVED, '') !== text;

const textArb = (maxPieces: number, controls: boolean) =>
  fc
    .array(
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...PIECES) },
        { weight: 4, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }) },
        { weight: 3, arbitrary: fc.stringMatching(/^[A-Z0-9 ]{1,40}$/) },
        { weight: controls ? 1 : 0, arbitrary: fc.constantFrom(...CONTROLS) },
      ),
      { minLength: 1, maxLength: maxPieces },
    )
    .map((parts) => parts.join(''));

const labelArb = fc
  .oneof(
    { weight: 6, arbitrary: textArb(20, true) },
    // Long ASCII labels: several Ustrd pieces and an AddtlNtryInf cut at 500.
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Z0-9 ./-]{480,640}$/) },
  )
  .filter((l) => {
    const n = normalizeText(l);
    return n !== '' && n.length <= 661 && normalizeText(l.replace(REMOVED, '')) !== '';
  });

const amountArb = (max: bigint) =>
  fc.oneof(
    fc.bigInt({ min: -1_000_000n, max: 1_000_000n }),
    fc.bigInt({ min: -max, max }),
    fc.constantFrom(0n, max, -max),
  );

const movementArb = fc.record({
  day: fc.integer({ min: 0, max: 60 }),
  valueShift: fc.option(fc.integer({ min: -3, max: 3 }), { nil: undefined }),
  amount: amountArb(10n ** 12n),
  label: labelArb,
  type: fc.option(
    fc.constantFrom('transfer', 'order', 'card', 'check', 'fee', 'deposit', 'withdrawal', 'profit', 'refund'),
    { nil: undefined },
  ),
  reference: fc.option(fc.stringMatching(/^[A-Z0-9]{1,16}$/), { nil: undefined }),
  counterparty: fc.option(
    textArb(6, false).filter((c) => normalizeText(c) !== '' && normalizeText(c).length <= 70),
    { nil: undefined },
  ),
  entryNumber: fc.option(fc.stringMatching(/^[1-9][0-9]{0,6}$/), { nil: undefined }),
});

export const statementArb = fc
  .record({
    iban: fc.constantFrom(...IBANS),
    currency: fc.constantFrom(...CURRENCY_CODES),
    start: fc.integer({ min: 0, max: 5000 }),
    length: fc.integer({ min: 0, max: 60 }),
    // CFONB amounts have 14 digits: the opening and 12 movements of up to 10^12 keep every total within them.
    opening: amountArb(10n ** 13n),
    // Empty statements often: a period without movements is a statement too.
    movements: fc.oneof(
      { weight: 1, arbitrary: fc.array(movementArb, { maxLength: 0 }) },
      { weight: 5, arbitrary: fc.array(movementArb, { maxLength: 12 }) },
    ),
  })
  .map((g): StatementInput => {
    const decimals = minorUnits(g.currency)!;
    const openingDate = isoDay('2020-01-01', g.start);
    const closingDate = isoDay(openingDate, g.length);
    let total = g.opening;
    const movements = g.movements.map((m) => {
      total += m.amount;
      const bookingDate = isoDay(openingDate, Math.min(m.day, g.length));
      return {
        bookingDate,
        valueDate: m.valueShift === undefined ? undefined : isoDay(bookingDate, m.valueShift),
        amount: decimal(m.amount, decimals),
        label: m.label,
        type: m.type,
        reference: m.reference,
        counterparty: m.counterparty,
        entryNumber: m.entryNumber,
      };
    });
    return {
      account: { iban: g.iban, currency: g.currency },
      opening: { date: openingDate, balance: decimal(g.opening, decimals) },
      closing: { date: closingDate, balance: decimal(total, decimals) },
      movements,
    };
  });

export const messageArb = fc
  .record({
    statements: fc.array(statementArb, { minLength: 1, maxLength: 3 }),
    sequence: fc.nat({ max: 99_999 }),
    bic: fc.option(fc.constantFrom('BNPAFRPP', 'AGRIFRPP882', 'DEUTDEFF'), { nil: undefined }),
    owner: fc.option(textArb(8, true), { nil: undefined }),
  })
  .map((g): CamtMessageInput => ({
    messageId: `RLV-${g.sequence}`,
    createdAt: '2026-12-01T06:00:00+01:00',
    statements: g.statements.map((s, i) => ({
      ...s,
      id: `RLV-${g.sequence}-${i + 1}`,
      electronicSequenceNumber: g.sequence + i,
      servicerBic: g.bic,
      ownerName: g.owner,
    })),
  }));
