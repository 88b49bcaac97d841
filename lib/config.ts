/**
 * The one place where settings are read. Every variable is documented in `.env.example`; the
 * defaults start the embedded stack (embedded PostgreSQL, Temporal dev server, Powens sandbox,
 * mail sink) so that `npm start` needs no configuration at all.
 *
 * `loadConfig(env)` is pure: it parses the object it is given, which makes it testable and lets
 * the start script compute the settings of each child process.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { deploymentShape } from './deployment-config';

const DEV_ENCRYPTION_KEY = 'ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM='; // "dev-only-encryption-key-32-bytes"
const DEV_SESSION_SECRET = 'dev-only-session-secret-change-me-in-production';
const DEV_POWENS_CLIENT_SECRET = 'sandbox-client-secret';
const DEV_POSTMARK_SERVER_TOKEN = 'sandbox-postmark-token';
const DEV_POSTMARK_WEBHOOK_SECRET = 'sandbox-postmark-webhook-secret';
/** The HMAC secret the local Powens sandbox signs its webhooks with (never valid in production). */
export const SANDBOX_WEBHOOK_SECRET = 'sandbox-webhook-secret-0123456789';
/** Postmark's documented test token: accepted by Postmark, delivers nothing. */
const POSTMARK_TEST_TOKEN = 'POSTMARK_API_TEST';
/**
 * Every secret value that is public (in this repository or in Postmark's documentation): none of
 * them may protect a production deployment, whichever variable it is given to.
 */
export const PUBLIC_SECRETS: readonly string[] = [
  DEV_ENCRYPTION_KEY,
  DEV_SESSION_SECRET,
  DEV_POWENS_CLIENT_SECRET,
  DEV_POSTMARK_SERVER_TOKEN,
  DEV_POSTMARK_WEBHOOK_SECRET,
  SANDBOX_WEBHOOK_SECRET,
  POSTMARK_TEST_TOKEN,
];
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

/** Names proxy-addr (Express) understands for whole address ranges. */
const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);
/** An address, a CIDR block (address/prefix) or one of PROXY_RANGES. */
function isProxyAddress(v: string): boolean {
  if (PROXY_RANGES.has(v)) return true;
  const [address, prefix, ...rest] = v.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY: which peers may tell the client's address (X-Forwarded-For) and protocol
 * (X-Forwarded-Proto), given to Express as `trust proxy`. Off by default: the peer's own address
 * is the client's, and a forged X-Forwarded-For changes nothing. A hop count (the number of
 * proxies in front of the API), or the proxies' addresses and CIDR blocks. `true` (trust any peer)
 * is refused: every client could then choose its address and escape the rate limits.
 */
const trustProxy = z
  .string()
  .trim()
  .default('false')
  .superRefine((v, ctx) => {
    if (v === 'false' || /^\d{1,2}$/.test(v)) return;
    if (v === 'true')
      return void ctx.addIssue({
        code: 'custom',
        message:
          'true would trust any peer’s X-Forwarded-For (every client could choose its address): give the number of proxies or their addresses',
      });
    const bad = v.split(',').filter((item) => !isProxyAddress(item.trim()));
    if (bad.length)
      ctx.addIssue({
        code: 'custom',
        message: `must be false, a hop count, or a comma list of addresses, CIDR blocks, loopback, linklocal, uniquelocal (not ${bad.join(', ')})`,
      });
  })
  .transform((v): false | number | string[] =>
    v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v.split(',').map((x) => x.trim()),
  );

