/**
 * Interbank operation codes ("codes opération interbancaires", positions 33-34 of records 04/05)
 * chosen from the Powens transaction type and the direction of the amount. Codes and directions
 * from the CFONB list (as published in silarhi/cfonb-parser's CfonbCodes); the choice per Powens
 * type is ours, documented in docs/cfonb120.md:
 *  - each type maps to the code whose label describes it, in the right direction (a credit never
 *    gets a debit-only code);
 *  - SEPA direct debits (Powens `order`): B1 "Prélèvements SEPA domiciliés" when paid, A1 when
 *    collected (our company is the creditor);
 *  - anything unknown: 91 "Opérations diverses" for a credit (91 is credit-only) and 99
 *    "Annulations et régularisations" for a debit.
 */
export interface InterbankCode {
  code: string;
  label: string;
}

type Mapping = { credit: string; debit: string };
const BY_POWENS_TYPE: Record<string, Mapping> = {
  transfer: { credit: '05', debit: '06' },
  order: { credit: 'A1', debit: 'B1' },
  check: { credit: '02', debit: '01' },
  deposit: { credit: '04', debit: '99' },
  withdrawal: { credit: '99', debit: '29' },
  card: { credit: '11', debit: '11' },
  deferred_card: { credit: '11', debit: '11' },
  summary_card: { credit: '11', debit: '28' },
  payback: { credit: '11', debit: '11' },
  fee: { credit: '99', debit: '62' },
  bank: { credit: '91', debit: '62' },
  loan_repayment: { credit: '71', debit: '72' },
  loan_payment: { credit: '71', debit: '72' },
  refund: { credit: '99', debit: '99' },
  market_order: { credit: '54', debit: '53' },
  market_fee: { credit: '99', debit: '88' },
  profit: { credit: '63', debit: '61' },
  unknown: { credit: '91', debit: '99' },
};

export const INTERBANK_LABELS: Record<string, string> = {
  '01': 'Chèques payés',
  '02': 'Remises de chèques',
  '04': 'Versements espèces',
  '05': 'Virements reçus',
  '06': 'Virements émis',
  '11': 'Factures cartes de paiement/DAB-GAB',
  '28': 'Factures cartes payées',
  '29': 'Retrait DAB-GAB',
  '53': 'Achats/Souscriptions VM/BF',
  '54': 'Ventes de VM/BF',
  '61': 'Agios',
  '62': 'Commissions et frais divers',
  '63': 'Produits financiers',
  '71': 'Tirage de crédits',
  '72': 'Échéance crédits',
  '88': 'Commissions et droits de garde',
  '91': 'Opérations diverses',
  '99': 'Annulations et régularisations',
  A1: 'Prélèvements SEPA émis',
  B1: 'Prélèvements SEPA domiciliés',
};

export function interbankCode(powensType: string | undefined, negative: boolean): string {
  // Own keys only: a type named like an object's property ("toString", "constructor") is unknown.
  const type = powensType !== undefined && Object.hasOwn(BY_POWENS_TYPE, powensType) ? powensType : 'unknown';
  const m = BY_POWENS_TYPE[type]!;
  return negative ? m.debit : m.credit;
}

export const POWENS_TYPE_CODES: Readonly<Record<string, Mapping>> = BY_POWENS_TYPE;
