// `npm run build`: the production build in dist/, run under plain node afterwards
// (`node dist/scripts/prod.js api|worker|migrate|setup`, README "Production"):
//  1. the Prisma client generated from the schema (no database is reached);
//  2. the TypeScript compiled by tsc (tsconfig.build.json) into dist/, CommonJS;
//  3. what the compiled code reads from disk next to itself: the portal's static files, the e-mail
//     templates, and the Prisma schema and migrations (for `migrate`);
//  4. the Temporal workflow bundle (bundleWorkflowCode, with our workflow interceptor module)
//     written to dist/workflow-bundle.js, which the compiled worker loads instead of bundling at
//     start.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const require = createRequire(import.meta.url);

function run(label, cmd, args, env = {}) {
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`[build] ${label} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
  console.error(`[build] ${label}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

rmSync(dist, { recursive: true, force: true });
// `prisma generate` reads DATABASE_URL from the schema without connecting (docs/prisma.md).
run('prisma generate', bin('prisma'), ['generate'], {
  DATABASE_URL: process.env.DATABASE_URL || 'postgresql://build/none',
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
});
run('tsc', bin('tsc'), ['-p', 'tsconfig.build.json']);

// Prisma's CLI takes a CommonJS config's module.exports as the config itself (it does not unwrap
// `exports.default`): the compiled prisma.config.ts is re-exported as such.
renameSync(join(dist, 'prisma.config.js'), join(dist, 'prisma.config.compiled.js'));
writeFileSync(
  join(dist, 'prisma.config.js'),
  "// Written by scripts/build.mjs: prisma.config.ts, compiled, as Prisma's CLI loads it.\n" +
    "module.exports = require('./prisma.config.compiled.js').default;\n",
);

for (const path of ['web/static', 'email/templates', 'prisma/schema.prisma', 'prisma/migrations']) {
  cpSync(join(root, path), join(dist, path), { recursive: true });
}

const started = Date.now();
const { bundleWorkflowCode } = require('@temporalio/worker');
const { code } = await bundleWorkflowCode({
  workflowsPath: require.resolve(join(dist, 'workflows')),
  workflowInterceptorModules: [require.resolve(join(dist, 'worker', 'workflow-interceptors'))],
  logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
});
writeFileSync(join(dist, 'workflow-bundle.js'), code);
console.error(`[build] workflow bundle: ${((Date.now() - started) / 1000).toFixed(1)} s, ${code.length} bytes`);

for (const entry of ['scripts/prod.js', 'api/server.js', 'worker/main.js', 'prisma.config.js', 'workflow-bundle.js'])
  if (!existsSync(join(dist, entry))) {
    console.error(`[build] dist/${entry} is missing`);
    process.exit(1);
  }
console.error('[build] dist/ ready');
