/**
 * A fake Google Calendar v3 API for events under /calendar/v3/calendars/{calendarId}/events: list (pageToken,
 * maxResults, timeMin/timeMax, privateExtendedProperty, sharedExtendedProperty, q, showDeleted, singleEvents,
 * orderBy, eventTypes), insert, get, update, patch, delete. As Google does: 409 on a duplicate ID (cancelled events keep
 * theirs), 410 on deleting a deleted event, deleted events kept with status "cancelled", errors as
 * `{ error: { code, message, errors: [{ reason }], status } }`. Events carry `eventType` ("default" unless given);
 * recurring events (`RRULE` with FREQ=DAILY or WEEKLY, INTERVAL, COUNT, UNTIL) are expanded into instances by a list
 * with `singleEvents=true`, for whatever range it asks.
 *
 * Authentication, two ways, as Google's:
 * - a self-signed JWT (what google-auth-library sends with `useJWTAccessWithScope`, no token endpoint) whose `scope`
 *   claim names a calendar scope: it acts as the service account itself. Such a JWT cannot act for anyone else: the
 *   auth libraries turn self-signed JWTs off when a subject is set, because Google honours domain-wide delegation
 *   only in a token exchange; one whose `sub` is not its `iss` is refused here with 401.
 * - an access token from the fake's token endpoint (`tokenUrl`, standing in for https://oauth2.googleapis.com/token):
 *   the JWT-bearer grant of RFC 7523, whose assertion's `sub` names the Workspace user to act as (domain-wide
 *   delegation). Without delegation for that subject and every requested scope it answers as Google does: 401
 *   `{ error: "unauthorized_client", error_description: "Client is unauthorized to retrieve access tokens using this
 *   method, or client not authorized for any of the scopes requested." }`.
 * `primary` is the primary calendar of whoever the token acts as: the impersonated user's (its ID is their e-mail
 * address, which names it too), or the service account's own. A user's primary calendar is theirs alone here: any
 * other principal gets 404, as Google answers for a calendar not shared with the caller. Give `verifyKey` to check
 * JWT signatures.
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
export const CALENDAR_READONLY_SCOPE = 'https://www.googleapis.com/auth/calendar.readonly';
export const CALENDAR_EVENTS_SCOPE = 'https://www.googleapis.com/auth/calendar.events';
export const CALENDAR_EVENTS_READONLY_SCOPE = 'https://www.googleapis.com/auth/calendar.events.readonly';
/** Scopes that allow reading events, and those that allow writing them (Google's events.* authorization lists). */
const READ_SCOPES = [CALENDAR_SCOPE, CALENDAR_READONLY_SCOPE, CALENDAR_EVENTS_SCOPE, CALENDAR_EVENTS_READONLY_SCOPE];
const WRITE_SCOPES = [CALENDAR_SCOPE, CALENDAR_EVENTS_SCOPE];
/** The audience of a token-exchange assertion (gtoken signs it for Google's endpoint, wherever it is sent). */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** The service account a JWT without `iss` (a hand-made test token) stands for. */
const DEFAULT_SERVICE_ACCOUNT = 'service-account@fake.iam.gserviceaccount.com';
export const EVENT_TYPES = ['birthday', 'default', 'focusTime', 'fromGmail', 'outOfOffice', 'workingLocation'] as const;
export type EventType = (typeof EVENT_TYPES)[number];
const DAY_MS = 24 * 3600 * 1000;
/** How far a list without timeMax expands an endless recurrence. */
const MAX_EXPANSION_MS = 2 * 366 * DAY_MS;

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
  eventType: EventType;
  extendedProperties?: { private?: Record<string, string>; shared?: Record<string, string> };
  outOfOfficeProperties?: { autoDeclineMode?: string; declineMessage?: string };
  recurrence?: string[];
  [field: string]: unknown;
}

export interface FakeCalendar {
  id: string;
  summary: string;
  /** The service account's access: 'none' answers 404 (as Google does for a calendar not shared with it). */
  access: 'owner' | 'writer' | 'reader' | 'none';
  /** The user (or service account) whose primary calendar this is; its ID is their e-mail address. */
  owner?: string;
  events: Record<string, FakeCalendarEvent>;
}

