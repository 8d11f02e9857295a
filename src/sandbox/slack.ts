/**
 * A fake Slack Web API: POST (form-encoded or JSON) or GET to /api/<method>, `{ ok: false, error }` bodies,
 * cursor paging in `response_metadata.next_cursor`, bearer-token and per-token scope checks, and Slack's Tier limits
 * as 429 + Retry-After when a test sets them. Methods: auth.test; users.info, users.list; usergroups.list,
 * usergroups.users.list, usergroups.create, usergroups.update, usergroups.users.update, usergroups.enable,
 * usergroups.disable; chat.postMessage, chat.update; conversations.open, conversations.history,
 * conversations.replies; reactions.get. The state is plain data so tests and the sandbox page can read it.
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
    email?: string;
  };
}

export interface FakeSlackUsergroup {
  id: string;
  team_id: string;
  handle: string;
  name: string;
  description: string;
  is_usergroup: true;
  date_create: number;
  date_update: number;
  date_delete: number;
  created_by: string;
  updated_by: string;
  users: string[];
}

export interface FakeSlackReaction {
  name: string;
  users: string[];
  count: number;
}

/** A message as conversations.history returns it (metadata only with include_all_metadata). */
export interface FakeSlackMessage {
  type: 'message';
  ts: string;
  /** The author: a person, or the bot's user ID for the app's own posts. */
  user: string;
  bot_id?: string;
  app_id?: string;
  text: string;
  blocks?: unknown[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  /** Set on replies (and on a thread's parent, equal to its own ts). */
  thread_ts?: string;
  /** On a thread's parent: how many replies, by whom (the first five repliers; the count says how many in all). */
  reply_count?: number;
  reply_users?: string[];
  reply_users_count?: number;
  latest_reply?: string;
  reactions?: FakeSlackReaction[];
  edited?: { user: string; ts: string };
}

export interface FakeSlackChannel {
  id: string;
  /** Channel name without "#"; for a DM, the other person's user ID. */
  name: string;
  is_channel: boolean;
  is_private: boolean;
  is_im: boolean;
  is_archived: boolean;
  /** For a DM: the person the bot talks to. */
  user?: string;
  /** Who is in the conversation (the bot included when it was invited). */
  members: string[];
  /** Every message, replies included, oldest first. */
  messages: FakeSlackMessage[];
}

export interface FakeSlackState {
  teamId: string;
  /** Valid tokens and their scopes: a test takes a scope away by editing the list. */
  tokens: Record<string, { scopes: string[] }>;
  users: Record<string, FakeSlackUser>;
  usergroups: FakeSlackUsergroup[];
  /** The app's bot user (what auth.test answers and who authors the app's messages). */
  bot: { userId: string; botId: string; appId: string; name: string };
  channels: Record<string, FakeSlackChannel>;
  /**
   * Who may create, edit and disable user groups (Workspace settings → Permissions → User Groups). A bot token works
   * only when everyone may; otherwise the write methods answer permission_denied, as Slack does.
   */
  usergroupEdits: 'everyone' | 'admins';
  /** Requests allowed per method per minute (Slack's tiers, e.g. Tier 2 = 20); methods without an entry are free. */
  rateLimits: Record<string, number>;
}

export interface SlackUserSeed {
  id: string;
  displayName?: string;
  realName?: string;
  email?: string;
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

export interface SlackChannelSeed {
  name: string;
  id?: string;
  private?: boolean;
  archived?: boolean;
  /** Whether the bot has been invited (default true). */
  botIsMember?: boolean;
  members?: string[];
}

export interface FakeSlackOptions {
  users?: SlackUserSeed[];
  usergroups?: SlackUsergroupSeed[];
  channels?: SlackChannelSeed[];
  /** The token the fake accepts; generated (xoxb-test-…) when absent. */
  token?: string;
  /** The token's scopes (default usergroups:read, users:read). */
  scopes?: string[];
  /** users.list page size when the caller gives no `limit`. */
  defaultPageSize?: number;
  usergroupEdits?: FakeSlackState['usergroupEdits'];
  rateLimits?: Record<string, number>;
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
  /** Adds a channel as if made in Slack (the bot invited unless `botIsMember: false`). */
  addChannel(seed: SlackChannelSeed): FakeSlackChannel;
  /** A channel's top-level messages, oldest first (what a person scrolling the channel sees). */
  messagesIn(channelId: string): FakeSlackMessage[];
  /** The bot's DM with a person, if one was opened. */
  dmWith(userId: string): FakeSlackChannel | undefined;
  /** A person writes in a conversation (a reply when `threadTs` is given). */
  postAsUser(channelId: string, userId: string, text: string, threadTs?: string): FakeSlackMessage;
  /** A person reacts to a message. */
  addReaction(channelId: string, ts: string, name: string, userId: string): void;
  close(): Promise<void>;
}

export const TEAM_ID = 'T0TEST0001';
/** The scopes a bot token starts with unless a test says otherwise (what the member lookup needs). */
export const DEFAULT_FAKE_SCOPES = ['usergroups:read', 'users:read'];
/** Slack's documented limits on one message. */
export const SLACK_MAX_TEXT = 40_000;
export const SLACK_MAX_BLOCKS = 50;
export const SLACK_MAX_SECTION_TEXT = 3_000;
/** A thread's parent lists this many repliers at most (`reply_users_count` says how many in all). */
export const MAX_REPLY_USERS = 5;

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
      ...(seed.email ? { email: seed.email } : {}),
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
    date_create: 1700000000,
    date_update: 1700000000,
    date_delete: seed.disabled ? 1700000000 : 0,
    created_by: 'U0ADMIN',
    updated_by: 'U0ADMIN',
    users: [...seed.users],
  };
}

