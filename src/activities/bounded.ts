import pLimit from 'p-limit';
import { throwIfCancelled } from './context';

export interface MapBoundedOptions {
  /** Stop starting new items once this aborts (the activity's cancellation signal). */
  signal?: AbortSignal;
  /** Called after each item completes, e.g. to heartbeat progress. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * `task` over `items` with at most `concurrency` in flight. After the first failure no new item starts, and the
 * function waits for the ones already running before it rethrows, so no request outlives the activity attempt.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<R>,
  { signal, onProgress }: MapBoundedOptions = {},
): Promise<R[]> {
  const limit = pLimit(Math.max(1, concurrency));
  let done = 0;
  let failure: { error: unknown } | undefined;
  const settled = await Promise.allSettled(
    items.map((item) =>
      limit(async () => {
        if (failure || signal?.aborted) return undefined;
        try {
          const result = await task(item);
          done += 1;
          onProgress?.(done, items.length);
          return result;
        } catch (error) {
          failure ??= { error };
          throw error;
        }
      }),
    ),
  );
  throwIfCancelled(signal);
  if (failure) throw failure.error;
  return settled.map((outcome) => (outcome as PromiseFulfilledResult<R>).value);
}
