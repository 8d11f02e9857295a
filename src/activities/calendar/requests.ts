/**
 * The one way a Calendar request is made: within the worker's per-minute budget, tried again quickly after a passing
 * failure, and paged when it lists. Every call is idempotent (inserts carry fixed event IDs), so a retry is harmless.
 */
import type { calendar_v3 } from '@googleapis/calendar';
import { ApplicationFailure } from '@temporalio/common';
import type { Settings } from '../../domain/config';
import { mapBounded } from '../bounded';
import { activityCancellationSignal, heartbeatProgress, throwIfCancelled } from '../context';
import type { RequestBudget } from '../request-budget';
import { retryTransient } from '../transient';
import { calendarFailure, type CalendarIdentity } from './failures';

const PAGE_SIZE = 250;

/** What every calendar operation works with: the API, the calendar, and the shared request discipline. */
export interface CalendarRequests extends CalendarIdentity {
  settings: Settings;
  api: calendar_v3.Calendar;
  /**
   * One request: the per-minute budget first, then tried again quickly after a passing failure (activities/transient.ts).
   * Other failures come back as they came: callers read their status (409, 404, 410) and classify them.
   */
  request<T>(what: string, call: () => Promise<T>, signal: AbortSignal | undefined): Promise<T>;
  /** The failure an operator reads (see failures.ts). */
  failure(err: unknown, what: string): unknown;
  /** Every page of an events listing. */
  listPages(
    what: string,
    params: calendar_v3.Params$Resource$Events$List,
    signal: AbortSignal | undefined,
  ): Promise<calendar_v3.Schema$Event[]>;
  /** `task` over `items` with bounded concurrency, heartbeating progress and stopping on cancellation. */
  forEachBounded<T, R>(items: readonly T[], task: (item: T) => Promise<R>): Promise<R[]>;
}

export function calendarRequests(options: {
  settings: Settings;
  api: calendar_v3.Calendar;
  identity: CalendarIdentity;
  budget: RequestBudget;
  concurrency: number;
}): CalendarRequests {
  const { settings, api, identity, budget, concurrency } = options;
  const failure = (err: unknown, what: string) => calendarFailure(err, what, identity);

  const request = <T>(what: string, call: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> =>
    retryTransient(
      async () => {
        await budget.take(signal);
        try {
          return await call();
        } catch (err) {
          const classified = failure(err, what);
          if (classified instanceof ApplicationFailure && !classified.nonRetryable) throw classified;
          throw err;
        }
      },
      { service: 'calendar' },
    );

  async function listPages(
    what: string,
    params: calendar_v3.Params$Resource$Events$List,
    signal: AbortSignal | undefined,
  ): Promise<calendar_v3.Schema$Event[]> {
    const items: calendar_v3.Schema$Event[] = [];
    let pageToken: string | undefined;
    do {
      throwIfCancelled(signal);
      const page = pageToken;
      const { data } = await request(
        what,
        () =>
          api.events.list(
            {
              ...params,
              calendarId: identity.calendarId,
              maxResults: PAGE_SIZE,
              singleEvents: true,
              ...(page ? { pageToken: page } : {}),
            },
            { signal },
          ),
        signal,
      );
      items.push(...(data.items ?? []));
      pageToken = data.nextPageToken ?? undefined;
    } while (pageToken);
    return items;
  }

  function forEachBounded<T, R>(items: readonly T[], task: (item: T) => Promise<R>): Promise<R[]> {
    heartbeatProgress({ done: 0, total: items.length });
    return mapBounded(items, concurrency, task, {
      signal: activityCancellationSignal(),
      onProgress: (done, total) => heartbeatProgress({ done, total }),
    });
  }

  return { ...identity, settings, api, request, failure, listPages, forEachBounded };
}
