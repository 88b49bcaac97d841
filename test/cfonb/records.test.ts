import {
  CfonbError,
  CfonbReadError,
  decodeAmount,
  encodeAmount,
  interbankCode,
  minorUnits,
  normalizeText,
  readCfonb,
  writeCfonb,
  type StatementInput,
} from '../../domain/cfonb120';
import { cfonbSample } from '../support/fixtures';

const IBAN = 'FR7630004000031234567890143';
const statement = (over: Partial<StatementInput> = {}): StatementInput => ({
  account: { iban: IBAN, currency: 'EUR' },
  opening: { date: '2026-11-01', balance: '1234.56' },
  closing: { date: '2026-11-30', balance: '1192.46' },
  movements: [
    {
      bookingDate: '2026-11-03',
      valueDate: '2026-11-04',
      amount: '-42.10',
      label: 'PRLV SEPA EDF CLIENT 123',
      type: 'order',
    },
  ],
  ...over,
});
const lines = (buf: Buffer) => buf.toString('latin1').split('\n').filter(Boolean);

describe('hand-checked records', () => {
  test('01, 04 and 07 of a one-movement statement, every position', () => {
    const [r01, r04, r07] = lines(writeCfonb([statement()]));
    expect(r01).toBe(
      '01' +
        '30004' +
        '    ' +
        '00003' +
        'EUR' +
        '2' +
        ' ' +
        '12345678901' +
        '  ' +
        '011126' +
        ' '.repeat(50) +
        '0000000012345F' +
        ' '.repeat(16),
    );
    expect(r04).toBe(
      '04' +
        '30004' +
        '    ' +
        '00003' +
        'EUR' +
        '2' +
        ' ' +
        '12345678901' +
        'B1' +
        '031126' +
        '  ' +
        '041126' +
        'PRLV SEPA EDF CLIENT 123'.padEnd(31) +
        '  ' +
        '0000000' +
        '0' +
        '0' +
        '0000000000421}' +
        ' '.repeat(16),
    );
    expect(r07).toBe(
      '07' +
        '30004' +
        '    ' +
        '00003' +
        'EUR' +
        '2' +
        ' ' +
        '12345678901' +
        '  ' +
        '301126' +
        ' '.repeat(50) +
        '0000000011924F' +
        ' '.repeat(16),
    );
    for (const r of [r01, r04, r07]) expect(r).toHaveLength(120);
  });

  test('05 LIB continues a long label; NPY/NBE carry the counterparty; 16-char reference in the 04', () => {
    const label = 'VIR SEPA RECU DE LA SOCIETE DES EAUX DE MARSEILLE FACTURE 2026-11-0042 ET AUTRES';
    const recs = lines(
      writeCfonb([
        statement({
          closing: { date: '2026-11-30', balance: '1334.56' },
          movements: [
            {
              bookingDate: '2026-11-05',
              amount: '100',
              label,
              type: 'transfer',
              counterparty: 'Société des Eaux',
              reference: 'REF-0000000042',
            },
          ],
        }),
      ]),
    );
    expect(recs.map((r) => r.slice(0, 2))).toEqual(['01', '04', '05', '05', '07']);
    expect(recs[1]!.slice(32, 34)).toBe('05'); // transfer received
    expect(recs[1]!.slice(48, 79)).toBe(label.slice(0, 31));
    expect(recs[1]!.slice(104, 120)).toBe('REF-0000000042  ');
    expect(recs[2]!.slice(45, 48)).toBe('LIB');
    expect(recs[2]!.slice(48, 118).trimEnd()).toBe(label.slice(31));
    expect(recs[3]!.slice(45, 48)).toBe('NPY');
    expect(recs[3]!.slice(48, 118).trimEnd()).toBe('SOCIETE DES EAUX');
  });

  test.each([
    ['0', 'EUR', '0000000000000{'],
    ['-0.00', 'EUR', '0000000000000{'],
    ['0.01', 'EUR', '0000000000000A'],
    ['-0.01', 'EUR', '0000000000000J'],
    ['1234.56', 'EUR', '0000000012345F'],
    ['-42.10', 'EUR', '0000000000421}'],
    ['999999999999.99', 'EUR', '9999999999999I'],
    ['-999999999999.99', 'EUR', '9999999999999R'],
    ['12345', 'JPY', '0000000001234E'],
    ['-1.234', 'TND', '0000000000123M'],
  ])('amount %s %s → %s', (amount, currency, field) => {
    const decimals = minorUnits(currency)!;
    const [int, frac = ''] = amount.replace('-', '').split('.');
    const minor = BigInt(int! + frac.padEnd(decimals, '0')) * (amount.startsWith('-') ? -1n : 1n);
    expect(encodeAmount(minor, 'x')).toBe(field);
    expect(decodeAmount(field)).toBe(minor === 0n ? 0n : minor);
  });

  test('the largest amount that fits, and one more', () => {
    expect(() =>
      writeCfonb([
        statement({
          opening: { date: '2026-11-01', balance: '999999999999.99' },
          closing: { date: '2026-11-30', balance: '999999999957.89' },
        }),
      ]),
    ).not.toThrow();
    expect(() =>
      writeCfonb([
        statement({
          opening: { date: '2026-11-01', balance: '1000000000000.00' },
          closing: { date: '2026-11-30', balance: '999999999957.90' },
        }),
      ]),
    ).toThrow(/statements\[0\]\.opening\.balance: the amount does not fit in 14 digits/);
  });

  test('0 and 3 decimals come from the currency (JPY, TND) and are written in position 20', () => {
    const jpy = lines(
      writeCfonb([
        statement({
          account: { iban: IBAN, currency: 'JPY' },
          opening: { date: '2026-11-01', balance: '1000' },
          closing: { date: '2026-11-30', balance: '958' },
          movements: [{ bookingDate: '2026-11-03', amount: '-42', label: 'X' }],
        }),
      ]),
    );
    expect(jpy[0]!.slice(16, 20)).toBe('JPY0');
    expect(() =>
      writeCfonb([
        statement({ account: { iban: IBAN, currency: 'JPY' }, opening: { date: '2026-11-01', balance: '1000.5' } }),
      ]),
    ).toThrow('statements[0].opening.balance: "1000.5" has more than 0 decimal(s)');
    const tnd = readCfonb(
      writeCfonb([
        statement({
          account: { iban: IBAN, currency: 'TND' },
          opening: { date: '2026-11-01', balance: '1.000' },
          closing: { date: '2026-11-30', balance: '-0.234' },
          movements: [{ bookingDate: '2026-11-03', amount: '-1.234', label: 'X' }],
        }),
      ]),
    );
    expect(tnd[0]!.account.decimals).toBe(3);
    expect(tnd[0]!.closing.balance).toBe('-0.234');
  });

  test('an empty period gives a 01 and a 07 only', () => {
    const recs = lines(writeCfonb([statement({ closing: { date: '2026-11-30', balance: '1234.56' }, movements: [] })]));
    expect(recs.map((r) => r.slice(0, 2))).toEqual(['01', '07']);
  });
});