export const configSchema = z.object({
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
  TRUST_PROXY: trustProxy,
  SESSION_IDLE_MINUTES: z.coerce
    .number()
    .int()
    .min(1, 'must be at least 1 minute')
    .max(12 * 60, 'must be at most 720 minutes (the absolute session lifetime is 12 hours)')
    .default(30),

  POWENS_BASE_URL: url.optional(),
  POWENS_WEBVIEW_URL: url.optional(),
  POWENS_CLIENT_ID: z
    .string()
    .regex(/^\d+$/, 'must be the numeric client id of the Powens application')
    .default('10000001'),
  POWENS_CLIENT_SECRET: z.string().min(1).default(DEV_POWENS_CLIENT_SECRET),
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

  POSTMARK_SERVER_TOKEN: z.string().min(1).default(DEV_POSTMARK_SERVER_TOKEN),
  POSTMARK_API_URL: url.optional(),
  POSTMARK_FROM: z.string().min(3).default('Relevés <releves@localhost>'),
  POSTMARK_MESSAGE_STREAM: z.string().min(1).default('outbound'),
  POSTMARK_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').default(DEV_POSTMARK_WEBHOOK_SECRET),
  MAIL_SINK_PORT: port.default(3200),
  SUPPORT_EMAIL: z.email({ message: 'must be an e-mail address' }).default('support@releves.example'),
  SUPPORT_PHONE: z.string().min(1).optional(),

  ENCRYPTION_KEY: base64Key.default(DEV_ENCRYPTION_KEY),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').default(DEV_SESSION_SECRET),

  // External Temporal (TLS, API key), pool sizes, metrics: lib/deployment-config.ts.
  ...deploymentShape,
});

type Variable = keyof typeof configSchema.shape;

/**
 * What `.env.example` says of each variable (test/foundation/config.test.ts checks the file against
 * this and the schema: `npx tsx scripts/env-example.ts > .env.example` writes it). `production`:
 * `required` (a service or address production cannot guess), `secret` (required, never one of
 * PUBLIC_SECRETS nor another secret's value), else optional.
 */
export const VARIABLES: Record<
  Variable,
  {
    /** Starts a group of lines in .env.example. */
    section?: string;
    /** What the variable means. */
    doc: string;
    production?: 'required' | 'secret';
    /** Why production refuses to start without it (the second half of the refusal). */
    why?: string;
  }
