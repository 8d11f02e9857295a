/**
 * Geekbot: the standup that greets each incoming member. Found by name (or by the ID the workflow remembered),
 * updated with PATCH only when it says something different, created when missing. The request bodies follow the
 * old create_geekbot_standup.py.
 */
import type { Member, RoleConfig, Settings } from '../domain/config';
import { NOBODY, personValues, renderTemplate } from '../domain/templates';
import { activityCancellationSignal, activityLog } from './context';
import { FailureType, nonRetryable, parseRetryAfter, requireRole, retryable } from './errors';
import { countNoticeSent } from './metrics';
import { retryTransient } from './transient';

export const GEEKBOT_DEFAULT_API_URL = 'https://api.geekbot.com';

export interface GeekbotClientOptions {
  /** A personal Geekbot API key (sent as `Authorization: <key>`, no "Bearer"). */
  apiKey: string;
  /** `GEEKBOT_API_URL`; defaults to https://api.geekbot.com. */
  apiUrl?: string;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}

/** The standup fields we read back; Geekbot returns users and questions as objects, but accept bare values too. */
export interface GeekbotStandup {
  id: number;
  name: string;
  channel?: string;
  time?: string;
  timezone?: string;
  days?: string[];
  /** Seconds in responses (the request field is minutes). */
  wait_time?: number;
  sync_channel_members?: boolean;
  personalized?: boolean;
  personalised?: boolean;
  users?: Array<{ id?: string } | string>;
  questions?: Array<{ text?: string | null; question?: string } | string>;
}

/** A report as GET /v1/reports lists it (the fields the acknowledgement reads). */
export interface GeekbotReport {
  id: number;
  standup_id?: number;
  /** Unix seconds. */
  timestamp: number;
  member?: { id?: string };
  questions?: Array<{ question?: string; answer?: string }>;
}

export interface ReportQuery {
  standupId: number;
  /** The member's Slack user ID (Geekbot's member IDs are Slack's). */
  userId: string;
  /** Unix seconds: reports after this. */
  after?: number;
  before?: number;
  limit?: number;
}

/** The fields `upsertStandup` writes on every update (and on create, with name, channel, time, timezone, days). */
export interface GeekbotStandupBody {
  users: string[];
  wait_time: number;
  sync_channel_members: false;
  personalized: false;
  questions: Array<{ question: string }>;
}

export interface GeekbotCreateBody extends GeekbotStandupBody {
  name: string;
  channel: string;
  time: string;
  timezone: string;
  days: string[];
}

/** An HTTP error from Geekbot; `detail` is the body's `error` field or the bare string body. */
export class GeekbotHttpError extends Error {
  override readonly name = 'GeekbotHttpError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly detail: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`Geekbot ${method} ${path} answered HTTP ${status}${detail ? `: ${detail}` : ''}`);
  }
}

/** A small fetch-based client for the few Geekbot v1 endpoints the worker uses. */
export class GeekbotClient {
  private readonly apiKey: string;
  readonly apiUrl: string;
  private readonly fetchImpl: typeof globalThis.fetch;
  private readonly timeoutMs: number;

  constructor({ apiKey, apiUrl, fetch: fetchImpl, timeoutMs = 30_000 }: GeekbotClientOptions) {
    this.apiKey = apiKey;
    this.apiUrl = (apiUrl || GEEKBOT_DEFAULT_API_URL).replace(/\/+$/, '');
    this.fetchImpl = fetchImpl ?? globalThis.fetch;
    this.timeoutMs = timeoutMs;
  }

  listStandups(): Promise<GeekbotStandup[]> {
    return this.request<GeekbotStandup[]>('GET', '/v1/standups');
  }

  /** The standup, or null when Geekbot says 404 (deleted, or not visible to the key's owner). */
  getStandup(id: number): Promise<GeekbotStandup | null> {
    return this.orNullOn404(this.request<GeekbotStandup>('GET', `/v1/standups/${id}`));
  }

  createStandup(body: GeekbotCreateBody): Promise<GeekbotStandup> {
    return this.request<GeekbotStandup>('POST', '/v1/standups', body);
  }

  updateStandup(id: number, body: GeekbotStandupBody): Promise<GeekbotStandup | null> {
    return this.orNullOn404(this.request<GeekbotStandup>('PATCH', `/v1/standups/${id}`, body));
  }

