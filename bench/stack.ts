/**
 * The whole system for benchmarks and the chaos harness, on one machine: a fresh migrated
 * PostgreSQL database (the test server in Jest, DATABASE_URL's server, or an embedded one under
 * .data/bench-postgres), the Powens sandbox and the mail sink in this process on random ports, a
 * fresh Temporal dev server (SQLite file under .data/bench-temporal), and worker processes started
 * as children (`node --import tsx <entry>`) so that they can be measured, SIGKILLed and restarted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { Client as PgClient, Pool } from 'pg';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../lib/net';
import { dropDatabase, startEmbeddedPostgres, withDatabase } from '../lib/postgres';
import { startTemporalDevServer, type RunningTemporal } from '../lib/temporal-dev-server';
import { startTemporalProduction } from './temporal-production';
import { createPrismaClient, type Db } from '../db/client';
import { createPowensSandbox, type PowensSandbox, type PowensSandboxOptions } from '../sandbox/powens';
import { createMailSink } from '../sandbox/postmark/sink';
import { ensureTemplateDatabase } from '../scripts/db';

export const ROOT = resolve(__dirname, '..');
/** The benchmarks' embedded PostgreSQL data directory. */
const BENCH_POSTGRES_DIR = join(ROOT, '.data', 'bench-postgres');
export const POWENS_CLIENT_ID = '10000001';
export const POWENS_CLIENT_SECRET = 'bench-client-secret';
export const POWENS_WEBHOOK_SECRET = 'bench-webhook-secret-0123456789abcdef';
export const POSTMARK_TOKEN = 'bench-postmark-token';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `read` every `everyMs` until `done` holds; throws after `timeoutMs` with the last value. */
export async function waitUntil<T>(
  what: string,
  read: () => Promise<T>,
  done: (v: T) => boolean,
  opts: { timeoutMs: number; everyMs?: number; onTick?: (v: T) => void | Promise<void> },
): Promise<T> {
  const until = Date.now() + opts.timeoutMs;
  for (;;) {
    const v = await read();
    await opts.onTick?.(v);
    if (done(v)) return v;
    if (Date.now() > until)
      throw new Error(`${what}: not reached within ${opts.timeoutMs} ms (last ${JSON.stringify(v)})`);
    await sleep(opts.everyMs ?? 250);
  }
}

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(lanes);
  return out;
}

// ---- process figures (Linux /proc) ---------------------------------------------------------------
const TICKS = 100; // USER_HZ

export interface ProcSample {
  cpuSeconds: number;
  rssMb: number;
}

export function procSample(pid: number | undefined): ProcSample | null {
  if (!pid) return null;
  try {
    const fields = statFields(pid);
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICKS; // utime + stime
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuSeconds, rssMb: rssKb / 1024 };
  } catch {
    return null;
  }
}

/** Fields of /proc/<pid>/stat after the command name (index 0 is the state). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * A PostgreSQL server as one process: the postmaster, its live backends (utime + stime) and the
 * backends it already reaped (its cutime + cstime); RSS is the postmaster's plus the backends'
 * (shared buffers counted once per process: an upper bound).
 */
export function processTreeSample(rootPid: number | undefined): ProcSample | null {
  if (!rootPid) return null;
  try {
    const root = statFields(rootPid);
    let cpuTicks = Number(root[11]) + Number(root[12]) + Number(root[13]) + Number(root[14]);
    let rssMb = procSample(rootPid)?.rssMb ?? 0;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === rootPid) continue;
      try {
        const f = statFields(Number(entry));
        if (Number(f[1]) !== rootPid) continue; // ppid
        cpuTicks += Number(f[11]) + Number(f[12]);
        rssMb += procSample(Number(entry))?.rssMb ?? 0;
      } catch {
        // exited meanwhile
      }
    }
    return { cpuSeconds: cpuTicks / TICKS, rssMb };
  } catch {
    return null;
  }
}

