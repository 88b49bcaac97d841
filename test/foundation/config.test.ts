import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPowensClient } from '../../activities/powens';
import { ConfigError, SANDBOX_WEBHOOK_SECRET, configSchema, loadConfig } from '../../lib/config';

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

  test('production refuses the embedded defaults and development secrets', () => {
    try {
      loadConfig({ NODE_ENV: 'production' });
      throw new Error('accepted');
    } catch (e) {
      const names = (e as ConfigError).issues.map((i) => i.variable).sort();
      expect(names).toEqual(
        [
          'DATABASE_URL',
          'ENCRYPTION_KEY',
          'POSTMARK_API_URL',
          'POWENS_BASE_URL',
          'POWENS_WEBHOOK_SECRET',
          'PUBLIC_BASE_URL',
          'SESSION_SECRET',
          'TEMPORAL_ADDRESS',
        ].sort(),
      );
    }
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

    const prod = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgresql://u:p@db:5432/releves',
      TEMPORAL_ADDRESS: 'temporal:7233',
      POWENS_BASE_URL: 'https://acme.biapi.pro/2.0',
      POSTMARK_API_URL: 'https://api.postmarkapp.com',
      PUBLIC_BASE_URL: 'https://releves.example.fr',
      ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      SESSION_SECRET: 'x'.repeat(40),
    };
    const issues = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (e) {
        return (e as ConfigError).issues.map((i) => `${i.variable}: ${i.reason}`);
      }
    };
    expect(issues(prod)).toEqual([expect.stringMatching(/^POWENS_WEBHOOK_SECRET: is required in production/)]);
    expect(issues({ ...prod, POWENS_WEBHOOK_SECRET: SANDBOX_WEBHOOK_SECRET })).toEqual([
      'POWENS_WEBHOOK_SECRET: must not be the sandbox secret in production',
    ]);
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

  test('.env.example documents exactly the variables the configuration reads', () => {
    const documented = readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => l.split('=')[0])
      .sort();
    expect(documented).toEqual(Object.keys(configSchema.shape).sort());
  });
});
