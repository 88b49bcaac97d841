/**
 * What a database error says, whichever layer reports it. PostgreSQL names each error by its
 * SQLSTATE (appendix A of its manual); pg puts it in its DatabaseError's `code`, Prisma's driver
 * adapter in the `cause` of the DriverAdapterError a model query throws, and a raw query's
 * P2010 in `meta.driverAdapterError.cause` (as `originalCode`, and as `code` too unless the adapter
 * named the error itself, e.g. a unique violation). Prisma's own codes (P2002…) are not SQLSTATEs:
 * a Prisma error's `code` is never read as one.
 */
export const UNIQUE_VIOLATION = '23505';
/** A statement cancelled: by its `statement_timeout`, or by a cancel request. */
export const QUERY_CANCELED = '57014';
const FEATURE_NOT_SUPPORTED = '0A000';

interface AdapterCause {
  originalCode?: unknown;
  code?: unknown;
}
interface Reported {
  code?: unknown;
  clientVersion?: unknown;
  cause?: AdapterCause;
  meta?: { driverAdapterError?: { cause?: AdapterCause } };
}

/**
 * A prepared statement whose result's columns changed since it was prepared (a migration altered
 * a column it reads): PostgreSQL refuses it in that session for good (`feature_not_supported`).
 */
export function isStalePlan(err: unknown): boolean {
  return sqlState(err) === FEATURE_NOT_SUPPORTED && /cached plan must not change result type/.test(String(err));
}

export function sqlState(err: unknown): string | undefined {
  const e = (err ?? undefined) as Reported | undefined;
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const adapter = (c: AdapterCause | undefined) => text(c?.originalCode) ?? text(c?.code);
  return (
    (e?.clientVersion === undefined ? text(e?.code) : undefined) ??
    adapter(e?.cause) ??
    adapter(e?.meta?.driverAdapterError?.cause)
  );
}
