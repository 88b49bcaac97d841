/** Comptes bancaires: the fleet list, "Détail d'un compte bancaire", (de)activation, collect now, links. */
import type { Request, Response, Router } from 'express';
import { classifyPowensState, stateMessageFr } from '../../domain/powens-states';
import { describePeriodicity, type PeriodicityInput } from '../../domain/identifiers';
import { ACCOUNT_TYPES_FR } from '../../domain/statements';
import { problemOf, type ApiResult } from '../api-client';
import { portalContext, requirePortal, safeReturn, setFlash, type Flash } from '../context';
import { frAmount, frDay, frIban, frTime, plural } from '../format';
import { html, raw, type Html } from '../html';
import { badge, checkbox, errorSummary, fieldErrors, page, pager, select, send } from '../layout';
import { accountActions, accountStateNote, linksTable } from './account-widgets';
import { actionDone, exportLinks } from './shared';
import { pipeDownload } from '../api-client';
import {
  accountName,
  collectBadge,
  connectionBadge,
  csrfOf,
  periodicityText,
  str,
  when,
  type BankAccount,
  type CollectResult,
  type Connection,
  type Link,
  type Statement,
  companyCriteria,
  searchPage,
} from './shared';
import { statementRows } from './reception';

const LIMIT = 50;

interface AccountEvent {
  id: string;
  kind: string;
  field: string | null;
  oldValue: string | null;
  newValue: string | null;
  detail: unknown;
  occurredAt: string;
}

type AccountDetail = BankAccount & {
  company: BankAccount['company'] & {
    id?: string;
    periodicityKind?: string;
    periodicityDay?: number | null;
    periodicityMonth?: number | null;
  };
  balance: string | null;
  balanceAt: string | null;
  events: AccountEvent[];
  statements: Statement[];
  links: Link[];
};

const FIELD_LABELS: Record<string, string> = {
  iban: 'de l’IBAN',
  bic: 'du code BIC',
  label: 'du libellé du compte',
  type: 'du type de compte',
  currency: 'de la monnaie du compte',
};

function eventText(e: AccountEvent): [Html, 'ok' | 'error' | 'neutral'] {
  const change = (f: string) =>
    html`Mise à jour ${FIELD_LABELS[f] ?? f}
      <i>Ancienne valeur=${e.oldValue ?? ''}, nouvelle valeur=${e.newValue ?? ''}</i>`;
  if (e.field) return [change(e.field), 'ok'];
  switch (e.kind) {
    case 'CONNECTION_OK':
      return [html`Connexion bancaire active`, 'ok'];
    case 'CONNECTION_RESTORED':
      return [html`Connexion bancaire rétablie`, 'ok'];
    case 'CONNECTION_ERROR':
      return [html`Connexion bancaire en erreur <i>${stateMessageFr(e.newValue)}</i>`, 'error'];
    case 'DEACTIVATED':
      return [html`Réception des relevés désactivée`, 'neutral'];
    case 'REACTIVATED':
      return [html`Réception des relevés réactivée`, 'ok'];
    default:
      return [html`${e.kind}`, 'neutral'];
  }
}

