/**
 * A sliding-window request budget: at most `limit` requests start within any `windowMs`. Google counts the Calendar
 * API's per-user quota this way (600 requests per minute per user per project, in a sliding window), and every role
 * on a worker writes as the same service account, so the budget is shared by all of the worker's calendar calls.
 */
import { sleepUnlessCancelled, throwIfCancelled } from './context';

export interface RequestBudgetOptions {
  limit: number;
  windowMs: number;
  /** For tests. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called each time a request has to wait for the window (counted as a rate-limit wait). */
  onWait?: () => void;
}

export class RequestBudget {
  private readonly starts: number[] = [];
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly onWait?: () => void;

  constructor({ limit, windowMs, now = Date.now, sleep = sleepUnlessCancelled, onWait }: RequestBudgetOptions) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a request budget needs a limit of at least 1`);
    this.limit = limit;
    this.windowMs = windowMs;
    this.now = now;
    this.sleep = sleep;
    this.onWait = onWait;
  }

  /** Resolves when one more request may start (at once while under the budget); rejects if `signal` aborts. */
  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      throwIfCancelled(signal);
      const now = this.now();
      while (this.starts.length > 0 && (this.starts[0] as number) <= now - this.windowMs) this.starts.shift();
      if (this.starts.length < this.limit) {
        this.starts.push(now);
        return;
      }
      // Full: wait until the oldest start leaves the window, then look again (others may be waiting too).
      this.onWait?.();
      await this.sleep((this.starts[0] as number) + this.windowMs - now, signal);
    }
  }

  /** Requests started within the window now (for logs and tests). */
  get inWindow(): number {
    const now = this.now();
    return this.starts.filter((start) => start > now - this.windowMs).length;
  }
}
