import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { minorUnits, normalizeText, readCfonb, writeCfonb, type StatementInput } from '../../domain/cfonb120';

const IBANS = ['FR7630004000031234567890143', 'FR1420041010050500013M02606', 'MC5811222000010123456789030'];
const CURRENCIES = ['EUR', 'USD', 'JPY', 'TND', 'XPF', 'CHF'];

const isoDay = (base: string, offset: number) =>
  new Date(Date.parse(`${base}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
const decimal = (minor: bigint, decimals: number) => {
  const neg = minor < 0n;
  const d = (neg ? -minor : minor).toString().padStart(decimals + 1, '0');
  return (neg ? '-' : '') + (decimals ? `${d.slice(0, -decimals)}.${d.slice(-decimals)}` : d);
};

const statementArb = fc
  .record({
    iban: fc.constantFrom(...IBANS),
    currency: fc.constantFrom(...CURRENCIES),
    start: fc.integer({ min: 0, max: 5000 }),
    length: fc.integer({ min: 0, max: 60 }),
    opening: fc.bigInt({ min: -(10n ** 11n), max: 10n ** 11n }),
    movements: fc.array(
      fc.record({
        day: fc.integer({ min: 0, max: 60 }),
        valueShift: fc.integer({ min: -3, max: 3 }),
        amount: fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }),
        label: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }).filter((l) => normalizeText(l) !== ''),
        type: fc.constantFrom('transfer', 'order', 'card', 'check', 'fee', 'unknown', 'deferred_card'),
        reference: fc.option(fc.stringMatching(/^[A-Z0-9]{1,16}$/), { nil: undefined }),
        counterparty: fc.option(
          fc.stringMatching(/^[A-Za-zé ]{1,60}$/).filter((c) => normalizeText(c) !== ''),
          { nil: undefined },
        ),
        entryNumber: fc.option(fc.stringMatching(/^[1-9][0-9]{0,6}$/), { nil: undefined }),
      }),
      { maxLength: 12 },
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
        valueDate: isoDay(bookingDate, m.valueShift),
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

test('read(write(s)) gives s back (labels in their CFONB form) for generated statements', () => {
  fc.assert(
    fc.property(
      fc.array(statementArb, { minLength: 1, maxLength: 3 }),
      fc.constantFrom('\n', '\r\n', '') as fc.Arbitrary<'\n' | '\r\n' | ''>,
      (statements, lineSeparator) => {
        const read = readCfonb(writeCfonb(statements, { lineSeparator }));
        expect(read).toHaveLength(statements.length);
        read.forEach((r, i) => {
          const s = statements[i]!;
          // The file carries no country: a French-layout IBAN comes back as the FR IBAN of its RIB.
          if (s.account.iban.startsWith('FR')) expect(r.account.iban).toBe(s.account.iban);
          expect(r.account.bankCode + r.account.branchCode + r.account.accountNumber).toBe(s.account.iban.slice(4, 25));
          expect(r.account.currency).toBe(s.account.currency);
          expect(r.opening).toEqual(s.opening);
          expect(r.closing).toEqual(s.closing);
          expect(r.movements).toHaveLength(s.movements.length);
          r.movements.forEach((m, j) => {
            const w = s.movements[j]!;
            expect(m.bookingDate).toBe(w.bookingDate);
            expect(m.valueDate).toBe(w.valueDate);
            expect(m.amount).toBe(
              w.amount.startsWith('-') && /^-0(\.0+)?$/.test(w.amount) ? w.amount.slice(1) : w.amount,
            );
            expect(m.label).toBe(normalizeText(w.label));
            expect(m.reference).toBe(w.reference);
            expect(m.counterparty).toBe(w.counterparty === undefined ? undefined : normalizeText(w.counterparty));
            expect(m.entryNumber).toBe(w.entryNumber);
          });
        });
      },
    ),
    { numRuns: 300 },
  );
});

describe('command line', () => {
  const root = join(__dirname, '..', '..');
  const cli = (args: string[], input: string | Buffer) =>
    spawnSync(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'scripts', 'cfonb.ts'), ...args], {
      input,
      cwd: root,
    });

  const json = {
    statements: [
      {
        account: { iban: 'FR7630004000031234567890143', currency: 'EUR' },
        opening: { date: '2026-11-01', balance: '1234.56' },
        closing: { date: '2026-11-30', balance: '1192.46' },
        movements: [
          {
            bookingDate: '2026-11-03',
            valueDate: '2026-11-04',
            amount: '-42.10',
            label: 'PRLV SEPA EDF CLIENT 123',
            type: 'order',
            reference: 'R1',
          },
        ],
      },
    ],
  };

  test('write then read round-trips through real processes', () => {
    const written = cli(['write'], JSON.stringify(json));
    expect(written.status).toBe(0);
    expect(
      written.stdout
        .toString('latin1')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.length),
    ).toEqual([120, 120, 120]);
    const read = cli(['read'], written.stdout);
    expect(read.status).toBe(0);
    const out = JSON.parse(read.stdout.toString());
    expect(out.statements[0].account).toEqual({
      bankCode: '30004',
      branchCode: '00003',
      accountNumber: '12345678901',
      currency: 'EUR',
      decimals: 2,
      iban: 'FR7630004000031234567890143',
    });
    expect(out.statements[0].movements[0]).toMatchObject({
      amount: '-42.10',
      label: 'PRLV SEPA EDF CLIENT 123',
      interbankCode: 'B1',
      reference: 'R1',
    });
  });

  test('bad input exits non-zero naming the statement, the movement and the field', () => {
    const bad = structuredClone(json);
    bad.statements[0]!.movements[0]!.amount = '42,10';
    const r = cli(['write'], JSON.stringify(bad));
    expect(r.status).toBe(1);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr.toString()).toContain('statements[0].movements[0].amount');
    const unbalanced = structuredClone(json);
    unbalanced.statements[0]!.closing.balance = '0.00';
    const u = cli(['write'], JSON.stringify(unbalanced));
    expect(u.status).toBe(1);
    expect(u.stderr.toString()).toContain('statements[0].closing.balance: opening balance + movements = 1192.46');
    const r2 = cli(['read'], 'garbage\n');
    expect(r2.status).toBe(1);
    expect(r2.stderr.toString()).toContain('line 1, column');
  });
});
