/** The fakes' own wire behaviour, spoken to with plain fetch (no client library smoothing things over). */
import assert from 'node:assert/strict';
import { createPrivateKey, sign } from 'node:crypto';
import { seededRandom } from '../../src/sandbox/http';
import {
  CALENDAR_EVENTS_READONLY_SCOPE,
  CALENDAR_READONLY_SCOPE,
  CALENDAR_SCOPE,
  GOOGLE_TOKEN_URL,
  startFakeCalendar,
  type FakeCalendarServer,
} from '../../src/sandbox/calendar';
import { startFakeGeekbot, type FakeGeekbot } from '../../src/sandbox/geekbot';
import { FAKE_SLACK_SCOPES, SLACK_MAX_TEXT, startFakeSlack, type FakeSlack } from '../../src/sandbox/slack';
import { testServiceAccount, type TestServiceAccount } from './helpers';

/** One Slack Web API call as a client library makes it: form-encoded, JSON values as strings, bearer token. */
async function slackApi(
  slack: FakeSlack,
  method: string,
  args: Record<string, unknown> = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(args)) {
    form.set(key, typeof value === 'string' ? value : JSON.stringify(value));
  }
  const response = await fetch(`${slack.url}${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${slack.token}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('fake services', () => {
  it('seeded faults repeat exactly; scripted faults apply `times` times to matching calls', async () => {
    const a = seededRandom(5);
    const b = seededRandom(5);
    assert.deepEqual([a(), a(), a()], [b(), b(), b()]);

    const slack = await startFakeSlack({ users: [{ id: 'U1', displayName: 'one' }] });
    try {
      const call = async () =>
        (
          await fetch(`${slack.url}users.info?user=U1`, { headers: { authorization: `Bearer ${slack.token}` } }).catch(
            () => ({ status: 'dropped' }),
          )
        ).status;
      slack.faults = {
        script: [{ match: 'users.info', kind: 'rateLimit', times: 2, retryAfterSeconds: 9 }, { kind: 'drop' }],
      };
      assert.deepEqual([await call(), await call(), await call(), await call()], [429, 429, 'dropped', 200]);
      assert.equal(slack.requests[0]?.fault, 'rateLimit');

      slack.faults = { seed: 3, rateLimitRate: 0.5 };
      const first: unknown[] = [];
      for (let i = 0; i < 8; i++) first.push(await call());
      slack.faults = { seed: 3, rateLimitRate: 0.5 };
      const second: unknown[] = [];
      for (let i = 0; i < 8; i++) second.push(await call());
      assert.deepEqual(first, second);
      assert.ok(first.includes(429) && first.includes(200));
    } finally {
      await slack.close();
    }
  });

  it('Slack: users.info and users.list show profile.email only to a token with users:read.email', async () => {
    const slack = await startFakeSlack({ users: [{ id: 'U1', displayName: 'one', email: 'one@example.test' }] });
    try {
      const email = async () => [
        ((await slackApi(slack, 'users.info', { user: 'U1' })).body.user as { profile: { email?: string } }).profile
          .email,
        ((await slackApi(slack, 'users.list')).body.members as Array<{ profile: { email?: string } }>)[0]?.profile
          .email,
      ];
      assert.deepEqual(await email(), [undefined, undefined]);
      slack.state.tokens[slack.token]!.scopes.push('users:read.email');
      assert.deepEqual(await email(), ['one@example.test', 'one@example.test']);
    } finally {
      await slack.close();
    }
  });

  it('Slack: form and JSON bodies, token in the body, ok:false errors', async () => {
    const slack = await startFakeSlack({ users: [{ id: 'U1', displayName: 'one' }] });
    try {
      const form = await fetch(`${slack.url}users.info`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: slack.token, user: 'U1' }),
      });
      assert.equal(((await form.json()) as { user: { id: string } }).user.id, 'U1');
      const json = await fetch(`${slack.url}users.info`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${slack.token}` },
        body: JSON.stringify({ user: 'U404' }),
      });
      assert.deepEqual(await json.json(), { ok: false, error: 'user_not_found' });
      const anonymous = await fetch(`${slack.url}auth.test`, { method: 'POST' });
      assert.deepEqual(await anonymous.json(), { ok: false, error: 'not_authed' });
    } finally {
      await slack.close();
    }
  });

  it('Geekbot: a key lists only its owner’s standups, and validates writes like Geekbot', async () => {
    const geekbot = await startFakeGeekbot({ owner: 'U0OWNER' });
    try {
      geekbot.seedStandup({ name: 'Mine', users: ['U0OWNER'], questions: ['?'] });
      geekbot.seedStandup({ name: 'Theirs', users: ['U0OTHER'], questions: ['?'], master: 'U0OTHER' });
      const headers = { authorization: geekbot.apiKey, 'content-type': 'application/json' };
      const list = (await (await fetch(`${geekbot.url}/v1/standups`, { headers })).json()) as Array<{ name: string }>;
      assert.deepEqual(
        list.map((s) => s.name),
        ['Mine'],
      );
      const bad = await fetch(`${geekbot.url}/v1/standups`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'x', channel: '#c' }),
      });
      assert.equal(bad.status, 400);
      assert.deepEqual(await bad.json(), { error: 'time amd days must be set' });
      const unauthorized = await fetch(`${geekbot.url}/v1/standups`, {
        headers: { authorization: `Bearer ${geekbot.apiKey}` },
      });
      assert.equal(unauthorized.status, 401);
    } finally {
      await geekbot.close();
    }
  });

  describe('Geekbot reports', () => {
    let geekbot: FakeGeekbot;
    let standupId: number;
    const T0 = Date.parse('2026-12-07T10:00:00Z');
    beforeEach(async () => {
      geekbot = await startFakeGeekbot({ owner: 'U0OWNER' });
      standupId = geekbot.seedStandup({
        name: 'SupportTriager',
        users: ['U0OWNER', 'U0CHLOE'],
        questions: ['Ready?'],
      }).id;
      geekbot.seedStandup({ name: 'Theirs', users: ['U0OTHER'], questions: ['?'], master: 'U0OTHER' });
    });
    afterEach(() => geekbot.close());

    const reports = async (query: Record<string, string>, key = geekbot.apiKey) => {
      const response = await fetch(`${geekbot.url}/v1/reports/?${new URLSearchParams(query).toString()}`, {
        headers: { authorization: key },
      });
      return { status: response.status, headers: response.headers, body: await response.json() };
    };

    it('lists a member’s reports newest first, within after/before (unix seconds), cut at limit', async () => {
      geekbot.answerAs('U0CHLOE', standupId, 'earlier turn', T0 - 7 * 86_400_000);
      geekbot.answerAs('U0CHLOE', standupId, 'ok', T0 + 60_000);
      geekbot.answerAs('U0CHLOE', standupId, 'ok again', T0 + 120_000);
      geekbot.answerAs('U0OWNER', standupId, 'me', T0 + 90_000);
      const after = String(T0 / 1000);
      const found = await reports({ standup_id: String(standupId), user_id: 'U0CHLOE', after });
      assert.equal(found.status, 200);
      const list = found.body as Array<Record<string, unknown>>;
      assert.deepEqual(
        list.map((r) => (r.questions as Array<{ answer: string }>)[0]?.answer),
        ['ok again', 'ok'],
      );
      const [newest] = list;
      assert.equal(newest?.timestamp, T0 / 1000 + 120);
      assert.equal(newest?.standup_id, standupId);
      assert.deepEqual(newest?.member, { id: 'U0CHLOE', username: 'u0chloe', realname: null, profileImg: '' });
      assert.deepEqual(Object.keys((newest?.questions as object[])[0] ?? {}).sort(), [
        'answer',
        'answer_type',
        'color',
        'id',
        'images',
        'question',
        'question_id',
      ]);
      const limited = await reports({ standup_id: String(standupId), user_id: 'U0CHLOE', limit: '1' });
      assert.equal((limited.body as unknown[]).length, 1);
      const before = await reports({ user_id: 'U0CHLOE', before: String(T0 / 1000 + 120) });
      assert.equal((before.body as unknown[]).length, 2, 'before is exclusive');
      const bad = await reports({ after: 'yesterday' });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body, { error: 'after and before must be unix timestamps' });
    });

    it('a key sees only its owner’s standups; the owner posts a report; 401, 429 with Retry-After and 5xx', async () => {
      const theirs = geekbot.state.standups.find((s) => s.name === 'Theirs')!.id;
      geekbot.answerAs('U0OTHER', theirs, 'hidden');
      assert.deepEqual((await reports({})).body, []);
      const question = geekbot.state.standups.find((s) => s.id === standupId)!.questions[0]!.id;
      const posted = await fetch(`${geekbot.url}/v1/reports`, {
        method: 'POST',
        headers: { authorization: geekbot.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ standup_id: standupId, answers: { [question]: { text: 'ok' } } }),
      });
      const report = (await posted.json()) as {
        member: { id: string };
        answers: Array<{ answer: string }>;
        done_at: number;
      };
      assert.equal(report.member.id, 'U0OWNER');
      assert.equal(report.answers[0]?.answer, 'ok');
      assert.equal(typeof report.done_at, 'number');
      assert.equal(((await reports({ user_id: 'U0OWNER' })).body as unknown[]).length, 1);
      assert.equal((await reports({}, 'not-a-key')).status, 401);
      geekbot.faults = {
        script: [
          { match: 'GET /v1/reports', kind: 'rateLimit', retryAfterSeconds: 7 },
          { match: 'GET /v1/reports', kind: 'serverError', status: 503 },
        ],
      };
      const limited = await reports({});
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '7');
      assert.equal((await reports({})).status, 503);
      assert.equal((await reports({})).status, 200);
      assert.throws(() => geekbot.answerAs('U0CHLOE', 999, 'x'), /no fake Geekbot standup 999/);
    });
  });

  it('Calendar: pages, timeMin bounds the end, q matches words, cancelled events hidden unless showDeleted', async () => {
    const calendar = await startFakeCalendar({ maxPageSize: 2 });
    const token = ['{"alg":"none"}', JSON.stringify({ scope: 'https://www.googleapis.com/auth/calendar' }), 'sig']
      .map((part, i) => (i < 2 ? Buffer.from(part).toString('base64url') : part))
      .join('.');
    try {
      calendar.seedEvent({ summary: 'Support Triager: a', start: '2025-01-01', end: '2025-01-15' });
      calendar.seedEvent({ summary: 'Support Triager: b', start: '2025-01-08', end: '2025-01-22' });
      calendar.seedEvent({
        summary: 'Support Triager: c',
        start: '2025-01-15',
        end: '2025-01-29',
        status: 'cancelled',
      });
      calendar.seedEvent({ summary: 'Lunch', start: '2025-01-20', end: '2025-01-21' });
      const base = `${calendar.url}calendar/v3/calendars/${encodeURIComponent(calendar.calendarId)}/events`;
      const get = async (query: string) =>
        (await (await fetch(`${base}?${query}`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
          items: Array<{ summary: string }>;
          nextPageToken?: string;
        };

      const page1 = await get('timeMin=2025-01-15T00:00:00Z&q=support%20triager&maxResults=10');
      assert.deepEqual(
        page1.items.map((e) => e.summary),
        ['Support Triager: b'],
      );
      const withDeleted = await get('timeMin=2025-01-15T00:00:00Z&q=triager&showDeleted=true');
      assert.deepEqual(
        withDeleted.items.map((e) => e.summary),
        ['Support Triager: b', 'Support Triager: c'],
      );
      const first = await get('');
      assert.equal(first.items.length, 2);
      assert.ok(first.nextPageToken);
      const second = await get(`pageToken=${first.nextPageToken}`);
      assert.deepEqual(
        second.items.map((e) => e.summary),
        ['Lunch'],
      );
      assert.equal(second.nextPageToken, undefined);

      const denied = await fetch(base);
      assert.equal(denied.status, 401);
    } finally {
      await calendar.close();
    }
  });

  describe('Calendar: out-of-office events and domain-wide delegation', () => {
    const ANN = 'ann@example.test';
    const BOB = 'bob@example.test';
    let account: TestServiceAccount;
    let calendar: FakeCalendarServer;
    before(() => {
      account = testServiceAccount();
    });
    beforeEach(async () => {
      calendar = await startFakeCalendar({ verifyKey: account.publicKeyPem });
    });
    afterEach(() => calendar.close());

    /** A JWT signed with the test key, as google-auth-library signs one (RS256). */
    const jwt = (claims: Record<string, unknown>, key = account.key.private_key): string => {
      const now = Math.floor(Date.now() / 1000);
      const encode = (part: unknown) => Buffer.from(JSON.stringify(part)).toString('base64url');
      const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({ iss: account.key.client_email, iat: now, exp: now + 3600, ...claims })}`;
      return `${unsigned}.${sign('RSA-SHA256', Buffer.from(unsigned), createPrivateKey(key)).toString('base64url')}`;
    };
    /** The token exchange gtoken makes: the JWT-bearer grant, form-encoded. */
    const exchange = async (claims: Record<string, unknown>) => {
      const response = await fetch(calendar.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          assertion: jwt({ aud: GOOGLE_TOKEN_URL, ...claims }),
        }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const list = async (token: string, calendarId: string, query = '') => {
      const response = await fetch(
        `${calendar.url}calendar/v3/calendars/${encodeURIComponent(calendarId)}/events?${query}`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      return {
        status: response.status,
        body: (await response.json()) as {
          items?: Array<{
            id: string;
            summary: string;
            eventType: string;
            start: { dateTime?: string; date?: string };
          }>;
          error?: { code: number; errors: Array<{ reason: string }>; status: string };
        },
      };
    };

    it('a token exchange with `sub` acts as that user: `primary` (or their address) is their calendar, eventTypes filters', async () => {
      calendar.grantDelegation(ANN);
      calendar.addOutOfOffice(ANN, { start: '2025-01-13T00:00:00Z', end: '2025-01-18T00:00:00Z', summary: 'Skiing' });
      calendar.addOutOfOffice(BOB, { start: '2025-01-14', end: '2025-01-15' });
      calendar.state.calendars[ANN]!.events.focus = {
        ...calendar.addOutOfOffice(ANN, { start: '2025-01-20T09:00:00Z', end: '2025-01-20T11:00:00Z', id: 'focus' }),
        eventType: 'focusTime',
      };

      const granted = await exchange({ sub: ANN, scope: CALENDAR_EVENTS_READONLY_SCOPE });
      assert.equal(granted.status, 200);
      assert.equal(granted.body.token_type, 'Bearer');
      assert.equal(granted.body.expires_in, 3599);
      const token = granted.body.access_token as string;

      const range = 'timeMin=2025-01-01T00:00:00Z&timeMax=2025-02-01T00:00:00Z&singleEvents=true';
      const ooo = await list(token, 'primary', `${range}&eventTypes=outOfOffice`);
      assert.equal(ooo.status, 200);
      assert.deepEqual(
        ooo.body.items?.map((e) => [e.summary, e.eventType, e.start.dateTime]),
        [['Skiing', 'outOfOffice', '2025-01-13T00:00:00.000Z']],
      );
      const every = await list(token, ANN, range);
      assert.deepEqual(every.body.items?.map((e) => e.eventType).sort(), ['focusTime', 'outOfOffice']);
      const both = await list(token, 'primary', `${range}&eventTypes=outOfOffice&eventTypes=focusTime`);
      assert.equal(both.body.items?.length, 2);
      // Ann is not Bob: his calendar is not shared with her, and Google answers 404 for that.
      const other = await list(token, BOB, range);
      assert.equal(other.status, 404);
      assert.equal(other.body.error?.errors[0]?.reason, 'notFound');
      // Reading is all the scope allows.
      const write = await fetch(`${calendar.url}calendar/v3/calendars/primary/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ summary: 'x', start: { date: '2025-01-01' }, end: { date: '2025-01-02' } }),
      });
      assert.equal(write.status, 403);
      assert.equal(
        ((await write.json()) as { error: { errors: [{ reason: string }] } }).error.errors[0].reason,
        'insufficientPermissions',
      );
      const badType = await list(token, 'primary', 'eventTypes=holiday');
      assert.equal(badType.status, 400);
    });

    it('without delegation for the subject or for a scope, the token endpoint answers 401 unauthorized_client', async () => {
      const unauthorized = {
        error: 'unauthorized_client',
        error_description:
          'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
      };
      const none = await exchange({ sub: ANN, scope: CALENDAR_EVENTS_READONLY_SCOPE });
      assert.deepEqual(none, { status: 401, body: unauthorized });

      calendar.grantDelegation(ANN, [CALENDAR_READONLY_SCOPE]);
      // Google grants per scope: calendar.readonly does not cover a request for calendar.events.readonly.
      assert.deepEqual(await exchange({ sub: ANN, scope: CALENDAR_EVENTS_READONLY_SCOPE }), {
        status: 401,
        body: unauthorized,
      });
      assert.equal((await exchange({ sub: ANN, scope: CALENDAR_READONLY_SCOPE })).status, 200);
      calendar.withholdDelegation(ANN);
      assert.equal((await exchange({ sub: ANN, scope: CALENDAR_READONLY_SCOPE })).status, 401);

      // No subject: the service account itself, no delegation needed.
      assert.equal((await exchange({ scope: CALENDAR_SCOPE })).status, 200);
      // Google's invalid_grant answers for a bad assertion.
      const forged = await fetch(calendar.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          assertion: jwt({ aud: GOOGLE_TOKEN_URL, scope: CALENDAR_SCOPE }, testServiceAccount().key.private_key),
        }),
      });
      assert.equal(forged.status, 400);
      assert.equal(((await forged.json()) as { error: string }).error, 'invalid_grant');
      assert.equal(
        (await exchange({ aud: 'https://example.test/token', scope: CALENDAR_SCOPE })).body.error,
        'invalid_grant',
      );
    });

    it('a self-signed JWT acts as the service account only: one with another `sub` is refused', async () => {
      calendar.grantDelegation(ANN);
      calendar.addOutOfOffice(ANN, { start: '2025-01-13', end: '2025-01-18' });
      const own = await list(jwt({ sub: account.key.client_email, scope: CALENDAR_SCOPE }), 'primary');
      assert.equal(own.status, 200);
      assert.deepEqual(own.body.items, []); // the service account's own primary calendar: empty
      assert.equal((await list(jwt({ sub: account.key.client_email, scope: CALENDAR_SCOPE }), ANN)).status, 404);
      const impersonating = await list(jwt({ sub: ANN, scope: CALENDAR_SCOPE }), 'primary');
      assert.equal(impersonating.status, 401);
      assert.equal(impersonating.body.error?.errors[0]?.reason, 'authError');
    });

    it('expands a recurring event into instances for the range a list asks for, with singleEvents=true', async () => {
      calendar.grantDelegation(ANN);
      calendar.addOutOfOffice(ANN, {
        id: 'away',
        start: '2025-01-06T00:00:00Z',
        end: '2025-01-11T00:00:00Z',
        recurrence: ['RRULE:FREQ=WEEKLY;INTERVAL=5'],
      });
      const token = (await exchange({ sub: ANN, scope: CALENDAR_EVENTS_READONLY_SCOPE })).body.access_token as string;
      // Years ahead (the sandbox's fast clock gets there in hours): still every fifth week.
      const far = await list(
        token,
        'primary',
        'timeMin=2031-01-01T00:00:00Z&timeMax=2031-03-01T00:00:00Z&singleEvents=true',
      );
      const starts = far.body.items?.map((e) => e.start.dateTime) ?? [];
      assert.equal(starts.length, 2);
      for (const start of starts) {
        const weeks = (Date.parse(start as string) - Date.parse('2025-01-06T00:00:00Z')) / (7 * 24 * 3600 * 1000);
        assert.ok(Number.isInteger(weeks) && weeks % 5 === 0, `${start} is a whole number of 5-week steps`);
      }
      assert.match(far.body.items?.[0]?.id ?? '', /^away_2031\d{4}T000000Z$/);
      // An instance overlapping timeMin is in; without singleEvents the one recurring event comes back.
      const overlapping = await list(
        token,
        'primary',
        'timeMin=2025-01-10T00:00:00Z&timeMax=2025-01-12T00:00:00Z&singleEvents=true',
      );
      assert.deepEqual(
        overlapping.body.items?.map((e) => e.id),
        ['away_20250106T000000Z'],
      );
      const master = await list(token, 'primary', 'timeMin=2031-01-01T00:00:00Z');
      assert.deepEqual(
        master.body.items?.map((e) => e.id),
        ['away'],
      );
    });
  });

  describe('Slack messages, conversations and user groups', () => {
    let slack: FakeSlack;
    beforeEach(async () => {
      slack = await startFakeSlack({
        users: [
          { id: 'U0ALICE', displayName: 'alice' },
          { id: 'U0BOB', displayName: 'bob' },
          { id: 'U0ROBOT', displayName: 'robot', isBot: true },
        ],
        channels: [
          { id: 'C0SUPPORT', name: 'support' },
          { id: 'C0OTHER', name: 'other', botIsMember: false },
          { id: 'G0SECRET', name: 'secret', private: true },
        ],
        scopes: FAKE_SLACK_SCOPES,
      });
    });
    afterEach(() => slack.close());

    it('chat.postMessage keeps metadata and blocks; history returns metadata only with include_all_metadata', async () => {
      const metadata = { event_type: 'team_roles_notice', event_payload: { handover_key: 'r@2026-01-07' } };
      const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'hello <@U0ALICE>' } }];
      const posted = await slackApi(slack, 'chat.postMessage', {
        channel: 'C0SUPPORT',
        text: 'hello <@U0ALICE>',
        blocks,
        metadata,
      });
      assert.equal(posted.body.ok, true);
      assert.equal(posted.body.channel, 'C0SUPPORT');
      const ts = posted.body.ts as string;
      assert.match(ts, /^\d+\.\d{6}$/);

      const plain = await slackApi(slack, 'conversations.history', { channel: 'C0SUPPORT' });
      const [bare] = plain.body.messages as Array<Record<string, unknown>>;
      assert.equal(bare?.metadata, undefined);
      assert.deepEqual(bare?.blocks, blocks);
      const full = await slackApi(slack, 'conversations.history', { channel: 'C0SUPPORT', include_all_metadata: true });
      assert.deepEqual((full.body.messages as Array<Record<string, unknown>>)[0]?.metadata, metadata);

      const byName = await slackApi(slack, 'chat.postMessage', { channel: '#support', text: 'by name' });
      assert.equal(byName.body.channel, 'C0SUPPORT');
      assert.deepEqual(
        slack.messagesIn('C0SUPPORT').map((m) => m.text),
        ['hello <@U0ALICE>', 'by name'],
      );

      const updated = await slackApi(slack, 'chat.update', { channel: 'C0SUPPORT', ts, text: 'corrected' });
      assert.equal(updated.body.ok, true);
      const message = slack.messagesIn('C0SUPPORT')[0];
      assert.equal(message?.text, 'corrected');
      assert.deepEqual(message?.metadata, metadata, 'chat.update without metadata keeps it');
      assert.ok(message?.edited);
      assert.equal(
        (await slackApi(slack, 'chat.update', { channel: 'C0SUPPORT', ts: '1.000001', text: 'x' })).body.error,
        'message_not_found',
      );
      const theirs = slack.postAsUser('C0SUPPORT', 'U0ALICE', 'mine');
      assert.equal(
        (await slackApi(slack, 'chat.update', { channel: 'C0SUPPORT', ts: theirs.ts, text: 'x' })).body.error,
        'cant_update_message',
      );
    });

    it('conversations.history pages newest first within oldest/latest, by cursor', async () => {
      for (let i = 0; i < 5; i++) await slackApi(slack, 'chat.postMessage', { channel: 'C0SUPPORT', text: `m${i}` });
      const all = slack.messagesIn('C0SUPPORT');
      const seen: string[] = [];
      let cursor = '';
      let pages = 0;
      do {
        const page = await slackApi(slack, 'conversations.history', {
          channel: 'C0SUPPORT',
          limit: 2,
          oldest: all[0]!.ts, // exclusive: m0 is left out
          ...(cursor ? { cursor } : {}),
        });
        pages += 1;
        seen.push(...(page.body.messages as Array<{ text: string }>).map((m) => m.text));
        cursor = (page.body.response_metadata as { next_cursor: string }).next_cursor;
        assert.equal(page.body.has_more, cursor !== '');
      } while (cursor);
      assert.deepEqual(seen, ['m4', 'm3', 'm2', 'm1']);
      assert.equal(pages, 2);
      const inclusive = await slackApi(slack, 'conversations.history', {
        channel: 'C0SUPPORT',
        oldest: all[0]!.ts,
        latest: all[1]!.ts,
        inclusive: true,
      });
      assert.deepEqual(
        (inclusive.body.messages as Array<{ text: string }>).map((m) => m.text),
        ['m1', 'm0'],
      );
      assert.equal(
        (await slackApi(slack, 'conversations.history', { channel: 'C0SUPPORT', cursor: 'bm9wZQ==' })).body.error,
        'invalid_cursor',
      );
    });

    it('Slack’s errors: not_in_channel, channel_not_found, missing_scope with needed/provided, limits', async () => {
      assert.equal(
        (await slackApi(slack, 'chat.postMessage', { channel: 'C0OTHER', text: 'x' })).body.error,
        'not_in_channel',
      );
      assert.equal(
        (await slackApi(slack, 'conversations.history', { channel: 'C0OTHER' })).body.error,
        'not_in_channel',
      );
      assert.equal(
        (await slackApi(slack, 'chat.postMessage', { channel: 'C0NOPE', text: 'x' })).body.error,
        'channel_not_found',
      );

      slack.state.tokens[slack.token]!.scopes = FAKE_SLACK_SCOPES.filter((s) => s !== 'groups:history');
      const scoped = await slackApi(slack, 'conversations.history', { channel: 'G0SECRET' });
      assert.equal(scoped.body.error, 'missing_scope');
      assert.equal(scoped.body.needed, 'groups:history');
      assert.match(String(scoped.body.provided), /channels:history/);
      assert.equal(scoped.headers.get('x-accepted-oauth-scopes'), 'groups:history');
      assert.equal((await slackApi(slack, 'conversations.history', { channel: 'C0SUPPORT' })).body.ok, true);

      const long = await slackApi(slack, 'chat.postMessage', {
        channel: 'C0SUPPORT',
        text: 'x'.repeat(SLACK_MAX_TEXT + 1),
      });
      assert.equal(long.body.error, 'msg_too_long');
      const section = { type: 'section', text: { type: 'mrkdwn', text: 'x' } };
      const many = await slackApi(slack, 'chat.postMessage', {
        channel: 'C0SUPPORT',
        text: 'x',
        blocks: Array.from({ length: 51 }, () => section),
      });
      assert.equal(many.body.error, 'invalid_blocks');
      assert.match(String((many.body.errors as string[])[0]), /no more than 50 items/);
      const wide = await slackApi(slack, 'chat.postMessage', {
        channel: 'C0SUPPORT',
        text: 'x',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'y'.repeat(3001) } }],
      });
      assert.equal(wide.body.error, 'invalid_blocks');
      assert.equal(
        (await slackApi(slack, 'chat.postMessage', { channel: 'C0SUPPORT', text: 'x', metadata: '{oops' })).body.error,
        'invalid_metadata_format',
      );
      assert.equal(slack.messagesIn('C0SUPPORT').length, 0, 'nothing refused was posted');
    });

    it('a Tier limit answers 429 ratelimited with Retry-After', async () => {
      slack.state.rateLimits['usergroups.list'] = 2;
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof slackApi>> | undefined;
      for (let i = 0; i < 3; i++) {
        last = await slackApi(slack, 'usergroups.list');
        statuses.push(last.status);
      }
      assert.deepEqual(statuses, [200, 200, 429]);
      assert.equal(last?.body.error, 'ratelimited');
      assert.ok(Number(last?.headers.get('retry-after')) >= 1);
      assert.equal((await slackApi(slack, 'users.list')).status, 200, 'other methods have their own limit');
    });

    it('conversations.open gives one DM per person; replies and reactions can be read back', async () => {
      const first = await slackApi(slack, 'conversations.open', { users: 'U0ALICE' });
      const again = await slackApi(slack, 'conversations.open', { users: 'U0ALICE' });
      const id = (first.body.channel as { id: string }).id;
      assert.match(id, /^D/);
      assert.equal((again.body.channel as { id: string }).id, id);
      assert.equal(again.body.already_open, true);
      assert.equal(slack.dmWith('U0ALICE')?.id, id);
      assert.equal((await slackApi(slack, 'conversations.open', { users: 'U0NOBODY' })).body.error, 'user_not_found');
      assert.equal((await slackApi(slack, 'conversations.open', { users: 'U0ROBOT' })).body.error, 'cannot_dm_bot');

      const posted = await slackApi(slack, 'chat.postMessage', { channel: id, text: 'your turn' });
      const ts = posted.body.ts as string;
      slack.postAsUser(id, 'U0ALICE', 'ok', ts);
      slack.addReaction(id, ts, 'white_check_mark', 'U0ALICE');
      const replies = await slackApi(slack, 'conversations.replies', { channel: id, ts });
      assert.deepEqual(
        (replies.body.messages as Array<{ text: string }>).map((m) => m.text),
        ['your turn', 'ok'],
      );
      assert.deepEqual(
        slack.messagesIn(id).map((m) => m.text),
        ['your turn'],
        'replies stay in their thread',
      );
      const reactions = await slackApi(slack, 'reactions.get', { channel: id, timestamp: ts });
      const reacted = reactions.body.message as Record<string, unknown>;
      assert.deepEqual(reacted.reactions, [{ name: 'white_check_mark', users: ['U0ALICE'], count: 1 }]);
      // The parent carries Slack's thread summary: how many replies, by whom, the latest.
      assert.deepEqual(
        [reacted.reply_count, reacted.reply_users, reacted.reply_users_count, reacted.thread_ts],
        [1, ['U0ALICE'], 1, ts],
      );
      for (const user of ['U1', 'U2', 'U3', 'U4', 'U5', 'U0ALICE']) slack.postAsUser(id, user, 'me too', ts);
      const busy = (await slackApi(slack, 'conversations.history', { channel: id })).body.messages as Array<
        Record<string, unknown>
      >;
      assert.deepEqual(
        [busy[0]?.reply_count, busy[0]?.reply_users, busy[0]?.reply_users_count],
        [7, ['U0ALICE', 'U1', 'U2', 'U3', 'U4'], 6],
        'at most five repliers listed; the count says how many',
      );
      assert.equal(busy[0]?.latest_reply, slack.dmWith('U0ALICE')?.messages.at(-1)?.ts);
      slack.state.tokens[slack.token]!.scopes = ['chat:write'];
      const denied = await slackApi(slack, 'reactions.get', { channel: id, timestamp: ts });
      assert.equal(denied.body.needed, 'reactions:read');
    });

    it('user groups: create, update, users.update, enable; permission_denied when the workspace restricts edits', async () => {
      const created = await slackApi(slack, 'usergroups.create', { name: 'On duty', handle: 'on-duty' });
      const group = created.body.usergroup as { id: string; handle: string; users: string[] };
      assert.equal(group.handle, 'on-duty');
      assert.deepEqual(group.users, []);
      assert.equal(
        (await slackApi(slack, 'usergroups.create', { name: 'On duty', handle: 'x' })).body.error,
        'name_already_exists',
      );
      assert.equal(
        (await slackApi(slack, 'usergroups.create', { name: 'Other', handle: 'on-duty' })).body.error,
        'handle_already_exists',
      );

      const set = await slackApi(slack, 'usergroups.users.update', { usergroup: group.id, users: 'U0ALICE,U0BOB' });
      assert.deepEqual((set.body.usergroup as { users: string[] }).users, ['U0ALICE', 'U0BOB']);
      assert.equal(
        (await slackApi(slack, 'usergroups.users.update', { usergroup: group.id, users: '' })).body.error,
        'no_users_provided',
      );
      assert.equal(
        (await slackApi(slack, 'usergroups.users.update', { usergroup: group.id, users: 'U0GHOST' })).body.error,
        'invalid_users',
      );
      const renamed = await slackApi(slack, 'usergroups.update', { usergroup: group.id, description: 'who serves' });
      assert.equal((renamed.body.usergroup as { description: string }).description, 'who serves');

      await slackApi(slack, 'usergroups.disable', { usergroup: group.id });
      const listed = await slackApi(slack, 'usergroups.list', { include_users: true });
      assert.equal((listed.body.usergroups as unknown[]).length, 0, 'disabled groups are hidden by default');
      await slackApi(slack, 'usergroups.enable', { usergroup: group.id });
      const back = await slackApi(slack, 'usergroups.list', { include_users: true });
      assert.deepEqual((back.body.usergroups as Array<{ users: string[] }>)[0]?.users, ['U0ALICE', 'U0BOB']);

      slack.state.usergroupEdits = 'admins';
      assert.equal(
        (await slackApi(slack, 'usergroups.users.update', { usergroup: group.id, users: 'U0BOB' })).body.error,
        'permission_denied',
      );
      slack.state.tokens[slack.token]!.scopes = ['usergroups:read'];
      const scoped = await slackApi(slack, 'usergroups.create', { name: 'Third' });
      assert.deepEqual([scoped.body.error, scoped.body.needed], ['missing_scope', 'usergroups:write']);
    });
  });
});