/** The scope each method needs; 'history' stands for the one of the conversation's kind (see historyScope). */
const SCOPE_FOR_METHOD: Record<string, string | undefined> = {
  'auth.test': undefined,
  'usergroups.list': 'usergroups:read',
  'usergroups.users.list': 'usergroups:read',
  'usergroups.create': 'usergroups:write',
  'usergroups.update': 'usergroups:write',
  'usergroups.users.update': 'usergroups:write',
  'usergroups.enable': 'usergroups:write',
  'usergroups.disable': 'usergroups:write',
  'users.info': 'users:read',
  'users.list': 'users:read',
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'conversations.open': 'im:write',
  'conversations.history': 'history',
  'conversations.replies': 'history',
  'reactions.get': 'reactions:read',
};

/** Every scope the fake knows of: what the sandbox's token is granted. */
export const FAKE_SLACK_SCOPES: string[] = [
  ...new Set([
    ...Object.values(SCOPE_FOR_METHOD).filter((s): s is string => s !== undefined && s !== 'history'),
    'channels:history',
    'groups:history',
    'im:history',
    'users:read.email',
  ]),
];

/** A user as a token sees them: Slack leaves `profile.email` out unless the token has users:read.email. */
function userAsSeen(user: FakeSlackUser, scopes: string[]): FakeSlackUser {
  if (scopes.includes('users:read.email') || user.profile.email === undefined) return user;
  const { email: _hidden, ...profile } = user.profile;
  return { ...user, profile };
}

function historyScope(channel: FakeSlackChannel): string {
  if (channel.is_im) return 'im:history';
  return channel.is_private ? 'groups:history' : 'channels:history';
}

type Params = Record<string, unknown>;

