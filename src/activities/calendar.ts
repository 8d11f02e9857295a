/**
 * Google Calendar: one all-day event per turn. Event IDs are derived from role + start date, so creating twice is
 * harmless (Google answers 409) and drift (other member, other dates, a deleted event) is repaired in place.
 * Uses @googleapis/calendar, the single-API package of the googleapis project (0.86 MB and 0.14 s to load, against
 * 209 MB and 1.1 s for the whole googleapis package).
 */
import { auth, calendar, type calendar_v3 } from '@googleapis/calendar';
import { ApplicationFailure } from '@temporalio/common';
import type { RoleConfig, Settings } from '../domain/config';
import type { Turn } from '../domain/types';
import { mapBounded } from './bounded';
import { activityCancellationSignal, activityLog, heartbeatProgress, throwIfCancelled } from './context';
import { FailureType, nonRetryable, parseRetryAfter, requireIsoDate, requireRole, retryable } from './errors';
import { countRateLimitWait } from './metrics';
import { RequestBudget } from './request-budget';
import { retryTransient } from './transient';

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

/** One of the role's calendar events, as the workflow sees it. */
export interface RoleEvent {
  id: string;
  summary: string;
  /** All-day dates, `YYYY-MM-DD`; `end` exclusive. */
  start: string;
  end: string;
  /** From the event's private properties; null for legacy events (made by the old scripts). */
  memberId: string | null;
  /** The name after "<title>: " in the summary. */
  memberName: string | null;
  /** Recognised by its summary only (no `teamRole` property), e.g. an old "Support Steward: …" event. */
  legacy: boolean;
  status: string;
}

export interface EnsureTurnsResult {
  created: number;
  repaired: number;
  unchanged: number;
}

export interface DeleteEventsResult {
  deleted: number;
  alreadyGone: number;
}

export interface CalendarDeps {
  settings: Settings;
  calendar: calendar_v3.Calendar;
  calendarId: string;
  /** Named in "share the calendar with …" failure messages. */
  serviceAccountEmail?: string;
  /**
   * Requests in flight at most (default 10): a year of events (1 list + 52 inserts) takes 7 round trips, not 53.
   * Google also limits writing to one calendar in quick succession; its 429/403 answers are retried with backoff.
   */
  concurrency?: number;
  /**
   * Requests started per minute at most, across every role on this worker (they all act as one service account).
   * Google's per-user quota is 600 per minute in a sliding window; the default 500 leaves room for the CLI's jobs.
   */
  requestsPerMinute?: number;
}

const PAGE_SIZE = 250;
const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded']);
const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

/**
 * The event ID for a role's turn starting on `start`: base32hex (a–v, 0–9) of "team-roles/<role>/<start>", so it is
 * stable, readable back, and within Google's 5–1024 character rule.
 */
export function eventIdFor(role: string, start: string): string {
  const bytes = Buffer.from(`team-roles/${role}/${start}`, 'utf8');
  let bits = 0;
  let value = 0;
  let id = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      id += BASE32HEX[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) id += BASE32HEX[(value << (5 - bits)) & 31];
  return id;
}

/** What the event for a turn must say. */
export function eventForTurn(roleName: string, role: RoleConfig, turn: Turn): calendar_v3.Schema$Event {
  return {
    id: eventIdFor(roleName, turn.start),
    summary: `${role.title}: ${turn.member.name}`,
    start: { date: turn.start },
    end: { date: turn.end },
    status: 'confirmed',
    extendedProperties: { private: { teamRole: roleName, memberId: turn.member.id, turnStart: turn.start } },
  };
}

/** True when the event shows this turn: right member, dates and summary, and not cancelled. */
function eventMatches(existing: calendar_v3.Schema$Event, wanted: calendar_v3.Schema$Event): boolean {
  const mine = existing.extendedProperties?.private ?? {};
  const theirs = wanted.extendedProperties?.private ?? {};
  return (
    existing.status !== 'cancelled' &&
    existing.summary === wanted.summary &&
    existing.start?.date === wanted.start?.date &&
    !existing.start?.dateTime &&
    existing.end?.date === wanted.end?.date &&
    !existing.end?.dateTime &&
    mine.teamRole === theirs.teamRole &&
    mine.memberId === theirs.memberId &&
    mine.turnStart === theirs.turnStart
  );
}

