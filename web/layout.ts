/** The page shell (header, navigation, notifications bell, flash message) and shared pieces. */
import type { Response } from 'express';
import type { Problem } from './api-client';
import type { PortalContext } from './context';
import { frCount, frDateTime } from './format';
import { html, qs, raw, type Html } from './html';

export type Section =
  'redevables' | 'comptes' | 'reception' | 'banques' | 'webhooks' | 'souscription' | 'notifications' | 'secondaires';

const NAV: Array<[Section, string, string]> = [
  ['redevables', '/redevables', 'Redevables'],
  ['comptes', '/comptes', 'Comptes bancaires'],
  ['reception', '/reception', 'Réception'],
  ['banques', '/banques', 'Banques'],
  ['webhooks', '/webhooks', 'Webhooks'],
  ['souscription', '/souscription', 'Paramètres'],
];
/** Only a primary account's administrators manage secondary accounts. */
const SECONDARIES: [Section, string, string] = ['secondaires', '/comptes-secondaires', 'Comptes secondaires'];

function head(title: string): Html {
  // The document's opening half (closed by the caller after <body>): kept out of Prettier's
  // embedded-HTML formatting, which would close <html> here.
  // prettier-ignore
  return html`<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>${title} · Relevés de comptes</title>
<link rel="stylesheet" href="/static/portal.css" />
<script src="/static/portal.js" defer></script>
</head>`;
}

export function page(
  ctx: PortalContext | null,
  opts: { title: string; section?: Section; body: Html; heading?: Html | string; wide?: boolean },
): Html {
  const nav = ctx
    ? html`<nav class="menu" aria-label="Menu principal">
          <ul>
            ${[...NAV, ...(ctx.me.portalAccount.kind === 'PRIMARY' && ctx.can('ADMIN') ? [SECONDARIES] : [])].map(
              ([key, href, label]) =>
                html`<li>
                  <a href="${href}" ${opts.section === key ? raw(' aria-current="page"') : ''}>${label}</a>
                </li>`,
            )}
          </ul>
        </nav>
        <div class="who">
          <a
            class="bell"
            href="/notifications"
            aria-label="${`Notifications : ${ctx.unread} non lue${ctx.unread > 1 ? 's' : ''}`}"
            ${opts.section === 'notifications' ? raw(' aria-current="page"') : ''}
            ><svg aria-hidden="true" focusable="false" width="22" height="22" viewBox="0 0 24 24">
              <path
                fill="currentColor"
                d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
              /></svg
            >${ctx.unread ? html`<span class="count" aria-hidden="true">${ctx.unread}</span>` : ''}</a
          >
          <span class="account">${ctx.me.actor.name}<small>${ctx.me.portalAccount.name}</small></span>
          <form method="post" action="/deconnexion">
            <input type="hidden" name="_csrf" value="${ctx.csrf}" /><button class="link">Déconnexion</button>
          </form>
        </div>`
    : '';
  const flash = ctx?.flash
    ? html`<div class="flash ${ctx.flash.kind}" role="${ctx.flash.kind === 'error' ? 'alert' : 'status'}">
        ${ctx.flash.text}
      </div>`
    : '';
  return html`${head(opts.title)}
<body>
<a class="skip" href="#contenu">Aller au contenu</a>
<header class="top"><a class="brand" href="${ctx ? '/redevables' : '/'}">Relevés <span>de comptes</span></a>${nav}</header>
<main id="contenu" tabindex="-1"${opts.wide ? raw(' class="wide"') : ''}>
<h1>${opts.heading ?? opts.title}</h1>
${flash}
${opts.body}
</main>
<footer class="foot"><p>Relevés de comptes CFONB120 · Collecte par Powens, établissement de paiement agréé par l’ACPR · <a href="/cgau">Conditions générales</a></p></footer>
</body>
</html>`;
}

/** A standalone page without the portal menu (login, the company's link pages). */
export function plainPage(opts: { title: string; body: Html; heading?: string }): Html {
  return html`${head(opts.title)}
<body class="plain">
<main id="contenu" class="narrow" tabindex="-1">
<p class="brand">Relevés <span>de comptes</span></p>
<h1>${opts.heading ?? opts.title}</h1>
${opts.body}
</main>
</body>
</html>`;
}

export function send(res: Response, body: Html, status = 200): void {
  res.status(status).type('html').send(body.value);
}

/** Field errors of an API problem, by field name. */
export function fieldErrors(problem: Problem | null): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of problem?.errors ?? []) if (!m.has(e.field)) m.set(e.field, e.reason);
  return m;
}

export function errorSummary(problem: Problem | null, labels: Record<string, string> = {}): Html {
  if (!problem) return html``;
  const errors = problem.errors ?? [];
  return html`<div class="flash error" role="alert" tabindex="-1" id="erreurs">
    <p>${problem.detail}</p>
    ${
      errors.length
        ? html`<ul>
            ${errors.map((e) => html`<li>${labels[e.field] ?? e.field} : ${e.reason}</li>`)}
          </ul>`
        : ''
    }
  </div>`;
}

