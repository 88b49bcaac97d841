/**
 * The Temporal servers the tests start: the dev server (TEMPORAL_CLI_PATH) and the Java
 * time-skipping test server (TEMPORAL_TEST_SERVER_PATH), built by the global set-up, each on a port
 * from freePort (lib/net.ts): one the SDK picked for itself came from the kernel's ephemeral range,
 * which an outgoing connection may take before the server binds it.
 */
import { TestWorkflowEnvironment, type DevServerConfig, type TimeSkippingServerConfig } from '@temporalio/testing';
import { freePort } from '../../lib/net';

/** A dev server for the file, with `server`'s options (search attributes…). */
export async function localTemporal(server: Omit<DevServerConfig, 'type' | 'executable' | 'port'> = {}) {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: process.env.TEMPORAL_CLI_PATH! },
      port: await freePort(),
      ...server,
    },
  });
}

/** A time-skipping test server for the file, with `server`'s options (its start time…). */
export async function timeSkippingTemporal(
  server: Omit<TimeSkippingServerConfig, 'type' | 'executable' | 'port'> = {},
) {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: {
      executable: { type: 'existing-path', path: process.env.TEMPORAL_TEST_SERVER_PATH! },
      port: await freePort(),
      ...server,
    },
  });
}
