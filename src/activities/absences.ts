/**
 * Absences over a member's coming turn (issue 17), read before the notice names them. Two sources, as the role's
 * `absences` block says:
 * - **out of office**: the member's out-of-office events (`events.list` with `eventTypes=outOfOffice` on `primary`),
 *   read through the service account acting as the member (domain-wide delegation, `subject` = their e-mail from
 *   Slack `users.info` → `profile.email`, which needs the users:read.email scope);
 * - **team absences calendar**: a shared calendar whose events name members (`membersNamedBy`: Slack ID, e-mail or
 *   exact display name, never a substring).
 * Each source gives an `AbsenceRead` as `absenceDecision` (src/domain/absences.ts) takes it: the absences, or the
 * cause in one sentence. A read that cannot be made, for whatever reason (no delegation, no scope, an outage that
 * outlasts the quick retries of transient.ts), is reported as failed and never skips anyone, and it never fails the
 * activity either: the notice goes out on time with a warning rather than wait for Google. Only a cancellation is
 * thrown. Every Calendar request takes its turn from the worker's per-minute calendar budget.
 */
import type { WebClient } from '@slack/web-api';
import { auth, calendar, type calendar_v3 } from '@googleapis/calendar';
import { ApplicationFailure } from '@temporalio/common';
import { DateTime } from 'luxon';
import {
  absenceDecision,
  membersNamedBy,
  type Absence,
  type AbsenceContact,
  type AbsenceDecision,
  type AbsenceRead,
} from '../domain/absences';
import { roleTimeZone, type Settings } from '../domain/config';
import { roleRules } from '../domain/roleRules';
import type { IsoDate, Member } from '../domain/types';
import { mapBounded } from './bounded';
import { createCalendarClient, type CalendarClientOptions } from './calendar';
import { activityCancellationSignal, activityLog, throwIfCancelled } from './context';
import { FailureType, nonRetryable, parseRetryAfter, requireIsoDate, requireRole, retryable } from './errors';
import type { RequestBudget } from './request-budget';
import { slackFailure } from './slack';
import { retryTransient, type TransientRetryOptions } from './transient';

/**
 * The one scope an impersonated client asks for: reading events is all the out-of-office check does. A Workspace
 * admin grants exactly this scope to the service account's client ID (Google refuses a token for any scope not
 * granted, even a narrower one).
 */
export const OUT_OF_OFFICE_SCOPE = 'https://www.googleapis.com/auth/calendar.events.readonly';
/** Where google-auth-library exchanges a service-account JWT for a token (fixed inside gtoken). */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const SOURCE_OUT_OF_OFFICE = 'out of office';
export const SOURCE_TEAM_CALENDAR = 'team absences calendar';

/** A Calendar client acting as the service account (no subject) or as the Workspace user `subject`. */
export type CalendarFor = (subject?: string) => calendar_v3.Calendar;

/**
 * `calendarFor()` is `createCalendarClient(options)`, the service account itself (self-signed when
 * `options.selfSignedJwt`); `calendarFor(email)` acts as that user through domain-wide delegation, one client per
 * subject so its token (an hour) is reused. Impersonation always exchanges its JWT for a token: a self-signed JWT
 * cannot carry a subject (google-auth-library would sign it as the service account and read the service account's
 * own, empty, calendar; Google honours delegation in a token exchange only). Against the local fake (`selfSignedJwt`,
 * the API at `rootUrl`, the switch deps.ts makes when GOOGLE_CALENDAR_API_URL is set) the exchange goes to the fake's
 * token endpoint `<rootUrl>token` instead of Google's.
 */
