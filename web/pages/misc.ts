/** The notifications bell's page and the bank referential. */
import type { Response, Router } from 'express';
import { problemOf, type Problem } from '../api-client';
import { portalContext, requirePortal, safeReturn, setFlash, type PortalContext } from '../context';
import { plural } from '../format';
import { html, qs, raw, type Html } from '../html';
import { actionButton, badge, errorSummary, field, fieldErrors, page, pager, send } from '../layout';
import { csrfOf, str, when, type Page } from './shared';

interface Notification {
  id: string;
  kind: string;
  title: string;
  body: string;
  url: string | null;
  createdAt: string;
  readAt: string | null;
}

interface CatalogConnector {
  uuid: string;
  powensId: number | null;
  name: string;
  color: string | null;
  logoUrl: string | null;
  capabilities: string[];
  maintenance: boolean;
  restricted: boolean;
  beta: boolean;
  state: string;
  syncedAt: string;
}

interface Bank {
  id: string;
  name: string;
  bic: string | null;
  powensConnectorId: number | null;
  powensConnectorUuid: string | null;
  connector: CatalogConnector | null;
}

const CAPABILITIES: Record<string, string> = {
  bank: 'Comptes bancaires',
  bankwealth: 'Épargne et placements',
  transfer: 'Virements',
  document: 'Documents',
  profile: 'Profil',
  contact: 'Contacts',
};

/** The bank's logo when Powens gives one, else its initials on its brand colour. */
function bankMark(c: Pick<CatalogConnector, 'name' | 'color' | 'logoUrl'>): Html {
  if (c.logoUrl) return html`<img class="bank-mark" src="${c.logoUrl}" alt="" width="28" height="28" />`;
  const initials = c.name
    .split(/[\s-]+/)
    .filter((w) => /^[\p{L}\d]/u.test(w))
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join('');
  const color = /^[0-9a-f]{6}$/i.test(c.color ?? '') ? `#${c.color}` : '#0b3c5d';
  return html`<span class="bank-mark" aria-hidden="true" style="${`background:${color}`}">${initials}</span>`;
}

function connectorState(c: Pick<CatalogConnector, 'maintenance' | 'restricted' | 'state'>): Html {
  return c.maintenance
    ? badge('warn', 'En maintenance')
    : c.restricted
      ? badge('error', c.state)
      : badge('ok', c.state);
}

const LIMIT = 30;

