/** Redevables: search, create, edit, company page (tabs Comptes bancaires / Jetons), links, import. */
import type { Request, Response, Router } from 'express';
import { pipeDownload, problemOf, type Problem } from '../api-client';

const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
import { portalContext, requirePortal, safeReturn, setFlash, type PortalContext } from '../context';
import { frIban, frTime, plural } from '../format';
import { html, qs, raw, type Html } from '../html';
import {
  actionButton,
  badge,
  checkbox,
  errorSummary,
  field,
  fieldErrors,
  linkStateBadge,
  page,
  pager,
  select,
  send,
} from '../layout';
import { readUpload, UploadError, type Upload } from '../upload';
import {
  collectBadge,
  connectionBadge,
  csrfOf,
  LINK_KIND,
  periodicityText,
  str,
  when,
  type BankAccount,
  type Company,
  type Link,
  companyCriteria,
  emailBounceBadge,
  searchPage,
} from './shared';

const LIMIT = 50;

const COMPANY_LABELS: Record<string, string> = {
  siren: 'SIREN',
  nic: 'NIC',
  name: 'Raison sociale',
  name2: 'Raison sociale (suite)',
  email: 'Email',
  'periodicity.kind': 'Périodicité',
  'periodicity.day': 'Jour',
  'periodicity.month': 'Mois',
  statementFormats: 'Formats des relevés',
  camtVersion: 'Version camt.053',
  recipient: 'Destinataire',
};

const STATEMENT_FORMATS: Array<[string, string]> = [
  ['cfonb120', 'CFONB120'],
  ['camt053', 'ISO 20022 camt.053'],
  ['both', 'CFONB120 et camt.053'],
];
const CAMT_VERSIONS: Array<[string, string]> = [
  ['08', 'camt.053.001.08'],
  ['02', 'camt.053.001.02 (anciens logiciels)'],
];
const formatsLabel = (c: Company) =>
  `${STATEMENT_FORMATS.find(([v]) => v === c.statementFormats)?.[1] ?? c.statementFormats}` +
  (c.statementFormats === 'cfonb120' ? '' : ` (camt.053.001.${c.camtVersion})`);

const PERIODICITIES: Array<[string, string]> = [
  ['DAILY', 'Quotidienne'],
  ['WEEKLY', 'Hebdomadaire'],
  ['MONTHLY', 'Mensuelle'],
  ['QUARTERLY', 'Trimestrielle'],
  ['SEMIANNUAL', 'Semestrielle'],
  ['ANNUAL', 'Annuelle'],
];

type CompanyForm = Record<
  'siren' | 'nic' | 'name' | 'name2' | 'email' | 'periodicity.kind' | 'periodicity.day' | 'periodicity.month',
  string
> & { noAutoLinks: boolean; statementFormats?: string; camtVersion?: string };

const emptyForm = (): CompanyForm => ({
  siren: '',
  nic: '',
  name: '',
  name2: '',
  email: '',
  'periodicity.kind': 'MONTHLY',
  'periodicity.day': '0',
  'periodicity.month': '',
  noAutoLinks: false,
});

function formOf(body: Record<string, unknown>): CompanyForm {
  return {
    siren: str(body.siren),
    nic: str(body.nic),
    name: str(body.name),
    name2: str(body.name2),
    email: str(body.email),
    'periodicity.kind': str(body['periodicity.kind']),
    'periodicity.day': str(body['periodicity.day']),
    'periodicity.month': str(body['periodicity.month']),
    noAutoLinks: body.noAutoLinks === 'true',
    statementFormats: str(body.statementFormats) || undefined,
    camtVersion: str(body.camtVersion) || undefined,
  };
}

const num = (v: string) => (v.trim() === '' ? null : /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : v.trim());

/** The JSON body of POST/PATCH /companies; numbers left as text when not numbers (the API names the field). */
function jsonOf(f: CompanyForm, patch: boolean) {
  const opt = (v: string) => (v.trim() === '' ? (patch ? null : undefined) : v);
  return {
    siren: f.siren,
    nic: opt(f.nic),
    name: f.name,
    name2: opt(f.name2),
    email: f.email,
    periodicity: { kind: f['periodicity.kind'], day: num(f['periodicity.day']), month: num(f['periodicity.month']) },
    autoLinks: !f.noAutoLinks,
    statementFormats: f.statementFormats,
    camtVersion: f.camtVersion,
  };
}

