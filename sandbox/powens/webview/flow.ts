/**
 * The webview's steps (see index.ts): a flow opened from its URL (`begin`), each submitted page
 * (`submit`) moving the session on, and the end of the flow (the connection created or synced,
 * the redirect to redirect_uri). Shared by the pages and by `POST /__sandbox/webview/complete`.
 */
import { SANDBOX_OTP, SANDBOX_WRONG_PASSWORD, connectorById, type Connector } from '../catalog';
import type { SandboxContext } from '../context';
import type { Engine } from '../engine';
import { inTransaction } from '../pg';
import { secretFor } from '../random';
import type { AccountRow, ConnectionRow } from '../rows';
import { SCHEMA } from '../schema';
import {
  many,
  offeredBanks,
  one,
  selectable,
  type Form,
  type Session,
  type SessionData,
  type Step,
  type StepResult,
  type WebviewParams,
} from './params';

export function createFlow(ctx: SandboxContext, engine: Engine) {
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

  return { load, begin, submit, manageConnections, manageAccounts };
}

export type WebviewSteps = ReturnType<typeof createFlow>;
