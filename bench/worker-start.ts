/**
 * Section 4: worker start, from spawning the process until the worker polls, with the workflow bundle built ahead
 * of time (`workflowBundle: { codePath }`) against bundling at start (`workflowsPath`, what `npm start` does).
 * The two alternate, A B A B, and the ratio is taken pair by pair. Both run TypeScript through tsx, the same way.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DEMO_MANAGER, DEMO_TEAM, startSandbox } from '../src/sandbox/sandbox';
import { workerEnvironment, WorkerProcess, workflowBundleFile } from '../test/support';
import { GROUP, median, progress, writeSettingsFile } from './common';

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
