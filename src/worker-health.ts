/**
 * The worker's side of the health check (see ./health.ts): a heartbeat file, rewritten while the Temporal server
 * reports a recent poll from this worker. It asks the server rather than trusting the worker's own view: a worker
 * that thinks it polls but whose polls no longer reach Temporal is unhealthy too.
 */
import { randomUUID } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { temporal } from '@temporalio/proto';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { healthFile, type HealthBeat } from './health';

export interface HealthFileOptions {
  file?: string;
  /** How often the worker checks and rewrites the file (default 10 s). */
  intervalMs?: number;
  /** A poll the server saw longer ago than this does not count (default 90 s: idle long polls last about 60 s). */
  pollSeenWithinMs?: number;
  /** Called when the worker turns unhealthy or healthy again, with the reason. */
  onChange?: (healthy: boolean, reason: string) => void;
}

/** Keeps the heartbeat file while `worker` polls; `stop()` ends the loop and removes the file. */
export function keepHealthFile(
  worker: Worker,
  connection: NativeConnection,
  options: HealthFileOptions = {},
): { stop(): Promise<void> } {
  const file = options.file ?? healthFile();
  const intervalMs = options.intervalMs ?? 10_000;
  const within = options.pollSeenWithinMs ?? 90_000;
  let stopped = false;
  let last: boolean | undefined;
  let timer: NodeJS.Timeout | undefined;

  const beat = async (): Promise<void> => {
    const reason = await unhealthyReason(worker, connection, within).catch((err: unknown) => {
      return `cannot ask Temporal about the worker's polls: ${(err as Error).message}`;
    });
    if (stopped) return;
    if (typeof reason === 'string') {
      await rm(file, { force: true });
      // Not yet running at start-up is no news; anything else is.
      const starting = last === undefined && worker.getState() === 'INITIALIZED';
      if (last !== false && !starting) options.onChange?.(false, reason);
      if (!starting) last = false;
    } else {
      await writeAtomically(file, JSON.stringify(reason));
      if (last !== true) options.onChange?.(true, `the server saw a poll at ${reason.lastPollAt}`);
      last = true;
    }
  };
  const loop = (delayMs = intervalMs) => {
    timer = setTimeout(() => {
      beat()
        .catch(() => undefined)
        .finally(() => {
          if (!stopped) loop();
        });
    }, delayMs);
    timer.unref();
  };
  // The first look soon after start (the worker is just starting to poll), then every interval.
  loop(Math.min(1_000, intervalMs));

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await rm(file, { force: true });
    },
  };
}

/** The heartbeat when the worker polls, else why not. */
async function unhealthyReason(
  worker: Worker,
  connection: NativeConnection,
  withinMs: number,
): Promise<HealthBeat | string> {
  const state = worker.getState();
  if (state !== 'RUNNING') return `the worker is ${state.toLowerCase()}`;
  const status = worker.getStatus();
  if (status.workflowPollerState !== 'POLLING') return `its workflow poller is ${status.workflowPollerState}`;
  const { identity, namespace, taskQueue } = worker.options;
  const response = await connection.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  const poller = response.pollers?.find((p) => p.identity === identity);
  const seconds = poller?.lastAccessTime?.seconds;
  if (!poller || seconds === undefined || seconds === null) {
    return `the server lists no poll from ${identity} on ${taskQueue}`;
  }
  const lastPoll = Number(seconds) * 1000 + Math.floor((poller.lastAccessTime?.nanos ?? 0) / 1e6);
  if (Date.now() - lastPoll > withinMs) {
    return `the server saw the last poll from ${identity} ${Math.round((Date.now() - lastPoll) / 1000)} s ago`;
  }
  return {
    at: new Date().toISOString(),
    identity,
    namespace,
    taskQueue,
    lastPollAt: new Date(lastPoll).toISOString(),
  };
}

/** Readers never see a half-written file. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const temporary = `${file}.${randomUUID()}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, file);
}
