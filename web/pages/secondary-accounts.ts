/**
 * "Gestion de vos comptes secondaires" (manual §1): the primary's list of its secondary accounts,
 * creation (a password it sets, or an invitation e-mail), modification, closing and reopening; and
 * the public page where an invited user chooses a password from the one-time link.
 */
import type { Response, Router } from 'express';
import { ApiClient, problemOf, type Problem } from '../api-client';
import { portalContext, requirePortal, setFlash, type PortalContext } from '../context';
import { plural } from '../format';
import { html, raw } from '../html';
import { actionButton, badge, errorSummary, field, fieldErrors, page, plainPage, send } from '../layout';
import { csrfOf, str, when } from './shared';

interface Secondary {
  id: string;
  name: string;
  siren: string;
  nic: string | null;
  siret: string | null;
  email: string;
  phone: string | null;
  status: 'open' | 'closed';
  closedAt: string | null;
  createdAt: string;
  companyCount: number;
  users: Array<{
    id: string;
    login: string;
    state: 'active' | 'invited' | 'invitation-expired';
    invitationExpiresAt: string | null;
  }>;
}

const LABELS: Record<string, string> = {
  name: 'Nom du compte',
  siren: 'SIREN',
  nic: 'NIC',
  email: 'Email',
  phone: 'Téléphone',
  login: 'Identifiant',
  password: 'Mot de passe',
  invite: 'Mot de passe',
};

type Form = Record<'name' | 'siren' | 'nic' | 'email' | 'phone' | 'login' | 'mode', string>;

const userState = (u: Secondary['users'][number]) =>
  u.state === 'active'
    ? badge('ok', 'Actif')
    : u.state === 'invited'
      ? html`${badge('warn', 'Invitation envoyée')} <small>valable jusqu’au ${when(u.invitationExpiresAt)}</small>`
      : badge('error', 'Invitation expirée');

