/**
 * POST /powens/webhooks/:event: Powens' webhooks (one URL registered per event, as Powens does:
 * docs/powens.md §6). Authentication, as production Powens does it (docs/powens-endpoints.md):
 *
 *  - HMAC provider (POWENS_WEBHOOK_SECRET): the raw body, as received (before any decompression),
 *    must carry a valid BI-Signature, HMAC-SHA256 over
 *    `POST.<path>.<BI-Signature-Date>.<body>` compared in constant time, where `<path>` is the path
 *    of the URL registered at Powens (`config.powensWebhookBaseUrl` + `/<event>`), not the one a
 *    proxy forwarded to; the signed date may be POWENS_WEBHOOK_MAX_AGE_SECONDS old (default 3 days:
 *    Powens retries for a while, and whether a retry is signed again is not documented) and 5 min
 *    ahead. A request carrying BI-Signature is judged by it alone.
 *  - Powens' default, `Authorization: Bearer <user's permanent token>`, when POWENS_WEBHOOK_BEARER
 *    is true: compared in constant time with the stored token (encrypted at rest) of the company
 *    owning the connection the body names (or, for events without one, the Powens user it names).
 * Anything else is 401. Nothing is decompressed before the request is authenticated: a
 * `Content-Encoding: gzip` body must be signed as sent (Bearer deliveries must not be compressed,
 * 415: their token can only be checked against the body), and is then inflated as a stream capped
 * at WEBHOOK_INFLATED_LIMIT (413 past it), so a refused compression bomb costs what any refused
 * request costs. Refusals answer problem+json with the reason in `error`. Each `id_webhook_data` is handled once (WebhookDelivery, in the same
 * transaction as its database changes; a replay answers `duplicate: true` and changes nothing);
 * the answer is sent before the workflows are told.
 *
 *  - CONNECTION_SYNCED: `synced` with the connection's state (null = ok), or `reconnected` when a
 *    connection we had in error is fine again;
 *  - CONNECTION_DELETED: the connection and its accounts are deactivated, `connectionDeleted`;
 *  - ACCOUNT_DISABLED / ACCOUNT_ENABLED: the account follows, `accountsChanged`;
 *  - ACCOUNTS_FETCHED: `accountsChanged`.
 * Other events, and connections we do not know, are acknowledged and ignored.
 */
import { createGunzip } from 'node:zlib';
import type { Request, Response } from 'express';
import { z } from 'zod';
import {
  SIGNATURE_DATE_HEADER,
  SIGNATURE_HEADER,
  bearerToken,
  decryptToken,
  sameUserToken,
  verifyWebhookSignature,
  webhookDataId,
} from '../../integrations/powens';
import {
  accountsChangedSignal,
  connectionDeletedSignal,
  reconnectedSignal,
  syncedSignal,
} from '../../workflows/messages';
import { countPowensWebhook } from '../../lib/metrics';
import type { AppDeps } from '../deps';
import { notifyWorkflows, signalConnection, startOrSignalConnection, type SignalOutcome } from '../temporal';

/** Largest body read, as sent (compressed or not). */
export const WEBHOOK_BODY_LIMIT = 32 * 1024 * 1024;
/** Largest body once inflated (an authenticated gzip body only). */
export const WEBHOOK_INFLATED_LIMIT = 32 * 1024 * 1024;

const EVENT = /^[A-Z_]{3,40}$/;
const id = z.number().int().positive();
const connectionSynced = z.looseObject({
  connection: z.looseObject({
    id,
    state: z.string().nullable().optional(),
    error_message: z.string().nullable().optional(),
    last_update: z.string().nullable().optional(),
  }),
});
const connectionDeleted = z.union([
  z.looseObject({ connection: z.looseObject({ id }) }),
  z.looseObject({ id }).transform((c) => ({ connection: c })),
]);
const accountEvent = z.looseObject({ id, id_connection: id, disabled: z.string().nullable().optional() });
const accountsFetched = z.looseObject({ connection: z.looseObject({ id }) });

type Problem = { status: number; error: string };

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : null);
type Obj = Record<string, unknown> | undefined;