export function accountPages(router: Router) {
  const portal = requirePortal();

  router.get('/comptes', portal, async (req, res) => {
    const ctx = portalContext(res);
    const primary = ctx.me.portalAccount.kind === 'PRIMARY';
    const q = {
      siret: str(req.query.siret),
      name: str(req.query.name),
      iban: str(req.query.iban),
      connection: str(req.query.connection),
      link: str(req.query.link),
      includeInactive: req.query.includeInactive === 'true' ? 'true' : undefined,
      includeSecondary: req.query.includeSecondary === 'true' && primary ? 'true' : undefined,
    };
    const { r, offset, problem, list } = await searchPage<BankAccount>(ctx, req, '/bank-accounts', q, LIMIT);
    const e = fieldErrors(problem);
    const secondary = !!q.includeSecondary;
    const body = html`<form
        method="get"
        action="/comptes"
        class="filters"
        role="search"
        aria-label="Rechercher des comptes bancaires"
      >
        ${errorSummary(problem, { siret: 'SIRET', iban: 'IBAN', name: 'Raison sociale' })}
        <div class="grid">
          ${companyCriteria(q, e)}
          ${select({
            name: 'connection',
            label: 'État connexion',
            value: q.connection,
            options: [
              ['', 'Tous'],
              ['ok', 'Succès'],
              ['error', 'Erreur'],
            ],
          })}
          ${select({
            name: 'link',
            label: 'État jeton',
            value: q.link,
            options: [
              ['', 'Tous'],
              ['valid', 'Valide'],
              ['used', 'Utilisé'],
              ['expired', 'Expiré'],
            ],
          })}
        </div>
        <div class="options">
          ${primary ? checkbox('includeSecondary', 'Afficher les comptes bancaires secondaires', secondary) : ''}
          ${checkbox('includeInactive', 'Afficher les comptes bancaires désactivés', !!q.includeInactive)}
        </div>
        <p><button type="submit" class="primary">Rechercher</button></p>
      </form>
      <h2 id="resultats">
        Résultats <small>${plural(list.total, 'compte bancaire trouvé', 'comptes bancaires trouvés')}</small>
      </h2>
      ${exportLinks('/comptes/export', q)}
      <div class="table-wrap" role="region" aria-labelledby="resultats" tabindex="0">
        <table class="list">
          <thead>
            <tr>
              ${secondary ? html`<th scope="col">Compte</th>` : ''}
              <th scope="col">SIREN</th>
              <th scope="col">NIC</th>
              <th scope="col">Raison sociale</th>
              <th scope="col">Banque</th>
              <th scope="col">Libellé</th>
              <th scope="col">IBAN</th>
              <th scope="col">État connexion</th>
              <th scope="col">Dernière collecte</th>
              <th scope="col">État jeton</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            ${list.items.map(
              (a) => html`<tr${a.active ? '' : raw(' class="inactive"')}>
${secondary ? html`<td>${accountName(ctx, a.company.portalAccountId)}</td>` : ''}
<td>${a.company.siren}</td><td>${a.company.nic ?? ''}</td><td><a href="/redevables/${a.companyId}">${a.company.name}</a></td>
<td>${a.bankName ?? ''}</td><td>${a.label}${accountStateNote(a)}</td><td class="iban">${frIban(a.iban)}</td>
<td>${connectionBadge(a)}</td><td>${collectBadge(a)}</td>
<td>${a.link ? linkBadge(a.link) : ''}</td>
<td class="row-actions">${accountActions(ctx, a)}</td></tr>`,
            )}
            ${
              list.items.length
                ? ''
                : html`<tr>
                    <td colspan="${secondary ? 11 : 10}">Aucun compte bancaire ne correspond à ces critères.</td>
                  </tr>`
            }
          </tbody>
        </table>
      </div>
      ${pager('/comptes', q, list.total, offset, LIMIT)}`;
    send(res, page(ctx, { title: 'Comptes bancaires', section: 'comptes', body, wide: true }), r.ok ? 200 : r.status);
  });

  for (const format of ['csv', 'xlsx'] as const) {
    router.get(`/comptes/export.${format}`, portal, async (req, res) => {
      const ctx = portalContext(res);
      const q = req.query as Record<string, string | undefined>;
      const { siret, name, iban, connection, link, includeInactive, includeSecondary } = q;
      await pipeDownload(
        await ctx.api.fetch('GET', '/bank-accounts/export', {
          query: { format, siret, name, iban, connection, link, includeInactive, includeSecondary },
        }),
        res,
      );
    });
  }

  router.get('/comptes/:id', portal, async (req, res) => {
    const ctx = portalContext(res);
    const a = await ctx.api.get<AccountDetail>(`/bank-accounts/${String(req.params.id)}`, ctx.scope);
    const c = a.company;
    const periodicity = c.periodicityKind
      ? describePeriodicity({
          kind: c.periodicityKind,
          day: c.periodicityDay,
          month: c.periodicityMonth,
        } as PeriodicityInput)
      : '';
    const body = html`<div class="summary">
        <section>
          <h2>Redevable</h2>
          <dl class="pairs">
            <dt>SIREN</dt>
            <dd>${c.siren}</dd>
            <dt>NIC</dt>
            <dd>${c.nic ?? '—'}</dd>
            <dt>Raison sociale</dt>
            <dd><a href="/redevables/${a.companyId}">${c.name}</a></dd>
            <dt>Collecte</dt>
            <dd>${periodicity}</dd>
          </dl>
        </section>
        <section>
          <h2>Détails du compte bancaire</h2>
          <dl class="pairs two">
            <dt>Banque</dt>
            <dd>${a.bankName ?? '—'}</dd>
            <dt>Date création</dt>
            <dd>${when(a.createdAt)}</dd>
            <dt>Type</dt>
            <dd>${ACCOUNT_TYPES_FR[a.type] ?? a.type}</dd>
            <dt>Dernière connexion</dt>
            <dd>
              ${when(a.connection.lastSyncAt)}
              ${a.connection.state === 'ok' ? badge('ok', 'Active') : badge('error', 'En erreur')}
            </dd>
            <dt>Libellé</dt>
            <dd>${a.label}</dd>
            <dt>Dernière collecte</dt>
            <dd>${when(a.connection.lastSuccessAt) || 'Aucune'}</dd>
            <dt>IBAN</dt>
            <dd class="iban">
              ${frIban(a.iban)}${a.statement.available ? '' : html`<small class="reason" role="note">${a.statement.reason}</small>`}
            </dd>
            <dt>Relevés jusqu’au</dt>
            <dd>${frDay(a.collectedUntil) || '—'}</dd>
            <dt>BIC</dt>
            <dd>${a.bic ?? ''}</dd>
            <dt>Solde</dt>
            <dd>
              ${a.balance ? html`${frAmount(a.balance, a.currency)} ${a.balanceAt ? html`<small>au ${when(a.balanceAt)}</small>` : ''}` : '—'}
            </dd>
            <dt>Monnaie</dt>
            <dd>${a.currency}</dd>
            <dt>Date de désactivation</dt>
            <dd>${when(a.deactivatedAt) || '—'}</dd>
          </dl>
          ${a.connection.state === 'error' ? html`<p class="flash error" role="status">${stateMessageFr(a.connection.errorCode)}</p>` : ''}
          <p class="toolbar">${accountActions(ctx, a)}</p>
        </section>
      </div>
      <section aria-labelledby="evenements">
        <h2 id="evenements">Événements</h2>
        <div class="table-wrap" role="region" aria-labelledby="evenements" tabindex="0">
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Libellé</th>
                <th scope="col">État</th>
              </tr>
            </thead>
            <tbody>
              ${a.events.map((ev) => {
                const [text, kind] = eventText(ev);
                return html`<tr>
                  <td>${when(ev.occurredAt)}</td>
                  <td>${text}</td>
                  <td>${badge(kind, kind === 'error' ? 'Erreur' : kind === 'ok' ? 'OK' : 'Info')}</td>
                </tr>`;
              })}
              ${
                a.events.length
                  ? ''
                  : html`<tr>
                      <td colspan="3">Aucun événement.</td>
                    </tr>`
              }
            </tbody>
          </table>
        </div>
      </section>
      <section aria-labelledby="jetons">
        <h2 id="jetons">
          Historique des jetons / URL transmis au redevable pour la mise à jour des identifiants bancaires
        </h2>
        ${linksTable(a.links, false)}
      </section>
      <section aria-labelledby="releves">
        <h2 id="releves">Liste des ${a.statements.length} dernier(s) relevé(s) reçu(s) pour ce compte bancaire</h2>
        <div class="table-wrap" role="region" aria-labelledby="releves" tabindex="0">
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Période</th>
                <th scope="col">Date de réception</th>
                <th scope="col">État</th>
                <th scope="col">Détails</th>
                <th scope="col">Nb transactions</th>
                <th scope="col">CFONB <span aria-hidden="true">*</span></th>
                <th scope="col">Transactions suppr. <span aria-hidden="true">**</span></th>
              </tr>
            </thead>
            <tbody>
              ${statementRows(a.statements, { identity: false, select: false })}
              ${
                a.statements.length
                  ? ''
                  : html`<tr>
                      <td colspan="7">Aucun relevé reçu.</td>
                    </tr>`
              }
            </tbody>
          </table>
        </div>
        <p class="notes">
          <small
            >* Les relevés sont fournis au format CFONB120 compatible avec la plupart des logiciels comptables.<br />**
            Le format CFONB120 ne permet pas de véhiculer l’information de suppression d’une transaction par la
            banque.</small
          >
        </p>
      </section>`;
    send(res, page(ctx, { title: 'Détail d’un compte bancaire', section: 'comptes', body, wide: true }));
  });

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

function linkBadge(l: NonNullable<BankAccount['link']>): Html {
  const [kind, text] =
    l.state === 'valid'
      ? (['ok', 'Jeton valide'] as const)
      : l.state === 'used'
        ? (['neutral', 'Jeton utilisé'] as const)
        : (['error', 'Jeton expiré'] as const);
  return badge(kind, text, l.at);
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
