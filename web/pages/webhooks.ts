/**
 * Webhooks (issue 19): the firm's endpoints, the secret shown once (creation, rotation), each
 * delivery with its attempts (status, latency, response code) and "Renvoyer" for one delivery.
 * Everything goes through /api/v1/webhook-endpoints (ADMIN).
 */
import type { Router } from 'express';
import { EVENT_LABELS, EVENT_TYPES, type EventType } from '../../domain/webhook-events';
import { problemOf, type Problem } from '../api-client';
import { portalContext, requirePortal, setFlash, type PortalContext } from '../context';
import { frDateTime } from '../format';
import { html, type Html } from '../html';
import { actionButton, badge, errorSummary, field, fieldErrors, page, send } from '../layout';
import { csrfOf, str, when } from './shared';

interface Endpoint {
  id: string;
  url: string;
  description: string;
  events: EventType[];
  enabled: boolean;
  disabledAt: string | null;
  disabledReason: string | null;
  failingSince: string | null;
  lastSuccessAt: string | null;
  previousSecretExpiresAt: string | null;
  createdAt: string;
}

interface Delivery {
  id: string;
  eventId: string;
  type: EventType;
  occurredAt: string;
  status: 'pending' | 'sending' | 'succeeded' | 'failed';
  attemptCount: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  attempts: Array<{
    at: string;
    succeeded: boolean;
    statusCode: number | null;
    latencyMs: number;
    error: string | null;
    manual: boolean;
  }>;
}

const STATUS: Record<Delivery['status'], [Parameters<typeof badge>[0], string]> = {
  pending: ['warn', 'En attente'],
  sending: ['warn', 'En cours'],
  succeeded: ['ok', 'Livré'],
  failed: ['error', 'Échec'],
};

const LABELS = { url: 'Adresse (URL)', description: 'Description', events: 'Événements' };

function eventChoices(selected: string[], error?: string): Html {
  return html`<fieldset class="${error ? 'invalid' : ''}">
    <legend>Événements</legend>
    ${error ? html`<p class="error" id="f-events-erreur">${error}</p>` : ''}
    ${EVENT_TYPES.map(
      (t) =>
        html`<div class="check">
          <input
            type="checkbox"
            id="f-event-${t}"
            name="events"
            value="${t}"
            ${selected.includes(t) ? 'checked' : ''}
          />
          <label for="f-event-${t}"><code>${t}</code> : ${EVENT_LABELS[t]}</label>
        </div>`,
    )}
  </fieldset>`;
}

function endpointForm(
  ctx: PortalContext,
  f: { url: string; description: string; events: string[] },
  problem: Problem | null,
) {
  const e = fieldErrors(problem);
  return html`${errorSummary(problem, LABELS)}
    <form method="post" action="/webhooks" class="stack">
      <input type="hidden" name="_csrf" value="${ctx.csrf}" />
      ${field({ name: 'url', label: 'Adresse (URL)', value: f.url, error: e.get('url'), required: true, hint: 'https://… : les événements y sont envoyés en POST, signés selon Standard Webhooks.' })}
      ${field({ name: 'description', label: 'Description', value: f.description, error: e.get('description') })}
      ${eventChoices(f.events, e.get('events') ?? [...e.entries()].find(([k]) => k.startsWith('events.'))?.[1])}
      <p class="actions"><button type="submit" class="primary">Enregistrer le webhook</button></p>
    </form>`;
}

/** The secret, once: after creation or rotation. */
function secretNotice(secret: string, rotated: boolean): Html {
  return html`<div class="flash ok" role="status">
    <p>${rotated ? 'Nouveau secret' : 'Secret du webhook'} : <code class="secret">${secret}</code></p>
    <p>
      Copiez-le maintenant : il ne sera plus jamais affiché. Il sert à vérifier la signature (en-tête
      <code>webhook-signature</code>) de chaque
      envoi.${rotated ? ' L’ancien secret signe encore les envois pendant 24 heures.' : ''}
    </p>
  </div>`;
}

function endpointState(e: Endpoint): Html {
  if (!e.enabled)
    return html`${badge('error', 'Désactivé', e.disabledAt)}${e.disabledReason ? html`<small class="reason">${e.disabledReason}</small>` : ''}`;
  if (e.failingSince) return badge('warn', 'En échec depuis', e.failingSince);
  return badge('ok', 'Actif');
}

