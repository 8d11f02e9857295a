/**
 * The production worker's entry point (`main` in src/worker.ts) as a process of its own, run by `WorkerProcess`.
 * The options `main` takes come from TEAM_ROLES_TEST_WORKER (JSON, see `WorkerChildOptions`); everything else
 * (Temporal, secrets, TEAM_ROLES_CONFIG) from the environment, as for `npm start`. Once the worker runs it prints
 * `READY <ms since the process started> <peak RSS bytes>`.
 */
import { runAsEntryPoint } from '../../src/worker';
import { sampleProcess } from './proc';

export interface WorkerChildOptions {
  taskQueue?: string;
  /** A workflow bundle written to a file (`workflowBundle: { codePath }`); otherwise what `npm start` loads. */
  bundleFile?: string;
  /** Shut down as soon as the worker runs (to time the start-up). */
  exitWhenRunning?: boolean;
  testClockShiftMs?: number;
}

export const WORKER_OPTIONS_VARIABLE = 'TEAM_ROLES_TEST_WORKER';
export const READY = 'READY';

if (require.main === module) {
  const options = JSON.parse(process.env[WORKER_OPTIONS_VARIABLE] ?? '{}') as WorkerChildOptions;
  runAsEntryPoint({
    taskQueue: options.taskQueue,
    workflowBundle: options.bundleFile ? { codePath: options.bundleFile } : undefined,
    testClockShiftMs: options.testClockShiftMs,
    onRunning: (worker) => {
      process.stdout.write(
        `${READY} ${performance.now().toFixed(1)} ${sampleProcess(process.pid)?.peakRssBytes ?? 0}\n`,
      );
      if (options.exitWhenRunning) worker.shutdown();
    },
  });
}
