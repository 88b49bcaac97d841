/**
 * Declaring an operation once gives three things: the Express route, its validation (zod schemas
 * parsed by `validate`, which REPLACES req.params/query/body with the parsed values) and its
 * OpenAPI 3.1 description (api/openapi.ts reads the same registry). Handlers receive the parsed
 * values typed, throw HttpError for anything that is not a success, and either write the response
 * themselves or return the JSON body.
 */
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import type { UserRight } from '../db/client';
import { invalidFields, type FieldError } from './errors';
import { authOf, type AuthContext } from './auth-context';
import { forbidden } from './errors';

export const frenchErrors = z.locales.fr().localeError;

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json when a schema is given. */
  contentType?: string;
}

export interface OperationSpec<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
> {
  method: Method;
  /** OpenAPI-style path relative to /api/v1, e.g. `/companies/{id}`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Raw request bodies (e.g. text/csv): documented only, the handler reads the stream. */
  rawBody?: { contentType: string; description: string };
  /** false for the login route (no authentication). */
  auth?: boolean;
  /** Any of these rights (API keys hold every right). */
  rights?: UserRight[];
  /** Status of a returned body (200 by default). */
  status?: number;
  responses: Record<number, ResponseSpec>;
  middleware?: RequestHandler[];
  handler: (ctx: HandlerContext<Out<P>, Out<Q>, Out<B>>) => unknown | Promise<unknown>;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface HandlerContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  auth: AuthContext;
  req: Request;
  res: Response;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOperation = OperationSpec<any, any, any>;

/** Parses params, query and body, all issues reported together with their field names. */
export function validate(schemas: { params?: z.ZodType; query?: z.ZodType; body?: z.ZodType }): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const errors: FieldError[] = [];
    const parsed: Partial<Record<'params' | 'query' | 'body', unknown>> = {};
    for (const part of ['params', 'query', 'body'] as const) {
      const schema = schemas[part];
      if (!schema) continue;
      const input = part === 'body' ? (req.body ?? {}) : req[part];
      const r = schema.safeParse(input, { error: frenchErrors });
      if (r.success) parsed[part] = r.data;
      else errors.push(...zodFieldErrors(r.error));
    }
    if (errors.length) throw invalidFields(errors);
    if ('params' in parsed) req.params = parsed.params as Request['params'];
    // Express 5 defines `query` as a getter: replace it on the request object itself.
    if ('query' in parsed)
      Object.defineProperty(req, 'query', {
        value: parsed.query,
        writable: true,
        configurable: true,
        enumerable: true,
      });
    if ('body' in parsed) req.body = parsed.body;
    next();
  };
}

export function zodFieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((i) => ({ field: i.path.map(String).join('.') || '(corps)', reason: i.message }));
}

/** Collects operations, mounts them on a router and keeps them for the OpenAPI document. */
export class ApiRegistry {
  readonly operations: AnyOperation[] = [];

  constructor(
    private readonly router: Router,
    private readonly authenticate: RequestHandler,
  ) {}

  op<
    P extends z.ZodType | undefined = undefined,
    Q extends z.ZodType | undefined = undefined,
    B extends z.ZodType | undefined = undefined,
  >(spec: OperationSpec<P, Q, B>): void {
    this.operations.push(spec as AnyOperation);
    const expressPath = spec.path.replace(/\{(\w+)\}/g, ':$1');
    const chain: RequestHandler[] = [];
    if (spec.auth !== false) chain.push(this.authenticate);
    if (spec.rights?.length) chain.push(requireRights(spec.rights));
    chain.push(...(spec.middleware ?? []));
    chain.push(validate({ params: spec.params, query: spec.query, body: spec.body }));
    chain.push(async (req, res) => {
      const result = await spec.handler({
        params: req.params as never,
        query: req.query as never,
        body: req.body as never,
        auth: spec.auth === false ? (undefined as never) : authOf(res),
        req,
        res,
      });
      if (!res.headersSent && result !== undefined) res.status(spec.status ?? 200).json(result);
      else if (!res.headersSent) res.status(spec.status ?? 204).end();
    });
    this.router[spec.method](expressPath, ...chain);
  }
}

export function requireRights(rights: UserRight[]): RequestHandler {
  return (_req, res, next) => {
    const auth = authOf(res);
    if (auth.rights.has('ADMIN') || rights.some((r) => auth.rights.has(r))) return next();
    throw forbidden("Votre profil n'a pas le droit d'effectuer cette action.");
  };
}
