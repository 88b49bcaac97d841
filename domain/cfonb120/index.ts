/** CFONB120 ("relevé de compte 120 caractères"): writer, strict reader, deleted-transactions CSV. Pure. */
export { writeCfonb } from './writer';
export { readCfonb } from './reader';
export { writeDeletedTransactionsCsv, DELETED_CSV_HEADER, type DeletedTransactionRow } from './csv';
export { CfonbError, CfonbReadError } from './errors';
export { minorUnits, CURRENCY_CODES } from './currencies';
export { interbankCode, INTERBANK_LABELS, POWENS_TYPE_CODES } from './codes';
export { accountFromIban, ibanFromAccount, encodeAmount, decodeAmount } from './format';
export { normalizeText } from './text';
export type {
  StatementInput,
  MovementInput,
  StatementOutput,
  MovementOutput,
  WriteOptions,
  ReadOptions,
} from './types';
