/**
 * Starts the real Temporal servers used by `npm run dev` and the tests, from the binaries that
 * ./binaries resolves. One place, so every later feature reuses the same handling.
 */
import { createServer, type AddressInfo } from 'node:net';
import { Connection } from '@temporalio/client';
import { InternalConnectionOptionsSymbol, type InternalConnectionOptions } from '@temporalio/client/lib/connection';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { SEARCH_ATTRIBUTES } from '../shared';
import { registerSearchAttributes } from '../temporal';
import {
  resolveTemporalCli,
  resolveTestServer,
  serverStartError,
  type ResolvedBinary,
  type ResolveOptions,
} from './binaries';
import { ServerStartError, spawnUntilReady, UnusableServerError, type ServerProcess } from './process';

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
  const port = options.port ?? (await freePort('127.0.0.1'));
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
  const address = `127.0.0.1:${port}`;
  const server = await spawnUntilReady({
    label: 'temporal server start-dev',
    file: binary.path,
    args,
    address,
    probe: () => answers(address, (connection) => connection.workflowService.getSystemInfo({})),
  });
  const env = await TestWorkflowEnvironment.createFromExistingServer({ address, namespace });
  // The environment does not own an existing server: stopping it is added to its teardown.
  const teardown = env.teardown.bind(env);
  env.teardown = async () => {
    await teardown();
    await server.stop();
  };
  return env;
}

const SEARCH_ATTRIBUTE_TYPES: Record<string, string> = { KEYWORD: 'Keyword', DATETIME: 'Datetime', BOOL: 'Bool' };

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** A port free on `host`; on every interface when omitted. */
function freePort(host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Connects to `address` and makes one call; throws while the server does not answer. */
async function answers(
  address: string,
  call: (connection: Connection) => Promise<unknown>,
  connectionOptions: Partial<typeof WITH_TEST_SERVICE> = {},
): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: '2 seconds', ...connectionOptions });
  try {
    await connection.withDeadline(Date.now() + 10_000, () => call(connection));
  } finally {
    await connection.close();
  }
}

/**
 * Enables the TestService (time skipping) on a connection, as `TestWorkflowEnvironment.createTimeSkipping` does for
 * the connections it makes. SDK-internal option (the one import from an SDK's lib/: no public export enables the
 * TestService on a server started elsewhere): checked against the SDK's types by `tsc` on every upgrade.
 */
const WITH_TEST_SERVICE = {
  [InternalConnectionOptionsSymbol]: { supportsTestService: true },
} satisfies Pick<InternalConnectionOptions, typeof InternalConnectionOptionsSymbol>;

/** Temporal's Java time-skipping test server: `env.sleep('7 days')` takes milliseconds. */
export async function startTimeSkippingServer(
  options: { resolve?: ResolveOptions } = {},
): Promise<TestWorkflowEnvironment> {
  const binary = await resolveTestServer(options.resolve);
  let env: TestWorkflowEnvironment;
  try {
    env = binary.path
      ? await SpawnedTimeSkippingEnvironment.start(binary.path)
      : // Only the SDK's own download is left (a native binary, quick to start): let the SDK start what it downloads.
        // No `--enable-time-skipping`: see SpawnedTimeSkippingEnvironment.start.
        await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: binary.executable } });
  } catch (err) {
    throw startError(binary, err);
  }
  const warning = await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  if (warning) {
    await env.teardown();
    throw new Error(warning);
  }
  return env;
}

/** The resolver's message (which binary, from where), followed by the server's last stderr lines when there are any. */
function startError(binary: ResolvedBinary, cause: unknown): Error {
  const error = serverStartError('test-server', binary, cause);
  if (cause instanceof ServerStartError && cause.output) {
    error.message += `\nLast lines of its stderr:\n${cause.output}`;
  }
  return error;
}

/**
 * A time-skipping environment on a Java test server that this process started: the same as what
 * `TestWorkflowEnvironment.createTimeSkipping` builds (a client whose `result()` unlocks time skipping, `sleep` and
 * `currentTimeMs` through the TestService), except that the server is started here, with two minutes to answer
 * instead of the SDK's 5 s, and stopped by `teardown()`.
 */
class SpawnedTimeSkippingEnvironment extends TestWorkflowEnvironment {
  private constructor(
    private readonly serverProcess: ServerProcess,
    connection: Connection,
    nativeConnection: NativeConnection,
    address: string,
  ) {
    // What `createTimeSkipping` passes, with 'existing' for the server: the SDK has no process of its own to stop.
    const options = { server: { type: 'existing' as const }, client: {}, plugins: [] };
    super(Runtime.instance(), options, true, 'existing', connection, nativeConnection, 'default', address);
  }

  static async start(launcher: string): Promise<SpawnedTimeSkippingEnvironment> {
    for (let attempt = 1; ; attempt++) {
      // The server binds every interface: the port must be free on all of them.
      const address = `127.0.0.1:${await freePort()}`;
      try {
        const server = await spawnUntilReady({
          label: 'the time-skipping test server',
          file: launcher,
          // `<launcher> <port>`, as the SDK starts it. No `--enable-time-skipping`: that flag skips time freely from
          // the start, racing the worker's workflow tasks. The client unlocks skipping while a test waits on a
          // result or `env.sleep`.
          args: [address.split(':')[1]!],
          address,
          probe: () => answers(address, (connection) => testServiceCall(connection, address), WITH_TEST_SERVICE),
          // The launcher `exec`s java; a group still catches a JVM that a launcher of one's own starts as a child.
          processGroup: true,
          // State is in memory only: nothing to save, as when the SDK stops it.
          stopSignal: 'SIGKILL',
          // The JVM outlives an exception in `main` (e.g. the port was taken meanwhile): it would never answer.
          fatalOutput: /Exception in thread "main"/,
        });
        return await SpawnedTimeSkippingEnvironment.attach(server, address);
      } catch (err) {
        // Another process took the port between choosing and binding it: choose another.
        const portTaken = err instanceof ServerStartError && /Failed to bind|Address already in use/.test(err.output);
        if (!portTaken || attempt >= 3) throw err;
      }
    }
  }

  private static async attach(server: ServerProcess, address: string): Promise<SpawnedTimeSkippingEnvironment> {
    let nativeConnection: NativeConnection | undefined;
    try {
      nativeConnection = await NativeConnection.connect({ address, ...WITH_TEST_SERVICE });
      const connection = await Connection.connect({ address, ...WITH_TEST_SERVICE });
      return new SpawnedTimeSkippingEnvironment(server, connection, nativeConnection, address);
    } catch (err) {
      await nativeConnection?.close().catch(() => undefined);
      await server.stop();
      throw err;
    }
  }

  /** Closes the connections, then kills the server (and anything else in its process group). */
  override async teardown(): Promise<void> {
    try {
      await super.teardown();
    } finally {
      await this.serverProcess.stop();
    }
  }
}

async function testServiceCall(connection: Connection, address: string): Promise<void> {
  if (!connection.testService) throw new UnusableServerError('this SDK no longer enables the TestService this way');
  try {
    await connection.testService.getCurrentTime({});
  } catch (err) {
    if ((err as { code?: number }).code === 12 /* UNIMPLEMENTED */) {
      throw new UnusableServerError(
        `${address} answers without a TestService: this is not Temporal's time-skipping test server`,
      );
    }
    throw err;
  }
}
