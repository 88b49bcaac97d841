/**
 * The one place where settings are read. Every variable is documented in `.env.example`; the
 * defaults start the embedded stack (embedded PostgreSQL, Temporal dev server, Powens sandbox,
 * mail sink) so that `npm start` needs no configuration at all.
 *
 * `loadConfig(env)` is pure: it parses the object it is given, which makes it testable and lets
 * the start script compute the settings of each child process. The variables themselves (names,
 * checks, defaults) are in lib/config-schema.ts, their meaning and production's demands in
 * lib/config-variables.ts.
 */
import type { z } from 'zod';
import { configSchema, POWENS_WEBHOOK_ROUTE, SANDBOX_WEBHOOK_SECRET } from './config-schema';
import { productionRefusals } from './config-variables';
import { stickyCacheSize } from './sticky-cache';

export {
  CFONB_ACCOUNT_TYPES,
  configSchema,
  POWENS_WEBHOOK_ROUTE,
  PUBLIC_SECRETS,
  SANDBOX_WEBHOOK_SECRET,
} from './config-schema';
export { productionRefusals, renderEnvExample, VARIABLES } from './config-variables';

export type RawConfig = z.infer<typeof configSchema>;

export interface Config extends RawConfig {
  /** The worker's sticky cache: WORKER_MAX_CACHED_WORKFLOWS, else sized from WORKER_MEMORY_BUDGET_MB. */
  workerMaxCachedWorkflows: number;
  /** True when no DATABASE_URL is given: the embedded PostgreSQL is started under DATA_DIR. */
  embeddedPostgres: boolean;
  /** True when no TEMPORAL_ADDRESS is given: the Temporal dev server is started under DATA_DIR. */
  embeddedTemporal: boolean;
  temporalAddress: string;
  temporalWebUrl: string;
  publicBaseUrl: string;
  powensBaseUrl: string;
  /** Root of the webview (flows under it: /connect, /reconnect, /manage); see defaultWebviewUrl. */
  powensWebviewUrl: string;
  /**
   * The HMAC secret of Powens' BI-Signature: POWENS_WEBHOOK_SECRET, or the sandbox's outside
   * production; null when production relies on the Bearer user token only.
   */
  powensWebhookSecret: string | null;
  /**
   * The URL registered at Powens for each event, without the event: `<this>/<EVENT>`. Its path is
   * what BI-Signature covers, whatever path a proxy forwards the request to.
   */
  powensWebhookBaseUrl: string;
  /** True when Powens is our local sandbox (no POWENS_BASE_URL given). */
  powensSandbox: boolean;
  postmarkApiUrl: string;
  /** True when Postmark is our local mail sink (no POSTMARK_API_URL given). */
  mailSink: boolean;
}

export class ConfigError extends Error {
  constructor(readonly issues: Array<{ variable: string; reason: string }>) {
    super(
      'Invalid configuration:\n' +
        issues.map((i) => `  ${i.variable}: ${i.reason}`).join('\n') +
        '\n(see .env.example for every variable and its default)',
    );
    this.name = 'ConfigError';
  }
}

/**
 * The webview when POWENS_WEBVIEW_URL is not set: Powens' own (https://webview.powens.com, the
 * `domain` parameter naming the API domain, as the official SDK's WebviewClient builds it) for a
 * real Powens API (`https://<domain>.biapi.pro/2.0`); the webview next to any other configured API
 * (a Powens sandbox server elsewhere: `<origin>/webview`); the local sandbox's only when no
 * POWENS_BASE_URL is configured at all.
 */
export function defaultWebviewUrl(powensBaseUrl: string | undefined, sandboxPort: number): string {
  if (powensBaseUrl === undefined) return `http://localhost:${sandboxPort}/webview`;
  const base = new URL(powensBaseUrl);
  if (POWENS_API_HOST.test(base.hostname)) return POWENS_WEBVIEW;
  return `${base.origin}/webview`;
}

/** A Powens API host: `<domain>.biapi.pro`, the domain in lowercase letters, digits and single hyphens. */
export const POWENS_API_HOST = /^[a-z\d]+(?:-[a-z\d]+)*\.biapi\.pro$/;
const POWENS_WEBVIEW = 'https://webview.powens.com';

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable means "not set" (as in docker-compose `FOO=`), never the empty string.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')) as Record<
    string,
    string
  >;
  const parsed = configSchema.safeParse(cleaned);
  const issues = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? '(root)'), reason: i.message }));
  if (cleaned.NODE_ENV === 'production') {
    const named = new Set(issues.map((i) => i.variable));
    issues.push(...productionRefusals(cleaned).filter((r) => !named.has(r.variable)));
  }
  if (!parsed.success || issues.length) throw new ConfigError(issues);
  const c = parsed.data;
  const local = (p: number) => `http://127.0.0.1:${p}`;
  const publicBaseUrl = (c.PUBLIC_BASE_URL ?? `http://localhost:${c.API_PORT}`).replace(/\/$/, '');
  return {
    ...c,
    embeddedPostgres: c.DATABASE_URL === undefined,
    embeddedTemporal: c.TEMPORAL_ADDRESS === undefined,
    temporalAddress: c.TEMPORAL_ADDRESS ?? `127.0.0.1:${c.TEMPORAL_DEV_SERVER_PORT}`,
    temporalWebUrl: c.TEMPORAL_WEB_URL ?? `http://localhost:${c.TEMPORAL_UI_PORT}`,
    publicBaseUrl,
    workerMaxCachedWorkflows: c.WORKER_MAX_CACHED_WORKFLOWS ?? stickyCacheSize(c.WORKER_MEMORY_BUDGET_MB),
    powensBaseUrl: (c.POWENS_BASE_URL ?? `${local(c.POWENS_SANDBOX_PORT)}/2.0`).replace(/\/$/, ''),
    powensWebviewUrl: (c.POWENS_WEBVIEW_URL ?? defaultWebviewUrl(c.POWENS_BASE_URL, c.POWENS_SANDBOX_PORT)).replace(
      /\/$/,
      '',
    ),
    powensSandbox: c.POWENS_BASE_URL === undefined,
    powensWebhookSecret: c.POWENS_WEBHOOK_SECRET ?? (c.NODE_ENV === 'production' ? null : SANDBOX_WEBHOOK_SECRET),
    powensWebhookBaseUrl: (c.POWENS_WEBHOOK_BASE_URL ?? `${publicBaseUrl}${POWENS_WEBHOOK_ROUTE}`).replace(/\/+$/, ''),
    postmarkApiUrl: (c.POSTMARK_API_URL ?? local(c.MAIL_SINK_PORT)).replace(/\/$/, ''),
    mailSink: c.POSTMARK_API_URL === undefined,
  };
}
