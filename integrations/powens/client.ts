/**
 * Typed Powens client (API 2.0). Every call goes to `/users/me/...` with the company's permanent
 * user token; every response is checked with zod (schemas.ts); errors are `PowensError`s.
 * The objects returned are Powens' own (snake_case, as documented), so that nothing is lost; the
 * timestamp policy for their zone-less timestamps is in time.ts.
 *
 * Fair use: `syncConnection` sends `psu_requested=false` unless the caller says the account holder
 * asked for the sync (Powens then may start an SCA), and is never retried on a timeout or a 5xx:
 * one call is one sync at the bank, and a second one could prompt the holder again. Background
 * collection relies on Powens' own daily sync and on `listTransactions` with the `last_update`
 * cursor and an explicit `min_date` (without it Powens lists only the last month).
 */
import { z } from 'zod';
import { needsNewCredentials } from '../../domain/powens-states';
import { PowensError } from './errors';
import { createHttp, defaultSleep, type CallOptions, type PowensLogger, type RetryOptions } from './http';
import {
  accessTokenSchema,
  authCodeSchema,
  bankAccountSchema,
  bankAccountsListSchema,
  connectionSchema,
  connectionsListSchema,
  connectorSchema,
  connectorsListSchema,
  tokenAccessSchema,
  transactionsPageSchema,
  type PowensAccessToken,
  type PowensAuthCode,
  type PowensBankAccount,
  type PowensConnection,
  type PowensConnector,
  type PowensTransaction,
  type PowensTransactionsPage,
} from './schemas';
import { formatPowensTimestamp, isPowensTimestamp } from './time';

export interface PowensClientOptions {
  /** API root, e.g. https://acme.biapi.pro/2.0 (config.powensBaseUrl). */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /**
   * Webview root, e.g. https://webview.powens.com or the sandbox's http://localhost:3100/webview
   * (config.powensWebviewUrl; a trailing /connect is ignored). Default: webview.powens.com for a
   * *.biapi.pro base URL, else `<origin>/webview`.
   */
  webviewUrl?: string;
  /** The `domain` webview parameter; default the sub-domain of a *.biapi.pro base URL, else its host. */
  domain?: string;
  fetch?: typeof fetch;
  logger?: PowensLogger;
  retry?: Partial<RetryOptions>;
  /** Per-attempt timeout (default 30 s; syncs default to 180 s, Powens syncs take up to minutes). */
  timeoutMs?: number;
  /** Transactions page size (default and maximum 1000). */
  pageSize?: number;
}

export type ConnectionExpand = 'connector' | 'accounts' | 'all_accounts' | 'sources';

export interface ListTransactionsOptions extends CallOptions {
  /** Only this account (`/users/me/accounts/{id}/transactions`). */
  accountId?: number;
  /** Only this connection (`/users/me/connections/{id}/transactions`). */
  connectionId?: number;
  /**
   * Only transactions updated after this: a Powens timestamp sent verbatim (preferred: the largest
   * `last_update` received), or an instant written as Paris wall-clock time.
   */
  lastUpdate?: string | Date;
  /** Include deleted transactions (default true: we mirror deletions). */
  all?: boolean;
  /**
   * The first day wanted (YYYY-MM-DD, YYYY-MM or YYYY). Required: without it Powens lists only the
   * last month ("By default, it selects transactions for the last month", 2021 reference), so a
   * collection after a long interruption would miss the older transactions back-filled meanwhile.
   */
  minDate: string;
  maxDate?: string;
  /**
   * The date `minDate`/`maxDate` bound: `application_date` (Powens' default, the PFM date, which
   * users may edit) or `date` (the debit date, the one our statements book).
   */
  filter?: 'date' | 'application_date';
}

/** A lazily fetched transaction list: iterate it, or its pages, or collect it. */
export interface PowensTransactionList extends AsyncIterable<PowensTransaction> {
  pages(): AsyncIterable<PowensTransactionsPage>;
  toArray(): Promise<PowensTransaction[]>;
}

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

const MAX_PAGE = 1000;
/** `min_date` / `max_date` values Powens takes (CalendarBound): a date, a month or a year. */
const CALENDAR_BOUND = /^\d{4}(?:-\d{2}(?:-\d{2})?)?$/;