> = {
  NODE_ENV: {
    section: 'Process',
    doc: 'development | test | production. production refuses every unset or public secret and the embedded stand-ins.',
  },
  LOG_LEVEL: { doc: 'fatal | error | warn | info | debug | trace | silent' },
  DATA_DIR: { doc: 'Where the embedded stack keeps its data (PostgreSQL, Temporal’s SQLite file, demo.json).' },
  DATABASE_URL: {
    section: 'PostgreSQL',
    doc: 'postgresql:// URL. Unset: an embedded PostgreSQL 17 is started under DATA_DIR/postgres.',
    production: 'required',
    why: 'production never starts an embedded PostgreSQL',
  },
  EMBEDDED_POSTGRES_PORT: { doc: 'Port of the embedded PostgreSQL (only when DATABASE_URL is unset).' },
  TEMPORAL_ADDRESS: {
    section: 'Temporal',
    doc: 'Temporal frontend host:port. Unset: the Temporal dev server is started (built once with go install).',
    production: 'required',
    why: 'production never starts the Temporal dev server',
  },
  TEMPORAL_NAMESPACE: { doc: 'Temporal namespace of the workflows.' },
  TEMPORAL_TASK_QUEUE: { doc: 'Task queue of the bank-connection workflows and their activities.' },
  TEMPORAL_DEV_SERVER_PORT: { doc: 'Port of the embedded Temporal dev server (only when TEMPORAL_ADDRESS is unset).' },
  TEMPORAL_UI_PORT: { doc: 'Port of the embedded Temporal Web UI (only when TEMPORAL_ADDRESS is unset).' },
  TEMPORAL_WEB_URL: { doc: 'Link to Temporal Web shown to ops (default http://localhost:TEMPORAL_UI_PORT).' },
  WORKER_MAX_CACHED_WORKFLOWS: { doc: 'Worker: sticky workflow cache size.' },
  WORKER_MAX_CONCURRENT_ACTIVITIES: { doc: 'Worker: activities run at once.' },
  WORKER_SHUTDOWN_GRACE_SECONDS: { doc: 'Worker: seconds given to running activities on SIGTERM.' },
  API_HOST: { section: 'API + portal', doc: 'Interface the API and portal listen on.' },
  API_PORT: { doc: 'Port the API and portal listen on.' },
  PUBLIC_BASE_URL: {
    doc: 'Public origin used in e-mailed links, the Powens redirect_uri and the session cookie (Secure when https). Default http://localhost:API_PORT.',
    production: 'required',
    why: 'e-mailed links and the Powens redirect_uri would point at localhost',
  },
  TRUST_PROXY: {
    doc: 'Which peers may give the client address and protocol (X-Forwarded-For, X-Forwarded-Proto) for rate limits, logs, audit and Secure cookies: false (default: the peer is the client, forwarded headers are ignored), a hop count (e.g. 1 for one reverse proxy), or a comma list of addresses and CIDR blocks (e.g. 10.0.0.0/8,loopback). true is refused.',
  },
  SESSION_IDLE_MINUTES: {
    doc: 'A portal session unused this many minutes is closed (the absolute lifetime stays 12 hours).',
  },
  POWENS_BASE_URL: {
    section: 'Powens',
    doc: 'Powens API, https://<domain>.biapi.pro/2.0. Unset: the local Powens sandbox is started on POWENS_SANDBOX_PORT.',
    production: 'required',
    why: 'production never talks to the local Powens sandbox',
  },
  POWENS_WEBVIEW_URL: {
    doc: 'Webview base URL. Unset: https://webview.powens.com for a real POWENS_BASE_URL (the webview gets domain=<domain>), <origin>/webview for another POWENS_BASE_URL, the local sandbox’s without one.',
  },
  POWENS_CLIENT_ID: {
    doc: 'Numeric client id of the Powens application.',
    production: 'required',
    why: 'the default is the sandbox’s application',
  },
  POWENS_CLIENT_SECRET: {
    doc: 'Client secret of the Powens application (Powens console). Unset outside production: the sandbox’s.',
    production: 'secret',
    why: 'it authenticates this application at Powens',
  },
  POWENS_WEBHOOK_SECRET: {
    doc: 'Secret of the webhook BI-Signature (HMAC-SHA256): the secret_key Powens returns once when the HMAC provider is created (POST /webhooks/auth, see README "Powens webhooks"), at least 16 characters. Unset outside production: the sandbox’s. In production it may be left unset only with POWENS_WEBHOOK_BEARER=true.',
    production: 'secret',
    why: 'it authenticates Powens’ webhooks',
  },
  POWENS_WEBHOOK_BASE_URL: {
    doc: 'The webhook URL registered at Powens, without the event (one URL per event: <this>/<EVENT>); its path is what BI-Signature covers. Default PUBLIC_BASE_URL/powens/webhooks.',
  },
  POWENS_WEBHOOK_MAX_AGE_SECONDS: {
    doc: 'How old a webhook’s signed date (BI-Signature-Date) may be, in seconds (default 3 days: Powens retries failed deliveries; replays are refused by id_webhook_data).',
  },
  POWENS_WEBHOOK_BEARER: {
    doc: 'true: also accept Powens’ default webhook authentication, Authorization: Bearer <user token>, checked against the stored token of the company the webhook is about (webhooks without an HMAC provider; their body must not be compressed).',
  },
  POWENS_WEBVIEW_ACCOUNT_TYPES: {
    doc: 'Account types the webview offers (comma list; all: no filter): by default the ones that can get a CFONB120 statement, deposit accounts with an IBAN (CFONB_ACCOUNT_TYPES).',
  },
  POWENS_WEBVIEW_ACCOUNT_USAGES: {
    doc: 'Account usages the webview offers (comma list of PRIV, ORGA, ASSO; unset: all, since a sole trader’s business account is often declared PRIV by the bank).',
  },
  POWENS_SANDBOX_PORT: { doc: 'Port of the local Powens sandbox (only when POWENS_BASE_URL is unset).' },
  POSTMARK_SERVER_TOKEN: {
    section: 'Postmark',
    doc: 'Postmark server API token (X-Postmark-Server-Token). Unset outside production: the mail sink’s; never Postmark’s POSTMARK_API_TEST in production.',
    production: 'secret',
    why: 'it sends every e-mail through Postmark',
  },
  POSTMARK_API_URL: {
    doc: 'Postmark API, https://api.postmarkapp.com. Unset: the local mail sink is started on MAIL_SINK_PORT.',
    production: 'required',
    why: 'production never sends to the local mail sink',
  },
  POSTMARK_FROM: {
    doc: 'Sender of every e-mail (a confirmed Postmark sender signature).',
    production: 'required',
    why: 'the default sender is releves@localhost',
  },
  POSTMARK_MESSAGE_STREAM: { doc: 'Postmark message stream of the e-mails.' },
  POSTMARK_WEBHOOK_SECRET: {
    doc: 'Basic-auth password Postmark’s bounce webhook must present (URL https://postmark:<secret>@<host>/webhooks/postmark), at least 16 characters.',
    production: 'secret',
    why: 'it authenticates Postmark’s bounce webhook',
  },
  MAIL_SINK_PORT: { doc: 'Port of the local mail sink (only when POSTMARK_API_URL is unset).' },
  SUPPORT_EMAIL: { doc: 'Support contact printed at the foot of the e-mails sent to firms (manual 4.2.1).' },
  SUPPORT_PHONE: { doc: 'Support phone printed beside SUPPORT_EMAIL (optional).' },
  ENCRYPTION_KEY: {
    section: 'Secrets',
    doc: '32 random bytes in base64 (openssl rand -base64 32): encrypts Powens user tokens and the secure links waiting in the e-mail outbox.',
    production: 'secret',
    why: 'it encrypts the Powens user tokens and the links waiting in the outbox',
  },
  SESSION_SECRET: {
    doc: 'At least 32 characters (openssl rand -base64 48): signs the Powens state parameter; the demo credentials are derived from it in development.',
    production: 'secret',
    why: 'it signs the Powens state parameter of every bank connection',
  },
  TEMPORAL_API_KEY: {
    section: 'External Temporal (lib/temporal-connection.ts, as Temporal’s own clients read them)',
    doc: 'Temporal Cloud API key (sent as a bearer token, with TLS).',
  },
  TEMPORAL_TLS: {
    doc: 'true forces TLS towards Temporal with the system CAs; TLS is on anyway when a certificate, a CA, a server name or an API key is given.',
  },
  TEMPORAL_TLS_CLIENT_CERT_PATH: { doc: 'mTLS: client certificate (PEM file; with TEMPORAL_TLS_CLIENT_KEY_PATH).' },
  TEMPORAL_TLS_CLIENT_KEY_PATH: { doc: 'mTLS: client key (PEM file; with TEMPORAL_TLS_CLIENT_CERT_PATH).' },
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: { doc: 'Private CA of the Temporal server (PEM file).' },
  TEMPORAL_TLS_SERVER_NAME: { doc: 'Server name (SNI) to check the Temporal server’s certificate against.' },
  DATABASE_POOL_MAX: {
    section: 'Pools and metrics (README "Production")',
    doc: 'Connections of the API’s Prisma pool (see README "Production" for the arithmetic against max_connections).',
  },
  WORKER_DATABASE_POOL_MAX: {
    doc: 'Connections of each worker’s Prisma pool, and as many again for its plain-SQL pool.',
  },
  METRICS_TOKEN: {
    doc: 'Bearer token of the API’s GET /metrics, at least 16 characters; unset: /metrics is open in development and answers 404 in production.',
  },
  WORKER_METRICS_ADDRESS: {
    doc: 'host:port where the worker serves its own metrics (/metrics, /healthz); unset: not served. Internal addresses only: no authentication.',
  },
  WORKER_TEMPORAL_METRICS_ADDRESS: {
    doc: 'host:port of the Temporal SDK’s Prometheus exporter in the worker (/metrics); unset: not served. Internal addresses only.',
  },
};

