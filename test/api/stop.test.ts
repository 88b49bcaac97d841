/**
 * The API answers a change before the workflows hear of it (api/temporal.ts notifyWorkflows: the
 * database is the truth, Temporal may be slow or down), and stops only once those signals have
 * settled: a deploy's stop cut the signals of changes committed the instant before, and left their
 * retries running in a process that should have ended. Temporal here is unreachable: each signal
 * settles when its 5 s timeout ends it, and says so in the log.
 */
import pino from 'pino';
import { call, createCompanyWithAccounts, createTenant, listenApp, testConfig, useApi } from './support';

const api = useApi();

test('a change is answered with its signal under way; the stop waits for that signal to settle', async () => {
  const tenant = await createTenant(api.prisma, { name: 'Cabinet Arrêt' });
  const { company } = await createCompanyWithAccounts(api.prisma, tenant, { name: 'Scierie', accounts: 1 });
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
  const app = await listenApp(api, { config: testConfig(), logger });
  const undelivered = () => lines.filter((l) => l.includes('signal not delivered to the connection workflow')).length;

  const patched = await call({ ...api, baseUrl: app.baseUrl }, 'PATCH', `/api/v1/companies/${company.id}`, {
    key: tenant.key,
    body: { periodicity: { kind: 'WEEKLY', day: 3 } },
  });
  expect(patched.status).toBe(200);
  expect(undelivered()).toBe(0); // answered with its signal still under way

  await app.close();
  expect(undelivered()).toBe(1); // stopped once it settled
});
