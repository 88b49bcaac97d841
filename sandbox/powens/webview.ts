/**
 * The sandbox's webview (French, server-rendered, no script, no external resource), at
 * /webview/{lang?}/{connect|reconnect|manage}?domain&client_id&redirect_uri&code&state&…:
 *
 *  connect:   bank list → terms → credentials (→ one-time code / validation in the app / redirect
 *             to the bank, depending on the bank) → account choice → company contact details for
 *             professional accounts → redirect_uri?connection_id=…&state=… (+ code for an
 *             anonymous user);
 *  reconnect: what the connection's state needs (new credentials with reset_credentials or
 *             wrongpass, one-time code, app validation, bank redirect, action on the bank site)
 *             → redirect_uri?state=…;
 *  manage:    the user's connections and accounts (enable, disable, delete) → redirect_uri?state=…
 *
 * Cancelling redirects with error=access_denied, declining the terms with error=tos_declined, an
 * expired code with error=session_expired. The step logic (`begin`/`submit`) is shared with
 * `POST /__sandbox/webview/complete`, which plays a whole flow without a browser.
 */
import express, { type Request, type Response, type Router } from 'express';
import {
  ACCOUNT_TEMPLATES,
  CONNECTORS,
  SANDBOX_OTP,
  SANDBOX_WRONG_PASSWORD,
  connectorById,
  connectorByName,
  type AccountKind,
  type Connector,
} from './catalog';
import type { SandboxContext } from './context';
import type { Engine } from './engine';
import { inTransaction } from './pg';
import { secretFor } from './random';
import type { AccountRow, ConnectionRow } from './rows';
import { SCHEMA } from './schema';

export type Flow = 'connect' | 'reconnect' | 'manage';
export type Step =
  | 'banks'
  | 'terms'
  | 'credentials'
  | 'otp'
  | 'decoupled'
  | 'webauth'
  | 'accounts'
  | 'contact'
  | 'action'
  | 'confirm'
  | 'manage';

export interface WebviewParams {
  flow: Flow;
  lang: string | null;
  client_id: string | null;
  redirect_uri: string | null;
  state: string | null;
  code: string | null;
  connector_ids: number[];
  connector_uuids: string[];
  account_types: string[];
  account_usages: string[];
  account_ibans: string[];
  connection_id: number | null;
  reset_credentials: boolean;
}

interface SessionData {
  step: Step;
  userId?: number;
  anonymous?: boolean;
  connectorId?: number;
  website?: string;
  login?: string;
  connectionId?: number;
  deleted?: number[];
  notice?: string;
}

interface Session {
  id: string;
  flow: Flow;
  params: WebviewParams;
  data: SessionData;
  finished: Date | null;
}

export type StepResult =
  | { kind: 'page'; session: Session; error?: string }
  | { kind: 'redirect'; url: string }
  | { kind: 'fatal'; message: string };

type Form = Record<string, string | string[] | undefined>;

const FLOWS: Flow[] = ['connect', 'reconnect', 'manage'];
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
const many = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const list = (v: string | null) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function parseWebviewUrl(raw: string): WebviewParams | null {
  let url: URL;
  try {
    url = new URL(raw, 'http://sandbox.invalid');
  } catch {
    return null;
  }
  const m = /(?:\/webview|\/auth\/webview)(?:\/([a-z]{2}))?\/(connect|reconnect|manage)\/?$/.exec(url.pathname);
  if (!m) return null;
  return paramsFrom(m[2] as Flow, m[1] ?? null, url.searchParams);
}

function paramsFrom(flow: Flow, lang: string | null, q: URLSearchParams): WebviewParams {
  return {
    flow,
    lang,
    client_id: q.get('client_id'),
    redirect_uri: q.get('redirect_uri'),
    state: q.get('state'),
    code: q.get('code'),
    connector_ids: list(q.get('connector_ids')).map(Number).filter(Number.isInteger),
    connector_uuids: list(q.get('connector_uuids')).map((u) => u.toLowerCase()),
    account_types: list(q.get('account_types')),
    account_usages: list(q.get('account_usages')),
    account_ibans: list(q.get('account_ibans')).map((s) => s.replace(/\s+/g, '').toUpperCase()),
    connection_id: q.get('connection_id') ? Number(q.get('connection_id')) : null,
    reset_credentials: q.get('reset_credentials') === 'true' || q.get('reset_credentials') === '1',
  };
}

