/**
 * SIREN (9 digits, company) / NIC (5 digits, establishment) / SIRET (SIREN + NIC, 14 digits).
 *
 * - SIREN: Luhn key over its 9 digits.
 * - SIRET: Luhn key over its 14 digits, except La Poste (SIREN 356000000), whose establishments are
 *   numbered so that the SUM of the 14 digits is a multiple of 5; La Poste's head office
 *   (SIRET 356 000 000 00048) keeps the Luhn key and is accepted as such.
 *
 * Input is normalised first: spaces of any kind (NBSP and narrow NBSP included), dots and dashes
 * are removed ("732 829 320", "732.829.320", "732-829-320" are the same SIREN). Reasons are French,
 * written for the end user.
 */
import { fail, ok, type Result } from './result';

export const LA_POSTE_SIREN = '356000000';
export const LA_POSTE_HEAD_OFFICE_SIRET = '35600000000048';

/** Removes what people type between digit groups: whitespace (NBSP included), dots, dashes. */
export function normalizeIdentifier(input: string): string {
  return input.replace(/[\s.\-\u2010-\u2015\u2212]/g, '');
}

/** Luhn key check over a string of digits (true for a valid key). */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const digitSum = (digits: string) => [...digits].reduce((s, c) => s + (c.charCodeAt(0) - 48), 0);

function digitsOf(input: string, what: 'SIREN' | 'NIC' | 'SIRET', length: number): Result<string> {
  const value = normalizeIdentifier(input);
  if (value === '') return fail(`Le ${what} est obligatoire`);
  if (!/^\d+$/.test(value)) return fail(`Le ${what} ne doit contenir que des chiffres`);
  if (value.length !== length) return fail(`Le ${what} doit comporter ${length} chiffres`);
  return ok(value);
}

/** The key rule of a 14-digit SIRET whose SIREN is already known to be valid. */
function siretKeyValid(siret: string): boolean {
  if (siret.startsWith(LA_POSTE_SIREN)) return siret === LA_POSTE_HEAD_OFFICE_SIRET || digitSum(siret) % 5 === 0;
  return luhnValid(siret);
}

/** Checks a SIREN; the value is its 9 digits. */
export function validateSiren(input: string): Result<string> {
  const r = digitsOf(input, 'SIREN', 9);
  if (!r.ok) return r;
  if (/^0+$/.test(r.value)) return fail('Le SIREN ne peut pas être composé uniquement de zéros');
  if (!luhnValid(r.value)) return fail('La clé de contrôle du SIREN est invalide');
  return r;
}

/**
 * Checks a NIC; the value is its 5 digits. With a SIREN, also checks the SIRET they form (its key);
 * an invalid SIREN is not reported here (it is the SIREN's own error), only the NIC's format.
 */
export function validateNic(input: string, siren?: string): Result<string> {
  const r = digitsOf(input, 'NIC', 5);
  if (!r.ok || siren === undefined) return r;
  const s = validateSiren(siren);
  if (!s.ok) return r;
  if (!siretKeyValid(s.value + r.value)) return fail('La clé de contrôle du SIRET (SIREN + NIC) est invalide');
  return r;
}

/** Checks a SIRET; the value is its 14 digits. */
export function validateSiret(input: string): Result<string> {
  const r = digitsOf(input, 'SIRET', 14);
  if (!r.ok) return r;
  const siren = r.value.slice(0, 9);
  if (/^0+$/.test(siren))
    return fail('Le SIREN (9 premiers chiffres du SIRET) ne peut pas être composé uniquement de zéros');
  if (!luhnValid(siren)) return fail('La clé de contrôle du SIREN (9 premiers chiffres du SIRET) est invalide');
  if (!siretKeyValid(r.value)) return fail('La clé de contrôle du SIRET est invalide');
  return r;
}

/** True for exactly 9 digits with a valid key (no normalisation). */
export const isValidSiren = (siren: string): boolean => /^\d{9}$/.test(siren) && validateSiren(siren).ok;

/** True for exactly 14 digits forming a valid SIRET (no normalisation). */
export const isValidSiret = (siret: string): boolean => /^\d{14}$/.test(siret) && validateSiret(siret).ok;

/** "732829320" → "732 829 320"; "73282932000074" → "732 829 320 00074"; anything else unchanged. */
export function formatSirenOrSiret(value: string): string {
  const v = normalizeIdentifier(value);
  if (/^\d{9}$/.test(v)) return `${v.slice(0, 3)} ${v.slice(3, 6)} ${v.slice(6)}`;
  if (/^\d{14}$/.test(v)) return `${v.slice(0, 3)} ${v.slice(3, 6)} ${v.slice(6, 9)} ${v.slice(9)}`;
  return value;
}
