/**
 * A fake Slack Web API: POST (form-encoded or JSON) or GET to /api/<method>, `{ ok: false, error }` bodies,
 * cursor paging in `response_metadata.next_cursor`, bearer-token and scope checks. Methods: auth.test,
 * usergroups.list, usergroups.users.list, users.info, users.list.
 */
import {
  bearerToken,
  randomHex,
  startFakeServer,
  type FakeRequest,
  type FakeResponse,
  type FaultOptions,
  type RecordedRequest,
} from './http';

/** A Slack user object (the fields Slack's users.info / users.list return that matter here). */
export interface FakeSlackUser {
  id: string;
  team_id: string;
  name: string;
  deleted: boolean;
  is_bot: boolean;
  is_app_user: boolean;
  real_name: string;
  profile: {
    display_name: string;
    display_name_normalized: string;
    real_name: string;
    real_name_normalized: string;
  };
}

export interface FakeSlackUsergroup {
  id: string;
  team_id: string;
  handle: string;
  name: string;
  description: string;
  is_usergroup: true;
  date_delete: number;
  users: string[];
}

export interface FakeSlackState {
  teamId: string;
  /** Valid tokens and their scopes. */
  tokens: Record<string, { scopes: string[] }>;
  users: Record<string, FakeSlackUser>;
  usergroups: FakeSlackUsergroup[];
}

export interface SlackUserSeed {
  id: string;
  displayName?: string;
  realName?: string;
  deleted?: boolean;
  isBot?: boolean;
}

export interface SlackUsergroupSeed {
  handle: string;
  users: string[];
  id?: string;
  name?: string;
  disabled?: boolean;
}

export interface FakeSlackOptions {
  users?: SlackUserSeed[];
  usergroups?: SlackUsergroupSeed[];
  /** The token the fake accepts; generated (xoxb-test-…) when absent. */
  token?: string;
  /** The token's scopes (default usergroups:read, users:read). */
  scopes?: string[];
  /** users.list page size when the caller gives no `limit`. */
  defaultPageSize?: number;
  faults?: FaultOptions;
}

export interface FakeSlack {
  /** The SLACK_API_URL to use: http://127.0.0.1:<port>/api/ */
  url: string;
  token: string;
  state: FakeSlackState;
  requests: RecordedRequest[];
  faults: FaultOptions;
  /** Slack method names of the logged requests, in order, e.g. ["usergroups.list", "users.info", ...]. */
  calls(): string[];
  clearRequests(): void;
  readonly maxInFlight: number;
  close(): Promise<void>;
}

export const TEAM_ID = 'T0TEST0001';

/** An obviously fake bot token. */
export function fakeSlackToken(): string {
  return `xoxb-test-${randomHex(12)}`;
}

export function slackUser(seed: SlackUserSeed, teamId = TEAM_ID): FakeSlackUser {
  const realName = seed.realName ?? seed.displayName ?? seed.id;
  const displayName = seed.displayName ?? '';
  return {
    id: seed.id,
    team_id: teamId,
    name: (displayName || realName).toLowerCase().replace(/\s+/g, '.'),
    deleted: seed.deleted ?? false,
    is_bot: seed.isBot ?? false,
    is_app_user: false,
    real_name: realName,
    profile: {
      display_name: displayName,
      display_name_normalized: displayName,
      real_name: realName,
      real_name_normalized: realName,
    },
  };
}

export function slackUsergroup(seed: SlackUsergroupSeed, index = 0, teamId = TEAM_ID): FakeSlackUsergroup {
  return {
    id: seed.id ?? `S0TEST${String(index + 1).padStart(4, '0')}`,
    team_id: teamId,
    handle: seed.handle,
    name: seed.name ?? seed.handle,
    description: '',
    is_usergroup: true,
    date_delete: seed.disabled ? 1700000000 : 0,
    users: [...seed.users],
  };
}