/** The repaired event: ours fields over whatever else a person added (description, colour, ...). */
function repairedEvent(existing: calendar_v3.Schema$Event, wanted: calendar_v3.Schema$Event): calendar_v3.Schema$Event {
  return {
    ...existing,
    summary: wanted.summary,
    start: wanted.start,
    end: wanted.end,
    status: 'confirmed',
    extendedProperties: {
      ...existing.extendedProperties,
      private: { ...existing.extendedProperties?.private, ...wanted.extendedProperties?.private },
    },
  };
}

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

function statusOf(err: unknown): number | undefined {
  const e = err as GoogleErrorShape;
  return e?.response?.status ?? (typeof e?.status === 'number' ? e.status : undefined);
}

/** The role's own events (cancelled ones included) from `from` on, by event ID: what ensuring turns compares with. */
export interface TurnEvents {
  role: string;
  from: string;
  events: Map<string, calendar_v3.Schema$Event>;
}

export function createCalendarActivities(deps: CalendarDeps) {
  return createCalendarService(deps).activities;
}

/**
 * The calendar's operations. `readTurnEvents` and `ensureTurns` are the two halves of `ensureCalendarTurns` (one list,
 * then the writes), apart so the prepare activity can list while Slack answers.
 */
export function createCalendarService({
  settings,
  calendar: api,
  calendarId,
  serviceAccountEmail,
  concurrency = 10,
  requestsPerMinute = 500,
}: CalendarDeps) {
  const budget = new RequestBudget({
    limit: requestsPerMinute,
    windowMs: 60_000,
    onWait: () => countRateLimitWait('calendar', 'budget'),
  });
  /** Every Calendar request goes through here: the per-minute budget first. */
  /**
   * Every Calendar request goes through here: within the per-minute budget, and tried again quickly after a passing
   * failure (activities/transient.ts; every call here is idempotent, inserts carry fixed event IDs). Other failures
   * come back as they came: callers read their status (409, 404, 410) and classify them.
   */
  const request = <T>(what: string, call: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> =>
    retryTransient(
      async () => {
        await budget.take(signal);
        try {
          return await call();
        } catch (err) {
          const classified = calendarFailure(err, what);
          if (classified instanceof ApplicationFailure && !classified.nonRetryable) throw classified;
          throw err;
        }
      },
      { service: 'calendar' },
    );

  /**
   * Classifies a googleapis (gaxios) error; `what` names the call. The error itself is never attached or logged:
   * its `config` holds the bearer token.
   */
  function calendarFailure(err: unknown, what: string): unknown {
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

  async function listPages(
    what: string,
    params: calendar_v3.Params$Resource$Events$List,
    signal: AbortSignal | undefined,
  ): Promise<calendar_v3.Schema$Event[]> {
    const items: calendar_v3.Schema$Event[] = [];
    let pageToken: string | undefined;
    do {
      throwIfCancelled(signal);
      const page = pageToken;
      const { data } = await request(
        what,
        () =>
          api.events.list(
            { ...params, calendarId, maxResults: PAGE_SIZE, singleEvents: true, ...(page ? { pageToken: page } : {}) },
            { signal },
          ),
        signal,
      );
      items.push(...(data.items ?? []));
      pageToken = data.nextPageToken ?? undefined;
    } while (pageToken);
    return items;
  }

  /** The role's events ending after `from`: ours by private property, plus legacy ones by summary prefix. */
  async function listRoleEvents(
    roleName: string,
    role: RoleConfig,
    from: string,
    signal: AbortSignal | undefined,
  ): Promise<RoleEvent[]> {
    const timeMin = `${from}T00:00:00Z`;
    const titles = [role.title, ...role.legacyTitles];
    const [ours, ...byTitle] = await Promise.all([
      listPages(`listing ${roleName} events`, { timeMin, privateExtendedProperty: [`teamRole=${roleName}`] }, signal),
      // Events made by the old scripts have no properties: find them by the words of their summary.
      ...titles.map((title) => listPages(`listing ${roleName} events`, { timeMin, q: title }, signal)),
    ]);
    const events = new Map<string, RoleEvent>();
    for (const event of ours ?? []) {
      if (event.id) events.set(event.id, toRoleEvent(event, titles, false));
    }
    for (const event of byTitle.flat()) {
      if (!event.id || events.has(event.id)) continue;
      const teamRole = event.extendedProperties?.private?.teamRole;
      if (teamRole !== undefined) continue; // another role's event (or ours, already listed)
      if (!titles.some((title) => event.summary?.startsWith(`${title}: `))) continue;
      events.set(event.id, toRoleEvent(event, titles, true));
    }
    return [...events.values()].sort((a, b) => a.start.localeCompare(b.start) || a.id.localeCompare(b.id));
  }

  /** Runs `task` over `items` with bounded concurrency, heartbeating progress and stopping on cancellation. */
  function forEachBounded<T, R>(items: readonly T[], task: (item: T) => Promise<R>): Promise<R[]> {
    heartbeatProgress({ done: 0, total: items.length });
    return mapBounded(items, concurrency, task, {
      signal: activityCancellationSignal(),
      onProgress: (done, total) => heartbeatProgress({ done, total }),
    });
  }

  /** The role's events from `from` on, cancelled ones included (a deleted turn is restored, not re-inserted). */
  async function readTurnEvents(roleName: string, from: string): Promise<TurnEvents> {
    requireRole(settings, roleName);
    requireIsoDate(from, 'from');
    try {
      const listed = await listPages(
        `listing ${roleName} events`,
        { timeMin: `${from}T00:00:00Z`, privateExtendedProperty: [`teamRole=${roleName}`], showDeleted: true },
        activityCancellationSignal(),
      );
      return {
        role: roleName,
        from,
        events: new Map(listed.filter((event) => event.id).map((event) => [event.id as string, event])),
      };
    } catch (err) {
      throw calendarFailure(err, `listing ${roleName} events`);
    }
  }

  /**
   * Makes the calendar show these turns: creates what is missing, repairs what drifted, leaves the rest. `read` is a
   * `readTurnEvents` made just before for the same role; without it (or when it starts too late) the events are listed.
   */
  async function ensureTurns(input: { role: string; turns: Turn[] }, read?: TurnEvents): Promise<EnsureTurnsResult> {
    const role = requireRole(settings, input.role);
    const turns = input.turns ?? [];
    const starts = new Set<string>();
    for (const turn of turns) {
      requireIsoDate(turn?.start, 'turn.start');
      requireIsoDate(turn?.end, 'turn.end');
      if (turn.end <= turn.start) {
        throw nonRetryable(FailureType.InvalidInput, `Turn ${turn.start} ends (${turn.end}) before it starts.`);
      }
      if (!turn.member?.id) throw nonRetryable(FailureType.InvalidInput, `Turn ${turn.start} has no member ID.`);
      if (starts.has(turn.start)) {
        throw nonRetryable(FailureType.InvalidInput, `Two turns of ${input.role} start on ${turn.start}.`);
      }
      starts.add(turn.start);
    }
    if (turns.length === 0) return { created: 0, repaired: 0, unchanged: 0 };

    const signal = activityCancellationSignal();
    const first = [...starts].sort()[0] as string;
    const usable = read && read.role === input.role && read.from <= first;
    const existing = (usable ? read : await readTurnEvents(input.role, first)).events;
    const outcomes = await forEachBounded(turns, async (turn): Promise<keyof EnsureTurnsResult> => {
      const wanted = eventForTurn(input.role, role, turn);
      const eventId = wanted.id as string;
      const what = `the ${input.role} event of ${turn.start}`;
      try {
        let current = existing.get(eventId);
        if (!current) {
          try {
            await request(what, () => api.events.insert({ calendarId, requestBody: wanted }, { signal }), signal);
            return 'created';
          } catch (err) {
            if (statusOf(err) !== 409) throw err;
            // Already there (an earlier attempt, or not listed): read it and repair it if needed.
            current = (await request(what, () => api.events.get({ calendarId, eventId }, { signal }), signal)).data;
          }
        }
        if (eventMatches(current, wanted)) return 'unchanged';
        const repaired = repairedEvent(current, wanted);
        await request(
          what,
          () => api.events.update({ calendarId, eventId, requestBody: repaired }, { signal }),
          signal,
        );
        activityLog.info('Repaired calendar event', {
          role: input.role,
          start: turn.start,
          memberId: turn.member.id,
          wasCancelled: current.status === 'cancelled',
        });
        return 'repaired';
      } catch (err) {
        throw calendarFailure(err, what);
      }
    });

    const result: EnsureTurnsResult = { created: 0, repaired: 0, unchanged: 0 };
    for (const outcome of outcomes) result[outcome] += 1;
    activityLog.info('Calendar turns ensured', { role: input.role, ...result });
    return result;
  }

  const activities = {
    /** The role's events (not cancelled) that end after `from`, oldest first. */
    listCalendarEvents: async (input: { role: string; from: string }): Promise<RoleEvent[]> => {
      const role = requireRole(settings, input.role);
      const from = requireIsoDate(input.from, 'from');
      try {
        return await listRoleEvents(input.role, role, from, activityCancellationSignal());
      } catch (err) {
        throw calendarFailure(err, `listing ${input.role} events`);
      }
    },

    /** Makes the calendar show these turns: creates what is missing, repairs what drifted, leaves the rest. */
    ensureCalendarTurns: (input: { role: string; turns: Turn[] }): Promise<EnsureTurnsResult> => ensureTurns(input),

    /** Deletes the role's events (ours and legacy) that start on or after `from`. */
    deleteCalendarEvents: async (input: { role: string; from: string }): Promise<DeleteEventsResult> => {
      const role = requireRole(settings, input.role);
      const from = requireIsoDate(input.from, 'from');
      const signal = activityCancellationSignal();
      let events: RoleEvent[];
      try {
        events = (await listRoleEvents(input.role, role, from, signal)).filter((event) => event.start >= from);
      } catch (err) {
        throw calendarFailure(err, `listing ${input.role} events`);
      }
      const outcomes = await forEachBounded(events, async (event): Promise<keyof DeleteEventsResult> => {
        try {
          const eventId = event.id;
          await request(
            `deleting the ${input.role} event of ${event.start}`,
            () => api.events.delete({ calendarId, eventId }, { signal }),
            signal,
          );
          return 'deleted';
        } catch (err) {
          const status = statusOf(err);
          if (status === 410 || status === 404) return 'alreadyGone';
          throw calendarFailure(err, `deleting the ${input.role} event of ${event.start}`);
        }
      });
      const result: DeleteEventsResult = { deleted: 0, alreadyGone: 0 };
      for (const outcome of outcomes) result[outcome] += 1;
      activityLog.info('Calendar events deleted', { role: input.role, from, ...result });
      return result;
    },
  };
  return { activities, readTurnEvents, ensureTurns };
}

function datePart(time: calendar_v3.Schema$EventDateTime | undefined): string {
  return time?.date ?? time?.dateTime?.slice(0, 10) ?? '';
}

function toRoleEvent(event: calendar_v3.Schema$Event, titles: readonly string[], legacy: boolean): RoleEvent {
  const summary = event.summary ?? '';
  const title = titles.find((t) => summary.startsWith(`${t}: `));
  const name = title ? summary.slice(title.length + 2).trim() : '';
  return {
    id: event.id as string,
    summary,
    start: datePart(event.start),
    end: datePart(event.end),
    memberId: event.extendedProperties?.private?.memberId ?? null,
    memberName: name || null,
    legacy,
    status: event.status ?? 'confirmed',
  };
}