const sameKeyBytes = (a: string, b: string) => Buffer.from(a, 'base64').equals(Buffer.from(b, 'base64'));

/**
 * What production refuses, read from the variables as given (before any default): services left to
 * their embedded stand-ins, secrets unset, public (PUBLIC_SECRETS) or shared between two roles.
 * One line per refusal, naming the variable and why.
 */
export function productionRefusals(env: Record<string, string>): Array<{ variable: string; reason: string }> {
  const out: Array<{ variable: string; reason: string }> = [];
  const refuse = (variable: string, reason: string) => out.push({ variable, reason });
  const bearer = env.POWENS_WEBHOOK_BEARER === 'true';
  for (const [name, spec] of Object.entries(VARIABLES) as Array<[Variable, (typeof VARIABLES)[Variable]]>) {
    const value = env[name];
    const role = spec.why ?? '';
    if (spec.production === 'required' && value === undefined) {
      refuse(name, `is required in production: ${role}`);
      continue;
    }
    if (spec.production !== 'secret') continue;
    if (value === undefined) {
      if (name === 'POWENS_WEBHOOK_SECRET' && bearer) continue;
      refuse(
        name,
        name === 'POWENS_WEBHOOK_SECRET'
          ? `is required in production (unless POWENS_WEBHOOK_BEARER=true): ${role}`
          : `is required in production (the development default is public): ${role}`,
      );
    } else if (
      PUBLIC_SECRETS.includes(value) ||
      (name === 'ENCRYPTION_KEY' && PUBLIC_SECRETS.some((p) => sameKeyBytes(p, value)))
    ) {
      refuse(
        name,
        value === SANDBOX_WEBHOOK_SECRET
          ? `must not be the sandbox secret in production (it is public): ${role}`
          : value === POSTMARK_TEST_TOKEN
            ? `must not be Postmark’s test token in production (it delivers nothing): ${role}`
            : `must not be a public development default in production: ${role}`,
      );
    }
  }
  // One value in two roles: whoever holds one (Postmark's console shows its webhook URL, Powens
  // the webhook secret) would hold the other.
  const secrets = (Object.keys(VARIABLES) as Variable[]).filter(
    (n) => VARIABLES[n].production === 'secret' && env[n] !== undefined,
  );
  for (const [i, a] of secrets.entries())
    for (const b of secrets.slice(i + 1))
      if (env[a] === env[b]) refuse(b, `must differ from ${a} in production: ${VARIABLES[b].why}`);
  return out;
}

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