/** A labelled input with its error (aria-invalid, aria-describedby). */
export function field(opts: {
  name: string;
  label: string;
  value?: string | null;
  error?: string;
  type?: string;
  required?: boolean;
  hint?: string;
  attrs?: string;
}): Html {
  const id = `f-${opts.name.replace(/[^a-z0-9]/gi, '-')}`;
  const described = [opts.hint ? `${id}-aide` : '', opts.error ? `${id}-erreur` : ''].filter(Boolean).join(' ');
  return html`<div class="field${opts.error ? ' invalid' : ''}">
    <label for="${id}"
      >${opts.label}${opts.required ? html` <abbr title="obligatoire" aria-hidden="true">*</abbr>` : ''}</label
    >
    <input
      id="${id}"
      name="${opts.name}"
      type="${opts.type ?? 'text'}"
      value="${opts.value ?? ''}"
      ${opts.required ? raw(' required') : ''}${opts.error ? raw(' aria-invalid="true"') : ''}${described ? html` aria-describedby="${described}"` : ''}${opts.attrs ? raw(` ${opts.attrs}`) : ''}
    />
    ${opts.hint ? html`<small id="${id}-aide">${opts.hint}</small>` : ''}
    ${opts.error ? html`<small class="error" id="${id}-erreur">${opts.error}</small>` : ''}
  </div>`;
}

export function select(opts: {
  name: string;
  label: string;
  options: Array<[string, string]>;
  value?: string | null;
  error?: string;
  required?: boolean;
  hint?: string;
  cls?: string;
}): Html {
  const id = `f-${opts.name.replace(/[^a-z0-9]/gi, '-')}`;
  const described = [opts.hint ? `${id}-aide` : '', opts.error ? `${id}-erreur` : ''].filter(Boolean).join(' ');
  return html`<div class="field${opts.error ? ' invalid' : ''}${opts.cls ? ` ${opts.cls}` : ''}">
    <label for="${id}"
      >${opts.label}${opts.required ? html` <abbr title="obligatoire" aria-hidden="true">*</abbr>` : ''}</label
    >
    <select
      id="${id}"
      name="${opts.name}"
      ${opts.error ? raw(' aria-invalid="true"') : ''}${described ? html` aria-describedby="${described}"` : ''}
    >
      ${opts.options.map(([v, l]) => html`<option value="${v}" ${v === (opts.value ?? '') ? raw(' selected') : ''}>${l}</option>`)}
    </select>
    ${opts.hint ? html`<small id="${id}-aide">${opts.hint}</small>` : ''}
    ${opts.error ? html`<small class="error" id="${id}-erreur">${opts.error}</small>` : ''}
  </div>`;
}

export function checkbox(name: string, label: string, checked: boolean, value = 'true'): Html {
  const id = `f-${name}`;
  return html`<div class="check">
    <input type="checkbox" id="${id}" name="${name}" value="${value}" ${checked ? raw(' checked') : ''} /><label
      for="${id}"
      >${label}</label
    >
  </div>`;
}

/** A POST button (own small form) carrying the CSRF token and the return address. */
export function actionButton(
  ctx: PortalContext,
  action: string,
  label: string,
  opts: { confirm?: string; cls?: string; title?: string; fields?: Record<string, string>; retour?: string } = {},
): Html {
  return html`<form
    method="post"
    action="${action}"
    class="inline"
    ${opts.confirm ? html` data-confirm="${opts.confirm}"` : ''}
  >
    <input type="hidden" name="_csrf" value="${ctx.csrf}" /><input
      type="hidden"
      name="retour"
      value="${opts.retour ?? ctx.here}"
    />
    ${Object.entries(opts.fields ?? {}).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}" />`)}
    <button
      type="submit"
      class="${opts.cls ?? 'small'}"
      ${opts.title ? html` title="${opts.title}" aria-label="${opts.title}"` : ''}
    >
      ${label}
    </button>
  </form>`;
}

/** "◀ Précédent · 51-100 sur 230 · Suivant ▶" */
export function pager(
  base: string,
  params: Record<string, string | undefined>,
  total: number,
  offset: number,
  limit: number,
  /** The API stopped counting at `total` (there are at least that many). */
  totalCapped = false,
): Html {
  if (total <= limit) return html``;
  const link = (o: number, label: string, rel: string) =>
    html`<a href="${base}${qs({ ...params, offset: o || undefined })}" rel="${rel}">${label}</a>`;
  return html`<nav class="pager" aria-label="Pages de résultats">
    ${offset > 0 ? link(Math.max(0, offset - limit), '« Précédent', 'prev') : ''}
    <span
      >${frCount(offset + 1)}–${frCount(Math.min(total, offset + limit))} sur
      ${totalCapped ? 'plus de ' : ''}${frCount(total)}</span
    >
    ${offset + limit < total ? link(offset + limit, 'Suivant »', 'next') : ''}
  </nav>`;
}

/** State badge with an icon and a text (never colour alone). */
export function badge(kind: 'ok' | 'error' | 'warn' | 'neutral', text: string, when?: string | null): Html {
  const icon = { ok: '✓', error: '⚠', warn: '●', neutral: '○' }[kind];
  return html`<span class="badge ${kind}"><span aria-hidden="true">${icon}</span> ${text}</span>${
      when ? html`<time class="when" datetime="${when}">${frDateTime(when)}</time>` : ''
    }`;
}

export function linkStateBadge(state: 'valid' | 'used' | 'expired', when?: string | null): Html {
  if (state === 'valid') return badge('ok', 'Jeton valide', when);
  if (state === 'used') return badge('neutral', 'Jeton utilisé', when);
  return badge('error', 'Jeton expiré', when);
}

export function errorPage(ctx: PortalContext | null, problem: Problem): Html {
  const title =
    problem.status === 404
      ? 'Page introuvable'
      : problem.status === 403
        ? 'Accès refusé'
        : problem.status === 429
          ? 'Trop de demandes'
          : 'Une erreur est survenue';
  const body = html`<div class="flash error" role="alert"><p>${problem.detail}</p></div>
    <p><a href="/redevables">Retour à la liste des redevables</a></p>`;
  return ctx ? page(ctx, { title, body }) : plainPage({ title, body });
}
