/**
 * Spreadsheets (issue 20), with exceljs: the companies import read from an `.xlsx` (its first
 * sheet, as the lines of the Annexe 1 file), the import template (`.xlsx` with French headers, an
 * example row and validation lists for the enumerations, or `.csv`), and the lists exported to CSV
 * (`;`, UTF-8 with a BOM for Excel) or `.xlsx`.
 */
import type { Response } from 'express';
import ExcelJS from 'exceljs';
import { stringify } from 'csv-stringify/sync';
import { HttpError } from './errors';

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The Annexe 1 columns, in order, as the template's headers. */
export const IMPORT_HEADERS = [
  'SIREN',
  'NIC',
  'Raison sociale',
  'Raison sociale (suite)',
  'Email',
  'Périodicité',
  'Mois',
  'Jour',
  'Saisie déportée (0/1)',
] as const;
export const PERIODICITY_VALUES = [
  'JOURNALIERE',
  'HEBDOMADAIRE',
  'MENSUELLE',
  'TRIMESTRIELLE',
  'SEMESTRIELLE',
  'ANNUELLE',
] as const;
const EXAMPLE = [
  '443061841',
  '00013',
  'BOULANGERIE DUPONT',
  'ET FILS',
  'compta@boulangerie-dupont.fr',
  'MENSUELLE',
  '',
  '0',
  '1',
];

/** A cell as the text a CSV would hold: numbers without exponent, dates as dd/mm/yyyy, formulas by result. */
function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v);
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (v instanceof Date) return v.toISOString().slice(0, 10).split('-').reverse().join('/');
  if (typeof v === 'object') {
    if ('result' in v) return cellText(v.result as ExcelJS.CellValue);
    if ('richText' in v) return v.richText.map((t) => t.text).join('');
    if ('text' in v) return String(v.text);
    if ('error' in v) return '';
  }
  return String(v);
}

/**
 * The rows of the first sheet of an `.xlsx`, as 9 text fields each with their row number (empty rows
 * skipped). Identifiers typed as numbers get their leading zeros back (SIREN 9 digits, NIC 5).
 */
export async function readImportWorkbook(bytes: Buffer): Promise<Array<{ record: string[]; line: number }>> {
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch {
    throw new HttpError(
      422,
      'Unprocessable Content',
      'Le classeur Excel est illisible : enregistrez-le au format .xlsx.',
    );
  }
  const sheet = wb.worksheets[0];
  if (!sheet) throw new HttpError(422, 'Unprocessable Content', 'Le classeur ne contient aucune feuille.');
  const out: Array<{ record: string[]; line: number }> = [];
  sheet.eachRow({ includeEmpty: false }, (row, line) => {
    const raw = Array.from({ length: Math.max(9, row.cellCount) }, (_, i) => row.getCell(i + 1).value);
    const values = raw.map((v) => cellText(v).trim());
    // Trailing empty cells beyond the 9 fields are not fields.
    while (values.length > 9 && values[values.length - 1] === '') values.pop();
    if (values.every((v) => v === '')) return;
    // Only a number lost its leading zeros (a text "12345" stays a wrong SIREN).
    const pad = (i: number, n: number) => {
      if (typeof raw[i] === 'number' && /^\d+$/.test(values[i] ?? '') && values[i]!.length < n)
        values[i] = values[i]!.padStart(n, '0');
    };
    pad(0, 9);
    pad(1, 5);
    out.push({ record: values, line });
  });
  return out;
}

