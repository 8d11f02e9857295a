/**
 * What the activities depend on, and the real clients for the worker, from the environment and the secrets (see
 * src/secrets.ts). Base URLs can be pointed elsewhere (the local fakes, a proxy) with SLACK_API_URL, GEEKBOT_API_URL
 * and GOOGLE_CALENDAR_API_URL.
 *
 * Which outside services are on is decided once, from the settings and which secrets exist (`planServices`): Slack
 * (the members) always; Geekbot and the calendar only when configured, their clients null otherwise. A service that
 * is configured but lacks its secret stops the worker at start-up, saying why it is on.
 */
import type { calendar_v3 } from '@googleapis/calendar';
import type { WebClient } from '@slack/web-api';
import type { Client } from '@temporalio/client';
import type { Settings } from '../domain/config';
import { planServices, type ServicePlan } from '../domain/services';
import { loadServiceSecrets, secretPresence, type Env } from '../secrets';
import { createCalendarFactory, type CalendarFor } from './absences';
import { GeekbotClient } from './geekbot';
import { createSlackClient } from './slack';

export interface ActivityDeps {
  /** Parsed with `parseSettings`; activities look roles up by name in `settings.roles`. */
  settings: Settings;
  /** Which outside services are on, and why (`planServices`); the worker prints it, the role workflows show it. */
  services: ServicePlan;
  /** See `createSlackClient` (client retries off, 429s rejected so Temporal retries). */
  slack: WebClient;
  /** Null when Geekbot is off. */
  geekbot: GeekbotClient | null;
  /** Null when the calendar is off. */
  calendar: {
    /** See `createCalendarClient`: the service account itself. */
    api: calendar_v3.Calendar;
    /** The service account, or acting as a Workspace user (domain-wide delegation) for the out-of-office reads. */
    calendarFor: CalendarFor;
    calendarId: string;
    serviceAccountEmail?: string;
  } | null;
  /** A Temporal client for the schedule's `deliverHandover` (connected lazily by the worker). */
  temporalClient?: () => Client;
  /** Tuning; the defaults suit production. */
  limits?: {
    /** Concurrent Slack `users.info` calls (default 8). */
    slackConcurrency?: number;
    /** Groups larger than this are named from `users.list` pages (default 40). */
    usersInfoMax?: number;
    /** Slack Tier 2 calls (user groups, users.list) started per minute across the worker (default 20). */
    slackTier2PerMinute?: number;
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

export async function buildActivityDeps(env: Env, settings: Settings): Promise<ActivityDeps> {
  const services = planServices(settings, secretPresence(env, { calendarIdFallback: settings.calendarId }));
  const secrets = await loadServiceSecrets(env, services, { calendarIdFallback: settings.calendarId });
  const calendarRootUrl = env.GOOGLE_CALENDAR_API_URL?.trim() || undefined;
  const { geekbotApiKey, googleServiceAccount, calendarId } = secrets;
  let calendar: ActivityDeps['calendar'] = null;
  if (googleServiceAccount && calendarId) {
    const calendarFor = createCalendarFactory({
      credentials: googleServiceAccount,
      rootUrl: calendarRootUrl,
      // Google's token endpoint is fixed inside google-auth-library; with the API pointed elsewhere (the local
      // fake) sign a self-signed JWT carrying the scope instead, and send the delegated reads' token exchange to
      // the fake's token endpoint (see createCalendarFactory).
      selfSignedJwt: calendarRootUrl !== undefined,
    });
    calendar = { api: calendarFor(), calendarFor, calendarId, serviceAccountEmail: googleServiceAccount.client_email };
  }
  return {
    settings,
    services,
    slack: createSlackClient({ token: secrets.slackBotToken, apiUrl: env.SLACK_API_URL?.trim() || undefined }),
    geekbot: geekbotApiKey
      ? new GeekbotClient({ apiKey: geekbotApiKey, apiUrl: env.GEEKBOT_API_URL?.trim() || undefined })
      : null,
    calendar,
  };
}
