/**
 * Bulk import of companies (manual, Annexe 1): `;`-separated, 9 fields, optional header line,
 * UTF-8 or Windows-1252 (detected), up to 50 000 lines, sent as the raw request body
 * (Content-Type text/csv). Every line is checked; nothing is written unless every line is valid,
 * and then everything is written in one transaction. `dryRun=true` only checks.
 */
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Prisma } from '../../db/client';
import { auditRow } from '../audit';
import { bulkInsert, type Column } from '../bulk';
import { importLineProblems, type ImportedCompany } from '../company-input';
import { decodeUtf8OrWindows1252 } from '../encoding';
import { HttpError, type FieldError } from '../errors';
import { prepareLink } from '../links';
import { queryBool } from '../schemas';
import { importTemplate, readImportWorkbook, XLSX_TYPE } from '../spreadsheet';
import type { RouteContext } from '../deps';
import { sirenUnique } from '../lookups';

export const IMPORT_MAX_LINES = 50_000;

const COMPANY_COLUMNS: Column[] = [
  ['id', 'uuid'],
  ['portalAccountId', 'uuid'],
  ['rootAccountId', 'uuid'],
  ['siren', 'varchar'],
  ['nic', 'varchar'],
  ['name', 'text'],
  ['name2', 'text'],
  ['email', 'text'],
  ['periodicityKind', '"PeriodicityKind"'],
  ['periodicityDay', 'int4'],
  ['periodicityMonth', 'int4'],
  ['autoLinks', 'bool'],
  ['createdAt', 'timestamp'],
  ['updatedAt', 'timestamp'],
];
const LINK_COLUMNS: Column[] = [
  ['id', 'uuid'],
  ['companyId', 'uuid'],
  ['kind', '"LinkKind"'],
  ['recipient', 'text'],
  ['secretHash', 'text'],
  ['automatic', 'bool'],
  ['createdAt', 'timestamp'],
  ['expiresAt', 'timestamp'],
];
const EMAIL_COLUMNS: Column[] = [
  ['id', 'uuid'],
  ['portalAccountId', 'uuid'],
  ['idempotencyKey', 'text'],
  ['kind', 'text'],
  ['to', 'text'],
  ['subject', 'text'],
  ['textBody', 'text'],
  ['htmlBody', 'text'],
  ['createdAt', 'timestamp'],
  ['secretsEnc', 'text'],
];
const AUDIT_COLUMNS: Column[] = [
  ['id', 'uuid'],
  ['portalAccountId', 'uuid'],
  ['actorType', 'text'],
  ['actorId', 'text'],
  ['action', 'text'],
  ['entityType', 'text'],
  ['entityId', 'text'],
  ['detail', 'jsonb'],
  ['ip', 'text'],
  ['at', 'timestamp'],
];
const MAX_BYTES = 40 * 1024 * 1024;

const reportOut = z
  .object({
    dryRun: z.boolean(),
    encoding: z.enum(['utf-8', 'windows-1252']),
    lines: z.number().int().describe('Lignes de redevables lues (hors en-tête)'),
    created: z.number().int(),
    linksSent: z.number().int(),
    errors: z.array(
      z.object({ line: z.number().int(), column: z.number().int().optional(), field: z.string(), reason: z.string() }),
    ),
  })
  .meta({ id: 'ImportReport' });