const SCOPE_FOR_METHOD: Record<string, string | undefined> = {
  'auth.test': undefined,
  'usergroups.list': 'usergroups:read',
  'usergroups.users.list': 'usergroups:read',
  'users.info': 'users:read',
  'users.list': 'users:read',
};

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const token = options.token ?? fakeSlackToken();
  const state: FakeSlackState = {
    teamId: TEAM_ID,
    tokens: { [token]: { scopes: options.scopes ?? ['usergroups:read', 'users:read'] } },
    users: Object.fromEntries((options.users ?? []).map((seed) => [seed.id, slackUser(seed)])),
    usergroups: (options.usergroups ?? []).map((seed, i) => slackUsergroup(seed, i)),
  };
  const defaultPageSize = options.defaultPageSize ?? 200;

  const ok = (body: Record<string, unknown>, scopes: string[], headers: Record<string, string> = {}): FakeResponse => ({
    status: 200,
    body: { ok: true, ...body },
    headers: { 'x-oauth-scopes': scopes.join(','), ...headers },
  });
  const fail = (
    error: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ): FakeResponse => ({
    status: 200,
    body: { ok: false, error, ...extra },
    headers,
  });

  function handle(request: FakeRequest): FakeResponse {
    const match = /^\/api\/([\w.]+)$/.exec(request.path);
    if (!match) return { status: 404, body: 'Not Found' };
    const method = match[1] as string;
    const params = paramsOf(request);

    const presented = bearerToken(request.headers) ?? (typeof params.token === 'string' ? params.token : undefined);
    if (!presented) return fail('not_authed');
    const grant = state.tokens[presented];
    if (!grant) return fail('invalid_auth');
    if (!(method in SCOPE_FOR_METHOD)) return fail('unknown_method');
    const needed = SCOPE_FOR_METHOD[method];
    if (needed && !grant.scopes.includes(needed)) {
      return fail(
        'missing_scope',
        { needed, provided: grant.scopes.join(',') },
        { 'x-oauth-scopes': grant.scopes.join(','), 'x-accepted-oauth-scopes': needed },
      );
    }
    const scopes = grant.scopes;

    switch (method) {
      case 'auth.test':
        return ok(
          {
            url: 'https://fake.slack.test/',
            team: 'Fake Team',
            team_id: state.teamId,
            user_id: 'U0BOT',
            bot_id: 'B0BOT',
          },
          scopes,
        );
      case 'usergroups.list': {
        const includeUsers = truthy(params.include_users);
        const includeDisabled = truthy(params.include_disabled);
        const includeCount = truthy(params.include_count);
        const usergroups = state.usergroups
          .filter((group) => includeDisabled || group.date_delete === 0)
          .map((group) => {
            const { users, ...rest } = group;
            return {
              ...rest,
              ...(includeUsers ? { users: [...users] } : {}),
              ...(includeCount ? { user_count: users.length } : {}),
            };
          });
        return ok({ usergroups }, scopes);
      }
      case 'usergroups.users.list': {
        const group = state.usergroups.find((g) => g.id === params.usergroup);
        if (!group) return fail('no_such_subteam');
        return ok({ users: [...group.users] }, scopes);
      }
      case 'users.info': {
        const user = typeof params.user === 'string' ? state.users[params.user] : undefined;
        return user ? ok({ user }, scopes) : fail('user_not_found');
      }
      case 'users.list': {
        const all = Object.values(state.users).sort((a, b) => a.id.localeCompare(b.id));
        const limit = Math.min(Math.max(Number(params.limit) || defaultPageSize, 1), 1000);
        let start = 0;
        if (typeof params.cursor === 'string' && params.cursor !== '') {
          const after = decodeCursor(params.cursor);
          if (after === undefined) return fail('invalid_cursor');
          start = all.findIndex((user) => user.id >= after);
          if (start < 0) start = all.length;
        }
        const members = all.slice(start, start + limit);
        const next = all[start + limit];
        return ok(
          {
            members,
            cache_ts: Math.floor(Date.now() / 1000),
            response_metadata: { next_cursor: next ? encodeCursor(next.id) : '' },
          },
          scopes,
        );
      }
      default:
        return fail('unknown_method');
    }
  }

  const server = await startFakeServer({
    name: 'slack',
    urlPath: '/api/',
    faults: options.faults,
    handle,
    renderFault: (fault): FakeResponse =>
      fault.kind === 'rateLimit'
        ? {
            status: fault.status,
            body: { ok: false, error: 'ratelimited' },
            headers: { 'retry-after': String(fault.retryAfterSeconds) },
          }
        : {
            status: fault.status,
            body: '<html><body>Slack is having trouble</body></html>',
            headers: { 'content-type': 'text/html' },
          },
  });

  return {
    url: server.url,
    token,
    state,
    requests: server.requests,
    get faults() {
      return server.faults;
    },
    set faults(value: FaultOptions) {
      server.faults = value;
    },
    calls: () => server.requests.map((request) => request.path.replace(/^\/api\//, '')),
    clearRequests: () => server.clearRequests(),
    get maxInFlight() {
      return server.maxInFlight;
    },
    close: () => server.close(),
  };
}

/** Query parameters merged with the form or JSON body, as Slack reads them. */
function paramsOf(request: FakeRequest): Record<string, unknown> {
  const params: Record<string, unknown> = Object.fromEntries(request.query);
  if (request.body && typeof request.body === 'object') Object.assign(params, request.body);
  return params;
}

function truthy(value: unknown): boolean {
  return value === true || value === 'true' || value === '1' || value === 1;
}

/** Slack cursors are opaque base64, e.g. base64("user:U0123"). */
function encodeCursor(userId: string): string {
  return Buffer.from(`user:${userId}`).toString('base64');
}

function decodeCursor(cursor: string): string | undefined {
  const decoded = Buffer.from(cursor, 'base64').toString('utf8');
  return decoded.startsWith('user:') ? decoded.slice(5) : undefined;
}