export interface FakeCalendarState {
  calendars: Record<string, FakeCalendar>;
  /**
   * Domain-wide delegation as a Workspace admin grants it: the subjects the service account may act as, each with
   * the scopes granted. (Google grants per client ID for the whole domain; per subject lets a test withhold one.)
   */
  delegation: Record<string, string[]>;
}

/** An out-of-office event on a user's primary calendar. */
export interface OutOfOfficeSeed {
  /** ISO-8601 instants (timed, as Google Calendar makes them) or YYYY-MM-DD dates (all-day; `end` exclusive). */
  start: string;
  end: string;
  summary?: string;
  id?: string;
  /** E.g. ["RRULE:FREQ=WEEKLY;INTERVAL=5"]: expanded by lists with singleEvents=true. */
  recurrence?: string[];
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
  /** The fake's OAuth token endpoint (`<url>token`), in place of https://oauth2.googleapis.com/token. */
  tokenUrl: string;
  calendarId: string;
  state: FakeCalendarState;
  requests: RecordedRequest[];
  faults: FaultOptions;
  /** The events of the default calendar (including cancelled ones), by ID order. */
  events(calendarId?: string): FakeCalendarEvent[];
  seedEvent(seed: EventSeed, calendarId?: string): FakeCalendarEvent;
  /** Adds an out-of-office event to the user's primary calendar (made if missing). */
  addOutOfOffice(email: string, seed: OutOfOfficeSeed): FakeCalendarEvent;
  /** Every user's out-of-office events between two instants (recurring ones expanded), with whose they are. */
  outOfOffice(fromMs: number, toMs: number): Array<{ email: string; event: FakeCalendarEvent }>;
  /** Lets the service account act as `subject` with these scopes (default calendar.events.readonly). */
  grantDelegation(subject: string, scopes?: string[]): void;
  /** Takes the delegation for `subject` away: its token requests get 401 unauthorized_client. */
  withholdDelegation(subject: string): void;
  /** "METHOD /events[/id]" of the logged requests, e.g. ["GET /events", "POST /events", "POST /token"]. */
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

/** Who a request acts as: the service account itself, or the Workspace user it impersonates. */
interface Principal {
  email: string;
  kind: 'serviceAccount' | 'user';
  scopes: string[];
}

interface JwtClaims {
  iss?: string;
  sub?: string;
  aud?: string;
  scope?: string;
  exp?: number;
}

export async function startFakeCalendar(options: FakeCalendarOptions = {}): Promise<FakeCalendarServer> {
  const calendarId = options.calendarId ?? `test-calendar-${randomHex(6)}@group.calendar.google.com`;
  const state: FakeCalendarState = {
    calendars: {
      [calendarId]: { id: calendarId, summary: 'Team Roles (fake)', access: options.access ?? 'writer', events: {} },
    },
    delegation: {},
  };
  const verifyKey =
    options.verifyKey === undefined
      ? undefined
      : typeof options.verifyKey === 'string'
        ? createPublicKey(options.verifyKey)
        : options.verifyKey;
  const maxPageSize = options.maxPageSize ?? 2500;
  /** Access tokens the token endpoint issued, and whom they act as. */
  const issued = new Map<string, Principal & { expiresAt: number }>();
  let clock = Date.parse('2024-01-01T00:00:00Z');
  let tokenUrl = '';

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
      eventType: (body.eventType as EventType | undefined) ?? 'default',
      organizer: { email: calendar.id, self: true },
      creator: { email: calendar.owner ?? DEFAULT_SERVICE_ACCOUNT },
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

  /** The primary calendar of `email` (a user, or the service account), made when first needed. */
  function primaryCalendar(email: string): FakeCalendar {
    const id = email.toLowerCase();
    const calendar = (state.calendars[id] ??= { id, summary: id, access: 'none', owner: id, events: {} });
    calendar.owner ??= id;
    return calendar;
  }

  function addOutOfOffice(email: string, seed: OutOfOfficeSeed): FakeCalendarEvent {
    const calendar = primaryCalendar(email);
    if (seed.recurrence && !parseRecurrence(seed.recurrence)) {
      throw new Error(`the fake calendar expands FREQ=DAILY/WEEKLY rules only, not ${seed.recurrence.join(' ')}`);
    }
    const eventId = seed.id ?? `ooo${randomHex(8)}`;
    const event = makeEvent(
      calendar,
      {
        summary: seed.summary ?? 'Out of office',
        start: eventTime(seed.start),
        end: eventTime(seed.end),
        eventType: 'outOfOffice',
        transparency: 'opaque',
        outOfOfficeProperties: {
          autoDeclineMode: 'declineAllConflictingInvitations',
          declineMessage: 'Declined because I am out of office',
        },
        ...(seed.recurrence ? { recurrence: [...seed.recurrence] } : {}),
      },
      eventId,
    );
    calendar.events[eventId] = event;
    return event;
  }

  const unauthenticated = (message: string) =>
    googleError({
      status: 401,
      message: `Request had invalid authentication credentials. ${message}`,
      reason: 'authError',
    });

  /** The claims of a JWT whose signature (when a key is given) and expiry hold; a problem sentence otherwise. */
  function readJwt(token: string): JwtClaims | string {
    const parts = token.split('.');
    if (parts.length !== 3) return 'The token is not a JWT.';
    let claims: JwtClaims;
    try {
      claims = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8')) as JwtClaims;
    } catch {
      return 'The token payload is not JSON.';
    }
    if (verifyKey) {
      const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
      const valid = verify('RSA-SHA256', signed, verifyKey, Buffer.from(parts[2] as string, 'base64url'));
      if (!valid) return 'Invalid JWT signature.';
    }
    if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) return 'Token expired.';
    return claims;
  }

