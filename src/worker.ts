/**
 * `npm start`: the production worker. Reads Temporal settings like the `temporal` CLI, builds the
 * Slack, Geekbot and Calendar clients from the environment and secret files, and runs the role
 * workflows on task queue `team-roles` until SIGINT/SIGTERM (then finishes in-flight work and exits).
 */
import { Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities';
import { buildActivityDeps } from './activities/deps';
import { loadSettings } from './settings';
import { TASK_QUEUE } from './shared';
import { registerSearchAttributes, temporalSettings, type TemporalSettings } from './temporal';

export interface RoleWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  deps: ActivityDeps;
  /** A bundle built ahead of time (tests, benchmarks); otherwise the workflows are bundled once here. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  taskQueue?: string;
}

export function createRoleWorker(options: RoleWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: require.resolve('./workflows') }),
    activities: createActivities(options.deps),
    // In-flight activities get this long to finish (or see cancellation through heartbeats) on shutdown.
    shutdownGraceTime: '20 seconds',
  });
}

/** Connects, registers the search attributes (where allowed) and returns a worker ready to `run()`. */
export async function startWorker(
  temporal: TemporalSettings,
  deps: ActivityDeps,
  log: (message: string) => void = (m) => console.log(m),
): Promise<{ worker: Worker; connection: NativeConnection }> {
  const clientConnection = await Connection.connect(temporal.connectConfig.connectionOptions);
  try {
    const warning = await registerSearchAttributes(clientConnection, temporal.namespace);
    if (warning) log(`warning: ${warning}`);
  } finally {
    await clientConnection.close();
  }
  const connection = await NativeConnection.connect(temporal.connectConfig.connectionOptions);
  const worker = await createRoleWorker({ connection, namespace: temporal.namespace, deps });
  return { worker, connection };
}

async function main(): Promise<void> {
  const settings = loadSettings();
  const temporal = temporalSettings();
  const deps = await buildActivityDeps(process.env, settings);
  const { worker, connection } = await startWorker(temporal, deps);
  console.log(
    `team-roles worker polling task queue ${TASK_QUEUE} at ${temporal.address} (namespace ${temporal.namespace})`,
  );
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
