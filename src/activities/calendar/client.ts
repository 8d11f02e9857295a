/**
 * The Google Calendar client. Uses @googleapis/calendar, the single-API package of the googleapis project (0.86 MB
 * and 0.14 s to load, against 209 MB and 1.1 s for the whole googleapis package).
 */
import { auth, calendar, type calendar_v3 } from '@googleapis/calendar';

export const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar';

/** The fields of a service-account key file that signing needs. */
export interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  private_key_id?: string;
}

export interface CalendarClientOptions {
  credentials: ServiceAccountKey;
  /** `GOOGLE_CALENDAR_API_URL`; defaults to https://www.googleapis.com/. */
  rootUrl?: string;
  /**
   * Sign a self-signed JWT with the calendar scope instead of exchanging it at Google's token endpoint (which is
   * fixed inside google-auth-library). Used against the local fake, where no token endpoint exists.
   */
  selfSignedJwt?: boolean;
  timeoutMs?: number;
}

/** A Calendar v3 client with the library's own retries off: Temporal retries the activity instead. */
export function createCalendarClient({
  credentials,
  rootUrl,
  selfSignedJwt = false,
  timeoutMs = 30_000,
}: CalendarClientOptions): calendar_v3.Calendar {
  const jwt = new auth.JWT({
    email: credentials.client_email,
    key: credentials.private_key,
    keyId: credentials.private_key_id,
    scopes: [CALENDAR_SCOPE],
  });
  jwt.useJWTAccessWithScope = selfSignedJwt;
  return calendar({
    version: 'v3',
    auth: jwt,
    retry: false,
    timeout: timeoutMs,
    ...(rootUrl ? { rootUrl: rootUrl.endsWith('/') ? rootUrl : `${rootUrl}/` } : {}),
  });
}
