/**
 * What the sandbox does, shared by its API, its webview and its admin API: its stored state
 * (store.ts: users and tokens, reading, the webhook outbox), the changes users and the admin make
 * (connections.ts), syncs (sync.ts: connection states and transaction generation) and the clock
 * that runs Powens' background syncs (clock.ts).
 */
import { createClock } from './clock';
import { createConnections } from './connections';
import type { SandboxContext } from './context';
import { createStore } from './store';
import { createSyncs } from './sync';

export function createEngine(ctx: SandboxContext) {
  const store = createStore(ctx);
  const changes = createConnections(ctx, store);
  const { syncConnection } = createSyncs(ctx, store);
  const { advanceClock, runDueSyncs } = createClock(ctx, syncConnection);
  return {
    createUser: store.createUser,
    issueToken: store.issueToken,
    resolveToken: store.resolveToken,
    permanentToken: store.permanentToken,
    createCode: store.createCode,
    useCode: store.useCode,
    deleteUser: changes.deleteUser,
    enqueueWebhook: store.enqueueWebhook,
    getConnection: store.getConnection,
    listConnections: store.listConnections,
    accountsOf: store.accountsOf,
    getAccount: store.getAccount,
    createConnection: changes.createConnection,
    setContact: changes.setContact,
    deleteConnection: changes.deleteConnection,
    forceState: changes.forceState,
    setAccountDisabled: changes.setAccountDisabled,
    updateAccount: changes.updateAccount,
    patchAccountAtBank: changes.patchAccountAtBank,
    syncConnection,
    runDueSyncs,
    advanceClock,
  };
}

export type Engine = ReturnType<typeof createEngine>;
