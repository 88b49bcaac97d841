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
/** The detail of a request whose fields (`errors`) are invalid: a body, a query, a path parameter. */
export const INVALID_FIELDS = 'La requête contient des champs invalides.';
export const invalidFields = (errors: FieldError[]) => badRequest(INVALID_FIELDS, errors);
export const unauthorized = (detail = 'Authentification requise.') => new HttpError(401, 'Unauthorized', detail);
export const forbidden = (detail = 'Action non autorisée pour ce compte.') => new HttpError(403, 'Forbidden', detail);
export const conflict = (detail: string, errors?: FieldError[]) => new HttpError(409, 'Conflict', detail, errors);

/**
 * A request the HTTP layer could not read (body-parser, Express' router: `http-errors` with a 4xx
 * status): unreadable or oversize body, unsupported encoding or charset, malformed URL. Null for
 * anything else. `what` names what was sent, for the French detail ("Le formulaire envoyé").
 */
export function unreadableRequest(err: unknown, what = 'Le corps de la requête'): HttpError | null {
  const e = err as { status?: unknown; type?: unknown; expose?: unknown } | null;
  if (!e || typeof e.status !== 'number' || e.status < 400 || e.status >= 500 || e.expose === false) return null;
  // Only these: any other client error (401, 403, 404…) is not about reading the request.
  if (![400, 413, 415].includes(e.status)) return null;
  if (err instanceof HttpError) return null;
  if (e.status === 413)
    return new HttpError(
      413,
      'Payload Too Large',
      `${what} est trop volumineux${e.type === 'parameters.too.many' ? ' (trop de champs)' : ''}.`,
    );
  if (e.status === 415)
    return new HttpError(
      415,
      'Unsupported Media Type',
      `${what} utilise un encodage ou un jeu de caractères non pris en charge.`,
    );
  if (e.type === 'entity.parse.failed')
    return new HttpError(
      400,
      'Bad Request',
      what === 'Le corps de la requête' ? "Le corps de la requête n'est pas un JSON valide." : `${what} est illisible.`,
    );
  if (typeof e.type === 'string' || !/decode param/i.test(String((err as Error).message)))
    return new HttpError(400, 'Bad Request', `${what} est illisible ou incomplet.`);
  return new HttpError(400, 'Bad Request', "L'adresse de la requête est invalide.");
}