export function createCalendarFactory(options: CalendarClientOptions): CalendarFor {
  const own = createCalendarClient(options);
  const impersonating = new Map<string, calendar_v3.Calendar>();
  const rootUrl = options.rootUrl
    ? options.rootUrl.endsWith('/')
      ? options.rootUrl
      : `${options.rootUrl}/`
    : undefined;
  return (subject) => {
    if (!subject) return own;
    const key = subject.trim().toLowerCase();
    let client = impersonating.get(key);
    if (!client) {
      const jwt = new auth.JWT({
        email: options.credentials.client_email,
        key: options.credentials.private_key,
        keyId: options.credentials.private_key_id,
        scopes: [OUT_OF_OFFICE_SCOPE],
        subject: key,
      });
      const tokenUrl = options.selfSignedJwt && rootUrl ? new URL('token', rootUrl) : undefined;
      // gtoken posts to Google's fixed URL through the client's own transporter, asking gaxios for three retries of
      // its own: turn those off (the quick retries of transient.ts cover the exchange like every other call, 3 tries
      // in under a second rather than 12 in 6 s), and against the fake send the exchange to the fake.
      jwt.transporter.interceptors.request.add({
        resolved: (config) => {
          if (config.url.href === GOOGLE_TOKEN_URL) {
            config.retryConfig = { ...config.retryConfig, retry: 0 };
            config.timeout ??= options.timeoutMs ?? 30_000;
            if (tokenUrl) config.url = tokenUrl;
          }
          return Promise.resolve(config);
        },
      });
      client = calendar({
        version: 'v3',
        auth: jwt,
        retry: false,
        timeout: options.timeoutMs ?? 30_000,
        ...(rootUrl ? { rootUrl } : {}),
      });
      impersonating.set(key, client);
    }
    return client;
  };
}

export interface AbsenceDeps {
  settings: Settings;
  slack: WebClient;
  calendarFor: CalendarFor;
  /** The worker's per-minute calendar budget, shared with the calendar service (one service account, one quota). */
  budget: RequestBudget;
  /** Named in "share the calendar with …" causes. */
  serviceAccountEmail?: string;
  /** Members read at once (default 4). */
  concurrency?: number;
  /** The quick retries of one call (activities/transient.ts); tests shorten the pauses. */
  retry?: TransientRetryOptions;
}

export interface AbsenceTurn {
  start: IsoDate;
  /** Exclusive. */
  end: IsoDate;
}

export interface AbsenceQuery {
  role: string;
  turn: AbsenceTurn;
  /** The members to read, e.g. the one the notice would name and who would stand in. */
  members: Member[];
  /** Everyone in the rotation (default `members`): a display name two members share names neither of them. */
  roster?: Member[];
}

export interface MemberAbsences {
  memberId: string;
  /** One per configured source, in the order out of office, team absences calendar. */
  reads: AbsenceRead[];
  decision: AbsenceDecision;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string };

interface GaxiosErrorShape {
  code?: unknown;
  message?: string;
  config?: { url?: unknown };
  response?: {
    status?: number;
    headers?: { get?: (name: string) => string | null } | Record<string, string>;
    data?: unknown;
  };
}

const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded']);
const PAGE_SIZE = 250;

/** What a list is of, for the causes: a member's out-of-office events, or the team calendar. */
type ListTarget = { kind: 'outOfOffice'; email: string } | { kind: 'team'; calendarId: string };