export function importRoutes(ctx: RouteContext) {
  const { api, deps } = ctx;
  const { prisma, config } = deps;

  for (const format of ['xlsx', 'csv'] as const) {
    api.op({
      method: 'get',
      path: `/companies/import/template.${format}`,
      tag: 'Redevables',
      summary:
        format === 'xlsx'
          ? 'Modèle d’import Excel : colonnes de l’Annexe 1, en-têtes en français, une ligne d’exemple, listes de choix'
          : 'Modèle d’import CSV : colonnes de l’Annexe 1, en-têtes en français, une ligne d’exemple',
      rights: ['MANAGE_COMPANIES'],
      responses: {
        200: { description: 'Le modèle', contentType: format === 'xlsx' ? XLSX_TYPE : 'text/csv' },
      },
      handler: async ({ res }) => {
        res
          .attachment(`modele_import_redevables.${format}`)
          .type(format === 'xlsx' ? XLSX_TYPE : 'text/csv; charset=utf-8')
          .send(await importTemplate(format));
      },
    });
  }

  api.op({
    method: 'post',
    path: '/companies/import',
    tag: 'Redevables',
    summary: 'Importer des redevables en masse (format de l’Annexe 1)',
    description:
      'Corps brut `text/csv` : une ligne par redevable, 9 champs séparés par « ; » dans l’ordre de l’Annexe 1 (SIREN ; NIC ; Raison sociale ; Raison sociale (suite) ; Email ; Périodicité ; Mois ; Jour ; Saisie déportée 0/1). En-tête facultatif, UTF-8 ou Windows-1252, 50 000 lignes au plus. Si une seule ligne est invalide, rien n’est créé et la réponse 422 liste chaque erreur (ligne, champ, raison). Champ 9 = 1 : un lien de saisie des identifiants (72 h) est envoyé par e-mail à chaque redevable créé.',
    rights: ['MANAGE_COMPANIES'],
    rawBody: {
      contentType: 'text/csv',
      description: `Fichier d’import (Annexe 1) : CSV/TXT (text/csv), ou classeur Excel (${XLSX_TYPE}, première feuille).`,
    },
    query: z.object({ dryRun: queryBool.default(false).describe('true : vérifie sans rien créer') }),
    responses: {
      200: { description: 'Vérification seule (dryRun) : fichier valide', schema: reportOut },
      201: { description: 'Redevables créés', schema: reportOut },
      422: { description: 'Lignes invalides : rien n’a été créé (errors : ligne, colonne, champ, raison)' },
    },
    handler: async ({ auth, query, req, res }) => {
      const type = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      const xlsx = type === XLSX_TYPE;
      if (!xlsx && !['text/csv', 'text/plain', 'application/csv', 'application/octet-stream'].includes(type)) {
        throw new HttpError(
          415,
          'Unsupported Media Type',
          `Envoyez le fichier brut avec Content-Type: text/csv (CSV, TXT) ou ${XLSX_TYPE} (classeur .xlsx).`,
        );
      }
      const declared = Number(req.get('content-length') ?? 0);
      if (declared > MAX_BYTES)
        throw new HttpError(413, 'Payload Too Large', 'Fichier trop volumineux (40 Mo au plus).');

      // The lines of the file: a CSV/TXT streamed, or the first sheet of a workbook (read whole).
      let encoding: () => 'utf-8' | 'windows-1252' = () => 'utf-8';
      let records: AsyncIterable<{ record: string[]; line: number }>;
      if (xlsx) {
        const chunks: Buffer[] = [];
        for await (const chunk of limitBytes(req, MAX_BYTES)) chunks.push(chunk);
        records = (async function* () {
          yield* await readImportWorkbook(Buffer.concat(chunks));
        })();
      } else {
        const decoder = decodeUtf8OrWindows1252(limitBytes(req, MAX_BYTES));
        encoding = decoder.encoding;
        const parser = Readable.from(decoder.text()).pipe(
          parse({
            delimiter: ';',
            bom: true,
            relax_column_count: true,
            relax_quotes: true,
            skip_empty_lines: true,
            info: true,
          }),
        );
        records = (async function* () {
          for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>)
            yield { record, line: info.lines };
        })();
      }
      const rows: ImportedCompany[] = [];
      const errors: Array<FieldError & { line: number; column?: number }> = [];
      const seen = new Map<string, number>();
      let first = true;
      let lines = 0;
      for await (const { record, line } of records) {
        if (first) {
          first = false;
          if (/siren/i.test(record[0] ?? '') && !/^\s*\d/.test(record[0] ?? '')) continue; // header
        }
        if (++lines > IMPORT_MAX_LINES) {
          req.unpipe();
          req.resume();
          throw new HttpError(413, 'Payload Too Large', `Le fichier dépasse ${IMPORT_MAX_LINES} lignes de redevables.`);
        }
        const r = importLineProblems(record);
        if (!r.ok) {
          errors.push(...r.errors.map((e) => ({ line, ...e })));
          continue;
        }
        const earlier = seen.get(r.company.siren);
        if (earlier !== undefined) {
          errors.push({ line, column: 1, field: 'siren', reason: `SIREN déjà présent ligne ${earlier} du fichier` });
          continue;
        }
        seen.set(r.company.siren, line);
        rows.push({ ...r.company, line });
      }
      if (lines === 0) throw new HttpError(422, 'Unprocessable Content', 'Le fichier ne contient aucun redevable.');

      // Against the existing companies of the whole tree (primary + secondaries).
      const sirens = rows.map((r) => r.siren);
      for (let i = 0; i < sirens.length; i += 10_000) {
        const existing = await prisma.company.findMany({
          where: { rootAccountId: auth.account.rootId, siren: { in: sirens.slice(i, i + 10_000) } },
          select: { siren: true },
        });
        const taken = new Set(existing.map((e) => e.siren));
        for (const r of rows.slice(i, i + 10_000)) {
          if (taken.has(r.siren))
            errors.push({
              line: r.line,
              column: 1,
              field: 'siren',
              reason: 'un redevable de même SIREN existe déjà sur ce compte ou un compte rattaché',
            });
        }
      }
      errors.sort((a, b) => a.line - b.line || (a.column ?? 0) - (b.column ?? 0));
      if (errors.length) {
        const bad = new Set(errors.map((e) => e.line)).size;
        throw new HttpError(
          422,
          'Unprocessable Content',
          `${bad} ligne(s) en erreur sur ${lines} : aucun redevable n’a été créé.`,
          errors,
        );
      }
      const report = {
        dryRun: query.dryRun,
        encoding: encoding(),
        lines,
        created: 0,
        linksSent: 0,
        errors: [],
      };
      if (query.dryRun) return report;

      const firmRow = await prisma.portalAccount.findUniqueOrThrow({ where: { id: auth.account.id } });
      const firm = { name: firmRow.name, email: firmRow.contactEmail, phone: firmRow.contactPhone };
      const now = new Date();
      const companies: unknown[][] = [];
      const links: unknown[][] = [];
      const emails: unknown[][] = [];
      const audits: unknown[][] = [];
      const auditValues = (a: Prisma.AuditEventCreateManyInput) => [
        randomUUID(),
        a.portalAccountId,
        a.actorType,
        a.actorId,
        a.action,
        a.entityType,
        a.entityId,
        a.detail,
        a.ip,
        now,
      ];
      for (const r of rows) {
        const id = randomUUID();
        const p = r.periodicity;
        companies.push([
          id,
          auth.account.id,
          auth.account.rootId,
          r.siren,
          r.nic,
          r.name,
          r.name2,
          r.email,
          p.kind,
          p.day ?? null,
          p.month ?? null,
          r.remoteCredentials,
          now,
          now,
        ]);
        audits.push(
          auditValues(
            auditRow(
              { auth, req },
              {
                action: 'company.import',
                entityType: 'Company',
                entityId: id,
                detail: { line: r.line, siren: r.siren },
              },
            ),
          ),
        );
        if (r.remoteCredentials && r.email) {
          const company = { id, name: r.name, siren: r.siren, nic: r.nic, portalAccountId: auth.account.id };
          const { link: l, email: e } = prepareLink(
            config,
            { kind: 'ADD_ACCOUNTS', company, recipient: r.email, firm, automatic: true },
            now,
          );
          links.push([l.id, l.companyId, l.kind, l.recipient, l.secretHash, l.automatic, l.createdAt, l.expiresAt]);
          emails.push([
            randomUUID(),
            e.portalAccountId,
            e.idempotencyKey,
            e.kind,
            e.to,
            e.subject,
            e.textBody,
            e.htmlBody,
            now,
            e.secretsEnc,
          ]);
          audits.push(
            auditValues(
              auditRow(
                { auth, req },
                {
                  action: 'link.create',
                  entityType: 'Link',
                  entityId: l.id,
                  detail: { kind: 'add-accounts', companyId: id, recipient: r.email },
                },
              ),
            ),
          );
        }
      }
      await sirenUnique(() =>
        prisma.$transaction(
          async (tx) => {
            await bulkInsert(tx, 'Company', COMPANY_COLUMNS, companies);
            await bulkInsert(tx, 'Link', LINK_COLUMNS, links);
            await bulkInsert(tx, 'EmailMessage', EMAIL_COLUMNS, emails, 2000);
            await bulkInsert(tx, 'AuditEvent', AUDIT_COLUMNS, audits);
          },
          { timeout: 300_000, maxWait: 10_000 },
        ),
      );
      res.status(201).json({ ...report, created: companies.length, linksSent: links.length });
    },
  });
}

/** Passes the request through, failing once more than `max` bytes have arrived. */
async function* limitBytes(source: AsyncIterable<Buffer>, max: number): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > max) throw new HttpError(413, 'Payload Too Large', 'Fichier trop volumineux (40 Mo au plus).');
    yield chunk;
  }
}
