/**
 * The CFONB120 record layouts, one field table per record type (01 old balance, 04 movement, 05
 * movement complement, 07 new balance): the one place that says where each field lies. The writer
 * builds its record templates and takes its offsets from here, the reader its slices and the
 * columns of its errors. Positions are 1-based and inclusive, as in the CFONB note and
 * ../../../shared/docs/cfonb120.md; `offset` is the 0-based index of the first byte in a record.
 *
 * Which fields the strict reader checks (e.g. which reserved zones must be blank) is the reader's
 * decision, documented in docs/cfonb120.md; the table only describes the layout.
 */
export type FieldKind =
  /** The record code itself: 01, 04, 05 or 07. */
  | 'code'
  /** Zero-filled digits (bank and branch codes, number of decimals). */
  | 'digits'
  /** Capitals and digits (account number, interbank code, entry number, qualifier, rejection code). */
  | 'alnum'
  /** ISO 4217 alphabetic code. */
  | 'currency'
  /** DDMMYY, years 00-69 → 20xx, 70-99 → 19xx. */
  | 'date'
  /** 14 positions, zero-filled, implied decimals, sign overpunched on the last digit. */
  | 'amount'
  /** CFONB characters, left-aligned, blank-padded. */
  | 'text'
  /** One digit, 0 or 1; our writer writes 0. */
  | 'flag'
  /** Reserved: blanks. */
  | 'blank';

export interface Field {
  readonly name: string;
  /** First position, 1-based. */
  readonly start: number;
  /** Last position, 1-based, inclusive. */
  readonly end: number;
  readonly width: number;
  /** 0-based index of the first byte in the record. */
  readonly offset: number;
  readonly kind: FieldKind;
}

export const RECORD_LENGTH = 120;

type Spec = readonly [start: number, end: number, kind: FieldKind];

export interface Layout {
  readonly recordCode: string;
  /** Every field in position order, tiling 1-120 exactly. */
  readonly fields: readonly Field[];
}

export type RecordLayout<K extends string> = { readonly [N in K]: Field } & Layout;

function layout<const S extends Record<string, Spec>>(
  recordCode: string,
  specs: S,
): RecordLayout<Extract<keyof S, string>> {
  const fields: Field[] = [];
  const byName: Record<string, Field> = {};
  let next = 1;
  for (const [name, [start, end, kind]] of Object.entries(specs)) {
    if (start !== next || end < start)
      throw new Error(`CFONB layout ${recordCode}: field ${name} at ${start}-${end}, position ${next} expected`);
    const field: Field = Object.freeze({ name, start, end, width: end - start + 1, offset: start - 1, kind });
    fields.push(field);
    byName[name] = field;
    next = end + 1;
  }
  if (next !== RECORD_LENGTH + 1) throw new Error(`CFONB layout ${recordCode}: ends at ${next - 1}, not 120`);
  return Object.freeze({ ...byName, recordCode, fields: Object.freeze(fields) }) as RecordLayout<
    Extract<keyof S, string>
  >;
}

/** 01 and 07 share one layout: the balance of the account on a date. */
const BALANCE = {
  code: [1, 2, 'code'],
  bankCode: [3, 7, 'digits'],
  reserved8: [8, 11, 'blank'],
  branchCode: [12, 16, 'digits'],
  currency: [17, 19, 'currency'],
  decimals: [20, 20, 'digits'],
  reserved21: [21, 21, 'blank'],
  accountNumber: [22, 32, 'alnum'],
  reserved33: [33, 34, 'blank'],
  date: [35, 40, 'date'],
  reserved41: [41, 90, 'blank'],
  balance: [91, 104, 'amount'],
  reserved105: [105, 120, 'blank'],
} as const satisfies Record<string, Spec>;

export const OLD_BALANCE = layout('01', BALANCE);

export const MOVEMENT = layout('04', {
  code: [1, 2, 'code'],
  bankCode: [3, 7, 'digits'],
  /** Internal operation code of the bank (optional): we leave it blank. */
  internalCode: [8, 11, 'alnum'],
  branchCode: [12, 16, 'digits'],
  currency: [17, 19, 'currency'],
  decimals: [20, 20, 'digits'],
  /** Original currency indicator. */
  reserved21: [21, 21, 'blank'],
  accountNumber: [22, 32, 'alnum'],
  interbankCode: [33, 34, 'alnum'],
  bookingDate: [35, 40, 'date'],
  /** Rejection code (optional): we leave it blank. */
  rejectionCode: [41, 42, 'alnum'],
  valueDate: [43, 48, 'date'],
  label: [49, 79, 'text'],
  reserved80: [80, 81, 'blank'],
  entryNumber: [82, 88, 'alnum'],
  commissionExemption: [89, 89, 'flag'],
  unavailability: [90, 90, 'flag'],
  amount: [91, 104, 'amount'],
  reference: [105, 120, 'text'],
});

export const COMPLEMENT = layout('05', {
  code: [1, 2, 'code'],
  bankCode: [3, 7, 'digits'],
  internalCode: [8, 11, 'alnum'],
  branchCode: [12, 16, 'digits'],
  currency: [17, 19, 'currency'],
  decimals: [20, 20, 'digits'],
  reserved21: [21, 21, 'blank'],
  accountNumber: [22, 32, 'alnum'],
  interbankCode: [33, 34, 'alnum'],
  bookingDate: [35, 40, 'date'],
  reserved41: [41, 45, 'blank'],
  /** LIB, NPY, NBE… (shared/docs/cfonb120.md lists them). */
  qualifier: [46, 48, 'alnum'],
  information: [49, 118, 'text'],
  reserved119: [119, 120, 'blank'],
});

export const NEW_BALANCE = layout('07', BALANCE);

export const LAYOUTS = { '01': OLD_BALANCE, '04': MOVEMENT, '05': COMPLEMENT, '07': NEW_BALANCE } as const;

/**
 * Positions 3-32 (bank, branch, currency, decimals, account and the zones between them) lie at the
 * same place in every record: a statement's records share them, and the head fields can be read or
 * written from any of the four tables.
 */
export const HEAD = { start: 3, end: 32, offset: 2, width: 30 } as const;
export const HEAD_FIELDS = ['bankCode', 'branchCode', 'currency', 'decimals', 'accountNumber'] as const;
for (const l of Object.values(LAYOUTS))
  for (const name of HEAD_FIELDS) {
    const f = l[name];
    const o = OLD_BALANCE[name];
    if (f.start !== o.start || f.end !== o.end || f.kind !== o.kind)
      throw new Error(`CFONB layout ${l.recordCode}: ${name} is not where the 01 has it`);
  }