export function createAbsenceService({
  settings,
  slack,
  calendarFor,
  budget,
  serviceAccountEmail,
  concurrency = 4,
  retry,
}: AbsenceDeps) {
  const account = serviceAccountEmail ?? 'the service account';

  /**
   * A googleapis (gaxios) error as an ApplicationFailure whose message is the cause in one sentence; retryable for a
   * passing failure (rate limit, 5xx, network), which `retryTransient` tries again. The error itself is never kept:
   * its `config` holds the bearer token.
   */
  function listFailure(err: unknown, target: ListTarget): unknown {
    const signal = activityCancellationSignal();
    if (signal?.aborted) return signal.reason;
    if (err instanceof ApplicationFailure) return err;
    const e = err as GaxiosErrorShape;
    if (!e || typeof e !== 'object') return err;
    const status = e.response?.status;
    const data = e.response?.data as
      | { error?: string | { message?: string; errors?: Array<{ reason?: string }> }; error_description?: string }
      | undefined;
    const details = { service: 'google-calendar', target: target.kind, status };
    const whose =
      target.kind === 'outOfOffice' ? `${target.email}'s calendar` : `the team calendar ${target.calendarId}`;

    // The token endpoint (Google's, or the fake's `<root>token`) answers in OAuth's shape, `{ error, error_description }`.
    const configured = e.config?.url;
    const url = configured instanceof URL ? configured.href : typeof configured === 'string' ? configured : '';
    if (url === GOOGLE_TOKEN_URL || url.endsWith('/token') || typeof data?.error === 'string') {
      const code = typeof data?.error === 'string' ? data.error : `HTTP ${status ?? 'error'}`;
      const description = data?.error_description ?? '';
      if (status === undefined || status >= 500 || status === 429) {
        return retryable(
          FailureType.ServiceUnavailable,
          `Google's token endpoint unavailable (HTTP ${status})`,
          undefined,
          details,
        );
      }
      if (target.kind === 'outOfOffice' && code === 'unauthorized_client') {
        return nonRetryable(
          FailureType.CalendarForbidden,
          `no domain-wide delegation for ${target.email}: a Workspace admin grants the service account's client ID the ` +
            `${OUT_OF_OFFICE_SCOPE} scope in the Admin console (Security → Access and data control → API controls → ` +
            'Domain-wide delegation; see "Absences" in the README)',
          details,
        );
      }
      if (target.kind === 'outOfOffice' && code === 'invalid_grant') {
        return nonRetryable(
          FailureType.CalendarAuth,
          `Google would not act as ${target.email} (invalid_grant: ${description}): is it a user of the Workspace ` +
            'domain, and is the service-account key current?',
          details,
        );
      }
      return nonRetryable(
        FailureType.CalendarAuth,
        `Google refused a token for ${whose} (${code}: ${description})`,
        details,
      );
    }

    const apiError = typeof data?.error === 'object' ? data.error : undefined;
    const reason = apiError?.errors?.[0]?.reason;
    const message = apiError?.message ?? e.message ?? '';
    const headers = e.response?.headers;
    const retryAfterMs = parseRetryAfter(
      headers && typeof headers.get === 'function'
        ? headers.get('retry-after')
        : (headers as Record<string, string> | undefined)?.['retry-after'],
    );
    if (status === 429 || (status === 403 && reason !== undefined && RATE_LIMIT_REASONS.has(reason))) {
      return retryable(
        FailureType.RateLimited,
        `Calendar API rate-limited (${reason ?? status})`,
        retryAfterMs,
        details,
      );
    }
    if (status === undefined || status >= 500 || status === 408) {
      const why = status !== undefined ? `HTTP ${status}` : typeof e.code === 'string' ? e.code : 'no answer';
      return retryable(FailureType.ServiceUnavailable, `Calendar API unavailable (${why})`, retryAfterMs, details);
    }
    if (status === 401) {
      return nonRetryable(
        FailureType.CalendarAuth,
        `Google rejected the service-account credentials reading ${whose} (${message})`,
        details,
      );
    }
    if (status === 404) {
      return nonRetryable(
        FailureType.CalendarNotFound,
        target.kind === 'outOfOffice'
          ? `calendar not found for ${target.email}`
          : `calendar not found: ${target.calendarId} (check absences.teamCalendarId, and share it with ${account})`,
        details,
      );
    }
    if (status === 403) {
      return nonRetryable(
        FailureType.CalendarForbidden,
        target.kind === 'outOfOffice'
          ? `Google Calendar refused to read ${whose} (${reason ?? 'forbidden'}: ${message})`
          : `Google Calendar refused to read ${whose} (${reason ?? 'forbidden'}): share it with ${account} ` +
              '("See all event details")',
        details,
      );
    }
    return nonRetryable(
      FailureType.CalendarApiError,
      `Calendar API refused to list ${whose} (HTTP ${status}: ${message})`,
      details,
    );
  }

  /** Runs `read`; a failure (after the quick retries) becomes its cause, a cancellation is thrown. */
  async function outcome<T>(read: () => Promise<T>): Promise<Outcome<T>> {
    try {
      return { ok: true, value: await read() };
    } catch (err) {
      const signal = activityCancellationSignal();
      throwIfCancelled(signal);
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Every page of a list, each request within the budget and tried again quickly after a passing failure. */
  async function listAll(
    api: calendar_v3.Calendar,
    params: calendar_v3.Params$Resource$Events$List,
    target: ListTarget,
  ): Promise<calendar_v3.Schema$Event[]> {
    const signal = activityCancellationSignal();
    const items: calendar_v3.Schema$Event[] = [];
    let pageToken: string | undefined;
    do {
      const page = pageToken;
      const { data } = await retryTransient(async () => {
        await budget.take(signal);
        try {
          return await api.events.list(
            { ...params, maxResults: PAGE_SIZE, singleEvents: true, ...(page ? { pageToken: page } : {}) },
            { signal },
          );
        } catch (err) {
          throw listFailure(err, target);
        }
      }, retry);
      items.push(...(data.items ?? []));
      pageToken = data.nextPageToken ?? undefined;
    } while (pageToken);
    return items;
  }

  /** The member's e-mail address as Slack has it; a missing address (or scope) is a cause, never a skip. */
  function memberEmail(member: Member): Promise<Outcome<string>> {
    return outcome(async () => {
      const answer = await retryTransient(async () => {
        try {
          return await slack.users.info({ user: member.id });
        } catch (err) {
          throw slackFailure(err, 'users.info');
        }
      }, retry);
      const email = answer.user?.profile?.email?.trim();
      if (email) return email;
      // Slack leaves the address out, without an error, when the token lacks users:read.email.
      const scopes = answer.response_metadata?.scopes;
      if (scopes && !scopes.includes('users:read.email')) {
        throw new Error(
          `no e-mail address for ${member.name}: the Slack app lacks the users:read.email scope; add it under ` +
            'OAuth & Permissions (deploy/slack-app-manifest.yaml) and reinstall the app',
        );
      }
      throw new Error(`no e-mail address for ${member.name} in their Slack profile`);
    });
  }

  /** The member's out-of-office events over the turn, read as them. */
  function readOutOfOffice(email: string, turn: AbsenceTurn, timeZone: string): Promise<AbsenceRead> {
    return outcome(() =>
      listAll(
        calendarFor(email),
        { calendarId: 'primary', eventTypes: ['outOfOffice'], ...listRange(turn, timeZone) },
        { kind: 'outOfOffice', email },
      ),
    ).then((listed) =>
      listed.ok
        ? {
            source: SOURCE_OUT_OF_OFFICE,
            ok: true,
            absences: listed.value.flatMap((event) => (event.eventType === 'outOfOffice' ? asAbsence(event) : [])),
          }
        : { source: SOURCE_OUT_OF_OFFICE, ok: false, reason: listed.reason },
    );
  }

  /** The team calendar's events over the turn, read as the service account (one list for every member). */
  function readTeamCalendar(
    calendarId: string,
    turn: AbsenceTurn,
    timeZone: string,
  ): Promise<Outcome<calendar_v3.Schema$Event[]>> {
    return outcome(() =>
      listAll(calendarFor(), { calendarId, ...listRange(turn, timeZone) }, { kind: 'team', calendarId }),
    );
  }

  /** Each member's reads and decision for the turn; empty when the role reads no absences. */
  async function readAbsences(query: AbsenceQuery): Promise<MemberAbsences[]> {
    const role = requireRole(settings, query.role);
    const turn = {
      start: requireIsoDate(query.turn?.start, 'turn.start'),
      end: requireIsoDate(query.turn?.end, 'turn.end'),
    };
    if (turn.end <= turn.start) {
      throw nonRetryable(FailureType.InvalidInput, `The turn ends (${turn.end}) before it starts (${turn.start}).`);
    }
    const members = query.members ?? [];
    for (const member of members) {
      if (!member?.id || typeof member.name !== 'string') {
        throw nonRetryable(FailureType.InvalidInput, 'Every member to read absences for needs an id and a name.');
      }
    }
    const rules = roleRules(role);
    const sources = rules.absences;
    if (!sources || members.length === 0) return [];
    const timeZone = roleTimeZone(settings, role);
    const signal = activityCancellationSignal();

    // The team calendar is listed while Slack and the members' calendars answer: two round trips in all, three with
    // a member's first token of the hour (users.info, the token exchange, the list). The address is read for a
    // team-calendar-only role too: an event may name the member by it (if Slack has none, ID and name still match).
    const [team, own] = await Promise.all([
      sources.teamCalendarId ? readTeamCalendar(sources.teamCalendarId, turn, timeZone) : undefined,
      mapBounded(
        members,
        concurrency,
        async (member) => {
          const email = await memberEmail(member);
          const outOfOffice = !sources.outOfOffice
            ? undefined
            : email.ok
              ? await readOutOfOffice(email.value, turn, timeZone)
              : { source: SOURCE_OUT_OF_OFFICE, ok: false as const, reason: email.reason };
          return { email: email.ok ? email.value : null, outOfOffice };
        },
        { signal },
      ),
    ]);

    const emails = new Map(members.map((member, i) => [member.id, own[i]?.email ?? null]));
    const roster = [...(query.roster ?? []), ...members].filter(
      (member, i, all) => all.findIndex((other) => other.id === member.id) === i,
    );
    const contacts: AbsenceContact[] = roster.map((m) => ({ id: m.id, name: m.name, email: emails.get(m.id) ?? null }));
    const results = members.map((member, i): MemberAbsences => {
      const reads: AbsenceRead[] = [];
      const outOfOffice = own[i]?.outOfOffice;
      if (outOfOffice) reads.push(outOfOffice);
      if (team) {
        reads.push(
          team.ok
            ? {
                source: SOURCE_TEAM_CALENDAR,
                ok: true,
                absences: team.value
                  .filter((event) => membersNamedBy(event, contacts).some((named) => named.id === member.id))
                  .flatMap(asAbsence),
              }
            : { source: SOURCE_TEAM_CALENDAR, ok: false, reason: team.reason },
        );
      }
      return {
        memberId: member.id,
        reads,
        decision: absenceDecision(turn, reads, { threshold: rules.absenceSkipThreshold, timeZone }),
      };
    });
    activityLog.info('Read absences', {
      role: query.role,
      turn,
      decisions: results.map((r) => ({ memberId: r.memberId, decision: r.decision.kind })),
      failures: results.flatMap((r) => r.decision.failures),
    });
    return results;
  }

  const activities = {
    /** What the members' calendars say about the turn, per member: reads and the skip/away/clear/unknown decision. */
    readAbsences: (query: AbsenceQuery): Promise<MemberAbsences[]> => readAbsences(query),
  };
  return { activities, readAbsences, memberEmail, readOutOfOffice, readTeamCalendar };
}

/**
 * The list's bounds: the turn's dates in the role's zone, a day wider each side. An all-day event sits on its dates
 * in its calendar's zone, which may not be the role's; the margin keeps such an event in, and `turnCoverage` counts
 * the turn's working days only.
 */
function listRange(turn: AbsenceTurn, timeZone: string): { timeMin: string; timeMax: string } {
  const at = (date: IsoDate, days: number) =>
    DateTime.fromISO(date, { zone: timeZone }).plus({ days }).toISO({ suppressMilliseconds: true }) as string;
  return { timeMin: at(turn.start, -1), timeMax: at(turn.end, 1) };
}

/** An event as an absence: all-day dates or an interval; cancelled or time-less events give none. */
function asAbsence(event: calendar_v3.Schema$Event): Absence[] {
  if (event.status === 'cancelled') return [];
  const { start, end } = event;
  if (start?.date && end?.date) return [{ kind: 'allDay', start: start.date, end: end.date }];
  if (start?.dateTime && end?.dateTime) return [{ kind: 'timed', start: start.dateTime, end: end.dateTime }];
  return [];
}