/** The postmaster of the benchmarks' embedded PostgreSQL (null with an external DATABASE_URL). */
export function postmasterPid(): number | undefined {
  try {
    const pid = Number(readFileSync(join(BENCH_POSTGRES_DIR, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Samples processes every second: CPU seconds used and peak RSS over the measured phase. `trees`
 * are servers measured with their children (PostgreSQL's backends).
 */
export function measure(
  pids: Record<string, () => number | undefined>,
  trees: Record<string, () => number | undefined> = {},
) {
  const start = new Map<string, ProcSample>();
  const peak = new Map<string, number>();
  const cpuBase = new Map<string, number>(); // CPU of processes that were replaced (restarts)
  const lastPid = new Map<string, number | undefined>();
  const last = new Map<string, ProcSample>();
  const t0 = Date.now();
  const probes = [
    ...Object.entries(pids).map(([name, pidOf]) => [name, pidOf, procSample] as const),
    ...Object.entries(trees).map(([name, pidOf]) => [name, pidOf, processTreeSample] as const),
  ];
  const tick = () => {
    for (const [name, pidOf, sample] of probes) {
      const pid = pidOf();
      const s = sample(pid);
      if (lastPid.has(name) && lastPid.get(name) !== pid) {
        // a restarted process: bank what the previous one used
        const prev = last.get(name);
        if (prev) cpuBase.set(name, (cpuBase.get(name) ?? 0) + prev.cpuSeconds - (start.get(name)?.cpuSeconds ?? 0));
        start.set(name, { cpuSeconds: 0, rssMb: 0 });
      }
      lastPid.set(name, pid);
      if (!s) continue;
      if (!start.has(name)) start.set(name, s);
      last.set(name, s);
      peak.set(name, Math.max(peak.get(name) ?? 0, s.rssMb));
    }
  };
  tick();
  const timer = setInterval(tick, 1000);
  return {
    stop() {
      tick();
      clearInterval(timer);
      const seconds = (Date.now() - t0) / 1000;
      const out: Record<string, { cpuSeconds: number; cpuPercent: number; peakRssMb: number; rssMb: number }> = {};
      for (const [name] of probes) {
        const cpu = (cpuBase.get(name) ?? 0) + (last.get(name)?.cpuSeconds ?? 0) - (start.get(name)?.cpuSeconds ?? 0);
        out[name] = {
          cpuSeconds: round(cpu, 1),
          cpuPercent: round((100 * cpu) / Math.max(seconds, 0.001), 1),
          peakRssMb: Math.round(peak.get(name) ?? 0),
          rssMb: Math.round(last.get(name)?.rssMb ?? 0),
        };
      }
      return out;
    },
  };
}

/**
 * Waits until the processes are quiet: their CPU together under `belowPercent` of one core over
 * `windowMs` (a server still draining the work of a previous phase, e.g. Temporal's visibility and
 * timer tasks after a fleet start, would otherwise be charged to the next one). Resolves with the
 * seconds waited, or null if they were still busy after `timeoutMs`.
 */
export async function waitForQuiet(
  pids: Record<string, () => number | undefined>,
  trees: Record<string, () => number | undefined> = {},
  opts: { belowPercent?: number; windowMs?: number; timeoutMs?: number } = {},
): Promise<number | null> {
  const { belowPercent = 15, windowMs = 10_000, timeoutMs = 15 * 60_000 } = opts;
  const total = () =>
    [
      ...Object.values(pids).map((pidOf) => procSample(pidOf())),
      ...Object.values(trees).map((pidOf) => processTreeSample(pidOf())),
    ].reduce((sum, sample) => sum + (sample?.cpuSeconds ?? 0), 0);
  const t0 = Date.now();
  const window: Array<{ at: number; cpu: number }> = [{ at: t0, cpu: total() }];
  while (Date.now() - t0 < timeoutMs) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = { at: Date.now(), cpu: total() };
    window.push(now);
    while (window.length > 1 && now.at - window[0]!.at > windowMs) window.shift();
    const first = window[0]!;
    if (
      now.at - first.at >= windowMs * 0.9 &&
      (100 * (now.cpu - first.cpu)) / ((now.at - first.at) / 1000) < belowPercent
    )
      return (now.at - t0) / 1000;
  }
  return null;
}

export const round = (x: number, digits = 2) => Number(x.toFixed(digits));

// ---- worker processes ----------------------------------------------------------------------------
export interface WorkerProcess {
  readonly pid: number | undefined;
  readonly child: ChildProcess;
  /** Resolves once the worker logged that it polls its task queue. */
  ready: Promise<void>;
  exited: Promise<void>;
  /** Warnings the worker logged, counted by message. */
  readonly warnings: Record<string, number>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * The worker as production runs it: compiled (`npm run build`: dist/worker/main.js) with the
 * prebuilt workflow bundle (dist/workflow-bundle.js), so no webpack at start nor tsx loader thread
 * in the measured process. Built once per benchmark run (about 30 s); returns the entry to spawn.
 */
let built: Promise<string> | undefined;
export function compiledWorker(): Promise<string> {
  built ??= new Promise<string>((res, rej) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
    child.once('exit', (code) =>
      code === 0 ? res('dist/worker/main.js') : rej(new Error(`npm run build failed (exit ${code})`)),
    );
  });
  return built;
}

/**
 * Starts `entry` (a .ts file under the repository, run with tsx's loader, or a compiled .js file)
 * in a child node process, so that its pid is the worker itself (SIGKILL reaches it, /proc figures
 * are its own).
 */
export function spawnWorker(
  entry: string,
  env: NodeJS.ProcessEnv,
  opts: { name?: string; log?: (line: string) => void; readyMessage?: string } = {},
): WorkerProcess {
  // BENCH_CPU_PROF=<dir>: each worker writes a V8 CPU profile there when it exits (see bench/README.md).
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${resolve(process.env.BENCH_CPU_PROF)}`]
    : [];
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...profile, ...loader, join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Never outlive the harness (a killed or crashed harness would leave a worker polling).
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  child.once('exit', () => process.removeListener('exit', orphanGuard));
  const log = opts.log ?? ((line: string) => process.stderr.write(`[${opts.name ?? 'worker'}] ${line}\n`));
  const warnings: Record<string, number> = {};
  let markReady: () => void = () => undefined;
  let fail: (e: Error) => void = () => undefined;
  const ready = new Promise<void>((res, rej) => {
    markReady = res;
    fail = rej;
  });
  ready.catch(() => undefined);
  const exited = new Promise<void>((res) =>
    child.once('exit', (code, signal) => {
      fail(new Error(`${opts.name ?? 'worker'} exited before it was ready (code ${code}, signal ${signal})`));
      res();
    }),
  );
  const onLine = (line: string) => {
    if (!line.trim()) return;
    let parsed: { level?: number; msg?: string } | null = null;
    try {
      parsed = JSON.parse(line) as { level?: number; msg?: string };
    } catch {
      parsed = null;
    }
    if (parsed?.msg === (opts.readyMessage ?? 'worker running')) markReady();
    // Pino levels: 40 warn, 50 error. Plain lines (stack traces) are shown too; warnings are
    // counted by message and the first few of each shown (a fleet can warn thousands of times).
    if (parsed && parsed.level === 40) {
      const seen = (warnings[parsed.msg ?? '?'] = (warnings[parsed.msg ?? '?'] ?? 0) + 1);
      if (seen <= 3) log(line.slice(0, 500));
    }
    if (!parsed || (parsed.level ?? 0) >= 50) log(line.slice(0, 500));
  };
  for (const stream of [child.stdout, child.stderr]) {
    let buf = '';
    stream?.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
  }
  return {
    get pid() {
      return child.pid;
    },
    child,
    ready,
    exited,
    warnings,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---- the stack -----------------------------------------------------------------------------------
export interface StackOptions {
  /** Sandbox options (history days, volume, webhook URL…). */
  sandbox?: Partial<PowensSandboxOptions>;
  /** Temporal CLI binary; default: TEMPORAL_CLI_PATH (Jest) or scripts/tools.mjs. */
  temporalCliPath?: string;
  /**
   * `dev` (default): the CLI's dev server on SQLite. `production`: the Temporal server built from Go
   * modules, on PostgreSQL (bench/temporal-production.ts).
   */
  temporal?: 'dev' | 'production';
  /**
   * Load pg_stat_statements in the embedded PostgreSQL (with planning times), for `statementStats`.
   * Takes effect when this process starts the server (not on a server it reuses or DATABASE_URL's).
   */
  pgStatements?: boolean;
  log?: (line: string) => void;
}

export interface Stack {
  databaseUrl: string;
  prisma: Db;
  pg: Pool;
  sandbox: PowensSandbox;
  powensOrigin: string;
  /** Every Powens API request seen, in arrival order (the sandbox's own log keeps only 5 000). */
  powensRequests: Array<{ at: number; method: string; url: string }>;
  /** Records Powens API requests while true (off by default: the cycle sends hundreds of thousands). */
  recordPowensRequests: boolean;
  /** Powens API answers that were faults (5xx or 429), counted since the start. */
  powensFaults(): number;
  /**
   * Powens API requests still unanswered, the oldest first (age in ms), those the client gave up
   * on before an answer (closed), and the sandbox pool's clients (total, idle, waiting): where a
   * request that never answers is.
   */
  powensInFlight(): {
    count: number;
    oldest: Array<{ method: string; url: string; ageMs: number }>;
    closedUnanswered: number;
    pool: { total: number; idle: number; waiting: number };
  };
  sink: ReturnType<typeof createMailSink>;
  sinkUrl: string;
  temporal: RunningTemporal;
  /** The dev server's SQLite file ('' on the production-shaped server). */
  temporalDbFile: string;
  /** The production-shaped server's PostgreSQL databases ([] on the dev server). */
  temporalDatabases: string[];
  connection: Connection;
  client: Client;
  /** Environment of a worker process pointed at this stack. */
  workerEnv(taskQueue: string, extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  temporalDbBytes(): number;
  stop(): Promise<void>;
}

let embedded: Promise<{ serverUrl: string; stop(): Promise<void> }> | null = null;

async function pgServer(pgStatements = false): Promise<string> {
  if (process.env.RELEVES_TEST_PG_SERVER) return process.env.RELEVES_TEST_PG_SERVER;
  if (process.env.DATABASE_URL) {
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = '';
    return u.toString().replace(/\/$/, '');
  }
  const settings: Record<string, string> = pgStatements
    ? { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track_planning': 'on' }
    : {};
  embedded ??= (async () => startEmbeddedPostgres({ dataDir: BENCH_POSTGRES_DIR, port: await freePort(), settings }))();
  return (await embedded).serverUrl;
}

/** Stops the embedded PostgreSQL the benchmarks started, if any. */
export async function stopEmbeddedPostgres(): Promise<void> {
  if (embedded) await (await embedded).stop();
  embedded = null;
}

async function temporalCli(): Promise<string> {
  if (process.env.TEMPORAL_CLI_PATH) return process.env.TEMPORAL_CLI_PATH;
  const tools = (await import(join(ROOT, 'scripts', 'tools.mjs'))) as { ensureTemporalCli(): string };
  return tools.ensureTemporalCli();
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const log = opts.log ?? (() => undefined);
  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((e) => log(`cleanup: ${(e as Error).message}`));
  };
  try {
    // Database: a fresh copy of the migrated template.
    const server = await pgServer(opts.pgStatements);
    const template = process.env.RELEVES_TEST_TEMPLATE_DB ?? (await ensureTemplateDatabase(server));
    const dbName = `bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
    const admin = new PgClient({ connectionString: withDatabase(server, 'postgres') });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${dbName}" TEMPLATE "${template}"`);
    await admin.end();
    const databaseUrl = withDatabase(server, dbName);
    cleanups.push(() =>
      process.env.BENCH_KEEP_DB ? Promise.resolve(log(`kept ${databaseUrl}`)) : dropDatabase(databaseUrl),
    );
    const prisma = createPrismaClient(databaseUrl, { max: 10 });
    cleanups.push(() => prisma.$disconnect());
    const pg = new Pool({ connectionString: databaseUrl, max: 10 });
    pg.on('error', () => undefined);
    cleanups.push(() => pg.end());

    // Powens sandbox (its schema in the same database) and the mail sink, in this process.
    const sandboxPool = new Pool({ connectionString: databaseUrl, max: 10 });
    sandboxPool.on('error', () => undefined);
    cleanups.push(() => sandboxPool.end());
    const sandbox = createPowensSandbox({
      pool: sandboxPool,
      clientId: POWENS_CLIENT_ID,
      clientSecret: POWENS_CLIENT_SECRET,
      webhookSecret: POWENS_WEBHOOK_SECRET,
      seed: 'bench',
      historyDays: 1,
      ...opts.sandbox,
    });
    await sandbox.ready;
    cleanups.push(() => sandbox.stop());
    const powensRequests: Stack['powensRequests'] = [];
    const holder = { record: false, faults: 0, closedUnanswered: 0 };
    const inFlight = new Map<ServerResponse, { method: string; url: string; at: number }>();
    const powensServer = await listen((req, res) => {
      if (req.url?.startsWith('/2.0/')) {
        if (holder.record) powensRequests.push({ at: Date.now(), method: req.method ?? 'GET', url: req.url });
        inFlight.set(res, { method: req.method ?? 'GET', url: req.url, at: Date.now() });
        res.once('finish', () => {
          inFlight.delete(res);
          if (res.statusCode >= 500 || res.statusCode === 429) holder.faults++;
        });
        res.once('close', () => {
          if (inFlight.delete(res)) holder.closedUnanswered++;
        });
      }
      sandbox.app(req, res);
    });
    cleanups.push(() => close(powensServer));
    const powensOrigin = `http://127.0.0.1:${(powensServer.address() as AddressInfo).port}`;

    const sink = createMailSink({ serverToken: POSTMARK_TOKEN });
    const sinkServer = await listen((req, res) => sink.app(req, res));
    cleanups.push(() => close(sinkServer));
    const sinkUrl = `http://127.0.0.1:${(sinkServer.address() as AddressInfo).port}`;

    let temporal: RunningTemporal;
    let temporalDbFile = '';
    let temporalDatabases: string[] = [];
    if (opts.temporal === 'production') {
      const tools = (await import(join(ROOT, 'scripts', 'tools.mjs'))) as {
        ensureTemporalServer(): { server: string; sqlTool: string; schemaDir: string };
      };
      const production = await startTemporalProduction({
        ...tools.ensureTemporalServer(),
        pgServerUrl: server,
        name: `temporal_${dbName}`,
        root: join(ROOT, '.data', 'bench-temporal-server', dbName),
        namespace: 'default',
        // An experiment's other dynamic configuration (default: the deployment's, deploy/).
        dynamicConfig: process.env.BENCH_TEMPORAL_DYNAMIC_CONFIG || undefined,
        log: (line) => log(`[temporal] ${line}`),
      });
      temporal = production;
      temporalDatabases = production.databases;
    } else {
      // Temporal dev server on a fresh SQLite file.
      const temporalDir = join(ROOT, '.data', 'bench-temporal');
      mkdirSync(temporalDir, { recursive: true });
      temporalDbFile = join(temporalDir, `${dbName}.db`);
      temporal = await startTemporalDevServer({
        cliPath: opts.temporalCliPath ?? (await temporalCli()),
        dbFile: temporalDbFile,
        port: await freePort(),
        uiPort: await freePort(),
        namespace: 'default',
        // The default pragmas fsync every write: ~3 workflows/s on this shared VM (58 s for 200
        // trivial workflows against 9 s with these). Production runs Temporal on PostgreSQL.
        sqlitePragmas: { journal_mode: 'wal', synchronous: 'off' },
        log: (line) => log(`[temporal] ${line}`),
      });
    }
    const temporalGuard = () => temporal.process.kill('SIGKILL');
    process.once('exit', temporalGuard);
    cleanups.push(async () => {
      process.removeListener('exit', temporalGuard);
      await temporal.stop();
      if (temporalDbFile) for (const suffix of ['', '-wal', '-shm']) rmSync(temporalDbFile + suffix, { force: true });
    });
    const connection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });

    const stack: Stack = {
      databaseUrl,
      prisma,
      pg,
      sandbox,
      powensOrigin,
      powensRequests,
      get recordPowensRequests() {
        return holder.record;
      },
      set recordPowensRequests(v: boolean) {
        holder.record = v;
      },
      powensFaults: () => holder.faults,
      powensInFlight: () => {
        const now = Date.now();
        const all = [...inFlight.values()].sort((a, b) => a.at - b.at);
        return {
          count: all.length,
          oldest: all.slice(0, 3).map((r) => ({ method: r.method, url: r.url, ageMs: now - r.at })),
          closedUnanswered: holder.closedUnanswered,
          pool: { total: sandboxPool.totalCount, idle: sandboxPool.idleCount, waiting: sandboxPool.waitingCount },
        };
      },
      sink,
      sinkUrl,
      temporal,
      temporalDbFile,
      temporalDatabases,
      connection,
      client,
      workerEnv(taskQueue, extra = {}) {
        return {
          NODE_ENV: 'development',
          LOG_LEVEL: 'info',
          DATABASE_URL: databaseUrl,
          TEMPORAL_ADDRESS: temporal.address,
          TEMPORAL_NAMESPACE: 'default',
          TEMPORAL_TASK_QUEUE: taskQueue,
          POWENS_BASE_URL: `${powensOrigin}/2.0`,
          POWENS_WEBVIEW_URL: `${powensOrigin}/webview`,
          POWENS_CLIENT_ID,
          POWENS_CLIENT_SECRET,
          POWENS_WEBHOOK_SECRET,
          POSTMARK_API_URL: sinkUrl,
          POSTMARK_SERVER_TOKEN: POSTMARK_TOKEN,
          WORKER_SHUTDOWN_GRACE_SECONDS: '5',
          ...extra,
        };
      },
      temporalDbBytes() {
        let total = 0;
        for (const suffix of temporalDbFile ? ['', '-wal'] : []) {
          const f = temporalDbFile + suffix;
          if (existsSync(f)) total += statSync(f).size;
        }
        return total;
      },
      stop: stopAll,
    };
    return stack;
  } catch (e) {
    await stopAll();
    throw e;
  }
}

function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  return new Promise((res, rej) => {
    const server = createServer(handler);
    server.keepAliveTimeout = 65_000;
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => res(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((res) => {
    server.close(() => res());
    server.closeAllConnections();
  });
}

/** Anything that runs a query: the stack's pool, or a client. */
interface Queryable {
  query<R extends object>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/** One statement's account in pg_stat_statements: wall time in the server, milliseconds. */
export interface StatementStat {
  query: string;
  calls: string;
  exec: number;
  plan: number;
  rows: string;
  blocks: string;
}

/** Empties pg_stat_statements (loaded at the server's start: `shared_preload_libraries`). */
export async function resetStatementStats(pg: Queryable): Promise<void> {
  await pg.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  await pg.query('SELECT pg_stat_statements_reset()');
}

/** The statements run in the database `database` since the reset, the costliest first. */
export async function statementStatsOf(pg: Queryable, database: string): Promise<StatementStat[]> {
  const r = await pg.query<StatementStat>(
    `SELECT regexp_replace(query, '\\s+', ' ', 'g') AS query, calls, total_exec_time AS exec,
            total_plan_time AS plan, rows, shared_blks_hit + shared_blks_read + shared_blks_dirtied AS blocks
       FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1)
        AND query NOT LIKE '%pg_stat_statements%'
      ORDER BY total_exec_time + total_plan_time DESC`,
    [database],
  );
  return r.rows;
}

/**
 * PostgreSQL's own account of the statements run in the stack's database since `reset()`
 * (pg_stat_statements, loaded by `pgStatements`): time (execution plus planning, wall time in the
 * server) per `per` (a connection of the cycle), ours and the Powens sandbox's apart, and our `top`
 * statements with their calls per connection, rows and buffers per call.
 */
export function statementStats(stack: Stack) {
  const ours = new URL(stack.databaseUrl).pathname.slice(1);
  return {
    reset: () => resetStatementStats(stack.pg),
    async top(per: number, limit = 12) {
      const rows = await statementStatsOf(stack.pg, ours);
      // The Powens sandbox shares the database (its own schema): its statements are Powens', not ours;
      // the benchmark's own (its progress counts, marked /* bench */) are neither.
      const sandbox = rows.filter((x) => x.query.includes('powens_sandbox'));
      const bench = rows.filter((x) => x.query.startsWith('/* bench */'));
      const mine = rows.filter((x) => !sandbox.includes(x) && !bench.includes(x));
      const sum = (some: StatementStat[]) => round(some.reduce((a, x) => a + x.exec + x.plan, 0) / per, 2);
      return {
        oursMsPerConnection: sum(mine),
        oursPlanMsPerConnection: round(mine.reduce((a, x) => a + x.plan, 0) / per, 2),
        sandboxMsPerConnection: sum(sandbox),
        benchMsPerConnection: sum(bench),
        statements: mine.length,
        top: mine.slice(0, limit).map((x) => ({
          msPerConnection: round((x.exec + x.plan) / per, 3),
          planMsPerConnection: round(x.plan / per, 3),
          callsPerConnection: round(Number(x.calls) / per, 2),
          rowsPerCall: round(Number(x.rows) / Math.max(1, Number(x.calls)), 1),
          blocksPerCall: round(Number(x.blocks) / Math.max(1, Number(x.calls)), 1),
          query: x.query.slice(0, 160),
        })),
      };
    },
  };
}
