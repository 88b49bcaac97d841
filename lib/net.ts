/** Small networking helpers shared by the orchestrator, the tests and the benchmarks. */
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { randomInt } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The first port of the range the kernel hands out for outgoing connections and `listen(0)`
 * (Linux's ip_local_port_range; 32768 elsewhere, the usual default).
 */
export function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 2048) return low;
  } catch {
    // not Linux
  }
  return 32768;
}

/**
 * Where the ports handed out are written down, one empty file each, for every process on the
 * machine (RELEVES_PORT_RESERVATIONS moves it: the test of this function fills its own).
 */
const reservations = () => process.env.RELEVES_PORT_RESERVATIONS || join(tmpdir(), 'releves-ports');
/** A reservation older than this is forgotten: whoever took the port has bound it or given up long ago. */
const RESERVATION_TTL_MS = 15 * 60_000;

/** Writes the port down unless another process (or this one) has, recently. */
function reserve(port: number): boolean {
  const dir = reservations();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, String(port));
  try {
    closeSync(openSync(file, 'wx'));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  try {
    if (Date.now() - statSync(file).mtimeMs < RESERVATION_TTL_MS) return false;
    unlinkSync(file);
    closeSync(openSync(file, 'wx'));
    return true;
  } catch {
    return false; // another process renewed it in between
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** The ports freePort hands out: [low, high), the 12 000 ports below the ephemeral range. */
export function freePortRange(): { low: number; high: number } {
  const high = ephemeralLow();
  return { low: Math.max(1024, high - 12_000), high };
}

/**
 * A TCP port free on 127.0.0.1 for whoever binds it next, possibly seconds later and in another
 * process (a server started by `npm start`). Taken below the kernel's ephemeral range: a port the
 * kernel picks for `listen(0)` is one it may give the next outgoing connection (a pool's, a gRPC
 * client's) before our server binds it, which once failed CI with EADDRINUSE. Each port handed out
 * is written down under the temporary directory so that two test processes never get the same one;
 * the search starts at a random port and goes round the range once.
 */
export async function freePort(): Promise<number> {
  const { low, high } = freePortRange();
  const size = high - low;
  const start = randomInt(size);
  for (let i = 0; i < size; i++) {
    const port = low + ((start + i) % size);
    if (reserve(port) && (await bindable(port))) return port;
  }
  throw new Error(`no free port between ${low} and ${high - 1}`);
}

/** Serves `app` on 127.0.0.1:`port`; rejects when the port cannot be bound. */
export function listenLocal(app: RequestListener, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createHttpServer(app);
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** Stops accepting connections, closes the idle ones, and resolves once the server is closed. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
