/**
 * A reconnect completed in Powens' webview (api/public/callback.ts): Powens returns only `state`, the
 * connection is the one the state names. ONE transaction records the connection's new state, uses
 * the state and the link, and audits; then the connection's workflow is signalled (it tells the firm
 * once it sees the connection fine).
 */
import type { Response } from 'express';
import { powensInstant } from '../../integrations/powens';
import { reconnectedSignal } from '../../workflows/messages';
import { startOrSignalConnection } from '../temporal';
import { esc, sendPage } from './html';
import { accountLine } from './notify';
import { consumeWebviewState } from './state';
import { readPowens, REPLAYED, Refused, useLink, type CheckedCallback } from './callback-context';

export async function completeReconnect({ deps, row, company, link, auditBase }: CheckedCallback, res: Response) {
  const { prisma, config, temporal, logger } = deps;
  const taskQueue = config.TEMPORAL_TASK_QUEUE;

  const connection = row.connectionId
    ? await prisma.bankConnection.findUnique({
        where: { id: row.connectionId },
        include: { bank: true, accounts: { where: { active: true }, orderBy: { label: 'asc' } } },
      })
    : null;
  if (!connection || connection.companyId !== company.id)
    throw new Refused(410, 'Connexion introuvable', '<p>La connexion bancaire concernée n’existe plus.</p>');
  let remoteState: { state: string | null; errorMessage: string | null; lastSyncAt: Date | null } | null = null;
  try {
    const [r] = await readPowens(deps, [{ companyId: company.id, powensConnectionId: connection.powensConnectionId }]);
    remoteState = {
      state: r!.connection.state ?? null,
      errorMessage: r!.connection.error_message ?? null,
      lastSyncAt: powensInstant(r!.connection.last_update),
    };
  } catch (err) {
    if (!(err instanceof Refused)) throw err;
    // Powens unreachable right now: the reconnection is recorded; the workflow reads the state.
    logger.warn({ connectionId: connection.id }, 'Powens not readable after a reconnect callback');
  }
  const bankName = connection.bank?.name ?? connection.connectorName ?? null;
  const accounts = connection.accounts.map((a) => ({ label: a.label, bank: bankName }));
  const lines = accounts.map(accountLine);
  await prisma.$transaction(async (tx) => {
    if (!(await consumeWebviewState(tx, row.id))) throw REPLAYED;
    if (link) await useLink(tx, link.id);
    if (remoteState)
      await tx.bankConnection.update({
        where: { id: connection.id },
        data: {
          state: remoteState.state,
          errorMessage: remoteState.errorMessage,
          ...(remoteState.lastSyncAt ? { lastSyncAt: remoteState.lastSyncAt } : {}),
        },
      });
    await tx.bankAccountEvent.createMany({
      data: connection.accounts.map((a) => ({
        bankAccountId: a.id,
        kind: 'CREDENTIALS_UPDATED',
        detail: { linkId: link?.id ?? null, state: remoteState?.state ?? null },
      })),
    });
    await tx.auditEvent.create({
      data: {
        ...auditBase,
        action: 'powens.callback.reconnect',
        entityType: 'BankConnection',
        entityId: connection.id,
        detail: { linkId: link?.id ?? null, state: remoteState?.state ?? null },
      },
    });
    // The firm is told by the connection's workflow once it sees the connection fine again
    // (one writer for that e-mail: a reconnection that did not fix the error tells nobody).
  });
  await startOrSignalConnection(temporal, logger, { connectionId: connection.id, taskQueue }, reconnectedSignal, {
    source: 'callback',
    at: new Date().toISOString(),
  });
  return sendPage(
    res,
    200,
    'Merci, vos identifiants sont à jour',
    `<div class="ok">La transmission de vos relevés à ${esc(company.portalAccount.name)} reprend.</div>
<p>Compte(s) bancaire(s) :</p><ul>${lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul><p>Vous pouvez fermer cette page.</p>`,
  );
}
