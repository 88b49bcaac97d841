/** Identifiers and company settings: SIREN / NIC / SIRET, periodicity, IBAN. Pure (no I/O). */
export type { Result } from './result';
export {
  LA_POSTE_SIREN,
  LA_POSTE_HEAD_OFFICE_SIRET,
  normalizeIdentifier,
  luhnValid,
  validateSiren,
  validateNic,
  validateSiret,
  isValidSiren,
  isValidSiret,
  formatSirenOrSiret,
} from './siren';
export {
  PERIODICITY_KINDS,
  PERIODICITY_LABELS,
  PERIODICITY_IMPORT_NAMES,
  WEEKDAY_NAMES,
  MONTH_NAMES,
  periodicityProblems,
  checkPeriodicity,
  toPeriodicity,
  periodicityFields,
  describePeriodicity,
  parsePeriodicityKind,
  type PeriodicityKind,
  type Periodicity,
  type PeriodicityInput,
  type PeriodicityProblem,
} from '../periodicity';
export { periodicitySchema, type PeriodicitySchemaInput } from '../periodicity/schema';
export {
  normalizeIban,
  validateIban,
  isValidIban,
  formatIban,
  maskIban,
  ibanFromFrenchRib,
  statementIban,
} from './iban';
