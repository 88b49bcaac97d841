/**
 * One attempt at a connection, and what the health rule (domain/connection-health.ts) makes of it:
 * a success closes the error episode, a transient failure is retried soon, a counted failure is
 * recorded and, from the second day, alerts the firm and sends the company a link.
 */
import { ActivityFailure, log, patched, TimeoutFailure } from '@temporalio/workflow';
import type { CollectResult } from '../activities/collect';
import { observe, type HealthDecision } from '../domain/connection-health';
import { io, nightly, now, nowIso, once } from './activities';
import type { Run } from './connection-run';

const HOUR = 3_600_000;
const MAX_TRANSIENT_RETRIES = 3;
/** patched(): a forced collection whose task never ran is asked once more. */
export const LOST_FORCED_SYNC = 'lost-forced-sync-2026-12';
/** patched(): the collection without a forced sync runs as a local activity (workflows/activities.ts). */
export const LOCAL_COLLECT = 'local-collect-2026-12';

/** Collect (forcing a sync when asked), then apply the health rule: streak, link, alert, recovery. */
export async function attempt(run: Run, forceSync: boolean): Promise<{ ok: boolean } & CollectResult> {
  const { state: s, connectionId } = run;
  const at = nowIso();
  // Never force a sync of a connection waiting for its user (it can lock the bank account).
  const result =
    forceSync && s.health.errorState === null
      ? await forcedCollect(connectionId, at)
      : await unforcedCollect(connectionId, at);
  const { health, decision } = observe(
    s.health,
    { at, state: result.state, errorMessage: result.errorMessage, maintenance: result.connectorMaintenance },
    { linkPending: s.pendingLink !== null, autoLinks: run.settings.autoLinks },
  );
  const episode = s.health.errorSince;
  s.health = health;
  if (decision.outcome === 'ok')
    await succeeded(run, at, result.lastUpdate, decision.recovered ? (episode ?? at) : null);
  else if (decision.outcome === 'transient') retrySoon(run, result.state);
  else if (decision.counted) await failed(run, at, result, decision);
  return { ok: decision.outcome === 'ok', ...result };
}

/**
 * A collection forcing a sync at Powens, asked once; if it fails, the collection without forcing.
 * Except a task that never ran: Temporal can record an activity task as started whose answer never
 * reaches the worker (its matching service under load, temporalio/temporal#11733); its heartbeat
 * timeout then comes without a single heartbeat (the activity heartbeats before any call), so
 * Powens was never asked and the forced sync is asked again, once.
 */
async function forcedCollect(connectionId: string, at: string): Promise<CollectResult> {
  const forced = () => once.collect(connectionId, { forceSync: true, at });
  const unforced = () => unforcedCollect(connectionId, at);
  try {
    return await forced();
  } catch (e) {
    if (neverRan(e) && patched(LOST_FORCED_SYNC)) {
      log.warn('forced collection never ran: asked again', { connectionId });
      return forced().catch(unforced);
    }
    return unforced();
  }
}

/** The collection as the night runs it: Powens read, no sync forced. */
function unforcedCollect(connectionId: string, at: string): Promise<CollectResult> {
  return (patched(LOCAL_COLLECT) ? nightly : io).collect(connectionId, { forceSync: false, at });
}

/** An activity failure that is a heartbeat timeout with no heartbeat recorded: its code never ran. */
function neverRan(e: unknown): boolean {
  return (
    e instanceof ActivityFailure &&
    e.cause instanceof TimeoutFailure &&
    e.cause.timeoutType === 'HEARTBEAT' &&
    e.cause.lastHeartbeatDetails === undefined
  );
}

/** The bank's data moves on, a pending link was used, the firm is told if it had been alerted. */
async function succeeded(run: Run, at: string, lastUpdate: string | null, episode: string | null): Promise<void> {
  const s = run.state;
  s.transientRetries = 0;
  s.lastSuccessAt = at;
  if (lastUpdate && (!s.lastSyncAt || lastUpdate > s.lastSyncAt)) s.lastSyncAt = lastUpdate;
  if (s.pendingLink) await io.closeLink(s.pendingLink.linkId, 'used', at);
  s.pendingLink = null;
  if (episode) await io.notifyReconnected(run.connectionId, episode);
}

/** A transient state: retried an hour later a few times, then at the next night; never counted. */
function retrySoon(run: Run, state: string | null): void {
  log.info('transient Powens state', { connectionId: run.connectionId, state });
  if (run.state.transientRetries >= MAX_TRANSIENT_RETRIES) return;
  run.state.transientRetries += 1;
  run.nextCollectionMs = Math.min(run.nextCollectionMs, now() + HOUR);
}

/** A counted failure is recorded; when the rule says so, the firm's alert and the company's link. */
async function failed(run: Run, at: string, result: CollectResult, decision: HealthDecision): Promise<void> {
  const { health } = run.state;
  const failure = {
    state: result.state!,
    errorMessage: result.errorMessage,
    consecutiveErrors: health.streak,
    day: health.lastFailureDay!,
    at,
  };
  await io.recordFailure(run.connectionId, failure);
  if (!decision.alertFirm && !decision.sendLink) return;
  const sent = await io.notifyConnectionError(run.connectionId, { ...failure, sendLink: decision.sendLink });
  if (sent.linkId && sent.expiresAt) run.state.pendingLink = { linkId: sent.linkId, expiresAt: sent.expiresAt };
}