export function miscPages(router: Router) {
  const portal = requirePortal();

  router.get('/notifications', portal, async (req, res) => {
    const ctx = portalContext(res);
    const unread = req.query.nonlues === 'true';
    const offset = Math.max(0, Number(req.query.offset) || 0);
    const list = await ctx.api.get<Page<Notification>>('/notifications', {
      ...ctx.scope,
      unread: unread ? 'true' : undefined,
      limit: LIMIT,
      offset,
    });
    const body = html`<p class="toolbar">
        ${unread ? html`<a href="/notifications">Toutes les notifications</a>` : html`<a href="/notifications?nonlues=true">Seulement les non lues</a>`}
      </p>
      <p>${plural(list.total, 'notification', 'notifications')}${unread ? ' non lue(s)' : ''}.</p>
      <ul class="notifications">
        ${list.items.map(
          (n) =>
            html`<li class="${n.readAt ? 'read' : 'unread'}">
              <div>
                <strong>${n.title}</strong> ${n.readAt ? '' : badge('warn', 'Non lue')}<br /><small
                  >${when(n.createdAt)}</small
                >
              </div>
              <p>${n.body}</p>
              <div class="row-actions">
                ${n.url ? actionButton(ctx, `/notifications/${n.id}/lue`, 'Voir', { fields: { aller: n.url }, title: `Voir : ${n.title}` }) : ''}
                ${n.readAt ? '' : actionButton(ctx, `/notifications/${n.id}/lue`, 'Marquer comme lue', { title: `Marquer comme lue : ${n.title}` })}
              </div>
            </li>`,
        )}
        ${list.items.length ? '' : html`<li>Aucune notification.</li>`}
      </ul>
      ${pager('/notifications', { nonlues: unread ? 'true' : undefined }, list.total, offset, LIMIT)}`;
    send(res, page(ctx, { title: 'Notifications', section: 'notifications', body }));
  });

  router.post('/notifications/:id/lue', portal, async (req, res) => {
    const ctx = portalContext(res);
    const r = await ctx.api.call('POST', `/notifications/${String(req.params.id)}/read`, {
      csrf: csrfOf(req),
      query: ctx.scope,
    });
    if (r.status === 404) {
      return send(
        res,
        page(ctx, {
          title: 'Page introuvable',
          body: html`<div class="flash error" role="alert"><p>${problemOf(r).detail}</p></div>`,
        }),
        404,
      );
    }
    if (!r.ok) setFlash(res, { kind: 'error', text: problemOf(r).detail });
    const target = str(req.body?.aller);
    res.redirect(303, target ? portalTarget(target) : safeReturn(req.body?.retour, '/notifications'));
  });

  router.get('/banques', portal, async (req, res) => {
    const ctx = portalContext(res);
    await banksPage(res, ctx, { name: '', bic: '', connector: '' }, null, 200, str(req.query.nom));
  });

  router.post('/banques/catalogue', portal, async (req, res) => {
    const ctx = portalContext(res);
    const r = await ctx.api.call<Bank>('POST', '/banks/from-catalog', {
      csrf: csrfOf(req),
      json: { connectorUuid: str(req.body?.connectorUuid) },
    });
    setFlash(
      res,
      r.ok
        ? { kind: 'ok', text: `La banque ${r.body.name} est dans le référentiel.` }
        : { kind: 'error', text: problemOf(r).detail },
    );
    res.redirect(303, safeReturn(req.body?.retour, '/banques'));
  });

  router.post('/banques', portal, async (req, res) => {
    const ctx = portalContext(res);
    const form = { name: str(req.body?.name), bic: str(req.body?.bic), connector: str(req.body?.connector) };
    const connector = form.connector.trim();
    const r = await ctx.api.call('POST', '/banks', {
      csrf: csrfOf(req),
      json: {
        name: form.name,
        ...(form.bic.trim() ? { bic: form.bic } : {}),
        ...(connector ? { powensConnectorId: /^\d+$/.test(connector) ? Number(connector) : connector } : {}),
      },
    });
    if (!r.ok) return banksPage(res, ctx, form, problemOf(r), r.status);
    setFlash(res, { kind: 'ok', text: `La banque ${form.name.trim()} est ajoutée au référentiel.` });
    res.redirect(303, '/banques');
  });
}

/** A notification's link, kept inside the portal (absolute URLs to this site become paths). */
function portalTarget(url: string): string {
  try {
    const u = new URL(url, 'http://portail.invalid');
    return safeReturn(u.pathname + u.search, '/notifications');
  } catch {
    return '/notifications';
  }
}

