/**
 * A fake Google Calendar v3 API for events under /calendar/v3/calendars/{calendarId}/events: list (pageToken,
 * maxResults, timeMin/timeMax, privateExtendedProperty, sharedExtendedProperty, q, showDeleted, singleEvents,
 * orderBy), insert, get, update, patch, delete. As Google does: 409 on a duplicate ID (cancelled events keep
 * theirs), 410 on deleting a deleted event, deleted events kept with status "cancelled", errors as
 * `{ error: { code, message, errors: [{ reason }], status } }`.
 *
 * Authentication: a bearer JWT whose `scope` claim includes the calendar scope — what google-auth-library sends
 * with `useJWTAccessWithScope` (a self-signed JWT, no token endpoint). Give `verifyKey` to check its signature.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import {
  bearerToken,
  randomHex,
  startFakeServer,
  type FakeRequest,
  type FakeResponse,
  type FaultOptions,
  type RecordedRequest,
} from './http';

export const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar';

export interface FakeEventDateTime {
  date?: string;
  dateTime?: string;
  timeZone?: string;
}

/** A calendar event resource; unknown fields sent by clients are kept as they are. */
export interface FakeCalendarEvent {
  kind: 'calendar#event';
  id: string;
  etag: string;
  status: 'confirmed' | 'tentative' | 'cancelled';
  htmlLink: string;
  created: string;
  updated: string;
  summary?: string;
  description?: string;
  location?: string;
  start: FakeEventDateTime;
  end: FakeEventDateTime;
  iCalUID: string;
  sequence: number;
  extendedProperties?: { private?: Record<string, string>; shared?: Record<string, string> };
  [field: string]: unknown;
}

export interface FakeCalendar {
  id: string;
  summary: string;
  /** The service account's access: 'none' answers 404 (as Google does for a calendar not shared with it). */
  access: 'owner' | 'writer' | 'reader' | 'none';
  events: Record<string, FakeCalendarEvent>;
}

export interface FakeCalendarState {
  calendars: Record<string, FakeCalendar>;
}

export interface EventSeed {
  summary: string;
  start: string;
  end: string;
  id?: string;
  status?: FakeCalendarEvent['status'];
  privateProperties?: Record<string, string>;
  description?: string;
}

export interface FakeCalendarOptions {
  /** The calendar to create (default a generated test-calendar-…@group.calendar.google.com). */
  calendarId?: string;
  access?: FakeCalendar['access'];
  /** A public key (PEM or KeyObject): when given, JWT signatures are verified. */
  verifyKey?: string | KeyObject;
  /** The most items one list page holds when maxResults is larger (Google: 2500). */
  maxPageSize?: number;
  faults?: FaultOptions;
}

export interface FakeCalendarServer {
  /** The GOOGLE_CALENDAR_API_URL (root URL) to use: http://127.0.0.1:<port>/ */
  url: string;
  calendarId: string;
  state: FakeCalendarState;
  requests: RecordedRequest[];
  faults: FaultOptions;
  /** The events of the default calendar (including cancelled ones), by ID order. */
  events(calendarId?: string): FakeCalendarEvent[];
  seedEvent(seed: EventSeed, calendarId?: string): FakeCalendarEvent;
  /** "METHOD /events[/id]" of the logged requests, e.g. ["GET /events", "POST /events"]. */
  calls(): string[];
  clearRequests(): void;
  readonly maxInFlight: number;
  close(): Promise<void>;
}

const ID_PATTERN = /^[a-v0-9]{5,1024}$/;

interface GoogleErrorOptions {
  status: number;
  message: string;
  reason: string;
  domain?: string;
  rpcStatus?: string;
  headers?: Record<string, string>;
}

export function googleError({
  status,
  message,
  reason,
  domain = 'global',
  rpcStatus,
  headers,
}: GoogleErrorOptions): FakeResponse {
  const defaults: Record<number, string> = {
    400: 'INVALID_ARGUMENT',
    401: 'UNAUTHENTICATED',
    403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND',
    409: 'ALREADY_EXISTS',
    410: 'NOT_FOUND',
    429: 'RESOURCE_EXHAUSTED',
    500: 'INTERNAL',
    503: 'UNAVAILABLE',
  };
  return {
    status,
    headers,
    body: {
      error: {
        code: status,
        message,
        errors: [{ message, domain, reason }],
        ...(rpcStatus || defaults[status] ? { status: rpcStatus ?? defaults[status] } : {}),
      },
    },
  };
}

