/**
 * Safe access to the Temporal activity context. The service functions also run outside an activity (the
 * `list-members` CLI command calls Slack directly), where `log`/`heartbeat` from `@temporalio/activity` would throw.
 */
import { asyncLocalStorage, type Context } from '@temporalio/activity';

function currentContext(): Context | undefined {
  return asyncLocalStorage.getStore();
}

type Meta = Record<string, unknown>;

/** The activity logger inside an activity (worker-installed, with activity metadata); silent elsewhere. */
export const activityLog = {
  debug: (message: string, meta?: Meta): void => {
    currentContext()?.log.debug(message, meta);
  },
  info: (message: string, meta?: Meta): void => {
    currentContext()?.log.info(message, meta);
  },
  warn: (message: string, meta?: Meta): void => {
    currentContext()?.log.warn(message, meta);
  },
  error: (message: string, meta?: Meta): void => {
    currentContext()?.log.error(message, meta);
  },
};

/** Heartbeats progress when running as an activity (this is also how a cancellation reaches the activity). */
export function heartbeatProgress(details: unknown): void {
  currentContext()?.heartbeat(details);
}

/** What the previous attempt of this activity last heartbeated (to resume from), if running as an activity. */
export function lastHeartbeatDetails(): unknown {
  return currentContext()?.info.heartbeatDetails;
}

/** The activity's heartbeat timeout (ms), if running as an activity that has one. */
export function activityHeartbeatTimeoutMs(): number | undefined {
  return currentContext()?.info.heartbeatTimeoutMs ?? undefined;
}

/**
 * Runs `work` while heartbeating every third of the activity's heartbeat timeout (when it has one), so that Temporal
 * notices a worker that died within that timeout instead of the start-to-close one, and retries sooner.
 */
export async function whileHeartbeating<T>(work: () => Promise<T>): Promise<T> {
  const timeoutMs = activityHeartbeatTimeoutMs();
  if (timeoutMs === undefined) return work();
  const beat = setInterval(() => heartbeatProgress(undefined), Math.max(1_000, timeoutMs / 3));
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}

/** The workflow that runs this activity (its ID), if running as an activity. */
export function activityWorkflowId(): string | undefined {
  return currentContext()?.info.workflowExecution?.workflowId;
}

/** The activity's cancellation signal, if running as an activity. */
export function activityCancellationSignal(): AbortSignal | undefined {
  return currentContext()?.cancellationSignal;
}

/** Throws the activity's CancelledFailure once cancellation was requested, so Temporal records a cancellation. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}

/** Waits `ms`; rejects with the cancellation's reason (the activity's CancelledFailure) if `signal` aborts first. */
export function sleepUnlessCancelled(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('The activity was cancelled.'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
