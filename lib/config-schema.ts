/**
 * The variables the processes read (lib/config.ts parses them): their names, types, checks and
 * development defaults, and the public secrets that must never protect a production deployment.
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
export const POSTMARK_TEST_TOKEN = 'POSTMARK_API_TEST';
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
  WORKER_MEMORY_BUDGET_MB: z.coerce.number().int().min(256, 'must be at least 256 (MB)').default(480),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).optional(),
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

export type Variable = keyof typeof configSchema.shape;
