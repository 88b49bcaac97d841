/**
 * Powens' webview: its root and `domain` from the client's options, the connect, reconnect and
 * manage URLs (pure: the `code` comes from `getTemporaryCode`), and the query of the callback on
 * our redirect_uri.
 */
import { z } from 'zod';
import { needsNewCredentials } from '../../domain/powens-states';
import { pathId } from './http';

export interface ConnectWebviewOptions {
  /** Temporary code of the user (`getTemporaryCode`); omitted, Powens creates an anonymous user. */
  code?: string;
  /** Our callback; must not contain a query string (Powens' rule). */
  redirectUri: string;
  /** Opaque value returned unchanged in the callback (we sign it). */
  state?: string;
  /** Deprecated by Powens (not stable across API domains): prefer `connectorUuids`. */
  connectorIds?: number[];
  /** The banks offered (one: the bank picker is skipped): connector `uuid`s. */
  connectorUuids?: string[];
  /** Accounts of other types stay disabled (e.g. ['checking', 'card']). */
  accountTypes?: string[];
  /** Accounts of other usages (PRIV, ORGA, ASSO) stay disabled. */
  accountUsages?: string[];
  accountIbans?: string[];
  maxConnections?: number;
  lang?: 'fr' | 'en' | 'de' | 'nl' | 'pt' | 'it' | 'es';
}

export interface ReconnectWebviewOptions {
  code: string;
  connectionId: number;
  redirectUri: string;
  state?: string;
  /** Ask for the credentials again. Default: from `connectionState` (wrongpass, passwordExpired). */
  resetCredentials?: boolean;
  /** The connection's current Powens state, to decide `reset_credentials`. */
  connectionState?: string | null;
  lang?: ConnectWebviewOptions['lang'];
}

export interface ManageWebviewOptions {
  code: string;
  connectionId?: number;
  redirectUri?: string;
  state?: string;
  lang?: ConnectWebviewOptions['lang'];
}

/**
 * The `domain` webview parameter and the webview root: given, or derived from the API base URL
 * (webview.powens.com and the sub-domain for a *.biapi.pro base URL, else `<origin>/webview` and
 * its host); a trailing /connect (or /reconnect, /manage, with a language) is ignored.
 */
export function webviewTarget(baseUrl: string, options: { webviewUrl?: string; domain?: string }) {
  const host = new URL(baseUrl).host;
  const biapi = /^([a-z\d]+(?:-[a-z\d]+)*)\.biapi\.pro$/.exec(host);
  const domain = options.domain ?? (biapi ? biapi[1]! : host);
  const webviewRoot = (
    options.webviewUrl ?? (biapi ? 'https://webview.powens.com' : `${new URL(baseUrl).origin}/webview`)
  )
    .replace(/\/+$/, '')
    .replace(/\/(?:[a-z]{2}\/)?(?:connect|reconnect|manage)$/, '');
  return { domain, webviewRoot };
}

/** The webview URLs of our client id on that root and domain. */
export function webviewUrls(target: { clientId: string; domain: string; webviewRoot: string }) {
  const { clientId, domain, webviewRoot } = target;
  function webview(flow: 'connect' | 'reconnect' | 'manage', lang: string | undefined, params: [string, string][]) {
    if (params.some(([k, v]) => k === 'redirect_uri' && new URL(v).search !== ''))
      throw new TypeError('Powens redirect_uri must not contain query parameters');
    const qs = new URLSearchParams([['domain', domain], ['client_id', clientId], ...params]);
    return `${webviewRoot}/${lang ? `${lang}/` : ''}${flow}?${qs.toString()}`;
  }
  const opt = (k: string, v: string | number | undefined | null): [string, string][] =>
    v === undefined || v === null || v === '' ? [] : [[k, String(v)]];
  const list = (k: string, v: Array<string | number> | undefined): [string, string][] =>
    v && v.length ? [[k, v.join(',')]] : [];

  return {
    connectUrl(o: ConnectWebviewOptions): string {
      return webview('connect', o.lang, [
        ...opt('code', o.code),
        ['redirect_uri', o.redirectUri],
        ...opt('state', o.state),
        ...list('connector_ids', o.connectorIds),
        ...list('connector_uuids', o.connectorUuids),
        ...list('account_types', o.accountTypes),
        ...list('account_usages', o.accountUsages),
        ...list('account_ibans', o.accountIbans),
        ...opt('max_connections', o.maxConnections),
      ]);
    },

    reconnectUrl(o: ReconnectWebviewOptions): string {
      const reset = o.resetCredentials ?? needsNewCredentials(o.connectionState);
      return webview('reconnect', o.lang, [
        ['code', o.code],
        ['connection_id', pathId(o.connectionId)],
        ['redirect_uri', o.redirectUri],
        ...opt('state', o.state),
        ...(reset ? ([['reset_credentials', 'true']] as [string, string][]) : []),
      ]);
    },

    manageUrl(o: ManageWebviewOptions): string {
      return webview('manage', o.lang, [
        ['code', o.code],
        ...opt('connection_id', o.connectionId),
        ...opt('redirect_uri', o.redirectUri),
        ...opt('state', o.state),
      ]);
    },
  };
}

/** The query of a webview callback on our redirect_uri, parsed (connect, reconnect, manage). */
export const webviewCallbackSchema = z.union([
  z.object({ error: z.string().min(1), error_description: z.string().optional(), state: z.string().optional() }),
  z.object({
    error: z.undefined().optional(),
    connection_id: z.coerce.number().int().positive().optional(),
    connection_ids: z
      .string()
      .optional()
      .transform((s) => (s ? s.split(',').map(Number) : undefined)),
    code: z.string().optional(),
    state: z.string().optional(),
    connection_deleted: z.string().optional(),
  }),
]);
export type WebviewCallback = z.infer<typeof webviewCallbackSchema>;

/** Parses a callback query (URLSearchParams, a query string, or Express' `req.query`). */
export function parseWebviewCallback(q: URLSearchParams | string | Record<string, unknown>): WebviewCallback {
  const params = typeof q === 'string' || q instanceof URLSearchParams ? Object.fromEntries(new URLSearchParams(q)) : q;
  return webviewCallbackSchema.parse(params);
}