export function createPowensClient(options: PowensClientOptions) {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const retry: RetryOptions = {
    maxAttempts: 4,
    baseDelayMs: 500,
    maxDelayMs: 15_000,
    maxRetryAfterMs: 60_000,
    random: Math.random,
    sleep: defaultSleep,
    ...options.retry,
  };
  const http = createHttp({
    baseUrl,
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    retry,
    timeoutMs: options.timeoutMs ?? 30_000,
    logger: options.logger,
  });
  const syncTimeoutMs = Math.max(options.timeoutMs ?? 0, 180_000);
  const pageSize = Math.min(MAX_PAGE, Math.max(1, options.pageSize ?? MAX_PAGE));
  const host = new URL(baseUrl).host;
  const biapi = /^([a-z\d]+(?:-[a-z\d]+)*)\.biapi\.pro$/.exec(host);
  const domain = options.domain ?? (biapi ? biapi[1]! : host);
  const webviewRoot = (
    options.webviewUrl ?? (biapi ? 'https://webview.powens.com' : `${new URL(baseUrl).origin}/webview`)
  )
    .replace(/\/+$/, '')
    .replace(/\/(?:[a-z]{2}\/)?(?:connect|reconnect|manage)$/, '');

  const id = (n: number) => {
    if (!Number.isSafeInteger(n) || n <= 0) throw new TypeError(`invalid Powens id: ${n}`);
    return String(n);
  };
  const query = (params: Record<string, string | number | boolean | undefined | null>) => {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(params)) {
      if (v === undefined || v === null || v === false) continue;
      // Powens flags (`all`, `background`) are "allowEmptyValue": sent bare.
      parts.push(v === true ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
    }
    return parts.length ? `?${parts.join('&')}` : '';
  };
  const expandParam = (expand?: ConnectionExpand[]) => (expand?.length ? expand.join(',') : undefined);

  function webview(flow: 'connect' | 'reconnect' | 'manage', lang: string | undefined, params: [string, string][]) {
    if (params.some(([k, v]) => k === 'redirect_uri' && new URL(v).search !== ''))
      throw new TypeError('Powens redirect_uri must not contain query parameters');
    const qs = new URLSearchParams([['domain', domain], ['client_id', options.clientId], ...params]);
    return `${webviewRoot}/${lang ? `${lang}/` : ''}${flow}?${qs.toString()}`;
  }
  const opt = (k: string, v: string | number | undefined | null): [string, string][] =>
    v === undefined || v === null || v === '' ? [] : [[k, String(v)]];
  const list = (k: string, v: Array<string | number> | undefined): [string, string][] =>
    v && v.length ? [[k, v.join(',')]] : [];

  const client = {
    baseUrl,
    domain,
    webviewRoot,

    // ---- authentication ------------------------------------------------------------------------
    /** POST /auth/init with our client credentials: a new permanent user (one per company). */
    initUser(call?: CallOptions): Promise<PowensAccessToken> {
      return http.request({
        method: 'POST',
        path: '/auth/init',
        body: { client_id: options.clientId, client_secret: options.clientSecret },
        schema: accessTokenSchema,
        idempotent: false,
        call,
      });
    },

    /** GET /auth/token/code: a temporary code for the webview (30 min, or single use). */
    getTemporaryCode(
      userToken: string,
      opts: { type?: 'requestAccess' | 'singleAccess' } & CallOptions = {},
    ): Promise<PowensAuthCode> {
      return http.request({
        method: 'GET',
        path: `/auth/token/code${query({ type: opts.type })}`,
        token: userToken,
        schema: authCodeSchema,
        call: opts,
      });
    },

    /** POST /auth/token/access: exchanges a callback `code` (anonymous webview user) for a permanent token. */
    async exchangeCode(code: string, call?: CallOptions): Promise<{ accessToken: string }> {
      const r = await http.request({
        method: 'POST',
        path: '/auth/token/access',
        body: {
          grant_type: 'authorization_code',
          client_id: options.clientId,
          client_secret: options.clientSecret,
          code,
        },
        schema: tokenAccessSchema,
        idempotent: false,
        call,
      });
      return { accessToken: r.access_token };
    },

    /** DELETE /users/me: removes the Powens user and all its data (company deleted). */
    async deleteUser(userToken: string, call?: CallOptions): Promise<void> {
      await http.request({ method: 'DELETE', path: '/users/me', token: userToken, schema: null, call });
    },

    // ---- connections ---------------------------------------------------------------------------
    getConnection(
      userToken: string,
      connectionId: number,
      opts: { expand?: ConnectionExpand[] } & CallOptions = {},
    ): Promise<PowensConnection> {
      return http.request({
        method: 'GET',
        path: `/users/me/connections/${id(connectionId)}${query({ expand: expandParam(opts.expand) })}`,
        token: userToken,
        schema: connectionSchema,
        call: opts,
      });
    },

    async listConnections(
      userToken: string,
      opts: { expand?: ConnectionExpand[] } & CallOptions = {},
    ): Promise<PowensConnection[]> {
      const r = await http.request({
        method: 'GET',
        path: `/users/me/connections${query({ expand: expandParam(opts.expand) })}`,
        token: userToken,
        schema: connectionsListSchema,
        call: opts,
      });
      return r.connections;
    },

    /**
     * PUT /users/me/connections/{id}: a synchronous sync. `psuRequested` must be true only when the
     * account holder (the PSU) is present and asked for it (it may start an SCA); anyone else's
     * request (a firm's "collect now", a background job) leaves it false. Never retried on a
     * timeout, a network failure or a 5xx (the sync may have run): only a 429 (refused) is.
     */
    syncConnection(
      userToken: string,
      connectionId: number,
      opts: { psuRequested?: boolean; expand?: ConnectionExpand[] } & CallOptions = {},
    ): Promise<PowensConnection> {
      return http.request({
        method: 'PUT',
        path: `/users/me/connections/${id(connectionId)}${query({
          psu_requested: opts.psuRequested ? 'true' : 'false',
          expand: expandParam(opts.expand),
        })}`,
        token: userToken,
        schema: connectionSchema,
        idempotent: false,
        call: { timeoutMs: syncTimeoutMs, ...opts },
      });
    },

    /**
     * POST /users/me/connections/{id} `{"resume": true}`: resumes a `decoupled` connection once the
     * user validated in the bank's app. With `background`, returns at once (state `validating`).
     * Like every call that syncs, not retried on a timeout or a 5xx.
     */
    resumeConnection(
      userToken: string,
      connectionId: number,
      opts: { background?: boolean } & CallOptions = {},
    ): Promise<PowensConnection> {
      return http.request({
        method: 'POST',
        path: `/users/me/connections/${id(connectionId)}${query({ background: opts.background })}`,
        token: userToken,
        body: { resume: true },
        schema: connectionSchema,
        idempotent: false,
        call: { timeoutMs: syncTimeoutMs, ...opts },
      });
    },

    /** POST /users/me/connections/{id} with field values (e.g. `{otp: "123456"}` for additionalInformationNeeded). */
    updateConnection(
      userToken: string,
      connectionId: number,
      fields: Record<string, string>,
      opts: { background?: boolean } & CallOptions = {},
    ): Promise<PowensConnection> {
      return http.request({
        method: 'POST',
        path: `/users/me/connections/${id(connectionId)}${query({ background: opts.background })}`,
        token: userToken,
        body: fields,
        schema: connectionSchema,
        idempotent: false,
        call: { timeoutMs: syncTimeoutMs, ...opts },
      });
    },

    async deleteConnection(userToken: string, connectionId: number, call?: CallOptions): Promise<void> {
      await http.request({
        method: 'DELETE',
        path: `/users/me/connections/${id(connectionId)}`,
        token: userToken,
        schema: null,
        call,
      });
    },

    // ---- connectors ----------------------------------------------------------------------------
    /** GET /connectors: the banks of the API domain, each with its stable `uuid` (and deprecated `id`). */
    async listConnectors(
      call?: CallOptions & { expand?: Array<'fields' | 'sources' | 'countries'> },
    ): Promise<PowensConnector[]> {
      const path = `/connectors${call?.expand?.length ? `?expand=${call.expand.join(',')}` : ''}`;
      const r = await http.request({ method: 'GET', path, schema: connectorsListSchema, call });
      return r.connectors;
    },

    /** GET /connectors/{id}: one bank, e.g. to learn the `uuid` of a connector known by its deprecated id. */
    getConnector(connectorId: number, call?: CallOptions): Promise<PowensConnector> {
      return http.request({ method: 'GET', path: `/connectors/${id(connectorId)}`, schema: connectorSchema, call });
    },

    // ---- accounts ------------------------------------------------------------------------------
    /**
     * GET /users/me/accounts (or /connections/{id}/accounts). `all` includes the disabled accounts
     * (new accounts are disabled until enabled). A user without any account gets [] (Powens answers
     * `noAccount`).
     */
    async listAccounts(
      userToken: string,
      opts: { all?: boolean; connectionId?: number } & CallOptions = {},
    ): Promise<PowensBankAccount[]> {
      const prefix = opts.connectionId === undefined ? '' : `/connections/${id(opts.connectionId)}`;
      try {
        const r = await http.request({
          method: 'GET',
          path: `/users/me${prefix}/accounts${query({ all: opts.all })}`,
          token: userToken,
          schema: bankAccountsListSchema,
          call: opts,
        });
        return r.accounts;
      } catch (e) {
        if (e instanceof PowensError && e.code === 'noAccount') return [];
        throw e;
      }
    },

    getAccount(userToken: string, accountId: number, call?: CallOptions): Promise<PowensBankAccount> {
      return http.request({
        method: 'GET',
        path: `/users/me/accounts/${id(accountId)}?all`,
        token: userToken,
        schema: bankAccountSchema,
        call,
      });
    },

    /** POST /users/me/accounts/{id}?all `{"disabled": false}`: the user's consent to collect it. */
    enableAccount(userToken: string, accountId: number, call?: CallOptions): Promise<PowensBankAccount> {
      return setDisabled(userToken, accountId, false, call);
    },

    /** Disabling deletes the account's transactions at Powens. */
    disableAccount(userToken: string, accountId: number, call?: CallOptions): Promise<PowensBankAccount> {
      return setDisabled(userToken, accountId, true, call);
    },

    // ---- transactions --------------------------------------------------------------------------
    /**
     * GET …/transactions from `minDate`, in pages of 1000 following the opaque `_links.next.href`
     * Powens returns, used as is, until there is none. Incremental with `lastUpdate` (and `all`,
     * default true, so deletions come too). A user without any enabled account yields nothing
     * (Powens answers `noAccount`).
     */
    listTransactions(userToken: string, opts: ListTransactionsOptions): PowensTransactionList {
      if (opts.accountId !== undefined && opts.connectionId !== undefined)
        throw new TypeError('listTransactions: accountId or connectionId, not both');
      const scope =
        opts.accountId !== undefined
          ? `/accounts/${id(opts.accountId)}`
          : opts.connectionId !== undefined
            ? `/connections/${id(opts.connectionId)}`
            : '';
      let lastUpdate: string | undefined;
      if (opts.lastUpdate instanceof Date) lastUpdate = formatPowensTimestamp(opts.lastUpdate);
      else if (opts.lastUpdate !== undefined) {
        if (!isPowensTimestamp(opts.lastUpdate))
          throw new TypeError(`lastUpdate must be a Powens timestamp (YYYY-MM-DD HH:MM:SS): ${opts.lastUpdate}`);
        lastUpdate = opts.lastUpdate.replace('T', ' ').slice(0, 19);
      }
      if (!CALENDAR_BOUND.test(opts.minDate ?? ''))
        throw new TypeError(`minDate must be YYYY-MM-DD, YYYY-MM or YYYY: ${opts.minDate}`);
      if (opts.maxDate !== undefined && !CALENDAR_BOUND.test(opts.maxDate))
        throw new TypeError(`maxDate must be YYYY-MM-DD, YYYY-MM or YYYY: ${opts.maxDate}`);
      const first = `/users/me${scope}/transactions${query({
        limit: pageSize,
        all: opts.all ?? true,
        last_update: lastUpdate,
        min_date: opts.minDate,
        max_date: opts.maxDate,
        filter: opts.filter,
      })}`;

      async function* pages(): AsyncGenerator<PowensTransactionsPage> {
        let next: string | null = first;
        const seen = new Set<string>();
        while (next) {
          const url = http.resolve(next);
          if (seen.has(url)) throw new PowensError({ ...loop(url), method: 'GET' });
          seen.add(url);
          let page: PowensTransactionsPage;
          try {
            page = await http.request({
              method: 'GET',
              path: url,
              token: userToken,
              schema: transactionsPageSchema,
              call: opts,
            });
          } catch (e) {
            if (e instanceof PowensError && e.code === 'noAccount') return;
            throw e;
          }
          yield page;
          // The end: no next link, or a short/empty page (guards against a link that never ends).
          const href = page._links?.next?.href;
          next = href && page.transactions.length > 0 ? href : null;
        }
      }
      const loop = (url: string) => ({
        code: 'invalidResponse',
        status: 200,
        description: 'pagination loops: _links.next points to a page already read',
        retryable: false,
        path: new URL(url).pathname,
      });

      return {
        pages,
        async *[Symbol.asyncIterator]() {
          for await (const page of pages()) yield* page.transactions;
        },
        async toArray() {
          const all: PowensTransaction[] = [];
          for await (const page of pages()) all.push(...page.transactions);
          return all;
        },
      };
    },

    // ---- webview URLs (pure: the code comes from getTemporaryCode) -----------------------------
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
        ['connection_id', id(o.connectionId)],
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

  function setDisabled(userToken: string, accountId: number, disabled: boolean, call?: CallOptions) {
    return http.request({
      method: 'POST',
      path: `/users/me/accounts/${id(accountId)}?all`,
      token: userToken,
      body: { disabled },
      schema: bankAccountSchema,
      call,
    });
  }

  return client;
}

export type PowensClient = ReturnType<typeof createPowensClient>;

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
