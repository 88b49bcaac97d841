/**
 * The sandbox clock moving on: Powens' own background syncs (about once a day per connection, none
 * while a connection waits for its user) run at the time they were due.
 */
import type { SandboxContext } from './context';
import { SCHEMA } from './schema';
import { waitsForUser } from './states';
import type { SyncTrigger } from './sync';

const S = SCHEMA;

export function createClock(
  ctx: SandboxContext,
  syncConnection: (connectionId: number, trigger: SyncTrigger) => Promise<unknown>,
) {
  const pool = ctx.pool;

  /**
   * Moves the clock forward to `target`, running each background sync at the time it was due
   * (`next_try`), in order, as Powens would have while that time passed: a connection synced
   * every 24 h keeps its own hour of the day, whatever the caller's steps.
   */
  async function advanceClock(target: Date): Promise<number[]> {
    const done: number[] = [];
    for (;;) {
      const r = await pool.query(
        `SELECT id, state, next_try FROM ${S}.connections
         WHERE active AND next_try IS NOT NULL AND next_try <= $1 ORDER BY next_try, id`,
        [target],
      );
      const next = (r.rows as Array<{ id: number; state: string | null; next_try: Date }>).find(
        (row) => !waitsForUser(row.state),
      );
      if (!next) break;
      if (next.next_try.getTime() > ctx.now().getTime()) await ctx.setClockOffset(next.next_try.getTime() - Date.now());
      done.push(...(await runDueSyncs()));
    }
    if (target.getTime() > ctx.now().getTime()) await ctx.setClockOffset(target.getTime() - Date.now());
    return done;
  }

  /** Background syncs that are due (Powens syncs every connection about once a day). */
  async function runDueSyncs(): Promise<number[]> {
    const r = await pool.query(
      `SELECT id, state FROM ${S}.connections WHERE active AND next_try IS NOT NULL AND next_try <= $1 ORDER BY id`,
      [ctx.now()],
    );
    const done: number[] = [];
    for (const row of r.rows as Array<{ id: number; state: string | null }>) {
      if (waitsForUser(row.state)) continue; // waits for the user
      await syncConnection(row.id, 'background');
      done.push(row.id);
    }
    return done;
  }

  return { advanceClock, runDueSyncs };
}
