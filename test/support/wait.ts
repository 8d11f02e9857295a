/** Waiting in tests: one polling helper for the workflow tests, the fault suite and the benchmarks. */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` until it returns something other than undefined or false, and returns that. A check that throws is
 * tried again (a query while the workflow starts, a worker not polling yet); after `timeoutMs` it fails naming
 * `what` and the last error.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 60_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await sleep(intervalMs);
  }
}

/** Seconds since `since` (a `Date.now()`), for progress lines. */
export function elapsed(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
