/**
 * Starts the real Temporal servers used by `npm run dev` and the tests, from the binaries that
 * ./binaries resolves. One place, so every later feature reuses the same handling.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTES } from '../shared';
import { registerSearchAttributes } from '../temporal';
import { resolveTemporalCli, resolveTestServer, serverStartError, type ResolveOptions } from './binaries';

export interface DevServerOptions {
  /** Frontend port; random free port when omitted. */
  port?: number;
  /** Web UI port; no UI when omitted. */
  uiPort?: number;
  /** SQLite file for state that survives a restart; in-memory when omitted. */
  dbFilename?: string;
  namespace?: string;
  resolve?: ResolveOptions;
}

/** The Temporal CLI dev server (`temporal server start-dev`) with this project's search attributes registered. */
export async function startDevServer(options: DevServerOptions = {}): Promise<TestWorkflowEnvironment> {
  const binary = await resolveTemporalCli(options.resolve);
  try {
    return await TestWorkflowEnvironment.createLocal({
      server: {
        executable: binary.executable,
        port: options.port,
        ui: options.uiPort !== undefined,
        uiPort: options.uiPort,
        dbFilename: options.dbFilename,
        namespace: options.namespace,
        searchAttributes: [...SEARCH_ATTRIBUTES],
        // Quieter than the default; `--log-level` is passed by the SDK.
        log: { format: 'pretty', level: 'error' },
      },
    });
  } catch (err) {
    throw serverStartError('cli', binary, err);
  }
}

/** Temporal's Java time-skipping test server: `env.sleep('7 days')` takes milliseconds. */
export async function startTimeSkippingServer(
  options: { resolve?: ResolveOptions } = {},
): Promise<TestWorkflowEnvironment> {
  const binary = await resolveTestServer(options.resolve);
  let env: TestWorkflowEnvironment;
  try {
    env = await TestWorkflowEnvironment.createTimeSkipping({
      // No `--enable-time-skipping`: that flag skips time freely from the start, racing the worker's
      // workflow tasks. The SDK unlocks skipping itself while a test waits on a result or `env.sleep`.
      server: { executable: binary.executable },
    });
  } catch (err) {
    throw serverStartError('test-server', binary, err);
  }
  const warning = await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  if (warning) {
    await env.teardown();
    throw new Error(warning);
  }
  return env;
}