describe('writer invariants (error, no file)', () => {
  test.each([
    [
      { closing: { date: '2026-11-30', balance: '1000.00' } },
      'statements[0].closing.balance: opening balance + movements = 1192.46, not 1000.00',
    ],
    [
      { account: { iban: IBAN, currency: 'XXX' } },
      'statements[0].account.currency: "XXX" is not an ISO 4217 currency code',
    ],
    [{ account: { iban: 'FR7630004000031234567890144', currency: 'EUR' } }, 'statements[0].account.iban'],
    [
      { movements: [{ bookingDate: '2026-12-01', amount: '-42.10', label: 'X' }] },
      'statements[0].movements[0].bookingDate: 2026-12-01 is outside the period',
    ],
    [
      { movements: [{ bookingDate: '2026-11-03', amount: '-42.10', label: '   ' }] },
      'statements[0].movements[0].label: the label is empty',
    ],
    [{ movements: [{ bookingDate: '2026-11-03', amount: '-42.1O', label: 'X' }] }, 'statements[0].movements[0].amount'],
    [
      { movements: [{ bookingDate: '2026-11-03', amount: '-42.10', label: 'X', reference: 'R'.repeat(17) }] },
      'movements[0].reference: longer than 16',
    ],
    [
      { movements: [{ bookingDate: '2026-11-31', amount: '-42.10', label: 'X' }] },
      'statements[0].movements[0].bookingDate: "2026-11-31" is not a date',
    ],
  ])('%j is refused', (over, message) => {
    expect(() => writeCfonb([statement(over as Partial<StatementInput>)])).toThrow(CfonbError);
    expect(() => writeCfonb([statement(over as Partial<StatementInput>)])).toThrow(message);
  });
});

