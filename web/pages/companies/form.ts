/** Redevables: the creation and modification form (legal details, statement settings). */
import type { RequestHandler, Router } from 'express';
import { problemOf, type Problem } from '../../api-client';
import { portalContext, setFlash, type PortalContext } from '../../context';
import { html, type Html } from '../../html';
import { checkbox, errorSummary, field, fieldErrors, page, select, send } from '../../layout';
import { csrfOf, str, type Company } from '../shared';

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
export const formatsLabel = (c: Company) =>
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

/** Création d’un redevable (GET/POST /redevables/nouveau). */
export function createPages(router: Router, portal: RequestHandler) {
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
}

/** Modification d’un redevable (GET/POST /redevables/:id/modifier). */
export function editPages(router: Router, portal: RequestHandler) {
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
}
