/**
 * A fake Geekbot v1 API: GET/POST /v1/standups, GET/PATCH/DELETE /v1/standups/{id}, GET/POST /v1/reports,
 * authenticated by a personal API key in `Authorization: <key>` (no "Bearer"). Standups come back in Geekbot's shape:
 * `users` as user objects, `questions` as question objects with `text`, `wait_time` in seconds (it is written in
 * minutes). Reports come back as Geekbot's timeline lists them: newest first, `timestamp` in unix seconds, `member`
 * a compact user (`profileImg`), `questions` the answers (`question`, `question_id`, `answer`), filtered by
 * `standup_id`, `user_id`, `after` and `before` (unix seconds; the fake takes them as exclusive bounds) and cut at
 * `limit`. As on Geekbot, a key only sees the standups (and their reports) its owner takes part in.
 */
import {
  randomHex,
  startFakeServer,
  type FakeRequest,
  type FakeResponse,
  type FaultOptions,
  type RecordedRequest,
} from './http';

export interface FakeGeekbotUser {
  id: string;
  role: 'admin' | 'member';
  email: string;
  username: string;
  realname: string | null;
  profile_img: string;
}

export interface FakeGeekbotQuestion {
  id: number;
  color: string;
  text: string;
  schedule: null;
  answer_type: 'text';
  answer_choices: string[];
  hasAnswers: boolean;
  is_random: boolean;
  random_texts: string[];
  prefilled_by: null;
  text_id: number;
  preconditions: unknown[];
  label: null;
  flavor: string;
}

export interface FakeGeekbotStandup {
  id: number;
  name: string;
  time: string;
  /** Seconds. */
  wait_time: number;
  timezone: string;
  days: string[];
  channel: string;
  channel_ready: boolean;
  questions: FakeGeekbotQuestion[];
  users: FakeGeekbotUser[];
  users_total: number;
  webhooks: unknown[];
  /** The creator's user ID. */
  master: string;
  sync_channel_members: boolean;
  sync_channel_ready: boolean;
  sync_channel: string | null;
  confidential: boolean;
  anonymous: boolean;
  draft: boolean;
  paused: boolean;
}

/** An answer in a report, as GET /v1/reports lists it. */
export interface FakeGeekbotAnswer {
  id: number;
  question: string;
  question_id: number;
  color: string;
  answer: string;
  answer_type: 'text';
  images: unknown[];
}

/** A report as GET /v1/reports (Geekbot's timeline) returns it. */
export interface FakeGeekbotReport {
  id: number;
  slack_ts: string | null;
  standup_id: number;
  /** Unix seconds. */
  timestamp: number;
  channel: string;
  is_anonymous: boolean;
  broadcast_thread: boolean;
  is_confidential: boolean;
  standup_name: string;
  member: { id: string; username: string; realname: string | null; profileImg: string };
  questions: FakeGeekbotAnswer[];
}

export interface FakeGeekbotState {
  /** Valid API keys and the user each belongs to (Geekbot keys are personal). */
  apiKeys: Record<string, string>;
  /** Known people, for the user objects in responses (unknown IDs get a bare object). */
  users: Record<string, { username?: string; realname?: string; email?: string }>;
  standups: FakeGeekbotStandup[];
  reports: FakeGeekbotReport[];
  nextStandupId: number;
  nextQuestionId: number;
  nextReportId: number;
}

export interface StandupSeed {
  name: string;
  users: string[];
  questions: string[];
  id?: number;
  channel?: string;
  days?: string[];
  time?: string;
  timezone?: string;
  /** Minutes, as written. */
  waitMinutes?: number;
  master?: string;
  syncChannelMembers?: boolean;
}

export interface FakeGeekbotOptions {
  /** The key the fake accepts; generated (test-geekbot-…) when absent. */
  apiKey?: string;
  /** Whose key it is (default "U0MANAGER"). */
  owner?: string;
  standups?: StandupSeed[];
  faults?: FaultOptions;
}