describe('text', () => {
  test('accents, quotes and emoji are transliterated, never dropped; upper case ASCII only', () => {
    expect(normalizeText('Café « Crème » l’été — 10 € "promo" 😀 ç_ß')).toBe(
      "CAFE (( CREME )) L'ETE - 10 EUR 'PROMO' :GRINNING: C-SS",
    );
    const label = 'Été à Noël: déjà vu « chez Zoë » — ' + 'x'.repeat(200);
    const [s] = readCfonb(
      writeCfonb([statement({ movements: [{ bookingDate: '2026-11-03', amount: '-42.10', label }] })]),
    );
    expect(s!.movements[0]!.label).toBe(normalizeText(label));
    expect(s!.movements[0]!.label).toHaveLength(normalizeText(label).length);
    expect(s!.movements[0]!.label).toMatch(/^[A-Z0-9 /\-?:().,'+*]+$/);
  });
});

describe('strict reader', () => {
  const good = writeCfonb([statement()]).toString('latin1');
  const corrupt = (line: number, col: number, ch: string) => {
    const ls = good.split('\n');
    ls[line - 1] = ls[line - 1]!.slice(0, col - 1) + ch + ls[line - 1]!.slice(col);
    return ls.join('\n');
  };
  test.each([
    [corrupt(2, 91, 'X'), 2, 91, 'not a signed 14-position amount'],
    [corrupt(1, 17, 'Q'), 1, 17, 'is not an ISO 4217 currency code'],
    [corrupt(3, 100, '7'), 3, 91, 'new balance'],
    [corrupt(2, 37, '9'), 2, 35, 'is not a date'],
    [corrupt(2, 60, 'é'), 2, 60, 'not printable ASCII'],
    [corrupt(1, 50, 'X'), 1, 50, 'positions 41-90 must be blank'],
    [good.replace(/\n07.*\n$/, '\n'), 1, 1, 'never closed'],
    [good.split('\n').slice(1).join('\n'), 1, 1, 'outside a statement'],
  ])('reports line and column of a violation (%#)', (text, line, column, reason) => {
    try {
      readCfonb(Buffer.from(text, 'latin1'));
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(CfonbReadError);
      expect({ line: (e as CfonbReadError).line, column: (e as CfonbReadError).column }).toEqual({ line, column });
      expect((e as Error).message).toContain(reason);
    }
  });

  test('a record of 119 characters is refused, not skipped', () => {
    expect(() => readCfonb(good.replace(/ \n04/, '\n04'))).toThrow('line 1, column 120: record of 119 characters');
  });

  test('several statements and accounts in one file, LF, CRLF or no separator', () => {
    const two = [statement(), statement({ account: { iban: 'FR1420041010050500013M02606', currency: 'EUR' } })];
    for (const lineSeparator of ['\n', '\r\n', ''] as const) {
      const read = readCfonb(writeCfonb(two, { lineSeparator }));
      expect(read.map((s) => s.account.iban)).toEqual([IBAN, 'FR1420041010050500013M02606']);
    }
  });
});

describe('the public sample files', () => {
  // Third-party files outside the repository (test/support/fixtures.ts): read before any
  // expectation, so that a missing one fails with its path rather than as a wrong error.
  // Decisions per quirk, documented in docs/cfonb120.md: strict mode refuses each quirk with its
  // line and column; lenient mode accepts the quirks that need no guessing.
  test.each([
    ['akretion_bank_statement.cfo', 1, 17, 'is not an ISO 4217 currency code', 1],
    ['oca_cfonb_classic.cfo', 21, 33, 'interbank code differs', 1],
    ['oca_cfonb_no_carriage_return.cfo', 21, 33, 'interbank code differs', 1],
    ['pennylane_example.txt', 1, 105, 'positions 105-120 must be blank', 2],
    ['silarhi_simple-test.txt', 1, 105, 'positions 105-120 must be blank', 1],
    ['silarhi_complex-test.txt', 1, 105, 'positions 105-120 must be blank', 2],
  ])('%s: strict refuses at line %i column %i, lenient reads it', (name, line, column, reason, count) => {
    const bytes = cfonbSample(name);
    expect(() => readCfonb(bytes)).toThrow(new CfonbReadError(line, column, reason).message.split(':')[0]!);
    expect(() => readCfonb(bytes)).toThrow(reason);
    const statements = readCfonb(bytes, { lenient: true });
    expect(statements.length).toBeGreaterThanOrEqual(count);
    for (const s of statements) {
      expect(s.closing.date >= s.opening.date).toBe(true);
      for (const m of s.movements) expect(m.label.length).toBeGreaterThan(0);
    }
  });
});

test('a Powens type named like an object property is an unknown type, not a crash', () => {
  for (const type of ['toString', 'constructor', '__proto__', 'hasOwnProperty'])
    expect(interbankCode(type, true)).toBe(interbankCode('unknown', true));
});