export async function startFakeCalendar(options: FakeCalendarOptions = {}): Promise<FakeCalendarServer> {
  const calendarId = options.calendarId ?? `test-calendar-${randomHex(6)}@group.calendar.google.com`;
  const state: FakeCalendarState = {
    calendars: {
      [calendarId]: { id: calendarId, summary: 'Team Roles (fake)', access: options.access ?? 'writer', events: {} },
    },
  };
  const verifyKey =
    options.verifyKey === undefined
      ? undefined
      : typeof options.verifyKey === 'string'
        ? createPublicKey(options.verifyKey)
        : options.verifyKey;
  const maxPageSize = options.maxPageSize ?? 2500;
  let clock = Date.parse('2024-01-01T00:00:00Z');

  const now = (): string => {
    clock = Math.max(clock + 1000, Date.now());
    return new Date(clock).toISOString();
  };
  const etag = (event: Omit<FakeCalendarEvent, 'etag'> | FakeCalendarEvent): string =>
    `"${createHash('sha1')
      .update(JSON.stringify({ ...event, etag: undefined }))
      .digest('hex')
      .slice(0, 16)}"`;

  function makeEvent(calendar: FakeCalendar, body: Record<string, unknown>, id: string): FakeCalendarEvent {
    const stamp = now();
    const event: FakeCalendarEvent = {
      ...(body as Partial<FakeCalendarEvent>),
      kind: 'calendar#event',
      id,
      etag: '',
      status: (body.status as FakeCalendarEvent['status']) ?? 'confirmed',
      htmlLink: `https://calendar.google.test/event?eid=${id}`,
      created: stamp,
      updated: stamp,
      start: body.start as FakeEventDateTime,
      end: body.end as FakeEventDateTime,
      iCalUID: `${id}@google.com`,
      sequence: 0,
      organizer: { email: calendar.id, self: true },
      creator: { email: 'service-account@fake.iam.gserviceaccount.com' },
    };
    event.etag = etag(event);
    return event;
  }

  function seedEvent(seed: EventSeed, id = calendarId): FakeCalendarEvent {
    const calendar = state.calendars[id];
    if (!calendar) throw new Error(`no fake calendar ${id}`);
    const eventId = seed.id ?? `seed${randomHex(8)}`;
    const event = makeEvent(
      calendar,
      {
        summary: seed.summary,
        start: { date: seed.start },
        end: { date: seed.end },
        status: seed.status ?? 'confirmed',
        ...(seed.description ? { description: seed.description } : {}),
        ...(seed.privateProperties ? { extendedProperties: { private: { ...seed.privateProperties } } } : {}),
      },
      eventId,
    );
    calendar.events[eventId] = event;
    return event;
  }

  /** Checks the bearer JWT; undefined when it is acceptable. */
  function authProblem(request: FakeRequest): FakeResponse | undefined {
    const token = bearerToken(request.headers);
    const unauthenticated = (message: string) =>
      googleError({
        status: 401,
        message: `Request had invalid authentication credentials. ${message}`,
        reason: 'authError',
      });
    if (!token)
      return unauthenticated('Expected OAuth 2 access token, login cookie or other valid authentication credential.');
    const parts = token.split('.');
    if (parts.length !== 3) return unauthenticated('The token is not a JWT.');
    let payload: { scope?: string; exp?: number };
    try {
      payload = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8')) as typeof payload;
    } catch {
      return unauthenticated('The token payload is not JSON.');
    }
    if (verifyKey) {
      const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
      const valid = verify('RSA-SHA256', signed, verifyKey, Buffer.from(parts[2] as string, 'base64url'));
      if (!valid) return unauthenticated('Invalid JWT signature.');
    }
    if (typeof payload.exp === 'number' && payload.exp * 1000 < Date.now()) return unauthenticated('Token expired.');
    const scopes = (payload.scope ?? '').split(/\s+/);
    if (!scopes.includes(CALENDAR_SCOPE)) {
      return googleError({
        status: 403,
        message: 'Request had insufficient authentication scopes.',
        reason: 'insufficientPermissions',
        rpcStatus: 'PERMISSION_DENIED',
      });
    }
    return undefined;
  }

  function handle(request: FakeRequest): FakeResponse {
    const match = /^\/calendar\/v3\/calendars\/([^/]+)\/events(?:\/([^/]+))?$/.exec(request.path);
    if (!match) return googleError({ status: 404, message: 'Not Found', reason: 'notFound' });
    const denied = authProblem(request);
    if (denied) return denied;

    const calendar = state.calendars[decodeURIComponent(match[1] as string)];
    if (!calendar || calendar.access === 'none')
      return googleError({ status: 404, message: 'Not Found', reason: 'notFound' });
    const eventId = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
    const writing = request.method !== 'GET';
    if (writing && calendar.access === 'reader') {
      return googleError({
        status: 403,
        message: 'You need to have writer access to this calendar.',
        reason: 'requiredAccessLevel',
      });
    }
    const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<string, unknown>;

    if (eventId === undefined) {
      if (request.method === 'GET') return list(calendar, request.query);
      if (request.method === 'POST') return insert(calendar, body);
      return googleError({ status: 405, message: 'Method not allowed', reason: 'httpMethodNotAllowed' });
    }

    const existing = calendar.events[eventId];
    if (!existing) return googleError({ status: 404, message: 'Not Found', reason: 'notFound' });
    switch (request.method) {
      case 'GET':
        return { status: 200, body: existing };
      case 'PUT':
      case 'PATCH': {
        const merged =
          request.method === 'PUT'
            ? { ...body }
            : {
                ...existing,
                ...body,
                ...(body.extendedProperties
                  ? {
                      extendedProperties: {
                        private: {
                          ...existing.extendedProperties?.private,
                          ...(body.extendedProperties as FakeCalendarEvent['extendedProperties'])?.private,
                        },
                        shared: {
                          ...existing.extendedProperties?.shared,
                          ...(body.extendedProperties as FakeCalendarEvent['extendedProperties'])?.shared,
                        },
                      },
                    }
                  : {}),
              };
        const problem = invalidTimes(merged);
        if (problem) return problem;
        const updated: FakeCalendarEvent = {
          ...(merged as Partial<FakeCalendarEvent>),
          kind: 'calendar#event',
          id: existing.id,
          etag: '',
          status: (merged.status as FakeCalendarEvent['status'] | undefined) ?? 'confirmed',
          htmlLink: existing.htmlLink,
          created: existing.created,
          updated: now(),
          start: merged.start as FakeEventDateTime,
          end: merged.end as FakeEventDateTime,
          iCalUID: existing.iCalUID,
          sequence: existing.sequence + 1,
        };
        updated.etag = etag(updated);
        calendar.events[eventId] = updated;
        return { status: 200, body: updated };
      }
      case 'DELETE': {
        if (existing.status === 'cancelled') {
          return googleError({ status: 410, message: 'Resource has been deleted', reason: 'deleted' });
        }
        existing.status = 'cancelled';
        existing.updated = now();
        existing.etag = etag(existing);
        return { status: 204 };
      }
      default:
        return googleError({ status: 405, message: 'Method not allowed', reason: 'httpMethodNotAllowed' });
    }
  }

  function invalidTimes(body: Record<string, unknown>): FakeResponse | undefined {
    const start = body.start as FakeEventDateTime | undefined;
    const end = body.end as FakeEventDateTime | undefined;
    if (!start || (!start.date && !start.dateTime))
      return googleError({ status: 400, message: 'Missing start time.', reason: 'required' });
    if (!end || (!end.date && !end.dateTime))
      return googleError({ status: 400, message: 'Missing end time.', reason: 'required' });
    if (instant(end) < instant(start)) {
      return googleError({ status: 400, message: 'The specified time range is empty.', reason: 'timeRangeEmpty' });
    }
    return undefined;
  }

  function insert(calendar: FakeCalendar, body: Record<string, unknown>): FakeResponse {
    const problem = invalidTimes(body);
    if (problem) return problem;
    let id: string;
    if (body.id !== undefined) {
      if (typeof body.id !== 'string' || !ID_PATTERN.test(body.id)) {
        return googleError({ status: 400, message: 'Invalid resource id value.', reason: 'invalid' });
      }
      id = body.id;
      if (calendar.events[id]) {
        return googleError({ status: 409, message: 'The requested identifier already exists.', reason: 'duplicate' });
      }
    } else {
      do
        id = randomHex(13); // hex digits are valid base32hex
      while (calendar.events[id]);
    }
    const event = makeEvent(calendar, body, id);
    calendar.events[id] = event;
    return { status: 200, body: event };
  }

  function list(calendar: FakeCalendar, query: URLSearchParams): FakeResponse {
    const orderBy = query.get('orderBy');
    const singleEvents = query.get('singleEvents') === 'true';
    if (orderBy === 'startTime' && !singleEvents) {
      return googleError({
        status: 400,
        message: 'The requested ordering is not available for the particular query.',
        reason: 'invalid',
      });
    }
    const showDeleted = query.get('showDeleted') === 'true';
    const timeMin = query.get('timeMin');
    const timeMax = query.get('timeMax');
    const minMs = timeMin ? Date.parse(timeMin) : undefined;
    const maxMs = timeMax ? Date.parse(timeMax) : undefined;
    if (Number.isNaN(minMs) || Number.isNaN(maxMs)) {
      return googleError({ status: 400, message: 'Bad Request', reason: 'badRequest' });
    }
    const privateFilters = query.getAll('privateExtendedProperty').map(splitProperty);
    const sharedFilters = query.getAll('sharedExtendedProperty').map(splitProperty);
    const terms = (query.get('q') ?? '').toLowerCase().split(/\s+/).filter(Boolean);

    const items = Object.values(calendar.events).filter((event) => {
      if (!showDeleted && event.status === 'cancelled') return false;
      // Google: timeMin bounds the event's end (exclusive), timeMax its start (exclusive).
      if (minMs !== undefined && instant(event.end) <= minMs) return false;
      if (maxMs !== undefined && instant(event.start) >= maxMs) return false;
      const priv = event.extendedProperties?.private ?? {};
      const shared = event.extendedProperties?.shared ?? {};
      if (privateFilters.some(([key, value]) => priv[key] !== value)) return false;
      if (sharedFilters.some(([key, value]) => shared[key] !== value)) return false;
      if (terms.length > 0) {
        const text = [event.summary, event.description, event.location].filter(Boolean).join(' ').toLowerCase();
        if (!terms.every((term) => text.includes(term))) return false;
      }
      return true;
    });
    if (orderBy === 'startTime') items.sort((a, b) => instant(a.start) - instant(b.start) || a.id.localeCompare(b.id));
    else if (orderBy === 'updated') items.sort((a, b) => a.updated.localeCompare(b.updated));
    else items.sort((a, b) => a.created.localeCompare(b.created) || a.id.localeCompare(b.id));

    const pageSize = Math.min(Math.max(Number(query.get('maxResults')) || 250, 1), maxPageSize);
    let offset = 0;
    const pageToken = query.get('pageToken');
    if (pageToken) {
      const decoded = Number(
        Buffer.from(pageToken, 'base64url')
          .toString('utf8')
          .replace(/^offset:/, ''),
      );
      if (!Number.isInteger(decoded) || decoded < 0) {
        return googleError({ status: 400, message: 'Invalid page token value.', reason: 'invalid' });
      }
      offset = decoded;
    }
    const page = items.slice(offset, offset + pageSize);
    const nextOffset = offset + pageSize;
    return {
      status: 200,
      body: {
        kind: 'calendar#events',
        etag: `"${randomHex(8)}"`,
        summary: calendar.summary,
        updated: new Date(clock).toISOString(),
        timeZone: 'UTC',
        accessRole: calendar.access,
        defaultReminders: [],
        items: page,
        ...(nextOffset < items.length
          ? { nextPageToken: Buffer.from(`offset:${nextOffset}`).toString('base64url') }
          : {}),
      },
    };
  }

  const server = await startFakeServer({
    name: 'calendar',
    urlPath: '/',
    faults: options.faults,
    handle,
    renderFault: (fault) => {
      if (fault.kind === 'rateLimit') {
        const reason = fault.reason ?? (fault.status === 403 ? 'userRateLimitExceeded' : 'rateLimitExceeded');
        return googleError({
          status: fault.status,
          message: fault.status === 403 ? 'User Rate Limit Exceeded' : 'Rate Limit Exceeded',
          reason,
          domain: 'usageLimits',
          headers: { 'retry-after': String(fault.retryAfterSeconds) },
        });
      }
      return googleError({ status: fault.status, message: 'Backend Error', reason: fault.reason ?? 'backendError' });
    },
  });

  return {
    url: server.url,
    calendarId,
    state,
    requests: server.requests,
    get faults() {
      return server.faults;
    },
    set faults(value: FaultOptions) {
      server.faults = value;
    },
    events: (id = calendarId) =>
      Object.values(state.calendars[id]?.events ?? {}).sort((a, b) => a.id.localeCompare(b.id)),
    seedEvent,
    calls: () =>
      server.requests.map(
        (request) => `${request.method} ${request.path.replace(/^\/calendar\/v3\/calendars\/[^/]+/, '')}`,
      ),
    clearRequests: () => server.clearRequests(),
    get maxInFlight() {
      return server.maxInFlight;
    },
    close: () => server.close(),
  };
}

function splitProperty(filter: string): [string, string] {
  const at = filter.indexOf('=');
  return at < 0 ? [filter, ''] : [filter.slice(0, at), filter.slice(at + 1)];
}

/** The instant an event time stands for; all-day dates are taken at 00:00 UTC. */
function instant(time: FakeEventDateTime): number {
  if (time.dateTime) return Date.parse(time.dateTime);
  return Date.parse(`${time.date}T00:00:00Z`);
}
