// Debian's `chromium` for the end-to-end tests (driven by playwright-core, no browser download).
// Idempotent: does nothing when /usr/bin/chromium exists (or CHROMIUM_PATH points to a browser);
// otherwise `apt-get install -y chromium` (as root, or through sudo when available).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export function ensureChromium({ quiet = false } = {}) {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = root ? [] : ['sudo', '-n'];
  const run = (args) => {
    const [cmd, ...rest] = [...sudo, ...args];
    const r = spawnSync(cmd, rest, {
      stdio: quiet ? 'ignore' : 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    return r.status === 0;
  };
  if (!quiet) console.log('chromium: /usr/bin/chromium missing, installing the Debian package');
  if (!run(['apt-get', 'install', '-y', 'chromium'])) {
    // A fresh machine may have no package lists yet.
    run(['apt-get', 'update']);
    if (!run(['apt-get', 'install', '-y', 'chromium'])) {
      throw new Error('chromium: apt-get install -y chromium failed (root or sudo needed)');
    }
  }
  if (!existsSync(CHROMIUM)) throw new Error(`chromium: installed, but ${CHROMIUM} is missing`);
  return CHROMIUM;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    console.log(`chromium: ${ensureChromium()}`);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
