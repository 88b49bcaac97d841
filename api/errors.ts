/**
 * Errors handlers throw; one middleware (api/app.ts) turns them into RFC 9457 problem+json with a
 * French `detail` (and, for validation errors, the list of fields with their reason).
 */
export interface FieldError {
  /** The field as named in the request (e.g. `siren`, `periodicity.day`). */
  field: string;
  reason: string;
  /** Import reports: line of the file (1-based) and column (field number of Annexe 1). */
  line?: number;
  column?: number;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors?: FieldError[],
  ) {
    super(detail);
    this.name = 'HttpError';
  }
}

export const notFound = (what = 'Ressource') => new HttpError(404, 'Not Found', `${what} introuvable.`);
export const badRequest = (detail: string, errors?: FieldError[]) => new HttpError(400, 'Bad Request', detail, errors);
export const unauthorized = (detail = 'Authentification requise.') => new HttpError(401, 'Unauthorized', detail);
export const forbidden = (detail = 'Action non autorisée pour ce compte.') => new HttpError(403, 'Forbidden', detail);
export const conflict = (detail: string, errors?: FieldError[]) => new HttpError(409, 'Conflict', detail, errors);