function companyForm(
  ctx: PortalContext,
  action: string,
  f: CompanyForm,
  problem: Problem | null,
  submit: string,
): Html {
  const e = fieldErrors(problem);
  return html`${errorSummary(problem, COMPANY_LABELS)}
    <form method="post" action="${action}" class="stack">
      <input type="hidden" name="_csrf" value="${ctx.csrf}" />
      <fieldset>
        <legend>Informations juridiques</legend>
        <div class="grid">
          ${field({ name: 'siren', label: 'SIREN', value: f.siren, error: e.get('siren'), required: true, attrs: 'inputmode="numeric" maxlength="11"' })}
          ${field({ name: 'nic', label: 'NIC', value: f.nic, error: e.get('nic'), attrs: 'inputmode="numeric" maxlength="6"' })}
          ${field({ name: 'name', label: 'Raison sociale', value: f.name, error: e.get('name'), required: true, attrs: 'maxlength="35"' })}
          ${field({ name: 'name2', label: 'Raison sociale (suite)', value: f.name2, error: e.get('name2'), attrs: 'maxlength="35"' })}
          ${field({ name: 'email', label: 'Email', type: 'email', value: f.email, error: e.get('email'), required: true, hint: 'Adresse à laquelle le redevable reçoit les liens sécurisés (72 h) de saisie de ses identifiants bancaires.' })}
        </div>
      </fieldset>
      <fieldset>
        <legend>Paramétrage des relevés</legend>
        <div class="grid">
          ${select({ name: 'periodicity.kind', label: 'Périodicité', options: PERIODICITIES, value: f['periodicity.kind'], error: e.get('periodicity.kind') ?? e.get('periodicity'), required: true })}
          ${field({ name: 'periodicity.day', label: 'Jour', value: f['periodicity.day'], error: e.get('periodicity.day'), attrs: 'inputmode="numeric"', hint: 'Hebdomadaire : 1 (dimanche) à 7 (samedi). Mensuelle, trimestrielle, semestrielle : 1 à 28, ou 0 pour la fin du mois. Annuelle : jour du mois.' })}
          ${field({ name: 'periodicity.month', label: 'Mois', value: f['periodicity.month'], error: e.get('periodicity.month'), attrs: 'inputmode="numeric"', hint: 'Trimestrielle : 1 à 3 (mois du trimestre). Semestrielle : 1 à 6. Annuelle : 1 à 12.' })}
        </div>
        ${checkbox('noAutoLinks', 'Ne pas générer automatiquement le jeton / mail de mise à jour des identifiants bancaires', f.noAutoLinks)}
        <div class="grid">
          ${select({ name: 'statementFormats', label: 'Formats des relevés', options: STATEMENT_FORMATS, value: f.statementFormats ?? 'cfonb120', error: e.get('statementFormats'), hint: 'Joints aux e-mails et aux archives ZIP ; chaque relevé reste téléchargeable dans les deux formats.' })}
          ${select({ name: 'camtVersion', label: 'Version camt.053', options: CAMT_VERSIONS, value: f.camtVersion ?? '08', error: e.get('camtVersion') })}
        </div>
      </fieldset>
      <p class="actions"><button type="submit" class="primary">${submit}</button> <a href="/redevables">Annuler</a></p>
    </form>`;
}

