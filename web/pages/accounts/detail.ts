/** Comptes bancaires: "Détail d’un compte bancaire" (its company, connection, statements, links and events). */
import type { RequestHandler, Router } from 'express';
import { stateMessageFr } from '../../../domain/powens-states';
import { describePeriodicity, type PeriodicityInput } from '../../../domain/identifiers';
import { ACCOUNT_TYPES_FR } from '../../../domain/statements';
import { portalContext } from '../../context';
import { frAmount, frDay, frIban } from '../../format';
import { html, type Html } from '../../html';
import { badge, page, send } from '../../layout';
import { accountActions, linksTable } from '../account-widgets';
import { when, type BankAccount, type Link, type Statement } from '../shared';
import { statementRows } from '../reception/list';

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

/** GET /comptes/:id. */
export function detailPages(router: Router, portal: RequestHandler) {
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
}
