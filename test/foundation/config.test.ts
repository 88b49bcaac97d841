import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPowensClient } from '../../integrations/powens';
import { seedDemo } from '../../scripts/seed-demo';
import { ConfigError, PUBLIC_SECRETS, SANDBOX_WEBHOOK_SECRET, loadConfig, renderEnvExample } from '../../lib/config';
import { CACHED_WORKFLOW_KB, WORKER_BASE_RSS_MB, stickyCacheSize } from '../../lib/sticky-cache';

const root = join(__dirname, '..', '..');

/** A production configuration that starts (every service and secret given). */
const PROD = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgresql://u:p@db:5432/releves',
  TEMPORAL_ADDRESS: 'temporal:7233',
  POWENS_BASE_URL: 'https://acme.biapi.pro/2.0',
  POWENS_CLIENT_ID: '12345678',
  POWENS_CLIENT_SECRET: 'a-powens-client-secret',
  POWENS_WEBHOOK_SECRET: 'a-real-secret-from-powens',
  POSTMARK_API_URL: 'https://api.postmarkapp.com',
  POSTMARK_SERVER_TOKEN: '0b7e3a4c-postmark-server-token',
  POSTMARK_FROM: 'Relevés <releves@example.fr>',
  POSTMARK_WEBHOOK_SECRET: 'a-postmark-webhook-password',
  PUBLIC_BASE_URL: 'https://releves.example.fr',
  ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  SESSION_SECRET: 'x'.repeat(40),
};

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('accepted');
}

