/**
 * The one place the worker's activities get their dependencies. The worker passes real clients
 * (`buildActivityDeps`); tests pass clients pointed at the sandbox fakes under src/sandbox.
 * Workflows import the types only: `proxyActivities<ReturnType<typeof createActivities>>(...)`.
 *
 * Every service has one shape, `createXService(deps) → { steps…, activities }`: the steps are what another service
 * may build on (the prepare step runs Slack's, Geekbot's, the calendar's and the messages'), the activities what the
 * worker registers. Each service is built once, so what it holds is the worker's: the Slack Tier 2 budget (the member
 * lookup and the on-duty group), the calendar's per-minute request budget (the calendar and the absences), the DM
 * conversations the messages service has opened. A service that is off (`deps.services`) still registers its
 * activities, each failing at once with a sentence saying what to configure.
 */
import { createAbsenceService } from './absences';
import { createAckService } from './acknowledgements';
import { createAnnounceService } from './announce';
import { calendarRequestBudget, createCalendarService } from './calendar';
import { createChangeNoticeService } from './change-notices';
import type { ActivityDeps } from './deps';
import { serviceOff } from './errors';
import { createGeekbotService } from './geekbot';
import { createOnDutyGroupService, slackTier2Budget } from './on-duty-group';
import { createPrepareService } from './prepare';
import { createSettingsService } from './settings';
import { createSlackService } from './slack';
import { createSlackMessagesService } from './slack-messages';
import { createTemporalService } from './temporal';

type GeekbotActivities = ReturnType<typeof createGeekbotService>['activities'];
type CalendarActivities = ReturnType<typeof createCalendarService>['activities'];
type AbsenceActivities = ReturnType<typeof createAbsenceService>['activities'];

export function createActivities(deps: ActivityDeps) {
  const { settings, services } = deps;
  const tier2 = slackTier2Budget(deps.limits?.slackTier2PerMinute);
  const calendarBudget = calendarRequestBudget(deps.limits?.calendarRequestsPerMinute);
  const slack = createSlackService({
    slack: deps.slack,
    concurrency: deps.limits?.slackConcurrency,
    usersInfoMax: deps.limits?.usersInfoMax,
    tier2,
  });
  const messages = createSlackMessagesService({ settings, slack: deps.slack });
  const onDuty = createOnDutyGroupService({ settings, slack: deps.slack, budget: tier2 });
  const geekbot = deps.geekbot ? createGeekbotService({ settings, geekbot: deps.geekbot }) : null;
  const calendar = deps.calendar
    ? createCalendarService({
        settings,
        calendar: deps.calendar.api,
        calendarId: deps.calendar.calendarId,
        serviceAccountEmail: deps.calendar.serviceAccountEmail,
        concurrency: deps.limits?.calendarConcurrency,
        budget: calendarBudget,
      })
    : null;
  const absences = deps.calendar
    ? createAbsenceService({
        settings,
        slack: deps.slack,
        calendarFor: deps.calendar.calendarFor,
        budget: calendarBudget,
        serviceAccountEmail: deps.calendar.serviceAccountEmail,
      })
    : null;
  const temporal = createTemporalService({ temporalClient: deps.temporalClient });
  const ack = createAckService({
    settings,
    slack: deps.slack,
    geekbot: deps.geekbot,
    messages,
    workflow: temporal.ackLink,
  });
  const prepare = createPrepareService({
    settings,
    services,
    lookupMembers: slack.lookupMembers,
    standup: geekbot,
    calendar,
    absences,
    messages,
  });
  const changeNotices = createChangeNoticeService({ settings, messages, standup: geekbot });
  return {
    ...createSettingsService({
      settings,
      services,
      testClockShiftMs: deps.testClockShiftMs,
      geekbot: deps.geekbot !== null,
    }).activities,
    ...temporal.activities,
    ...slack.activities,
    ...messages.activities,
    ...onDuty.activities,
    ...createAnnounceService({ messages, onDuty }).activities,
    ...(geekbot?.activities ?? serviceOff<GeekbotActivities>({ upsertStandup: true }, 'Geekbot', services.geekbot.why)),
    ...(calendar?.activities ??
      serviceOff<CalendarActivities>(
        { listCalendarEvents: true, ensureCalendarTurns: true, deleteCalendarEvents: true },
        'the calendar',
        services.calendar.why,
      )),
    ...(absences?.activities ??
      serviceOff<AbsenceActivities>({ readAbsences: true }, 'the calendar', services.calendar.why)),
    ...ack.activities,
    ...prepare.activities,
    ...changeNotices.activities,
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps';
export type { RoleEvent, EnsureTurnsResult, DeleteEventsResult } from './calendar';
export type { UpsertStandupInput, UpsertStandupResult } from './geekbot';
export type { PrepareHandoverInput, PrepareHandoverResult } from './prepare';
export type { AnnounceHandoverInput, AnnounceHandoverResult } from './announce';
export type { WatchAcknowledgementInput, WatchAcknowledgementResult } from './acknowledgements';
export { FailureType } from './errors';
export { buildActivityDeps } from './deps';
