/**
 * Google Calendar: one all-day event per turn (events.ts), kept in step with the rotation (ensure.ts), listed with
 * the old scripts' events (role-events.ts) and deleted in bulk (delete.ts). Every request goes through one budget
 * per worker (requests.ts); failures say what to fix (failures.ts).
 */
import type { calendar_v3 } from '@googleapis/calendar';
import type { Settings } from '../../domain/config';
import type { Turn } from '../../domain/types';
import { activityCancellationSignal } from '../context';
import { requireIsoDate, requireRole } from '../errors';
import { countRateLimitWait } from '../metrics';
import { RequestBudget } from '../request-budget';
import { deleteRoleEvents, type DeleteEventsResult } from './delete';
import { ensureTurns, readTurnEvents, type EnsureTurnsResult, type TurnEvents } from './ensure';
import type { RoleEvent } from './events';
import { calendarRequests } from './requests';
import { listRoleEvents } from './role-events';

export { CALENDAR_SCOPE, createCalendarClient, type CalendarClientOptions, type ServiceAccountKey } from './client';
export { eventForTurn, eventIdFor, type RoleEvent } from './events';
export type { DeleteEventsResult } from './delete';
export type { EnsureTurnsResult, TurnEvents } from './ensure';

export interface CalendarDeps {
  settings: Settings;
  calendar: calendar_v3.Calendar;
  calendarId: string;
  /** Named in "share the calendar with …" failure messages. */
  serviceAccountEmail?: string;
  /**
   * Requests in flight at most (default 10): a year of events (1 list + 52 inserts) takes 7 round trips, not 53.
   * Google also limits writing to one calendar in quick succession; its 429/403 answers are retried with backoff.
   */
  concurrency?: number;
  /**
   * The worker's per-minute request budget (`calendarRequestBudget`), shared by every Calendar request of the worker:
   * every role, and the absences' reads, act as one service account with one quota.
   */
  budget: RequestBudget;
}

/** Google's per-user quota is 600 requests per minute in a sliding window; the default 500 leaves room for the CLI's jobs. */
export const CALENDAR_REQUESTS_PER_MINUTE = 500;

/** One budget for a worker's Calendar requests (the calendar service's and the absences service's). */
export function calendarRequestBudget(requestsPerMinute = CALENDAR_REQUESTS_PER_MINUTE): RequestBudget {
  return new RequestBudget({
    limit: requestsPerMinute,
    windowMs: 60_000,
    onWait: () => countRateLimitWait('calendar', 'budget'),
  });
}

/**
 * The calendar's steps and activities. `readTurnEvents` and `ensureTurns` are the two halves of `ensureCalendarTurns`
 * (one list, then the writes), apart so the prepare activity can list while Slack answers. Build it once per worker,
 * with the worker's request budget.
 */
export function createCalendarService({
  settings,
  calendar: api,
  calendarId,
  serviceAccountEmail,
  concurrency = 10,
  budget,
}: CalendarDeps) {
  const calendar = calendarRequests({
    settings,
    api,
    identity: { calendarId, serviceAccountEmail },
    budget,
    concurrency,
  });
  const steps = {
    readTurnEvents: (role: string, from: string): Promise<TurnEvents> => readTurnEvents(calendar, role, from),
    ensureTurns: (input: { role: string; turns: Turn[] }, read?: TurnEvents): Promise<EnsureTurnsResult> =>
      ensureTurns(calendar, input, read),
  };
  const activities = {
    /** The role's events (not cancelled) that end after `from`, oldest first. */
    listCalendarEvents: async (input: { role: string; from: string }): Promise<RoleEvent[]> => {
      const role = requireRole(settings, input.role);
      const from = requireIsoDate(input.from, 'from');
      try {
        return await listRoleEvents(calendar, input.role, role, from, activityCancellationSignal());
      } catch (err) {
        throw calendar.failure(err, `listing ${input.role} events`);
      }
    },
    /** Makes the calendar show these turns: creates what is missing, repairs what drifted, leaves the rest. */
    ensureCalendarTurns: (input: { role: string; turns: Turn[] }): Promise<EnsureTurnsResult> =>
      steps.ensureTurns(input),
    /** Deletes the role's events (ours and legacy) that start on or after `from`. */
    deleteCalendarEvents: (input: { role: string; from: string }): Promise<DeleteEventsResult> =>
      deleteRoleEvents(calendar, input),
  };
  return { ...steps, activities };
}

/** The calendar's activities alone, with a budget of their own unless given one (tests and the benchmark). */
export function createCalendarActivities({
  budget,
  ...deps
}: Omit<CalendarDeps, 'budget'> & { budget?: RequestBudget }) {
  return createCalendarService({ ...deps, budget: budget ?? calendarRequestBudget() }).activities;
}