export function companyPages(router: Router) {
  const portal = requirePortal();

  router.get('/redevables', portal, async (req, res) => {
    const ctx = portalContext(res);
    const q = {
      siret: str(req.query.siret),
      name: str(req.query.name),
      iban: str(req.query.iban),
      collection: str(req.query.collection),
      includeInactive: req.query.includeInactive === 'true' ? 'true' : undefined,
      includeSecondary:
        req.query.includeSecondary === 'true' && ctx.me.portalAccount.kind === 'PRIMARY' ? 'true' : undefined,
      adresse: req.query.adresse === 'rejet' ? 'rejet' : undefined,
    };
    const { adresse, ...apiQuery } = q;
    const { r, offset, problem, list } = await searchPage<Company>(
      ctx,
      req,
      '/companies',
      { ...apiQuery, emailBounced: adresse ? 'true' : undefined },
      LIMIT,
    );
    const secondary = !!q.includeSecondary;
    const e = fieldErrors(problem);
    const body = html`<p class="toolbar">
        ${ctx.can('MANAGE_COMPANIES') ? html`<a class="button primary" href="/redevables/nouveau">Créer un redevable</a> <a class="button" href="/redevables/import">Importer des redevables</a>` : ''}
      </p>
      <form method="get" action="/redevables" class="filters" role="search" aria-label="Rechercher un redevable">
        ${errorSummary(problem, { siret: 'SIRET', iban: 'IBAN', name: 'Raison sociale' })}
        <div class="grid">
          ${companyCriteria(q, e)}
          ${select({
            name: 'collection',
            label: 'État de la collecte',
            value: q.collection,
            options: [
              ['', 'Tous'],
              ['success', 'Succès'],
              ['error', 'Erreur'],
            ],
          })}
        </div>
        <div class="options">
          ${checkbox('includeInactive', 'Afficher les redevables désactivés', !!q.includeInactive)}
          ${checkbox('adresse', 'Seulement les adresses e-mail rejetées', !!q.adresse, 'rejet')}
          ${ctx.me.portalAccount.kind === 'PRIMARY' ? checkbox('includeSecondary', 'Afficher les redevables des comptes secondaires', secondary) : ''}
        </div>
        <p><button type="submit" class="primary">Rechercher</button></p>
      </form>
      <h2 id="resultats">Résultats <small>${plural(list.total, 'redevable trouvé', 'redevables trouvés')}</small></h2>
      ${exportLinks('/redevables/export', q)}
      <div class="table-wrap" role="region" aria-labelledby="resultats" tabindex="0">
        <table class="list">
          <thead>
            <tr>
              ${secondary ? html`<th scope="col">Compte</th>` : ''}
              <th scope="col">SIREN</th>
              <th scope="col">NIC</th>
              <th scope="col">Raison sociale</th>
              <th scope="col">Périodicité</th>
              <th scope="col">Comptes</th>
              <th scope="col">Collecte</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            ${list.items.map((c) => companyRow(ctx, c, secondary))}
            ${
              list.items.length
                ? ''
                : html`<tr>
                    <td colspan="${secondary ? 8 : 7}">Aucun redevable ne correspond à ces critères.</td>
                  </tr>`
            }
          </tbody>
        </table>
      </div>
      ${pager('/redevables', q, list.total, offset, LIMIT)}`;
    send(res, page(ctx, { title: 'Redevables', section: 'redevables', body, wide: true }), r.ok ? 200 : r.status);
  });

  router.get('/redevables/nouveau', portal, (_req, res) => {
    const ctx = portalContext(res);
    const body = companyForm(ctx, '/redevables/nouveau', emptyForm(), null, 'Créer le redevable');
    send(res, page(ctx, { title: 'Création d’un redevable', section: 'redevables', body }));
  });

  router.post('/redevables/nouveau', portal, async (req, res) => {
    const ctx = portalContext(res);
    const f = formOf(req.body ?? {});
    const r = await ctx.api.call<Company>('POST', '/companies', { csrf: csrfOf(req), json: jsonOf(f, false) });
    if (!r.ok) {
      const body = companyForm(ctx, '/redevables/nouveau', f, problemOf(r), 'Créer le redevable');
      return send(res, page(ctx, { title: 'Création d’un redevable', section: 'redevables', body }), r.status);
    }
    setFlash(res, { kind: 'ok', text: `Le redevable ${r.body.name} est créé.` });
    res.redirect(303, `/redevables/${r.body.id}`);
  });

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
    router.get(`/redevables/export.${format}`, portal, async (req, res) => {
      const ctx = portalContext(res);
      const q = req.query as Record<string, string | undefined>;
      await pipeDownload(
        await ctx.api.fetch('GET', '/companies/export', {
          query: {
            format,
            siret: q.siret,
            name: q.name,
            iban: q.iban,
            collection: q.collection,
            includeInactive: q.includeInactive,
            includeSecondary: q.includeSecondary,
            emailBounced: q.adresse === 'rejet' ? 'true' : undefined,
          },
        }),
        res,
      );
    });
  }

  router.get('/redevables/:id', portal, async (req, res) => {
    const ctx = portalContext(res);
    const id = String(req.params.id);
    const tab = req.query.onglet === 'jetons' ? 'jetons' : 'comptes';
    const company = await ctx.api.get<Company & { accounts: BankAccount[] }>(`/companies/${id}`, ctx.scope);
    const links =
      ctx.can('CONFIGURE_BANKS') || ctx.can('MANAGE_COMPANIES')
        ? (await ctx.api.get<{ items: Link[] }>(`/companies/${id}/links`, ctx.scope)).items
        : [];
    const banks =
      tab === 'comptes' && ctx.can('CONFIGURE_BANKS') && company.portalAccountId === ctx.me.portalAccount.id
        ? await bankChoices(ctx)
        : [];
    const body = html`${companySummary(ctx, company)}
      <nav class="tabs" aria-label="Onglets du redevable">
        <a href="/redevables/${company.id}" ${tab === 'comptes' ? raw(' aria-current="page"') : ''}
          >Comptes bancaires</a
        >
        <a href="/redevables/${company.id}?onglet=jetons" ${tab === 'jetons' ? raw(' aria-current="page"') : ''}
          >Jetons</a
        >
      </nav>
      <section class="tab-panel">
        ${tab === 'comptes' ? accountsTab(ctx, company, links, banks) : linksTab(links)}
      </section>`;
    send(
      res,
      page(ctx, {
        title: company.name,
        heading: html`Redevable <span class="muted">${company.name}</span>`,
        section: 'redevables',
        body,
        wide: true,
      }),
    );
  });

  router.get('/redevables/:id/modifier', portal, async (req, res) => {
    const ctx = portalContext(res);
    const c = await ctx.api.get<Company>(`/companies/${String(req.params.id)}`, ctx.scope);
    const f: CompanyForm = {
      siren: c.siren,
      nic: c.nic ?? '',
      name: c.name,
      name2: c.name2 ?? '',
      email: c.email ?? '',
      'periodicity.kind': c.periodicity.kind,
      'periodicity.day': c.periodicity.day === null ? '' : String(c.periodicity.day),
      'periodicity.month': c.periodicity.month === null ? '' : String(c.periodicity.month),
      noAutoLinks: !c.autoLinks,
      statementFormats: c.statementFormats,
      camtVersion: c.camtVersion,
    };
    const body = companyForm(ctx, `/redevables/${c.id}/modifier`, f, null, 'Enregistrer');
    send(res, page(ctx, { title: 'Modification d’un redevable', section: 'redevables', body }));
  });

  router.post('/redevables/:id/modifier', portal, async (req, res) => {
    const ctx = portalContext(res);
    const id = String(req.params.id);
    const f = formOf(req.body ?? {});
    const r = await ctx.api.call<Company>('PATCH', `/companies/${id}`, {
      csrf: csrfOf(req),
      query: ctx.scope,
      json: jsonOf(f, true),
    });
    if (!r.ok) {
      if (r.status === 404)
        return send(res, page(ctx, { title: 'Page introuvable', body: html`<p>${problemOf(r).detail}</p>` }), 404);
      const body = companyForm(ctx, `/redevables/${id}/modifier`, f, problemOf(r), 'Enregistrer');
      return send(res, page(ctx, { title: 'Modification d’un redevable', section: 'redevables', body }), r.status);
    }
    setFlash(res, { kind: 'ok', text: 'Modifications enregistrées.' });
    res.redirect(303, `/redevables/${id}`);
  });

  for (const [verb, path, done] of [
    ['deactivate', 'desactiver', 'Le redevable est désactivé : ses comptes bancaires ne sont plus collectés.'],
    ['reactivate', 'reactiver', 'Le redevable est réactivé.'],
    [
      'email/reactivate',
      'reactiver-adresse',
      'L’adresse e-mail est réactivée : les messages lui sont de nouveau envoyés.',
    ],
  ] as const) {
    router.post(`/redevables/:id/${path}`, portal, async (req, res) => {
      const ctx = portalContext(res);
      const r = await ctx.api.call('POST', `/companies/${String(req.params.id)}/${verb}`, {
        csrf: csrfOf(req),
        query: ctx.scope,
      });
      actionDone(req, res, r.ok ? null : problemOf(r), done, '/redevables');
    });
  }

  router.post('/redevables/:id/lien', portal, async (req, res) => {
    const ctx = portalContext(res);
    const id = String(req.params.id);
    const bank = await chosenBank(ctx, str(req.body?.banque));
    if ('problem' in bank) return actionDone(req, res, bank.problem, '', `/redevables/${id}`);
    const recipient = str(req.body?.recipient).trim();
    const r = await ctx.api.call<Link>('POST', `/companies/${id}/links`, {
      csrf: csrfOf(req),
      query: ctx.scope,
      json: { ...bank.json, ...(recipient ? { recipient } : {}) },
    });
    actionDone(
      req,
      res,
      r.ok ? null : problemOf(r),
      r.ok ? `Un lien sécurisé valable 72 h a été envoyé à ${r.body.recipient}.` : '',
      `/redevables/${id}?onglet=jetons`,
    );
  });

  router.post('/redevables/:id/connexion-directe', portal, async (req, res) => {
    const ctx = portalContext(res);
    const id = String(req.params.id);
    const bank = await chosenBank(ctx, str(req.body?.['banque-directe']));
    if ('problem' in bank) return actionDone(req, res, bank.problem, '', `/redevables/${id}`);
    const r = await ctx.api.call<{ url: string }>('POST', `/companies/${id}/connect`, {
      csrf: csrfOf(req),
      query: ctx.scope,
      json: bank.json,
    });
    if (r.ok) return res.redirect(303, r.body.url);
    actionDone(req, res, problemOf(r), '', `/redevables/${id}`);
  });
}