export function secondaryAccountPages(router: Router) {
  const portal = requirePortal();

  const allowed = (res: Response, ctx: PortalContext) => {
    if (ctx.me.portalAccount.kind === 'PRIMARY' && ctx.can('ADMIN')) return true;
    send(
      res,
      page(ctx, {
        title: 'Accès refusé',
        body: html`<div class="flash error" role="alert">
          <p>Seul un administrateur d’un compte principal gère les comptes secondaires.</p>
        </div>`,
      }),
      403,
    );
    return false;
  };

  router.get('/comptes-secondaires', portal, async (_req, res) => {
    const ctx = portalContext(res);
    if (!allowed(res, ctx)) return;
    const list = await ctx.api.get<{ items: Secondary[]; total: number }>('/accounts');
    const body = html`<p>
        Chaque compte secondaire a son identifiant, ses redevables, ses connexions, ses relevés et son mode de
        réception. Il ne voit ni les autres comptes secondaires ni les redevables du compte principal ; le compte
        principal voit les siens en cochant « Afficher … des comptes secondaires » dans ses écrans.
      </p>
      <p class="toolbar">
        <a class="button primary" href="/comptes-secondaires/nouveau">Créer un compte secondaire</a>
      </p>
      <h2 id="resultats">Comptes secondaires <small>${plural(list.total, 'compte', 'comptes')}</small></h2>
      <div class="table-wrap" role="region" aria-labelledby="resultats" tabindex="0">
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Nom du compte</th>
              <th scope="col">SIRET</th>
              <th scope="col">Email</th>
              <th scope="col">Identifiant</th>
              <th scope="col">Statut</th>
              <th scope="col">Redevables</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            ${list.items.map(
              (a) => html`<tr${a.status === 'closed' ? raw(' class="inactive"') : ''}>
                <td>${a.name}</td>
                <td>${a.siret ?? a.siren}</td>
                <td>${a.email}</td>
                <td>${a.users.map((u) => html`${u.login}<br />${userState(u)}`)}</td>
                <td>${a.status === 'open' ? badge('ok', 'Ouvert') : badge('neutral', 'Fermé', a.closedAt)}</td>
                <td class="num">${a.companyCount}</td>
                <td class="row-actions">
                  <a class="button small" href="/comptes-secondaires/${a.id}/modifier" aria-label="Modifier ${a.name}"
                    >Modifier</a
                  >
                  ${
                    a.status === 'open' && a.users.some((u) => u.state !== 'active')
                      ? actionButton(ctx, `/comptes-secondaires/${a.id}/invitation`, 'Renvoyer l’invitation', {
                          title: `Renvoyer l’invitation de ${a.name}`,
                        })
                      : ''
                  }
                  ${
                    a.status === 'open'
                      ? actionButton(ctx, `/comptes-secondaires/${a.id}/fermer`, 'Fermer', {
                          cls: 'small danger',
                          title: `Fermer le compte ${a.name}`,
                          confirm: `Fermer le compte ${a.name} ? Ses utilisateurs ne pourront plus se connecter. Ses redevables restent visibles depuis le compte principal et leurs relevés continuent d’être collectés : désactivez-les si vous ne souhaitez plus les recevoir.`,
                        })
                      : actionButton(ctx, `/comptes-secondaires/${a.id}/rouvrir`, 'Rouvrir', {
                          title: `Rouvrir le compte ${a.name}`,
                        })
                  }
                </td>
              </tr>`,
            )}
            ${
              list.items.length
                ? ''
                : html`<tr>
                    <td colspan="7">Aucun compte secondaire.</td>
                  </tr>`
            }
          </tbody>
        </table>
      </div>`;
    send(res, page(ctx, { title: 'Comptes secondaires', section: 'secondaires', body, wide: true }));
  });

  const formPage = (
    res: Response,
    ctx: PortalContext,
    opts: { f: Form; problem: Problem | null; edit?: Secondary; status?: number },
  ) => {
    const e = fieldErrors(opts.problem);
    const { f, edit } = opts;
    const action = edit ? `/comptes-secondaires/${edit.id}/modifier` : '/comptes-secondaires/nouveau';
    const body = html`${errorSummary(opts.problem, LABELS)}
      <form method="post" action="${action}" class="stack">
        <input type="hidden" name="_csrf" value="${ctx.csrf}" />
        <fieldset>
          <legend>Identité</legend>
          <div class="grid">
            ${field({ name: 'name', label: 'Nom du compte', value: f.name, error: e.get('name'), required: true, attrs: 'maxlength="100"' })}
            ${field({ name: 'siren', label: 'SIREN', value: f.siren, error: e.get('siren'), required: true, attrs: 'inputmode="numeric" maxlength="11"' })}
            ${field({ name: 'nic', label: 'NIC', value: f.nic, error: e.get('nic'), attrs: 'inputmode="numeric" maxlength="6"' })}
            ${field({ name: 'email', label: 'Email', type: 'email', value: f.email, error: e.get('email'), required: true, hint: 'Adresse du compte : invitation, alertes, et boîte par défaut des relevés s’il la choisit.' })}
            ${field({ name: 'phone', label: 'Téléphone', type: 'tel', value: f.phone, error: e.get('phone') })}
          </div>
        </fieldset>
        <fieldset>
          <legend>Connexion</legend>
          ${
            edit
              ? html`<p>Identifiant : <strong>${edit.users[0]?.login ?? ''}</strong></p>
                  ${field({ name: 'password', label: 'Nouveau mot de passe', type: 'password', error: e.get('password'), hint: 'Laisser vide pour ne pas le changer. 12 caractères au moins ; les sessions ouvertes sont fermées.', attrs: 'autocomplete="new-password" minlength="12"' })}`
              : html`${field({ name: 'login', label: 'Identifiant', value: f.login, error: e.get('login'), required: true, attrs: 'autocomplete="off" maxlength="60"' })}
                  <div class="check">
                    <input
                      type="radio"
                      id="mode-password"
                      name="mode"
                      value="password"
                      ${f.mode !== 'invite' ? raw(' checked') : ''}
                    /><label for="mode-password">Je choisis son mot de passe</label>
                  </div>
                  ${field({ name: 'password', label: 'Mot de passe', type: 'password', error: e.get('password') ?? e.get('invite'), hint: '12 caractères au moins.', attrs: 'autocomplete="new-password"' })}
                  <div class="check">
                    <input
                      type="radio"
                      id="mode-invite"
                      name="mode"
                      value="invite"
                      ${f.mode === 'invite' ? raw(' checked') : ''}
                    /><label for="mode-invite"
                      >Envoyer une invitation par e-mail (lien à usage unique, valable 7 jours, pour choisir le mot de
                      passe)</label
                    >
                  </div>`
          }
        </fieldset>
        <p class="actions">
          <button type="submit" class="primary">${edit ? 'Enregistrer' : 'Créer le compte secondaire'}</button>
          <a href="/comptes-secondaires">Annuler</a>
        </p>
      </form>`;
    send(
      res,
      page(ctx, {
        title: edit ? 'Modification d’un compte secondaire' : 'Création d’un compte secondaire',
        section: 'secondaires',
        body,
      }),
      opts.status ?? 200,
    );
  };

  const formOf = (b: Record<string, unknown>): Form => ({
    name: str(b.name),
    siren: str(b.siren),
    nic: str(b.nic),
    email: str(b.email),
    phone: str(b.phone),
    login: str(b.login),
    mode: str(b.mode) === 'invite' ? 'invite' : 'password',
  });

  router.get('/comptes-secondaires/nouveau', portal, (_req, res) => {
    const ctx = portalContext(res);
    if (!allowed(res, ctx)) return;
    formPage(res, ctx, {
      f: { name: '', siren: '', nic: '', email: '', phone: '', login: '', mode: 'password' },
      problem: null,
    });
  });

  router.post('/comptes-secondaires/nouveau', portal, async (req, res) => {
    const ctx = portalContext(res);
    if (!allowed(res, ctx)) return;
    const f = formOf(req.body ?? {});
    const r = await ctx.api.call<Secondary>('POST', '/accounts', {
      csrf: csrfOf(req),
      json: {
        name: f.name,
        siren: f.siren,
        ...(f.nic.trim() ? { nic: f.nic } : {}),
        email: f.email,
        ...(f.phone.trim() ? { phone: f.phone } : {}),
        login: f.login,
        ...(f.mode === 'invite' ? { invite: true } : { password: str(req.body?.password) }),
      },
    });
    if (!r.ok) return formPage(res, ctx, { f, problem: problemOf(r), status: r.status });
    setFlash(res, {
      kind: 'ok',
      text:
        f.mode === 'invite'
          ? `Le compte secondaire ${r.body.name} est créé : une invitation a été envoyée à ${r.body.email}.`
          : `Le compte secondaire ${r.body.name} est créé : identifiant ${r.body.users[0]?.login ?? ''}.`,
    });
    res.redirect(303, '/comptes-secondaires');
  });

  router.get('/comptes-secondaires/:id/modifier', portal, async (req, res) => {
    const ctx = portalContext(res);
    if (!allowed(res, ctx)) return;
    const a = await ctx.api.get<Secondary>(`/accounts/${String(req.params.id)}`);
    formPage(res, ctx, {
      f: { name: a.name, siren: a.siren, nic: a.nic ?? '', email: a.email, phone: a.phone ?? '', login: '', mode: '' },
      problem: null,
      edit: a,
    });
  });

  router.post('/comptes-secondaires/:id/modifier', portal, async (req, res) => {
    const ctx = portalContext(res);
    if (!allowed(res, ctx)) return;
    const id = String(req.params.id);
    const a = await ctx.api.get<Secondary>(`/accounts/${id}`);
    const f = formOf(req.body ?? {});
    const password = str(req.body?.password);
    const r = await ctx.api.call<Secondary>('PATCH', `/accounts/${id}`, {
      csrf: csrfOf(req),
      json: {
        name: f.name,
        siren: f.siren,
        nic: f.nic.trim() ? f.nic : null,
        email: f.email,
        phone: f.phone.trim() ? f.phone : null,
        ...(password ? { password } : {}),
      },
    });
    if (!r.ok) return formPage(res, ctx, { f, problem: problemOf(r), edit: a, status: r.status });
    setFlash(res, { kind: 'ok', text: `Le compte secondaire ${r.body.name} est enregistré.` });
    res.redirect(303, '/comptes-secondaires');
  });

  for (const [path, api, done] of [
    ['fermer', 'close', 'est fermé : ses utilisateurs ne peuvent plus se connecter.'],
    ['rouvrir', 'reopen', 'est rouvert.'],
    ['invitation', 'invitation', ': une nouvelle invitation a été envoyée.'],
  ] as const) {
    router.post(`/comptes-secondaires/:id/${path}`, portal, async (req, res) => {
      const ctx = portalContext(res);
      if (!allowed(res, ctx)) return;
      const r = await ctx.api.call<Secondary>('POST', `/accounts/${String(req.params.id)}/${api}`, {
        csrf: csrfOf(req),
      });
      setFlash(
        res,
        r.ok ? { kind: 'ok', text: `Le compte ${r.body.name} ${done}` } : { kind: 'error', text: problemOf(r).detail },
      );
      res.redirect(303, '/comptes-secondaires');
    });
  }

  // ---- the invited user chooses a password (public page, the link is the credential) --------------
  const setupPage = (
    res: Response,
    opts: { token: string; info: { login: string; accountName: string } | null; problem: Problem | null },
    status = 200,
  ) => {
    const e = fieldErrors(opts.problem);
    const body = opts.info
      ? html`${errorSummary(opts.problem, { password: 'Mot de passe', confirm: 'Confirmation' })}
          <p>Compte <strong>${opts.info.accountName}</strong>, identifiant <strong>${opts.info.login}</strong>.</p>
          <form method="post" action="/mot-de-passe/${opts.token}" class="stack">
            ${field({ name: 'password', label: 'Mot de passe', type: 'password', required: true, error: e.get('password'), hint: '12 caractères au moins.', attrs: 'autocomplete="new-password" minlength="12"' })}
            ${field({ name: 'confirm', label: 'Confirmation du mot de passe', type: 'password', required: true, error: e.get('confirm'), attrs: 'autocomplete="new-password"' })}
            <p><button type="submit" class="primary">Enregistrer mon mot de passe</button></p>
          </form>`
      : html`<div class="flash error" role="alert"><p>${opts.problem?.detail ?? ''}</p></div>
          <p><a href="/connexion">Aller à la page de connexion</a></p>`;
    send(res, plainPage({ title: 'Choisir votre mot de passe', body }), status);
  };

  router.get('/mot-de-passe/:token', async (req, res) => {
    const token = String(req.params.token);
    const r = await new ApiClient(req).call<{ login: string; accountName: string }>(
      'GET',
      `/auth/password-setup/${encodeURIComponent(token)}`,
    );
    setupPage(res, { token, info: r.ok ? r.body : null, problem: r.ok ? null : problemOf(r) }, r.ok ? 200 : r.status);
  });

  router.post('/mot-de-passe/:token', async (req, res) => {
    const token = String(req.params.token);
    const api = new ApiClient(req);
    const info = await api.call<{ login: string; accountName: string }>(
      'GET',
      `/auth/password-setup/${encodeURIComponent(token)}`,
    );
    if (!info.ok) return setupPage(res, { token, info: null, problem: problemOf(info) }, info.status);
    const password = str(req.body?.password);
    if (password !== str(req.body?.confirm))
      return setupPage(
        res,
        {
          token,
          info: info.body,
          problem: {
            status: 400,
            title: '',
            detail: 'Les deux mots de passe diffèrent.',
            errors: [{ field: 'confirm', reason: 'différent du mot de passe' }],
          },
        },
        400,
      );
    const r = await api.call('POST', '/auth/password-setup', { json: { token, password } });
    if (!r.ok) return setupPage(res, { token, info: info.body, problem: problemOf(r) }, r.status);
    send(
      res,
      plainPage({
        title: 'Mot de passe enregistré',
        body: html`<div class="flash ok" role="status">
            <p>Votre mot de passe est enregistré. Connectez-vous avec l’identifiant ${info.body.login}.</p>
          </div>
          <p><a class="button primary" href="/connexion">Se connecter</a></p>`,
      }),
    );
  });
}
