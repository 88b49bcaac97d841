import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, configSchema, loadConfig } from '../../lib/config';

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
          'PUBLIC_BASE_URL',
          'SESSION_SECRET',
          'TEMPORAL_ADDRESS',
        ].sort(),
      );
    }
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