/** The Powens connection and user a webhook body is about (null when it names none). */
function subjectOf(event: string, payload: unknown): { connectionId: number | null; userId: number | null } {
  const p = (payload ?? {}) as Record<string, unknown>;
  const connection = p.connection as Obj;
  const user = p.user as Obj;
  if (event.startsWith('USER_')) return { connectionId: null, userId: num(p.id) };
  if (event === 'CONNECTION_DELETED')
    return { connectionId: num(connection?.id) ?? num(p.id), userId: num(connection?.id_user) ?? num(p.id_user) };
  return {
    connectionId: num(connection?.id) ?? num(p.id_connection),
    userId: num(user?.id) ?? num(connection?.id_user) ?? num(p.id_user),
  };
}

class BodyError extends Error {
  constructor(readonly status: 400 | 413) {
    super(status === 413 ? 'body too large' : 'unreadable body');
  }
}

async function readRaw(req: Request): Promise<Buffer> {
  if (Number(req.get('content-length')) > WEBHOOK_BODY_LIMIT) throw new BodyError(413);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > WEBHOOK_BODY_LIMIT) throw new BodyError(413);
      chunks.push(chunk);
    }
  } catch (e) {
    throw e instanceof BodyError ? e : new BodyError(400);
  }
  return Buffer.concat(chunks);
}

/**
 * The decompression work done since start (every process): how many bodies were inflated and how
 * many bytes came out. A refused request must leave both unchanged (test/powens/webhook-endpoint.test.ts).
 */
export const inflation = { bodies: 0, bytes: 0 };

/**
 * Inflates an authenticated gzip body as a stream (zlib works in 16 KB chunks off the event loop)
 * and stops as soon as the output passes `limit`: 413, not the whole bomb inflated.
 */
export function inflateCapped(raw: Buffer, limit = WEBHOOK_INFLATED_LIMIT): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip();
    const chunks: Buffer[] = [];
    let size = 0;
    inflation.bodies++;
    gunzip.on('data', (chunk: Buffer) => {
      size += chunk.length;
      inflation.bytes += chunk.length;
      if (size > limit) {
        gunzip.destroy();
        reject(new BodyError(413));
      } else chunks.push(chunk);
    });
    gunzip.on('end', () => resolve(Buffer.concat(chunks)));
    gunzip.on('error', () => reject(new BodyError(400)));
    gunzip.end(raw);
  });
}

const DETAIL: Record<number, string> = {
  400: 'Corps du webhook Powens illisible.',
  401: 'Webhook Powens refusé : authentification absente ou invalide.',
  404: 'Événement Powens inconnu.',
  413: 'Corps du webhook Powens trop volumineux.',
  415: 'Encodage du corps du webhook Powens non accepté.',
};
const TITLE: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
};