export interface BankChoice {
  name: string;
  /** A bank of the referential, or a connector of the catalogue. */
  bankId?: string;
  connectorUuid?: string;
  maintenance: boolean;
}

/** The banks offered on the company page: the referential's, then the catalogue's (names unique). */
export async function bankChoices(ctx: PortalContext): Promise<BankChoice[]> {
  const referential = ctx.can('CONFIGURE_BANKS')
    ? (
        await ctx.api.get<{
          items: Array<{ id: string; name: string; connector: { maintenance: boolean } | null }>;
        }>('/banks')
      ).items
    : [];
  const catalogue: Array<{ uuid: string; name: string; maintenance: boolean }> = [];
  for (let offset = 0; offset < 2000; offset += 200) {
    const page = await ctx.api.get<{ items: typeof catalogue; total: number }>('/bank-catalog', { limit: 200, offset });
    catalogue.push(...page.items);
    if (offset + 200 >= page.total) break;
  }
  const seen = new Set(referential.map((b) => b.name.toLowerCase()));
  return [
    ...referential.map((b) => ({ name: b.name, bankId: b.id, maintenance: b.connector?.maintenance ?? false })),
    ...catalogue
      .filter((c) => !seen.has(c.name.toLowerCase()))
      .map((c) => ({ name: c.name, connectorUuid: c.uuid, maintenance: c.maintenance })),
  ];
}