/** A Slack error, answered as `{ ok: false, error, ...extra }` (HTTP 200, as Slack does for API errors). */
class SlackApiFailure extends Error {
  constructor(
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(error);
  }
}

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const token = options.token ?? fakeSlackToken();
  const state: FakeSlackState = {
    teamId: TEAM_ID,
    tokens: { [token]: { scopes: options.scopes ?? [...DEFAULT_FAKE_SCOPES] } },
    users: Object.fromEntries((options.users ?? []).map((seed) => [seed.id, slackUser(seed)])),
    usergroups: (options.usergroups ?? []).map((seed, i) => slackUsergroup(seed, i)),
    bot: { userId: 'U0BOT', botId: 'B0BOT', appId: 'A0TEAMROLES', name: 'team-roles' },
    channels: {},
    usergroupEdits: options.usergroupEdits ?? 'everyone',
    rateLimits: { ...options.rateLimits },
  };
  const defaultPageSize = options.defaultPageSize ?? 200;
  const callTimes = new Map<string, number[]>();
  let lastTs = 0;
  let groupsCreated = 0;

  /** Message timestamps: unique and increasing, seconds with microseconds, as Slack's are. */
  function nextTs(): string {
    lastTs = Math.max(Date.now() * 1000, lastTs + 1);
    return `${Math.floor(lastTs / 1e6)}.${String(lastTs % 1e6).padStart(6, '0')}`;
  }

  function addChannel(seed: SlackChannelSeed): FakeSlackChannel {
    const id =
      seed.id ?? `${seed.private ? 'G' : 'C'}0TEST${String(Object.keys(state.channels).length + 1).padStart(4, '0')}`;
    const members = [...(seed.members ?? [])];
    if (seed.botIsMember !== false && !members.includes(state.bot.userId)) members.push(state.bot.userId);
    const channel: FakeSlackChannel = {
      id,
      name: seed.name.replace(/^#/, ''),
      is_channel: !seed.private,
      is_private: seed.private ?? false,
      is_im: false,
      is_archived: seed.archived ?? false,
      members,
      messages: [],
    };
    state.channels[id] = channel;
    return channel;
  }
  for (const seed of options.channels ?? []) addChannel(seed);

  function dmWith(userId: string): FakeSlackChannel | undefined {
    return Object.values(state.channels).find((c) => c.is_im && c.user === userId);
  }

  function openDm(userId: string): { channel: FakeSlackChannel; alreadyOpen: boolean } {
    const existing = dmWith(userId);
    if (existing) return { channel: existing, alreadyOpen: true };
    const channel: FakeSlackChannel = {
      id: `D${userId.replace(/^[UW]/, '')}`,
      name: userId,
      is_channel: false,
      is_private: true,
      is_im: true,
      is_archived: false,
      user: userId,
      members: [userId, state.bot.userId],
      messages: [],
    };
    state.channels[channel.id] = channel;
    return { channel, alreadyOpen: false };
  }

  function findChannel(ref: unknown): FakeSlackChannel {
    const value = typeof ref === 'string' ? ref.trim() : '';
    if (!value) throw new SlackApiFailure('channel_not_found');
    const byId = state.channels[value];
    if (byId) return byId;
    const name = value.replace(/^#/, '');
    const byName = Object.values(state.channels).find((c) => !c.is_im && c.name === name);
    if (byName) return byName;
    throw new SlackApiFailure('channel_not_found');
  }

  function topLevel(channel: FakeSlackChannel): FakeSlackMessage[] {
    return channel.messages.filter((m) => !m.thread_ts || m.thread_ts === m.ts);
  }

  function findMessage(channel: FakeSlackChannel, ts: unknown): FakeSlackMessage {
    const message = channel.messages.find((m) => m.ts === ts);
    if (!message) throw new SlackApiFailure('message_not_found');
    return message;
  }

  /** A reply joins its parent's thread; the parent keeps Slack's thread summary up to date. */
  function addToThread(channel: FakeSlackChannel, parent: FakeSlackMessage, reply: FakeSlackMessage): void {
    parent.thread_ts = parent.ts;
    parent.reply_count = (parent.reply_count ?? 0) + 1;
    const earlier = channel.messages.filter((m) => m !== parent && m.thread_ts === parent.ts).map((m) => m.user);
    const repliers = [...new Set([...earlier, reply.user])];
    parent.reply_users = repliers.slice(0, MAX_REPLY_USERS);
    parent.reply_users_count = repliers.length;
    parent.latest_reply = reply.ts;
    reply.thread_ts = parent.ts;
  }

  function requireScope(scopes: string[], needed: string): void {
    if (!scopes.includes(needed)) {
      throw new SlackApiFailure(
        'missing_scope',
        { needed, provided: scopes.join(',') },
        { 'x-oauth-scopes': scopes.join(','), 'x-accepted-oauth-scopes': needed },
      );
    }
  }

  /** Content checks shared by chat.postMessage and chat.update, with Slack's limits. */
  function messageContent(params: Params): Pick<FakeSlackMessage, 'text' | 'blocks' | 'metadata'> {
    const text = typeof params.text === 'string' ? params.text : '';
    const blocks = params.blocks === undefined ? undefined : jsonParam(params.blocks, 'invalid_blocks');
    if (blocks !== undefined) {
      if (!Array.isArray(blocks)) throw new SlackApiFailure('invalid_blocks', { errors: ['must be an array'] });
      if (blocks.length > SLACK_MAX_BLOCKS) {
        throw new SlackApiFailure('invalid_blocks', {
          errors: [`must provide an array with no more than ${SLACK_MAX_BLOCKS} items [json-pointer:]`],
        });
      }
      blocks.forEach((block: unknown, i) => checkBlock(block, i));
    }
    if (!text && !(blocks && blocks.length > 0)) throw new SlackApiFailure('no_text');
    if (text.length > SLACK_MAX_TEXT) throw new SlackApiFailure('msg_too_long');
    let metadata: FakeSlackMessage['metadata'];
    if (params.metadata !== undefined && params.metadata !== '') {
      const parsed = jsonParam(params.metadata, 'invalid_metadata_format') as Record<string, unknown> | null;
      if (
        !parsed ||
        typeof parsed !== 'object' ||
        typeof parsed.event_type !== 'string' ||
        !/^[A-Za-z0-9_]+$/.test(parsed.event_type) ||
        typeof parsed.event_payload !== 'object' ||
        parsed.event_payload === null
      ) {
        throw new SlackApiFailure('invalid_metadata_format');
      }
      metadata = {
        event_type: parsed.event_type,
        event_payload: parsed.event_payload as Record<string, unknown>,
      };
    }
    return { text, ...(blocks ? { blocks } : {}), ...(metadata ? { metadata } : {}) };
  }

  function checkBlock(block: unknown, index: number): void {
    const b = block as { type?: unknown; text?: { type?: unknown; text?: unknown } } | null;
    const pointer = `[json-pointer:/blocks/${index}`;
    if (!b || typeof b !== 'object' || typeof b.type !== 'string') {
      throw new SlackApiFailure('invalid_blocks', { errors: [`missing required field: type ${pointer}]`] });
    }
    if (b.type === 'section' || b.type === 'header') {
      const text = b.text?.text;
      if (typeof text !== 'string' || (b.text?.type !== 'mrkdwn' && b.text?.type !== 'plain_text')) {
        throw new SlackApiFailure('invalid_blocks', { errors: [`invalid text object ${pointer}/text]`] });
      }
      const max = b.type === 'header' ? 150 : SLACK_MAX_SECTION_TEXT;
      if (text.length > max) {
        throw new SlackApiFailure('invalid_blocks', {
          errors: [`must be less than ${max + 1} characters ${pointer}/text/text]`],
        });
      }
    }
  }

  /** The bot may post where it is a member (public channels too: this app has no chat:write.public). */
  function requireMember(channel: FakeSlackChannel): void {
    if (!channel.members.includes(state.bot.userId)) throw new SlackApiFailure('not_in_channel');
  }

  function requireReadable(channel: FakeSlackChannel, scopes: string[]): void {
    requireScope(scopes, historyScope(channel));
    if (!channel.members.includes(state.bot.userId)) throw new SlackApiFailure('not_in_channel');
  }

  function withMetadata(message: FakeSlackMessage, include: boolean): FakeSlackMessage {
    if (include || !message.metadata) return message;
    const { metadata: _metadata, ...rest } = message;
    return rest;
  }

  /** Newest first, `oldest` < ts < `latest` (bounds included with `inclusive`), paged by an opaque cursor. */
  function historyPage(messages: FakeSlackMessage[], params: Params, newestFirst: boolean) {
    const inclusive = truthy(params.inclusive);
    const oldest = params.oldest !== undefined && params.oldest !== '' ? Number(params.oldest) : undefined;
    const latest = params.latest !== undefined && params.latest !== '' ? Number(params.latest) : undefined;
    const limit = Math.min(Math.max(Number(params.limit) || 100, 1), 999);
    let list = messages.filter((m) => {
      const ts = Number(m.ts);
      if (oldest !== undefined && (inclusive ? ts < oldest : ts <= oldest)) return false;
      if (latest !== undefined && (inclusive ? ts > latest : ts >= latest)) return false;
      return true;
    });
    if (newestFirst) list = [...list].reverse();
    let start = 0;
    if (typeof params.cursor === 'string' && params.cursor !== '') {
      const after = decodeCursor(params.cursor, 'ts');
      if (after === undefined) throw new SlackApiFailure('invalid_cursor');
      start = list.findIndex((m) => m.ts === after);
      if (start < 0) throw new SlackApiFailure('invalid_cursor');
    }
    const page = list.slice(start, start + limit);
    const next = list[start + limit];
    const include = truthy(params.include_all_metadata);
    return {
      messages: page.map((m) => withMetadata(m, include)),
      has_more: next !== undefined,
      response_metadata: { next_cursor: next ? encodeCursor('ts', next.ts) : '' },
    };
  }

  function groupById(id: unknown): FakeSlackUsergroup {
    const group = state.usergroups.find((g) => g.id === id);
    if (!group) throw new SlackApiFailure('no_such_subteam');
    return group;
  }

  function requireUsergroupEdits(): void {
    if (state.usergroupEdits !== 'everyone') throw new SlackApiFailure('permission_denied');
  }

  function handleTaken(handle: string, except?: FakeSlackUsergroup): boolean {
    return (
      state.usergroups.some((g) => g !== except && g.handle === handle) ||
      Object.values(state.users).some((u) => u.name === handle) ||
      Object.values(state.channels).some((c) => !c.is_im && c.name === handle)
    );
  }

  function groupView(group: FakeSlackUsergroup, withUsers: boolean, withCount: boolean) {
    const { users, ...rest } = group;
    return { ...rest, ...(withUsers ? { users: [...users] } : {}), ...(withCount ? { user_count: users.length } : {}) };
  }

  /** Slack's per-method limits: a sliding minute; over it, 429 with the seconds until a slot frees up. */
  function rateLimited(method: string): FakeResponse | undefined {
    const limit = state.rateLimits[method];
    if (limit === undefined) return undefined;
    const now = Date.now();
    const times = (callTimes.get(method) ?? []).filter((t) => t > now - 60_000);
    callTimes.set(method, times);
    if (times.length >= limit) {
      const retryAfter = Math.max(1, Math.ceil(((times[0] ?? now) + 60_000 - now) / 1000));
      return { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': String(retryAfter) } };
    }
    times.push(now);
    return undefined;
  }

  function usersParam(value: unknown): string[] {
    const list = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(',') : [];
    return list.map((id) => id.trim()).filter(Boolean);
  }

  function call(method: string, params: Params, scopes: string[]): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return {
          url: 'https://fake.slack.test/',
          team: 'Fake Team',
          team_id: state.teamId,
          user: state.bot.name,
          user_id: state.bot.userId,
          bot_id: state.bot.botId,
        };
      case 'usergroups.list': {
        const includeDisabled = truthy(params.include_disabled);
        const usergroups = state.usergroups
          .filter((group) => includeDisabled || group.date_delete === 0)
          .map((group) => groupView(group, truthy(params.include_users), truthy(params.include_count)));
        return { usergroups };
      }
      case 'usergroups.users.list': {
        const group = groupById(params.usergroup);
        if (group.date_delete !== 0 && !truthy(params.include_disabled)) throw new SlackApiFailure('no_such_subteam');
        return { users: [...group.users] };
      }
      case 'usergroups.create': {
        requireUsergroupEdits();
        const name = typeof params.name === 'string' ? params.name.trim() : '';
        if (!name) throw new SlackApiFailure('invalid_name');
        const handle = typeof params.handle === 'string' && params.handle.trim() ? params.handle.trim() : name;
        if (!/^[a-z0-9][a-z0-9._-]*$/.test(handle)) throw new SlackApiFailure('invalid_handle');
        if (state.usergroups.some((g) => g.name === name)) throw new SlackApiFailure('name_already_exists');
        if (handleTaken(handle)) throw new SlackApiFailure('handle_already_exists');
        const now = Math.floor(Date.now() / 1000);
        groupsCreated += 1;
        const group: FakeSlackUsergroup = {
          ...slackUsergroup(
            { handle, name, users: [], id: `S0NEW${String(groupsCreated).padStart(5, '0')}` },
            0,
            state.teamId,
          ),
          description: typeof params.description === 'string' ? params.description : '',
          date_create: now,
          date_update: now,
          created_by: state.bot.userId,
          updated_by: state.bot.userId,
        };
        state.usergroups.push(group);
        return { usergroup: groupView(group, true, truthy(params.include_count)) };
      }
      case 'usergroups.update': {
        const group = groupById(params.usergroup);
        requireUsergroupEdits();
        if (typeof params.name === 'string' && params.name.trim()) {
          if (state.usergroups.some((g) => g !== group && g.name === params.name)) {
            throw new SlackApiFailure('name_already_exists');
          }
          group.name = params.name.trim();
        }
        if (typeof params.handle === 'string' && params.handle.trim()) {
          if (handleTaken(params.handle.trim(), group)) throw new SlackApiFailure('handle_already_exists');
          group.handle = params.handle.trim();
        }
        if (typeof params.description === 'string') group.description = params.description;
        group.date_update = Math.floor(Date.now() / 1000);
        group.updated_by = state.bot.userId;
        return { usergroup: groupView(group, true, truthy(params.include_count)) };
      }
      case 'usergroups.users.update': {
        const group = groupById(params.usergroup);
        requireUsergroupEdits();
        const users = usersParam(params.users);
        // Slack cannot empty a group (usergroups.disable does that) and accepts only the workspace's people.
        if (users.length === 0) throw new SlackApiFailure('no_users_provided');
        for (const id of users) {
          const user = state.users[id];
          if (!user || user.deleted) throw new SlackApiFailure('invalid_users');
          if (user.is_bot) throw new SlackApiFailure('invalid_user');
        }
        group.users = [...new Set(users)];
        group.date_update = Math.floor(Date.now() / 1000);
        group.updated_by = state.bot.userId;
        return { usergroup: groupView(group, true, truthy(params.include_count)) };
      }
      case 'usergroups.enable':
      case 'usergroups.disable': {
        const group = groupById(params.usergroup);
        requireUsergroupEdits();
        group.date_delete = method === 'usergroups.enable' ? 0 : Math.floor(Date.now() / 1000);
        return { usergroup: groupView(group, true, truthy(params.include_count)) };
      }
      case 'users.info': {
        const user = typeof params.user === 'string' ? state.users[params.user] : undefined;
        if (!user) throw new SlackApiFailure('user_not_found');
        return { user: userAsSeen(user, scopes) };
      }
      case 'users.list': {
        const all = Object.values(state.users).sort((a, b) => a.id.localeCompare(b.id));
        const limit = Math.min(Math.max(Number(params.limit) || defaultPageSize, 1), 1000);
        let start = 0;
        if (typeof params.cursor === 'string' && params.cursor !== '') {
          const after = decodeCursor(params.cursor, 'user');
          if (after === undefined) throw new SlackApiFailure('invalid_cursor');
          start = all.findIndex((user) => user.id >= after);
          if (start < 0) start = all.length;
        }
        const members = all.slice(start, start + limit).map((user) => userAsSeen(user, scopes));
        const next = all[start + limit];
        return {
          members,
          cache_ts: Math.floor(Date.now() / 1000),
          response_metadata: { next_cursor: next ? encodeCursor('user', next.id) : '' },
        };
      }
      case 'chat.postMessage': {
        // Posting to a user ID goes to the bot's DM with them, as on Slack.
        const ref = typeof params.channel === 'string' ? params.channel : '';
        const channel = /^[UW][A-Z0-9]+$/.test(ref) && state.users[ref] ? openDm(ref).channel : findChannel(ref);
        if (channel.is_archived) throw new SlackApiFailure('is_archived');
        requireMember(channel);
        const content = messageContent(params);
        const message: FakeSlackMessage = {
          type: 'message',
          ts: nextTs(),
          user: state.bot.userId,
          bot_id: state.bot.botId,
          app_id: state.bot.appId,
          ...content,
        };
        if (typeof params.thread_ts === 'string' && params.thread_ts) {
          addToThread(channel, findMessage(channel, params.thread_ts), message);
        }
        channel.messages.push(message);
        return { channel: channel.id, ts: message.ts, message };
      }
      case 'chat.update': {
        const channel = findChannel(params.channel);
        const message = findMessage(channel, params.ts);
        if (message.user !== state.bot.userId) throw new SlackApiFailure('cant_update_message');
        const content = messageContent({ ...params, metadata: params.metadata ?? message.metadata });
        message.text = content.text;
        if (content.blocks) message.blocks = content.blocks;
        else delete message.blocks;
        if (content.metadata) message.metadata = content.metadata;
        message.edited = { user: state.bot.userId, ts: nextTs() };
        return { channel: channel.id, ts: message.ts, text: message.text, message };
      }
      case 'conversations.open': {
        if (typeof params.channel === 'string' && params.channel) {
          const channel = findChannel(params.channel);
          return { channel: { id: channel.id }, already_open: true };
        }
        const users = usersParam(params.users);
        if (users.length === 0) throw new SlackApiFailure('users_list_not_supplied');
        if (users.length > 1) throw new SlackApiFailure('not_supported_by_fake', { detail: 'group DMs' });
        const user = state.users[users[0] as string];
        if (!user) throw new SlackApiFailure('user_not_found');
        if (user.deleted) throw new SlackApiFailure('user_disabled');
        if (user.is_bot) throw new SlackApiFailure('cannot_dm_bot');
        const { channel, alreadyOpen } = openDm(user.id);
        return {
          channel: truthy(params.return_im)
            ? { id: channel.id, is_im: true, user: user.id, created: Math.floor(Date.now() / 1000) }
            : { id: channel.id },
          ...(alreadyOpen ? { already_open: true, no_op: true } : {}),
        };
      }
      case 'conversations.history': {
        const channel = findChannel(params.channel);
        requireReadable(channel, scopes);
        return historyPage(topLevel(channel), params, true);
      }
      case 'conversations.replies': {
        const channel = findChannel(params.channel);
        requireReadable(channel, scopes);
        const parent = channel.messages.find((m) => m.ts === params.ts);
        if (!parent) throw new SlackApiFailure('thread_not_found');
        const thread = channel.messages.filter((m) => m === parent || (m.thread_ts === parent.ts && m !== parent));
        return historyPage(thread, params, false);
      }
      case 'reactions.get': {
        const channel = findChannel(params.channel);
        if (!channel.members.includes(state.bot.userId)) throw new SlackApiFailure('channel_not_found');
        const message = findMessage(channel, params.timestamp);
        return { type: 'message', channel: channel.id, message };
      }
      default:
        throw new SlackApiFailure('unknown_method');
    }
  }

  function handle(request: FakeRequest): FakeResponse {
    const match = /^\/api\/([\w.]+)$/.exec(request.path);
    if (!match) return { status: 404, body: 'Not Found' };
    const method = match[1] as string;
    const params = paramsOf(request);
    const fail = (failure: SlackApiFailure): FakeResponse => ({
      status: 200,
      body: { ok: false, error: failure.error, ...failure.extra },
      headers: failure.headers,
    });

    const presented = bearerToken(request.headers) ?? (typeof params.token === 'string' ? params.token : undefined);
    if (!presented) return fail(new SlackApiFailure('not_authed'));
    const grant = state.tokens[presented];
    if (!grant) return fail(new SlackApiFailure('invalid_auth'));
    if (!(method in SCOPE_FOR_METHOD)) return fail(new SlackApiFailure('unknown_method'));
    const limited = rateLimited(method);
    if (limited) return limited;
    const scopes = grant.scopes;
    try {
      const needed = SCOPE_FOR_METHOD[method];
      if (needed && needed !== 'history') requireScope(scopes, needed);
      return {
        status: 200,
        body: { ok: true, ...call(method, params, scopes) },
        headers: { 'x-oauth-scopes': scopes.join(',') },
      };
    } catch (err) {
      if (err instanceof SlackApiFailure) return fail(err);
      throw err;
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
    addChannel,
    messagesIn: (channelId) => {
      const channel = state.channels[channelId];
      return channel ? topLevel(channel) : [];
    },
    dmWith,
    postAsUser(channelId, userId, text, threadTs) {
      const channel = findChannel(channelId);
      const message: FakeSlackMessage = { type: 'message', ts: nextTs(), user: userId, text };
      if (threadTs) addToThread(channel, findMessage(channel, threadTs), message);
      channel.messages.push(message);
      return message;
    },
    addReaction(channelId, ts, name, userId) {
      const message = findMessage(findChannel(channelId), ts);
      message.reactions ??= [];
      let reaction = message.reactions.find((r) => r.name === name);
      if (!reaction) {
        reaction = { name, users: [], count: 0 };
        message.reactions.push(reaction);
      }
      if (!reaction.users.includes(userId)) {
        reaction.users.push(userId);
        reaction.count = reaction.users.length;
      }
    },
    close: () => server.close(),
  };
}

/** Query parameters merged with the form or JSON body, as Slack reads them. */
function paramsOf(request: FakeRequest): Params {
  const params: Params = Object.fromEntries(request.query);
  if (request.body && typeof request.body === 'object') Object.assign(params, request.body);
  return params;
}

/** A JSON argument: form bodies carry it as a JSON string, JSON bodies as the value itself. */
function jsonParam(value: unknown, error: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new SlackApiFailure(error);
  }
}

function truthy(value: unknown): boolean {
  return value === true || value === 'true' || value === '1' || value === 1;
}

/** Slack cursors are opaque base64, e.g. base64("user:U0123"). */
function encodeCursor(kind: string, value: string): string {
  return Buffer.from(`${kind}:${value}`).toString('base64');
}

function decodeCursor(cursor: string, kind: string): string | undefined {
  const decoded = Buffer.from(cursor, 'base64').toString('utf8');
  return decoded.startsWith(`${kind}:`) ? decoded.slice(kind.length + 1) : undefined;
}
