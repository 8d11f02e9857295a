/**
 * Failure classification shared by the service modules. Every error an activity throws on purpose is an
 * `ApplicationFailure` with one of these types, so the workflow (and the CLI) can branch on `type`, and Temporal
 * knows from `nonRetryable` / `nextRetryDelay` whether and when to try again.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { RoleConfig, Settings } from '../domain/config';

export const FailureType = {
  /** The role name is not in `settings.roles`. */
  UnknownRole: 'UnknownRole',
  /** An activity argument that no retry can fix (bad date, empty handle, ...). */
  InvalidInput: 'InvalidInput',
  /** The service asked us to slow down; retried, after `Retry-After` when the service gave one. */
  RateLimited: 'RateLimited',
  /** 5xx, timeouts, dropped connections: retried with Temporal's backoff. */
  ServiceUnavailable: 'ServiceUnavailable',
  SlackAuth: 'SlackAuth',
  SlackMissingScope: 'SlackMissingScope',
  SlackUsergroupNotFound: 'SlackUsergroupNotFound',
  SlackApiError: 'SlackApiError',
  /** The bot was not invited to the role's channel. */
  SlackNotInChannel: 'SlackNotInChannel',
  /** The role's channel ID names no channel the bot can see. */
  SlackChannelNotFound: 'SlackChannelNotFound',
  /** Slack refused a message's content (too long, bad blocks): a template to fix. */
  SlackMessageRejected: 'SlackMessageRejected',
  GeekbotAuth: 'GeekbotAuth',
  GeekbotApiError: 'GeekbotApiError',
  CalendarAuth: 'CalendarAuth',
  CalendarForbidden: 'CalendarForbidden',
  CalendarNotFound: 'CalendarNotFound',
  CalendarApiError: 'CalendarApiError',
  /** An activity of a service this worker runs without (Geekbot or the calendar not configured). */
  ServiceOff: 'ServiceOff',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

export function nonRetryable(
  type: FailureType,
  message: string,
  details?: Record<string, unknown>,
): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: details ? [details] : undefined });
}

/**
 * The activities of a service that is off on this worker (`planServices`): each fails at once, without retries,
 * saying which service is off and why, so a job or an old workflow that calls one anyway learns what to configure.
 * `names` lists every activity of the service (the type makes the list complete).
 */
export function serviceOff<T extends object>(names: Record<keyof T, true>, service: string, why: string): T {
  const off = (name: string) => () =>
    Promise.reject(
      nonRetryable(
        FailureType.ServiceOff,
        `${service} is off on this worker (${why}), so ${name} cannot run: configure ${service} and restart the worker.`,
        { service, activity: name },
      ),
    );
  return Object.fromEntries(Object.keys(names).map((name) => [name, off(name)])) as T;
}

/** A failure Temporal retries; `retryAfterMs` (from the service's Retry-After) overrides the policy's backoff once. */
export function retryable(
  type: FailureType,
  message: string,
  retryAfterMs?: number,
  details?: Record<string, unknown>,
): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: false,
    nextRetryDelay: retryAfterMs,
    details: details ? [details] : undefined,
  });
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value == null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function requireRole(settings: Settings, name: string): RoleConfig {
  const role = settings.roles[name];
  if (!role) {
    const known = Object.keys(settings.roles);
    throw nonRetryable(
      FailureType.UnknownRole,
      `Unknown role "${name}". Known roles: ${known.join(', ') || '(none configured)'}.`,
      { role: name, known },
    );
  }
  return role;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Checks a `YYYY-MM-DD` argument (a real calendar date, not just the shape). */
export function requireIsoDate(value: unknown, what: string): string {
  if (typeof value === 'string' && ISO_DATE.test(value)) {
    const parsed = new Date(`${value}T00:00:00Z`);
    if (!Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(value)) return value;
  }
  throw nonRetryable(FailureType.InvalidInput, `${what} must be a date as YYYY-MM-DD, got ${JSON.stringify(value)}.`);
}
