/** Comptes bancaires: (de)activation, collect now, the intermediate statement, new credentials, update links. */
import type { Request, RequestHandler, Response, Router } from 'express';
import { classifyPowensState } from '../../../domain/powens-states';
import { problemOf, type ApiResult } from '../../api-client';
import { portalContext, safeReturn, setFlash, type Flash } from '../../context';
import { frDay, frIban, frTime, plural } from '../../format';
import { html } from '../../html';
import { page, send } from '../../layout';
import { actionDone, csrfOf, periodicityText, type CollectResult, type Connection, type Link } from '../shared';

/** The POST actions on an account and its connection, and the confirmation page of an intermediate statement. */
export function actionPages(router: Router, portal: RequestHandler) {
  for (const [verb, path, done] of [
    ['deactivate', 'desactiver', 'La réception des relevés est désactivée sur ce compte bancaire.'],
    ['reactivate', 'reactiver', 'La réception des relevés est réactivée sur ce compte bancaire.'],
  ] as const) {
    router.post(`/comptes/:id/${path}`, portal, async (req, res) => {
      const ctx = portalContext(res);
      const id = String(req.params.id);
      const r = await ctx.api.call('POST', `/bank-accounts/${id}/${verb}`, { csrf: csrfOf(req), query: ctx.scope });
      actionDone(req, res, r.ok ? null : problemOf(r), done, `/comptes/${id}`);
    });
  }

  // "Collecter maintenant": collect only (no statement), then say what came in and the state.
  router.post('/connexions/:id/collecter', portal, async (req, res) => {
    const ctx = portalContext(res);
    const r = await ctx.api.call<CollectResult>('POST', `/connections/${String(req.params.id)}/collect`, {
      csrf: csrfOf(req),
      query: ctx.scope,
      json: { statement: false },
    });
    collectDone(req, res, r, false);
  });

  // "Émettre un relevé intermédiaire": a confirmation page (works without the script) saying what
  // it does to the next periodic statement, then the collect with `statement: true`.
  router.get('/connexions/:id/releve-intermediaire', portal, async (req, res) => {
    const ctx = portalContext(res);
    const c = await ctx.api.get<Connection>(`/connections/${String(req.params.id)}`, ctx.scope);
    const back = safeReturn(req.query.retour, `/redevables/${c.companyId}`);
    const s = c.intermediateStatement;
    const body = html`<section class="confirm" aria-labelledby="effet">
      <dl class="pairs">
        <dt>Redevable</dt>
        <dd><a href="/redevables/${c.companyId}">${c.company.name}</a></dd>
        <dt>Banque</dt>
        <dd>${c.bankName ?? '—'}</dd>
        <dt>Comptes</dt>
        <dd>
          <ul class="plain">
            ${c.accounts.map((a) => html`<li>${a.label}${a.iban ? html` <span class="iban">${frIban(a.iban)}</span>` : ''}</li>`)}
          </ul>
        </dd>
        <dt>Périodicité</dt>
        <dd>${periodicityText(c.company.periodicity)}</dd>
      </dl>
      <h2 id="effet">Ce que fait cette action</h2>
      <p class="flash info" id="effet-texte">${s.text}</p>
      <p>
        Les opérations sont d’abord collectées auprès de la banque, puis chaque compte reçoit un relevé depuis son
        dernier relevé jusqu’au ${frDay(s.until)}. Pour une simple mise à jour des opérations, sans relevé, utilisez
        plutôt « Collecter maintenant ».
      </p>
      ${
        c.collect.available
          ? html`<form method="post" action="/connexions/${c.id}/releve-intermediaire" class="actions">
              <input type="hidden" name="_csrf" value="${ctx.csrf}" />
              <input type="hidden" name="retour" value="${back}" />
              <button type="submit" class="primary">Émettre le relevé intermédiaire</button>
              <a href="${back}">Annuler</a>
            </form>`
          : html`<div class="flash error" role="alert"><p>${c.collect.message}</p></div>
              <p class="actions"><a href="${back}">Retour</a></p>`
      }
    </section>`;
    send(res, page(ctx, { title: 'Émettre un relevé intermédiaire', section: 'comptes', body }));
  });

  router.post('/connexions/:id/releve-intermediaire', portal, async (req, res) => {
    const ctx = portalContext(res);
    const r = await ctx.api.call<CollectResult>('POST', `/connections/${String(req.params.id)}/collect`, {
      csrf: csrfOf(req),
      query: ctx.scope,
      json: { statement: true },
    });
    collectDone(req, res, r, true);
  });

  // Direct entry of the credentials in the Powens webview (the company's SIREN is the firm's own).
  router.post('/connexions/:id/reconnexion', portal, async (req, res) => {
    const ctx = portalContext(res);
    const r = await ctx.api.call<{ url: string }>('POST', `/connections/${String(req.params.id)}/reconnect`, {
      csrf: csrfOf(req),
      query: ctx.scope,
      json: {},
    });
    if (r.ok) return res.redirect(303, r.body.url);
    actionDone(req, res, problemOf(r), '', '/comptes');
  });

  router.post('/connexions/:id/lien', portal, async (req, res) => {
    const ctx = portalContext(res);
    const r = await ctx.api.call<Link>('POST', `/connections/${String(req.params.id)}/links`, {
      csrf: csrfOf(req),
      query: ctx.scope,
      json: {},
    });
    actionDone(
      req,
      res,
      r.ok ? null : problemOf(r),
      r.ok ? `Un lien de mise à jour des identifiants (72 h) a été envoyé à ${r.body.recipient}.` : '',
      '/comptes',
    );
  });
}

