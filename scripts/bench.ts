/**
 * `npm run bench [-- name [--flag value]…]`: runs one benchmark, or (no name) cfonb, api and a
 * small cycle; prints their figures, ends each with one JSON line and appends the figures to
 * bench/RESULTS.md with the date, the machine and its speed before and after (bench/calibrate.ts).
 * Benchmarks are never timed tests.
 *   api --accounts N (default 100 000) --statements N (default 1 000 000) --clients N (16) --requests N (20 per client) [--pg-statements]
 *   cycle --connections N (default 1 000) [--temporal dev|production] [--workers N] [--deadline-seconds S] [--ceiling-connections N] [--pg-statements] [--due-connections M] [--idle-after-seconds S] [--daytime [--daytime-hours H (3)]] [--wake collect-now|night]
 *   idle --workflows N (default 100 000) --idle-seconds S (default 30) [--daytime [--daytime-hours H (3)]]
 *   reconnect --connections N --samples N
 */
import { benchApi } from '../bench/api';
import { benchCamt } from '../bench/camt';
import { benchCfonb } from '../bench/cfonb';
import { benchCycle } from '../bench/cycle';
import { benchIdle } from '../bench/idle';
import { benchReconnect } from '../bench/reconnect';
import { calibrate } from '../bench/calibrate';
import { appendResults } from '../bench/results';
import { stopEmbeddedPostgres } from '../bench/stack';

type Flags = Record<string, string>;
const int = (flags: Flags, name: string): number | undefined => {
  if (flags[name] === undefined) return undefined;
  const v = Number(flags[name]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer (got "${flags[name]}")`);
  return v;
};
/** A switch: `--daytime` (or `--daytime true`) is on, absent or `--daytime false` is off. */
const on = (flags: Flags, name: string): boolean => flags[name] !== undefined && flags[name] !== 'false';

const BENCHES: Record<string, (flags: Flags) => Promise<Record<string, unknown>>> = {
  cfonb: () => benchCfonb(),
  camt: () => benchCamt(),
  api: (f) =>
    benchApi({
      accounts: int(f, 'accounts'),
      statements: int(f, 'statements'),
      clients: int(f, 'clients'),
      requests: int(f, 'requests'),
      pgStatements: on(f, 'pg-statements'),
    }),
  cycle: (f) => {
    if (f.temporal !== undefined && f.temporal !== 'dev' && f.temporal !== 'production')
      throw new Error(`--temporal must be dev or production (got "${f.temporal}")`);
    if (f.wake !== undefined && f.wake !== 'collect-now' && f.wake !== 'night')
      throw new Error(`--wake must be collect-now or night (got "${f.wake}")`);
    return benchCycle({
      connections: int(f, 'connections'),
      temporal: f.temporal as 'dev' | 'production' | undefined,
      workers: int(f, 'workers'),
      deadlineSeconds: int(f, 'deadline-seconds'),
      ceilingConnections: int(f, 'ceiling-connections'),
      pgStatements: on(f, 'pg-statements'),
      dueConnections: int(f, 'due-connections'),
      idleAfterSeconds: int(f, 'idle-after-seconds'),
      daytime: on(f, 'daytime'),
      daytimeHours: int(f, 'daytime-hours'),
      wake: f.wake as 'collect-now' | 'night' | undefined,
    });
  },
  idle: (f) =>
    benchIdle({
      workflows: int(f, 'workflows'),
      idleSeconds: int(f, 'idle-seconds'),
      daytime: on(f, 'daytime'),
      daytimeHours: int(f, 'daytime-hours'),
    }),
  reconnect: (f) => benchReconnect({ connections: int(f, 'connections'), samples: int(f, 'samples') }),
};
/** `npm run bench` with no name: the quick ones and a small cycle. */
const DEFAULT_RUN: Array<[string, Flags]> = [
  ['cfonb', {}],
  ['api', {}],
  ['cycle', { connections: '100' }],
];

function parse(argv: string[]): { name?: string; flags: Flags } {
  const flags: Flags = {};
  let name: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=', 2) as [string, string | undefined];
      // A flag followed by another flag (or nothing) is a switch: `--daytime --idle-seconds 600`.
      flags[k] = v ?? (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--') ? '' : argv[++i]!);
    } else if (!name) name = a;
    else throw new Error(`unexpected argument "${a}"`);
  }
  return { name, flags };
}

async function main() {
  const { name, flags } = parse(process.argv.slice(2));
  const runs: Array<[string, Flags]> = name ? [[name, flags]] : DEFAULT_RUN;
  for (const [n, f] of runs) {
    const run = BENCHES[n];
    if (!run) {
      console.error(`unknown benchmark "${n}"; known: ${Object.keys(BENCHES).join(', ')}`);
      process.exit(2);
    }
    const before = calibrate();
    const ran = await run(f);
    const after = calibrate();
    const result: Record<string, unknown> = { ...ran, calibrationMs: { before, after } };
    console.log(`machine speed (bench/calibrate.ts, lower is faster): ${before} ms before, ${after} ms after`);
    appendResults(n, result);
    const { details: _details, ...line } = result;
    console.log(JSON.stringify(line));
  }
  await stopEmbeddedPostgres();
}

// Ctrl-C or a kill: exit through process.exit so that the children's exit hooks run.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().catch(async (e) => {
  console.error(e);
  await stopEmbeddedPostgres().catch(() => undefined);
  process.exit(1);
});
