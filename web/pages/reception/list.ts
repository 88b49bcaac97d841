/** Réception: the statements received (search, exports, a ZIP of a selection) and the rows of a statement list. */
import type { RequestHandler, Router } from 'express';
import { pipeDownload, problemOf, type Problem } from '../../api-client';
import { portalContext, setFlash } from '../../context';
import { frDay, frIban, parseFrDay, pluralTotal } from '../../format';
import { html, qs, type Html } from '../../html';
import { badge, checkbox, errorSummary, field, fieldErrors, page, pager, select, send } from '../../layout';
import { companyCriteria, exportLinks, STATEMENT_STATE, str, when, type Page, type Statement } from '../shared';

const LIMIT = 50;

/** Rows of a statement list (Réception and the account detail share them). */
export function statementRows(
  items: Statement[],
  opts: { identity: boolean; select: boolean; account?: boolean },
): Html {
  return html`${items.map((s) => {
    const [kind, text] = STATEMENT_STATE[s.state];
    const files = s.state === 'success';
    return html`<tr>
      ${opts.account ? html`<td>${s.company.portalAccountName}</td>` : ''}
      ${opts.select ? html`<td>${files ? html`<input type="checkbox" name="ids" value="${s.id}" form="zip" id="sel-${s.id}" aria-label="Sélectionner le relevé ${s.iban ?? ''} du ${frDay(s.periodStart)} au ${frDay(s.periodEnd)}" />` : ''}</td>` : ''}
      ${
        opts.identity
          ? html`<td>${s.company.siren}</td>
              <td>${s.company.nic ?? ''}</td>
              <td>${s.company.name}</td>
              <td class="iban">${frIban(s.iban)}</td>`
          : ''
      }
      <td>${frDay(s.periodStart)} au ${frDay(s.periodEnd)}</td>
      <td>${when(s.receivedAt)}</td>
      <td>
        ${badge(kind, text)}${s.errorMessage ? html`<small class="reason">${s.errorMessage}</small>` : ''}
        ${s.balanceCheck?.status === 'break' ? html`<small class="reason balance-break">${s.balanceCheck.message}</small>` : ''}
      </td>
      <td>
        <a href="/reception/${s.id}" aria-label="Détail du relevé du ${frDay(s.periodStart)} au ${frDay(s.periodEnd)}"
          >Détail</a
        >
      </td>
      ${opts.identity ? '' : html`<td class="num">${s.transactionCount}</td>`}
      <td>
        ${files ? html`<a href="/reception/${s.id}/cfonb" download>CFONB</a> · <a href="/reception/${s.id}/camt053" download aria-label="camt.053 du relevé du ${frDay(s.periodStart)} au ${frDay(s.periodEnd)}">camt.053</a>` : ''}
      </td>
      <td>
        ${files && s.deletedCount ? html`<a href="/reception/${s.id}/supprimees.csv" download>${s.deletedCount} (CSV)</a>` : ''}
      </td>
    </tr>`;
  })}`;
}

