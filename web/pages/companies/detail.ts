/** Redevables: the company page (tabs Comptes bancaires / Jetons), its bank choice, links and actions. */
import type { RequestHandler, Router } from 'express';
import { problemOf, type Problem } from '../../api-client';
import { portalContext, type PortalContext } from '../../context';
import { frIban } from '../../format';
import { html, qs, raw, type Html } from '../../html';
import { actionButton, badge, field, linkStateBadge, page, send } from '../../layout';
import {
  actionDone,
  collectBadge,
  connectionBadge,
  csrfOf,
  emailBounceBadge,
  periodicityText,
  str,
  type BankAccount,
  type Company,
  type Link,
} from '../shared';
import { accountActions, accountStateNote, linksTable } from '../account-widgets';
import { formatsLabel } from './form';

/** The company page (GET /redevables/:id) and its actions. */
export function detailPages(router: Router, portal: RequestHandler) {
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

function linksTab(links: Link[]): Html {
  return html`<h2 class="sr-only">Jetons</h2>
    <p>
      La liste suivante présente les 10 derniers jetons transmis par mail au redevable pour l’ajout / mise à jour
      d’identifiants bancaires :
    </p>
    ${linksTable(links, true)}`;
}