  /** The standup's reports by the member (newest first, as Geekbot lists them). */
  listReports({ standupId, userId, after, before, limit = 20 }: ReportQuery): Promise<GeekbotReport[]> {
    const query = new URLSearchParams({ standup_id: String(standupId), user_id: userId, limit: String(limit) });
    if (after !== undefined) query.set('after', String(after));
    if (before !== undefined) query.set('before', String(before));
    return this.request<GeekbotReport[]>('GET', `/v1/reports/?${query.toString()}`);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const signals = [AbortSignal.timeout(this.timeoutMs)];
    const cancellation = activityCancellationSignal();
    if (cancellation) signals.push(cancellation);
    const response = await this.fetchImpl(`${this.apiUrl}${path}`, {
      method,
      headers: {
        Authorization: this.apiKey,
        Accept: 'application/json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.any(signals),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new GeekbotHttpError(
        method,
        path,
        response.status,
        errorDetail(text),
        parseRetryAfter(response.headers.get('retry-after')),
      );
    }
    if (text.trim() === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new GeekbotHttpError(method, path, response.status, 'the response is not JSON', undefined);
    }
  }

  private async orNullOn404<T>(request: Promise<T>): Promise<T | null> {
    try {
      return await request;
    } catch (err) {
      if (err instanceof GeekbotHttpError && err.status === 404) return null;
      throw err;
    }
  }
}

/** `{"error": "..."}` or a bare JSON string or plain text, shortened for a failure message. */
function errorDetail(text: string): string {
  let detail: string = text;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'string') detail = parsed;
    else if (parsed && typeof parsed === 'object' && 'error' in parsed) {
      const error = parsed.error;
      detail = typeof error === 'string' ? error : JSON.stringify(error);
    } else if (parsed && typeof parsed === 'object' && 'message' in parsed) {
      detail = String(parsed.message);
    }
  } catch {
    // not JSON: keep the text
  }
  detail = detail.trim();
  return detail.length > 300 ? `${detail.slice(0, 300)}…` : detail;
}

export interface StandupQuestionInput {
  role: RoleConfig;
  incoming: Member;
  buddy: Member | null;
  calendarUrl: string;
}

/** Text for a missing buddy (a one-member rotation). */
export const NO_BUDDY = NOBODY;

/** Fills the role's question template (the Slack messages' renderer, domain/templates.ts); unknown ones stay. */
export function renderStandupQuestion({ role, incoming, buddy, calendarUrl }: StandupQuestionInput): string {
  return renderTemplate(role.standup.questionTemplate, {
    ...personValues('incoming', incoming),
    ...personValues('buddy', buddy),
    role: role.title,
    calendarUrl,
  });
}

/** The participants: the incoming member, plus the standup manager (owner of the API key) once. */
export function standupUsers(incoming: Member, standupManager: Member | null): string[] {
  return standupManager && standupManager.id !== incoming.id ? [incoming.id, standupManager.id] : [incoming.id];
}

export interface UpsertStandupInput {
  role: string;
  incoming: Member;
  buddy: Member | null;
  standupId?: number | null;
}

export interface UpsertStandupResult {
  standupId: number;
  action: 'created' | 'updated' | 'unchanged';
}

export interface GeekbotDeps {
  settings: Settings;
  geekbot: GeekbotClient;
}

/** The role's standup as Geekbot has it now: by its remembered ID, else by name (the oldest of that name). */
export type FoundStandup = GeekbotStandup | null;

/**
 * The standup steps: find the role's standup (a read), then make it name the incoming member (a write). The prepare
 * activity runs the read while Slack answers; the `upsertStandup` activity runs both.
 */
export function createGeekbotService({ settings, geekbot }: GeekbotDeps) {
  /** One Geekbot call, classified, tried again quickly on a passing failure (a POST only after a rate limit). */
  const call = <T>(request: () => Promise<T>, idempotent = true): Promise<T> =>
    retryTransient(
      async () => {
        try {
          return await request();
        } catch (err) {
          throw geekbotFailure(err, settings);
        }
      },
      { idempotent, service: 'geekbot' },
    );

  async function findStandup(roleName: string, standupId: number | null | undefined): Promise<FoundStandup> {
    const { standup } = requireRole(settings, roleName);
    try {
      let existing: GeekbotStandup | null = null;
      if (standupId != null) {
        existing = await call(() => geekbot.getStandup(standupId));
        // A remembered ID that now names some other standup is not ours any more.
        if (existing && existing.name !== standup.name) existing = null;
      }
      if (existing) return existing;
      const all = await call(() => geekbot.listStandups());
      const matches = (Array.isArray(all) ? all : []).filter((candidate) => candidate.name === standup.name);
      if (matches.length > 1) {
        activityLog.warn('Several Geekbot standups share the role standup name; using the oldest', {
          role: roleName,
          standup: standup.name,
          ids: matches.map((m) => m.id),
        });
      }
      return matches.sort((a, b) => a.id - b.id)[0] ?? null;
    } catch (err) {
      throw geekbotFailure(err, settings);
    }
  }

  /** Points the standup found by `findStandup` (or a new one) at the incoming member; a no-op when it already does. */
  async function writeStandup(input: UpsertStandupInput, existing: FoundStandup): Promise<UpsertStandupResult> {
    const role = requireRole(settings, input.role);
    const { incoming, buddy } = input;
    if (!incoming?.id)
      throw nonRetryable(FailureType.InvalidInput, 'upsertStandup needs an incoming member with a Slack ID.');
    const { standup } = role;
    const body: GeekbotStandupBody = {
      users: standupUsers(incoming, settings.standupManager),
      wait_time: standup.waitTime,
      sync_channel_members: false,
      personalized: false,
      questions: [{ question: renderStandupQuestion({ role, incoming, buddy, calendarUrl: settings.calendarUrl }) }],
    };
    const context = { role: input.role, standup: standup.name, incoming: incoming.id };

    try {
      if (existing) {
        if (standupSays(existing, body)) {
          activityLog.info('Geekbot standup already up to date', { ...context, standupId: existing.id });
          return { standupId: existing.id, action: 'unchanged' };
        }
        const updated = await call(() => geekbot.updateStandup(existing.id, body));
        if (updated !== null) {
          activityLog.info('Updated Geekbot standup', { ...context, standupId: existing.id });
          countNoticeSent(input.role, 'updated');
          return { standupId: existing.id, action: 'updated' };
        }
        // Deleted between the read and the PATCH: create it again below.
      }

      // Not sent twice after a lost answer: a retry of the activity finds a standup created meanwhile by name.
      const created = await call(
        () =>
          geekbot.createStandup({
            ...body,
            name: standup.name,
            channel: standup.channel,
            time: standup.time,
            timezone: standup.timezone,
            days: [...standup.days],
          }),
        false,
      );
      if (typeof created?.id !== 'number') {
        throw retryable(FailureType.GeekbotApiError, 'Geekbot created the standup but returned no standup ID.');
      }
      activityLog.info('Created Geekbot standup', { ...context, standupId: created.id });
      countNoticeSent(input.role, 'created');
      if (!settings.standupManager) {
        activityLog.warn(
          'No standupManager configured: the standup is only visible to the API key owner if they take part',
          context,
        );
      }
      return { standupId: created.id, action: 'created' };
    } catch (err) {
      throw geekbotFailure(err, settings);
    }
  }

  const activities = {
    /** Points the role's standup at the incoming member; a no-op when it already does. */
    upsertStandup: async (input: UpsertStandupInput): Promise<UpsertStandupResult> => {
      requireRole(settings, input.role);
      if (!input.incoming?.id)
        throw nonRetryable(FailureType.InvalidInput, 'upsertStandup needs an incoming member with a Slack ID.');
      return writeStandup(input, await findStandup(input.role, input.standupId));
    },
  };
  return { findStandup, writeStandup, activities };
}

