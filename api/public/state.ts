/**
 * The `state` we give Powens' webview and get back on /powens/callback: `<id>.<expiry>.<mac>`,
 * where `id` names a WebviewState row (what the callback completes: which company, link and
 * connection), `expiry` is in seconds since the epoch, and `mac` is HMAC-SHA256 over `id.expiry`
 * with a key derived from SESSION_SECRET (base64url). A forged or altered state fails the MAC, an
 * old one the expiry, and a replayed one the row's `usedAt`, set in the callback's transaction.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Prisma } from '../../db/client';

/** Long enough to choose a bank and go through an SCA; Powens' temporary code lasts 30 min. */
export const WEBVIEW_STATE_TTL_MS = 60 * 60_000;

export type WebviewFlow = 'connect' | 'reconnect';

function mac(secret: string, text: string): string {
  const key = createHmac('sha256', secret).update('releves/powens-webview-state/v1').digest();
  return createHmac('sha256', key).update(text).digest('base64url');
}

export async function issueWebviewState(
  db: Prisma.TransactionClient,
  secret: string,
  input: {
    flow: WebviewFlow;
    companyId: string;
    linkId?: string | null;
    connectionId?: string | null;
    resetCredentials?: boolean;
  },
  now = new Date(),
): Promise<string> {
  const id = randomBytes(18).toString('base64url');
  const expiresAt = new Date(now.getTime() + WEBVIEW_STATE_TTL_MS);
  await db.webviewState.create({
    data: {
      id,
      flow: input.flow,
      companyId: input.companyId,
      linkId: input.linkId ?? null,
      connectionId: input.connectionId ?? null,
      resetCredentials: input.resetCredentials ?? false,
      createdAt: now,
      expiresAt,
    },
  });
  const text = `${id}.${Math.floor(expiresAt.getTime() / 1000)}`;
  return `${text}.${mac(secret, text)}`;
}

export type StateCheck = { ok: true; id: string } | { ok: false; reason: 'missing' | 'forged' | 'expired' };

/** Checks the MAC (constant time) and the expiry; the row is checked by `consumeWebviewState`. */
export function verifyWebviewState(secret: string, state: string | undefined, now = new Date()): StateCheck {
  if (!state) return { ok: false, reason: 'missing' };
  const m = /^([A-Za-z0-9_-]{16,64})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(state);
  if (!m) return { ok: false, reason: 'forged' };
  const [, id, expiry, given] = m as unknown as [string, string, string, string];
  const expected = Buffer.from(mac(secret, `${id}.${expiry}`));
  if (!timingSafeEqual(Buffer.from(given), expected)) return { ok: false, reason: 'forged' };
  if (Number(expiry) * 1000 < now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, id };
}

/**
 * Marks the state used, inside the caller's transaction: the row, or null when it was already
 * used (a replay) or is unknown. Concurrent callbacks with the same state: only one gets the row.
 */
export async function consumeWebviewState(db: Prisma.TransactionClient, id: string, now = new Date()) {
  const r = await db.webviewState.updateMany({ where: { id, usedAt: null }, data: { usedAt: now } });
  if (r.count !== 1) return null;
  return db.webviewState.findUniqueOrThrow({ where: { id } });
}
