/**
 * The deleted-transactions CSV that accompanies a statement: transactions the bank removed or
 * changed after they were delivered. `;`-separated, header row, UTF-8 with BOM, dd/mm/yyyy dates,
 * decimal comma, CRLF (what French spreadsheet software expects). A cell that a spreadsheet would
 * read as a formula (starting with = + - @, tab or CR) is prefixed with an apostrophe, except
 * amounts, which are numbers.
 */
import { stringify } from 'csv-stringify/sync';

export interface DeletedTransactionRow {
  account: string;
  bookingDate: string;
  valueDate: string;
  label: string;
  /** Decimal string, negative for debits. */
  amount: string;
  currency: string;
  statementPeriodStart: string;
  statementPeriodEnd: string;
  deletedAt: string;
  reason: 'deleted' | 'changed';
}

export const DELETED_CSV_HEADER = [
  'Compte',
  "Date d'opération",
  'Date de valeur',
  'Libellé',
  'Montant',
  'Devise',
  "Relevé d'origine - début",
  "Relevé d'origine - fin",
  'Date de suppression',
  'Motif',
];

const frDate = (iso: string) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
const frAmount = (decimal: string) => decimal.replace('.', ',');
export const neutralise = (cell: string) => (/^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell);

export function writeDeletedTransactionsCsv(rows: DeletedTransactionRow[]): Buffer {
  const records = rows.map((r) => [
    neutralise(r.account),
    frDate(r.bookingDate),
    frDate(r.valueDate),
    neutralise(r.label),
    frAmount(r.amount),
    neutralise(r.currency),
    frDate(r.statementPeriodStart),
    frDate(r.statementPeriodEnd),
    frDate(r.deletedAt),
    r.reason === 'deleted' ? 'Supprimée par la banque' : 'Modifiée par la banque',
  ]);
  const text = stringify([DELETED_CSV_HEADER, ...records], {
    delimiter: ';',
    record_delimiter: '\r\n',
    quoted_match: /[;"\r\n]/,
  });
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
}
