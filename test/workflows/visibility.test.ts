import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes';
import { finish, labelled } from '../fixtures/workflows/probe';
import { localTemporal } from '../support/temporal';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await localTemporal({ searchAttributes: SEARCH_ATTRIBUTE_KEYS });
});

afterAll(async () => {
  await env?.teardown();
});

test('the dev server lists workflows by a custom search attribute', async () => {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'visibility',
    workflowsPath: require.resolve('../fixtures/workflows/probe'),
  });
  await worker.runUntil(async () => {
    const stuck = await env.client.workflow.start(labelled, {
      args: ['wrongpass'],
      workflowId: 'bank-connection/a',
      taskQueue: 'visibility',
    });
    const fine = await env.client.workflow.start(labelled, {
      args: ['ok'],
      workflowId: 'bank-connection/b',
      taskQueue: 'visibility',
    });

    const query = 'ConnectionState = "wrongpass" AND ConsecutiveErrors >= 2 AND ExecutionStatus = "Running"';
    let ids: string[] = [];
    for (let i = 0; i < 100 && ids.length === 0; i++) {
      ids = [];
      for await (const wf of env.client.workflow.list({ query })) ids.push(wf.workflowId);
      if (ids.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ids).toEqual(['bank-connection/a']);

    await stuck.signal(finish);
    await fine.signal(finish);
    await Promise.all([stuck.result(), fine.result()]);
  });
});
