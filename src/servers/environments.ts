/**
 * Starts the real Temporal servers used by `npm run dev` and the tests, from the binaries that
 * ./binaries resolves. One place, so every later feature reuses the same handling.
 */
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTES } from '../shared';
import { registerSearchAttributes } from '../temporal';
import {
  resolveTemporalCli,
  resolveTestServer,
  serverStartError,
  type ResolvedBinary,
  type ResolveOptions,
} from './binaries';

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
  const namespace = options.namespace ?? 'default';
  if (!binary.path) {
    // Only the SDK's own download is left: let the SDK start what it downloads.
    try {
      return await TestWorkflowEnvironment.createLocal({
        server: {
          executable: binary.executable,
          port: options.port,
          ui: options.uiPort !== undefined,
          uiPort: options.uiPort,
          dbFilename: options.dbFilename,
          namespace,
          searchAttributes: [...SEARCH_ATTRIBUTES],
          log: { format: 'pretty', level: 'error' },
        },
      });
    } catch (err) {
      throw serverStartError('cli', binary, err);
    }
  }
  // We start the binary ourselves rather than through the SDK, which gives a server 5 s: creating a new
  // SQLite file takes longer than that on a busy 2-core machine.
  const port = options.port ?? (await freePort());
  for (const taken of [port, options.uiPort]) {
    if (taken !== undefined && !(await portIsFree(taken))) {
      throw new Error(
        `Port ${taken} on 127.0.0.1 is already in use: is another \`npm run dev\` or Temporal server running? Stop it or choose other ports.`,
      );
    }
  }
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace];
  args.push(...(options.uiPort !== undefined ? ['--ui-port', String(options.uiPort)] : ['--headless']));
  if (options.dbFilename) args.push('--db-filename', options.dbFilename);
  args.push('--log-level', 'error', '--log-format', 'pretty');
  for (const key of SEARCH_ATTRIBUTES)
    args.push('--search-attribute', `${key.name}=${SEARCH_ATTRIBUTE_TYPES[key.type]}`);
  const server = await spawnUntilReady(binary.path, args, `127.0.0.1:${port}`);
  const env = await TestWorkflowEnvironment.createFromExistingServer({ address: `127.0.0.1:${port}`, namespace });
  // The environment does not own an existing server: stopping it is added to its teardown.
  const teardown = env.teardown.bind(env);
  env.teardown = async () => {
    await teardown();
    await server.stop();
  };
  return env;
}

const SEARCH_ATTRIBUTE_TYPES: Record<string, string> = { KEYWORD: 'Keyword', DATETIME: 'Datetime' };

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

interface RunningServer {
  stop(): Promise<void>;
}

/** Starts the server and waits (up to two minutes) until its frontend answers; kills it on failure. */
async function spawnUntilReady(file: string, args: string[], address: string): Promise<RunningServer> {
  const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  // Never leave an orphan server behind, even when the process ends without running teardown.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(timer);
  };

  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exited) throw new Error(`temporal server start-dev exited before it was ready: ${stderr.trim()}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: '1 second' });
      try {
        await connection.workflowService.getSystemInfo({});
        return { stop };
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(
          `temporal server start-dev did not answer at ${address} within 2 minutes: ${(err as Error).message}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** Temporal's Java time-skipping test server: `env.sleep('7 days')` takes milliseconds. */
export async function startTimeSkippingServer(
  options: { resolve?: ResolveOptions } = {},
): Promise<TestWorkflowEnvironment> {
  const binary = await resolveTestServer(options.resolve);
  let env: TestWorkflowEnvironment | undefined;
  // The SDK waits only 5 s for the port; a JVM on a loaded 2-core machine can miss that once, and starts
  // faster the second time (its classes are in the page cache by then).
  for (let attempt = 1; !env; attempt++) {
    try {
      env = await createTimeSkippingOnce(binary);
    } catch (err) {
      if (attempt >= 5 || !/did not start within/.test(String((err as Error).message))) {
        throw serverStartError('test-server', binary, err);
      }
    }
  }
  const warning = await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  if (warning) {
    await env.teardown();
    throw new Error(warning);
  }
  return env;
}

function createTimeSkippingOnce(binary: ResolvedBinary): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    // No `--enable-time-skipping`: that flag skips time freely from the start, racing the worker's
    // workflow tasks. The SDK unlocks skipping itself while a test waits on a result or `env.sleep`.
    server: { executable: binary.executable },
  });
}
