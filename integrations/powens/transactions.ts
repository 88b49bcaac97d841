/**
 * Listing transactions: GET …/transactions from a `min_date`, in pages following the opaque
 * `_links.next.href` Powens returns, incremental with the `last_update` cursor (client.ts's
 * `listTransactions`).
 */
import { PowensError } from './errors';
import { pathId, queryString, type CallOptions, type createHttp } from './http';
import { transactionsPageSchema, type PowensTransaction, type PowensTransactionsPage } from './schemas';
import { formatPowensTimestamp, isPowensTimestamp } from './time';

type Http = ReturnType<typeof createHttp>;

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

/** The largest page Powens serves (and our default). */
export const MAX_PAGE = 1000;
/** `min_date` / `max_date` values Powens takes (CalendarBound): a date, a month or a year. */
const CALENDAR_BOUND = /^\d{4}(?:-\d{2}(?:-\d{2})?)?$/;

/**
 * GET …/transactions from `minDate`, in pages of `pageSize` following the opaque `_links.next.href`
 * Powens returns, used as is, until there is none. Incremental with `lastUpdate` (and `all`,
 * default true, so deletions come too). A user without any enabled account yields nothing
 * (Powens answers `noAccount`).
 */
export function listTransactions(
  http: Http,
  pageSize: number,
  userToken: string,
  opts: ListTransactionsOptions,
): PowensTransactionList {
  if (opts.accountId !== undefined && opts.connectionId !== undefined)
    throw new TypeError('listTransactions: accountId or connectionId, not both');
  const scope =
    opts.accountId !== undefined
      ? `/accounts/${pathId(opts.accountId)}`
      : opts.connectionId !== undefined
        ? `/connections/${pathId(opts.connectionId)}`
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
  const first = `/users/me${scope}/transactions${queryString({
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
}
