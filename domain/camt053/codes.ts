/**
 * Bank transaction codes (BkTxCd) from the Powens transaction type and the direction.
 *
 * - `Prtry` always: the CFONB interbank operation code of the same movement (domain/cfonb120/codes.ts),
 *   issuer "CFONB", so that the camt.053 and the CFONB file name the same operation.
 * - `Domn` (ISO 20022 external code set "Bank Transaction Code": domain / family / sub-family) only
 *   where the type says what the operation is: the family from the type and direction, and the
 *   generic sub-family OTHR ("other") when the type does not tell the instrument (a Powens
 *   `transfer` may or may not be SEPA, a `card` debit or credit card, an `order` SEPA core or B2B).
 *   Types that do not name a payment family (loans, securities, refunds, unknown) get no `Domn`.
 */
import { interbankCode, POWENS_TYPE_CODES } from '../cfonb120';

export interface DomainCode {
  domain: string;
  family: string;
  subFamily: string;
}

const d = (domain: string, family: string, subFamily: string): DomainCode => ({ domain, family, subFamily });

/** [credit, debit] per Powens type; undefined when no ISO family fits honestly. */
const DOMAIN_BY_TYPE: Record<string, [DomainCode | undefined, DomainCode | undefined]> = {
  // Received / issued credit transfers.
  transfer: [d('PMNT', 'RCDT', 'OTHR'), d('PMNT', 'ICDT', 'OTHR')],
  // Direct debits: collected by the account owner (issued, a credit) or paid (received, a debit).
  order: [d('PMNT', 'IDDT', 'OTHR'), d('PMNT', 'RDDT', 'OTHR')],
  // Cheques deposited (received) / paid (issued).
  check: [d('PMNT', 'RCHQ', 'OTHR'), d('PMNT', 'ICHQ', 'OTHR')],
  // Cash deposit at the counter; a deposit debit is a correction.
  deposit: [d('PMNT', 'CNTR', 'CDPT'), undefined],
  // Cash withdrawal with a card (CFONB 29, "Retrait DAB-GAB"); a withdrawal credit is a correction.
  withdrawal: [undefined, d('PMNT', 'CCRD', 'CWDL')],
  card: [d('PMNT', 'CCRD', 'OTHR'), d('PMNT', 'CCRD', 'OTHR')],
  deferred_card: [d('PMNT', 'CCRD', 'OTHR'), d('PMNT', 'CCRD', 'OTHR')],
  summary_card: [d('PMNT', 'CCRD', 'OTHR'), d('PMNT', 'CCRD', 'OTHR')],
  payback: [d('PMNT', 'CCRD', 'OTHR'), d('PMNT', 'CCRD', 'OTHR')],
  // Bank fees (generic sub-family FEES); a fee credit is a correction.
  fee: [undefined, d('PMNT', 'MDOP', 'FEES')],
  // Bank-initiated items: miscellaneous credit / debit operations.
  bank: [d('PMNT', 'MCOP', 'OTHR'), d('PMNT', 'MDOP', 'OTHR')],
  // Interest received (CFONB 63) / charged (CFONB 61, agios): generic sub-family INTR.
  profit: [d('PMNT', 'MCOP', 'INTR'), d('PMNT', 'MDOP', 'INTR')],
};

export interface BankTransactionCode {
  domain?: DomainCode;
  /** The CFONB interbank code (issuer "CFONB"). */
  proprietary: string;
}

export function bankTransactionCode(powensType: string | undefined, debit: boolean): BankTransactionCode {
  // Own keys only: a type named "constructor" or "toString" is an unknown type, not a prototype member.
  const type = powensType !== undefined && Object.hasOwn(POWENS_TYPE_CODES, powensType) ? powensType : undefined;
  const pair = type !== undefined && Object.hasOwn(DOMAIN_BY_TYPE, type) ? DOMAIN_BY_TYPE[type] : undefined;
  return { domain: pair?.[debit ? 1 : 0], proprietary: interbankCode(type, debit) };
}

export const DOMAIN_CODES: Readonly<typeof DOMAIN_BY_TYPE> = DOMAIN_BY_TYPE;