  /** Whom the bearer token acts as, or the error Google would answer with. */
  function authenticate(request: FakeRequest, writing: boolean): Principal | FakeResponse {
    const token = bearerToken(request.headers);
    if (!token)
      return unauthenticated('Expected OAuth 2 access token, login cookie or other valid authentication credential.');
    let principal: Principal;
    const exchanged = issued.get(token);
    if (exchanged) {
      if (exchanged.expiresAt < Date.now()) return unauthenticated('Token expired.');
      principal = exchanged;
    } else {
      const claims = readJwt(token);
      if (typeof claims === 'string') return unauthenticated(claims);
      const self = claims.iss ?? DEFAULT_SERVICE_ACCOUNT;
      if (claims.sub !== undefined && claims.sub !== self) {
        return unauthenticated(
          'A self-signed JWT acts as its service account only: domain-wide delegation needs a token exchange.',
        );
      }
      principal = { email: self, kind: 'serviceAccount', scopes: (claims.scope ?? '').split(/\s+/) };
    }
    const allowed = writing ? WRITE_SCOPES : READ_SCOPES;
    if (!principal.scopes.some((scope) => allowed.includes(scope))) {
      return googleError({
        status: 403,
        message: 'Request had insufficient authentication scopes.',
        reason: 'insufficientPermissions',
        rpcStatus: 'PERMISSION_DENIED',
      });
    }
    return principal;
  }

  /** The token endpoint: RFC 7523's JWT-bearer grant, answering with Google's OAuth error shapes. */
  function exchangeToken(request: FakeRequest): FakeResponse {
    const oauthError = (status: number, error: string, description: string): FakeResponse => ({
      status,
      body: { error, error_description: description },
    });
    const form = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<string, unknown>;
    if (form.grant_type !== JWT_BEARER_GRANT) {
      return oauthError(
        400,
        'unsupported_grant_type',
        `Invalid grant_type: ${typeof form.grant_type === 'string' ? form.grant_type : ''}`,
      );
    }
    const claims = typeof form.assertion === 'string' ? readJwt(form.assertion) : 'No assertion.';
    if (typeof claims === 'string') return oauthError(400, 'invalid_grant', `Invalid JWT: ${claims}`);
    if (claims.aud !== GOOGLE_TOKEN_URL && claims.aud !== tokenUrl) {
      return oauthError(400, 'invalid_grant', 'Invalid JWT: Failed audience check.');
    }
    if (!claims.iss) return oauthError(400, 'invalid_grant', 'Invalid JWT: No issuer.');
    const scopes = (claims.scope ?? '').split(/\s+/).filter(Boolean);
    if (scopes.length === 0) return oauthError(400, 'invalid_scope', 'Empty or missing scope not allowed.');
    const subject = claims.sub && claims.sub !== claims.iss ? claims.sub.toLowerCase() : undefined;
    if (subject !== undefined) {
      const granted = state.delegation[subject] ?? [];
      if (!scopes.every((scope) => granted.includes(scope))) {
        return oauthError(
          401,
          'unauthorized_client',
          'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
        );
      }
    }
    const accessToken = `ya29.fake-${randomHex(24)}`;
    const expiresIn = 3599;
    issued.set(accessToken, {
      email: subject ?? claims.iss,
      kind: subject === undefined ? 'serviceAccount' : 'user',
      scopes,
      expiresAt: Date.now() + expiresIn * 1000,
    });
    return { status: 200, body: { access_token: accessToken, expires_in: expiresIn, token_type: 'Bearer' } };
  }