/** The default a variable's schema gives when unset, as written in the environment ('' for none). */
function defaultText(schema: z.ZodType): string {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  if (def.type === 'pipe') return defaultText(def.in as z.ZodType);
  if (def.type === 'default') return String(def.defaultValue);
  return '';
}

/**
 * `.env.example`, generated from the schema (names, defaults) and VARIABLES (meaning, production):
 * test/foundation/config.test.ts fails when the file differs, `npx tsx scripts/env-example.ts`
 * writes it. Secrets are left empty: their development defaults are refused in production.
 */
export function renderEnvExample(): string {
  const lines = [
    '# Every setting Relevés reads (lib/config.ts; generated by `npx tsx scripts/env-example.ts > .env.example`).',
    '# Nothing is required for `npm start`: the defaults start the embedded stack. With NODE_ENV=production,',
    '# the variables marked "production: required" must be set, and those marked "production: secret" must be',
    '# set to values of your own (never a development default, never the same value for two of them).',
  ];
  for (const [name, schema] of Object.entries(configSchema.shape) as Array<[Variable, z.ZodType]>) {
    const spec = VARIABLES[name];
    if (spec.section) lines.push('', `# ── ${spec.section}`);
    lines.push('');
    const doc = spec.production ? `${spec.doc} Production: ${spec.production} — ${spec.why}.` : spec.doc;
    for (const line of wrap(doc, 100)) lines.push(`# ${line}`);
    lines.push(`${name}=${spec.production === 'secret' ? '' : defaultText(schema)}`);
  }
  return lines.join('\n') + '\n';
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}
