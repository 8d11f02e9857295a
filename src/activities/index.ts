/**
 * The one place the worker's activities get their dependencies. The worker passes real clients
 * (`buildActivityDeps`); tests pass clients pointed at the sandbox fakes under src/sandbox.
 * Workflows import the types only: `proxyActivities<ReturnType<typeof createActivities>>(...)`.
 */
import type { WebClient } from '@slack/web-api';
import type { calendar_v3 } from '@googleapis/calendar';
import type { Client } from '@temporalio/client';
import type { Settings } from '../domain/config';
import { createCalendarService } from './calendar';
import { createGeekbotActivities, createStandupService, type GeekbotClient } from './geekbot';
import { createPrepareActivities } from './prepare';
import { createSettingsActivities } from './settings';
import { createSlackActivities } from './slack';
import { createTemporalActivities } from './temporal';

export interface ActivityDeps {
  /** Parsed with `parseSettings`; activities look roles up by name in `settings.roles`. */
  settings: Settings;
  /** See `createSlackClient` (client retries off, 429s rejected so Temporal retries). */
  slack: WebClient;
  geekbot: GeekbotClient;
  calendar: {
    /** See `createCalendarClient`. */
    api: calendar_v3.Calendar;
    calendarId: string;
    serviceAccountEmail?: string;
  };
  /** A Temporal client for the schedule's `deliverHandover` (connected lazily by the worker). */
  temporalClient?: () => Client;
  /** Tuning; the defaults suit production. */
  limits?: {
    /** Concurrent Slack `users.info` calls (default 8). */
    slackConcurrency?: number;
    /** Groups larger than this are named from `users.list` pages (default 40). */
    usersInfoMax?: number;
    /** Concurrent Calendar requests (default 10). */
    calendarConcurrency?: number;
    /** Calendar requests started per minute across the worker (default 500; Google allows 600 per user). */
    calendarRequestsPerMinute?: number;
  };
  /**
   * Tests only: new rotations run as if it were this much later (TEAM_ROLES_TEST_NOW in test/support/clock.ts).
   * `buildActivityDeps` never sets it.
   */
  testClockShiftMs?: number;
}

export function createActivities(deps: ActivityDeps) {
  const slack = createSlackActivities({
    slack: deps.slack,
    concurrency: deps.limits?.slackConcurrency,
    usersInfoMax: deps.limits?.usersInfoMax,
  });
  const standups = createStandupService({ settings: deps.settings, geekbot: deps.geekbot });
  const calendar = createCalendarService({
    settings: deps.settings,
    calendar: deps.calendar.api,
    calendarId: deps.calendar.calendarId,
    serviceAccountEmail: deps.calendar.serviceAccountEmail,
    concurrency: deps.limits?.calendarConcurrency,
    requestsPerMinute: deps.limits?.calendarRequestsPerMinute,
  });
  return {
    ...createSettingsActivities(deps.settings, deps.testClockShiftMs),
    ...createTemporalActivities(deps.temporalClient),
    ...slack,
    ...createGeekbotActivities({ settings: deps.settings, geekbot: deps.geekbot }),
    // One calendar service for both: one per-minute request budget for the worker.
    ...calendar.activities,
    ...createPrepareActivities({ settings: deps.settings, ...slack, ...standups, ...calendar }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { RoleEvent, EnsureTurnsResult, DeleteEventsResult } from './calendar';
export type { UpsertStandupInput, UpsertStandupResult } from './geekbot';
export type { PrepareHandoverInput, PrepareHandoverResult } from './prepare';
export { FailureType } from './errors';
export { buildActivityDeps } from './deps';
