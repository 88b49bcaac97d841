/**
 * Réception: a statement's detail read back from the CFONB120 file itself (what the firm's accounting
 * software will import), its e-mails, sending it again, and the CFONB, camt.053 and deleted-transactions downloads.
 */
import type { RequestHandler, Router } from 'express';
import { readCfonb, type StatementOutput } from '../../../domain/cfonb120';
import { pipeDownload, problemOf } from '../../api-client';
import { portalContext, setFlash } from '../../context';
import { frAmount, frDay, frIban, plural } from '../../format';
import { html, type Html } from '../../html';
import { actionButton, badge, page, send } from '../../layout';
import { siretText, STATEMENT_STATE, str, when, type Statement } from '../shared';

interface Transaction {
  id: string;
  bookingDate: string;
  valueDate: string | null;
  amount: string;
  label: string;
  type: string;
}

/** GET /reception/:id, POST /reception/:id/renvoyer and the downloads. */
export function detailPages(router: Router, portal: RequestHandler) {
  router.get('/reception/:id', portal, async (req, res) => {
    const ctx = portalContext(res);
    const id = String(req.params.id);
    const s = await ctx.api.get<
      Statement & { deletedTransactions: Transaction[]; transactions: Transaction[]; deliveries: Delivery[] }
    >(`/statements/${id}`, ctx.scope);
    let parsed: StatementOutput[] | null = null;
    let readError: string | null = null;
    if (s.state === 'success') {
      const bytes = await ctx.api.getBytes(`/statements/${id}/cfonb`, ctx.scope);
      if (bytes) {
        try {
          parsed = readCfonb(bytes, { lenient: true });
        } catch (err) {
          readError = (err as Error).message;
        }
      }
    }
    const [kind, text] = STATEMENT_STATE[s.state];
    const body = html`<dl class="pairs two">
        <dt>Redevable</dt>
        <dd><a href="/redevables/${s.company.id}">${s.company.name}</a> (${siretText(s.company)})</dd>
        <dt>IBAN</dt>
        <dd class="iban">${frIban(s.iban)}</dd>
        <dt>Période</dt>
        <dd>du ${frDay(s.periodStart)} au ${frDay(s.periodEnd)}</dd>
        <dt>Date de réception</dt>
        <dd>${when(s.receivedAt)}</dd>
        <dt>État</dt>
        <dd>${badge(kind, text)}${s.errorMessage ? html` <small class="reason">${s.errorMessage}</small>` : ''}</dd>
        <dt>Transactions</dt>
        <dd>
          ${s.transactionCount}${s.deletedCount ? html` (et ${plural(s.deletedCount, 'transaction supprimée', 'transactions supprimées')})` : ''}
        </dd>
        <dt>Formats livrés</dt>
        <dd>${s.formats.map((f) => (f === 'cfonb120' ? 'CFONB120' : `camt.053.001.${s.camtVersion}`)).join(' et ')}</dd>
        ${
          s.balanceCheck
            ? html`<dt>Continuité des soldes</dt>
                <dd>${balanceCheckText(s)}</dd>`
            : ''
        }
      </dl>
      ${
        s.balanceCheck?.status === 'break'
          ? html`<div class="flash error balance-break" role="alert">
              <p><strong>${s.balanceCheck.message}</strong></p>
              ${s.balanceCheck.details.map((d) => html`<p>${d}</p>`)}
            </div>`
          : ''
      }
      <p class="toolbar">
        ${s.state === 'success' ? html`<a class="button primary" href="/reception/${s.id}/cfonb" download>Télécharger le relevé CFONB120</a>` : ''}
        ${s.state === 'success' ? html`<a class="button" href="/reception/${s.id}/camt053" download>Télécharger le relevé camt.053</a>` : ''}
        ${s.state === 'success' && s.deletedCount ? html`<a class="button" href="/reception/${s.id}/supprimees.csv" download>Télécharger les transactions supprimées (CSV)</a>` : ''}
        <a class="button" href="/comptes/${s.bankAccountId}">Compte bancaire</a>
        ${
          s.state === 'success' && ctx.can('VIEW_STATEMENTS')
            ? actionButton(ctx, `/reception/${s.id}/renvoyer`, 'Renvoyer par e-mail', {
                cls: '',
                confirm: 'Renvoyer ce relevé par e-mail à l’adresse de réception actuelle du compte ?',
              })
            : ''
        }
      </p>
      ${deliveriesSection(s.deliveries)}
      ${readError ? html`<div class="flash error" role="alert"><p>Le fichier CFONB120 n’a pas pu être relu : ${readError}</p></div>` : ''}
      ${(parsed ?? []).map((st) => cfonbStatement(st))}
      ${
        s.deletedTransactions.length
          ? html`<section aria-labelledby="supprimees">
              <h2 id="supprimees">Transactions supprimées par la banque</h2>
              <p>
                Ces transactions, déjà transmises dans un relevé précédent, ont été supprimées par la banque : le format
                CFONB120 ne peut pas le signaler, prenez-les en compte pour éviter les doublons.
              </p>
              <div class="table-wrap" role="region" aria-labelledby="supprimees" tabindex="0">
                <table class="list">
                  <thead>
                    <tr>
                      <th scope="col">Date d’opération</th>
                      <th scope="col">Date de valeur</th>
                      <th scope="col">Libellé</th>
                      <th scope="col" class="num">Montant</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${s.deletedTransactions.map(
                      (t) =>
                        html`<tr>
                          <td>${frDay(t.bookingDate)}</td>
                          <td>${frDay(t.valueDate)}</td>
                          <td>${t.label}</td>
                          <td class="num">${frAmount(t.amount, s.currency)}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>
            </section>`
          : ''
      }`;
    send(res, page(ctx, { title: 'Détail du relevé', section: 'reception', body, wide: true }));
  });

  router.post('/reception/:id/renvoyer', portal, async (req, res) => {
    const ctx = portalContext(res);
    const id = String(req.params.id);
    const r = await ctx.api.call<Delivery>('POST', `/statements/${id}/resend`, {
      csrf: str(req.body?._csrf),
      query: ctx.scope,
    });
    setFlash(
      res,
      r.ok
        ? { kind: 'ok', text: `Le relevé est renvoyé à ${r.body.to}.` }
        : { kind: 'error', text: problemOf(r).detail },
    );
    res.redirect(303, `/reception/${id}`);
  });

  for (const [path, api] of [
    ['cfonb', 'cfonb'],
    ['camt053', 'camt053'],
    ['supprimees.csv', 'deleted.csv'],
  ] as const) {
    router.get(`/reception/:id/${path}`, portal, async (req, res) => {
      const ctx = portalContext(res);
      const upstream = await ctx.api.fetch('GET', `/statements/${String(req.params.id)}/${api}`, {
        query: ctx.scope.includeSecondary ? { includeSecondary: 'true' } : {},
      });
      if (!upstream.ok) {
        const problem = problemOf({ status: upstream.status, body: await upstream.json().catch(() => null) });
        return send(
          res,
          page(ctx, {
            title: problem.status === 404 ? 'Page introuvable' : 'Téléchargement impossible',
            body: html`<div class="flash error" role="alert"><p>${problem.detail}</p></div>`,
          }),
          problem.status,
        );
      }
      await pipeDownload(upstream, res);
    });
  }
}

interface Delivery {
  id: string;
  to: string;
  state: 'queued' | 'sent' | 'delivered' | 'delayed' | 'bounced' | 'failed' | 'suppressed';
  stateText: string;
  reason: string | null;
  resend: boolean;
  queuedAt: string;
  sentAt: string | null;
  deliveredAt: string | null;
  bouncedAt: string | null;
  nextAttemptAt: string | null;
}

const DELIVERY_BADGE: Record<Delivery['state'], Parameters<typeof badge>[0]> = {
  queued: 'warn',
  sent: 'neutral',
  delivered: 'ok',
  delayed: 'warn',
  bounced: 'error',
  failed: 'error',
  suppressed: 'error',
};

/** Every e-mail of the statement: to whom, its state and why, when it was queued, sent, delivered or bounced. */
function deliveriesSection(deliveries: Delivery[]): Html {
  return html`<section aria-labelledby="envois">
    <h2 id="envois">Envois par e-mail</h2>
    ${
      deliveries.length
        ? html`<div class="table-wrap" role="region" aria-labelledby="envois" tabindex="0">
            <table class="list">
              <thead>
                <tr>
                  <th scope="col">Destinataire</th>
                  <th scope="col">État</th>
                  <th scope="col">Mis en file</th>
                  <th scope="col">Envoyé</th>
                  <th scope="col">Remis / rejeté</th>
                </tr>
              </thead>
              <tbody>
                ${deliveries.map(
                  (d) =>
                    html`<tr>
                      <td>${d.to}${d.resend ? html` <small>(renvoi)</small>` : ''}</td>
                      <td>
                        ${badge(DELIVERY_BADGE[d.state], d.stateText)}${d.reason ? html`<small class="reason">${d.reason}</small>` : ''}${d.nextAttemptAt ? html`<small class="reason">prochain essai : ${when(d.nextAttemptAt)}</small>` : ''}
                      </td>
                      <td>${when(d.queuedAt)}</td>
                      <td>${when(d.sentAt)}</td>
                      <td>${when(d.deliveredAt ?? d.bouncedAt)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
        : html`<p>Aucun e-mail : le compte récupère ses relevés en téléchargement (« Pas de réception par mail »).</p>`
    }
  </section>`;
}

/** What the balance check found, in a sentence. */
function balanceCheckText(s: Statement): Html {
  const c = s.balanceCheck!;
  if (c.status === 'break') return badge('error', 'Rupture de solde');
  if (c.status === 'unchecked')
    return html`${badge('neutral', 'Non vérifiée')} <small>(premier relevé, solde de la banque inconnu)</small>`;
  const parts = [
    c.opening.matches ? 'solde d’ouverture = clôture du relevé précédent' : null,
    c.closing.matches
      ? `solde de clôture = solde de la banque (${frAmount(c.closing.bankBalance, s.currency)}) moins les opérations postérieures (${frAmount(c.closing.bookedAfterPeriodEnd, s.currency)})`
      : null,
  ].filter(Boolean);
  return html`${badge('ok', 'Soldes concordants')} <small>${parts.join(' ; ')}</small>`;
}

/** A balance in the Débit column when negative (debtor), in Crédit otherwise, like a bank statement. */
function balanceCells(balance: string, cur: string): Html {
  const debit = balance.startsWith('-');
  return html`<td class="num">${debit ? frAmount(balance.slice(1), cur) : ''}</td>
    <td class="num">${debit ? '' : frAmount(balance, cur)}</td>`;
}

function cfonbStatement(st: StatementOutput): Html {
  const cur = st.account.currency;
  const credit = (a: string) => !a.startsWith('-');
  return html`<section class="cfonb" aria-label="Relevé CFONB120 ${st.account.iban ?? st.account.accountNumber}">
    <h2>
      Relevé du ${frDay(st.opening.date)} au ${frDay(st.closing.date)} <small>lu depuis le fichier CFONB120</small>
    </h2>
    <p>
      Banque ${st.account.bankCode}, guichet ${st.account.branchCode}, compte
      ${st.account.accountNumber}${st.account.iban ? html` (IBAN <span class="iban">${frIban(st.account.iban)}</span>)` : ''},
      devise ${cur}.
    </p>
    <div class="table-wrap" role="region" aria-label="Opérations du relevé" tabindex="0">
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Date d’opération</th>
            <th scope="col">Date de valeur</th>
            <th scope="col">Libellé</th>
            <th scope="col">Code</th>
            <th scope="col" class="num">Débit</th>
            <th scope="col" class="num">Crédit</th>
          </tr>
        </thead>
        <tbody>
          <tr class="balance">
            <td>${frDay(st.opening.date)}</td>
            <td></td>
            <td>Solde initial</td>
            <td></td>
            ${balanceCells(st.opening.balance, cur)}
          </tr>
          ${st.movements.map(
            (m) =>
              html`<tr>
                <td>${frDay(m.bookingDate)}</td>
                <td>${frDay(m.valueDate)}</td>
                <td>${m.label}${m.reference ? html`<br /><small>Réf. ${m.reference}</small>` : ''}</td>
                <td>${m.interbankCode}</td>
                <td class="num">${credit(m.amount) ? '' : frAmount(m.amount.slice(1), cur)}</td>
                <td class="num">${credit(m.amount) ? frAmount(m.amount, cur) : ''}</td>
              </tr>`,
          )}
          <tr class="balance">
            <td>${frDay(st.closing.date)}</td>
            <td></td>
            <td>Solde final</td>
            <td></td>
            ${balanceCells(st.closing.balance, cur)}
          </tr>
        </tbody>
      </table>
    </div>
    <p>${plural(st.movements.length, 'opération', 'opérations')}.</p>
  </section>`;
}
