/**
 * `npm start`: the production worker. Reads Temporal settings like the `temporal` CLI, builds the
 * Slack, Geekbot and Calendar clients from the environment and secret files, and runs the role
 * workflows on task queue `team-roles` until SIGINT/SIGTERM (then finishes in-flight work and exits).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities';
import { buildActivityDeps } from './activities/deps';
import { PREBUILT_BUNDLE } from './bundle-workflows';
import { describeServices } from './domain/services';
import { installRuntime, observabilityFromEnv } from './runtime';
import { loadSettings } from './settings';
import { TASK_QUEUE } from './shared';
import { registerSearchAttributes, temporalSettings, type TemporalSettings } from './temporal';
import { keepHealthFile } from './worker-health';

/**
 * In-flight activities get this long to finish (or see cancellation through heartbeats) on shutdown; the compose
 * file's stop_grace_period is longer, so the worker is not killed meanwhile.
 */
export const SHUTDOWN_GRACE_TIME = '20 seconds';

export interface RoleWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  deps: ActivityDeps;
  /** A bundle built ahead of time (tests, benchmarks); otherwise `workflowSource()`. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  taskQueue?: string;
}

export function createRoleWorker(options: RoleWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : workflowSource()),
    activities: createActivities(options.deps),
    shutdownGraceTime: SHUTDOWN_GRACE_TIME,
  });
}

/**
 * Where the worker gets its workflow code. The compiled worker (lib/) loads the bundle `npm run build` made next to it:
 * it starts about twice as fast and uses about 125 MiB less than bundling at start (BENCHMARKS.md section 4). Run
 * from source (tsx), or with a bundle older than the compiled workflow code, it bundles at start instead.
 */
export function workflowSource(
  bundle = PREBUILT_BUNDLE,
): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  const workflows = require.resolve('./workflows');
  const compiled = workflows.endsWith('.js');
  if (compiled && existsSync(bundle) && newestWorkflowCode(path.dirname(workflows)) <= statSync(bundle).mtimeMs) {
    return { workflowBundle: { codePath: bundle } };
  }
  return { workflowsPath: workflows };
}

/** The latest change to the compiled code a workflow bundle holds (lib/workflows, lib/domain, shared and operations). */
function newestWorkflowCode(workflowsDir: string): number {
  const lib = path.dirname(workflowsDir);
  const files = [path.join(lib, 'shared.js'), path.join(lib, 'operations.js')];
  for (const dir of [workflowsDir, path.join(lib, 'domain')]) {
    for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      if (name.endsWith('.js')) files.push(path.join(dir, name));
    }
  }
  return Math.max(...files.filter((file) => existsSync(file)).map((file) => statSync(file).mtimeMs));
}

/**
 * Connects, registers the search attributes (where allowed) and returns a worker ready to `run()`. The client
 * connection stays open for the Schedule's `deliverHandover` (a signal-with-start); `close()` closes both.
 */
export async function startWorker(
  temporal: TemporalSettings,
  deps: ActivityDeps,
  log: (message: string) => void = (m) => console.log(m),
  options: Pick<RoleWorkerOptions, 'taskQueue' | 'workflowBundle'> = {},
): Promise<{ worker: Worker; connection: NativeConnection; close: () => Promise<void> }> {
  const clientConnection = await Connection.connect(temporal.connectConfig.connectionOptions);
  try {
    const warning = await registerSearchAttributes(clientConnection, temporal.namespace);
    if (warning) log(`warning: ${warning}`);
    const client = new Client({ connection: clientConnection, namespace: temporal.namespace });
    const connection = await NativeConnection.connect(temporal.connectConfig.connectionOptions);
    const worker = await createRoleWorker({
      ...options,
      connection,
      namespace: temporal.namespace,
      deps: { ...deps, temporalClient: deps.temporalClient ?? (() => client) },
    });
    return {
      worker,
      connection,
      close: async () => {
        await connection.close();
        await clientConnection.close();
      },
    };
  } catch (err) {
    await clientConnection.close();
    throw err;
  }
}

/**
 * What an operator sees of the production worker: logs (JSON off a terminal), the Prometheus endpoint
 * (`TEMPORAL_METRICS_BIND`) and the heartbeat file the health check reads (no port: see src/health.ts).
 */
function installObservability(): void {
  installRuntime(observabilityFromEnv(process.env));
}

function watchHealth(worker: Worker, connection: NativeConnection): { stop(): Promise<void> } {
  const logger = Runtime.instance().logger;
  return keepHealthFile(worker, connection, {
    onChange: (healthy, reason) => {
      if (healthy) logger.info('worker healthy', { reason });
      else logger.warn('worker unhealthy', { reason });
    },
  });
}

/**
 * What `main` lets its caller change. `npm start` passes none; the tests and the benchmark run this same entry point
 * in a process of their own (test/support/worker-main.ts) with a task queue, a prebuilt bundle or a hook of theirs.
 */
export interface WorkerMainOptions {
  /** Default `team-roles`. */
  taskQueue?: string;
  /** Default `workflowSource()`. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Called once the worker runs, e.g. to read its start-up time or to shut it down at once. */
  onRunning?: (worker: Worker) => void;
  /** Tests only, see `ActivityDeps.testClockShiftMs`. */
  testClockShiftMs?: number;
}

/** The worker process: settings, secrets and clients from the environment, then run until SIGINT/SIGTERM. */
export async function main(options: WorkerMainOptions = {}): Promise<void> {
  installObservability();
  const logger = Runtime.instance().logger;
  const settings = loadSettings();
  const temporal = temporalSettings();
  const deps = await buildActivityDeps(process.env, settings);
  // One line saying which outside services are on and why (e.g. "geekbot: off (no GEEKBOT_API_KEY)").
  logger.info(describeServices(deps.services));
  const { worker, connection, close } = await startWorker(
    temporal,
    { ...deps, testClockShiftMs: options.testClockShiftMs },
    (message) => {
      logger.warn(message);
    },
    options,
  );
  const health = watchHealth(worker, connection);
  logger.info(
    `team-roles worker polling task queue ${options.taskQueue ?? TASK_QUEUE} at ${temporal.address} (namespace ${temporal.namespace})`,
    {
      metrics: process.env.TEMPORAL_METRICS_BIND ? `http://${process.env.TEMPORAL_METRICS_BIND}/metrics` : 'off',
    },
  );
  try {
    const running = worker.run();
    options.onRunning?.(worker);
    await running;
  } finally {
    await health.stop();
    await close();
  }
}

/** `main` as a process's entry point: a failure is one sentence on stderr (no stack trace) and exit code 1. */
export function runAsEntryPoint(options?: WorkerMainOptions): void {
  main(options).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}

if (require.main === module) runAsEntryPoint();
