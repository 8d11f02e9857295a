/**
 * What the activities depend on, and the real clients for the worker, from the environment and the secrets (see
 * src/secrets.ts). Base URLs can be pointed elsewhere (the local fakes, a proxy) with SLACK_API_URL, GEEKBOT_API_URL
 * and GOOGLE_CALENDAR_API_URL.
 */
import type { calendar_v3 } from '@googleapis/calendar';
import type { WebClient } from '@slack/web-api';
import type { Client } from '@temporalio/client';
import type { Settings } from '../domain/config';
import { loadSecrets, type Env } from '../secrets';
import { createCalendarClient } from './calendar';
import { GeekbotClient } from './geekbot';
import { createSlackClient } from './slack';

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

export async function buildActivityDeps(env: Env, settings: Settings): Promise<ActivityDeps> {
  const secrets = await loadSecrets(env, { calendarIdFallback: settings.calendarId });
  const calendarRootUrl = env.GOOGLE_CALENDAR_API_URL?.trim() || undefined;
  return {
    settings,
    slack: createSlackClient({ token: secrets.slackBotToken, apiUrl: env.SLACK_API_URL?.trim() || undefined }),
    geekbot: new GeekbotClient({ apiKey: secrets.geekbotApiKey, apiUrl: env.GEEKBOT_API_URL?.trim() || undefined }),
    calendar: {
      api: createCalendarClient({
        credentials: secrets.googleServiceAccount,
        rootUrl: calendarRootUrl,
        // Google's token endpoint is fixed inside google-auth-library; with the API pointed elsewhere (the local
        // fake) sign a self-signed JWT carrying the scope instead, so no token exchange is attempted.
        selfSignedJwt: calendarRootUrl !== undefined,
      }),
      calendarId: secrets.calendarId,
      serviceAccountEmail: secrets.googleServiceAccount.client_email,
    },
  };
}
