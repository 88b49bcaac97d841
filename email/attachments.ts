/**
 * Statement attachments (manual 3.a): the statement in the formats the firm chose, `<name>.cfonb`
 * (CFONB120) and/or `<name>.xml` (ISO 20022 camt.053), zipped together (`<name>.zip`) when they are
 * larger than 2 Mo, and the deleted-transactions `.csv` when the statement has one. File names are
 * ASCII, like the manual's "Relevé LIVRETA …au_04082016.cfonb".
 */
import anyAscii from 'any-ascii';
import { ZipFile } from 'yazl';

export interface EmailAttachmentInput {
  name: string;
  contentType: string;
  content: Buffer;
}

/** "Si la taille du relevé est supérieure à 2 Mo, la pièce jointe sera zippée." */
export const ZIP_THRESHOLD_BYTES = 2 * 1024 * 1024;

const slug = (s: string) =>
  anyAscii(s)
    .replace(/[^A-Za-z0-9]+/g, '')
    .toUpperCase()
    .slice(0, 40) || 'COMPTE';
const ddmmyyyy = (d: Date | string) =>
  (typeof d === 'string' ? d.slice(0, 10) : d.toISOString().slice(0, 10)).split('-').reverse().join('');

export function zipBuffer(entries: Array<{ name: string; content: Buffer; mtime?: Date }>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const zip = new ZipFile();
    for (const e of entries) zip.addBuffer(e.content, e.name, { mtime: e.mtime ?? new Date(0) });
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('error', reject);
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.end();
  });
}

export async function statementAttachments(s: {
  company: { siren: string };
  account: { label: string };
  periodStart: Date | string;
  periodEnd: Date | string;
  /** The CFONB120 file, null when it is not among the formats delivered. */
  cfonb: Buffer | null;
  /** The camt.053 file, when it is among the formats delivered. */
  camt053?: Buffer | null;
  deletedCsv: Buffer | null;
}): Promise<EmailAttachmentInput[]> {
  const base = `${slug(s.account.label)}_${s.company.siren}_du_${ddmmyyyy(s.periodStart)}_au_${ddmmyyyy(s.periodEnd)}`;
  const files: EmailAttachmentInput[] = [];
  if (s.cfonb) files.push({ name: `Releve_${base}.cfonb`, contentType: 'application/octet-stream', content: s.cfonb });
  if (s.camt053) files.push({ name: `Releve_${base}.xml`, contentType: 'application/xml', content: s.camt053 });
  const size = files.reduce((n, f) => n + f.content.length, 0);
  const out: EmailAttachmentInput[] =
    size > ZIP_THRESHOLD_BYTES
      ? [
          {
            name: `Releve_${base}.zip`,
            contentType: 'application/zip',
            content: await zipBuffer(files.map((f) => ({ name: f.name, content: f.content }))),
          },
        ]
      : files;
  if (s.deletedCsv)
    out.push({ name: `Transactions_supprimees_${base}.csv`, contentType: 'text/csv', content: s.deletedCsv });
  return out;
}
