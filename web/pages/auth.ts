/** Login, logout, the subscription page (terms, reception mode) and the terms themselves. */
import type { Request, Response, Router } from 'express';
import { ApiClient, problemOf, type Problem } from '../api-client';
import { portalContext, requirePortal, safeReturn, setFlash, TERMS_VERSION, type PortalContext } from '../context';
import { frDateTime } from '../format';
import { html, raw } from '../html';
import { errorSummary, field, fieldErrors, page, plainPage, send } from '../layout';

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** Copies the API's Set-Cookie headers (session cookie set or cleared) to the browser. */
function forwardCookies(from: Headers, res: Response) {
  const cookies = from.getSetCookie();
  if (cookies.length) res.append('set-cookie', cookies);
}

function loginPage(res: Response, opts: { login?: string; retour: string; problem?: Problem | null }, status = 200) {
  const body = html`${opts.problem ? html`<div class="flash error" role="alert" id="erreurs"><p>${opts.problem.detail}</p></div>` : ''}
    <form method="post" action="/connexion" class="stack">
      <input type="hidden" name="retour" value="${opts.retour}" />
      ${field({ name: 'login', label: 'Identifiant', value: opts.login, required: true, attrs: 'autocomplete="username" autofocus' })}
      ${field({ name: 'password', label: 'Mot de passe', type: 'password', required: true, attrs: 'autocomplete="current-password"' })}
      <p><button type="submit" class="primary">Se connecter</button></p>
    </form>`;
  send(res, plainPage({ title: 'Connexion', heading: 'Connexion à votre espace', body }), status);
}

export function authPages(router: Router) {
  router.get('/connexion', (req, res) => {
    loginPage(res, { retour: safeReturn(req.query.retour, '/redevables') });
  });

  router.post('/connexion', async (req: Request, res: Response) => {
    const login = str(req.body?.login);
    const retour = safeReturn(req.body?.retour, '/redevables');
    const api = new ApiClient(req);
    const r = await api.call('POST', '/auth/login', { json: { login, password: str(req.body?.password) } });
    if (!r.ok) return loginPage(res, { login, retour, problem: problemOf(r) }, r.status === 429 ? 429 : 401);
    forwardCookies(r.headers, res);
    res.redirect(303, retour);
  });

  router.post('/deconnexion', async (req, res) => {
    const api = new ApiClient(req);
    const r = await api.call('POST', '/auth/logout', { csrf: str(req.body?._csrf) });
    forwardCookies(r.headers, res);
    res.redirect(303, '/connexion');
  });

  router.get('/cgau', (_req, res) => {
    send(res, plainPage({ title: 'Conditions générales d’adhésion et d’utilisation', body: terms() }));
  });

  router.get('/souscription', requirePortal({ allowWithoutTerms: true }), (_req, res) => {
    const ctx = portalContext(res);
    subscriptionPage(res, ctx, null, {
      receptionMode: ctx.settings.receptionMode,
      dedicatedMailbox: ctx.settings.dedicatedMailbox ?? '',
    });
  });

  router.post('/souscription', requirePortal({ allowWithoutTerms: true }), async (req, res) => {
    const ctx = portalContext(res);
    const form = {
      receptionMode: str(req.body?.receptionMode) || 'none',
      dedicatedMailbox: str(req.body?.dedicatedMailbox).trim(),
    };
    const accept = req.body?.acceptTerms === 'true';
    const first = !ctx.settings.acceptedTermsVersion;
    if (first && !accept) {
      return subscriptionPage(
        res,
        ctx,
        {
          status: 400,
          title: '',
          detail: 'Vous devez accepter les CGAU pour souscrire au service.',
          errors: [{ field: 'acceptTerms', reason: 'cochez « J’accepte les CGAU »' }],
        },
        form,
        400,
      );
    }
    const r = await ctx.api.call('PUT', '/settings', {
      csrf: str(req.body?._csrf),
      json: {
        receptionMode: form.receptionMode,
        ...(form.receptionMode === 'dedicated-mailbox' ? { dedicatedMailbox: form.dedicatedMailbox } : {}),
        ...(accept ? { acceptTerms: true, termsVersion: TERMS_VERSION } : {}),
      },
    });
    if (!r.ok) return subscriptionPage(res, ctx, problemOf(r), form, r.status);
    setFlash(res, {
      kind: 'ok',
      text: first ? 'Votre souscription au service est enregistrée.' : 'Paramètres enregistrés.',
    });
    res.redirect(303, first ? '/redevables' : '/souscription');
  });
}

const MODES: Array<[string, string, string]> = [
  [
    'none',
    'Pas de réception par mail',
    'Les relevés se récupèrent exclusivement en téléchargement dans l’écran « Réception ».',
  ],
  [
    'account-mailbox',
    'Boîte par défaut',
    'Les relevés arrivent sur la boîte de votre compte portail (celle du compte principal ou du compte secondaire qui active l’option).',
  ],
  [
    'dedicated-mailbox',
    'Boîte dédiée aux relevés',
    'Les relevés arrivent sur une boîte aux lettres dédiée aux relevés.',
  ],
];

