import { writeCfonb } from '../../domain/cfonb120';
import { COMPLEMENT, LAYOUTS, MOVEMENT, NEW_BALANCE, OLD_BALANCE, type Field } from '../../domain/cfonb120/layout';

const at = (record: string, f: Field) => record.slice(f.offset, f.offset + f.width);

describe('the field tables', () => {
  test.each(Object.entries(LAYOUTS))('%s: fields tile positions 1-120 in order, the code first', (code, layout) => {
    let next = 1;
    for (const f of layout.fields) {
      expect([f.name, f.start]).toEqual([f.name, next]);
      expect(f.width).toBe(f.end - f.start + 1);
      expect(f.offset).toBe(f.start - 1);
      next = f.end + 1;
    }
    expect(next).toBe(121);
    expect(layout.fields[0]).toMatchObject({ name: 'code', start: 1, end: 2, kind: 'code' });
    expect(layout.recordCode).toBe(code);
  });

  test('positions of the CFONB note (v2.0, 2010)', () => {
    const span = (f: Field) => [f.start, f.end, f.kind];
    expect(span(OLD_BALANCE.bankCode)).toEqual([3, 7, 'digits']);
    expect(span(OLD_BALANCE.branchCode)).toEqual([12, 16, 'digits']);
    expect(span(OLD_BALANCE.currency)).toEqual([17, 19, 'currency']);
    expect(span(OLD_BALANCE.decimals)).toEqual([20, 20, 'digits']);
    expect(span(OLD_BALANCE.accountNumber)).toEqual([22, 32, 'alnum']);
    expect(span(OLD_BALANCE.date)).toEqual([35, 40, 'date']);
    expect(span(OLD_BALANCE.reserved41)).toEqual([41, 90, 'blank']);
    expect(span(NEW_BALANCE.balance)).toEqual([91, 104, 'amount']);
    expect(span(MOVEMENT.interbankCode)).toEqual([33, 34, 'alnum']);
    expect(span(MOVEMENT.rejectionCode)).toEqual([41, 42, 'alnum']);
    expect(span(MOVEMENT.valueDate)).toEqual([43, 48, 'date']);
    expect(span(MOVEMENT.label)).toEqual([49, 79, 'text']);
    expect(span(MOVEMENT.entryNumber)).toEqual([82, 88, 'alnum']);
    expect(span(MOVEMENT.commissionExemption)).toEqual([89, 89, 'flag']);
    expect(span(MOVEMENT.unavailability)).toEqual([90, 90, 'flag']);
    expect(span(MOVEMENT.amount)).toEqual([91, 104, 'amount']);
    expect(span(MOVEMENT.reference)).toEqual([105, 120, 'text']);
    expect(span(COMPLEMENT.reserved41)).toEqual([41, 45, 'blank']);
    expect(span(COMPLEMENT.qualifier)).toEqual([46, 48, 'alnum']);
    expect(span(COMPLEMENT.information)).toEqual([49, 118, 'text']);
    expect(span(COMPLEMENT.reserved119)).toEqual([119, 120, 'blank']);
  });

  test('a written file read back field by field through the tables', () => {
    const file = writeCfonb([
      {
        account: { iban: 'FR7630004000031234567890143', currency: 'EUR' },
        opening: { date: '2026-11-01', balance: '1234.56' },
        closing: { date: '2026-11-30', balance: '1334.56' },
        movements: [
          {
            bookingDate: '2026-11-05',
            valueDate: '2026-11-06',
            amount: '100',
            label: 'VIREMENT RECU DE LA SOCIETE DES EAUX DE MARSEILLE',
            type: 'transfer',
            counterparty: 'Société des Eaux',
            reference: 'REF42',
            entryNumber: '123',
          },
        ],
      },
    ]);
    const [r01, r04, lib, npy, r07] = file.toString('latin1').split('\n') as [string, string, string, string, string];
    for (const [record, layout] of [
      [r01, OLD_BALANCE],
      [r04, MOVEMENT],
      [lib, COMPLEMENT],
      [npy, COMPLEMENT],
      [r07, NEW_BALANCE],
    ] as const) {
      expect(at(record, layout.code)).toBe(layout.recordCode);
      expect(at(record, layout.bankCode)).toBe('30004');
      expect(at(record, layout.branchCode)).toBe('00003');
      expect(at(record, layout.currency)).toBe('EUR');
      expect(at(record, layout.decimals)).toBe('2');
      expect(at(record, layout.accountNumber)).toBe('12345678901');
      for (const f of layout.fields) if (f.kind === 'blank') expect(at(record, f).trim()).toBe('');
    }
    expect(at(r01, OLD_BALANCE.date)).toBe('011126');
    expect(at(r01, OLD_BALANCE.balance)).toBe('0000000012345F');
    expect(at(r04, MOVEMENT.interbankCode)).toBe('05');
    expect(at(r04, MOVEMENT.bookingDate)).toBe('051126');
    expect(at(r04, MOVEMENT.valueDate)).toBe('061126');
    expect(at(r04, MOVEMENT.label)).toBe('VIREMENT RECU DE LA SOCIETE DES');
    expect(at(r04, MOVEMENT.entryNumber)).toBe('0000123');
    expect(at(r04, MOVEMENT.commissionExemption) + at(r04, MOVEMENT.unavailability)).toBe('00');
    expect(at(r04, MOVEMENT.amount)).toBe('0000000001000{');
    expect(at(r04, MOVEMENT.reference)).toBe('REF42'.padEnd(16));
    expect(at(lib, COMPLEMENT.qualifier)).toBe('LIB');
    expect(at(lib, COMPLEMENT.information)).toBe(' EAUX DE MARSEILLE'.padEnd(70));
    expect(at(lib, COMPLEMENT.bookingDate)).toBe('051126');
    expect(at(npy, COMPLEMENT.qualifier)).toBe('NPY');
    expect(at(npy, COMPLEMENT.information)).toBe('SOCIETE DES EAUX'.padEnd(70));
    expect(at(r07, NEW_BALANCE.balance)).toBe('0000000013345F');
  });
});