/** The bank typed in a form ("" = the company chooses in the webview), as the API's body. */
async function chosenBank(
  ctx: PortalContext,
  typed: string,
): Promise<{ json: { bankId?: string; connectorUuid?: string } } | { problem: Problem }> {
  const name = typed.trim();
  if (!name) return { json: {} };
  const found = (await bankChoices(ctx)).find((b) => b.name.toLowerCase() === name.toLowerCase());
  if (!found)
    return {
      problem: {
        status: 400,
        title: '',
        detail: `Banque inconnue : « ${name} ». Choisissez-la dans la liste proposée, ou laissez le champ vide pour que le redevable la choisisse.`,
      },
    };
  return { json: found.bankId ? { bankId: found.bankId } : { connectorUuid: found.connectorUuid } };
}

/** The bank field: typed with suggestions from the referential and Powens' catalogue (no script needed). */
function bankField(name: string, banks: BankChoice[], hint: string): Html {
  const id = `f-${name}`;
  return html`<div class="field">
    <label for="${id}">Banque</label>
    <input id="${id}" name="${name}" list="${id}-liste" autocomplete="off" aria-describedby="${id}-aide" />
    <datalist id="${id}-liste">
      ${banks.map((b) => html`<option value="${b.name}">${b.maintenance ? 'en maintenance' : ''}</option>`)}
    </datalist>
    <small id="${id}-aide">${hint}</small>
  </div>`;
}

/** "Exporter : CSV · Excel" with the search's own criteria. */
export function exportLinks(base: string, q: Record<string, string | undefined>): Html {
  return html`<p class="toolbar export">
    Exporter la recherche :
    <a class="button small" href="${base}.csv${qs(q)}" download>CSV</a>
    <a class="button small" href="${base}.xlsx${qs(q)}" download>Excel (.xlsx)</a>
  </p>`;
}

/** After a POST action: flash the outcome and go back where the user was (404 stays a 404 page). */
export function actionDone(req: Request, res: Response, problem: Problem | null, done: string, fallback: string) {
  if (problem?.status === 404) {
    const ctx = portalContext(res);
    return send(
      res,
      page(ctx, {
        title: 'Page introuvable',
        body: html`<div class="flash error" role="alert"><p>${problem.detail}</p></div>`,
      }),
      404,
    );
  }
  setFlash(res, problem ? { kind: 'error', text: problem.detail } : { kind: 'ok', text: done });
  res.redirect(303, safeReturn(req.body?.retour, fallback));
}

