/**
 * What each variable means and what production demands of it: the text of `.env.example`
 * (renderEnvExample) and the refusals of a production start (productionRefusals).
 */
import type { z } from 'zod';
import {
  configSchema,
  POSTMARK_TEST_TOKEN,
  PUBLIC_SECRETS,
  SANDBOX_WEBHOOK_SECRET,
  type Variable,
} from './config-schema';

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
  WORKER_MEMORY_BUDGET_MB: {
    doc: 'Worker: resident memory it aims for (MB, 480); sizes the sticky workflow cache (lib/sticky-cache.ts).',
  },
  WORKER_MAX_CACHED_WORKFLOWS: {
    doc: 'Worker: sticky workflow cache size; unset: derived from WORKER_MEMORY_BUDGET_MB.',
  },
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
