/**
 * `npm start`: the production worker. Reads Temporal settings like the `temporal` CLI, builds the
 * Slack, Geekbot and Calendar clients from the environment and secret files, and runs the role
 * workflows on task queue `team-roles` until SIGINT/SIGTERM (then finishes in-flight work and exits).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities';
import { buildActivityDeps } from './activities/deps';
import { PREBUILT_BUNDLE } from './bundle-workflows';
import { loadSettings } from './settings';
import { TASK_QUEUE } from './shared';
import { registerSearchAttributes, temporalSettings, type TemporalSettings } from './temporal';

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
    // In-flight activities get this long to finish (or see cancellation through heartbeats) on shutdown.
    shutdownGraceTime: '20 seconds',
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

/** The latest change to the compiled code a workflow bundle holds (lib/workflows, lib/domain, lib/shared.js). */
function newestWorkflowCode(workflowsDir: string): number {
  const lib = path.dirname(workflowsDir);
  const files = [path.join(lib, 'shared.js')];
  for (const dir of [workflowsDir, path.join(lib, 'domain')]) {
    for (const name of readdirSync(dir)) if (name.endsWith('.js')) files.push(path.join(dir, name));
  }
  return Math.max(...files.filter((file) => existsSync(file)).map((file) => statSync(file).mtimeMs));
}

/** Connects, registers the search attributes (where allowed) and returns a worker ready to `run()`. */
export async function startWorker(
  temporal: TemporalSettings,
  deps: ActivityDeps,
  log: (message: string) => void = (m) => console.log(m),
  options: Pick<RoleWorkerOptions, 'taskQueue' | 'workflowBundle'> = {},
): Promise<{ worker: Worker; connection: NativeConnection }> {
  const clientConnection = await Connection.connect(temporal.connectConfig.connectionOptions);
  try {
    const warning = await registerSearchAttributes(clientConnection, temporal.namespace);
    if (warning) log(`warning: ${warning}`);
  } finally {
    await clientConnection.close();
  }
  const connection = await NativeConnection.connect(temporal.connectConfig.connectionOptions);
  const worker = await createRoleWorker({ ...options, connection, namespace: temporal.namespace, deps });
  return { worker, connection };
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
  const settings = loadSettings();
  const temporal = temporalSettings();
  const deps = await buildActivityDeps(process.env, settings);
  const { worker, connection } = await startWorker(
    temporal,
    { ...deps, testClockShiftMs: options.testClockShiftMs },
    undefined,
    options,
  );
  console.log(
    `team-roles worker polling task queue ${options.taskQueue ?? TASK_QUEUE} at ${temporal.address} (namespace ${temporal.namespace})`,
  );
  try {
    const running = worker.run();
    options.onRunning?.(worker);
    await running;
  } finally {
    await connection.close();
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
