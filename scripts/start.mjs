// `npm start`: installs dependencies when needed (Node built-ins only), generates the Prisma client
// and builds the Temporal tools (scripts/prepare.ts, in its own process: the orchestrator imports
// the generated client), then runs the orchestrator (scripts/start.ts) and forwards Ctrl-C /
// SIGTERM to it so that everything stops cleanly.
import { spawn, spawnSync } from 'node:child_process';
import { clearInterval, setInterval } from 'node:timers';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDependencies } from './bootstrap.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
ensureDependencies();
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const prepared = spawnSync(tsx, [join(root, 'scripts', 'prepare.ts')], { cwd: root, stdio: 'inherit' });
if (prepared.status !== 0) process.exit(prepared.status ?? 1);
const child = spawn(tsx, [join(root, 'scripts', 'start.ts'), ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
// `npm start` killed with SIGTERM exits at once without passing the signal on: when our parent
// goes away (we are re-parented), stop everything as if we had been asked to.
const parent = process.ppid;
const watch = setInterval(() => {
  if (process.ppid !== parent) {
    clearInterval(watch);
    child.kill('SIGTERM');
  }
}, 250);
child.on('exit', () => clearInterval(watch));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
