/** Jest: every test under test/, TypeScript through SWC (no type-check here: `tsc` runs in npm test). */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
  // any-ascii ships only ES modules: let SWC turn it into CommonJS like our own code.
  transformIgnorePatterns: ['/node_modules/(?!any-ascii/)'],
  moduleFileExtensions: ['ts', 'js', 'json', 'mjs'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFiles: ['<rootDir>/test/support/setup-file.ts'],
  testTimeout: 120000,
  // One file at a time: the workflow tests compare what skipped Temporal time produced with what a
  // real-time harness (Powens sandbox, PostgreSQL) observed, and the chaos run saturates both cores;
  // side by side on a 2-core machine they starved each other (flaky "condition not met").
  maxWorkers: 1,
};