export function webhookPages(router: Router) {
  const portal = requirePortal();

  const listPage = async (
    ctx: PortalContext,
    form: { url: string; description: string; events: string[] },
    problem: Problem | null,
  ) => {
    const { items } = await ctx.api.get<{ items: Endpoint[] }>('/webhook-endpoints');
    return html`<p>
        Recevez un appel HTTPS signé à chaque relevé émis ou en échec et à chaque changement d’état d’une connexion
        bancaire, au lieu d’interroger l’API.
      </p>
      <div class="table-wrap" role="region" aria-label="Webhooks" tabindex="0">
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Adresse</th>
              <th scope="col">Description</th>
              <th scope="col">Événements</th>
              <th scope="col">État</th>
              <th scope="col">Dernier succès</th>
              <th scope="col">Détails</th>
            </tr>
          </thead>
          <tbody>
            ${items.map(
              (e) =>
                html`<tr>
                  <td><code>${e.url}</code></td>
                  <td>${e.description}</td>
                  <td>${e.events.join(', ')}</td>
                  <td>${endpointState(e)}</td>
                  <td>${when(e.lastSuccessAt)}</td>
                  <td><a href="/webhooks/${e.id}">Livraisons</a></td>
                </tr>`,
            )}
            ${
              items.length
                ? ''
                : html`<tr>
                    <td colspan="6">Aucun webhook enregistré.</td>
                  </tr>`
            }
          </tbody>
        </table>
      </div>
      <h2>Nouveau webhook</h2>
      ${endpointForm(ctx, form, problem)}`;
  };

  router.get('/webhooks', portal, async (_req, res) => {
    const ctx = portalContext(res);
    const body = await listPage(ctx, { url: '', description: '', events: ['statement.issued'] }, null);
    send(res, page(ctx, { title: 'Webhooks', section: 'webhooks', body, wide: true }));
  });

  router.post('/webhooks', portal, async (req, res) => {
    const ctx = portalContext(res);
    const picked: unknown = req.body?.events;
    const form = {
      url: str(req.body?.url),
      description: str(req.body?.description),
      events: (Array.isArray(picked) ? picked : picked ? [picked] : []).map(String),
    };
    const r = await ctx.api.call<Endpoint & { secret: string }>('POST', '/webhook-endpoints', {
      csrf: csrfOf(req),
      json: { url: form.url, description: form.description, events: form.events },
    });
    if (!r.ok) {
      const body = await listPage(ctx, form, problemOf(r));
      return send(res, page(ctx, { title: 'Webhooks', section: 'webhooks', body, wide: true }), r.status);
    }
    const body = html`${secretNotice(r.body.secret, false)}
      <p>
        <a class="button primary" href="/webhooks/${r.body.id}">Voir le webhook</a>
        <a href="/webhooks">Retour à la liste</a>
      </p>`;
    send(res, page(ctx, { title: 'Webhook enregistré', section: 'webhooks', body }), 201);
  });

  router.get('/webhooks/:id', portal, async (req, res) => {
    const ctx = portalContext(res);
    const id = String(req.params.id);
    const e = await ctx.api.get<Endpoint>(`/webhook-endpoints/${id}`);
    const offset = Math.max(0, Number(req.query.offset) || 0);
    const deliveries = await ctx.api.get<{ items: Delivery[]; total: number }>(`/webhook-endpoints/${id}/deliveries`, {
      limit: 50,
      offset,
    });
    const body = html`<dl class="pairs two">
        <dt>Adresse</dt>
        <dd><code>${e.url}</code></dd>
        <dt>Description</dt>
        <dd>${e.description || '—'}</dd>
        <dt>Événements</dt>
        <dd>${e.events.map((t) => `${t} (${EVENT_LABELS[t]})`).join(', ')}</dd>
        <dt>État</dt>
        <dd>${endpointState(e)}</dd>
        <dt>Créé le</dt>
        <dd>${when(e.createdAt)}</dd>
        ${
          e.previousSecretExpiresAt
            ? html`<dt>Ancien secret</dt>
                <dd>signe encore jusqu’au ${frDateTime(e.previousSecretExpiresAt)}</dd>`
            : ''
        }
      </dl>
      <p class="toolbar">
        ${actionButton(ctx, `/webhooks/${id}/secret`, 'Nouveau secret', {
          cls: '',
          confirm: 'Générer un nouveau secret ? L’ancien signera encore les envois pendant 24 heures.',
        })}
        ${
          e.enabled
            ? actionButton(ctx, `/webhooks/${id}/desactiver`, 'Désactiver', { cls: '' })
            : actionButton(ctx, `/webhooks/${id}/activer`, 'Réactiver', { cls: 'primary' })
        }
        ${actionButton(ctx, `/webhooks/${id}/supprimer`, 'Supprimer', {
          cls: 'danger',
          confirm: 'Supprimer ce webhook et l’historique de ses livraisons ?',
        })}
      </p>
      <h2 id="livraisons">Livraisons <small>${deliveries.total}</small></h2>
      <div class="table-wrap" role="region" aria-labelledby="livraisons" tabindex="0">
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Événement</th>
              <th scope="col">Survenu le</th>
              <th scope="col">État</th>
              <th scope="col">Tentatives (code, durée)</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            ${deliveries.items.map((d) => {
              const [kind, text] = STATUS[d.status];
              return html`<tr>
                <td><code>${d.type}</code><br /><small>${d.eventId}</small></td>
                <td>${when(d.occurredAt)}</td>
                <td>
                  ${badge(kind, text)}${d.nextAttemptAt ? html`<small class="reason">prochaine tentative ${frDateTime(d.nextAttemptAt)}</small>` : ''}
                </td>
                <td>
                  <ol class="attempts">
                    ${d.attempts.map(
                      (a) =>
                        html`<li>
                          ${frDateTime(a.at, true)} :
                          ${a.succeeded ? 'succès' : 'échec'}${a.statusCode ? ` (HTTP ${a.statusCode})` : ''},
                          ${a.latencyMs}
                          ms${a.error && !a.succeeded ? html` <small>${a.error}</small>` : ''}${a.manual ? ' (renvoi)' : ''}
                        </li>`,
                    )}
                  </ol>
                </td>
                <td>
                  ${e.enabled ? actionButton(ctx, `/webhooks/livraisons/${d.id}/renvoyer`, 'Renvoyer', { retour: `/webhooks/${id}` }) : ''}
                </td>
              </tr>`;
            })}
            ${
              deliveries.items.length
                ? ''
                : html`<tr>
                    <td colspan="5">Aucune livraison pour l’instant.</td>
                  </tr>`
            }
          </tbody>
        </table>
      </div>`;
    send(
      res,
      page(ctx, {
        title: 'Webhook',
        heading: html`Webhook <span class="muted">${e.url}</span>`,
        section: 'webhooks',
        body,
        wide: true,
      }),
    );
  });

  router.post('/webhooks/:id/secret', portal, async (req, res) => {
    const ctx = portalContext(res);
    const id = String(req.params.id);
    const r = await ctx.api.call<Endpoint & { secret: string }>('POST', `/webhook-endpoints/${id}/rotate-secret`, {
      csrf: csrfOf(req),
    });
    if (!r.ok) {
      setFlash(res, { kind: 'error', text: problemOf(r).detail });
      return res.redirect(303, `/webhooks/${id}`);
    }
    const body = html`${secretNotice(r.body.secret, true)}
      <p><a class="button primary" href="/webhooks/${id}">Retour au webhook</a></p>`;
    send(res, page(ctx, { title: 'Nouveau secret', section: 'webhooks', body }));
  });

  for (const [path, enabled, done] of [
    ['activer', true, 'Webhook réactivé : il reçoit de nouveau les événements.'],
    ['desactiver', false, 'Webhook désactivé.'],
  ] as const) {
    router.post(`/webhooks/:id/${path}`, portal, async (req, res) => {
      const ctx = portalContext(res);
      const id = String(req.params.id);
      const r = await ctx.api.call('PATCH', `/webhook-endpoints/${id}`, { csrf: csrfOf(req), json: { enabled } });
      setFlash(res, r.ok ? { kind: 'ok', text: done } : { kind: 'error', text: problemOf(r).detail });
      res.redirect(303, `/webhooks/${id}`);
    });
  }

  router.post('/webhooks/:id/supprimer', portal, async (req, res) => {
    const ctx = portalContext(res);
    const r = await ctx.api.call('DELETE', `/webhook-endpoints/${String(req.params.id)}`, { csrf: csrfOf(req) });
    setFlash(res, r.ok ? { kind: 'ok', text: 'Webhook supprimé.' } : { kind: 'error', text: problemOf(r).detail });
    res.redirect(303, '/webhooks');
  });

  router.post('/webhooks/livraisons/:id/renvoyer', portal, async (req, res) => {
    const ctx = portalContext(res);
    const r = await ctx.api.call<Delivery>('POST', `/webhook-deliveries/${String(req.params.id)}/resend`, {
      csrf: csrfOf(req),
    });
    setFlash(
      res,
      r.ok
        ? { kind: 'ok', text: `Renvoi de ${r.body.type} demandé : il part dans quelques secondes.` }
        : { kind: 'error', text: problemOf(r).detail },
    );
    const back = str(req.body?.retour);
    res.redirect(303, back.startsWith('/webhooks/') ? back : '/webhooks');
  });
}
