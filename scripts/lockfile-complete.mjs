// The registry mirror reachable from our machines does not serve every platform build of some
// native packages (e.g. @swc/core-darwin-arm64), so `npm install` leaves those optional
// dependencies out of package-lock.json and `npm ci` then refuses the lockfile as out of sync.
// This script, run after any `npm install` that changes the lockfile, records each missing
// optional platform package with its os/cpu so that `npm ci` skips it as "not for this platform".
// Usage: node scripts/lockfile-complete.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const OSES = ['darwin', 'win32', 'linux', 'android', 'freebsd', 'openharmony', 'netbsd', 'openbsd', 'sunos', 'aix'];
const CPUS = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el', 'wasm32'];
let added = 0;
for (const [path, meta] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const parentDir = path === '' ? '' : path + '/';
    if (lock.packages[`${parentDir}node_modules/${name}`] || lock.packages[`node_modules/${name}`]) continue;
    const base = name.split('/').pop();
    const os = OSES.find((o) => base.includes(o));
    const cpu = CPUS.find((c) => new RegExp(`(^|-)${c}(-|$)`).test(base));
    if (!os || !cpu) throw new Error(`cannot infer os/cpu for missing optional dependency ${name}`);
    lock.packages[`node_modules/${name}`] = { version, optional: true, os: [os], cpu: [cpu] };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
);
writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`lockfile-complete: ${added} optional platform entries added`);
