/** Starts bench/worker-process.ts as a child process and follows what it prints. */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { PROJECT_ROOT } from '../src/servers/binaries';
import { DEMO_MANAGER, type Sandbox } from '../src/sandbox/sandbox';

export interface WorkerChild {
  pid: number;
  /** Once polling: ms from spawn (measured here), ms from process start (measured there), its peak RSS then. */
  ready: Promise<{ spawnToReadyMs: number; processToReadyMs: number; peakRssBytes: number }>;
  /** Epoch ms of every handover the worker logged, in order. */
  handovers: number[];
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** The last lines of its stderr, for failure messages. */
  stderr(): string;
  /** SIGINT (the worker finishes in-flight work), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface WorkerChildOptions {
  env: TestWorkflowEnvironment;
  sandbox: Sandbox;
  settingsFile: string;
  taskQueue: string;
  /** A bundle file (`workflowBundle: { codePath }`); undefined to bundle at start (`workflowsPath`). */
  bundleFile?: string;
  exitWhenPolling?: boolean;
}

/** The bundle written to a file once, for `workflowBundle: { codePath }`. */
export function writeBundleFile(scratch: string, bundle: WorkflowBundleWithSourceMap): string {
  const file = path.join(scratch, 'workflow-bundle.js');
  if (!existsSync(file)) writeFileSync(file, bundle.code);
  return file;
}

/** The worker's settings: the shipped roles with the demo standup manager. */
export function writeSettingsFile(scratch: string): string {
  const file = path.join(scratch, 'team-roles.json');
  writeFileSync(file, JSON.stringify({ standupManager: DEMO_MANAGER }));
  return file;
}

export function startWorkerChild(options: WorkerChildOptions): WorkerChild {
  const started = performance.now();
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, 'worker-process.ts')], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...options.sandbox.env,
      TEMPORAL_ADDRESS: options.env.address,
      TEMPORAL_NAMESPACE: options.env.namespace ?? 'default',
      TEAM_ROLES_CONFIG: options.settingsFile,
      BENCH_TASK_QUEUE: options.taskQueue,
      BENCH_WORKFLOW_BUNDLE: options.bundleFile ?? '',
      BENCH_EXIT_WHEN_POLLING: options.exitWhenPolling ? '1' : '',
    },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const handovers: number[] = [];
  const ready = new Promise<{ spawnToReadyMs: number; processToReadyMs: number; peakRssBytes: number }>(
    (resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const [kind, a, b] = line.split(' ');
        if (kind === 'HANDOVER') handovers.push(Number(a));
        else if (kind === 'READY') {
          resolve({
            spawnToReadyMs: performance.now() - started,
            processToReadyMs: Number(a),
            peakRssBytes: Number(b),
          });
        }
      });
      void exited.then((code) => reject(new Error(`the worker process exited (${code}) before polling: ${stderr}`)));
    },
  );
  ready.catch(() => undefined); // observed by the caller; do not crash on an unobserved rejection
  // Never leave the worker behind, even if the benchmark itself dies.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));

  return {
    pid: child.pid!,
    ready,
    handovers,
    exited,
    stderr: () => stderr,
    async stop(graceMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