function subscriptionPage(
  res: Response,
  ctx: PortalContext,
  problem: Problem | null,
  form: { receptionMode: string; dedicatedMailbox: string },
  status = 200,
) {
  const first = !ctx.settings.acceptedTermsVersion;
  const errors = fieldErrors(problem);
  const admin = ctx.can('ADMIN');
  const body = html`${errorSummary(problem, {
      acceptTerms: 'CGAU',
      receptionMode: 'Mode de réception',
      dedicatedMailbox: 'Boîte dédiée',
    })}
    <section aria-labelledby="presentation">
      <h2 id="presentation">Présentation</h2>
      <p>
        Ce service vous permet de paramétrer la réception des relevés de comptes bancaires au format CFONB120 sur un
        périmètre de redevables :
      </p>
      <ul>
        <li>intégration automatisée dans les logiciels de comptabilité ;</li>
        <li>collecte des relevés sans négociation ni aspect technique à gérer avec les banques ;</li>
        <li>choix de la fréquence de réception des relevés dossier par dossier.</li>
      </ul>
    </section>
    ${
      admin
        ? html`<form method="post" action="/souscription" class="stack">
            <input type="hidden" name="_csrf" value="${ctx.csrf}" />
            <fieldset>
              <legend>Conditions Générales d’Adhésion et d’Utilisation</legend>
              <p>
                Merci de lire attentivement nos
                <a href="/cgau" target="_blank" rel="noopener">Conditions Générales d’Adhésion et d’Utilisation</a>.
              </p>
              ${
                first
                  ? html`<div class="check${errors.has('acceptTerms') ? ' invalid' : ''}">
                        <input
                          type="checkbox"
                          id="f-acceptTerms"
                          name="acceptTerms"
                          value="true"
                          ${errors.has('acceptTerms') ? raw(' aria-invalid="true" aria-describedby="f-acceptTerms-erreur"') : ''}
                        /><label for="f-acceptTerms">J’accepte les CGAU</label>
                      </div>
                      ${errors.has('acceptTerms') ? html`<small class="error" id="f-acceptTerms-erreur">${errors.get('acceptTerms')}</small>` : ''}`
                  : html`<p>
                      ${raw('&#10003;')} CGAU acceptées (version ${ctx.settings.acceptedTermsVersion}) le
                      ${frDateTime(ctx.settings.acceptedTermsAt)}.
                    </p>`
              }
            </fieldset>
            <fieldset>
              <legend>Boîte de réception des relevés</legend>
              ${MODES.map(
                ([value, label, hint]) =>
                  html`<div class="check">
                      <input
                        type="radio"
                        id="mode-${value}"
                        name="receptionMode"
                        value="${value}"
                        ${form.receptionMode === value ? raw(' checked') : ''}
                        aria-describedby="mode-${value}-aide"
                      /><label for="mode-${value}">${label}</label>
                    </div>
                    <small class="hint" id="mode-${value}-aide">${hint}</small>`,
              )}
              ${field({
                name: 'dedicatedMailbox',
                label: 'Adresse de la boîte dédiée',
                type: 'email',
                value: form.dedicatedMailbox,
                error: errors.get('dedicatedMailbox'),
                hint: 'Obligatoire pour une boîte dédiée aux relevés ; elle doit appartenir au domaine de l’adresse du compte.',
              })}
            </fieldset>
            <p><button type="submit" class="primary">${first ? 'Souscrire au service' : 'Enregistrer'}</button></p>
          </form>`
        : html`<div class="flash info" role="status">
            <p>
              ${
                first
                  ? 'La souscription au service doit être faite par un administrateur de votre compte.'
                  : 'Seul un administrateur de votre compte peut modifier ces paramètres.'
              }
            </p>
          </div>`
    }`;
  send(
    res,
    page(ctx, {
      title: first ? 'Relevés de comptes : souscription' : 'Paramètres du service',
      section: 'souscription',
      body,
    }),
    status,
  );
}

function terms() {
  return html`<p>Version ${TERMS_VERSION}.</p>
    <h2>Objet</h2>
    <p>
      Le service « Relevés de comptes » collecte, pour le compte du cabinet abonné, les transactions des comptes
      bancaires de ses redevables par l’intermédiaire de Powens, prestataire de services d’information sur les comptes
      agréé par l’ACPR, et les met à disposition au format CFONB120.
    </p>
    <h2>Identifiants bancaires</h2>
    <p>
      Aucun identifiant bancaire n’est saisi ni conservé par le service : le titulaire du compte les saisit dans
      l’interface de Powens, après avoir accepté ses conditions.
    </p>
    <h2>Liens sécurisés</h2>
    <p>Les liens envoyés aux redevables sont valables 72 heures et ne peuvent servir qu’une fois.</p>
    <h2>Transactions supprimées</h2>
    <p>
      Le format CFONB120 ne permet pas de signaler la suppression d’une transaction par la banque : ces transactions
      sont fournies dans un fichier CSV complémentaire, à prendre en compte pour éviter les doublons.
    </p>
    <p><a href="/souscription">Retour à la souscription</a></p>`;
}
