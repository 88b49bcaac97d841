/**
 * What the collection activities need from Powens, in our own terms. `createPowensPort` adapts
 * the typed Powens client (activities/powens/) to it; tests of the activities run against the
 * Powens sandbox through the same adapter.
 */
export interface PowensConnectionView {
  id: number;
  /** null when the connection is fine; else wrongpass, SCARequired, websiteUnavailable… */
  state: string | null;
  errorMessage: string | null;
  /** Powens' `last_update` of the connection (its last sync), as an ISO instant. */
  lastUpdate: string | null;
}

export interface PowensAccountView {
  id: number;
  iban: string | null;
  bic: string | null;
  label: string;
  type: string;
  currency: string;
  /** Booked balance as a decimal string, null when unknown. */
  balance: string | null;
}

export interface PowensTransaction {
  id: number;
  accountId: number;
  /** ISO dates (YYYY-MM-DD). */
  date: string;
  valueDate: string | null;
  /** Decimal string, negative for debits. */
  amount: string;
  label: string;
  type: string;
  coming: boolean;
  /** Set when the bank removed the transaction. */
  deleted: boolean;
  /** ISO instant of the transaction's last change at Powens (the incremental cursor). */
  lastUpdate: string | null;
  raw: unknown;
}

export interface PowensPort {
  getConnection(userToken: string, connectionId: number): Promise<PowensConnectionView>;
  /** Forces a sync: only when a person asked (Powens' fair-use policy). */
  syncConnection(userToken: string, connectionId: number): Promise<PowensConnectionView>;
  listAccounts(userToken: string, connectionId: number): Promise<PowensAccountView[]>;
  /** Pages of transactions changed since `since` (all of them when null), deleted ones included. */
  listTransactions(userToken: string, connectionId: number, since: string | null): AsyncIterable<PowensTransaction[]>;
}

/**
 * The port over Powens' REST API (`/users/me/...` with the company's permanent user token), typed
 * at the edges. Timestamps: Powens sends zone-less "YYYY-MM-DD HH:MM:SS" `last_update` values; we
 * treat them as UTC and keep the original text as the incremental cursor (sent back verbatim).
 */
export function createPowensPort(opts: { baseUrl: string; fetch?: typeof fetch; pageSize?: number }): PowensPort {
  const doFetch = opts.fetch ?? fetch;
  const base = opts.baseUrl.replace(/\/$/, '');
  const pageSize = opts.pageSize ?? 1000;

  async function call<T>(token: string, method: string, path: string): Promise<T> {
    const res = await doFetch(path.startsWith('http') ? path : `${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`Powens ${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
    return JSON.parse(text) as T;
  }
  const toIso = (ts: string | null | undefined) => (ts ? new Date(`${ts.replace(' ', 'T')}Z`).toISOString() : null);
  type RawConnection = { id: number; state: string | null; error_message?: string | null; last_update: string | null };
  const view = (c: RawConnection): PowensConnectionView => ({
    id: c.id,
    state: c.state ?? null,
    errorMessage: c.error_message ?? null,
    lastUpdate: toIso(c.last_update),
  });

  return {
    async getConnection(token, id) {
      return view(await call<RawConnection>(token, 'GET', `/users/me/connections/${id}`));
    },
    async syncConnection(token, id) {
      return view(await call<RawConnection>(token, 'PUT', `/users/me/connections/${id}?psu_requested=true`));
    },
    async listAccounts(token, id) {
      type RawAccount = {
        id: number;
        iban: string | null;
        bic?: string | null;
        name: string;
        original_name?: string;
        type: string;
        currency: { id: string } | string;
        balance: number | string | null;
      };
      const r = await call<{ accounts: RawAccount[] }>(token, 'GET', `/users/me/connections/${id}/accounts?all`);
      return r.accounts.map((a) => ({
        id: a.id,
        iban: a.iban ?? null,
        bic: a.bic ?? null,
        label: a.original_name ?? a.name,
        type: a.type,
        currency: typeof a.currency === 'string' ? a.currency : a.currency.id,
        balance: a.balance === null || a.balance === undefined ? null : String(a.balance),
      }));
    },
    async *listTransactions(token, id, since) {
      type RawTx = {
        id: number;
        id_account: number;
        date: string;
        rdate?: string;
        vdate?: string | null;
        value: number | string;
        original_wording: string;
        wording?: string | null;
        type: string;
        coming: boolean;
        deleted?: string | null;
        last_update?: string | null;
      };
      const query = new URLSearchParams({ limit: String(pageSize), all: '' });
      if (since) query.set('last_update', since.replace('T', ' ').replace(/\.\d+Z$|Z$/, ''));
      let next: string | null = `/users/me/connections/${id}/transactions?${query.toString().replace('all=', 'all')}`;
      while (next) {
        const page: { transactions: RawTx[]; _links?: { next?: { href: string } | null } } = await call(
          token,
          'GET',
          next,
        );
        yield page.transactions.map((t) => ({
          id: t.id,
          accountId: t.id_account,
          date: t.date,
          valueDate: t.vdate ?? null,
          amount: String(t.value),
          label: t.original_wording,
          type: t.type,
          coming: t.coming,
          deleted: Boolean(t.deleted),
          lastUpdate: t.last_update ?? null,
          raw: t,
        }));
        next = page.transactions.length > 0 ? (page._links?.next?.href ?? null) : null;
      }
    },
  };
}