async function banksPage(
  res: Response,
  ctx: PortalContext,
  form: { name: string; bic: string; connector: string },
  problem: Problem | null,
  status = 200,
  search = '',
) {
  const [banks, catalogue] = await Promise.all([
    ctx.api.get<{ items: Bank[] }>('/banks'),
    ctx.api.get<{ items: CatalogConnector[]; total: number }>('/bank-catalog', {
      name: search.trim() || undefined,
      limit: 50,
    }),
  ]);
  const inReferential = new Set(banks.items.flatMap((b) => (b.powensConnectorUuid ? [b.powensConnectorUuid] : [])));
  const e = fieldErrors(problem);
  const body = html`<p>
      Le référentiel des banques est le préalable à toute connexion : ajoutez-y les banques de vos redevables. Une
      banque choisie ici ou sur la fiche d’un redevable ouvre directement sa page de connexion chez Powens.
    </p>
    <h2 id="referentiel">Votre référentiel</h2>
    <div class="table-wrap" role="region" aria-labelledby="referentiel" tabindex="0">
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Banque</th>
            <th scope="col">BIC</th>
            <th scope="col">État chez Powens</th>
          </tr>
        </thead>
        <tbody>
          ${banks.items.map(
            (b) =>
              html`<tr>
                <td>${b.connector ? bankMark(b.connector) : ''} ${b.name}</td>
                <td>${b.bic ?? ''}</td>
                <td>${b.connector ? connectorState(b.connector) : html`<small>Hors catalogue Powens</small>`}</td>
              </tr>`,
          )}
          ${
            banks.items.length
              ? ''
              : html`<tr>
                  <td colspan="3">Aucune banque dans le référentiel.</td>
                </tr>`
          }
        </tbody>
      </table>
    </div>
    <h2 id="catalogue">Catalogue des banques Powens</h2>
    <form method="get" action="/banques" class="filters" role="search" aria-label="Rechercher une banque du catalogue">
      <div class="grid">
        ${field({ name: 'nom', label: 'Nom de la banque', value: search, attrs: 'autocomplete="off"' })}
      </div>
      <p><button type="submit" class="primary">Rechercher</button></p>
    </form>
    <p>
      ${plural(catalogue.total, 'banque trouvée', 'banques trouvées')}${catalogue.items[0] ? html`, catalogue mis à jour le ${when(catalogue.items[0].syncedAt)}` : ''}.
    </p>
    <div class="table-wrap" role="region" aria-labelledby="catalogue" tabindex="0">
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Banque</th>
            <th scope="col">Données</th>
            <th scope="col">État</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          ${catalogue.items.map(
            (c) =>
              html`<tr>
                <td>${bankMark(c)} ${c.name}</td>
                <td>${c.capabilities.map((k) => CAPABILITIES[k] ?? k).join(', ')}</td>
                <td>${connectorState(c)}${c.maintenance ? html`<small class="reason">${c.state}</small>` : ''}</td>
                <td class="row-actions">
                  ${
                    inReferential.has(c.uuid)
                      ? html`<small>Dans le référentiel</small>`
                      : ctx.can('CONFIGURE_BANKS')
                        ? actionButton(ctx, '/banques/catalogue', 'Ajouter au référentiel', {
                            fields: { connectorUuid: c.uuid },
                            title: `Ajouter ${c.name} au référentiel`,
                            retour: `/banques${qs({ nom: search || undefined })}`,
                          })
                        : ''
                  }
                </td>
              </tr>`,
          )}
          ${
            catalogue.items.length
              ? ''
              : html`<tr>
                  <td colspan="4">
                    Aucune banque de ce nom. Le catalogue vient de Powens ; s’il est vide, il sera rempli à la prochaine
                    mise à jour quotidienne.
                  </td>
                </tr>`
          }
        </tbody>
      </table>
    </div>
    ${
      ctx.can('CONFIGURE_BANKS')
        ? html`<h2>Ajouter une banque au référentiel</h2>
            ${errorSummary(problem, { name: 'Banque', bic: 'BIC', powensConnectorId: 'Connecteur Powens' })}
            <form method="post" action="/banques" class="stack">
              <input type="hidden" name="_csrf" value="${ctx.csrf}" />
              <div class="grid">
                ${field({ name: 'name', label: 'Nom de la banque', value: form.name, error: e.get('name'), required: true, attrs: 'maxlength="100"' })}
                ${field({ name: 'bic', label: 'BIC', value: form.bic, error: e.get('bic'), attrs: 'maxlength="11"' })}
                ${field({ name: 'connector', label: 'Identifiant du connecteur Powens', value: form.connector, error: e.get('powensConnectorId'), attrs: 'inputmode="numeric"' })}
              </div>
              <p><button type="submit" class="primary">Ajouter</button></p>
            </form>`
        : raw('')
    }`;
  send(res, page(ctx, { title: 'Référentiel des banques', section: 'banques', body }), status);
}
