/**
 * The one way tests and benchmarks run the worker as a real process: `main` from src/worker.ts (the entry point of
 * `npm start`) through test/support/worker-main.ts, in a process group of its own so that a SIGKILL leaves nothing
 * behind. It can be started, killed and started again, or run to its exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Sandbox } from '../../src/sandbox/sandbox';
import { TEST_CLOCK_SHIFT_MS } from './clock';
import { ROOT } from './files';
import { sleep, waitFor } from './wait';
import { READY, WORKER_OPTIONS_VARIABLE, type WorkerChildOptions } from './worker-main';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Everything the process wrote to stdout and stderr. */
  output: string;
}

export interface Ready {
  /** Spawn until the worker ran, measured here. */
  spawnToReadyMs: number;
  /** Process start until the worker ran, measured in the process. */
  processToReadyMs: number;
  /** The process's peak RSS then. */
  peakRssBytes: number;
}

export interface WorkerProcessOptions extends Omit<WorkerChildOptions, 'testClockShiftMs'> {
  /** Called with the output once the process has exited (the fault suite scans it for secrets). */
  onExit?: (exit: Exit) => void;
}

/** A worker process's environment against `server` and the sandbox, as an operator sets it for `npm start`. */
export function workerEnvironment(
  server: Pick<TestWorkflowEnvironment, 'address' | 'namespace'>,
  sandbox: Pick<Sandbox, 'env'>,
  more: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...sandbox.env,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: server.namespace ?? 'default',
    ...more,
  };
}

const running = new Set<ChildProcess>();

// Safety net: a failing test must not leave a worker behind. Each worker leads its own process group; the group is
// killed by its id.
process.once('exit', () => {
  for (const child of running) killGroup(child);
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** A time in the worker's log lines (the SDK's default logger starts each with an ISO-8601 instant). */
const LOGGED_AT = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/;

export class WorkerProcess {
  private child: ChildProcess | undefined;
  /** Resolves once the current process has exited. */
  exited: Promise<Exit> | undefined;
  /** Everything the current process wrote to stdout and stderr. */
  output = '';
  /** Epoch ms of each handover the worker logged ("handed over"), in order, across restarts. */
  readonly handovers: number[] = [];
  starts = 0;
  kills = 0;

  constructor(
    readonly name: string,
    /** The process's whole environment (e.g. process.env, the sandbox's, TEMPORAL_ADDRESS, TEAM_ROLES_CONFIG). */
    private readonly env: NodeJS.ProcessEnv,
    private readonly options: WorkerProcessOptions = {},
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns the worker and resolves once it runs (or rejects with its output if it exits first). */
  async start(timeoutMs = 240_000): Promise<Ready> {
    if (this.alive) throw new Error(`${this.name}: already running`);
    const spawned = performance.now();
    const exit = this.spawn();
    const ready = waitFor(`${this.name} to run`, () => readyLine(this.output), { timeoutMs, intervalMs: 20 });
    const result = await Promise.race([ready, exit]);
    if ('output' in result) {
      throw new Error(
        `${this.name} exited before running (code ${result.code}, signal ${result.signal}):\n${tail(result.output)}`,
      );
    }
    this.starts += 1;
    return { spawnToReadyMs: performance.now() - spawned, ...result };
  }

  /** Runs the worker to its exit (for configurations that must make it fail at start, or `exitWhenRunning`). */
  async runToExit(timeoutMs = 120_000): Promise<Exit> {
    const exit = this.spawn();
    const result = await Promise.race([exit, sleep(timeoutMs).then(() => 'timeout' as const)]);
    if (result === 'timeout') {
      await this.kill();
      throw new Error(`${this.name} was still running after ${timeoutMs} ms:\n${tail(this.output)}`);
    }
    return result;
  }

  /** SIGKILL to the worker's process group, then waits for the exit. */
  async kill(): Promise<void> {
    if (!this.child || !this.alive) return;
    this.kills += 1;
    killGroup(this.child);
    await this.exited;
  }

  /** SIGINT (the worker finishes its in-flight work and exits), SIGKILL after `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    if (!this.child || !this.alive) return;
    const child = this.child;
    killGroup(child, 'SIGINT');
    const timer = setTimeout(() => killGroup(child), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private spawn(): Promise<Exit> {
    this.output = '';
    const { onExit, ...options } = this.options;
    const childOptions: WorkerChildOptions = { ...options, testClockShiftMs: TEST_CLOCK_SHIFT_MS };
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'worker-main.ts')], {
      cwd: ROOT,
      env: { ...this.env, [WORKER_OPTIONS_VARIABLE]: JSON.stringify(childOptions) },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    running.add(child);
    let partial = '';
    const take = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.output += text;
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.includes('handed over'))
          this.handovers.push(Date.parse(LOGGED_AT.exec(line)?.[0] ?? '') || Date.now());
      }
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    this.exited = new Promise<Exit>((resolve) => {
      child.once('close', (code, signal) => {
        running.delete(child);
        const exit = { code, signal, output: this.output };
        onExit?.(exit);
        resolve(exit);
      });
    });
    return this.exited;
  }
}

function readyLine(output: string): Omit<Ready, 'spawnToReadyMs'> | undefined {
  const match = new RegExp(`^${READY} ([\\d.]+) (\\d+)$`, 'm').exec(output);
  return match ? { processToReadyMs: Number(match[1]), peakRssBytes: Number(match[2]) } : undefined;
}

function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}
