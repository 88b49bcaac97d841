/**
 * Jest: every test under test/, TypeScript through SWC (no type-check here: `tsc` runs in npm test),
 * in three projects that differ by the isolation they need:
 *
 * - `unit`: pure code (domain rules, CFONB, camt.053, renderings, configuration and repository
 *   checks): no database, no Temporal, no HTTP server, no global set-up. Parallel.
 * - `integration`: PostgreSQL (each file copies the migrated template into its own database,
 *   test/support/db.ts), the HTTP API, the Powens sandbox and the mail sink on random ports of
 *   127.0.0.1: nothing shared between two files but the PostgreSQL server, so they run in parallel
 *   too, beside the unit files (a new test file lands here unless listed below).
 * - `temporal`: a Temporal server per file (the time-skipping test server, the dev server), the
 *   end-to-end portal in Chromium, the chaos run, the production and `npm start` processes. One
 *   file at a time, in Jest's own process (test/support/serial-runner.js), never beside the
 *   parallel files (Jest runs one runner's files, then the other's): a workflow test waits on
 *   activities run in real time and the chaos run saturates both cores of a small machine, so two
 *   of them side by side only stretch each other's waits.
 *
 * `npm test -- <paths>` runs a subset across the projects; `--selectProjects unit` one project
 * (after the paths: it takes every word that follows as a project name).
 */
const { availableParallelism } = require('node:os');

/** Pure test files: nothing but the code under test (directories end with a slash). */
const UNIT = [
  'test/domain/',
  'test/cfonb/',
  'test/camt053/',
  'test/api/collect-now.test.ts',
  'test/email/messages.test.ts',
  'test/powens/time.test.ts',
  'test/powens/tokens.test.ts',
  'test/foundation/compose.test.ts',
  'test/foundation/config.test.ts',
  'test/foundation/repository.test.ts',
];

/** Test files that run a Temporal server, a browser, or the whole system. */
const TEMPORAL = [
  'test/workflows/',
  'test/e2e/',
  'test/chaos/',
  'test/api/resources.test.ts',
  'test/powens/bank-catalog.test.ts',
  'test/powens/connect-flow.test.ts',
  'test/powens/webhook-auth.test.ts',
  'test/powens/webhook-endpoint.test.ts',
  'test/foundation/observability.test.ts',
  'test/foundation/pool-errors.test.ts',
  'test/foundation/production-start.test.ts',
  'test/foundation/start.test.ts',
];

const pattern = (path) => `<rootDir>/${path.replace(/[.]/g, '\\.')}${path.endsWith('/') ? '' : '$'}`;

const base = {
  rootDir: __dirname,
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
  // any-ascii ships only ES modules: let SWC turn it into CommonJS like our own code.
  transformIgnorePatterns: ['/node_modules/(?!any-ascii/)'],
  moduleFileExtensions: ['ts', 'js', 'json', 'mjs'],
};

/** PostgreSQL, the Temporal servers' paths, the Temporal SDK's log level (test/support/). */
const withServers = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFiles: ['<rootDir>/test/support/setup-file.ts'],
};

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 120000,
  // Workers for the unit and integration files; at least two, even where Jest would count one.
  maxWorkers: Math.max(2, availableParallelism()),
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: UNIT.map((p) => (p.endsWith('/') ? `<rootDir>/${p}**/*.test.ts` : `<rootDir>/${p}`)),
    },
    {
      ...base,
      ...withServers,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...UNIT.map(pattern), ...TEMPORAL.map(pattern)],
    },
    {
      ...base,
      ...withServers,
      displayName: 'temporal',
      testMatch: TEMPORAL.map((p) => (p.endsWith('/') ? `<rootDir>/${p}**/*.test.ts` : `<rootDir>/${p}`)),
      runner: '<rootDir>/test/support/serial-runner.js',
    },
  ],
};