function companyRow(ctx: PortalContext, c: Company, secondary: boolean): Html {
  const collection =
    c.collection === 'success'
      ? badge('ok', 'Succès')
      : c.collection === 'error'
        ? badge('error', 'Erreur')
        : badge('neutral', 'Aucun compte');
  const history = `/reception${qs({ siret: c.siren + (c.nic ?? ''), includeSecondary: secondary || undefined })}`;
  return html`<tr${c.active ? '' : raw(' class="inactive"')}>
${secondary ? html`<td>${c.portalAccountName}</td>` : ''}
<td>${c.siren}</td><td>${c.nic ?? ''}</td>
<td><a href="/redevables/${c.id}">${c.name}</a>${c.active ? '' : html` ${badge('neutral', 'Désactivé', c.deactivatedAt)}`}${c.emailBounce ? html`<br />${emailBounceBadge(c.emailBounce)}` : ''}</td>
<td>${periodicityText(c.periodicity)}</td>
<td class="num">${c.accountCount}</td>
<td>${collection}</td>
<td class="row-actions">
<a class="button small" href="/redevables/${c.id}" aria-label="Consulter ${c.name}">Consulter</a>
${ctx.can('MANAGE_COMPANIES') ? html`<a class="button small" href="/redevables/${c.id}/modifier" aria-label="Modifier ${c.name}">Modifier</a>` : ''}
<a class="button small" href="${history}" aria-label="Historique des relevés de ${c.name}">Historique</a>
${
  ctx.can('MANAGE_COMPANIES')
    ? c.active
      ? actionButton(ctx, `/redevables/${c.id}/desactiver`, 'Désactiver', {
          title: `Désactiver ${c.name}`,
          confirm: `Désactiver ${c.name} ? Tous ses comptes bancaires deviennent inactifs (rien n’est supprimé).`,
        })
      : actionButton(ctx, `/redevables/${c.id}/reactiver`, 'Réactiver', { title: `Réactiver ${c.name}` })
    : ''
}
</td></tr>`;
}

function companySummary(ctx: PortalContext, c: Company): Html {
  return html`<div class="summary">
    <section>
      <h2>Informations juridiques</h2>
      <dl class="pairs">
        <dt>SIREN</dt>
        <dd>${c.siren}</dd>
        <dt>NIC</dt>
        <dd>${c.nic ?? '—'}</dd>
        <dt>Raison sociale</dt>
        <dd>${c.name}${c.name2 ? ` ${c.name2}` : ''}</dd>
        <dt>Email</dt>
        <dd>
          ${c.email ?? '—'}
          ${
            c.emailBounce
              ? html`<br />${emailBounceBadge(c.emailBounce)}
                  <small class="hint"
                    >Plus aucun message n’est envoyé à cette adresse : modifiez-la, ou réactivez-la si elle est de
                    nouveau valable.</small
                  >
                  ${ctx.can('MANAGE_COMPANIES') ? actionButton(ctx, `/redevables/${c.id}/reactiver-adresse`, 'Réactiver l’adresse', { cls: 'small', confirm: `Réactiver l’adresse ${c.email ?? ''} ? Les messages lui seront de nouveau envoyés.` }) : ''}`
              : ''
          }
        </dd>
        ${
          c.portalAccountId !== ctx.me.portalAccount.id
            ? html`<dt>Compte</dt>
                <dd>${c.portalAccountName}</dd>`
            : ''
        }
        <dt>État</dt>
        <dd>${c.active ? badge('ok', 'Actif') : badge('neutral', 'Désactivé', c.deactivatedAt)}</dd>
      </dl>
    </section>
    <section>
      <h2>Paramétrage des relevés</h2>
      <dl class="pairs">
        <dt>Périodicité</dt>
        <dd>${periodicityText(c.periodicity)}</dd>
        <dt>Formats des relevés</dt>
        <dd>${formatsLabel(c)}</dd>
        <dt>Jeton automatique</dt>
        <dd>
          ${c.autoLinks ? 'Oui : un lien de mise à jour des identifiants est envoyé automatiquement' : 'Non (option « ne pas générer automatiquement » cochée)'}
        </dd>
      </dl>
      <p class="toolbar">
        ${ctx.can('MANAGE_COMPANIES') ? html`<a class="button" href="/redevables/${c.id}/modifier">Modifier</a>` : ''}
        <a
          class="button"
          href="/reception${qs({ siret: c.siren + (c.nic ?? ''), includeSecondary: c.portalAccountId !== ctx.me.portalAccount.id || undefined })}"
          >Historique des relevés</a
        >
        ${
          ctx.can('MANAGE_COMPANIES')
            ? c.active
              ? actionButton(ctx, `/redevables/${c.id}/desactiver`, 'Désactiver', {
                  cls: 'danger',
                  confirm: `Désactiver ${c.name} ? Tous ses comptes bancaires deviennent inactifs (rien n’est supprimé).`,
                })
              : actionButton(ctx, `/redevables/${c.id}/reactiver`, 'Réactiver', { cls: '' })
            : ''
        }
      </p>
    </section>
  </div>`;
}

/**
 * "Ajouter des comptes bancaires": the e-mailed link (72 h) to the company; with a bank of the
 * referential it becomes the connection request of the INGENEO page (consent, 48-72 h delay).
 */
