/**
 * What the collection activities need from Powens, in our own terms, adapted from the typed
 * Powens client (integrations/powens/: zod-checked responses, retries with backoff, PowensError).
 * Tests of the activities and workflows run against the Powens sandbox through the same adapter.
 *
 * Timestamps follow integrations/powens/time.ts: a connection's `last_update` becomes an ISO instant,
 * while a transaction's `last_update` stays Powens' own text, because it is the incremental cursor
 * and is sent back verbatim.
 */
import { createPowensClient, powensInstant, type PowensClient, type PowensClientOptions } from './index';

export interface PowensConnectionView {
  id: number;
  /** null when the connection is fine; else wrongpass, SCARequired, websiteUnavailable… */
  state: string | null;
  errorMessage: string | null;
  /** Powens' `last_update` of the connection (its last successful sync), as an ISO instant. */
  lastUpdate: string | null;
}

export interface PowensAccountView {
  id: number;
  iban: string | null;
  /** Powens' account number (often masked; a French RIB at some banks). */
  number: string | null;
  bic: string | null;
  label: string;
  type: string;
  currency: string;
  /** Booked balance as a decimal string, null when unknown. */
  balance: string | null;
}

export interface PowensTransactionView {
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
  /** Powens' `last_update` text of the transaction ("YYYY-MM-DD HH:MM:SS"): the incremental cursor. */
  lastUpdate: string | null;
  raw: unknown;
}

export interface PowensPort {
  getConnection(userToken: string, connectionId: number): Promise<PowensConnectionView>;
  /**
   * Forces one sync, only when someone asked (Powens' fair-use policy). The firm asking is not the
   * account holder: `psu_requested=false` (no SCA prompt at the bank), and never retried on a
   * timeout or a 5xx (one request is one sync at the bank).
   */
  syncConnection(userToken: string, connectionId: number): Promise<PowensConnectionView>;
  listAccounts(userToken: string, connectionId: number): Promise<PowensAccountView[]>;
  /**
   * Pages of transactions changed since the cursor (all of them when null), deleted ones included,
   * booked (`date`) on or after `minDate` (YYYY-MM-DD: Powens' default is the last month only; see
   * integrations/powens/collect-window.ts).
   */
  listTransactions(
    userToken: string,
    connectionId: number,
    since: string | null,
    minDate: string,
  ): AsyncIterable<PowensTransactionView[]>;
}

type Connection = Awaited<ReturnType<PowensClient['getConnection']>>;

function connectionView(c: Connection): PowensConnectionView {
  return {
    id: c.id,
    state: c.state ?? null,
    errorMessage: c.error_message ?? null,
    lastUpdate: powensInstant(c.last_update)?.toISOString() ?? null,
  };
}

/** Decimal string of a Powens amount (a JSON number) without float noise: 2 decimals, or more if given. */
function decimal(n: number): string {
  const fixed = n.toFixed(2);
  return Number(fixed) === n ? fixed : String(n);
}

export function createPowensPortFromClient(client: PowensClient): PowensPort {
  return {
    async getConnection(token, id) {
      return connectionView(await client.getConnection(token, id));
    },
    async syncConnection(token, id) {
      return connectionView(await client.syncConnection(token, id, { psuRequested: false }));
    },
    async listAccounts(token, id) {
      const accounts = await client.listAccounts(token, { connectionId: id, all: true });
      return accounts.map((a) => ({
        id: a.id,
        iban: a.iban ?? null,
        number: a.number ?? null,
        bic: a.bic ?? null,
        label: a.original_name ?? a.name,
        type: a.type,
        currency: a.currency?.id ?? 'EUR',
        balance: a.balance === null || a.balance === undefined ? null : decimal(a.balance),
      }));
    },
    async *listTransactions(token, id, since, minDate) {
      const list = client.listTransactions(token, {
        connectionId: id,
        lastUpdate: since ?? undefined,
        all: true,
        minDate,
        filter: 'date',
      });
      for await (const page of list.pages()) {
        yield page.transactions.map((t) => ({
          id: t.id,
          accountId: t.id_account,
          date: t.date,
          valueDate: t.vdate ?? null,
          amount: decimal(t.value ?? 0),
          label: t.original_wording ?? t.wording ?? '',
          type: t.type,
          coming: t.coming,
          deleted: Boolean(t.deleted),
          lastUpdate: t.last_update ?? null,
          raw: t,
        }));
      }
    },
  };
}

/** The port over a new typed client (worker: from config.powensBaseUrl and the client credentials). */
export function createPowensPort(options: PowensClientOptions): PowensPort {
  return createPowensPortFromClient(createPowensClient(options));
}
