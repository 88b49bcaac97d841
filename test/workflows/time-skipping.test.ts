import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { sleepDays } from '../fixtures/workflows/probe';
import { timeSkippingTemporal } from '../support/temporal';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  env = await timeSkippingTemporal();
  bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../fixtures/workflows/probe'),
    logger: quietLogger,
  });
});

afterAll(async () => {
  await env?.teardown();
});

const quietLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

test('the Java test server skips 30 days of workflow time in seconds', async () => {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'time-skipping',
    workflowBundle: bundle,
  });
  const timeBefore = await env.currentTimeMs();
  const result = await worker.runUntil(
    env.client.workflow.execute(sleepDays, { args: [30], workflowId: 'sleep-30-days', taskQueue: 'time-skipping' }),
  );
  expect(result).toBe('slept 30 days');
  // The server's clock moved 30 days: without time skipping this test could not finish.
  expect((await env.currentTimeMs()) - timeBefore).toBeGreaterThanOrEqual(30 * 86_400_000);
});