/** GET /reception, its CSV / Excel exports and POST /reception/zip. */
export function listPages(router: Router, portal: RequestHandler) {
  router.get('/reception', portal, async (req, res) => {
    const ctx = portalContext(res);
    const primary = ctx.me.portalAccount.kind === 'PRIMARY';
    const q = {
      from: str(req.query.from),
      to: str(req.query.to),
      siret: str(req.query.siret),
      name: str(req.query.name),
      iban: str(req.query.iban),
      state: str(req.query.state),
      delivery: str(req.query.delivery),
      balance: str(req.query.balance),
      includeSecondary: req.query.includeSecondary === 'true' && primary ? 'true' : undefined,
    };
    const offset = Math.max(0, Number(req.query.offset) || 0);
    const dateErrors: Array<{ field: string; reason: string }> = [];
    const from = q.from ? parseFrDay(q.from) : undefined;
    const to = q.to ? parseFrDay(q.to) : undefined;
    if (from === null) dateErrors.push({ field: 'from', reason: 'date au format jj/mm/aaaa attendue' });
    if (to === null) dateErrors.push({ field: 'to', reason: 'date au format jj/mm/aaaa attendue' });
    let list: Page<Statement> = { items: [], total: 0, limit: LIMIT, offset: 0 };
    let problem: Problem | null = dateErrors.length
      ? { status: 400, title: '', detail: 'La recherche contient des critères invalides.', errors: dateErrors }
      : null;
    if (!problem) {
      const r = await ctx.api.call<Page<Statement>>('GET', '/statements', {
        query: {
          receivedFrom: from ?? undefined,
          receivedTo: to ?? undefined,
          siret: q.siret,
          name: q.name,
          iban: q.iban,
          state: q.state,
          delivery: q.delivery,
          balance: q.balance || undefined,
          includeSecondary: q.includeSecondary,
          limit: LIMIT,
          offset,
        },
      });
      if (r.ok) list = r.body;
      else {
        const p = problemOf(r);
        problem = p;
        p.errors = p.errors?.map((e) => ({
          ...e,
          field: e.field === 'receivedFrom' ? 'from' : e.field === 'receivedTo' ? 'to' : e.field,
        }));
      }
    }
    const e = fieldErrors(problem);
    const body = html`<form
        method="get"
        action="/reception"
        class="filters"
        role="search"
        aria-label="Recherche des relevés reçus"
      >
        ${errorSummary(problem, { from: 'Du', to: 'Au', siret: 'SIRET', iban: 'IBAN', name: 'Raison sociale' })}
        <fieldset class="inline-fieldset">
          <legend>Date de réception</legend>
          <div class="grid">
            ${field({ name: 'from', label: 'Du', type: 'date', value: from ?? q.from, error: e.get('from') })}
            ${field({ name: 'to', label: 'Au', type: 'date', value: to ?? q.to, error: e.get('to') })}
          </div>
        </fieldset>
        <div class="grid">
          ${companyCriteria(q, e)}
          ${select({
            name: 'state',
            label: 'État',
            value: q.state,
            options: [
              ['', 'Tous'],
              ['success', 'Succès'],
              ['running', 'En cours'],
              ['failure', 'Échec'],
            ],
          })}
          ${select({
            name: 'delivery',
            label: 'Envoi par e-mail',
            value: q.delivery,
            options: [
              ['', 'Tous'],
              ['none', 'Aucun e-mail'],
              ['queued', 'En attente d’envoi'],
              ['sent', 'Envoyé'],
              ['delivered', 'Remis'],
              ['bounced', 'Rejeté'],
              ['failed', 'Échec'],
            ],
          })}
          ${select({
            name: 'balance',
            label: 'Continuité des soldes',
            value: q.balance,
            error: e.get('balance'),
            options: [
              ['', 'Tous'],
              ['break', 'Rupture de solde'],
              ['ok', 'Soldes concordants'],
              ['unchecked', 'Non vérifiés'],
            ],
          })}
        </div>
        ${primary ? html`<div class="options">${checkbox('includeSecondary', 'Afficher les relevés des redevables secondaires', !!q.includeSecondary)}</div>` : ''}
        <p><button type="submit" class="primary">Rechercher</button></p>
      </form>
      <h2 id="resultats">Résultats <small>${pluralTotal(list, 'relevé trouvé', 'relevés trouvés')}</small></h2>
      ${exportLinks('/reception/export', q)}
      <form method="post" action="/reception/zip" id="zip" class="toolbar">
        <input type="hidden" name="_csrf" value="${ctx.csrf}" />
        <input type="hidden" name="includeSecondary" value="${q.includeSecondary ?? ''}" />
        <button type="submit" class="primary" name="mode" value="selection">Télécharger la sélection (ZIP)</button>
        ${
          list.total
            ? html`<button type="submit" name="mode" value="all">Tout télécharger (ZIP)</button>
                <input
                  type="hidden"
                  name="filters"
                  value="${qs({ receivedFrom: from ?? undefined, receivedTo: to ?? undefined, siret: q.siret, name: q.name, iban: q.iban, state: q.state, delivery: q.delivery, balance: q.balance || undefined })}"
                />`
            : ''
        }
      </form>
      <div class="table-wrap" role="region" aria-labelledby="resultats" tabindex="0">
        <table class="list">
          <thead>
            <tr>
              ${q.includeSecondary ? html`<th scope="col">Compte</th>` : ''}
              <th scope="col">
                <input type="checkbox" id="select-all" data-select-all="ids" aria-label="Tout sélectionner" />
              </th>
              <th scope="col">SIREN</th>
              <th scope="col">NIC</th>
              <th scope="col">Raison sociale</th>
              <th scope="col">IBAN</th>
              <th scope="col">Période</th>
              <th scope="col">Date de réception</th>
              <th scope="col">État</th>
              <th scope="col">Détails</th>
              <th scope="col">CFONB <span aria-hidden="true">*</span></th>
              <th scope="col">Transactions suppr. <span aria-hidden="true">**</span></th>
            </tr>
          </thead>
          <tbody>
            ${statementRows(list.items, { identity: true, select: true, account: !!q.includeSecondary })}
            ${
              list.items.length
                ? ''
                : html`<tr>
                    <td colspan="${q.includeSecondary ? 12 : 11}">Aucun relevé ne correspond à ces critères.</td>
                  </tr>`
            }
          </tbody>
        </table>
      </div>
      ${pager('/reception', q, list.total, offset, LIMIT, list.totalCapped)}
      <p class="notes">
        <small
          >* Les relevés sont fournis au format CFONB120 compatible avec la plupart des logiciels comptables.<br />** Le
          format CFONB120 ne permet pas de véhiculer l’information de suppression d’une transaction par la banque : ces
          transactions sont fournies dans un fichier CSV.</small
        >
      </p>`;
    send(
      res,
      page(ctx, { title: 'Réception', heading: 'Recherche des relevés reçus', section: 'reception', body, wide: true }),
      problem ? problem.status : 200,
    );
  });

  for (const format of ['csv', 'xlsx'] as const) {
    router.get(`/reception/export.${format}`, portal, async (req, res) => {
      const ctx = portalContext(res);
      const q = req.query as Record<string, string | undefined>;
      const from = q.from ? parseFrDay(q.from) : undefined;
      const to = q.to ? parseFrDay(q.to) : undefined;
      await pipeDownload(
        await ctx.api.fetch('GET', '/statements/export', {
          query: {
            format,
            receivedFrom: from ?? undefined,
            receivedTo: to ?? undefined,
            siret: q.siret,
            name: q.name,
            iban: q.iban,
            state: q.state,
            delivery: q.delivery,
            includeSecondary: q.includeSecondary,
          },
        }),
        res,
      );
    });
  }

  router.post('/reception/zip', portal, async (req, res) => {
    const ctx = portalContext(res);
    const includeSecondary = req.body?.includeSecondary === 'true' ? 'true' : undefined;
    let ids: string[] = [];
    if (req.body?.mode === 'all') {
      // The list's filters (not its page), read page after page from each one's cursor (`nextAfter`).
      const {
        offset: _offset,
        after: _after,
        ...filters
      } = Object.fromEntries(new URLSearchParams(str(req.body?.filters)));
      let after: string | null = null;
      do {
        const p: Page<Statement> = await ctx.api.get<Page<Statement>>('/statements', {
          ...filters,
          state: 'success',
          includeSecondary,
          limit: 200,
          ...(after ? { after } : {}),
        });
        ids.push(...p.items.map((s) => s.id));
        after = p.nextAfter ?? null;
      } while (after && ids.length < 1000);
      ids = ids.slice(0, 1000);
    } else {
      const picked: unknown = req.body?.ids;
      ids = (Array.isArray(picked) ? picked : picked ? [picked] : []).map(String);
    }
    if (!ids.length) {
      setFlash(res, { kind: 'error', text: 'Sélectionnez au moins un relevé à télécharger.' });
      return res.redirect(303, '/reception');
    }
    const upstream = await ctx.api.fetch('POST', '/statements/zip', {
      csrf: str(req.body?._csrf),
      query: { includeSecondary: includeSecondary ?? (ctx.scope.includeSecondary ? 'true' : undefined) },
      json: { ids },
    });
    if (!upstream.ok) {
      const problem = problemOf({ status: upstream.status, body: await upstream.json().catch(() => null) });
      setFlash(res, { kind: 'error', text: problem.detail });
      return res.redirect(303, '/reception');
    }
    await pipeDownload(upstream, res);
  });
}
