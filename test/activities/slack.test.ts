import assert from 'node:assert/strict';
import { createSlackActivities, createSlackClient } from '../../src/activities/slack';
import type { Member } from '../../src/domain/config';
import { FailureType } from '../../src/activities/errors';
import { fakeSlackToken, startFakeSlack, type FakeSlack, type SlackUserSeed } from '../../src/sandbox/slack';
import { activityEnvironment, expectFailure, printable, runActivity } from './helpers';

const PEOPLE: SlackUserSeed[] = [
  { id: 'U0ALICE', displayName: 'alice', realName: 'Alice Andrews' },
  { id: 'U0BOB', displayName: '', realName: 'Bob Brown' }, // no display name: real name is used
  { id: 'U0CAROL', displayName: 'Carol', realName: 'Carol Chen' },
  { id: 'U0DAVE', displayName: 'dave', realName: 'Dave Dee', deleted: true },
  { id: 'U0BOT', displayName: 'triage-bot', realName: 'Triage Bot', isBot: true },
  { id: 'U0ERIN', displayName: 'erin', realName: 'Erin Evans' },
  { id: 'U0FRANK', displayName: 'frank', realName: 'Frank Fox' },
];

describe('Slack activities (lookupMembers) against the fake Slack', () => {
  let slack: FakeSlack;

  beforeEach(async () => {
    slack = await startFakeSlack({
      users: PEOPLE,
      usergroups: [
        { handle: 'support-triagers', users: ['U0FRANK', 'U0CAROL', 'U0ALICE', 'U0BOB', 'U0DAVE', 'U0BOT'] },
        { handle: 'meeting-facilitators', users: ['U0ALICE', 'U0ERIN'] },
        { handle: 'old-group', users: ['U0ALICE'], disabled: true },
      ],
    });
  });
  afterEach(() => slack.close());

  const activities = (token = slack.token, options: { usersInfoMax?: number; concurrency?: number } = {}) =>
    createSlackActivities({ slack: createSlackClient({ token, apiUrl: slack.url }), ...options });

  it('returns the active human members in rotation order, display name or else real name', async () => {
    const members = await activities().lookupMembers('support-triagers');
    assert.deepEqual(members, [
      { id: 'U0ALICE', name: 'alice' },
      { id: 'U0BOB', name: 'Bob Brown' },
      { id: 'U0CAROL', name: 'Carol' },
      { id: 'U0FRANK', name: 'frank' },
    ]);
  });

  it('makes one usergroups.list call and concurrent users.info calls (bounded)', async () => {
    slack.faults = { latencyMs: 40 };
    const started = Date.now();
    await activities(slack.token, { concurrency: 3 }).lookupMembers('@support-triagers');
    const elapsed = Date.now() - started;

    const calls = slack.calls();
    assert.equal(calls[0], 'usergroups.list');
    assert.equal(calls.filter((c) => c === 'usergroups.list').length, 1);
    assert.equal(calls.filter((c) => c === 'users.info').length, 6);
    assert.equal(calls.length, 7);
    assert.ok(slack.maxInFlight > 1, 'users.info calls overlap');
    assert.ok(slack.maxInFlight <= 3, `at most 3 in flight, saw ${slack.maxInFlight}`);
    // 1 + ceil(6/3) waves of 40 ms, far below 7 sequential calls.
    assert.ok(elapsed < 7 * 40, `took ${elapsed} ms`);

    const first = slack.requests[0];
    assert.equal(first?.method, 'POST');
    assert.equal(first?.headers.authorization, `Bearer ${slack.token}`);
    assert.match(String(first?.headers['content-type']), /application\/x-www-form-urlencoded/);
    assert.equal((first?.body as Record<string, string>).include_users, 'true');
  });

  it('names a large group from users.list pages, stopping once everyone is found', async () => {
    await slack.close();
    const many = Array.from({ length: 30 }, (_, i) => ({
      id: `U1${String(i).padStart(3, '0')}`,
      displayName: `person ${i}`,
    }));
    slack = await startFakeSlack({
      users: many,
      usergroups: [{ handle: 'big', users: many.slice(0, 12).map((u) => u.id) }],
    });
    const members = await activities(slack.token, { usersInfoMax: 5 }).lookupMembers('big');
    assert.equal(members.length, 12);
    // 200 users per page: one page holds all 30, so exactly 1 + 1 calls.
    assert.deepEqual(slack.calls(), ['usergroups.list', 'users.list']);
  });

  it('follows users.list cursors', async () => {
    const many = Array.from({ length: 450 }, (_, i) => ({
      id: `U2${String(i).padStart(4, '0')}`,
      displayName: `p${i}`,
    }));
    await slack.close();
    slack = await startFakeSlack({
      users: many,
      usergroups: [{ handle: 'wide', users: [many[10]!.id, many[420]!.id] }],
    });
    const members = await activities(slack.token, { usersInfoMax: 1 }).lookupMembers('wide');
    assert.deepEqual(
      members.map((m) => m.id),
      [many[10]!.id, many[420]!.id],
    );
    assert.deepEqual(slack.calls(), ['usergroups.list', 'users.list', 'users.list', 'users.list']);
    assert.ok(
      slack.requests[2]?.body && (slack.requests[2].body as Record<string, string>).cursor,
      'second page asked with a cursor',
    );
  });

  it('leaves out a member Slack no longer knows', async () => {
    slack.state.usergroups[1]!.users.push('U0GONE');
    const members = await activities().lookupMembers('meeting-facilitators');
    assert.deepEqual(
      members.map((m) => m.id),
      ['U0ALICE', 'U0ERIN'],
    );
  });

  it('an unknown handle fails for good and lists the handles that exist', async () => {
    await expectFailure(activities().lookupMembers('support-triager'), {
      type: FailureType.SlackUsergroupNotFound,
      nonRetryable: true,
      message: /"support-triager".*meeting-facilitators, support-triagers/,
    });
  });

  it('a rejected token fails for good, naming SLACK_BOT_TOKEN and the scopes', async () => {
    await expectFailure(activities(fakeSlackToken()).lookupMembers('support-triagers'), {
      type: FailureType.SlackAuth,
      nonRetryable: true,
      message: /SLACK_BOT_TOKEN \(invalid_auth\).*usergroups:read and users:read/,
    });
  });

  it('no token at all is not_authed, also for good', async () => {
    const client = createSlackClient({ token: '', apiUrl: slack.url });
    await expectFailure(createSlackActivities({ slack: client }).lookupMembers('support-triagers'), {
      type: FailureType.SlackAuth,
      nonRetryable: true,
      message: /not_authed/,
    });
  });

  it('a missing scope fails for good, naming the scope', async () => {
    slack.state.tokens[slack.token] = { scopes: ['usergroups:read'] };
    await expectFailure(activities().lookupMembers('support-triagers'), {
      type: FailureType.SlackMissingScope,
      nonRetryable: true,
      message: /users:read/,
    });
    slack.state.tokens[slack.token] = { scopes: ['users:read'] };
    await expectFailure(activities().lookupMembers('support-triagers'), {
      type: FailureType.SlackMissingScope,
      nonRetryable: true,
      message: /usergroups:read/,
    });
  });

  it('HTTP 429 becomes a retryable failure with nextRetryDelay from Retry-After, without the client retrying', async () => {
    slack.faults = { script: [{ match: 'usergroups.list', kind: 'rateLimit', retryAfterSeconds: 7 }] };
    await expectFailure(activities().lookupMembers('support-triagers'), {
      type: FailureType.RateLimited,
      nonRetryable: false,
      nextRetryDelay: 7000,
    });
    assert.equal(slack.requests.length, 1, 'the client did not retry on its own');
  });

  it('a 429 on a users.info call also fails the lookup with the delay', async () => {
    slack.faults = { script: [{ match: 'users.info', kind: 'rateLimit', retryAfterSeconds: 3 }] };
    await expectFailure(activities().lookupMembers('support-triagers'), {
      type: FailureType.RateLimited,
      nonRetryable: false,
      nextRetryDelay: 3000,
    });
  });

  it('a passing 5xx, drop or short rate limit is tried again within the attempt', async () => {
    slack.faults = {
      script: [
        { kind: 'serverError', status: 503 },
        { match: 'users.info', kind: 'drop' },
        { match: 'users.info', kind: 'rateLimit', retryAfterSeconds: 1 },
      ],
    };
    assert.equal((await activities().lookupMembers('support-triagers')).length, 4);
    assert.equal(slack.calls().filter((c) => c === 'usergroups.list').length, 2);
  });

  it('5xx and dropped connections that persist are retryable', async () => {
    slack.faults = { script: [{ kind: 'serverError', status: 503, times: 3 }] };
    await expectFailure(activities().lookupMembers('support-triagers'), {
      type: FailureType.ServiceUnavailable,
      nonRetryable: false,
      message: /503/,
    });
    slack.faults = { script: [{ kind: 'drop', times: 3 }] };
    await expectFailure(activities().lookupMembers('support-triagers'), {
      type: FailureType.ServiceUnavailable,
      nonRetryable: false,
    });
    slack.faults = {};
    assert.equal((await activities().lookupMembers('support-triagers')).length, 4, 'works once the fault is gone');
  });

  it('survives seeded random faults given enough attempts (as Temporal would retry)', async () => {
    slack.faults = { seed: 42, rateLimitRate: 0.2, serverErrorRate: 0.1, dropRate: 0.1, retryAfterSeconds: 0 };
    let members: Member[] | undefined;
    for (let attempt = 1; attempt <= 40 && !members; attempt++) {
      try {
        members = await activities().lookupMembers('support-triagers');
      } catch (err) {
        assert.equal((err as { nonRetryable?: boolean }).nonRetryable, false, 'only retryable failures');
      }
    }
    assert.equal(members?.length, 4);
  });

  it('runs as an activity and never logs the token', async () => {
    const { env, logs } = activityEnvironment();
    const members = await runActivity(env, activities().lookupMembers, 'support-triagers');
    assert.equal(members.length, 4);
    const badToken = fakeSlackToken();
    const failure = await env.run(activities(badToken).lookupMembers, 'support-triagers').catch((err: unknown) => err);
    slack.faults = { script: [{ kind: 'drop' }] };
    const dropped = await env.run(activities().lookupMembers, 'support-triagers').catch((err: unknown) => err);

    assert.ok(logs.some((entry) => entry.message === 'Looked up Slack user group'));
    const everything = printable({ logs, failure, dropped });
    assert.ok(!everything.includes(slack.token), 'the good token is not in logs or failures');
    assert.ok(!everything.includes(badToken), 'the bad token is not in logs or failures');
  });
});
