/**
 * Typed Powens errors. Powens answers errors with `{code, description, message?, request_id?}`
 * (ServiceError); we also turn transport failures (timeouts, refused connections) and responses
 * that do not match the documented schema into a `PowensError`, so callers handle one type.
 *
 * `retryable` tells whether the same call may succeed later without anyone doing anything:
 * 5xx, 429, timeouts and network failures, and the codes that say "busy, try later". Everything
 * else (bad token, unknown id, wrongpass…) is not: retrying would only repeat the error.
 */

/** Codes that are not Powens' own, for failures that carry no Powens body. */
export type PowensLocalErrorCode = 'timeout' | 'network' | 'invalidResponse' | 'httpError';

/** Powens error codes (SDK ServiceErrorCode + the docs' common codes). Others may appear. */
export const POWENS_ERROR_CODES = [
  'noAccount',
  'wrongpass',
  'websiteUnavailable',
  'tooManySync',
  'connectionLocked',
  'bankMessage',
  'actionNeeded',
  'bug',
  'notSupported',
  'config',
  'keymanager',
  'dataError',
  'forbidden',
  'missingParameter',
  'invalidValue',
  'methodNotAllowed',
] as const;

const RETRYABLE_CODES = new Set(['websiteUnavailable', 'tooManySync', 'connectionLocked', 'bug', 'rateLimiting']);

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status !== 501);
}

export class PowensError extends Error {
  override readonly name = 'PowensError';
  /** Powens' `code` (e.g. `wrongpass`, `noAccount`), or a local code when there is no Powens body. */
  readonly code: string;
  /** HTTP status; 0 when no response was received (timeout, network). */
  readonly status: number;
  /** Powens' technical `description`. */
  readonly description: string;
  /** Powens' `message`: an untranslated end-user message from the bank, if any. */
  readonly bankMessage: string | null;
  readonly requestId: string | null;
  readonly retryable: boolean;
  /** From a 429/503 `Retry-After` header, in milliseconds. */
  readonly retryAfterMs: number | null;
  readonly method: string;
  /** Path of the request (no host, no query: tokens never appear in errors). */
  readonly path: string;
  /** How many attempts were made before giving up. */
  readonly attempts: number;

  constructor(init: {
    code: string;
    status: number;
    description: string;
    bankMessage?: string | null;
    requestId?: string | null;
    retryable?: boolean;
    retryAfterMs?: number | null;
    method: string;
    path: string;
    attempts?: number;
    cause?: unknown;
  }) {
    super(
      `Powens ${init.method} ${init.path}: ${init.status ? `HTTP ${init.status} ` : ''}${init.code}: ${init.description}`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.code = init.code;
    this.status = init.status;
    this.description = init.description;
    this.bankMessage = init.bankMessage ?? null;
    this.requestId = init.requestId ?? null;
    this.retryable = init.retryable ?? (isRetryableStatus(init.status) || RETRYABLE_CODES.has(init.code));
    this.retryAfterMs = init.retryAfterMs ?? null;
    this.method = init.method;
    this.path = init.path;
    this.attempts = init.attempts ?? 1;
  }

  /** A copy with the final attempt count (the client sets it when it gives up). */
  withAttempts(attempts: number): PowensError {
    return new PowensError({ ...this.toInit(), attempts, cause: this.cause });
  }

  private toInit() {
    return {
      code: this.code,
      status: this.status,
      description: this.description,
      bankMessage: this.bankMessage,
      requestId: this.requestId,
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
      method: this.method,
      path: this.path,
    };
  }

  toJSON() {
    return { name: this.name, message: this.message, ...this.toInit(), attempts: this.attempts };
  }
}

export function isPowensError(e: unknown): e is PowensError {
  return e instanceof PowensError;
}