/** Geekbot's activities alone (tests). */
export function createGeekbotActivities(deps: GeekbotDeps) {
  return createGeekbotService(deps).activities;
}

/** Whether the standup already has these participants, this question and these settings. */
export function standupSays(existing: GeekbotStandup, body: GeekbotStandupBody): boolean {
  const users = new Set((existing.users ?? []).map((user) => (typeof user === 'string' ? user : user?.id)));
  const wanted = new Set(body.users);
  if (users.size !== wanted.size || [...wanted].some((id) => !users.has(id))) return false;

  const questions = (existing.questions ?? []).map((q) => (typeof q === 'string' ? q : (q?.text ?? q?.question ?? '')));
  const wantedQuestions = body.questions.map((q) => q.question);
  if (questions.length !== wantedQuestions.length) return false;
  if (questions.some((text, i) => normalise(text) !== normalise(wantedQuestions[i] ?? ''))) return false;

  // Geekbot answers wait_time in seconds although it is written in minutes; accept either.
  if (
    existing.wait_time !== undefined &&
    existing.wait_time !== body.wait_time * 60 &&
    existing.wait_time !== body.wait_time
  ) {
    return false;
  }
  if (existing.sync_channel_members === true) return false;
  if (existing.personalized === true || existing.personalised === true) return false;
  return true;
}

function normalise(text: string): string {
  return text.replace(/\r\n/g, '\n').trim();
}

/** Maps Geekbot HTTP and network errors to classified failures; anything already classified passes through. */
export function geekbotFailure(err: unknown, settings: Pick<Settings, 'standupManager'>): unknown {
  const signal = activityCancellationSignal();
  if (signal?.aborted) return signal.reason;
  if (err instanceof GeekbotHttpError) {
    const details = { service: 'geekbot', method: err.method, path: err.path, status: err.status };
    if (err.status === 401 || err.status === 403) {
      const manager = settings.standupManager
        ? `${settings.standupManager.name} (${settings.standupManager.id})`
        : 'the configured standupManager';
      return nonRetryable(
        FailureType.GeekbotAuth,
        `${err.message}. GEEKBOT_API_KEY must be the personal API key of the standup manager, ${manager}: ` +
          'Geekbot keys are personal and only see and edit the standups their owner belongs to.',
        details,
      );
    }
    if (err.status === 429) {
      return retryable(FailureType.RateLimited, err.message, err.retryAfterMs, details);
    }
    if (err.status >= 500 || err.status === 408) {
      return retryable(FailureType.ServiceUnavailable, err.message, err.retryAfterMs, details);
    }
    return nonRetryable(FailureType.GeekbotApiError, err.message, details);
  }
  const fetchFailed = err instanceof TypeError && err.message === 'fetch failed';
  if (fetchFailed || (err instanceof Error && err.name === 'TimeoutError')) {
    // fetch reports refused/dropped connections as TypeError("fetch failed") and timeouts as TimeoutError.
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return retryable(FailureType.ServiceUnavailable, `Could not reach Geekbot (${err.message}${cause}).`, undefined, {
      service: 'geekbot',
    });
  }
  return err;
}
