/**
 * A statement's files: CFONB120, camt.053 (rendered on demand, statement-files/), the
 * deleted transactions (CSV), and a ZIP of several statements in the formats chosen for each account.
 */
import yazl from 'yazl';
import { camt053Of, formatChoice, loadCamt053 } from '../../statement-files';
import { prismaSql } from '../../db/sql';
import { z } from 'zod';
import type { Prisma } from '../../db/client';
import { audit } from '../audit';
import { HttpError, badRequest, notFound } from '../errors';
import { idParam, camtVersionEnum, scopeQuery } from '../schemas';
import { scopeAccountIds, statementScope } from '../scope';
import type { RouteContext } from '../deps';
import { findStatement } from '../lookups';

const TAG = 'Relevés';

/** File name parts: ASCII letters/digits only. */
const safe = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');

export function statementDownloadRoutes(ctx: RouteContext) {
  const { api, deps } = ctx;
  const { prisma } = deps;

  const fileName = (
    s: { id: string; periodStart: Date; periodEnd: Date; bankAccount: { iban: string | null; label: string } },
    ext: string,
  ) => {
    const fmt = (d: Date) => d.toISOString().slice(0, 10).split('-').reverse().join('');
    return `${ext === 'csv' ? 'Transactions_supprimees_' : 'Releve_'}${safe(s.bankAccount.iban ?? s.bankAccount.label)}_du_${fmt(s.periodStart)}_au_${fmt(s.periodEnd)}.${ext}`;
  };

  const fileSelect = {
    id: true,
    periodStart: true,
    periodEnd: true,
    cfonb: true,
    deletedCsv: true,
    bankAccount: { select: { iban: true, label: true } },
  } satisfies Prisma.StatementSelect;
  const zipSelect = {
    ...fileSelect,
    bankAccount: {
      select: {
        iban: true,
        label: true,
        statementFormats: true,
        camtVersion: true,
        company: { select: { statementFormats: true, camtVersion: true } },
      },
    },
  } satisfies Prisma.StatementSelect;

  api.op({
    method: 'get',
    path: '/statements/{id}/cfonb',
    tag: TAG,
    summary: 'Le fichier CFONB120 du relevé',
    rights: ['VIEW_STATEMENTS'],
    params: idParam,
    query: scopeQuery,
    responses: { 200: { description: 'Fichier CFONB120 (.cfonb)', contentType: 'application/octet-stream' } },
    handler: async ({ auth, params, query, res }) => {
      const s = await findStatement(ctx, auth, params.id, query.includeSecondary, fileSelect);
      if (!s.cfonb) throw notFound('Fichier CFONB120 de ce relevé (relevé en cours ou en échec)');
      res.attachment(fileName(s, 'cfonb')).type('application/octet-stream').send(Buffer.from(s.cfonb));
    },
  });

  api.op({
    method: 'get',
    path: '/statements/{id}/camt053',
    tag: TAG,
    summary: 'Le relevé au format ISO 20022 camt.053 (XML)',
    description:
      'Rendu à la demande à partir des mêmes données que le fichier CFONB120, à l’octet près identique à chaque téléchargement. Version : celle choisie pour le compte (ou le redevable), sauf `version`.',
    rights: ['VIEW_STATEMENTS'],
    params: idParam,
    query: scopeQuery.extend({ version: camtVersionEnum.optional() }),
    responses: { 200: { description: 'Fichier camt.053 (.xml)', contentType: 'application/xml' } },
    handler: async ({ auth, params, query, res }) => {
      const s = await findStatement(ctx, auth, params.id, query.includeSecondary, fileSelect);
      const camt = await camt053Of(prismaSql(prisma), s.id, query.version);
      if (!camt) throw notFound('Fichier camt.053 de ce relevé (relevé en cours ou en échec)');
      if (!camt.ok) throw new HttpError(422, 'Unprocessable Content', camt.reason);
      res.attachment(fileName(s, 'xml')).type('application/xml').send(camt.xml);
    },
  });

  api.op({
    method: 'get',
    path: '/statements/{id}/deleted.csv',
    tag: TAG,
    summary: 'Les transactions supprimées par la banque (CSV), que le CFONB120 ne peut pas porter',
    rights: ['VIEW_STATEMENTS'],
    params: idParam,
    query: scopeQuery,
    responses: { 200: { description: 'CSV', contentType: 'text/csv' } },
    handler: async ({ auth, params, query, res }) => {
      const s = await findStatement(ctx, auth, params.id, query.includeSecondary, fileSelect);
      if (!s.deletedCsv) throw notFound('Fichier des transactions supprimées de ce relevé');
      res.attachment(fileName(s, 'csv')).type('text/csv; charset=utf-8').send(Buffer.from(s.deletedCsv));
    },
  });

  api.op({
    method: 'post',
    path: '/statements/zip',
    tag: TAG,
    summary:
      'Télécharger plusieurs relevés en une archive ZIP (les formats choisis pour chaque compte, CFONB120 et/ou camt.053, et les transactions supprimées)',
    rights: ['VIEW_STATEMENTS'],
    query: scopeQuery,
    body: z.object({
      ids: z
        .array(z.uuid({ message: 'identifiant invalide (UUID attendu)' }), { message: 'liste d’identifiants attendue' })
        .min(1, 'au moins un relevé')
        .max(1000, 'au plus 1000 relevés'),
    }),
    responses: { 200: { description: 'Archive ZIP (flux)', contentType: 'application/zip' } },
    handler: async ({ auth, query, body, req, res }) => {
      const ids = await scopeAccountIds(prisma, auth, query.includeSecondary);
      const wanted = [...new Set(body.ids)];
      const found = await prisma.statement.findMany({
        where: { id: { in: wanted }, ...statementScope(ids) },
        select: { id: true, cfonb: true },
      });
      const known = new Set(found.map((s) => s.id));
      const missing = wanted.filter((id) => !known.has(id));
      if (missing.length) throw notFound(`Relevé(s) ${missing.join(', ')}`);
      if (!found.some((s) => s.cfonb))
        throw badRequest('Aucun des relevés demandés n’a de fichier CFONB120 (en cours ou en échec).');
      await prisma.$transaction(async (tx) =>
        audit(tx, { auth, req }, { action: 'statement.zip', entityType: 'Statement', detail: { ids: wanted } }),
      );
      const zip = new yazl.ZipFile();
      res.attachment(`releves_${new Date().toISOString().slice(0, 10)}.zip`).type('application/zip');
      zip.outputStream.pipe(res);
      const used = new Set<string>();
      const unique = (name: string) => {
        let n = name;
        for (let i = 2; used.has(n); i++) n = name.replace(/(\.\w+)$/, `_${i}$1`);
        used.add(n);
        return n;
      };
      // One statement's files at a time: memory stays bounded whatever the number of statements.
      for (const id of wanted) {
        const s = await prisma.statement.findUniqueOrThrow({ where: { id }, select: zipSelect });
        const { formats } = formatChoice(s.bankAccount.company, s.bankAccount);
        if (s.cfonb && formats.includes('cfonb120')) zip.addBuffer(Buffer.from(s.cfonb), unique(fileName(s, 'cfonb')));
        if (s.cfonb && formats.includes('camt053')) {
          const camt = (await loadCamt053(prismaSql(prisma), [s.id])).get(s.id);
          // A camt.053 the renderer refuses (never seen: the same invariants as CFONB) leaves the CFONB file.
          if (camt?.ok) zip.addBuffer(camt.xml, unique(fileName(s, 'xml')));
          else if (!formats.includes('cfonb120')) zip.addBuffer(Buffer.from(s.cfonb), unique(fileName(s, 'cfonb')));
        }
        if (s.deletedCsv) zip.addBuffer(Buffer.from(s.deletedCsv), unique(fileName(s, 'csv')));
      }
      zip.end();
      await new Promise<void>((resolve, reject) => {
        res.on('finish', resolve);
        res.on('close', resolve);
        zip.outputStream.on('error', reject);
      });
    },
  });
}
