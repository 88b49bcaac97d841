/**
 * The API and the Powens sandbox wired together as `npm start` does, for one test file: one test
 * database (our tables + the sandbox's schema), the app with the real PowensWebviews over the
 * Powens client, the sandbox delivering its webhooks to the app, and the Temporal dev server
 * (no worker: tests describe the workflows the API starts and read the signals in their history).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { outboxBodies } from '../../email';
import { loadConfig, type Config } from '../../lib/config';
import type { Db } from '../../db/client';
import type { PowensSandbox } from '../../sandbox/powens';
import { connectionWorkflowId } from '../../workflows/messages';
import type { Api } from '../api/support';
import { runCleanup, startPowensApi, type Cleanup, type SandboxAdmin } from '../support/stack';
import { CLIENT_ID, CLIENT_SECRET, WEBHOOK_SECRET } from './support';

export interface Stack extends Api {
  prisma: Db;
  config: Config;
  /** Origin of the API, e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  sandboxOrigin: string;
  sandbox: PowensSandbox;
  env: TestWorkflowEnvironment;
  admin: SandboxAdmin;
  /** Signal names received by the connection's workflow, in order. */
  signalsOf(connectionId: string): Promise<string[]>;
}

export function usePowensStack(
  opts: {
    linkPages?: number;
    /** Further configuration variables, computed when the stack starts (after earlier beforeAll hooks). */
    env?: () => Record<string, string>;
  } = {},
): Stack {
  const stack = {} as Stack;
  const cleanup: Cleanup = [];
  beforeAll(async () => {
    const { db, config, env, sandbox, apiOrigin, powensOrigin, admin } = await startPowensApi(cleanup, {
      name: 'powens-test',
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      webhookSecret: WEBHOOK_SECRET,
      sandbox: {
        seed: 'callback-tests',
        historyDays: 10,
        webhookRetry: { baseDelayMs: 10, maxAttempts: 3, timeoutMs: 5000 },
      },
      clientRetry: { baseDelayMs: 5, maxDelayMs: 20 },
      rateLimits: { linkPages: opts.linkPages ?? 1000 },
      env: opts.env?.(),
    });
    Object.assign(stack, {
      prisma: db.prisma,
      databaseUrl: db.url,
      config,
      baseUrl: apiOrigin,
      temporal: env.client,
      sandboxOrigin: powensOrigin,
      sandbox,
      env,
      admin,
      async signalsOf(connectionId: string) {
        const history = await env.client.workflow.getHandle(connectionWorkflowId(connectionId)).fetchHistory();
        return (history.events ?? [])
          .map((e) => e.workflowExecutionSignaledEventAttributes?.signalName)
          .filter((n): n is string => !!n);
      },
    } satisfies Partial<Stack>);
  });
  afterAll(() => runCleanup(cleanup));
  return stack;
}

/**
 * The secret of the link in the last e-mail queued for `to`, as the sender will put it in the
 * message (stored bodies hold a placeholder; the secret waits encrypted until the message is sent).
 */
export async function linkTokenFromEmail(
  prisma: Db,
  to: string,
  encryptionKey = loadConfig({ NODE_ENV: 'test' }).ENCRYPTION_KEY,
): Promise<string> {
  const email = await prisma.emailMessage.findFirstOrThrow({
    where: { to, OR: [{ kind: { startsWith: 'link.' } }, { kind: 'company.connection-request' }] },
    orderBy: { createdAt: 'desc' },
  });
  const text = outboxBodies(email, encryptionKey).text;
  const m = /\/l\/([A-Za-z0-9_-]+)/.exec(text);
  if (!m) throw new Error(`no link in the e-mail: ${text}`);
  return m[1]!;
}
