/**
 * The house's walls (README "Layout"), checked by `npm run lint:imports` (part of `npm test`):
 * which room may import which. A rule broken here is a design decision to discuss, not a line to
 * silence. Type-only imports count (a type ties two rooms together too), except where a rule says.
 */
const PRODUCTION =
  '^(activities|api|db|domain|email|integrations|lib|statement-files|web|webhooks-out|worker|workflows)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import loop anywhere in our code (the generated Prisma client is not ours).',
      from: { pathNot: '^prisma/generated/' },
      to: { circular: true, pathNot: '^prisma/generated/' },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'domain/ is pure logic: it imports nothing of ours outside domain/, and no Node I/O.',
      from: { path: '^domain/' },
      to: { pathNot: ['^domain/', '^node_modules/'] },
    },
    {
      name: 'workflows-only-domain',
      severity: 'error',
      comment:
        'Workflow code runs in Temporal’s deterministic sandbox: it imports workflows/ and domain/ only ' +
        '(and the activities’ types, erased at compile time, for the activity proxies).',
      from: { path: '^workflows/' },
      to: {
        pathNot: ['^workflows/', '^domain/', '^node_modules/@temporalio/(workflow|common)/'],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'workflows-types-only-from-activities',
      severity: 'error',
      comment: 'Beyond domain/, a workflow may only see the activities’ types.',
      from: { path: '^workflows/' },
      to: { pathNot: ['^workflows/', '^domain/', '^activities/', '^node_modules/'] },
    },
    {
      name: 'edges-not-into-activities',
      severity: 'error',
      comment:
        'The API, the portal and the sandbox never call activities: activities are what the worker runs ' +
        '(the API starts and signals workflows through workflows/messages.ts).',
      from: { path: '^(api|web|sandbox)/' },
      to: { path: '^(activities|worker)/' },
    },
    {
      name: 'api-only-workflow-messages',
      severity: 'error',
      comment:
        'The API knows a workflow by its messages (signals, queries, updates, ids) and its type (for a ' +
        'typed start), not its code.',
      from: { path: '^api/' },
      to: {
        path: '^workflows/',
        pathNot: '^workflows/(messages|search-attributes)\\.ts$',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'web-through-the-api',
      severity: 'error',
      comment:
        'The portal talks to the API over HTTP (web/api-client.ts): no database, no integration, no ' +
        'workflow; from api/ only the error page helper and the client-address hop headers.',
      from: { path: '^web/' },
      to: {
        path: PRODUCTION,
        pathNot: ['^web/', '^domain/', '^lib/(logger)\\.ts$', '^api/(errors|client-address)\\.ts$'],
      },
    },
    {
      name: 'sandbox-is-not-us',
      severity: 'error',
      comment:
        'The sandbox plays Powens and Postmark from their published contracts: it shares no code with ' +
        'our client of them (or it could not catch our misreadings); only process infrastructure from lib/.',
      from: { path: '^sandbox/' },
      to: { path: PRODUCTION, pathNot: '^lib/(config|config-schema|config-variables|logger|net)\\.ts$' },
    },
    {
      name: 'integrations-stand-alone',
      severity: 'error',
      comment: 'integrations/ wrap third parties: they know the domain, not our database, e-mail or API.',
      from: { path: '^integrations/' },
      to: { path: PRODUCTION, pathNot: ['^integrations/', '^domain/', '^lib/'] },
    },
    {
      name: 'production-not-into-tests-or-tools',
      severity: 'error',
      comment: 'Production code never imports tests, benchmarks, scripts or the sandbox.',
      from: { path: PRODUCTION },
      to: { path: '^(test|bench|scripts|sandbox)/' },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules', '^prisma/generated/'] },
    exclude: { path: ['^dist/', '^\\.data/', '^test/artifacts/', '^web/static/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
