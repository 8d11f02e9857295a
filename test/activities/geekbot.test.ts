import assert from 'node:assert/strict';
import {
  createGeekbotActivities,
  GeekbotClient,
  GeekbotHttpError,
  renderStandupQuestion,
  standupSays,
  type GeekbotStandupBody,
} from '../../src/activities/geekbot';
import { FailureType } from '../../src/activities/errors';
import type { Member, Settings } from '../../src/domain/config';
import { fakeGeekbotKey, startFakeGeekbot, type FakeGeekbot } from '../../src/sandbox/geekbot';
import { activityEnvironment, expectFailure, MANAGER, printable, testSettings } from './helpers';

const ALICE: Member = { id: 'U0ALICE', name: 'alice' };
const BOB: Member = { id: 'U0BOB', name: 'Bob Brown' };
const CAROL: Member = { id: 'U0CAROL', name: 'carol' };

describe('Geekbot activities (upsertStandup) against the fake Geekbot', () => {
  let geekbot: FakeGeekbot;
  let settings: Settings;

  beforeEach(async () => {
    geekbot = await startFakeGeekbot({ owner: MANAGER.id });
    settings = testSettings();
  });
  afterEach(() => geekbot.close());

  const activities = (apiKey = geekbot.apiKey, s = settings) =>
    createGeekbotActivities({ settings: s, geekbot: new GeekbotClient({ apiKey, apiUrl: geekbot.url }) });

  const bodies = (method: string) =>
    geekbot.requests.filter((r) => r.method === method).map((r) => r.body as Record<string, unknown>);

  it('creates the standup when missing, with the old scripts’ body', async () => {
    const result = await activities().upsertStandup({ role: 'support-triager', incoming: ALICE, buddy: BOB });
    assert.deepEqual(result, { standupId: 1, action: 'created' });
    assert.deepEqual(geekbot.calls(), ['GET /v1/standups', 'POST /v1/standups']);

    const [body] = bodies('POST');
    const question =
      "Hi <@U0ALICE>! It is your turn to serve as Support Triager, starting today for two weeks. Please watch the support ticket queue in Freshdesk and triage new tickets as they arrive. Reply 'ok' to acknowledge. If you will be away during your turn, please arrange cover with another team member. Your support buddy for the first week is <@U0BOB>.";
    assert.deepEqual(body, {
      users: ['U0ALICE', 'U0MANAGER'],
      wait_time: 10,
      sync_channel_members: false,
      personalized: false,
      questions: [{ question }],
      name: 'SupportTriager',
      channel: '#support-freshdesk',
      time: '10:00:00',
      timezone: 'user_local',
      days: ['Wed'],
    });
    // Personal key, sent bare.
    assert.equal(geekbot.requests[0]?.headers.authorization, geekbot.apiKey);
    const stored = geekbot.state.standups[0];
    assert.equal(stored?.questions[0]?.text, question);
    assert.equal(stored?.wait_time, 600, 'Geekbot keeps seconds');
  });

  it('a second run with the same people changes nothing (no PATCH)', async () => {
    const first = await activities().upsertStandup({ role: 'support-triager', incoming: ALICE, buddy: BOB });
    geekbot.clearRequests();
    const byName = await activities().upsertStandup({ role: 'support-triager', incoming: ALICE, buddy: BOB });
    assert.deepEqual(byName, { standupId: first.standupId, action: 'unchanged' });
    assert.deepEqual(geekbot.calls(), ['GET /v1/standups']);

    geekbot.clearRequests();
    const byId = await activities().upsertStandup({
      role: 'support-triager',
      incoming: ALICE,
      buddy: BOB,
      standupId: first.standupId,
    });
    assert.deepEqual(byId, { standupId: first.standupId, action: 'unchanged' });
    assert.deepEqual(geekbot.calls(), [`GET /v1/standups/${first.standupId}`]);
  });

  it('the next handover PATCHes the remembered standup with users, question and settings only', async () => {
    const { standupId } = await activities().upsertStandup({ role: 'support-triager', incoming: ALICE, buddy: BOB });
    geekbot.clearRequests();
    const result = await activities().upsertStandup({
      role: 'support-triager',
      incoming: CAROL,
      buddy: ALICE,
      standupId,
    });
    assert.deepEqual(result, { standupId, action: 'updated' });
    assert.deepEqual(geekbot.calls(), [`GET /v1/standups/${standupId}`, `PATCH /v1/standups/${standupId}`]);
    const [patch] = bodies('PATCH');
    assert.deepEqual(Object.keys(patch ?? {}).sort(), [
      'personalized',
      'questions',
      'sync_channel_members',
      'users',
      'wait_time',
    ]);
    assert.deepEqual(patch?.users, ['U0CAROL', 'U0MANAGER']);
    assert.match(String((patch?.questions as Array<{ question: string }>)[0]?.question), /<@U0CAROL>.*<@U0ALICE>\.$/);
    assert.deepEqual(
      geekbot.state.standups[0]?.users.map((u) => u.id),
      ['U0CAROL', 'U0MANAGER'],
    );
  });

  it('updates a standup made in the dashboard, found by name', async () => {
    geekbot.seedStandup({ id: 77, name: 'SupportTriager', users: ['U0BOB', MANAGER.id], questions: ['old question'] });
    geekbot.seedStandup({ id: 78, name: 'SomethingElse', users: [MANAGER.id], questions: ['?'] });
    const result = await activities().upsertStandup({ role: 'support-triager', incoming: ALICE, buddy: BOB });
    assert.deepEqual(result, { standupId: 77, action: 'updated' });
    assert.deepEqual(geekbot.calls(), ['GET /v1/standups', 'PATCH /v1/standups/77']);
  });

  it('a remembered standup that was deleted is looked up by name, then created', async () => {
    const result = await activities().upsertStandup({
      role: 'support-triager',
      incoming: ALICE,
      buddy: BOB,
      standupId: 404,
    });
    assert.equal(result.action, 'created');
    assert.deepEqual(geekbot.calls(), ['GET /v1/standups/404', 'GET /v1/standups', 'POST /v1/standups']);
  });

  it('adds the standup manager once when they are the incoming member, and not at all when unset', async () => {
    await activities().upsertStandup({ role: 'support-triager', incoming: MANAGER, buddy: ALICE });
    assert.deepEqual(bodies('POST')[0]?.users, [MANAGER.id]);

    await geekbot.close();
    geekbot = await startFakeGeekbot({ owner: ALICE.id });
    const noManager = testSettings({ standupManager: null });
    await activities(geekbot.apiKey, noManager).upsertStandup({
      role: 'support-triager',
      incoming: ALICE,
      buddy: null,
    });
    const [body] = bodies('POST');
    assert.deepEqual(body?.users, ['U0ALICE']);
    assert.match(
      String((body?.questions as Array<{ question: string }>)[0]?.question),
      /buddy for the first week is nobody\./,
    );
  });

  it('uses the role’s own standup settings (meeting facilitator, Monday, #team-updates)', async () => {
    await activities().upsertStandup({ role: 'meeting-facilitator', incoming: BOB, buddy: null });
    const [body] = bodies('POST');
    assert.equal(body?.name, 'MeetingFacilitator');
    assert.equal(body?.channel, '#team-updates');
    assert.deepEqual(body?.days, ['Mon']);
    assert.match(
      String((body?.questions as Array<{ question: string }>)[0]?.question),
      /Meeting Facilitator this month.*https:\/\/calendar\.example\.test\/team-roles/,
    );
  });

  it('401 fails for good: the key must be the standup manager’s personal key', async () => {
    await expectFailure(
      activities(fakeGeekbotKey()).upsertStandup({ role: 'support-triager', incoming: ALICE, buddy: BOB }),
      {
        type: FailureType.GeekbotAuth,
        nonRetryable: true,
        message: /HTTP 401: Unauthorized.*GEEKBOT_API_KEY.*standup manager, manager \(U0MANAGER\).*personal/,
      },
    );
  });

  it('429 is retryable after Retry-After; 5xx is retryable with the error body in the message', async () => {
    geekbot.faults = { script: [{ kind: 'rateLimit', retryAfterSeconds: 5 }] };
    await expectFailure(activities().upsertStandup({ role: 'support-triager', incoming: ALICE, buddy: BOB }), {
      type: FailureType.RateLimited,
      nonRetryable: false,
      nextRetryDelay: 5000,
      message: /HTTP 429: Too many requests/,
    });
    geekbot.faults = { script: [{ match: 'POST', kind: 'serverError', status: 503 }] };
    await expectFailure(activities().upsertStandup({ role: 'support-triager', incoming: ALICE, buddy: BOB }), {
      type: FailureType.ServiceUnavailable,
      nonRetryable: false,
      message: /POST \/v1\/standups answered HTTP 503: Internal Server Error/,
    });
    // A POST whose answer failed may have created the standup: it is not sent again within the attempt.
    assert.equal(geekbot.requests.filter((r) => r.method === 'POST').length, 1, 'the failed POST was sent once');
    // Reads are tried three times within the attempt before the failure is left to Temporal.
    geekbot.faults = { script: [{ kind: 'drop', times: 3 }] };
    await expectFailure(activities().upsertStandup({ role: 'support-triager', incoming: ALICE, buddy: BOB }), {
      type: FailureType.ServiceUnavailable,
      nonRetryable: false,
      message: /Could not reach Geekbot/,
    });
    geekbot.faults = {};
    assert.equal(
      (await activities().upsertStandup({ role: 'support-triager', incoming: ALICE, buddy: BOB })).action,
      'created',
    );
  });

  it('reads a bare-string error body too, and other 4xx fail for good', async () => {
    const client = new GeekbotClient({ apiKey: geekbot.apiKey, apiUrl: geekbot.url });
    const err = await client.request('GET', '/v1/standups/999').catch((e: unknown) => e);
    assert.ok(err instanceof GeekbotHttpError);
    assert.equal(err.detail, 'Standup not found');

    const invalid = await client.request('POST', '/v1/standups', { name: 'x' }).catch((e: unknown) => e);
    assert.ok(invalid instanceof GeekbotHttpError);
    assert.equal(invalid.status, 400);
    assert.match(invalid.message, /HTTP 400: /);
  });

  it('an unknown role fails for good without calling Geekbot', async () => {
    await expectFailure(activities().upsertStandup({ role: 'support-steward', incoming: ALICE, buddy: null }), {
      type: FailureType.UnknownRole,
      nonRetryable: true,
      message: /support-steward.*meeting-facilitator, support-triager|support-triager, meeting-facilitator/,
    });
    assert.equal(geekbot.requests.length, 0);
  });

  it('runs as an activity and never logs the API key', async () => {
    const { env, logs } = activityEnvironment();
    await env.run(activities().upsertStandup, { role: 'support-triager', incoming: ALICE, buddy: BOB });
    const badKey = fakeGeekbotKey();
    const failure = await env
      .run(activities(badKey).upsertStandup, { role: 'support-triager', incoming: ALICE, buddy: BOB })
      .catch((e: unknown) => e);
    assert.ok(logs.some((entry) => entry.message === 'Created Geekbot standup'));
    const everything = printable({ logs, failure });
    assert.ok(!everything.includes(geekbot.apiKey));
    assert.ok(!everything.includes(badKey));
  });
});