/** The flash after a collect (with or without an intermediate statement), then back where the user was. */
function collectDone(req: Request, res: Response, r: ApiResult<CollectResult>, intermediate: boolean) {
  if (!r.ok) return actionDone(req, res, problemOf(r), '', '/comptes');
  const { outcome, statementIds, collected, state, stateMessage, statementUntil, availableAt } = r.body;
  let flash: Flash;
  if (outcome === 'no-workflow') {
    flash = {
      kind: 'info',
      text: 'Collecte non lancée : la connexion n’est pas encore planifiée ; elle sera collectée à son démarrage.',
    };
  } else if (outcome === 'unavailable') {
    flash = {
      kind: 'info',
      text: `Demande enregistrée : le service de collecte est momentanément indisponible. Nouvelle demande possible à ${frTime(availableAt)}.`,
    };
  } else {
    const kind = classifyPowensState(state);
    const came = `${plural(collected ?? 0, 'transaction collectée', 'transactions collectées')}`;
    const stateText = `État de la connexion : ${stateMessage}${/[.!]$/.test(stateMessage) ? '' : '.'}`;
    const statements = plural(statementIds.length, 'relevé émis', 'relevés émis');
    let text: string;
    if (!intermediate) {
      text = `Collecte effectuée : ${came}. ${stateText}${statementIds.length ? ` ${statements} à l’échéance, à retrouver dans « Réception ».` : ''}`;
    } else if (statementIds.length) {
      text = `Relevé intermédiaire jusqu’au ${frDay(statementUntil)} : ${statements}, à retrouver dans « Réception ». Collecte : ${came}. ${stateText}`;
    } else {
      text = `Aucun relevé intermédiaire n’a été émis : ${
        kind === 'ok'
          ? `les relevés déjà émis couvrent la période jusqu’au ${frDay(statementUntil)}, ou la banque n’a pas encore transmis ses opérations jusqu’à cette date.`
          : 'la collecte n’a pas abouti.'
      } Collecte : ${came}. ${stateText}`;
    }
    flash = { kind: kind === 'ok' ? 'ok' : kind === 'user-action' ? 'error' : 'info', text };
  }
  setFlash(res, flash);
  res.redirect(303, safeReturn(req.body?.retour, '/comptes'));
}
