/**
 * Real clients for the worker, from the environment and the secrets (see src/secrets.ts). Base URLs can be
 * pointed elsewhere (the local fakes, a proxy) with SLACK_API_URL, GEEKBOT_API_URL and GOOGLE_CALENDAR_API_URL.
 */
import type { Settings } from '../domain/config';
import { loadSecrets, type Env } from '../secrets';
import { createCalendarClient } from './calendar';
import { GeekbotClient } from './geekbot';
import type { ActivityDeps } from './index';
import { createSlackClient } from './slack';

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