/** The banks a connect webview offers: those of connector_uuids and connector_ids (all without either). */
function offeredBanks(p: WebviewParams): Connector[] {
  const uuids = p.connector_uuids ?? [];
  if (uuids.length === 0 && p.connector_ids.length === 0) return CONNECTORS;
  return CONNECTORS.filter((c) => uuids.includes(c.uuid) || p.connector_ids.includes(c.id));
}

export function createWebview(ctx: SandboxContext, engine: Engine) {
  const S = SCHEMA;

  function callback(p: WebviewParams, query: Record<string, string | null | undefined>): string {
    const u = new URL(p.redirect_uri!);
    for (const [k, v] of Object.entries(query)) if (v !== null && v !== undefined) u.searchParams.set(k, v);
    if (p.state !== null) u.searchParams.set('state', p.state);
    return u.toString();
  }
  const fail = (p: WebviewParams, error: string, description: string): StepResult =>
    p.redirect_uri
      ? { kind: 'redirect', url: callback(p, { error, error_description: description }) }
      : { kind: 'fatal', message: description };

  async function save(s: Session, finished = false) {
    await ctx.pool.query(`UPDATE ${S}.webview_sessions SET data = $2, finished = $3 WHERE id = $1`, [
      s.id,
      JSON.stringify(s.data),
      finished ? new Date() : null,
    ]);
  }
  async function load(id: string): Promise<Session | null> {
    const r = await ctx.pool.query(`SELECT id, flow, params, data, finished FROM ${S}.webview_sessions WHERE id = $1`, [
      id,
    ]);
    return (r.rows[0] as Session | undefined) ?? null;
  }

  /** Opens a flow from its URL parameters: the first page, or a redirect/error at once. */
  async function begin(p: WebviewParams): Promise<StepResult> {
    if (p.client_id !== ctx.opts.clientId)
      return { kind: 'fatal', message: 'Application inconnue : le paramètre client_id est invalide.' };
    if (p.redirect_uri !== null) {
      let u: URL | null = null;
      try {
        u = new URL(p.redirect_uri);
      } catch {
        u = null;
      }
      if (!u || !/^https?:$/.test(u.protocol) || u.search !== '')
        return {
          kind: 'fatal',
          message: 'Adresse de retour (redirect_uri) invalide : elle doit être absolue et sans paramètres.',
        };
    } else if (p.flow !== 'manage') return { kind: 'fatal', message: 'Adresse de retour (redirect_uri) manquante.' };

    let userId: number | undefined;
    if (p.code) {
      const u = await engine.useCode(ctx.pool, p.code);
      if (u === null) return fail(p, 'session_expired', 'Code temporaire inconnu.');
      if (u === 'expired') return fail(p, 'session_expired', 'Le code temporaire a expiré ou a déjà été utilisé.');
      userId = u;
    } else if (p.flow !== 'connect') return { kind: 'fatal', message: 'Paramètre code manquant.' };

    const data: SessionData = { step: 'banks', userId, anonymous: userId === undefined };
    if (p.flow === 'connect') {
      const allowed = offeredBanks(p);
      if (allowed.length === 0)
        return fail(p, 'server_error', 'Aucune banque ne correspond à connector_uuids / connector_ids.');
      if (allowed.length === 1) {
        data.connectorId = allowed[0]!.id;
        data.step = 'terms';
      }
    } else if (p.flow === 'reconnect') {
      const c = p.connection_id ? await engine.getConnection(ctx.pool, p.connection_id) : null;
      if (!c || c.id_user !== userId) return fail(p, 'server_error', 'Connexion bancaire introuvable.');
      data.connectionId = c.id;
      data.connectorId = c.id_connector;
      data.login = c.login ?? undefined;
      data.website = c.website;
      data.step = reconnectStep(c, p.reset_credentials);
    } else {
      if (p.connection_id) {
        const c = await engine.getConnection(ctx.pool, p.connection_id);
        if (!c || c.id_user !== userId) return fail(p, 'server_error', 'Connexion bancaire introuvable.');
      }
      data.step = 'manage';
    }
    const seq = await ctx.pool.query(`SELECT nextval('${S}.secret_ids')::int AS n`);
    const session: Session = {
      id: secretFor(ctx.seed(), `webview:${seq.rows[0].n}`, 24),
      flow: p.flow,
      params: p,
      data,
      finished: null,
    };
    await ctx.pool.query(`INSERT INTO ${S}.webview_sessions (id, flow, params, data) VALUES ($1, $2, $3, $4)`, [
      session.id,
      session.flow,
      JSON.stringify(p),
      JSON.stringify(data),
    ]);
    return { kind: 'page', session };
  }

  function reconnectStep(c: ConnectionRow, reset: boolean): Step {
    if (reset || c.state === 'wrongpass' || c.state === 'passwordExpired')
      return connectorById(c.id_connector)?.authMechanism === 'webauth' ? 'webauth' : 'credentials';
    switch (c.state) {
      case 'additionalInformationNeeded':
      case 'SCARequired':
        return 'otp';
      case 'decoupled':
        return 'decoupled';
      case 'webauthRequired':
        return 'webauth';
      case 'actionNeeded':
        return 'action';
      default:
        return 'confirm';
    }
  }

  /** The accounts the account-choice page offers (account_types, account_usages and account_ibans restrict it). */
  function selectable(p: WebviewParams, accounts: AccountRow[]): AccountRow[] {
    const usages = p.account_usages ?? [];
    return accounts.filter(
      (a) =>
        (p.account_types.length === 0 || p.account_types.includes(a.type)) &&
        (usages.length === 0 || (a.usage !== null && usages.includes(a.usage))) &&
        (p.account_ibans.length === 0 || (a.iban !== null && p.account_ibans.includes(a.iban))),
    );
  }

  /** After the bank authenticated the user: connect creates the connection, reconnect ends. */
  async function authenticated(s: Session): Promise<StepResult> {
    if (s.flow === 'reconnect') return finishReconnect(s);
    const connector = connectorById(s.data.connectorId!)!;
    await inTransaction(ctx.pool, async (db) => {
      if (s.data.userId === undefined) s.data.userId = (await engine.createUser(db, false)).id;
      const { connection } = await engine.createConnection(db, {
        userId: s.data.userId,
        connector,
        website: s.data.website ?? 'par',
        login: s.data.login ?? null,
      });
      s.data.connectionId = connection.id;
    });
    s.data.step = 'accounts';
    await save(s);
    return { kind: 'page', session: s };
  }

  async function finishConnect(s: Session): Promise<StepResult> {
    const c = await engine.syncConnection(s.data.connectionId!, 'initial');
    let code: string | null = null;
    if (s.data.anonymous) code = (await engine.createCode(ctx.pool, c.id_user, 'standard')).code;
    await save(s, true);
    return { kind: 'redirect', url: callback(s.params, { connection_id: String(c.id), code }) };
  }

  async function finishReconnect(s: Session): Promise<StepResult> {
    await engine.syncConnection(s.data.connectionId!, 'reconnect');
    await save(s, true);
    return { kind: 'redirect', url: callback(s.params, {}) };
  }

  const again = async (s: Session, error: string): Promise<StepResult> => ({ kind: 'page', session: s, error });

  /** Handles a submitted page. */
  async function submit(id: string, step: Step, form: Form): Promise<StepResult> {
    const s = await load(id);
    if (!s || s.finished) return { kind: 'fatal', message: 'Cette session a expiré. Veuillez recommencer.' };
    if (one(form.action) === 'cancel') {
      await save(s, true);
      return fail(s.params, 'access_denied', "L'utilisateur a annulé.");
    }
    if (s.data.step !== step) return { kind: 'page', session: s };
    const connector = s.data.connectorId ? connectorById(s.data.connectorId) : undefined;
    const next = async (to: Step): Promise<StepResult> => {
      s.data.step = to;
      s.data.notice = undefined;
      await save(s);
      return { kind: 'page', session: s };
    };
    const afterCredentials = (c: Connector): Promise<StepResult> =>
      s.flow === 'connect' && c.extraStep === 'otp'
        ? next('otp')
        : s.flow === 'connect' && c.extraStep === 'decoupled'
          ? next('decoupled')
          : authenticated(s);

    switch (step) {
      case 'banks': {
        const c = connectorById(Number(one(form.connector)));
        if (!c || !offeredBanks(s.params).includes(c)) return again(s, 'Veuillez choisir votre banque.');
        s.data.connectorId = c.id;
        return next('terms');
      }
      case 'terms': {
        if (one(form.action) === 'decline') {
          await save(s, true);
          return fail(s.params, 'tos_declined', "L'utilisateur a refusé les conditions d'utilisation.");
        }
        if (!one(form.accept)) return again(s, 'Vous devez accepter les conditions pour continuer.');
        return next(connector?.authMechanism === 'webauth' ? 'webauth' : 'credentials');
      }
      case 'credentials': {
        const login = one(form.login)?.trim() || (s.flow === 'reconnect' ? s.data.login : undefined);
        const password = one(form.password);
        if (!login || !password) return again(s, 'Veuillez saisir votre identifiant et votre mot de passe.');
        if (password === SANDBOX_WRONG_PASSWORD) return again(s, 'Identifiant ou mot de passe incorrect.');
        s.data.login = login;
        if (s.flow === 'connect') s.data.website = one(form.website) === 'pro' ? 'pro' : 'par';
        return afterCredentials(connector!);
      }
      case 'otp': {
        if (one(form.otp)?.trim() !== SANDBOX_OTP) return again(s, 'Code incorrect. Veuillez réessayer.');
        return authenticated(s);
      }
      case 'decoupled': {
        if (one(form.action) !== 'validated')
          return again(s, "La validation n'a pas encore été reçue. Validez dans l'application de votre banque.");
        return authenticated(s);
      }
      case 'webauth': {
        if (one(form.action) !== 'authorize') return again(s, "Veuillez autoriser l'accès à vos comptes.");
        if (s.flow === 'connect') s.data.website = one(form.website) === 'pro' ? 'pro' : 'par';
        return authenticated(s);
      }
      case 'action':
      case 'confirm':
        return finishReconnect(s);
      case 'accounts': {
        const accounts = selectable(s.params, await engine.accountsOf(ctx.pool, { connectionId: s.data.connectionId }));
        const chosen = new Set(many(form.accounts).map(Number));
        const picked = accounts.filter((a) => chosen.has(a.id));
        if (picked.length === 0) return again(s, 'Sélectionnez au moins un compte.');
        // The user's choice in the webview is the consent: the accounts are enabled (no webhook, as
        // for accounts enabled through account_types).
        await ctx.pool.query(`UPDATE ${S}.accounts SET disabled = NULL WHERE id = ANY($1::int[])`, [
          picked.map((a) => a.id),
        ]);
        if (s.data.website === 'pro') return next('contact');
        return finishConnect(s);
      }
      case 'contact': {
        const company = one(form.company)?.trim();
        const email = one(form.email)?.trim();
        const siren = one(form.siren)?.replace(/\s+/g, '') ?? '';
        if (!company || !email) return again(s, 'La raison sociale et l’adresse e-mail sont obligatoires.');
        if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) return again(s, 'Adresse e-mail invalide.');
        if (siren && !/^\d{9}$/.test(siren)) return again(s, 'Le SIREN doit comporter 9 chiffres.');
        await engine.setContact(ctx.pool, s.data.connectionId!, {
          company,
          email,
          siren: siren || undefined,
          phone: one(form.phone)?.trim() || undefined,
        });
        return finishConnect(s);
      }
      case 'manage': {
        const action = one(form.action) ?? '';
        if (action.startsWith('delete:')) {
          const c = await engine.getConnection(ctx.pool, Number(action.slice(7)));
          if (c && c.id_user === s.data.userId) {
            await engine.deleteConnection(ctx.pool, c);
            s.data.deleted = [...(s.data.deleted ?? []), c.id];
            s.data.notice = 'La connexion a été supprimée.';
          }
          await save(s);
          return { kind: 'page', session: s };
        }
        if (action === 'save') {
          const chosen = new Set(many(form.accounts).map(Number));
          for (const a of await manageAccounts(s))
            if (chosen.has(a.id) === (a.disabled !== null))
              await engine.updateAccount(a, { disabled: !chosen.has(a.id) });
          s.data.notice = 'Vos choix ont été enregistrés.';
          await save(s);
          return { kind: 'page', session: s };
        }
        await save(s, true);
        if (!s.params.redirect_uri) return { kind: 'fatal', message: 'Vous pouvez fermer cette fenêtre.' };
        const deleted = s.params.connection_id !== null && (s.data.deleted ?? []).includes(s.params.connection_id);
        return {
          kind: 'redirect',
          url: callback(s.params, {
            connection_id: s.params.connection_id === null ? null : String(s.params.connection_id),
            connection_deleted: deleted ? 'true' : null,
          }),
        };
      }
    }
  }

  async function manageConnections(s: Session): Promise<ConnectionRow[]> {
    const all = await engine.listConnections(ctx.pool, s.data.userId!);
    return s.params.connection_id ? all.filter((c) => c.id === s.params.connection_id) : all;
  }
  async function manageAccounts(s: Session): Promise<AccountRow[]> {
    const ids = new Set((await manageConnections(s)).map((c) => c.id));
    return (await engine.accountsOf(ctx.pool, { userId: s.data.userId! })).filter((a) => ids.has(a.id_connection));
  }

  // ---- programmatic completion (POST /__sandbox/webview/complete) ------------------------------
  interface CompleteOptions {
    url: string;
    bank?: string;
    /** Account types (checking, card, savings…), kinds (checking_usd, livret_a…), names or IBANs. */
    accounts?: string[];
    credentials?: { login?: string; password?: string; website?: 'par' | 'pro' };
    contact?: { company?: string; email?: string; siren?: string; phone?: string };
    otp?: string;
    /** Cancel at the first page (error=access_denied). */
    cancel?: boolean;
    /** Decline the terms (error=tos_declined). */
    declineTerms?: boolean;
  }

  const matches = (a: AccountRow, sel: string) => {
    const s = sel.trim().toLowerCase();
    return (
      a.type.toLowerCase() === s ||
      a.kind.toLowerCase() === s ||
      a.name.toLowerCase() === s ||
      a.original_name.toLowerCase() === s ||
      (a.iban ?? '').toLowerCase() === s.replace(/\s+/g, '') ||
      String(a.id) === s
    );
  };

  async function autofill(s: Session, o: CompleteOptions): Promise<Form | { error: string }> {
    const website = o.credentials?.website ?? 'pro';
    switch (s.data.step) {
      case 'banks': {
        const c = connectorByName(o.bank ?? 'Connecteur de test');
        if (!c) return { error: `banque inconnue : ${o.bank}` };
        return { connector: String(c.id) };
      }
      case 'terms':
        return o.declineTerms ? { action: 'decline' } : { accept: 'on' };
      case 'credentials':
        return {
          website,
          login: o.credentials?.login ?? s.data.login ?? 'demo',
          password: o.credentials?.password ?? '1234',
        };
      case 'otp':
        return { otp: o.otp ?? SANDBOX_OTP };
      case 'decoupled':
        return { action: 'validated' };
      case 'webauth':
        return { action: 'authorize', website };
      case 'action':
      case 'confirm':
        return { action: 'continue' };
      case 'accounts': {
        const offered = selectable(s.params, await engine.accountsOf(ctx.pool, { connectionId: s.data.connectionId }));
        const picked = o.accounts ? offered.filter((a) => o.accounts!.some((sel) => matches(a, sel))) : offered;
        if (picked.length === 0) return { error: `aucun compte proposé ne correspond à ${JSON.stringify(o.accounts)}` };
        return { accounts: picked.map((a) => String(a.id)) };
      }
      case 'contact':
        return {
          company: o.contact?.company ?? 'ENTREPRISE TEST',
          email: o.contact?.email ?? 'contact@entreprise-test.fr',
          siren: o.contact?.siren ?? '',
          phone: o.contact?.phone ?? '0102030405',
        };
      case 'manage':
        return { action: 'close' };
    }
  }

  async function complete(o: CompleteOptions): Promise<{ status: number; body: Record<string, unknown> }> {
    const p = parseWebviewUrl(o.url);
    if (!p) return { status: 400, body: { error: 'not a webview URL (…/webview/{connect|reconnect|manage}?…)' } };
    let result = await begin(p);
    // A bank asked with connector_ids that differs from `bank`: the URL wins, as in a browser.
    let first = true;
    for (let i = 0; i < 20 && result.kind === 'page'; i++) {
      const s = result.session;
      if (result.error && !first) return { status: 422, body: { error: result.error, step: s.data.step } };
      const form = first && o.cancel ? { action: 'cancel' } : await autofill(s, o);
      if ('error' in form && typeof form.error === 'string')
        return { status: 422, body: { error: form.error, step: s.data.step } };
      first = false;
      const step = s.data.step;
      result = await submit(s.id, step, form as Form);
      if (result.kind === 'page' && result.error) return { status: 422, body: { error: result.error, step } };
    }
    if (result.kind === 'redirect') return { status: 200, body: { redirect: result.url } };
    if (result.kind === 'fatal') return { status: 400, body: { error: result.message } };
    return { status: 500, body: { error: 'the flow did not end' } };
  }

  // ---- HTML --------------------------------------------------------------------------------
  const esc = (v: unknown) =>
    String(v ?? '').replace(
      /[&<>"']/g,
      (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
    );

  function layout(title: string, body: string, bank?: Connector): string {
    return `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} – Powens (sandbox)</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#eef1f6;margin:0;color:#1d2433}
main{max-width:460px;margin:40px auto;background:#fff;border-radius:10px;box-shadow:0 2px 12px #0002;padding:28px}
h1{font-size:1.25rem;margin:0 0 4px}.bank{color:#0b3c5d;font-weight:600;margin-bottom:16px}
label{display:block;margin:12px 0 4px;font-weight:500}input[type=text],input[type=password],input[type=email],select{width:100%;box-sizing:border-box;padding:9px;border:1px solid #b8c0cc;border-radius:6px;font-size:1rem}
.row{display:flex;gap:8px;align-items:flex-start;margin:8px 0}.row input{margin-top:4px}
button{padding:10px 16px;border-radius:6px;border:0;background:#0b3c5d;color:#fff;font-size:1rem;cursor:pointer;margin-top:16px}
button.secondary{background:#e3e7ee;color:#1d2433}.error{background:#fde8e8;color:#9b1c1c;padding:10px;border-radius:6px;margin:12px 0}
.notice{background:#e6f4ea;color:#1e6b34;padding:10px;border-radius:6px;margin:12px 0}.small{font-size:.85rem;color:#5b6575}
ul.banks{list-style:none;padding:0}ul.banks li{margin:6px 0}ul.banks button{width:100%;text-align:left;background:#f4f6fa;color:#1d2433;border:1px solid #d5dbe5;margin:0}
.actions{display:flex;justify-content:space-between;gap:8px}footer{max-width:460px;margin:8px auto;font-size:.8rem;color:#5b6575;text-align:center}
</style></head><body><main>
<h1>${esc(title)}</h1>${bank ? `<div class="bank">${esc(bank.name)}</div>` : ''}
${body}
</main><footer>Proposé par Powens (environnement de test local). Vos identifiants sont chiffrés et ne sont jamais
communiqués à l’application qui vous a dirigé ici.</footer></body></html>`;
  }

  const form = (s: Session, inner: string, opts: { cancel?: boolean } = {}) =>
    `<form method="post" action="/webview/s/${esc(s.id)}/${s.data.step}">${inner}
<div class="actions">${opts.cancel === false ? '' : '<button class="secondary" name="action" value="cancel" formnovalidate>Annuler</button>'}
<button name="action" value="continue">Continuer</button></div></form>`;

  async function render(s: Session, error?: string): Promise<string> {
    const bank = s.data.connectorId ? connectorById(s.data.connectorId) : undefined;
    const err = error ? `<div class="error">${esc(error)}</div>` : '';
    const notice = s.data.notice ? `<div class="notice">${esc(s.data.notice)}</div>` : '';
    switch (s.data.step) {
      case 'banks': {
        const banks = offeredBanks(s.params);
        return layout(
          'Choisissez votre banque',
          `${err}<form method="post" action="/webview/s/${esc(s.id)}/banks"><ul class="banks">${banks
            .map((c) => `<li><button name="connector" value="${c.id}">${esc(c.name)}</button></li>`)
            .join('')}</ul>
<div class="actions"><button class="secondary" name="action" value="cancel">Annuler</button></div></form>`,
        );
      }
      case 'terms':
        return layout(
          'Conditions d’utilisation',
          `${err}<form method="post" action="/webview/s/${esc(s.id)}/terms">
<p>Pour récupérer vos relevés bancaires, Powens accède à vos comptes en votre nom, en lecture seule, conformément
à la directive européenne sur les services de paiement (DSP2). Powens est agréé en qualité d’établissement de
paiement par l’ACPR.</p>
<p>Vous pourrez retirer votre consentement à tout moment depuis l’espace de gestion de vos connexions.</p>
<div class="row"><input type="checkbox" id="accept" name="accept" value="on"><label for="accept">J’accepte les
conditions générales d’utilisation du service et la politique de confidentialité de Powens.</label></div>
<div class="actions"><button class="secondary" name="action" value="decline">Refuser</button>
<button name="action" value="continue">Accepter et continuer</button></div></form>`,
          bank,
        );
      case 'credentials': {
        const reconnect = s.flow === 'reconnect';
        const c = bank!;
        const password = c.fields.find((f) => f.name === 'password')?.label ?? 'Mot de passe';
        return layout(
          reconnect ? 'Mettez à jour vos identifiants' : 'Connectez-vous à votre banque',
          `${err}${reconnect ? '<p>Indiquez les identifiants à mettre à jour.</p>' : ''}${form(
            s,
            `${
              reconnect
                ? ''
                : `<label for="website">Type de compte</label><select id="website" name="website">
<option value="par">Particuliers</option><option value="pro" selected>Professionnels</option></select>`
            }
<label for="login">Identifiant</label><input type="text" id="login" name="login" autocomplete="username" value="${esc(s.data.login ?? '')}" required>
<label for="password">${esc(password)}</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<p class="small">Banque de test : tout identifiant est accepté ; le mot de passe « ${SANDBOX_WRONG_PASSWORD} » est refusé.</p>`,
          )}`,
          bank,
        );
      }
      case 'otp':
        return layout(
          'Authentification forte',
          `${err}${form(
            s,
            `<p>Un code de validation vous a été envoyé par SMS.</p>
<label for="otp">Code reçu par SMS</label><input type="text" id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" required>
<p class="small">Banque de test : le code est ${SANDBOX_OTP}.</p>`,
          )}`,
          bank,
        );
      case 'decoupled':
        return layout(
          'Validez dans votre application',
          `${err}<form method="post" action="/webview/s/${esc(s.id)}/decoupled">
<p>Une demande de validation a été envoyée sur l’application mobile de votre banque. Validez-la, puis cliquez sur
« J’ai validé ».</p><div class="actions"><button class="secondary" name="action" value="cancel">Annuler</button>
<button name="action" value="validated">J’ai validé</button></div></form>`,
          bank,
        );
      case 'webauth':
        return layout(
          'Redirection vers votre banque',
          `${err}<form method="post" action="/webview/s/${esc(s.id)}/webauth">
<p>Vous allez vous authentifier directement sur le site de votre banque (simulé ici), qui vous demandera
d’autoriser l’accès à vos comptes.</p>
${
  s.flow === 'connect'
    ? `<label for="website">Type de compte</label><select id="website" name="website">
<option value="par">Particuliers</option><option value="pro" selected>Professionnels</option></select>`
    : ''
}
<div class="actions"><button class="secondary" name="action" value="cancel">Annuler</button>
<button name="action" value="authorize">Autoriser l’accès</button></div></form>`,
          bank,
        );
      case 'action':
        return layout(
          'Action requise sur le site de votre banque',
          `${err}${form(
            s,
            `<p>Votre banque demande une action de votre part sur son site (validation de nouvelles conditions, mise
à jour d’informations…). Effectuez-la, puis cliquez sur « Continuer ».</p>`,
          )}`,
          bank,
        );
      case 'confirm':
        return layout(
          'Votre connexion',
          `${err}${form(s, '<p>Votre connexion ne demande aucune information. Cliquez sur « Continuer » pour la synchroniser.</p>')}`,
          bank,
        );
      case 'accounts': {
        const all = await engine.accountsOf(ctx.pool, { connectionId: s.data.connectionId });
        const offered = new Set(selectable(s.params, all).map((a) => a.id));
        return layout(
          'Choisissez vos comptes',
          `${err}${form(
            s,
            `<p>Sélectionnez les comptes dont vous autorisez la récupération des relevés.</p>${all
              .map((a) => {
                const ok = offered.has(a.id);
                const tpl = ACCOUNT_TEMPLATES[a.kind as AccountKind];
                return `<div class="row"><input type="checkbox" id="a${a.id}" name="accounts" value="${a.id}" ${
                  ok ? 'checked' : 'disabled'
                }><label for="a${a.id}">${esc(a.original_name)}<br><span class="small">${esc(
                  a.iban ?? a.number ?? '',
                )} · ${esc(tpl?.currency ?? a.currency)}${ok ? '' : ' · non proposé'}</span></label></div>`;
              })
              .join('')}`,
          )}`,
          bank,
        );
      }
      case 'contact':
        return layout(
          'Informations sur votre entreprise',
          `${err}${form(
            s,
            `<p>Vos comptes sont des comptes professionnels : indiquez l’entreprise titulaire et un contact.</p>
<label for="company">Raison sociale</label><input type="text" id="company" name="company" required>
<label for="siren">SIREN (facultatif)</label><input type="text" id="siren" name="siren" inputmode="numeric">
<label for="email">Adresse e-mail</label><input type="email" id="email" name="email" required>
<label for="phone">Téléphone (facultatif)</label><input type="text" id="phone" name="phone">`,
          )}`,
          bank,
        );
      case 'manage': {
        const connections = await manageConnections(s);
        const accounts = await manageAccounts(s);
        const blocks = connections
          .map((c) => {
            const b = connectorById(c.id_connector);
            return `<h2 style="font-size:1.05rem">${esc(b?.name ?? `Banque ${c.id_connector}`)}</h2>${accounts
              .filter((a) => a.id_connection === c.id)
              .map(
                (a) =>
                  `<div class="row"><input type="checkbox" id="a${a.id}" name="accounts" value="${a.id}" ${
                    a.disabled ? '' : 'checked'
                  }><label for="a${a.id}">${esc(a.original_name)}<br><span class="small">${esc(a.iban ?? a.number ?? '')}</span></label></div>`,
              )
              .join(
                '',
              )}<button class="secondary" name="action" value="delete:${c.id}" formnovalidate>Supprimer cette connexion</button>`;
          })
          .join('');
        return layout(
          'Gérez vos connexions',
          `${err}${notice}<form method="post" action="/webview/s/${esc(s.id)}/manage">${
            blocks || '<p>Aucune connexion bancaire.</p>'
          }<div class="actions"><button class="secondary" name="action" value="close">Fermer</button>
<button name="action" value="save">Enregistrer</button></div></form>`,
        );
      }
    }
  }

  async function answer(res: Response, result: StepResult) {
    res.set('Cache-Control', 'no-store');
    if (result.kind === 'redirect') return res.redirect(303, result.url);
    if (result.kind === 'fatal')
      return res
        .status(400)
        .type('html')
        .send(layout('Erreur', `<div class="error">${esc(result.message)}</div>`));
    res.type('html').send(await render(result.session, result.error));
  }

  const router: Router = express.Router();
  router.use(express.urlencoded({ extended: false }));
  const open = async (req: Request, res: Response) => {
    const flow = req.params.flow as Flow;
    const lang = (req.params.lang as string | undefined) ?? null;
    if (!FLOWS.includes(flow) || (lang !== null && !/^[a-z]{2}$/.test(lang)))
      return res.status(404).send('Page introuvable');
    const q = new URL(req.originalUrl, 'http://sandbox.invalid').searchParams;
    await answer(res, await begin(paramsFrom(flow, lang, q)));
  };
  router.get('/:flow', open);
  router.get('/:lang/:flow', open);
  router.get('/s/:id/:step', async (req, res) => {
    const s = await load(String(req.params.id));
    if (!s || s.finished)
      return answer(res, { kind: 'fatal', message: 'Cette session a expiré. Veuillez recommencer.' });
    await answer(res, { kind: 'page', session: s });
  });
  router.post('/s/:id/:step', async (req, res) => {
    await answer(res, await submit(String(req.params.id), req.params.step as Step, (req.body ?? {}) as Form));
  });

  return { router, begin, submit, complete, parseWebviewUrl };
}
