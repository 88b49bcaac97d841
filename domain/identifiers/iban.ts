/**
 * IBAN helper over ibantools (pure JS, no I/O): normalise, validate with French reasons, print by
 * groups of four, mask. ibantools also checks national keys where it knows them (the French RIB key).
 */
import { composeIBAN, countrySpecs, validateIBAN, ValidationErrorsIBAN } from 'ibantools';
import { fail, ok, type Result } from './result';

/** Electronic form: no whitespace (NBSP included), dots or dashes, upper case, "IBAN" prefix dropped. */
export function normalizeIban(input: string): string {
  return input
    .replace(/[\s.\-\u2010-\u2015\u2212]/g, '')
    .toUpperCase()
    .replace(/^IBAN:?/, '');
}

const REASONS: Partial<Record<ValidationErrorsIBAN, string>> = {
  [ValidationErrorsIBAN.NoIBANCountry]: "Le code pays de l'IBAN (2 premières lettres) est inconnu",
  [ValidationErrorsIBAN.ChecksumNotNumber]: "La clé de l'IBAN (3e et 4e caractères) doit être composée de 2 chiffres",
  [ValidationErrorsIBAN.WrongBBANFormat]: "Le format de l'IBAN est incorrect pour ce pays",
  [ValidationErrorsIBAN.WrongIBANChecksum]: "La clé de contrôle de l'IBAN est invalide",
  [ValidationErrorsIBAN.WrongAccountBankBranchChecksum]: 'La clé RIB du compte est invalide',
};

const PRIORITY = [
  ValidationErrorsIBAN.NoIBANCountry,
  ValidationErrorsIBAN.ChecksumNotNumber,
  ValidationErrorsIBAN.WrongBBANLength,
  ValidationErrorsIBAN.WrongBBANFormat,
  ValidationErrorsIBAN.WrongIBANChecksum,
  ValidationErrorsIBAN.WrongAccountBankBranchChecksum,
];

/** Checks an IBAN; the value is its electronic form ("FR7630006000011234567890189"). */
export function validateIban(input: string): Result<string> {
  const iban = normalizeIban(input);
  if (iban === '') return fail("L'IBAN est obligatoire");
  if (!/^[A-Z0-9]+$/.test(iban)) return fail("L'IBAN ne doit contenir que des lettres et des chiffres");
  const { valid, errorCodes } = validateIBAN(iban);
  if (valid) return ok(iban);
  // The most basic problem first (a typo breaks both the IBAN key and the RIB key: report the IBAN's).
  const first = PRIORITY.find((code) => errorCodes.includes(code)) ?? errorCodes[0];
  if (first === ValidationErrorsIBAN.WrongBBANLength) {
    const expected = countrySpecs[iban.slice(0, 2)]?.chars;
    return fail(
      `La longueur de l'IBAN est incorrecte pour ce pays${expected ? ` (${expected} caractères attendus)` : ''}`,
    );
  }
  return fail((first !== undefined && REASONS[first]) || "L'IBAN est invalide");
}

export const isValidIban = (input: string): boolean => validateIban(input).ok;

/** By groups of four: "FR76 3000 6000 0112 3456 7890 189" (no validation). */
export function formatIban(input: string): string {
  return normalizeIban(input).replace(/(.{4})(?=.)/g, '$1 ');
}

/** Only the country, the key and the last four characters shown: "FR76 **** **** **** **** ***0 189". */
export function maskIban(input: string): string {
  const iban = normalizeIban(input);
  if (iban.length <= 8) return formatIban('*'.repeat(iban.length));
  return formatIban(iban.slice(0, 4) + '*'.repeat(iban.length - 8) + iban.slice(-4));
}

/**
 * The IBAN of a French account from its RIB (bank 5 digits, branch 5, account 11 characters, key 2),
 * when `number` is one with a valid RIB key; null otherwise (a masked number such as "XXXXX7489").
 */
export function ibanFromFrenchRib(number: string | null | undefined): string | null {
  if (!number) return null;
  const bban = number.replace(/[\s.-]/g, '').toUpperCase();
  if (!/^\d{10}[0-9A-Z]{11}\d{2}$/.test(bban)) return null;
  const iban = composeIBAN({ countryCode: 'FR', bban });
  return iban && validateIBAN(iban).valid ? iban : null;
}

/**
 * The IBAN a CFONB120 statement of this account is written with: its own, or the one of the French
 * RIB in its number; null when it has neither (cards, loans, many savings and market accounts).
 */
export function statementIban(account: { iban: string | null; number?: string | null }): string | null {
  // The bank's IBAN as given (a malformed one fails in the CFONB writer, with its reason).
  if (account.iban && normalizeIban(account.iban) !== '') return normalizeIban(account.iban);
  return ibanFromFrenchRib(account.number);
}
