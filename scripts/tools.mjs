// Builds or fetches the two Temporal servers the project runs, into a versioned cache outside the
// repository (reused when present):
//  - the Temporal CLI dev server (with Temporal Web) built from source with `go install`;
//  - Temporal's Java time-skipping test server, resolved from Maven Central, started through our
//    launcher (scripts/tools/temporal-test-server/StartAtTestServer.java, compiled with javac) that
//    adds `--start-time <ISO>` so that tests choose the date they start on; a wrapper script
//    `exec`s java (the SDK kills the child it spawned, so no shell may stay between).
// Node built-ins only. Usage: node scripts/tools.mjs  (prints the paths as JSON)
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEMPORAL_CLI_VERSION = '1.5.1';
export const TEMPORAL_TEST_SERVER_VERSION = '1.35.0';
/** The Temporal server itself (the CLI's dev server embeds the same version), for production-shaped benchmarks. */
export const TEMPORAL_SERVER_VERSION = '1.29.1';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const cacheDir =
  process.env.RELEVES_TOOLS_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'releves');

function run(cmd, args, opts = {}) {
  const started = Date.now();
  const result = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (result.error) throw new Error(`${cmd} could not start: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${result.status}`);
  return (Date.now() - started) / 1000;
}

export function ensureTemporalCli() {
  const dir = join(cacheDir, `temporal-cli-${TEMPORAL_CLI_VERSION}`);
  const bin = join(dir, 'bin', 'temporal');
  if (existsSync(bin)) return bin;
  console.error(`[tools] building the Temporal CLI ${TEMPORAL_CLI_VERSION} with go install (several minutes, once)`);
  const tmp = join(dir, `bin.tmp-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  const seconds = run(
    'go',
    [
      'install',
      '-ldflags',
      `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
      `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`,
    ],
    { env: { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOBIN: tmp } },
  );
  mkdirSync(join(dir, 'bin'), { recursive: true });
  renameSync(join(tmp, 'temporal'), bin);
  rmSync(tmp, { recursive: true, force: true });
  console.error(`[tools] Temporal CLI built in ${seconds.toFixed(0)} s`);
  return bin;
}

/**
 * The Temporal server as a firm runs it (`cmd/server`, with PostgreSQL persistence) and its SQL
 * schema tool (`cmd/tools/sql`), built from Go modules at a pinned version, with the schema files
 * its module ships (schema/postgresql/v12). Only the production-shaped benchmark needs them.
 */
export function ensureTemporalServer() {
  const dir = join(cacheDir, `temporal-server-${TEMPORAL_SERVER_VERSION}`);
  const server = join(dir, 'bin', 'temporal-server');
  const sqlTool = join(dir, 'bin', 'temporal-sql-tool');
  const module = `go.temporal.io/server@v${TEMPORAL_SERVER_VERSION}`;
  const env = { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0' };
  if (!existsSync(server) || !existsSync(sqlTool)) {
    console.error(
      `[tools] building the Temporal server ${TEMPORAL_SERVER_VERSION} with go install (several minutes, once)`,
    );
    const tmp = join(dir, `bin.tmp-${process.pid}`);
    mkdirSync(tmp, { recursive: true });
    const seconds = run(
      'go',
      [
        'install',
        `go.temporal.io/server/cmd/server@v${TEMPORAL_SERVER_VERSION}`,
        `go.temporal.io/server/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`,
      ],
      {
        env: { ...env, GOBIN: tmp },
      },
    );
    mkdirSync(join(dir, 'bin'), { recursive: true });
    renameSync(join(tmp, 'server'), server);
    renameSync(join(tmp, 'sql'), sqlTool);
    rmSync(tmp, { recursive: true, force: true });
    console.error(`[tools] Temporal server built in ${seconds.toFixed(0)} s`);
  }
  const modDir = execFileSync('go', ['mod', 'download', '-json', module], { env, encoding: 'utf8' });
  const schemaDir = join(JSON.parse(modDir).Dir, 'schema', 'postgresql', 'v12');
  return { server, sqlTool, schemaDir };
}

export function ensureTestServer() {
  const dir = join(cacheDir, `temporal-test-server-${TEMPORAL_TEST_SERVER_VERSION}`);
  const lib = join(dir, 'lib');
  if (!existsSync(lib) || !readdirSync(lib).some((f) => f.startsWith('temporal-test-server-'))) {
    console.error(`[tools] fetching temporal-test-server ${TEMPORAL_TEST_SERVER_VERSION} from Maven Central (once)`);
    const tmp = join(dir, 'lib.tmp');
    rmSync(tmp, { recursive: true, force: true });
    run('mvn', [
      '-B',
      '-q',
      '-f',
      join(root, 'scripts', 'tools', 'temporal-test-server', 'pom.xml'),
      'org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies',
      `-DoutputDirectory=${tmp}`,
      '-DincludeScope=runtime',
    ]);
    if (!readdirSync(tmp).some((f) => f.startsWith('temporal-test-server-')))
      throw new Error('temporal-test-server jar missing after mvn');
    rmSync(lib, { recursive: true, force: true });
    renameSync(tmp, lib);
  }
  // The launcher, compiled once per version of its source.
  const source = join(root, 'scripts', 'tools', 'temporal-test-server', 'StartAtTestServer.java');
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12);
  const classes = join(dir, `launcher-${hash}`);
  const wrapper = join(dir, 'bin', `temporal-test-server-${hash}`);
  if (existsSync(wrapper) && existsSync(join(classes, 'StartAtTestServer.class'))) return wrapper;
  const tmpClasses = `${classes}.tmp-${process.pid}`;
  rmSync(tmpClasses, { recursive: true, force: true });
  run('javac', ['-d', tmpClasses, '-cp', `${lib}/*`, source]);
  rmSync(classes, { recursive: true, force: true });
  renameSync(tmpClasses, classes);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(
    wrapper,
    `#!/bin/sh\n# Started by @temporalio/testing as an existing-path executable; exec keeps the JVM killable.\n` +
      `exec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -cp "${classes}:${lib}/*" StartAtTestServer "$@"\n`,
  );
  chmodSync(wrapper, 0o755);
  return wrapper;
}

export function ensureTools() {
  return { temporalCli: ensureTemporalCli(), temporalTestServer: ensureTestServer() };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(JSON.stringify(ensureTools()));
}