describe('renderStandupQuestion', () => {
  it('fills every placeholder and leaves unknown ones alone', () => {
    const role = testSettings().roles['support-triager']!;
    const custom = {
      ...role,
      standup: {
        ...role.standup,
        questionTemplate: '{incoming}/{incomingMention}/{buddy}/{buddyMention}/{role}/{calendarUrl}/{other}',
      },
    };
    assert.equal(
      renderStandupQuestion({ role: custom, incoming: ALICE, buddy: BOB, calendarUrl: 'https://cal' }),
      'alice/<@U0ALICE>/Bob Brown/<@U0BOB>/Support Triager/https://cal/{other}',
    );
  });
});

describe('standup comparison', () => {
  it('reads users and questions as objects or bare values, and wait_time in seconds or minutes', () => {
    const body: GeekbotStandupBody = {
      users: ['U1', 'U2'],
      wait_time: 10,
      sync_channel_members: false,
      personalized: false,
      questions: [{ question: 'Q?' }],
    };
    const base = { id: 1, name: 'S', sync_channel_members: false };
    assert.ok(
      standupSays({ ...base, users: [{ id: 'U2' }, { id: 'U1' }], questions: [{ text: 'Q?' }], wait_time: 600 }, body),
    );
    assert.ok(standupSays({ ...base, users: ['U1', 'U2'], questions: [{ question: 'Q?' }], wait_time: 10 }, body));
    assert.ok(!standupSays({ ...base, users: ['U1'], questions: ['Q?'] }, body));
    assert.ok(!standupSays({ ...base, users: ['U1', 'U2'], questions: ['Other?'] }, body));
    assert.ok(!standupSays({ ...base, users: ['U1', 'U2'], questions: ['Q?'], wait_time: 300 }, body));
    assert.ok(!standupSays({ ...base, sync_channel_members: true, users: ['U1', 'U2'], questions: ['Q?'] }, body));
  });
});
