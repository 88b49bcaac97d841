/**
 * The Temporal dev server (Temporal CLI `server start-dev`, built by scripts/tools.mjs) with
 * Temporal Web, persisted in a SQLite file under DATA_DIR, and our search attributes registered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { parse as parseYaml } from 'yaml';
import { SEARCH_ATTRIBUTE_FLAGS, SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';

export interface RunningTemporal {
  address: string;
  uiUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startTemporalDevServer(opts: {
  cliPath: string;
  dbFile: string;
  port: number;
  uiPort: number;
  namespace: string;
  /**
   * SQLite pragmas (`--sqlite-pragma`), e.g. `{ journal_mode: 'wal', synchronous: 'off' }` for
   * benchmarks: with the defaults every write waits for an fsync, which caps a shared VM at a few
   * workflows per second.
   */
  sqlitePragmas?: Record<string, string>;
  log?: (line: string) => void;
}): Promise<RunningTemporal> {
  const dbFile = resolve(opts.dbFile);
  mkdirSync(dirname(dbFile), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    dbFile,
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--ui-port',
    String(opts.uiPort),
    '--namespace',
    opts.namespace,
    '--log-level',
    'warn',
    ...SEARCH_ATTRIBUTE_FLAGS.flatMap((f) => ['--search-attribute', f]),
    ...Object.entries(opts.sqlitePragmas ?? {}).flatMap(([k, v]) => ['--sqlite-pragma', `${k}=${v}`]),
    ...Object.entries(dynamicConfigValues()).flatMap(([k, v]) => [
      '--dynamic-config-value',
      `${k}=${JSON.stringify(v)}`,
    ]),
  ];
  const address = `127.0.0.1:${opts.port}`;
  const server = await spawnTemporalServer({
    command: opts.cliPath,
    args,
    address,
    what: `Temporal dev server (port ${opts.port} taken?)`,
    timeoutMs: 60_000,
    log: opts.log,
    ready: (connection) => ensureSearchAttributes(connection, opts.namespace),
  });
  return { address, uiUrl: `http://localhost:${opts.uiPort}`, ...server };
}

/** deploy/temporal-dynamic-config.yaml, from lib/ (tsx) or dist/lib/ (compiled). */
export function dynamicConfigFile(): string {
  const file = [join(__dirname, '..'), join(__dirname, '..', '..')]
    .map((dir) => join(dir, 'deploy', 'temporal-dynamic-config.yaml'))
    .find((f) => existsSync(f));
  if (!file) throw new Error('deploy/temporal-dynamic-config.yaml not found');
  return file;
}

/**
 * Our Temporal dynamic configuration (deploy/temporal-dynamic-config.yaml: the production server
 * mounts it, the production-shaped benchmark server reads it), as the dev server takes it: each
 * key's unconstrained value.
 */
export function dynamicConfigValues(): Record<string, unknown> {
  const config = (parseYaml(readFileSync(dynamicConfigFile(), 'utf8')) ?? {}) as Record<
    string,
    { value: unknown; constraints?: unknown }[]
  >;
  const values: Record<string, unknown> = {};
  for (const [key, entries] of Object.entries(config)) {
    const unconstrained = entries.find((e) => e.constraints === undefined);
    if (unconstrained) values[key] = unconstrained.value;
  }
  return values;
}

/**
 * Starts a Temporal server process (the dev server, or the server built from Go modules for the
 * benchmarks) and waits until `ready` succeeds on a connection to `address`, retried until
 * `timeoutMs`; its output goes to `log`. `stop()` sends SIGTERM, then SIGKILL after 15 s.
 */
export async function spawnTemporalServer(opts: {
  command: string;
  args: string[];
  address: string;
  /** Named in the errors, with a hint. */
  what: string;
  timeoutMs: number;
  retryMs?: number;
  log?: (line: string) => void;
  ready: (connection: Connection) => Promise<unknown>;
}): Promise<{ process: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(opts.command, opts.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = opts.log ?? (() => undefined);
  child.stdout?.on('data', (d: Buffer) => log(d.toString().trim()));
  child.stderr?.on('data', (d: Buffer) => log(d.toString().trim()));
  let exited = false;
  const exit = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (exited) throw new Error(`${opts.what}: exited during start-up`);
    try {
      const connection = await Connection.connect({ address: opts.address, connectTimeout: 1000 });
      try {
        await opts.ready(connection);
      } finally {
        await connection.close();
      }
      break;
    } catch (e) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${opts.what}: not ready after ${opts.timeoutMs / 1000} s: ${(e as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, opts.retryMs ?? 250));
    }
  }
  return {
    process: child,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

const TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  DATETIME: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
};

/** Registers any of our search attributes the namespace lacks (idempotent). */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = SEARCH_ATTRIBUTE_KEYS.filter((k) => !(k.name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((k) => [k.name, TYPES[k.type]!])),
  });
}
