/**
 * Quick retries of one outside call inside an activity attempt. A prepare step makes a dozen calls; if any one
 * 429 or 5xx failed the whole attempt, Temporal would redo every call of it, and under a bad hour of an API the
 * step would take many attempts (the fault suite measured 15 times the calls of a fault-free year). A call that
 * failed in a way Temporal would retry is therefore tried again here, twice, within a couple of seconds. Longer
 * waits (a Retry-After of a minute) and failures that persist are still left to Temporal's retry policy.
 */
import { ApplicationFailure } from '@temporalio/common';
import { msOptionalToNumber } from '@temporalio/common';
import { activityCancellationSignal, sleepUnlessCancelled, throwIfCancelled } from './context';
import { FailureType } from './errors';
import { countApiFailure, countRateLimitWait, type Service } from './metrics';

export interface TransientRetryOptions {
  /** Tries in all (default 3). */
  attempts?: number;
  /** First pause; doubled after each try (default 200 ms). */
  baseDelayMs?: number;
  /** A failure asking for a longer pause than this is left to Temporal (default 2 s). */
  maxDelayMs?: number;
  /**
   * False for a call that may have taken effect although it failed (a POST whose answer was lost): then only a
   * rate limit, which the service refused before doing anything, is tried again.
   */
  idempotent?: boolean;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The service called: its failures and rate-limit waits are counted (src/activities/metrics.ts). */
  service?: Service;
}

/** Runs `call`; tries again on a failure Temporal would retry (an ApplicationFailure that is not non-retryable). */
export async function retryTransient<T>(call: () => Promise<T>, options: TransientRetryOptions = {}): Promise<T> {
  const {
    attempts = 3,
    baseDelayMs = 200,
    maxDelayMs = 2_000,
    idempotent = true,
    sleep = sleepUnlessCancelled,
    service,
  } = options;
  const signal = activityCancellationSignal();
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (service) {
        countApiFailure(service, err);
        // Waited out here or, when longer, by Temporal's retry after the service's Retry-After.
        if (err instanceof ApplicationFailure && err.type === FailureType.RateLimited)
          countRateLimitWait(service, 'retry_after');
      }
      if (attempt >= attempts || !(err instanceof ApplicationFailure) || err.nonRetryable) throw err;
      if (!idempotent && err.type !== FailureType.RateLimited) throw err;
      const asked = msOptionalToNumber(err.nextRetryDelay);
      const delay = asked ?? baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random());
      if (delay > maxDelayMs) throw err;
      throwIfCancelled(signal);
      await sleep(delay, signal);
    }
  }
}