/** The import template: French headers, an example row, validation lists for the enumerations. */
export async function importTemplate(format: 'xlsx' | 'csv'): Promise<Buffer> {
  if (format === 'csv')
    return Buffer.from(
      `\uFEFF${stringify([[...IMPORT_HEADERS], EXAMPLE], { delimiter: ';', record_delimiter: '\r\n' })}`,
    );
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Relevés';
  const sheet = wb.addWorksheet('Redevables');
  sheet.addRow([...IMPORT_HEADERS]);
  sheet.addRow(EXAMPLE);
  sheet.getRow(1).font = { bold: true };
  sheet.views = [{ state: 'frozen', ySplit: 1 }];
  const widths = [12, 8, 30, 30, 32, 16, 7, 7, 20];
  widths.forEach((w, i) => (sheet.getColumn(i + 1).width = w));
  // Identifiers are text: Excel keeps their leading zeros.
  for (const col of [1, 2]) sheet.getColumn(col).numFmt = '@';
  for (let r = 2; r <= 5000; r++) {
    sheet.getCell(`F${r}`).dataValidation = {
      type: 'list',
      allowBlank: false,
      formulae: [`"${PERIODICITY_VALUES.join(',')}"`],
      showErrorMessage: true,
      errorTitle: 'Périodicité',
      error: `Choisissez : ${PERIODICITY_VALUES.join(', ')}`,
    };
    sheet.getCell(`I${r}`).dataValidation = {
      type: 'list',
      allowBlank: false,
      formulae: ['"0,1"'],
      showErrorMessage: true,
      errorTitle: 'Saisie déportée',
      error: '0 : saisie directe des identifiants ; 1 : lien envoyé au redevable',
    };
    sheet.getCell(`G${r}`).dataValidation = {
      type: 'whole',
      operator: 'between',
      allowBlank: true,
      formulae: [1, 12],
      showErrorMessage: true,
      errorTitle: 'Mois',
      error: 'Trimestrielle : 1 à 3 ; semestrielle : 1 à 6 ; annuelle : 1 à 12',
    };
    sheet.getCell(`H${r}`).dataValidation = {
      type: 'whole',
      operator: 'between',
      allowBlank: true,
      formulae: [0, 31],
      showErrorMessage: true,
      errorTitle: 'Jour',
      error: 'Hebdomadaire : 1 (dimanche) à 7 ; mensuelle… : 1 à 28 ou 0 (fin de mois) ; annuelle : 1 à 31',
    };
  }
  const help = wb.addWorksheet('Aide');
  help.addRow(['Champ', 'Format', 'Obligatoire', 'Commentaire']);
  help.getRow(1).font = { bold: true };
  for (const r of [
    ['SIREN', '9 chiffres', 'Oui', ''],
    ['NIC', '5 chiffres', 'Non', 'Avec le SIREN, forme le SIRET'],
    ['Raison sociale', '35 caractères au plus', 'Oui', ''],
    ['Raison sociale (suite)', '35 caractères au plus', 'Non', ''],
    ['Email', '250 caractères au plus', 'Si saisie déportée = 1', 'Reçoit le lien de saisie des identifiants (72 h)'],
    ['Périodicité', PERIODICITY_VALUES.join(', '), 'Oui', 'Fréquence des relevés'],
    ['Mois', '1 à 12', 'Selon la périodicité', 'Trimestrielle 1 à 3, semestrielle 1 à 6, annuelle 1 à 12'],
    [
      'Jour',
      '0 à 31',
      'Selon la périodicité',
      'Hebdomadaire 1 (dimanche) à 7 (samedi) ; mensuelle, trimestrielle, semestrielle 1 à 28 ou 0 (fin de mois) ; annuelle 1 à 31',
    ],
    ['Saisie déportée (0/1)', '0 ou 1', 'Oui', '1 : un lien est envoyé au redevable pour saisir ses identifiants'],
  ])
    help.addRow(r);
  [24, 34, 22, 90].forEach((w, i) => (help.getColumn(i + 1).width = w));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export type ExportColumn<T> = [header: string, value: (row: T) => string | number | null, width?: number];

/** A list as a download: CSV (`;`, BOM) or `.xlsx` (bold header, filters, frozen header row). */
export async function sendTable<T>(
  res: Response,
  opts: { format: 'csv' | 'xlsx'; name: string; sheet: string; columns: ExportColumn<T>[]; rows: T[] },
): Promise<void> {
  const header = opts.columns.map(([h]) => h);
  const data = opts.rows.map((r) => opts.columns.map(([, f]) => f(r) ?? ''));
  const file = `${opts.name}_${new Date().toISOString().slice(0, 10)}.${opts.format}`;
  if (opts.format === 'csv') {
    res
      .attachment(file)
      .type('text/csv; charset=utf-8')
      .send(`\uFEFF${stringify([header, ...data], { delimiter: ';', record_delimiter: '\r\n' })}`);
    return;
  }
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Relevés';
  const sheet = wb.addWorksheet(opts.sheet);
  sheet.addRow(header);
  for (const row of data) sheet.addRow(row);
  sheet.getRow(1).font = { bold: true };
  sheet.views = [{ state: 'frozen', ySplit: 1 }];
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: header.length } };
  opts.columns.forEach(([h, , w], i) => (sheet.getColumn(i + 1).width = w ?? Math.max(10, h.length + 2)));
  res
    .attachment(file)
    .type(XLSX_TYPE)
    .send(Buffer.from(await wb.xlsx.writeBuffer()));
}
