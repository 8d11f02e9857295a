/**
 * Section 4: worker start, from spawning the process until the worker polls, with the workflow bundle built ahead
 * of time (`workflowBundle: { codePath }`) against bundling at start (`workflowsPath`, what the worker does when run from source).
 * The two alternate, A B A B, and the ratio is taken pair by pair. Both run TypeScript through tsx, the same way.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DEMO_MANAGER, DEMO_TEAM, startSandbox } from '../src/sandbox/sandbox';
import { workerEnvironment, WorkerProcess, workflowBundleFile } from '../test/support';
import { GROUP, median, mib, progress, ratio, spread, writeSettingsFile } from './common';
import { table, type Section } from './section';

export interface WorkerStartRun {
  /** Spawn until polling, measured by the benchmark. */
  ms: number;
  /** Process start until polling, measured inside the worker. */
  processMs: number;
  /** The worker's peak RSS at that point. */
  peakRssBytes: number;
}

export interface WorkerStartResult {
  prebuilt: WorkerStartRun[];
  bundling: WorkerStartRun[];
  /** bundling / prebuilt, pair by pair. */
  ratios: number[];
}

export async function runWorkerStartSection(
  env: TestWorkflowEnvironment,
  scratch: string,
  { pairs }: { pairs: number },
): Promise<WorkerStartResult> {
  const sandbox = await startSandbox({ groups: { [GROUP]: DEMO_TEAM }, standupManager: DEMO_MANAGER });
  try {
    const workerEnv = workerEnvironment(env, sandbox, { TEAM_ROLES_CONFIG: writeSettingsFile(scratch) });
    const bundleFile = await workflowBundleFile();
    const once = async (prebuilt: boolean): Promise<WorkerStartRun> => {
      const child = new WorkerProcess('the worker', workerEnv, {
        taskQueue: 'bench-worker-start',
        exitWhenRunning: true,
        bundleFile: prebuilt ? bundleFile : undefined,
      });
      try {
        const ready = await child.start();
        const { code, output } = (await child.exited)!;
        if (code !== 0) throw new Error(`the worker process exited with ${code}: ${output}`);
        return { ms: ready.spawnToReadyMs, processMs: ready.processToReadyMs, peakRssBytes: ready.peakRssBytes };
      } finally {
        await child.stop();
      }
    };

    await once(true); // warm-up: file caches, tsx's transform cache
    const result: WorkerStartResult = { prebuilt: [], bundling: [], ratios: [] };
    for (let i = 0; i < pairs; i++) {
      const a = await once(true);
      const b = await once(false);
      result.prebuilt.push(a);
      result.bundling.push(b);
      result.ratios.push(b.ms / a.ms);
    }
    progress(
      `worker start: prebuilt ${Math.round(median(result.prebuilt.map((r) => r.ms)))} ms, bundling ` +
        `${Math.round(median(result.bundling.map((r) => r.ms)))} ms`,
    );
    return result;
  } finally {
    await sandbox.close();
  }
}

/** Section 4 of BENCHMARKS.md. */
export const workerStartSection: Section<WorkerStartResult> = {
  number: '4',
  title: () => 'Worker start',
  run: ({ quick, scratch, withDevServer }) =>
    withDevServer((dev) => runWorkerStartSection(dev, scratch, { pairs: quick ? 2 : 5 })),
  render(start) {
    const startRow = (label: string, runs: typeof start.prebuilt) => [
      label,
      spread(runs.map((r) => r.ms)),
      spread(runs.map((r) => r.processMs)),
      spread(
        runs.map((r) => r.peakRssBytes),
        mib,
      ),
    ];
    return [
      table(
        ['', 'spawn → polling', 'process start → polling (inside)', 'peak RSS at polling'],
        [
          startRow('bundle built ahead (`workflowBundle: { codePath }`)', start.prebuilt),
          startRow('bundled at start (`workflowsPath`, as the worker does when run from source)', start.bundling),
        ],
      ),
      '',
      `Bundling at start / bundle built ahead: **${ratio(median(start.ratios))}** ` +
        `(pairs ${ratio(Math.min(...start.ratios))}–${ratio(Math.max(...start.ratios))}).`,
      '',
      "How: the worker's entry point (`main` in src/worker.ts, what `npm start` runs) spawned as its own process by",
      "test/support's `WorkerProcess` with `node --require tsx/cjs` (both variants load the TypeScript the same way),",
      'connected to the dev server: settings from TEAM_ROLES_CONFIG, the clients and the search attributes as',
      '`npm start` sets them up. "Polling" is the moment `worker.run()` has put the worker in RUNNING, when it prints',
      'a line and shuts down. The two variants alternate; the ratio is taken pair by pair. No goal was set.',
      'Since this figure, `npm run build` writes the bundle ahead (lib/workflow-bundle.js) and `npm start` loads it.',
      '',
    ];
  },
  goals: () => [],
};
