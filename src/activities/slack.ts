/**
 * Slack: who is in a role's user group. One `usergroups.list` call finds the group and its user IDs; names come
 * from concurrent `users.info` calls for small groups, or from `users.list` pages for large ones.
 * The client's own retry loop is off: a passing failure is tried again twice within seconds (activities/transient.ts),
 * then it is Temporal's job, and a 429 becomes a failure with `nextRetryDelay`.
 */
import { ErrorCode, LogLevel, WebClient, type Logger as SlackLogger } from '@slack/web-api';
import type { Member } from '../domain/config';
import { sortMembers } from '../domain/members';
import { mapBounded } from './bounded';
import { activityCancellationSignal, activityLog } from './context';
import { FailureType, nonRetryable, retryable } from './errors';
import type { RequestBudget } from './request-budget';
import { retryTransient } from './transient';

export const SLACK_DEFAULT_API_URL = 'https://slack.com/api/';
/** The bot token scopes `lookupMembers` needs. */
export const SLACK_SCOPES = ['usergroups:read', 'users:read'] as const;

export interface SlackClientOptions {
  token: string;
  /** `SLACK_API_URL`; defaults to https://slack.com/api/. */
  apiUrl?: string;
  timeoutMs?: number;
}

/** A WebClient that fails fast (Temporal retries) and logs through the activity logger instead of the console. */
export function createSlackClient({ token, apiUrl, timeoutMs = 30_000 }: SlackClientOptions): WebClient {
  return new WebClient(token, {
    slackApiUrl: withTrailingSlash(apiUrl || SLACK_DEFAULT_API_URL),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: timeoutMs,
    logger: slackLogger,
  });
}

export interface SlackDeps {
  slack: WebClient;
  /** Concurrent `users.info` calls at most (Slack's Tier 4 allows 100+/minute). */
  concurrency?: number;
  /** Groups larger than this are named from `users.list` pages instead of one `users.info` call per member. */
  usersInfoMax?: number;
  /**
   * The worker's Tier 2 budget (`slackTier2Budget`, shared with the on-duty group): `usergroups.list` and
   * `users.list` are Tier 2, counted per app and workspace across every role. None: not limited here.
   */
  tier2?: RequestBudget;
}

/** Fields of a Slack user object that the lookup reads. */
interface SlackUser {
  id?: string;
  deleted?: boolean;
  is_bot?: boolean;
  profile?: { display_name_normalized?: string; real_name_normalized?: string };
}

const SLACKBOT_ID = 'USLACKBOT';
const USERS_LIST_PAGE = 200;

/**
 * One Slack call, classified, and tried again quickly on a passing failure (reads only: all idempotent); each try
 * first takes its turn from `budget` when the method is rate-limited per workspace (Tier 2).
 */
function slackCall<T>(method: string, call: () => Promise<T>, budget?: RequestBudget): Promise<T> {
  return retryTransient(
    async () => {
      await budget?.take(activityCancellationSignal());
      try {
        return await call();
      } catch (err) {
        throw slackFailure(err, method);
      }
    },
    { service: 'slack' },
  );
}

/** Slack's steps (`lookupMembers`, which the prepare activity also runs) and its activities. */
export function createSlackService({ slack, concurrency = 8, usersInfoMax = 40, tier2 }: SlackDeps) {
  async function usersByInfo(ids: readonly string[]): Promise<SlackUser[]> {
    const users = await mapBounded(ids, concurrency, (id) =>
      slackCall('users.info', async () => {
        try {
          return (await slack.users.info({ user: id })).user;
        } catch (err) {
          // A member whose account was removed outright: leave them out rather than fail the rotation.
          if (!isPlatformError(err, 'user_not_found')) throw err;
          activityLog.warn('Slack user group lists an unknown user; leaving them out', { userId: id });
          return undefined;
        }
      }),
    );
    return users.filter((user): user is SlackUser => user !== undefined);
  }

  async function usersByList(ids: readonly string[]): Promise<SlackUser[]> {
    const wanted = new Set(ids);
    const found: SlackUser[] = [];
    let cursor: string | undefined;
    do {
      const after = cursor;
      const page = await slackCall(
        'users.list',
        () => slack.users.list({ limit: USERS_LIST_PAGE, ...(after ? { cursor: after } : {}) }),
        tier2,
      );
      for (const user of (page.members ?? []) as SlackUser[]) {
        if (user.id && wanted.delete(user.id)) found.push(user);
      }
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor && wanted.size > 0); // stop paging once every member is named
    if (wanted.size > 0) {
      activityLog.warn('Slack user group lists users missing from users.list; leaving them out', {
        userIds: [...wanted],
      });
    }
    return found;
  }

  /** The user group's active human members in rotation order (`sortMembers`). */
  async function lookupMembers(usergroupHandle: string): Promise<Member[]> {
    const handle = String(usergroupHandle ?? '')
      .trim()
      .replace(/^@/, '');
    if (!handle) throw nonRetryable(FailureType.InvalidInput, 'A Slack user group handle is required.');

    const groups =
      (await slackCall('usergroups.list', () => slack.usergroups.list({ include_users: true }), tier2)).usergroups ??
      [];
    const group = groups.find((candidate) => candidate.handle === handle);
    if (!group) {
      const handles = groups.map((candidate) => candidate.handle).filter((h): h is string => Boolean(h));
      handles.sort();
      throw nonRetryable(
        FailureType.SlackUsergroupNotFound,
        `No Slack user group with handle "${handle}". Existing handles: ${handles.join(', ') || '(none)'}.`,
        { handle, handles },
      );
    }

    const ids = [...new Set(group.users ?? [])];
    const users = ids.length > usersInfoMax ? await usersByList(ids) : await usersByInfo(ids);
    const members = users
      .filter((user) => user.id && !user.deleted && !user.is_bot && user.id !== SLACKBOT_ID)
      .map((user) => ({ id: user.id as string, name: displayName(user) }));
    activityLog.info('Looked up Slack user group', {
      handle,
      members: members.length,
      leftOut: ids.length - members.length,
    });
    return sortMembers(members);
  }

  return { lookupMembers, activities: { lookupMembers } };
}

