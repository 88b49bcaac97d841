/** Redevables: the search page, its result rows and its exports. */
import type { RequestHandler, Router } from 'express';
import { pipeDownload } from '../../api-client';
import { portalContext, type PortalContext } from '../../context';
import { pluralTotal } from '../../format';
import { html, qs, raw, type Html } from '../../html';
import { actionButton, badge, checkbox, errorSummary, fieldErrors, page, pager, select, send } from '../../layout';
import {
  companyCriteria,
  emailBounceBadge,
  exportLinks,
  periodicityText,
  searchPage,
  str,
  type Company,
} from '../shared';

const LIMIT = 50;

/** GET /redevables (the search) and its CSV / Excel exports. */
export function listPages(router: Router, portal: RequestHandler) {
  router.get('/redevables', portal, async (req, res) => {
    const ctx = portalContext(res);
    const q = {
      siret: str(req.query.siret),
      name: str(req.query.name),
      iban: str(req.query.iban),
      collection: str(req.query.collection),
      includeInactive: req.query.includeInactive === 'true' ? 'true' : undefined,
      includeSecondary:
        req.query.includeSecondary === 'true' && ctx.me.portalAccount.kind === 'PRIMARY' ? 'true' : undefined,
      adresse: req.query.adresse === 'rejet' ? 'rejet' : undefined,
    };
    const { adresse, ...apiQuery } = q;
    const { r, offset, problem, list } = await searchPage<Company>(
      ctx,
      req,
      '/companies',
      { ...apiQuery, emailBounced: adresse ? 'true' : undefined },
      LIMIT,
    );
    const secondary = !!q.includeSecondary;
    const e = fieldErrors(problem);
    const body = html`<p class="toolbar">
        ${ctx.can('MANAGE_COMPANIES') ? html`<a class="button primary" href="/redevables/nouveau">Créer un redevable</a> <a class="button" href="/redevables/import">Importer des redevables</a>` : ''}
      </p>
      <form method="get" action="/redevables" class="filters" role="search" aria-label="Rechercher un redevable">
        ${errorSummary(problem, { siret: 'SIRET', iban: 'IBAN', name: 'Raison sociale' })}
        <div class="grid">
          ${companyCriteria(q, e)}
          ${select({
            name: 'collection',
            label: 'État de la collecte',
            value: q.collection,
            options: [
              ['', 'Tous'],
              ['success', 'Succès'],
              ['error', 'Erreur'],
            ],
          })}
        </div>
        <div class="options">
          ${checkbox('includeInactive', 'Afficher les redevables désactivés', !!q.includeInactive)}
          ${checkbox('adresse', 'Seulement les adresses e-mail rejetées', !!q.adresse, 'rejet')}
          ${ctx.me.portalAccount.kind === 'PRIMARY' ? checkbox('includeSecondary', 'Afficher les redevables des comptes secondaires', secondary) : ''}
        </div>
        <p><button type="submit" class="primary">Rechercher</button></p>
      </form>
      <h2 id="resultats">Résultats <small>${pluralTotal(list, 'redevable trouvé', 'redevables trouvés')}</small></h2>
      ${exportLinks('/redevables/export', q)}
      <div class="table-wrap" role="region" aria-labelledby="resultats" tabindex="0">
        <table class="list">
          <thead>
            <tr>
              ${secondary ? html`<th scope="col">Compte</th>` : ''}
              <th scope="col">SIREN</th>
              <th scope="col">NIC</th>
              <th scope="col">Raison sociale</th>
              <th scope="col">Périodicité</th>
              <th scope="col">Comptes</th>
              <th scope="col">Collecte</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            ${list.items.map((c) => companyRow(ctx, c, secondary))}
            ${
              list.items.length
                ? ''
                : html`<tr>
                    <td colspan="${secondary ? 8 : 7}">Aucun redevable ne correspond à ces critères.</td>
                  </tr>`
            }
          </tbody>
        </table>
      </div>
      ${pager('/redevables', q, list.total, offset, LIMIT, list.totalCapped)}`;
    send(res, page(ctx, { title: 'Redevables', section: 'redevables', body, wide: true }), r.ok ? 200 : r.status);
  });
  for (const format of ['xlsx', 'csv'] as const) {
    router.get(`/redevables/export.${format}`, portal, async (req, res) => {
      const ctx = portalContext(res);
      const q = req.query as Record<string, string | undefined>;
      await pipeDownload(
        await ctx.api.fetch('GET', '/companies/export', {
          query: {
            format,
            siret: q.siret,
            name: q.name,
            iban: q.iban,
            collection: q.collection,
            includeInactive: q.includeInactive,
            includeSecondary: q.includeSecondary,
            emailBounced: q.adresse === 'rejet' ? 'true' : undefined,
          },
        }),
        res,
      );
    });
  }
}

function companyRow(ctx: PortalContext, c: Company, secondary: boolean): Html {
  const collection =
    c.collection === 'success'
      ? badge('ok', 'Succès')
      : c.collection === 'error'
        ? badge('error', 'Erreur')
        : badge('neutral', 'Aucun compte');
  const history = `/reception${qs({ siret: c.siren + (c.nic ?? ''), includeSecondary: secondary || undefined })}`;
  return html`<tr${c.active ? '' : raw(' class="inactive"')}>
${secondary ? html`<td>${c.portalAccountName}</td>` : ''}
<td>${c.siren}</td><td>${c.nic ?? ''}</td>
<td><a href="/redevables/${c.id}">${c.name}</a>${c.active ? '' : html` ${badge('neutral', 'Désactivé', c.deactivatedAt)}`}${c.emailBounce ? html`<br />${emailBounceBadge(c.emailBounce)}` : ''}</td>
<td>${periodicityText(c.periodicity)}</td>
<td class="num">${c.accountCount}</td>
<td>${collection}</td>
<td class="row-actions">
<a class="button small" href="/redevables/${c.id}" aria-label="Consulter ${c.name}">Consulter</a>
${ctx.can('MANAGE_COMPANIES') ? html`<a class="button small" href="/redevables/${c.id}/modifier" aria-label="Modifier ${c.name}">Modifier</a>` : ''}
<a class="button small" href="${history}" aria-label="Historique des relevés de ${c.name}">Historique</a>
${
  ctx.can('MANAGE_COMPANIES')
    ? c.active
      ? actionButton(ctx, `/redevables/${c.id}/desactiver`, 'Désactiver', {
          title: `Désactiver ${c.name}`,
          confirm: `Désactiver ${c.name} ? Tous ses comptes bancaires deviennent inactifs (rien n’est supprimé).`,
        })
      : actionButton(ctx, `/redevables/${c.id}/reactiver`, 'Réactiver', { title: `Réactiver ${c.name}` })
    : ''
}
</td></tr>`;
}
