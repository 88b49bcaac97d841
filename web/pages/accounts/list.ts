/** Comptes bancaires: the fleet list and its exports. */
import type { RequestHandler, Router } from 'express';
import { portalContext } from '../../context';
import { frIban, pluralTotal } from '../../format';
import { html, raw, type Html } from '../../html';
import { badge, checkbox, errorSummary, fieldErrors, page, pager, select, send } from '../../layout';
import { accountActions, accountStateNote } from '../account-widgets';
import {
  accountName,
  collectBadge,
  companyCriteria,
  connectionBadge,
  exportLinks,
  searchPage,
  str,
  type BankAccount,
} from '../shared';
import { pipeDownload } from '../../api-client';

const LIMIT = 50;

/** GET /comptes (the search) and its CSV / Excel exports. */
export function listPages(router: Router, portal: RequestHandler) {
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
        Résultats <small>${pluralTotal(list, 'compte bancaire trouvé', 'comptes bancaires trouvés')}</small>
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
      ${pager('/comptes', q, list.total, offset, LIMIT, list.totalCapped)}`;
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