/** Slack's activities alone (tests). */
export function createSlackActivities(deps: SlackDeps) {
  return createSlackService(deps).activities;
}

/** The name Slack shows: the display name, or the real name when no display name is set. */
function displayName(user: SlackUser): string {
  const display = user.profile?.display_name_normalized?.trim();
  return display || user.profile?.real_name_normalized?.trim() || (user.id as string);
}

const AUTH_ERRORS = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired']);
const TRANSIENT_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);
const SCOPE_FOR_METHOD: Record<string, string> = {
  'usergroups.list': 'usergroups:read',
  'users.info': 'users:read',
  'users.list': 'users:read',
};

interface SlackErrorShape {
  code?: unknown;
  message?: string;
  retryAfter?: number;
  statusCode?: number;
  headers?: Record<string, unknown>;
  data?: { error?: string; needed?: string; provided?: string; response_metadata?: { retryAfter?: number } };
}

function isPlatformError(err: unknown, error: string): boolean {
  const e = err as SlackErrorShape;
  return e?.code === ErrorCode.PlatformError && e.data?.error === error;
}

/**
 * Classifies a @slack/web-api error. Only codes and messages are copied: the client's errors can carry the
 * request config (with the token) in `original`, so the error itself is never attached or logged.
 */
export function slackFailure(err: unknown, method: string): unknown {
  const e = err as SlackErrorShape;
  if (!e || typeof e !== 'object') return err;
  const scope = SCOPE_FOR_METHOD[method] ?? SLACK_SCOPES.join(', ');
  switch (e.code) {
    case ErrorCode.RateLimitedError: {
      const seconds = typeof e.retryAfter === 'number' ? e.retryAfter : undefined;
      return retryable(
        FailureType.RateLimited,
        `Slack rate-limited ${method}${seconds !== undefined ? `; retry after ${seconds}s` : ''}.`,
        seconds !== undefined ? seconds * 1000 : undefined,
        { service: 'slack', method, retryAfterSeconds: seconds },
      );
    }
    case ErrorCode.PlatformError: {
      const code = e.data?.error ?? 'unknown_error';
      if (AUTH_ERRORS.has(code)) {
        return nonRetryable(
          FailureType.SlackAuth,
          `Slack rejected SLACK_BOT_TOKEN (${code}) on ${method}. Use the bot token (xoxb-…) of a Slack app ` +
            `installed in the workspace with the ${SLACK_SCOPES.join(' and ')} scopes.`,
          { service: 'slack', method, error: code },
        );
      }
      if (code === 'missing_scope') {
        const needed = e.data?.needed || scope;
        return nonRetryable(
          FailureType.SlackMissingScope,
          `The Slack app lacks the ${needed} scope that ${method} needs. Add ${SLACK_SCOPES.join(' and ')} under ` +
            `OAuth & Permissions, reinstall the app, and update SLACK_BOT_TOKEN.`,
          { service: 'slack', method, needed, provided: e.data?.provided },
        );
      }
      if (code === 'ratelimited') {
        const seconds = e.data?.response_metadata?.retryAfter;
        return retryable(
          FailureType.RateLimited,
          `Slack rate-limited ${method}.`,
          seconds !== undefined ? seconds * 1000 : undefined,
          {
            service: 'slack',
            method,
          },
        );
      }
      if (TRANSIENT_ERRORS.has(code)) {
        return retryable(FailureType.ServiceUnavailable, `Slack ${method} failed: ${code}.`, undefined, {
          service: 'slack',
          method,
          error: code,
        });
      }
      return nonRetryable(FailureType.SlackApiError, `Slack ${method} failed: ${code}.`, {
        service: 'slack',
        method,
        error: code,
      });
    }
    case ErrorCode.HTTPError: {
      const status = e.statusCode ?? 0;
      const message = `Slack ${method} answered HTTP ${status}.`;
      if (status >= 500 || status === 408) {
        return retryable(FailureType.ServiceUnavailable, message, undefined, { service: 'slack', method, status });
      }
      return nonRetryable(FailureType.SlackApiError, `${message} Is SLACK_API_URL right?`, {
        service: 'slack',
        method,
        status,
      });
    }
    case ErrorCode.RequestError:
      return retryable(
        FailureType.ServiceUnavailable,
        `Could not reach Slack for ${method}: ${e.message ?? ''}`,
        undefined,
        {
          service: 'slack',
          method,
        },
      );
    default:
      return err;
  }
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** Routes the client's own warnings to the activity logger; its debug output (request bodies) is dropped. */
const slackLogger: SlackLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (...msg: unknown[]) => {
    const text = msg.map(String).join(' ');
    // Failed requests are classified and reported by slackFailure; the client's own line would be a duplicate.
    if (text.startsWith('http request failed')) activityLog.debug(`Slack client: ${text}`);
    else activityLog.warn(`Slack client: ${text}`);
  },
  error: (...msg: unknown[]) => activityLog.error(`Slack client: ${msg.map(String).join(' ')}`),
  setLevel: () => undefined,
  getLevel: () => LogLevel.WARN,
  setName: () => undefined,
};
