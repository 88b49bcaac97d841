/**
 * The one place where settings are read. Every variable is documented in `.env.example`; the
 * defaults start the embedded stack (embedded PostgreSQL, Temporal dev server, Powens sandbox,
 * mail sink) so that `npm start` needs no configuration at all.
 *
 * `loadConfig(env)` is pure: it parses the object it is given, which makes it testable and lets
 * the start script compute the settings of each child process.
 */
import { z } from 'zod';
import { deploymentShape } from './deployment-config';

const DEV_ENCRYPTION_KEY = 'ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM='; // "dev-only-encryption-key-32-bytes"
const DEV_SESSION_SECRET = 'dev-only-session-secret-change-me-in-production';
/** The HMAC secret the local Powens sandbox signs its webhooks with (never valid in production). */
export const SANDBOX_WEBHOOK_SECRET = 'sandbox-webhook-secret-0123456789';
/**
 * The Powens account types (powens-sdks bank-account-types.yml) the webview offers by default: the
 * deposit accounts of a bank, which carry an IBAN (a French RIB), what a CFONB120 statement is
 * written for (its records need the bank, branch and account numbers): `checking` (current
 * accounts), `joint` (joint current accounts), `savings` (passbook savings, "livrets") and
 * `deposit` (term deposits). Left out: `card` (a card number, no IBAN; a deferred card's debit
 * shows on its parent checking account), `loan`, the investment types (`market`, `pea`,
 * `lifeinsurance`, `pee`, `per`…: no IBAN at Powens/woob) and `unknown`. Other accounts stay
 * disabled at Powens, as its webview does with `account_types`.
 */
export const CFONB_ACCOUNT_TYPES = ['checking', 'joint', 'savings', 'deposit'] as const;

/** The path our Powens webhook endpoint is served at (api/public/router.ts), one URL per event under it. */
export const POWENS_WEBHOOK_ROUTE = '/powens/webhooks';

const port = z.coerce.number().int().min(1, 'must be a TCP port (1-65535)').max(65535, 'must be a TCP port (1-65535)');
const url = z.url({ message: 'must be an absolute URL (http:// or https://)' });
const hostPort = z.string().regex(/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:7233');
const base64Key = z.string().refine((v) => Buffer.from(v, 'base64').length === 32, {
  message: 'must be 32 bytes encoded in base64 (e.g. `openssl rand -base64 32`)',
});

export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DATA_DIR: z.string().min(1).default('.data'),

    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
      .optional(),
    EMBEDDED_POSTGRES_PORT: port.default(5544),

    TEMPORAL_ADDRESS: hostPort.optional(),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('bank-connections'),
    TEMPORAL_DEV_SERVER_PORT: port.default(7233),
    TEMPORAL_UI_PORT: port.default(8233),
    TEMPORAL_WEB_URL: url.optional(),
    WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(1000),
    WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).default(50),
    WORKER_SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(0).default(30),

    API_HOST: z.string().min(1).default('127.0.0.1'),
    API_PORT: port.default(3000),
    PUBLIC_BASE_URL: url.optional(),

    POWENS_BASE_URL: url.optional(),
    POWENS_WEBVIEW_URL: url.optional(),
    POWENS_CLIENT_ID: z
      .string()
      .regex(/^\d+$/, 'must be the numeric client id of the Powens application')
      .default('10000001'),
    POWENS_CLIENT_SECRET: z.string().min(1).default('sandbox-client-secret'),
    POWENS_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    POWENS_WEBHOOK_BASE_URL: url.optional(),
    POWENS_WEBHOOK_MAX_AGE_SECONDS: z.coerce
      .number()
      .int()
      .min(60, 'must be at least 60 seconds')
      .default(3 * 24 * 3600),
    POWENS_WEBHOOK_BEARER: z
      .enum(['true', 'false'], { message: 'must be true or false' })
      .default('false')
      .transform((v) => v === 'true'),
    POWENS_WEBVIEW_ACCOUNT_TYPES: z
      .string()
      .regex(/^(all|[a-z_]+(,[a-z_]+)*)$/, 'must be a comma list of Powens account types, or all')
      .default(CFONB_ACCOUNT_TYPES.join(','))
      .transform((v) => (v === 'all' ? [] : v.split(','))),
    POWENS_WEBVIEW_ACCOUNT_USAGES: z
      .string()
      .regex(/^(PRIV|ORGA|ASSO)(,(PRIV|ORGA|ASSO))*$/, 'must be a comma list of PRIV, ORGA, ASSO')
      .optional()
      .transform((v) => (v === undefined ? [] : v.split(','))),
    POWENS_SANDBOX_PORT: port.default(3100),

    POSTMARK_SERVER_TOKEN: z.string().min(1).default('sandbox-postmark-token'),
    POSTMARK_API_URL: url.optional(),
    POSTMARK_FROM: z.string().min(3).default('Relevés <releves@localhost>'),
    POSTMARK_MESSAGE_STREAM: z.string().min(1).default('outbound'),
    POSTMARK_WEBHOOK_SECRET: z
      .string()
      .min(16, 'must be at least 16 characters')
      .default('sandbox-postmark-webhook-secret'),
    MAIL_SINK_PORT: port.default(3200),
    SUPPORT_EMAIL: z.email({ message: 'must be an e-mail address' }).default('support@releves.example'),
    SUPPORT_PHONE: z.string().min(1).optional(),

    ENCRYPTION_KEY: base64Key.default(DEV_ENCRYPTION_KEY),
    SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').default(DEV_SESSION_SECRET),

    // External Temporal (TLS, API key), pool sizes, metrics: lib/deployment-config.ts.
    ...deploymentShape,
  })
  .superRefine((c, ctx) => {
    if (c.NODE_ENV !== 'production') return;
    const required: Array<[keyof typeof c, unknown]> = [
      ['DATABASE_URL', c.DATABASE_URL],
      ['TEMPORAL_ADDRESS', c.TEMPORAL_ADDRESS],
      ['POWENS_BASE_URL', c.POWENS_BASE_URL],
      ['POSTMARK_API_URL', c.POSTMARK_API_URL],
      ['PUBLIC_BASE_URL', c.PUBLIC_BASE_URL],
    ];
    for (const [name, value] of required) {
      if (value === undefined) ctx.addIssue({ code: 'custom', path: [name], message: 'is required in production' });
    }
    if (c.ENCRYPTION_KEY === DEV_ENCRYPTION_KEY)
      ctx.addIssue({
        code: 'custom',
        path: ['ENCRYPTION_KEY'],
        message: 'must not be the development key in production',
      });
    if (c.POWENS_WEBHOOK_SECRET === undefined && !c.POWENS_WEBHOOK_BEARER)
      ctx.addIssue({
        code: 'custom',
        path: ['POWENS_WEBHOOK_SECRET'],
        message:
          'is required in production (the secret_key of the HMAC provider created with POST /webhooks/auth), unless POWENS_WEBHOOK_BEARER=true',
      });
    if (c.POWENS_WEBHOOK_SECRET === SANDBOX_WEBHOOK_SECRET)
      ctx.addIssue({
        code: 'custom',
        path: ['POWENS_WEBHOOK_SECRET'],
        message: 'must not be the sandbox secret in production',
      });
    if (c.SESSION_SECRET === DEV_SESSION_SECRET)
      ctx.addIssue({
        code: 'custom',
        path: ['SESSION_SECRET'],
        message: 'must not be the development secret in production',
      });
  });

export type RawConfig = z.infer<typeof configSchema>;

export interface Config extends RawConfig {
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
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? '(root)'), reason: i.message })),
    );
  }
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
