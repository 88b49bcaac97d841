/**
 * freePort: the ports the tests and `npm start`'s test hand to servers that bind them seconds later,
 * in other processes. They must come from below the kernel's ephemeral range (an outgoing
 * connection took one once, and `npm start` failed with EADDRINUSE), never twice, even to two
 * processes asking at the same time.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ephemeralLow, freePort, freePortRange } from '../../lib/net';

const root = join(__dirname, '..', '..');
let dir: string;
const saved = process.env.RELEVES_PORT_RESERVATIONS;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'releves-ports-test-'));
  process.env.RELEVES_PORT_RESERVATIONS = dir;
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  if (saved === undefined) delete process.env.RELEVES_PORT_RESERVATIONS;
  else process.env.RELEVES_PORT_RESERVATIONS = saved;
});

test('the range lies below the ephemeral ports, whose first port is read from the kernel', () => {
  const { low, high } = freePortRange();
  expect(high).toBe(ephemeralLow());
  expect(low).toBeGreaterThanOrEqual(1024);
  expect(high - low).toBeGreaterThan(1000);
});

test('ports handed out are bindable, below the ephemeral range, distinct, and written down', async () => {
  const { low, high } = freePortRange();
  const ports: number[] = [];
  for (let i = 0; i < 200; i++) ports.push(await freePort());
  expect(new Set(ports).size).toBe(200);
  for (const p of ports) {
    expect(p).toBeGreaterThanOrEqual(low);
    expect(p).toBeLessThan(high);
  }
  expect(readdirSync(dir).map(Number).sort()).toEqual([...ports].sort());
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(ports[0], '127.0.0.1', () => resolve());
  });
  server.close();
});

/** Writes down every port of the range but `except`, as another process would have, just now. */
function reserveAllBut(except: number[]): void {
  const { low, high } = freePortRange();
  for (let p = low; p < high; p++) if (!except.includes(p)) writeFileSync(join(dir, String(p)), '');
}

/** Whether a server could listen on 127.0.0.1:`port` right now. */
const canListen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

/** The first port of the range, from `from` on, that a server could listen on. */
async function listenableFrom(from: number): Promise<number> {
  let port = from;
  while (!(await canListen(port))) port++;
  return port;
}

test('a port written down recently is not handed out again; one written down long ago is', async () => {
  const stale = await listenableFrom(freePortRange().low + 17);
  reserveAllBut([]);
  await expect(freePort()).rejects.toThrow(/no free port between/);
  const old = (Date.now() - 16 * 60_000) / 1000;
  utimesSync(join(dir, String(stale)), old, old);
  await expect(freePort()).resolves.toBe(stale);
});

test('a port a server listens on is skipped', async () => {
  const held = await listenableFrom(freePortRange().low + 100);
  const busy = createServer();
  await new Promise<void>((resolve, reject) => {
    busy.once('error', reject);
    busy.listen(held, '127.0.0.1', () => resolve());
  });
  try {
    // Only the held port and one other are not written down.
    const other = await listenableFrom(held + 1);
    reserveAllBut([held, other]);
    await expect(freePort()).resolves.toBe(other);
  } finally {
    busy.close();
  }
});

test('two processes asking at the same time never get the same port', async () => {
  const run = promisify(execFile);
  const script = `const { freePort } = require('./lib/net'); (async () => { const ports = []; for (let i = 0; i < 150; i++) ports.push(await freePort()); console.log(JSON.stringify(ports)); })();`;
  const env = { ...process.env, RELEVES_PORT_RESERVATIONS: dir };
  const both = await Promise.all(
    [0, 1].map(() => run(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, env })),
  );
  const [a, b] = both.map((r) => JSON.parse(r.stdout) as number[]);
  expect(a).toHaveLength(150);
  expect(b).toHaveLength(150);
  expect(new Set([...a!, ...b!]).size).toBe(300);
});
