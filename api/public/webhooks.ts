/**
 * POST /powens/webhooks/:event: Powens' webhooks (one URL registered per event, as Powens does:
 * docs/powens.md §6). The raw body (gunzipped when `Content-Encoding: gzip`) must carry a valid
 * BI-Signature (HMAC-SHA256 over `POST.<path>.<BI-Signature-Date>.<body>`, constant time, ±5 min
 * window): anything else is 401. Each `id_webhook_data` is handled once (WebhookDelivery, in the
 * same transaction as its database changes); the answer is sent before the workflows are told.
 *
 *  - CONNECTION_SYNCED: `synced` with the connection's state (null = ok), or `reconnected` when a
 *    connection we had in error is fine again;
 *  - CONNECTION_DELETED: the connection and its accounts are deactivated, `connectionDeleted`;
 *  - ACCOUNT_DISABLED / ACCOUNT_ENABLED: the account follows, `accountsChanged`;
 *  - ACCOUNTS_FETCHED: `accountsChanged`.
 * Other events, and connections we do not know, are acknowledged and ignored. Whether Powens signs
 * the compressed or the decompressed bytes is not documented: both are accepted.
 */
import { gunzipSync } from 'node:zlib';
import type { Request, Response } from 'express';
import { z } from 'zod';
import {
  SIGNATURE_DATE_HEADER,
  SIGNATURE_HEADER,
  verifyWebhookSignature,
  webhookDataId,
} from '../../activities/powens';
import {
  accountsChangedSignal,
  connectionDeletedSignal,
  reconnectedSignal,
  syncedSignal,
} from '../../workflows/messages';
import { countPowensWebhook } from '../../lib/metrics';
import type { AppDeps } from '../app';
import { notifyWorkflows, signalConnection, startOrSignalConnection, type SignalOutcome } from '../temporal';

export const WEBHOOK_BODY_LIMIT = 32 * 1024 * 1024;

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

async function readRaw(req: Request): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > WEBHOOK_BODY_LIMIT) throw Object.assign(new Error('too large'), { status: 413 });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function webhookHandler(deps: AppDeps) {
  const { prisma, config, temporal, logger } = deps;
  const taskQueue = config.TEMPORAL_TASK_QUEUE;

  return async (req: Request<{ event: string }>, res: Response) => {
    const fail = (p: Problem) => {
      countPowensWebhook(req.params.event, p.status, p.error);
      return res.status(p.status).json({ error: p.error });
    };
    let raw: Buffer;
    try {
      raw = await readRaw(req);
    } catch (e) {
      return fail({ status: (e as { status?: number }).status ?? 400, error: 'unreadable body' });
    }
    const encoding = (req.get('content-encoding') ?? 'identity').toLowerCase();
    let body = raw;
    if (encoding === 'gzip' || encoding === 'x-gzip') {
      try {
        body = gunzipSync(raw, { maxOutputLength: WEBHOOK_BODY_LIMIT });
      } catch {
        return fail({ status: 400, error: 'invalid gzip body' });
      }
    } else if (encoding !== 'identity') return fail({ status: 415, error: `unsupported content-encoding ${encoding}` });

    const path = new URL(req.originalUrl, 'http://x').pathname;
    const verify = (bytes: Buffer) =>
      verifyWebhookSignature({
        secret: config.POWENS_WEBHOOK_SECRET,
        path,
        rawBody: bytes,
        signature: req.get(SIGNATURE_HEADER),
        date: req.get(SIGNATURE_DATE_HEADER),
      });
    let v = verify(body);
    if (!v.ok && v.reason === 'invalid-signature' && body !== raw) v = verify(raw);
    if (!v.ok) {
      logger.warn({ reason: v.reason, path, ip: req.ip }, 'Powens webhook refused');
      return fail({ status: 401, error: `signature refused: ${v.reason}` });
    }

    const event = req.params.event.toUpperCase();
    if (!EVENT.test(event)) return fail({ status: 404, error: 'unknown event' });
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString('utf8'));
    } catch {
      return fail({ status: 400, error: 'body is not JSON' });
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
