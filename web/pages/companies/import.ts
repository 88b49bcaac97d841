/** Redevables: the import page (a workbook or CSV file, checked or imported) and its report. */
import type { RequestHandler, Response, Router } from 'express';
import { pipeDownload, problemOf, type Problem } from '../../api-client';
import { portalContext, type PortalContext } from '../../context';
import { plural } from '../../format';
import { html } from '../../html';
import { checkbox, errorSummary, page, send } from '../../layout';
import { readUpload, UploadError, type Upload } from '../../upload';

const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Import de redevables (Excel or CSV) and the templates. */
export function importPages(router: Router, portal: RequestHandler) {
  router.get('/redevables/import', portal, (_req, res) => {
    importPage(res, portalContext(res), null, null);
  });

  router.post('/redevables/import', portal, async (req, res) => {
    const ctx = portalContext(res);
    let form: Upload;
    try {
      form = await readUpload(req);
    } catch (err) {
      if (!(err instanceof UploadError)) throw err;
      return importPage(res, ctx, null, { status: err.status, title: '', detail: err.message }, err.status);
    }
    const file = form.file;
    const dryRun = form.fields.get('dryRun') === 'true';
    if (!file || !file.content.length) {
      return importPage(
        res,
        ctx,
        null,
        {
          status: 400,
          title: '',
          detail: 'Choisissez le fichier à importer.',
          errors: [{ field: 'file', reason: 'fichier obligatoire' }],
        },
        400,
      );
    }
    // A workbook by its name (or type); anything else is read as CSV/TXT.
    const xlsx = /\.xlsx$/i.test(file.filename) || file.mimeType === XLSX_MIME;
    const r = await ctx.api.call<ImportReport>('POST', '/companies/import', {
      csrf: form.fields.get('_csrf') ?? '',
      query: { dryRun: dryRun ? 'true' : undefined },
      raw: file.content,
      contentType: xlsx ? XLSX_MIME : 'text/csv',
    });
    if (r.ok) return importPage(res, ctx, { ...r.body, fileName: file.filename }, null);
    const problem = problemOf(r);
    importPage(res, ctx, { dryRun, fileName: file.filename, errors: problem.errors ?? [] }, problem, r.status);
  });
  for (const format of ['xlsx', 'csv'] as const) {
    router.get(`/redevables/import/modele.${format}`, portal, async (_req, res) => {
      const ctx = portalContext(res);
      await pipeDownload(await ctx.api.fetch('GET', `/companies/import/template.${format}`), res);
    });
  }
}

interface ImportReport {
  dryRun: boolean;
  encoding?: string;
  lines?: number;
  created?: number;
  linksSent?: number;
  fileName?: string;
  errors: Array<{ line?: number; column?: number; field: string; reason: string }>;
}

function importPage(
  res: Response,
  ctx: PortalContext,
  report: ImportReport | null,
  problem: Problem | null,
  status = 200,
) {
  const reportHtml = report
    ? html`<section aria-labelledby="rapport" class="report">
        <h2 id="rapport" tabindex="-1">
          Rapport
          ${report.dryRun ? 'de vérification' : 'd’import'}${report.fileName ? html` <small>${report.fileName}</small>` : ''}
        </h2>
        ${
          report.errors.length
            ? html`<p class="flash error" role="alert">
                  ${plural(report.errors.length, 'erreur', 'erreurs')} : aucun redevable n’a été créé. Corrigez le
                  fichier et recommencez.
                </p>
                <div class="table-wrap" role="region" aria-label="Erreurs ligne par ligne" tabindex="0">
                  <table class="list">
                    <thead>
                      <tr>
                        <th scope="col">Ligne</th>
                        <th scope="col">Colonne</th>
                        <th scope="col">Champ</th>
                        <th scope="col">Erreur</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${report.errors.map(
                        (e) =>
                          html`<tr>
                            <td class="num">${e.line ?? ''}</td>
                            <td class="num">${e.column ?? ''}</td>
                            <td>${e.field}</td>
                            <td>${e.reason}</td>
                          </tr>`,
                      )}
                    </tbody>
                  </table>
                </div>`
            : report.dryRun
              ? html`<p class="flash ok" role="status">
                  Fichier valide : ${plural(report.lines ?? 0, 'ligne vérifiée', 'lignes vérifiées')} (encodage
                  ${report.encoding}). Aucun redevable n’a été créé (vérification seule).
                </p>`
              : html`<p class="flash ok" role="status">
                  ${plural(report.created ?? 0, 'redevable créé', 'redevables créés')} sur
                  ${plural(report.lines ?? 0, 'ligne', 'lignes')} ;
                  ${plural(report.linksSent ?? 0, 'lien envoyé', 'liens envoyés')} par e-mail.
                </p>`
        }
      </section>`
    : '';
  const body = html`${report ? '' : errorSummary(problem, { file: 'Fichier' })} ${reportHtml}
    <p class="toolbar">
      <a class="button" href="/redevables/import/modele.xlsx" download>Télécharger le modèle Excel</a>
      <a class="button" href="/redevables/import/modele.csv" download>Télécharger le modèle CSV</a>
    </p>
    <form method="post" action="/redevables/import" enctype="multipart/form-data" class="stack">
      <input type="hidden" name="_csrf" value="${ctx.csrf}" />
      <div class="field">
        <label for="f-file"
          >Fichier des redevables (Excel .xlsx, ou CSV / TXT « ; »)
          <abbr title="obligatoire" aria-hidden="true">*</abbr></label
        >
        <input
          id="f-file"
          name="file"
          type="file"
          accept=".xlsx,.csv,.txt,text/csv,text/plain,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
          required
          aria-describedby="f-file-aide"
        />
        <small id="f-file-aide"
          >Classeur Excel : la première feuille, une ligne par redevable, les colonnes du modèle. CSV : une ligne par
          redevable, 9 champs séparés par « ; » : SIREN ; NIC ; Raison sociale ; Raison sociale (suite) ; Email ;
          Périodicité (JOURNALIERE, HEBDOMADAIRE, MENSUELLE, TRIMESTRIELLE, SEMESTRIELLE, ANNUELLE) ; Mois ; Jour ;
          Saisie déportée (0/1). UTF-8 ou Windows-1252, 50 000 lignes au plus.</small
        >
      </div>
      ${checkbox('dryRun', 'Vérifier seulement (simulation : rien n’est créé)', report?.dryRun ?? true)}
      <p class="actions">
        <button type="submit" class="primary">Importer</button> <a href="/redevables">Retour aux redevables</a>
      </p>
    </form>`;
  send(res, page(ctx, { title: 'Import de redevables', section: 'redevables', body }), status);
}