export function webhookHandler(deps: AppDeps) {
  const { prisma, config, temporal, logger } = deps;
  const taskQueue = config.TEMPORAL_TASK_QUEUE;

  /**
   * Whether `token` is the stored permanent token of the Powens user the webhook is about: the
   * company owning the connection the body names, else the company of the Powens user it names.
   */
  async function userTokenMatches(event: string, payload: unknown, token: string): Promise<boolean> {
    const { connectionId, userId } = subjectOf(event, payload);
    const companies = await prisma.company.findMany({
      where: {
        OR: [
          ...(connectionId !== null ? [{ connections: { some: { powensConnectionId: connectionId } } }] : []),
          ...(connectionId === null && userId !== null ? [{ powensUserId: userId }] : []),
        ],
        powensTokenEnc: { not: null },
      },
      select: { powensTokenEnc: true },
    });
    let match = false;
    for (const c of companies) {
      let stored: string;
      try {
        stored = decryptToken(c.powensTokenEnc!, config.ENCRYPTION_KEY);
      } catch {
        continue;
      }
      if (sameUserToken(token, stored)) match = true; // every candidate compared: constant work
    }
    return match;
  }

  return async (req: Request<{ event: string }>, res: Response) => {
    const fail = (p: Problem) => {
      countPowensWebhook(req.params.event, p.status, p.error);
      return res
        .status(p.status)
        .type('application/problem+json')
        .json({
          type: 'about:blank',
          title: TITLE[p.status] ?? 'Error',
          status: p.status,
          detail: DETAIL[p.status] ?? 'Webhook Powens refusé.',
          instance: req.originalUrl,
          error: p.error,
        });
    };
    const event = req.params.event.toUpperCase();
    if (!EVENT.test(event)) return fail({ status: 404, error: 'unknown event' });
    let raw: Buffer;
    try {
      raw = await readRaw(req);
    } catch (e) {
      const status = e instanceof BodyError ? e.status : 400;
      return fail({ status, error: status === 413 ? 'body too large' : 'unreadable body' });
    }
    const encoding = (req.get('content-encoding') ?? 'identity').trim().toLowerCase();
    const gzip = encoding === 'gzip' || encoding === 'x-gzip';
    if (!gzip && encoding !== 'identity')
      return fail({ status: 415, error: `unsupported content-encoding ${encoding}` });

    // What Powens signs: the path of the URL registered for this event, whatever a proxy made of it.
    const path = new URL(`${config.powensWebhookBaseUrl}/${encodeURIComponent(req.params.event)}`).pathname;
    const signature = req.get(SIGNATURE_HEADER);
    const secret = config.powensWebhookSecret;
    /** The JSON of the authenticated body (inflated first when gzip), or the refusal. */
    const payloadOf = async (): Promise<{ ok: true; payload: unknown } | { ok: false; problem: Problem }> => {
      let body = raw;
      if (gzip) {
        try {
          body = await inflateCapped(raw);
        } catch (e) {
          const status = e instanceof BodyError ? e.status : 400;
          return {
            ok: false,
            problem: { status, error: status === 413 ? 'inflated body too large' : 'invalid gzip body' },
          };
        }
      }
      try {
        return { ok: true, payload: JSON.parse(body.toString('utf8')) };
      } catch {
        return { ok: false, problem: { status: 400, error: 'body is not JSON' } };
      }
    };
    let payload: unknown;
    if (signature !== undefined && secret !== null) {
      // The bytes as received: nothing is inflated for a request that is not Powens'.
      const v = verifyWebhookSignature({
        secret,
        path,
        rawBody: raw,
        signature,
        date: req.get(SIGNATURE_DATE_HEADER),
        toleranceMs: config.POWENS_WEBHOOK_MAX_AGE_SECONDS * 1000,
      });
      if (!v.ok) {
        logger.warn({ reason: v.reason, path, ip: req.ip }, 'Powens webhook refused');
        return fail({ status: 401, error: `signature refused: ${v.reason}` });
      }
      const p = await payloadOf();
      if (!p.ok) return fail(p.problem);
      payload = p.payload;
    } else {
      const token = config.POWENS_WEBHOOK_BEARER ? bearerToken(req.get('authorization')) : null;
      if (token === null) {
        const reason = config.POWENS_WEBHOOK_BEARER ? 'missing-signature-or-token' : 'missing-signature';
        logger.warn({ reason, path, ip: req.ip }, 'Powens webhook refused');
        return fail({ status: 401, error: `signature refused: ${reason}` });
      }
      // The token is checked against the company the body names: the body is read first, so it
      // must come as sent (an unsigned body is never inflated).
      if (gzip) return fail({ status: 415, error: 'token refused: a compressed body must carry BI-Signature' });
      const p = await payloadOf();
      if (!p.ok) return fail({ status: 401, error: 'token refused: body is not JSON' });
      payload = p.payload;
      if (!(await userTokenMatches(event, payload, token))) {
        logger.warn({ reason: 'invalid-token', path, ip: req.ip }, 'Powens webhook refused');
        return fail({ status: 401, error: 'token refused: not the user token of the connection' });
      }
    }

    const dataId = webhookDataId(payload as object);
    if (dataId === null) return fail({ status: 400, error: 'id_webhook_data missing' });

    const after: Array<() => Promise<SignalOutcome>> = [];
    const duplicate = await prisma.$transaction(async (tx) => {
      const r = await tx.webhookDelivery.createMany({
        data: [{ id: String(dataId), event }],
        skipDuplicates: true,
      });
      if (r.count === 0) return true;

      if (event === 'CONNECTION_SYNCED') {
        const p = connectionSynced.safeParse(payload);
        if (!p.success) return false;
        const remote = p.data.connection;
        const c = await tx.bankConnection.findUnique({ where: { powensConnectionId: remote.id } });
        if (!c || !c.active) return false;
        const state = remote.state ?? null;
        if (state === null && c.state !== null)
          after.push(() =>
            startOrSignalConnection(temporal, logger, { connectionId: c.id, taskQueue }, reconnectedSignal, {
              source: 'webhook',
              at: new Date().toISOString(),
            }),
          );
        else
          after.push(() =>
            startOrSignalConnection(temporal, logger, { connectionId: c.id, taskQueue }, syncedSignal, {
              state,
              errorMessage: remote.error_message ?? null,
              lastUpdate: remote.last_update ?? null,
            }),
          );
      } else if (event === 'CONNECTION_DELETED') {
        const p = connectionDeleted.safeParse(payload);
        if (!p.success) return false;
        const c = await tx.bankConnection.findUnique({
          where: { powensConnectionId: p.data.connection.id },
          include: { accounts: { where: { active: true } } },
        });
        if (!c) return false;
        const now = new Date();
        await tx.bankConnection.update({ where: { id: c.id }, data: { active: false } });
        await tx.bankAccount.updateMany({
          where: { connectionId: c.id, active: true },
          data: { active: false, deactivatedAt: now },
        });
        await tx.bankAccountEvent.createMany({
          data: c.accounts.map((a) => ({ bankAccountId: a.id, kind: 'CONNECTION_DELETED', detail: { dataId } })),
        });
        await tx.auditEvent.create({
          data: {
            actorType: 'POWENS',
            action: 'powens.connection.deleted',
            entityType: 'BankConnection',
            entityId: c.id,
            detail: { dataId },
          },
        });
        after.push(() => signalConnection(temporal, logger, c.id, connectionDeletedSignal));
      } else if (event === 'ACCOUNT_DISABLED' || event === 'ACCOUNT_ENABLED') {
        const p = accountEvent.safeParse(payload);
        if (!p.success) return false;
        const c = await tx.bankConnection.findUnique({ where: { powensConnectionId: p.data.id_connection } });
        if (!c || !c.active) return false;
        const account = await tx.bankAccount.findUnique({
          where: { connectionId_powensAccountId: { connectionId: c.id, powensAccountId: p.data.id } },
        });
        const enabled = event === 'ACCOUNT_ENABLED';
        if (account && account.active !== enabled) {
          await tx.bankAccount.update({
            where: { id: account.id },
            data: enabled ? { active: true, deactivatedAt: null } : { active: false, deactivatedAt: new Date() },
          });
          await tx.bankAccountEvent.create({
            data: {
              bankAccountId: account.id,
              kind: enabled ? 'ACCOUNT_ENABLED_AT_POWENS' : 'ACCOUNT_DISABLED_AT_POWENS',
              detail: { dataId },
            },
          });
        }
        after.push(() =>
          startOrSignalConnection(temporal, logger, { connectionId: c.id, taskQueue }, accountsChangedSignal),
        );
      } else if (event === 'ACCOUNTS_FETCHED') {
        const p = accountsFetched.safeParse(payload);
        if (!p.success) return false;
        const c = await tx.bankConnection.findUnique({ where: { powensConnectionId: p.data.connection.id } });
        if (!c || !c.active) return false;
        after.push(() =>
          startOrSignalConnection(temporal, logger, { connectionId: c.id, taskQueue }, accountsChangedSignal),
        );
      }
      return false;
    });

    countPowensWebhook(event, 200);
    res.status(200).json({ received: true, duplicate });
    notifyWorkflows(after.map((f) => f()));
  };
}
