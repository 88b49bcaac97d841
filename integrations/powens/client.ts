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
 *
 * Beside it: the HTTP layer with its retries (http.ts), transaction listing (transactions.ts), the
 * webview URLs and callback (webview.ts).
 */
import { PowensError } from './errors';
import {
  createHttp,
  defaultSleep,
  pathId,
  queryString,
  type CallOptions,
  type PowensLogger,
  type RetryOptions,
} from './http';
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
  type PowensAccessToken,
  type PowensAuthCode,
  type PowensBankAccount,
  type PowensConnection,
  type PowensConnector,
} from './schemas';
import { listTransactions, MAX_PAGE, type ListTransactionsOptions, type PowensTransactionList } from './transactions';
import { webviewTarget, webviewUrls } from './webview';

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
  const { domain, webviewRoot } = webviewTarget(baseUrl, options);

  const expandParam = (expand?: ConnectionExpand[]) => (expand?.length ? expand.join(',') : undefined);

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
        path: `/auth/token/code${queryString({ type: opts.type })}`,
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
        path: `/users/me/connections/${pathId(connectionId)}${queryString({ expand: expandParam(opts.expand) })}`,
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
        path: `/users/me/connections${queryString({ expand: expandParam(opts.expand) })}`,
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
        path: `/users/me/connections/${pathId(connectionId)}${queryString({
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
        path: `/users/me/connections/${pathId(connectionId)}${queryString({ background: opts.background })}`,
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
        path: `/users/me/connections/${pathId(connectionId)}${queryString({ background: opts.background })}`,
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
        path: `/users/me/connections/${pathId(connectionId)}`,
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
      return http.request({ method: 'GET', path: `/connectors/${pathId(connectorId)}`, schema: connectorSchema, call });
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
      const prefix = opts.connectionId === undefined ? '' : `/connections/${pathId(opts.connectionId)}`;
      try {
        const r = await http.request({
          method: 'GET',
          path: `/users/me${prefix}/accounts${queryString({ all: opts.all })}`,
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
        path: `/users/me/accounts/${pathId(accountId)}?all`,
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
    /** GET …/transactions from `minDate`, every page (transactions.ts). */
    listTransactions(userToken: string, opts: ListTransactionsOptions): PowensTransactionList {
      return listTransactions(http, pageSize, userToken, opts);
    },

    // ---- webview URLs (pure: the code comes from getTemporaryCode) -----------------------------
    ...webviewUrls({ clientId: options.clientId, domain, webviewRoot }),
  };

  function setDisabled(userToken: string, accountId: number, disabled: boolean, call?: CallOptions) {
    return http.request({
      method: 'POST',
      path: `/users/me/accounts/${pathId(accountId)}?all`,
      token: userToken,
      body: { disabled },
      schema: bankAccountSchema,
      call,
    });
  }

  return client;
}

export type PowensClient = ReturnType<typeof createPowensClient>;
