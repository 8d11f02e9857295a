/**
 * The one place the worker's activities get their dependencies. The worker passes real clients
 * (`buildActivityDeps`); tests pass clients pointed at the sandbox fakes under src/sandbox.
 * Workflows import the types only: `proxyActivities<ReturnType<typeof createActivities>>(...)`.
 *
 * Every service has one shape, `createXService(deps) → { steps…, activities }`: the steps are what another service
 * may build on (the prepare step runs Slack's, Geekbot's and the calendar's), the activities what the worker registers.
 * Each service is built once, so what it holds (the calendar's per-minute request budget) is the worker's.
 */
import { createCalendarService } from './calendar';
import type { ActivityDeps } from './deps';
import { createGeekbotService } from './geekbot';
import { createPrepareService } from './prepare';
import { createSettingsService } from './settings';
import { createSlackService } from './slack';
import { createTemporalService } from './temporal';

export function createActivities(deps: ActivityDeps) {
  const { settings } = deps;
  const slack = createSlackService({
    slack: deps.slack,
    concurrency: deps.limits?.slackConcurrency,
    usersInfoMax: deps.limits?.usersInfoMax,
  });
  const geekbot = createGeekbotService({ settings, geekbot: deps.geekbot });
  const calendar = createCalendarService({
    settings,
    calendar: deps.calendar.api,
    calendarId: deps.calendar.calendarId,
    serviceAccountEmail: deps.calendar.serviceAccountEmail,
    concurrency: deps.limits?.calendarConcurrency,
    requestsPerMinute: deps.limits?.calendarRequestsPerMinute,
  });
  const prepare = createPrepareService({
    settings,
    lookupMembers: slack.lookupMembers,
    findStandup: geekbot.findStandup,
    writeStandup: geekbot.writeStandup,
    readTurnEvents: calendar.readTurnEvents,
    ensureTurns: calendar.ensureTurns,
  });
  return {
    ...createSettingsService({ settings, testClockShiftMs: deps.testClockShiftMs }).activities,
    ...createTemporalService({ temporalClient: deps.temporalClient }).activities,
    ...slack.activities,
    ...geekbot.activities,
    ...calendar.activities,
    ...prepare.activities,
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps';
export type { RoleEvent, EnsureTurnsResult, DeleteEventsResult } from './calendar';
export type { UpsertStandupInput, UpsertStandupResult } from './geekbot';
export type { PrepareHandoverInput, PrepareHandoverResult } from './prepare';
export { FailureType } from './errors';
export { buildActivityDeps } from './deps';
