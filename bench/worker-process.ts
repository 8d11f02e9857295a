/**
 * The team-roles worker as a process of its own, for sections 3 and 4 (so its memory and CPU can be read from
 * /proc). It builds its dependencies as `npm start` does (settings from TEAM_ROLES_CONFIG, clients from the
 * environment, Temporal from TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE) and runs `createRoleWorker`.
 *
 *   BENCH_TASK_QUEUE          task queue (default team-roles)
 *   BENCH_WORKFLOW_BUNDLE     a bundle file built ahead of time (`workflowBundle: { codePath }`); when unset the
 *                             worker bundles the workflows at start (`workflowsPath`), as production does
 *   BENCH_EXIT_WHEN_POLLING   1: shut down as soon as the worker polls (worker start-up timing)
 *
 * Prints to stdout, one line each: `READY <ms since process start> <peak RSS bytes>` once polling, and
 * `HANDOVER <epoch ms>` for every handover a workflow logs.
 */
import { readFileSync } from 'node:fs';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { buildActivityDeps } from '../src/activities/deps';
import { loadSettings } from '../src/settings';
import { temporalSettings } from '../src/temporal';
import { createRoleWorker } from '../src/worker';

function peakRss(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}

async function main(): Promise<void> {
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => {
      if (entry.message === 'handed over') process.stdout.write(`HANDOVER ${Date.now()}\n`);
      else if (entry.level === 'WARN' || entry.level === 'ERROR') {
        process.stderr.write(`${entry.level} ${entry.message} ${JSON.stringify(entry.meta ?? {})}\n`);
      }
    }),
  });
  const settings = loadSettings();
  const deps = await buildActivityDeps(process.env, settings);
  const temporal = temporalSettings();
  const connection = await NativeConnection.connect(temporal.connectConfig.connectionOptions);
  try {
    const bundlePath = process.env.BENCH_WORKFLOW_BUNDLE;
    const worker = await createRoleWorker({
      connection,
      namespace: temporal.namespace,
      deps,
      taskQueue: process.env.BENCH_TASK_QUEUE || undefined,
      workflowBundle: bundlePath ? { codePath: bundlePath } : undefined,
    });
    const running = worker.run();
    await new Promise((resolve) => setImmediate(resolve));
    if (worker.getState() !== 'RUNNING') throw new Error(`worker state ${worker.getState()} after run()`);
    process.stdout.write(`READY ${performance.now().toFixed(1)} ${peakRss()}\n`);
    if (process.env.BENCH_EXIT_WHEN_POLLING === '1') worker.shutdown();
    await running; // until shut down above, or SIGINT/SIGTERM from the benchmark
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
