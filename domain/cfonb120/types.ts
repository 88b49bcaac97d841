/** The JSON shapes of the command line (docs/cfonb120.md): amounts are decimal strings, dates ISO. */
export interface MovementInput {
  bookingDate: string;
  valueDate?: string;
  amount: string;
  label: string;
  /** Powens transaction type (transfer, order, card…): chooses the interbank code. */
  type?: string;
  /** Up to 16 characters, written in the 04 record's reference zone. */
  reference?: string;
  /** Payer (credit) or beneficiary (debit) name, up to 70 characters (05 NPY / NBE). */
  counterparty?: string;
  /** Up to 7 letters or digits. */
  entryNumber?: string;
}

export interface StatementInput {
  account: { iban: string; currency: string };
  opening: { date: string; balance: string };
  closing: { date: string; balance: string };
  movements: MovementInput[];
}

export interface MovementOutput {
  bookingDate: string;
  valueDate: string;
  amount: string;
  label: string;
  interbankCode: string;
  reference?: string;
  counterparty?: string;
  entryNumber?: string;
  /** Every 05 record but LIB, as read: qualifier and its 70-character information. */
  details: Array<{ qualifier: string; text: string }>;
}

export interface StatementOutput {
  account: {
    bankCode: string;
    branchCode: string;
    accountNumber: string;
    currency: string;
    decimals: number;
    iban?: string;
  };
  opening: { date: string; balance: string };
  closing: { date: string; balance: string };
  movements: MovementOutput[];
}

export interface WriteOptions {
  /** Record separator: "\n" (default, accepted by every reader we know), "\r\n", or "" (none). */
  lineSeparator?: '\n' | '\r\n' | '';
}

export interface ReadOptions {
  /** Lenient mode tolerates blank lines, a blank currency or decimals, and non-blank reserved zones. */
  lenient?: boolean;
}
