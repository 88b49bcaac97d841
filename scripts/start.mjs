// `npm start`: installs dependencies when needed (Node built-ins only), then runs the orchestrator
// (scripts/start.ts) and forwards Ctrl-C / SIGTERM to it so that everything stops cleanly.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDependencies } from './bootstrap.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
ensureDependencies();
const child = spawn(
  join(root, 'node_modules', '.bin', 'tsx'),
  [join(root, 'scripts', 'start.ts'), ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