  /** The calendar a path names for this principal; undefined when it is unknown or not shared with them. */
  function calendarFor(
    idParam: string,
    principal: Principal,
  ): { calendar: FakeCalendar; access: FakeCalendar['access'] } | undefined {
    const id = idParam === 'primary' ? principal.email.toLowerCase() : idParam;
    const calendar =
      idParam === 'primary' ? primaryCalendar(id) : (state.calendars[id] ?? state.calendars[id.toLowerCase()]);
    if (!calendar) return undefined;
    const access =
      calendar.owner === principal.email.toLowerCase()
        ? 'owner'
        : principal.kind === 'serviceAccount'
          ? calendar.access
          : 'none';
    return access === 'none' ? undefined : { calendar, access };
  }

  function handle(request: FakeRequest): FakeResponse {
    if (request.path === '/token' && request.method === 'POST') return exchangeToken(request);
    const match = /^\/calendar\/v3\/calendars\/([^/]+)\/events(?:\/([^/]+))?$/.exec(request.path);
    if (!match) return googleError({ status: 404, message: 'Not Found', reason: 'notFound' });
    const writing = request.method !== 'GET';
    const principal = authenticate(request, writing);
    if (!('kind' in principal)) return principal;

    const found = calendarFor(decodeURIComponent(match[1] as string), principal);
    if (!found) return googleError({ status: 404, message: 'Not Found', reason: 'notFound' });
    const { calendar } = found;
    const eventId = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
    if (writing && found.access === 'reader') {
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
          eventType: existing.eventType, // Google keeps an event's type: it cannot be changed
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
    if (body.recurrence !== undefined && !parseRecurrence(body.recurrence)) {
      // Google takes any RFC 5545 rule; the fake expands the simple ones only, and says so rather than mis-expand.
      return googleError({ status: 400, message: 'Invalid recurrence rule.', reason: 'invalid' });
    }
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
    // Repeated, or comma-joined as some clients send arrays; unset: every type.
    const eventTypes = query.getAll('eventTypes').flatMap((value) => value.split(','));
    const unknownType = eventTypes.find((type) => !(EVENT_TYPES as readonly string[]).includes(type));
    if (unknownType !== undefined) {
      return googleError({
        status: 400,
        message: `Invalid eventTypes value: ${unknownType}`,
        reason: 'invalidParameter',
      });
    }

    const stored = Object.values(calendar.events);
    const candidates = singleEvents ? stored.flatMap((event) => expandRecurrence(event, minMs, maxMs)) : stored;
    const items = candidates.filter((event) => {
      if (!showDeleted && event.status === 'cancelled') return false;
      if (eventTypes.length > 0 && !eventTypes.includes(event.eventType ?? 'default')) return false;
      // Google: timeMin bounds the event's end (exclusive), timeMax its start (exclusive); a recurring event listed
      // whole is in when one of its instances is.
      if (!singleEvents && event.recurrence) {
        if (expandRecurrence(event, minMs, maxMs).length === 0) return false;
      } else {
        if (minMs !== undefined && instant(event.end) <= minMs) return false;
        if (maxMs !== undefined && instant(event.start) >= maxMs) return false;
      }
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

  tokenUrl = `${server.url}token`;

  return {
    url: server.url,
    tokenUrl,
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
    addOutOfOffice,
    outOfOffice: (fromMs, toMs) =>
      Object.values(state.calendars).flatMap((calendar) =>
        Object.values(calendar.events)
          .filter((event) => event.eventType === 'outOfOffice' && event.status !== 'cancelled')
          .flatMap((event) => expandRecurrence(event, fromMs, toMs))
          .filter((event) => instant(event.start) < toMs && instant(event.end) > fromMs)
          .map((event) => ({ email: calendar.owner ?? calendar.id, event })),
      ),
    grantDelegation: (subject, scopes = [CALENDAR_EVENTS_READONLY_SCOPE]) => {
      primaryCalendar(subject);
      state.delegation[subject.toLowerCase()] = [...scopes];
    },
    withholdDelegation: (subject) => {
      delete state.delegation[subject.toLowerCase()];
    },
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

/** An event time from a seed: a YYYY-MM-DD date (all-day) or an instant. */
function eventTime(value: string): FakeEventDateTime {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? { date: value } : { dateTime: new Date(value).toISOString() };
}

interface Recurrence {
  everyDays: number;
  count?: number;
  untilMs?: number;
}

/** The `RRULE` of a recurrence the fake can expand (FREQ=DAILY or WEEKLY, INTERVAL, COUNT, UNTIL); else undefined. */
function parseRecurrence(recurrence: unknown): Recurrence | undefined {
  if (!Array.isArray(recurrence)) return undefined;
  const rules = recurrence.filter((line): line is string => typeof line === 'string' && line.startsWith('RRULE:'));
  if (rules.length !== 1 || rules.length !== recurrence.length) return undefined;
  const parts = new Map(
    (rules[0] as string)
      .slice('RRULE:'.length)
      .split(';')
      .map((part) => part.split('=') as [string, string]),
  );
  const days = { DAILY: 1, WEEKLY: 7 }[parts.get('FREQ') ?? ''];
  const interval = Number(parts.get('INTERVAL') ?? '1');
  if (days === undefined || !Number.isInteger(interval) || interval < 1) return undefined;
  if ([...parts.keys()].some((key) => !['FREQ', 'INTERVAL', 'COUNT', 'UNTIL'].includes(key))) return undefined;
  const count = parts.has('COUNT') ? Number(parts.get('COUNT')) : undefined;
  const until = parts.get('UNTIL');
  const untilMatch = until === undefined ? null : /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z)?$/.exec(until);
  if (until !== undefined && !untilMatch) return undefined;
  const [, y, mo, d, h = '23', mi = '59', se = '59'] = untilMatch ?? [];
  return {
    everyDays: days * interval,
    ...(count !== undefined ? { count } : {}),
    ...(untilMatch ? { untilMs: Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${se}Z`) } : {}),
  };
}

/**
 * The instances of a recurring event that end after `minMs` and start before `maxMs` (or within two years when the
 * list gives no timeMax), as Google returns them with singleEvents=true: IDs `<id>_<start>`, `recurringEventId`,
 * `originalStartTime`. An event without recurrence is itself.
 */
function expandRecurrence(event: FakeCalendarEvent, minMs?: number, maxMs?: number): FakeCalendarEvent[] {
  const rule = parseRecurrence(event.recurrence);
  if (!rule) return [event];
  const first = instant(event.start);
  const length = instant(event.end) - first;
  const step = rule.everyDays * DAY_MS;
  const horizon = maxMs ?? Math.max(minMs ?? first, Date.now()) + MAX_EXPANSION_MS;
  const instances: FakeCalendarEvent[] = [];
  let k = minMs === undefined ? 0 : Math.max(0, Math.floor((minMs - length - first) / step));
  for (; rule.count === undefined || k < rule.count; k++) {
    const start = first + k * step;
    if (start >= horizon || (rule.untilMs !== undefined && start > rule.untilMs)) break;
    if (minMs !== undefined && start + length <= minMs) continue;
    const allDay = event.start.date !== undefined;
    const at = (ms: number): FakeEventDateTime =>
      allDay ? { date: new Date(ms).toISOString().slice(0, 10) } : { dateTime: new Date(ms).toISOString() };
    const stamp = allDay
      ? new Date(start).toISOString().slice(0, 10).replace(/-/g, '')
      : new Date(start).toISOString().replace(/[-:]|\.\d{3}/g, '');
    const { recurrence: _rule, ...rest } = event;
    instances.push({
      ...rest,
      id: `${event.id}_${stamp}`,
      start: at(start),
      end: at(start + length),
      recurringEventId: event.id,
      originalStartTime: at(start),
    });
  }
  return instances;
}