export interface FakeGeekbot {
  /** The GEEKBOT_API_URL to use: http://127.0.0.1:<port> */
  url: string;
  apiKey: string;
  owner: string;
  state: FakeGeekbotState;
  requests: RecordedRequest[];
  faults: FaultOptions;
  /** "METHOD /path" of the logged requests, e.g. ["GET /v1/standups", "PATCH /v1/standups/1"]. */
  calls(): string[];
  clearRequests(): void;
  /** Adds a standup as if made in Geekbot's dashboard. */
  seedStandup(seed: StandupSeed): FakeGeekbotStandup;
  /**
   * A member answers the standup (in Slack, to Geekbot): `text` answers every question. `at` (ms, default now) is
   * when; a report for an unknown standup throws.
   */
  answerAs(userId: string, standupId: number, text: string, at?: number): FakeGeekbotReport;
  close(): Promise<void>;
}

export function fakeGeekbotKey(): string {
  return `test-geekbot-${randomHex(12)}`;
}

export async function startFakeGeekbot(options: FakeGeekbotOptions = {}): Promise<FakeGeekbot> {
  const apiKey = options.apiKey ?? fakeGeekbotKey();
  const owner = options.owner ?? 'U0MANAGER';
  const state: FakeGeekbotState = {
    apiKeys: { [apiKey]: owner },
    users: {},
    standups: [],
    reports: [],
    nextStandupId: 1,
    nextQuestionId: 1,
    nextReportId: 1,
  };

  const userObject = (id: string): FakeGeekbotUser => {
    const known = state.users[id];
    return {
      id,
      role: 'member',
      email: known?.email ?? `${id.toLowerCase()}@example.test`,
      username: known?.username ?? id.toLowerCase(),
      realname: known?.realname ?? null,
      profile_img: '',
    };
  };
  const question = (text: string): FakeGeekbotQuestion => {
    const id = state.nextQuestionId++;
    return {
      id,
      color: '#EEEEEE',
      text,
      schedule: null,
      answer_type: 'text',
      answer_choices: [],
      hasAnswers: false,
      is_random: false,
      random_texts: [],
      prefilled_by: null,
      text_id: id,
      preconditions: [],
      label: null,
      flavor: '',
    };
  };
  const makeStandup = (seed: StandupSeed): FakeGeekbotStandup => {
    const id = seed.id ?? state.nextStandupId;
    state.nextStandupId = Math.max(state.nextStandupId, id + 1);
    const users = seed.users.map(userObject);
    return {
      id,
      name: seed.name,
      time: seed.time ?? '10:00:00',
      wait_time: (seed.waitMinutes ?? 10) * 60,
      timezone: seed.timezone ?? 'user_local',
      days: seed.days ?? ['Wed'],
      channel: seed.channel ?? '#general',
      channel_ready: true,
      questions: seed.questions.map(question),
      users,
      users_total: users.length,
      webhooks: [],
      master: seed.master ?? owner,
      sync_channel_members: seed.syncChannelMembers ?? false,
      sync_channel_ready: false,
      sync_channel: null,
      confidential: false,
      anonymous: false,
      draft: false,
      paused: false,
    };
  };
  for (const seed of options.standups ?? []) state.standups.push(makeStandup(seed));

  const error = (status: number, message: string): FakeResponse => ({ status, body: { error: message } });
  const visibleTo = (standup: FakeGeekbotStandup, userId: string): boolean =>
    standup.master === userId || standup.users.some((user) => user.id === userId);

  /** Applies POST/PATCH fields; returns an error message for invalid input. */
  function apply(standup: FakeGeekbotStandup, body: Record<string, unknown>, creating: boolean): string | undefined {
    const sync = body.sync_channel_members === true;
    if (creating) {
      if (typeof body.name !== 'string' || body.name === '') return 'name is required';
      if (typeof body.channel !== 'string') return 'channel is required';
      if (body.time === undefined || body.days === undefined) return 'time amd days must be set';
      if (body.questions === undefined) return 'Please define questions';
      if (!sync && body.users === undefined) {
        return 'You should send an array with users to add to the standup or use the sync channel members option';
      }
    } else if (body.sync_channel_members === false && body.users === undefined) {
      return 'You tried to set participants manually but "users" param is missing';
    }
    if (body.time !== undefined && (typeof body.time !== 'string' || !/^\d{2}:\d{2}:\d{2}$/.test(body.time))) {
      return 'Time should be in format xx:xx:xx (24 hours format)';
    }
    if (body.questions !== undefined) {
      if (!Array.isArray(body.questions)) return '"questions" must be an array of objects having a "question" property';
      for (const q of body.questions as unknown[]) {
        if (!q || typeof q !== 'object' || typeof (q as { question?: unknown }).question !== 'string') {
          return 'Each question must have a "question" property';
        }
      }
    }
    if (body.users !== undefined && (!Array.isArray(body.users) || body.users.some((u) => typeof u !== 'string'))) {
      return '"users" must be an array of user IDs';
    }
    if (typeof body.name === 'string') standup.name = body.name;
    if (typeof body.channel === 'string') standup.channel = body.channel;
    if (typeof body.time === 'string') standup.time = body.time;
    if (typeof body.timezone === 'string') standup.timezone = body.timezone;
    if (Array.isArray(body.days)) standup.days = body.days.map(String);
    if (body.wait_time !== undefined) standup.wait_time = body.wait_time === null ? -1 : Number(body.wait_time) * 60;
    if (typeof body.sync_channel_members === 'boolean') standup.sync_channel_members = body.sync_channel_members;
    if (Array.isArray(body.users)) {
      standup.users = [...new Set(body.users as string[])].map(userObject);
      standup.users_total = standup.users.length;
    }
    if (Array.isArray(body.questions)) {
      standup.questions = (body.questions as Array<{ question: string }>).map((q) => question(q.question));
    }
    return undefined;
  }

  function makeReport(standup: FakeGeekbotStandup, userId: string, texts: string[], atMs: number): FakeGeekbotReport {
    const user = userObject(userId);
    const id = state.nextReportId++;
    const report: FakeGeekbotReport = {
      id,
      slack_ts: null,
      standup_id: standup.id,
      timestamp: Math.floor(atMs / 1000),
      channel: standup.channel,
      is_anonymous: false,
      broadcast_thread: false,
      is_confidential: false,
      standup_name: standup.name,
      member: { id: user.id, username: user.username, realname: user.realname, profileImg: user.profile_img },
      questions: standup.questions.map((q, i) => ({
        id: id * 100 + i,
        question: q.text,
        question_id: q.id,
        color: q.color,
        answer: texts[i] ?? texts[0] ?? '',
        answer_type: 'text',
        images: [],
      })),
    };
    state.reports.push(report);
    return report;
  }

  /** `?after=`/`?before=`: unix seconds, or undefined when absent; NaN when not a number. */
  function seconds(query: URLSearchParams, name: string): number | undefined {
    const value = query.get(name);
    return value === null || value === '' ? undefined : /^\d+$/.test(value) ? Number(value) : NaN;
  }

  function listReports(query: URLSearchParams, userId: string): FakeResponse {
    const after = seconds(query, 'after');
    const before = seconds(query, 'before');
    if (Number.isNaN(after) || Number.isNaN(before)) return error(400, 'after and before must be unix timestamps');
    const limitText = query.get('limit');
    const limit = limitText === null ? 50 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1) return error(400, 'limit must be a positive integer');
    const standupId = query.get('standup_id');
    const memberId = query.get('user_id');
    const visible = new Set(state.standups.filter((s) => visibleTo(s, userId)).map((s) => s.id));
    const reports = state.reports
      .filter((r) => visible.has(r.standup_id))
      .filter((r) => standupId === null || String(r.standup_id) === standupId)
      .filter((r) => memberId === null || r.member.id === memberId)
      .filter((r) => (after === undefined || r.timestamp > after) && (before === undefined || r.timestamp < before))
      .sort((a, b) => b.timestamp - a.timestamp || b.id - a.id);
    return { status: 200, body: reports.slice(0, limit) };
  }

  /** POST /v1/reports: the key's owner reports (`answers` keyed by question ID, each `{ text }`). */
  function postReport(body: Record<string, unknown>, userId: string): FakeResponse {
    const standup = state.standups.find((s) => s.id === Number(body.standup_id));
    if (!standup || !visibleTo(standup, userId)) return error(404, 'Standup not found');
    const answers = body.answers;
    if (!answers || typeof answers !== 'object') return error(400, 'answers must be an object keyed by question id');
    const texts = standup.questions.map((q) => {
      const answer = (answers as Record<string, { text?: unknown } | undefined>)[String(q.id)];
      return typeof answer?.text === 'string' ? answer.text : '';
    });
    const report = makeReport(standup, userId, texts, Date.now());
    const { questions, member, ...rest } = report;
    const done = report.timestamp;
    return {
      status: 200,
      body: { ...rest, started_at: done, done_at: done, broadcasted_at: null, member, answers: questions },
    };
  }

  function handle(request: FakeRequest): FakeResponse {
    const key = request.headers.authorization?.trim();
    const userId = key ? state.apiKeys[key] : undefined;
    if (!userId) return error(401, 'Unauthorized');
    const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<string, unknown>;

    if (request.path === '/v1/standups') {
      if (request.method === 'GET') {
        return { status: 200, body: state.standups.filter((s) => s.users.some((u) => u.id === userId)) };
      }
      if (request.method === 'POST') {
        const standup = makeStandup({ name: '', users: [], questions: [], master: userId });
        const problem = apply(standup, body, true);
        if (problem) {
          state.nextStandupId -= 1; // the ID was not used
          return error(400, problem);
        }
        state.standups.push(standup);
        return { status: 200, body: standup };
      }
      return error(405, 'Method not allowed');
    }

    if (request.path === '/v1/reports' || request.path === '/v1/reports/') {
      if (request.method === 'GET') return listReports(request.query, userId);
      if (request.method === 'POST') return postReport(body, userId);
      return error(405, 'Method not allowed');
    }

    const match = /^\/v1\/standups\/(\d+)$/.exec(request.path);
    if (match) {
      const id = Number(match[1]);
      const index = state.standups.findIndex((s) => s.id === id);
      const standup = state.standups[index];
      // Geekbot answers some 404s with a bare JSON string rather than {"error": ...}.
      if (!standup || !visibleTo(standup, userId))
        return {
          status: 404,
          body: JSON.stringify('Standup not found'),
          headers: { 'content-type': 'application/json' },
        };
      switch (request.method) {
        case 'GET':
          return { status: 200, body: standup };
        case 'PATCH': {
          const draft = structuredClone(standup);
          const problem = apply(draft, body, false);
          if (problem) return error(400, problem);
          state.standups[index] = draft;
          return { status: 200, body: draft };
        }
        case 'DELETE':
          state.standups.splice(index, 1);
          return { status: 200, body: standup };
        default:
          return error(405, 'Method not allowed');
      }
    }
    return error(404, 'Not found');
  }

  const server = await startFakeServer({
    name: 'geekbot',
    faults: options.faults,
    handle,
    renderFault: (fault) =>
      fault.kind === 'rateLimit'
        ? {
            status: fault.status,
            body: { error: 'Too many requests' },
            headers: { 'retry-after': String(fault.retryAfterSeconds) },
          }
        : { status: fault.status, body: { error: 'Internal Server Error' } },
  });

  return {
    url: server.url,
    apiKey,
    owner,
    state,
    requests: server.requests,
    get faults() {
      return server.faults;
    },
    set faults(value: FaultOptions) {
      server.faults = value;
    },
    calls: () => server.requests.map((request) => `${request.method} ${request.path}`),
    clearRequests: () => server.clearRequests(),
    seedStandup: (seed) => {
      const standup = makeStandup(seed);
      state.standups.push(standup);
      return standup;
    },
    answerAs: (userId, standupId, text, at = Date.now()) => {
      const standup = state.standups.find((s) => s.id === standupId);
      if (!standup) throw new Error(`no fake Geekbot standup ${standupId}`);
      return makeReport(standup, userId, [text], at);
    },
    close: () => server.close(),
  };
}
