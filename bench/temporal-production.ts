/**
 * A production-shaped Temporal for benchmarks (issue 21): the Temporal server itself (`cmd/server`,
 * built from Go modules by scripts/tools.mjs), its history and visibility on PostgreSQL (two
 * databases of the benchmark's PostgreSQL server, schemas applied by its own `temporal-sql-tool`
 * from the versioned files its module ships), the four services in one process, our namespace and
 * search attributes registered as an operator would. The dev server (SQLite) stays the default.
 */
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { msToTs } from '@temporalio/common/lib/time';
import { Client as PgClient } from 'pg';
import {
  dynamicConfigFile,
  ensureSearchAttributes,
  spawnTemporalServer,
  type RunningTemporal,
} from '../lib/temporal-dev-server';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';

const run = promisify(execFile);

export interface ProductionTemporal extends RunningTemporal {
  /** The two databases (history, visibility), for counting PostgreSQL connections. */
  databases: string[];
}

export async function startTemporalProduction(opts: {
  server: string;
  sqlTool: string;
  schemaDir: string;
  /** postgres://user:password@host:port (no database). */
  pgServerUrl: string;
  /** Prefix of the two databases (dropped and created again). */
  name: string;
  root: string;
  namespace: string;
  /** History shards: fixed for the cluster's life (production clusters use 512 and more). */
  historyShards?: number;
  /** PostgreSQL connections the history store may open. */
  maxConns?: number;
  /** Dynamic configuration file (default: the deployment's, which docker-compose.yml mounts). */
  dynamicConfig?: string;
  log?: (line: string) => void;
}): Promise<ProductionTemporal> {
  const log = opts.log ?? (() => undefined);
  const pgUrl = new URL(opts.pgServerUrl);
  const history = `${opts.name}`;
  const visibility = `${opts.name}_visibility`;
  const admin = new PgClient({ connectionString: `${opts.pgServerUrl.replace(/\/$/, '')}/postgres` });
  await admin.connect();
  try {
    for (const db of [history, visibility]) {
      await admin.query(`DROP DATABASE IF EXISTS "${db}"`);
      await admin.query(`CREATE DATABASE "${db}"`);
    }
  } finally {
    await admin.end();
  }
  const tool = (db: string, ...args: string[]) =>
    run(opts.sqlTool, [
      '--plugin',
      'postgres12',
      '--ep',
      pgUrl.hostname,
      '-p',
      pgUrl.port || '5432',
      '-u',
      decodeURIComponent(pgUrl.username),
      '--pw',
      decodeURIComponent(pgUrl.password),
      '--db',
      db,
      ...args,
    ]);
  for (const [db, dir] of [
    [history, 'temporal'],
    [visibility, 'visibility'],
  ] as const) {
    await tool(db, 'setup-schema', '-v', '0.0');
    await tool(db, 'update-schema', '-d', join(opts.schemaDir, dir, 'versioned'));
  }
  log(`schemas applied to ${history} and ${visibility}`);

  // The cluster_membership table stores ports as smallint: every port below 32 768.
  const ports: Record<string, number> = {};
  for (const k of [
    'frontend',
    'frontendHttp',
    'metrics',
    'frontendM',
    'history',
    'historyM',
    'matching',
    'matchingM',
    'worker',
    'workerM',
  ])
    ports[k] = await lowFreePort(new Set(Object.values(ports)));
  const store = (db: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName: db,
      connectAddr: `${pgUrl.hostname}:${pgUrl.port || '5432'}`,
      connectProtocol: 'tcp',
      user: decodeURIComponent(pgUrl.username),
      password: decodeURIComponent(pgUrl.password),
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (grpc: number, membership: number, extra: Record<string, unknown> = {}) => ({
    rpc: { grpcPort: grpc, membershipPort: membership, bindOnLocalHost: true, ...extra },
  });
  const config = {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'history',
      visibilityStore: 'visibility',
      numHistoryShards: opts.historyShards ?? 16,
      datastores: { history: store(history, opts.maxConns ?? 20), visibility: store(visibility, 4) },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      metrics: {
        prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `127.0.0.1:${ports.metrics}` },
      },
    },
    services: {
      frontend: service(ports.frontend!, ports.frontendM!, { httpPort: ports.frontendHttp }),
      history: service(ports.history!, ports.historyM!),
      matching: service(ports.matching!, ports.matchingM!),
      worker: service(ports.worker!, ports.workerM!),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${ports.frontend}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: join(opts.root, 'config', 'dynamic.yaml'), pollInterval: '60s' },
  };
  rmSync(opts.root, { recursive: true, force: true });
  mkdirSync(join(opts.root, 'config'), { recursive: true });
  // YAML is a superset of JSON: the server reads this file as it is.
  writeFileSync(join(opts.root, 'config', 'production.yaml'), JSON.stringify(config, null, 2));
  writeFileSync(join(opts.root, 'config', 'dynamic.yaml'), readFileSync(opts.dynamicConfig ?? dynamicConfigFile()));

  const address = `127.0.0.1:${ports.frontend}`;
  const server = await spawnTemporalServer({
    command: opts.server,
    args: ['--root', opts.root, '--config', 'config', '--env', 'production', '--allow-no-auth', 'start'],
    address,
    what: 'Temporal server (BENCH_VERBOSE=1 shows its log)',
    timeoutMs: 120_000,
    retryMs: 500,
    log,
    ready: async (connection) => {
      await connection.workflowService
        .registerNamespace({
          namespace: opts.namespace,
          workflowExecutionRetentionPeriod: msToTs('1 day'),
        })
        .catch((e: Error & { code?: number }) => {
          if (e.code !== 6) throw e; // ALREADY_EXISTS
        });
      await connection.workflowService.describeNamespace({ namespace: opts.namespace });
      await ensureSearchAttributes(connection, opts.namespace);
      // The frontend's namespace cache refreshes every few seconds: usable once a query on our
      // search attributes is accepted.
      await connection.workflowService.listWorkflowExecutions({
        namespace: opts.namespace,
        pageSize: 1,
        query: SEARCH_ATTRIBUTE_KEYS.map((k) => `${k.name} IS NULL`).join(' AND '),
      });
    },
  });
  log(`Temporal server on ${address} (PostgreSQL ${history}, ${visibility})`);
  return {
    address,
    uiUrl: '',
    process: server.process,
    databases: [history, visibility],
    async stop() {
      await server.stop();
      const admin = new PgClient({ connectionString: `${opts.pgServerUrl.replace(/\/$/, '')}/postgres` });
      await admin.connect();
      try {
        for (const db of [history, visibility]) await admin.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

/** A free TCP port between 20 000 and 32 767 (not among `taken`). */
async function lowFreePort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = 20_000 + randomInt(12_768);
    if (taken.has(port)) continue;
    const free = await new Promise<boolean>((res) => {
      const probe = createServer();
      probe.once('error', () => res(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => res(true)));
    });
    if (free) return port;
  }
}