function linkRequestForm(ctx: PortalContext, c: Company, banks: BankChoice[]): Html {
  return html`<form
    method="post"
    action="/redevables/${c.id}/lien"
    class="link-request"
    data-confirm="Envoyer au redevable un lien sécurisé valable 72 h pour saisir ses identifiants bancaires et choisir ses comptes ?"
  >
    <input type="hidden" name="_csrf" value="${ctx.csrf}" />
    ${bankField('banque', banks, 'Facultatif : tapez le nom de la banque ; le lien s’ouvrira directement sur elle.')}
    ${field({ name: 'recipient', label: 'Destinataire', type: 'email', value: c.email ?? '', hint: 'Par défaut l’e-mail du redevable.' })}
    <button type="submit" class="primary">Ajouter des comptes bancaires</button>
  </form>`;
}

function accountsTab(
  ctx: PortalContext,
  c: Company & { accounts: BankAccount[] },
  links: Link[],
  banks: BankChoice[],
): Html {
  const latest = new Map<string, Link>();
  for (const l of links) if (l.connectionId && !latest.has(l.connectionId)) latest.set(l.connectionId, l);
  // An account added through an add-accounts link (a company-level link): the link used then.
  const addedWith = (a: BankAccount) =>
    links.find(
      (l) => l.kind === 'add-accounts' && l.usedAt && Date.parse(l.usedAt) <= Date.parse(a.createdAt) + 60_000,
    );
  const available = c.accounts.filter((a) => a.active).length;
  const unavailable = c.accounts.filter((a) => !a.statement.available).length;
  const canBanks = ctx.can('CONFIGURE_BANKS');
  return html`<h2 class="sr-only">Comptes bancaires</h2>
    <p>
      ${available} compte(s) bancaire(s) disponible(s) pour la réception des
      relevés${unavailable ? html`, ${unavailable} sans relevé CFONB possible (compte sans IBAN)` : ''}
    </p>
    ${
      canBanks && c.active
        ? html`<p class="toolbar">
            ${linkRequestForm(ctx, c, banks)}
            ${
              c.siren === ctx.me.portalAccount.siren
                ? html`<form method="post" action="/redevables/${c.id}/connexion-directe" class="link-request">
                    <input type="hidden" name="_csrf" value="${ctx.csrf}" />
                    ${bankField('banque-directe', banks, 'Facultatif : la page de connexion de Powens s’ouvrira sur cette banque.')}
                    <button type="submit">Saisir directement mes identifiants</button>
                  </form>`
                : ''
            }
          </p>`
        : ''
    }
    <div class="table-wrap" role="region" aria-label="Comptes bancaires du redevable" tabindex="0">
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Banque</th>
            <th scope="col">IBAN</th>
            <th scope="col">Libellé</th>
            <th scope="col">État connexion</th>
            <th scope="col">Dernière collecte</th>
            <th scope="col">État jeton</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          ${c.accounts.map((a) => {
            const l = latest.get(a.connectionId) ?? addedWith(a);
            return html`<tr${a.active ? '' : raw(' class="inactive"')}>
<td>${a.bankName ?? ''}</td><td class="iban">${frIban(a.iban)}</td><td>${a.label}${accountStateNote(a)}</td>
<td>${connectionBadge(a)}</td><td>${collectBadge(a)}</td>
<td>${l ? linkStateBadge(l.state, l.usedAt ?? l.createdAt) : ''}</td>
<td class="row-actions">${accountActions(ctx, a)}</td></tr>`;
          })}
          ${
            c.accounts.length
              ? ''
              : html`<tr>
                  <td colspan="7">
                    Aucun compte bancaire : cliquez sur « Ajouter des comptes bancaires » pour envoyer un lien au
                    redevable.
                  </td>
                </tr>`
          }
        </tbody>
      </table>
    </div>`;
}

/**
 * Consulter, Collecter maintenant, Émettre un relevé intermédiaire, Mettre à jour les identifiants,
 * Saisir mes identifiants, Désactiver/Réactiver. The collect buttons follow the API's
 * `connection.collect`: disabled with the time of the end of the cooldown, or replaced by the
 * reason and the update-credentials link when the connection waits for the company.
 */
