import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useTestDatabase } from '../support/db';

const root = join(__dirname, '..', '..');
const db = useTestDatabase();

/** Replays the migrations into a shadow database and compares the result with the schema file. */
function diff(schemaPath: string, migrationsDir: string, url: string) {
  return spawnSync(
    join(root, 'node_modules', '.bin', 'prisma'),
    ['migrate', 'diff', '--from-migrations', migrationsDir, '--to-schema-datamodel', schemaPath, '--exit-code'],
    { cwd: root, env: { ...process.env, DATABASE_URL: url }, encoding: 'utf8' },
  );
}

test('the committed migrations produce exactly the schema in schema.prisma (no drift)', () => {
  const r = diff(join(root, 'prisma', 'schema.prisma'), join(root, 'prisma', 'migrations'), db.url);
  expect(r.stderr).not.toMatch(/Error/);
  expect(r.stdout).toContain('No difference detected');
  expect(r.status).toBe(0);
});

test('the drift check notices a schema change that has no migration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'schema-'));
  const changed = readFileSync(join(root, 'prisma', 'schema.prisma'), 'utf8').replace(
    'model Notification {',
    'model Notification {\n  priority Int @default(0)',
  );
  writeFileSync(join(dir, 'schema.prisma'), changed);
  cpSync(join(root, 'prisma', 'migrations'), join(dir, 'migrations'), { recursive: true });
  const r = diff(join(dir, 'schema.prisma'), join(dir, 'migrations'), db.url);
  expect(r.status).toBe(2);
  expect(r.stdout).toContain('priority');
});

test('each test file gets its own migrated database', async () => {
  expect(new URL(db.url).pathname).toMatch(/^\/test_[0-9a-f]{12}$/);
  const account = await db.prisma.portalAccount.create({
    data: {
      kind: 'PRIMARY',
      rootId: '00000000-0000-4000-8000-000000000001',
      name: 'Cabinet Test',
      siren: '732829320',
      contactEmail: 'contact@cabinet.test',
    },
  });
  expect(await db.prisma.portalAccount.count()).toBe(1);
  expect(account.receptionMode).toBe('NONE');
});
