/**
 * What a failed Google Calendar request means: a rate limit or an outage (retried), or something an operator must
 * fix (credentials, sharing, the calendar ID), said in one sentence that names the fix.
 */
import { activityCancellationSignal } from '../context';
import { FailureType, nonRetryable, parseRetryAfter, retryable } from '../errors';
import { CALENDAR_SCOPE } from './client';

const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded']);

interface GoogleErrorShape {
  status?: number;
  code?: unknown;
  message?: string;
  response?: {
    status?: number;
    headers?: { get?: (name: string) => string | null } | Record<string, string>;
    data?: { error?: { message?: string; errors?: Array<{ reason?: string }> } | string; error_description?: string };
  };
}

/** The HTTP status of a googleapis (gaxios) error, if it has one. */
export function statusOf(err: unknown): number | undefined {
  const e = err as GoogleErrorShape;
  return e?.response?.status ?? (typeof e?.status === 'number' ? e.status : undefined);
}

/** Named in the failure messages. */
export interface CalendarIdentity {
  calendarId: string;
  /** Named in "share the calendar with …" failure messages. */
  serviceAccountEmail?: string;
}

/**
 * Classifies a googleapis (gaxios) error; `what` names the call. The error itself is never attached or logged:
 * its `config` holds the bearer token.
 */
export function calendarFailure(
  err: unknown,
  what: string,
  { calendarId, serviceAccountEmail }: CalendarIdentity,
): unknown {
  const signal = activityCancellationSignal();
  if (signal?.aborted) return signal.reason;
  const e = err as GoogleErrorShape;
  // Only gaxios errors (they carry the request `config`) are classified; anything else passes through unchanged.
  if (!e || typeof e !== 'object' || (!('config' in e) && e.response === undefined)) return err;
  const status = statusOf(err);
  const data = e.response?.data;
  const apiError = typeof data?.error === 'object' ? data.error : undefined;
  const reason = apiError?.errors?.[0]?.reason;
  const message = apiError?.message ?? (typeof data?.error === 'string' ? data.error : undefined) ?? e.message ?? '';
  const details = { service: 'google-calendar', call: what, status, reason };
  const headers = e.response?.headers;
  const retryAfterHeader =
    headers && typeof headers.get === 'function'
      ? headers.get('retry-after')
      : (headers as Record<string, string> | undefined)?.['retry-after'];
  const retryAfterMs = parseRetryAfter(retryAfterHeader);
  const account = serviceAccountEmail ?? 'the service account';

  if (status === 429 || (status === 403 && reason && RATE_LIMIT_REASONS.has(reason))) {
    return retryable(
      FailureType.RateLimited,
      `Google Calendar rate-limited ${what} (${reason ?? status}).`,
      retryAfterMs,
      details,
    );
  }
  if (status === 401 || data?.error === 'invalid_grant') {
    return nonRetryable(
      FailureType.CalendarAuth,
      `Google rejected the service-account credentials on ${what}: ${message}. Check that GOOGLE_APPLICATION_CREDENTIALS ` +
        `(or secrets/gcp_service_account.json) is a current key and that it may use the ${CALENDAR_SCOPE} scope.`,
      details,
    );
  }
  if (status === 403) {
    return nonRetryable(
      FailureType.CalendarForbidden,
      `Google Calendar refused ${what} (${reason ?? 'forbidden'}: ${message}). Share the calendar CALENDAR_ID ` +
        `(${calendarId}) with ${account} with "Make changes to events" permission, and grant the ${CALENDAR_SCOPE} scope.`,
      details,
    );
  }
  if (status === 404) {
    return nonRetryable(
      FailureType.CalendarNotFound,
      `Google Calendar ${calendarId} was not found on ${what}. Check CALENDAR_ID, and that the calendar is shared with ${account}.`,
      details,
    );
  }
  if (status === undefined || status >= 500 || status === 408) {
    return retryable(
      FailureType.ServiceUnavailable,
      `Google Calendar ${what} failed: ${status ? `HTTP ${status} ` : ''}${message}`.trim(),
      retryAfterMs,
      details,
    );
  }
  return nonRetryable(
    FailureType.CalendarApiError,
    `Google Calendar ${what} failed: HTTP ${status} ${message}`,
    details,
  );
}
