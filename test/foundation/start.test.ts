/**
 * `npm start` on a fresh checkout: the tracked files copied to an empty directory (no generated
 * Prisma client, no .data), the installed packages linked, every port free. The whole stack must
 * come up on its embedded defaults, write demo.json with working URLs and credentials, and stop
 * entirely on SIGTERM. (A fresh clone once failed because the orchestrator imported the Prisma
 * client before generating it.)
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { freePort } from '../../lib/net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = join(__dirname, '..', '..');

function freshCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'releves-start-'));
  // As on a clone in a shared folder: when run as root, PostgreSQL runs as `postgres` and must be
  // able to reach its data directory.
  chmodSync(dir, 0o755);
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(root, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(root, file), join(dir, file));
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

function waitForExit(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (exited(child)) resolve();
    else child.once('exit', () => resolve());
  });
}

let dir: string;
let child: ChildProcess | undefined;
let output = '';

/** Processes started from the checkout (their command lines name it). */
function runningFrom(path: string): Array<{ pid: number; args: string }> {
  return execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().match(/^(\d+) (.*)$/))
    .filter((m): m is RegExpMatchArray => m !== null && m[2]!.includes(path))
    .map((m) => ({ pid: Number(m[1]), args: m[2]! }));
}

afterAll(async () => {
  if (child && !exited(child)) {
    child.kill('SIGTERM');
    await waitForExit(child);
  }
  child?.stdout?.destroy();
  child?.stderr?.destroy();
  // Whatever a failed run left behind must not outlive the test (nor keep Jest waiting).
  if (dir) {
    for (const p of runningFrom(dir)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

test('npm start brings the whole stack up from a fresh checkout and stops on SIGTERM', async () => {
  dir = freshCheckout();
  expect(existsSync(join(dir, 'prisma', 'generated'))).toBe(false);
  const ports = {
    EMBEDDED_POSTGRES_PORT: await freePort(),
    TEMPORAL_DEV_SERVER_PORT: await freePort(),
    TEMPORAL_UI_PORT: await freePort(),
    API_PORT: await freePort(),
    POWENS_SANDBOX_PORT: await freePort(),
    MAIL_SINK_PORT: await freePort(),
  };
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn' };
  for (const [k, v] of Object.entries(ports)) env[k] = String(v);
  child = spawn('npm', ['start'], { cwd: dir, env });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));

  const demoFile = join(dir, '.data', 'demo.json');
  const deadline = Date.now() + 240_000;
  while (!existsSync(demoFile)) {
    if (exited(child))
      throw new Error(`npm start exited with ${child.exitCode ?? child.signalCode}:\n${output.slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`npm start not ready:\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const demo = JSON.parse(readFileSync(demoFile, 'utf8'));
  expect(Object.keys(demo.urls).sort()).toEqual(['api', 'mailSink', 'portal', 'powensSandbox', 'temporalWeb']);
  expect(demo.urls.api).toMatch(/\/api\/v1$/);

  const health = await fetch(`${new URL(demo.urls.api).origin}/healthz`);
  expect(health.status).toBe(200);
  const ids = async (key: string) => {
    const r = await fetch(`${demo.urls.api}/companies`, { headers: { authorization: `Bearer ${key}` } });
    expect(r.status).toBe(200);
    return ((await r.json()) as { items: Array<{ id: string }> }).items.map((c) => c.id);
  };
  const firstIds = await ids(demo.apiKey);
  expect(firstIds.length).toBeGreaterThan(0);
  // The other portal account sees none of the first one's companies.
  expect((await ids(demo.otherApiKey)).filter((id) => firstIds.includes(id))).toEqual([]);
  for (const key of ['powensSandbox', 'mailSink', 'temporalWeb'] as const) {
    expect([key, (await fetch(demo.urls[key])).status]).toEqual([key, 200]);
  }

  // SIGTERM to npm itself (npm exits at once without passing it on): everything must still stop,
  // PostgreSQL, Temporal, the sandboxes, the worker and the API, within a few seconds.
  child.kill('SIGTERM');
  await waitForExit(child);
  const running = () => runningFrom(dir).map((p) => p.args);
  const stopBy = Date.now() + 30_000;
  while (running().length > 0 && Date.now() < stopBy) await new Promise((r) => setTimeout(r, 250));
  expect(running()).toEqual([]);
}, 300_000);