export function accountActions(ctx: PortalContext, a: BankAccount): Html {
  const canBanks = ctx.can('CONFIGURE_BANKS');
  const collect = a.connection.collect;
  const waiting = collect.refusal === 'user-action';
  const updateLink = actionButton(ctx, `/connexions/${a.connectionId}/lien`, 'Mettre à jour les identifiants', {
    cls: waiting ? 'small primary' : 'small',
    title: `Envoyer au redevable un lien de mise à jour des identifiants (${a.label})`,
    confirm: 'Envoyer au redevable un lien sécurisé (72 h) pour mettre à jour ses identifiants bancaires ?',
  });
  // Waiting for the company: the reason first, then its remedy where "Collecter maintenant" was.
  return html`${canBanks && a.active && waiting ? html`<small class="reason blocked" role="note">${collect.message}</small>` : ''}
    <a class="button small" href="/comptes/${a.id}" aria-label="Consulter le compte ${a.label}">Consulter</a>
    ${
      canBanks && a.active
        ? html`${waiting ? updateLink : html`${collectButtons(ctx, a)}${updateLink}`}
          ${
            a.company.siren === ctx.me.portalAccount.siren
              ? actionButton(ctx, `/connexions/${a.connectionId}/reconnexion`, 'Saisir mes identifiants', {
                  title: `Saisir directement les identifiants bancaires (${a.label})`,
                })
              : ''
          }
          ${actionButton(ctx, `/comptes/${a.id}/desactiver`, 'Désactiver', {
            title: `Désactiver le compte ${a.label}`,
            confirm: 'Désactiver la réception des relevés sur ce compte bancaire ?',
          })}`
        : ''
    }
    ${canBanks && !a.active && a.statement.available ? actionButton(ctx, `/comptes/${a.id}/reactiver`, 'Réactiver', { title: `Réactiver le compte ${a.label}` }) : ''}`;
}

/** After the label: "Désactivé", or why this account can never get a statement. */
export function accountStateNote(a: BankAccount): Html {
  if (!a.statement.available) return html` <small class="reason" role="note">${a.statement.reason}</small>`;
  return a.active ? html`` : html` ${badge('neutral', 'Désactivé', a.deactivatedAt)}`;
}

/** "Collecter maintenant" and "Émettre un relevé intermédiaire" (its confirmation page), or both disabled during the cooldown. */
function collectButtons(ctx: PortalContext, a: BankAccount): Html {
  const collect = a.connection.collect;
  if (collect.refusal === 'cooldown') {
    const until = `Disponible à ${frTime(collect.availableAt)}`;
    return html`<button
        type="button"
        class="small"
        disabled
        aria-label="Collecter maintenant le compte ${a.label} : ${until.toLowerCase()}"
      >
        Collecter maintenant <small>${until}</small></button
      ><button
        type="button"
        class="small"
        disabled
        aria-label="Émettre un relevé intermédiaire pour le compte ${a.label} : ${until.toLowerCase()}"
      >
        Émettre un relevé intermédiaire <small>${until}</small>
      </button>`;
  }
  if (!collect.available) return html``;
  return html`${actionButton(ctx, `/connexions/${a.connectionId}/collecter`, 'Collecter maintenant', {
      title: `Collecter maintenant le compte ${a.label}`,
    })}<a
      class="button small"
      href="/connexions/${a.connectionId}/releve-intermediaire${qs({ retour: ctx.here })}"
      aria-label="Émettre un relevé intermédiaire pour le compte ${a.label}"
      >Émettre un relevé intermédiaire</a
    >`;
}

export function linksTable(links: Link[], withKind: boolean): Html {
  return html`<div class="table-wrap" role="region" aria-label="Jetons" tabindex="0">
    <table class="list">
      <thead>
        <tr>
          ${withKind ? html`<th scope="col">Type de jeton</th>` : ''}
          <th scope="col">Date création</th>
          <th scope="col">Date expiration</th>
          <th scope="col">Date utilisation</th>
          <th scope="col">Destinataire</th>
          <th scope="col">État</th>
        </tr>
      </thead>
      <tbody>
        ${links.map(
          (l) =>
            html`<tr>
              ${withKind ? html`<td>${LINK_KIND[l.kind]}</td>` : ''}
              <td>${when(l.createdAt)}</td>
              <td>${when(l.expiresAt)}</td>
              <td>${when(l.usedAt)}</td>
              <td>${l.recipient}</td>
              <td>${linkStateBadge(l.state)}</td>
            </tr>`,
        )}
        ${
          links.length
            ? ''
            : html`<tr>
                <td colspan="${withKind ? 6 : 5}">Aucun jeton envoyé.</td>
              </tr>`
        }
      </tbody>
    </table>
  </div>`;
}

function linksTab(links: Link[]): Html {
  return html`<h2 class="sr-only">Jetons</h2>
    <p>
      La liste suivante présente les 10 derniers jetons transmis par mail au redevable pour l’ajout / mise à jour
      d’identifiants bancaires :
    </p>
    ${linksTable(links, true)}`;
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
