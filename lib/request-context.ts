/**
 * The request id of the HTTP request being handled, kept in an AsyncLocalStorage so that code far
 * from the request (a log line in a helper, a Temporal call after the response) can read it without
 * having it passed down. api/app.ts opens the context for every request; lib/logger.ts adds the id
 * to every log line written inside it; lib/temporal-interceptors.ts sends it with every Temporal
 * call made inside it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

export interface RequestContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** The header a request id is accepted from and answered in. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * Ids accepted from the header: what proxies and tracers generate (UUIDs, 32 hex digits, ULIDs,
 * `Root=1-…` style ids reduced to their safe characters), 8 to 128 characters of letters, digits
 * and `._:-`. Anything else (empty, too long, spaces, quotes, control characters) is replaced by a
 * fresh UUID: the id is written into logs and Temporal headers and must never carry arbitrary text.
 */
const SANE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/;

export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && SANE_ID.test(value) ? value : randomUUID();
}

/** Runs `fn` (and everything it starts) inside the request's context. */
export function runWithRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The id of the request whose handling is running, if any. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
