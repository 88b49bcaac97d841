/**
 * Adapter over domain/identifiers (SIREN/SIRET keys, periodicity rules).
 * TEMPORARY: domain/identifiers is being written in parallel; these minimal versions are replaced
 * by re-exports as soon as it lands.
 */
function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export const isValidSiren = (siren: string) => /^\d{9}$/.test(siren) && luhn(siren);

/** La Poste (SIREN 356000000): its SIRETs' digits sum to a multiple of 5 instead of the Luhn key. */
export function isValidSiret(siret: string): boolean {
  if (!/^\d{14}$/.test(siret)) return false;
  if (siret.startsWith('356000000'))
    return siret === '35600000000048' || [...siret].reduce((s, c) => s + Number(c), 0) % 5 === 0;
  return luhn(siret);
}

export interface PeriodicityInput {
  kind: 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'QUARTERLY' | 'SEMIANNUAL' | 'ANNUAL';
  day?: number | null;
  month?: number | null;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The problems of a periodicity, each with the field it concerns (`day` or `month`). */
export function periodicityProblems(p: PeriodicityInput): Array<{ field: 'day' | 'month'; reason: string }> {
  const out: Array<{ field: 'day' | 'month'; reason: string }> = [];
  const has = (v: number | null | undefined): v is number => v !== undefined && v !== null;
  const notExpected = (field: 'day' | 'month') =>
    out.push({ field, reason: `non attendu pour la périodicité ${p.kind}` });
  const required = (field: 'day' | 'month') => out.push({ field, reason: `obligatoire pour la périodicité ${p.kind}` });
  const range = (field: 'day' | 'month', v: number, min: number, max: number, extra = '') => {
    if (!Number.isInteger(v) || v < min || v > max)
      out.push({ field, reason: `doit être compris entre ${min} et ${max}${extra}` });
  };
  switch (p.kind) {
    case 'DAILY':
      if (has(p.day)) notExpected('day');
      if (has(p.month)) notExpected('month');
      break;
    case 'WEEKLY':
      if (has(p.month)) notExpected('month');
      if (!has(p.day)) required('day');
      else range('day', p.day, 1, 7, ' (1 = dimanche … 7 = samedi)');
      break;
    case 'MONTHLY':
      if (has(p.month)) notExpected('month');
      if (!has(p.day)) required('day');
      else range('day', p.day, 0, 28, ' (0 = dernier jour du mois)');
      break;
    case 'QUARTERLY':
    case 'SEMIANNUAL': {
      const max = p.kind === 'QUARTERLY' ? 3 : 6;
      if (!has(p.month)) required('month');
      else range('month', p.month, 1, max);
      if (!has(p.day)) required('day');
      else range('day', p.day, 0, 28, ' (0 = dernier jour du mois)');
      break;
    }
    case 'ANNUAL':
      if (!has(p.month)) required('month');
      else range('month', p.month, 1, 12);
      if (!has(p.day)) required('day');
      else if (has(p.month) && Number.isInteger(p.month) && p.month >= 1 && p.month <= 12)
        range('day', p.day, 1, DAYS_IN_MONTH[p.month - 1]!, ' pour ce mois');
      else range('day', p.day, 1, 31);
      break;
  }
  return out;
}
