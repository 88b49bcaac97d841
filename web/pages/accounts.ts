/** Comptes bancaires: the fleet list, "Détail d'un compte bancaire", (de)activation, collect now, links. */
import type { Router } from 'express';
import { stateMessageFr } from '../../domain/powens-states';
import { describePeriodicity, type PeriodicityInput } from '../../domain/identifiers';
import { problemOf } from '../api-client';
import { portalContext, requirePortal } from '../context';
import { frAmount, frDay, frIban, plural } from '../format';
import { html, raw, type Html } from '../html';
import { badge, checkbox, errorSummary, fieldErrors, page, pager, select, send } from '../layout';
import { accountActions, actionDone, linksTable } from './companies';
import {
  accountName,
  collectBadge,
  connectionBadge,
  csrfOf,
  str,
  when,
  type BankAccount,
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
<td>${a.bankName ?? ''}</td><td>${a.label}${a.active ? '' : html` ${badge('neutral', 'Désactivé', a.deactivatedAt)}`}</td><td class="iban">${frIban(a.iban)}</td>
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
            <dd>${a.type}</dd>
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
            <dd class="iban">${frIban(a.iban)}</dd>
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

  router.post('/connexions/:id/collecter', portal, async (req, res) => {
    const ctx = portalContext(res);
    const r = await ctx.api.call<{ outcome: string; statementIds: string[]; collected: number | null }>(
      'POST',
      `/connections/${String(req.params.id)}/collect`,
      { csrf: csrfOf(req), query: ctx.scope, json: { statement: true } },
    );
    let text = '';
    if (r.ok) {
      const { outcome, statementIds, collected } = r.body;
      text =
        outcome === 'delivered'
          ? `Collecte effectuée${collected === null ? '' : ` : ${plural(collected, 'transaction', 'transactions')}`}${statementIds.length ? ` ; ${plural(statementIds.length, 'relevé émis', 'relevés émis')}, à retrouver dans « Réception »` : ''}.`
          : outcome === 'no-workflow'
            ? 'Demande enregistrée : la connexion n’est pas encore planifiée, la collecte aura lieu à son démarrage.'
            : 'Demande enregistrée : le service de collecte est momentanément indisponible, réessayez dans quelques minutes.';
    }
    actionDone(req, res, r.ok ? null : problemOf(r), text, '/comptes');
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
