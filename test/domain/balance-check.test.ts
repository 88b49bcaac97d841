import { balanceCheck, frMoney } from '../../domain/balance-check';

const base = {
  currency: 'EUR',
  openingBalance: '100.0000',
  closingBalance: '150.0000',
  previousClosingBalance: '100.0000',
  bankBalance: '170.0000',
  bankBalanceAt: new Date('2026-12-02T05:10:00Z'),
  bookedAfterPeriodEnd: '20.0000',
  periodEnd: '2026-11-30',
};

test('both checks hold: the closing balance is the bank balance less what was booked after the period end', () => {
  const c = balanceCheck(base);
  expect(c.status).toBe('ok');
  expect(c.message).toBeNull();
  expect(c.opening).toEqual({ previousClosingBalance: '100.00', matches: true, gap: '0.00' });
  expect(c.closing).toEqual({
    bankBalance: '170.00',
    bankBalanceAt: '2026-12-02T05:10:00.000Z',
    bookedAfterPeriodEnd: '20.00',
    expectedClosingBalance: '150.00',
    matches: true,
    gap: '0.00',
  });
});

test('a closing break names the gap in French and says what was compared', () => {
  const c = balanceCheck({ ...base, bankBalance: '182.3400' });
  expect(c.status).toBe('break');
  expect(c.message).toBe('Rupture de solde : écart de 12,34\u00a0€');
  expect(c.closing).toMatchObject({ expectedClosingBalance: '162.34', matches: false, gap: '-12.34' });
  expect(c.details).toEqual([
    'Le solde de clôture (150,00\u00a0€) diffère du solde comptable de la banque lu le 02/12/2026 à 06:10 (182,34\u00a0€) diminué des opérations comptabilisées après le 30/11/2026 (20,00\u00a0€), soit 162,34\u00a0€.',
  ]);
});

test('an opening break, the largest gap in the headline; first statement and no bank balance are unchecked', () => {
  const c = balanceCheck({ ...base, previousClosingBalance: '1100.0000', bankBalance: '175.0000' });
  expect(c.status).toBe('break');
  expect(c.message).toBe('Rupture de solde : écart de 1\u202f000,00\u00a0€');
  expect(c.details).toHaveLength(2);
  expect(balanceCheck({ ...base, previousClosingBalance: null, bankBalance: null }).status).toBe('unchecked');
  expect(balanceCheck({ ...base, previousClosingBalance: null }).opening.matches).toBeNull();
});

test('compared at the currency’s decimals (sub-cent differences of the stored figures are no break)', () => {
  expect(balanceCheck({ ...base, bankBalance: '170.0040' }).status).toBe('ok');
  expect(balanceCheck({ ...base, currency: 'JPY', bankBalance: '170.4000', closingBalance: '150' }).status).toBe('ok');
  expect(frMoney('-1234567.5', 'USD')).toBe('-1\u202f234\u202f567,5\u00a0$US');
});