describe('configuration', () => {
  test('no variable at all starts the embedded stack', () => {
    const c = loadConfig({});
    expect(c.embeddedPostgres).toBe(true);
    expect(c.embeddedTemporal).toBe(true);
    expect(c.powensSandbox).toBe(true);
    expect(c.mailSink).toBe(true);
    expect(c.temporalAddress).toBe('127.0.0.1:7233');
    expect(c.powensBaseUrl).toBe('http://127.0.0.1:3100/2.0');
    expect(c.publicBaseUrl).toBe('http://localhost:3000');
  });

  test('the worker’s sticky cache is sized from its memory budget unless a size is given', () => {
    const byBudget = (mb: number) => loadConfig({ WORKER_MEMORY_BUDGET_MB: String(mb) }).workerMaxCachedWorkflows;
    expect(loadConfig({}).workerMaxCachedWorkflows).toBe(stickyCacheSize(480));
    expect(byBudget(480)).toBe(Math.floor(((480 - WORKER_BASE_RSS_MB) * 1024) / CACHED_WORKFLOW_KB));
    // More memory, more cached workflows, in proportion; a budget at the base still keeps a few.
    expect(Math.abs(byBudget(2048) - byBudget(1024) - (1024 * 1024) / CACHED_WORKFLOW_KB)).toBeLessThan(1);
    expect(byBudget(256)).toBe(50);
    expect(
      loadConfig({ WORKER_MEMORY_BUDGET_MB: '480', WORKER_MAX_CACHED_WORKFLOWS: '0' }).workerMaxCachedWorkflows,
    ).toBe(0);
    expect(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '' }).workerMaxCachedWorkflows).toBe(stickyCacheSize(480));
    expect(refusal({ WORKER_MEMORY_BUDGET_MB: '128' }).message).toContain(
      'WORKER_MEMORY_BUDGET_MB: must be at least 256 (MB)',
    );
  });

  test('given services replace the embedded ones', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgresql://u:p@db:5432/releves',
      TEMPORAL_ADDRESS: 'temporal:7233',
      POWENS_BASE_URL: 'https://acme.biapi.pro/2.0/',
      POSTMARK_API_URL: 'https://api.postmarkapp.com',
    });
    expect(c.embeddedPostgres).toBe(false);
    expect(c.embeddedTemporal).toBe(false);
    expect(c.temporalAddress).toBe('temporal:7233');
    expect(c.powensBaseUrl).toBe('https://acme.biapi.pro/2.0');
    expect(c.powensSandbox).toBe(false);
    expect(c.mailSink).toBe(false);
  });

  test('the webview: Powens’ own for a real Powens API, never the local sandbox once POWENS_BASE_URL is set', () => {
    expect(loadConfig({}).powensWebviewUrl).toBe('http://localhost:3100/webview');
    expect(loadConfig({ POWENS_SANDBOX_PORT: '3999' }).powensWebviewUrl).toBe('http://localhost:3999/webview');
    for (const base of [
      'https://acme.biapi.pro/2.0',
      'https://acme-sandbox.biapi.pro/2.0/',
      'https://a1-b2.biapi.pro/2.0',
    ])
      expect(loadConfig({ POWENS_BASE_URL: base }).powensWebviewUrl).toBe('https://webview.powens.com');
    // Any other API (a sandbox server elsewhere): the webview next to it.
    expect(loadConfig({ POWENS_BASE_URL: 'http://127.0.0.1:4100/2.0' }).powensWebviewUrl).toBe(
      'http://127.0.0.1:4100/webview',
    );
    expect(loadConfig({ POWENS_BASE_URL: 'https://evil.biapi.pro.example.com/2.0' }).powensWebviewUrl).toBe(
      'https://evil.biapi.pro.example.com/webview',
    );
    // An explicit value wins (a trailing /connect is the client's to drop).
    expect(
      loadConfig({
        POWENS_BASE_URL: 'https://acme.biapi.pro/2.0',
        POWENS_WEBVIEW_URL: 'https://webview.powens.com/connect/',
      }).powensWebviewUrl,
    ).toBe('https://webview.powens.com/connect');
  });

  test('the webview URL built from a real Powens domain is the SDK’s: webview.powens.com/<flow>?domain=<domain>', () => {
    const config = loadConfig({ POWENS_BASE_URL: 'https://acme-sandbox.biapi.pro/2.0', POWENS_CLIENT_ID: '12345678' });
    const client = createPowensClient({
      baseUrl: config.powensBaseUrl,
      webviewUrl: config.powensWebviewUrl,
      clientId: config.POWENS_CLIENT_ID,
      clientSecret: 'x',
    });
    const url = new URL(client.connectUrl({ code: 'c', redirectUri: 'https://releves.example.fr/powens/callback' }));
    expect(url.origin + url.pathname).toBe('https://webview.powens.com/connect');
    expect(url.searchParams.get('domain')).toBe('acme-sandbox');
    expect(url.searchParams.get('client_id')).toBe('12345678');
  });

  test.each([
    ['TEMPORAL_ADDRESS', 'temporal', 'host:port'],
    ['API_PORT', '70000', 'TCP port'],
    ['DATABASE_URL', 'mysql://x', 'postgresql://'],
    ['ENCRYPTION_KEY', 'c2hvcnQ=', '32 bytes'],
    ['POWENS_CLIENT_ID', 'abc', 'numeric'],
    ['PUBLIC_BASE_URL', 'not a url', 'absolute URL'],
  ])('a wrong %s is refused with an error naming it', (variable, value, reason) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    try {
      loadConfig({ [variable]: value });
    } catch (e) {
      expect((e as ConfigError).issues).toEqual([expect.objectContaining({ variable })]);
      expect((e as Error).message).toContain(variable);
      expect((e as Error).message).toContain(reason);
    }
  });

  test('production refuses the embedded defaults and every secret left to its public default, one line each', () => {
    const e = refusal({ NODE_ENV: 'production' });
    expect(e.issues.map((i) => i.variable).sort()).toEqual(
      [
        'DATABASE_URL',
        'ENCRYPTION_KEY',
        'POSTMARK_API_URL',
        'POSTMARK_FROM',
        'POSTMARK_SERVER_TOKEN',
        'POSTMARK_WEBHOOK_SECRET',
        'POWENS_BASE_URL',
        'POWENS_CLIENT_ID',
        'POWENS_CLIENT_SECRET',
        'POWENS_WEBHOOK_SECRET',
        'PUBLIC_BASE_URL',
        'SESSION_SECRET',
        'TEMPORAL_ADDRESS',
      ].sort(),
    );
    // Each refusal: one line naming the variable and saying why.
    for (const line of e.message.split('\n').slice(1, -1))
      expect(line).toMatch(/^ {2}[A-Z_]+: .+ in production.*: .{10,}$/);
    expect(e.message).toContain(
      'SESSION_SECRET: is required in production (the development default is public): it signs the Powens state parameter',
    );
  });

  test('production: a valid configuration starts; each secret set to any public value is refused, naming it', () => {
    expect(loadConfig(PROD).NODE_ENV).toBe('production');
    const secrets = [
      'SESSION_SECRET',
      'POWENS_CLIENT_SECRET',
      'POWENS_WEBHOOK_SECRET',
      'POSTMARK_SERVER_TOKEN',
      'POSTMARK_WEBHOOK_SECRET',
    ];
    for (const name of secrets)
      for (const value of PUBLIC_SECRETS) {
        // Refused, naming the variable (too short for it, or public).
        const e = refusal({ ...PROD, [name]: value });
        expect(e.issues).toEqual([{ variable: name, reason: expect.any(String) }]);
        if (value.length >= 32) expect(e.issues[0]!.reason).toMatch(/^must not be .* in production/);
      }
    // The development encryption key, even written differently (base64 without padding).
    const devKey = loadConfig({}).ENCRYPTION_KEY;
    for (const value of [devKey, devKey.replace(/=+$/, '')])
      expect(refusal({ ...PROD, ENCRYPTION_KEY: value }).issues).toEqual([
        {
          variable: 'ENCRYPTION_KEY',
          reason:
            'must not be a public development default in production: it encrypts the Powens user tokens and the links waiting in the outbox',
        },
      ]);
    expect(refusal({ ...PROD, POSTMARK_SERVER_TOKEN: 'POSTMARK_API_TEST' }).issues[0]!.reason).toMatch(
      /^must not be Postmark’s test token in production \(it delivers nothing\)/,
    );
    // One value in two roles: the second is refused.
    expect(refusal({ ...PROD, POSTMARK_WEBHOOK_SECRET: PROD.POWENS_WEBHOOK_SECRET }).issues).toEqual([
      {
        variable: 'POSTMARK_WEBHOOK_SECRET',
        reason: expect.stringMatching(/^must differ from POWENS_WEBHOOK_SECRET in production/),
      },
    ]);
    // Outside production the defaults are what `npm start` runs on.
    expect(loadConfig({}).SESSION_SECRET).toBe(PUBLIC_SECRETS.find((v) => v.startsWith('dev-only-session')));
  });

  test('demo credentials are derived only outside production', async () => {
    await expect(seedDemo('postgresql://127.0.0.1:1/none', loadConfig(PROD))).rejects.toThrow(
      'seedDemo: demo accounts, API keys and passwords are never created with NODE_ENV=production',
    );
  });

  test('TRUST_PROXY: off by default, a hop count or addresses and CIDR blocks; true and garbage are refused', () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8,192.168.1.7' }).TRUST_PROXY).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::/8',
      '192.168.1.7',
    ]);
    for (const bad of ['true', '10.0.0.0/33', 'proxy.example', '1.2.3.4/8/1', 'loopback,*'])
      expect(refusal({ TRUST_PROXY: bad }).issues).toEqual([{ variable: 'TRUST_PROXY', reason: expect.any(String) }]);
    expect(refusal({ TRUST_PROXY: 'true' }).issues[0]!.reason).toMatch(/would trust any peer/);
  });

  test('the API refuses to start with an unsafe production configuration: exit 1, one line per refusal, nothing started', () => {
    const run = (env: Record<string, string>) =>
      spawnSync(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'api', 'server.ts')], {
        cwd: root,
        env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...env },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const r = run({ ...PROD, SESSION_SECRET: loadConfig({}).SESSION_SECRET, POSTMARK_SERVER_TOKEN: '' });
    expect(r.status).toBe(1);
    // One line per refusal (lib/startup.ts), naming the variable and why.
    expect(r.stderr.trim().split('\n')).toEqual([
      'api: Configuration refused: POSTMARK_SERVER_TOKEN is required in production (the development default is public): it sends every e-mail through Postmark (see .env.example)',
      'api: Configuration refused: SESSION_SECRET must not be a public development default in production: it signs the Powens state parameter of every bank connection (see .env.example)',
    ]);
    expect(r.stdout).not.toContain('API listening');
    // The worker entry point reads the same module.
    const w = spawnSync(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'worker', 'main.ts')], {
      cwd: root,
      env: { PATH: process.env.PATH!, HOME: process.env.HOME!, NODE_ENV: 'production' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(w.status).not.toBe(0);
    expect(w.stderr).toContain('worker: Configuration refused: ENCRYPTION_KEY is required in production');
  });

  test('Powens webhooks: the registered URL, the signed-date window, the secret and the Bearer variant', () => {
    const dev = loadConfig({ PUBLIC_BASE_URL: 'https://releves.example.fr/' });
    expect(dev.powensWebhookBaseUrl).toBe('https://releves.example.fr/powens/webhooks');
    expect(dev.powensWebhookSecret).toBe(SANDBOX_WEBHOOK_SECRET);
    expect(dev.POWENS_WEBHOOK_MAX_AGE_SECONDS).toBe(3 * 24 * 3600);
    expect(dev.POWENS_WEBHOOK_BEARER).toBe(false);
    const behindProxy = loadConfig({
      PUBLIC_BASE_URL: 'https://releves.example.fr',
      POWENS_WEBHOOK_BASE_URL: 'https://www.example.fr/releves/powens/webhooks/',
      POWENS_WEBHOOK_MAX_AGE_SECONDS: '3600',
      POWENS_WEBHOOK_BEARER: 'true',
    });
    expect(behindProxy.powensWebhookBaseUrl).toBe('https://www.example.fr/releves/powens/webhooks');
    expect(behindProxy.POWENS_WEBHOOK_MAX_AGE_SECONDS).toBe(3600);
    expect(behindProxy.POWENS_WEBHOOK_BEARER).toBe(true);
    expect(() => loadConfig({ POWENS_WEBHOOK_BEARER: 'yes' })).toThrow(/POWENS_WEBHOOK_BEARER/);
    expect(() => loadConfig({ POWENS_WEBHOOK_MAX_AGE_SECONDS: '10' })).toThrow(/POWENS_WEBHOOK_MAX_AGE_SECONDS/);

    const { POWENS_WEBHOOK_SECRET: _secret, ...prod } = PROD;
    const issues = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (e) {
        return (e as ConfigError).issues.map((i) => `${i.variable}: ${i.reason}`);
      }
    };
    expect(issues(prod)).toEqual([
      'POWENS_WEBHOOK_SECRET: is required in production (unless POWENS_WEBHOOK_BEARER=true): it authenticates Powens’ webhooks',
    ]);
    expect(issues({ ...prod, POWENS_WEBHOOK_SECRET: SANDBOX_WEBHOOK_SECRET })).toEqual([
      'POWENS_WEBHOOK_SECRET: must not be the sandbox secret in production (it is public): it authenticates Powens’ webhooks',
    ]);
    // Bearer on: still never the sandbox's secret.
    expect(
      issues({ ...prod, POWENS_WEBHOOK_BEARER: 'true', POWENS_WEBHOOK_SECRET: SANDBOX_WEBHOOK_SECRET }),
    ).toHaveLength(1);
    expect(loadConfig({ ...prod, POWENS_WEBHOOK_SECRET: 'a-real-secret-from-powens' }).powensWebhookSecret).toBe(
      'a-real-secret-from-powens',
    );
    // Bearer only (no HMAC provider at Powens): no secret at all, never the sandbox's.
    expect(loadConfig({ ...prod, POWENS_WEBHOOK_BEARER: 'true' }).powensWebhookSecret).toBeNull();
  });

  test('the webview offers the account types that can get a CFONB statement, unless configured otherwise', () => {
    expect(loadConfig({}).POWENS_WEBVIEW_ACCOUNT_TYPES).toEqual(['checking', 'joint', 'savings', 'deposit']);
    expect(loadConfig({}).POWENS_WEBVIEW_ACCOUNT_USAGES).toEqual([]);
    expect(loadConfig({ POWENS_WEBVIEW_ACCOUNT_TYPES: 'all' }).POWENS_WEBVIEW_ACCOUNT_TYPES).toEqual([]);
    expect(loadConfig({ POWENS_WEBVIEW_ACCOUNT_TYPES: 'checking' }).POWENS_WEBVIEW_ACCOUNT_TYPES).toEqual(['checking']);
    expect(loadConfig({ POWENS_WEBVIEW_ACCOUNT_USAGES: 'ORGA,ASSO' }).POWENS_WEBVIEW_ACCOUNT_USAGES).toEqual([
      'ORGA',
      'ASSO',
    ]);
    expect(() => loadConfig({ POWENS_WEBVIEW_ACCOUNT_TYPES: 'checking, card' })).toThrow(
      /POWENS_WEBVIEW_ACCOUNT_TYPES/,
    );
    expect(() => loadConfig({ POWENS_WEBVIEW_ACCOUNT_USAGES: 'PRO' })).toThrow(/POWENS_WEBVIEW_ACCOUNT_USAGES/);
  });

  test('.env.example is generated from the configuration schema: every variable, its meaning, whether production requires it', () => {
    const file = readFileSync(join(root, '.env.example'), 'utf8');
    // `npx tsx scripts/env-example.ts > .env.example` after any change to lib/config.ts.
    expect(file).toBe(renderEnvExample());
    expect(file.replace(/\n# /g, ' ')).toContain(
      'Production: secret — it signs the Powens state parameter of every bank connection.\nSESSION_SECRET=\n',
    );
    expect(file).toContain('\nTRUST_PROXY=false\n');
  });
});
