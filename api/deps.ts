/**
 * What the API is built from: the dependencies the process (api/server.ts) or a test hands to
 * createApp, and the context every /api/v1 resource's routes are declared with. Types only, so
 * that app.ts, v1.ts, the routes and the public handlers all depend on this file and never on
 * each other.
 */
import type { Client as TemporalClient } from '@temporalio/client';
import type { RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { Db } from '../db/client';
import type { ApiRegistry } from './http';
import type { PowensWebviews } from './powens';

export interface RateLimits {
  /** Login attempts per IP per 15 minutes (default 10). */
  login?: number;
  /** Links/connection URLs per portal account per hour (default 100). */
  links?: number;
  /** Company link pages (/l/:token, GET and POST) per IP per 10 minutes (default 30). */
  linkPages?: number;
}

export interface AppDeps {
  config: Config;
  prisma: Db;
  temporal: TemporalClient;
  logger: Logger;
  /** Powens webviews and reads (absent: /connect, /reconnect, link pages and callback answer 503). */
  powens?: PowensWebviews;
  /** Rate limits of the login and link endpoints (defaults in api/v1.ts). */
  rateLimits?: RateLimits;
  /**
   * The time a link's validity is judged at (default: the machine's clock). Tests whose workflows
   * run on a skipped Temporal clock pass that clock, since links are dated by the workflow.
   */
  clock?: () => Date;
  /**
   * The registry GET /metrics serves (api/server.ts passes one with the process metrics); absent,
   * the app builds one with the HTTP, webhook and database metrics only.
   */
  metrics?: Registry;
}

/** What each resource's routes (api/routes/) are declared with. */
export interface RouteContext {
  api: ApiRegistry;
  deps: AppDeps;
  limiters: { login: RequestHandler; links: RequestHandler };
}
