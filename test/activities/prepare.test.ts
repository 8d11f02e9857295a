/**
 * The prepare step as one activity, against the sandbox fakes through the real clients: who it names, what it
 * writes, and which failures it hands back (for the workflow to record) or throws (for Temporal to retry).
 */
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../src/activities';
import { buildActivityDeps } from '../../src/activities/deps';
import type { PrepareHandoverInput } from '../../src/activities/prepare';
import { parseSettings, DEFAULT_SETTINGS, type Settings } from '../../src/domain/config';
import { calendarTurnCount } from '../../src/domain/notice';
import { initialState } from '../../src/domain/rotation';
import { DEMO_MANAGER, DEMO_TEAM, startSandbox, type Sandbox } from '../../src/sandbox/sandbox';

const DATE = '2026-12-09';
const byName = (name: string) => DEMO_TEAM.find((m) => m.name === name)!;

describe('prepareHandover activity (fakes over HTTP)', function () {
  this.timeout(30_000);
  let sandbox: Sandbox;
  let settings: Settings;
  let activities: ReturnType<typeof createActivities>;

  beforeEach(async () => {
    sandbox = await startSandbox({ groups: { 'support-triagers': DEMO_TEAM }, standupManager: DEMO_MANAGER });
    settings = parseSettings({ ...DEFAULT_SETTINGS, standupManager: DEMO_MANAGER });
    activities = createActivities(await buildActivityDeps(sandbox.env, settings));
  });
  afterEach(() => sandbox.close());

  /** Ben incoming, Ava current: the notice for the next handover names Chloe, buddy Ben. */
  function input(overrides: Partial<PrepareHandoverInput> = {}): PrepareHandoverInput {
    return {
      role: 'support-triager',
      date: DATE,
      rotation: initialState('support-triager', 2, DEMO_TEAM, { incoming: byName('Ben'), current: byName('Ava') }),
      standupId: null,
      turnCount: calendarTurnCount(settings.roles['support-triager']!, 12),
      ...overrides,
    };
  }

  it('reads the group, names the next member, writes the standup and a year of turns', async () => {
    sandbox.slack.faults.latencyMs = 150; // a slow Slack: the other reads fall well within its answer
    const result = await activities.prepareHandover(input());
    sandbox.slack.faults.latencyMs = 0;
    // The standup and the calendar are read while Slack answers; they are written only after its last answer.
    const slackDone = Math.max(...sandbox.slack.requests.map((r) => r.endedAt ?? Infinity));
    const [geekbotRead, ...geekbotRest] = sandbox.geekbot.requests;
    const [calendarRead, ...calendarRest] = sandbox.calendar.requests;
    assert.ok(geekbotRead!.method === 'GET' && geekbotRead!.startedAt < slackDone, 'standup read during the lookup');
    assert.ok(calendarRead!.method === 'GET' && calendarRead!.startedAt < slackDone, 'events read during the lookup');
    for (const write of [...geekbotRest, ...calendarRest].filter((r) => r.method !== 'GET')) {
      assert.ok(write.startedAt >= slackDone, `${write.method} ${write.path} after the lookup`);
    }
    assert.deepEqual(result.named, { memberId: byName('Chloe').id, buddyId: byName('Ben').id });
    assert.deepEqual(result.failures, []);
    assert.equal(result.refreshError, null);
    assert.deepEqual(result.members?.map((m) => m.id).sort(), DEMO_TEAM.map((m) => m.id).sort());
    assert.equal(typeof result.standupId, 'number');
    assert.deepEqual(result.calendar, { created: 52, repaired: 0, unchanged: 0 });
    const [standup] = sandbox.geekbot.state.standups;
    assert.deepEqual(standup?.users.map((u) => u.id).sort(), [byName('Chloe').id, DEMO_MANAGER.id].sort());
    const events = sandbox.calendar.events();
    assert.equal(events.find((e) => e.start.date === DATE)?.summary, 'Support Triager: Chloe');

    // The same step again (a retry) changes nothing: the standup already says it, the events are there.
    const again = await activities.prepareHandover(input({ standupId: result.standupId }));
    assert.deepEqual(again.calendar, { created: 0, repaired: 0, unchanged: 52 });
    assert.equal(sandbox.geekbot.calls().filter((c) => /^(POST|PATCH) /.test(c)).length, 1, 'one standup write');
  });

  it('names from the group as read now: a member who left is passed over', async () => {
    sandbox.setGroup(
      'support-triagers',
      DEMO_TEAM.filter((m) => m.name !== 'Chloe'),
    );
    const result = await activities.prepareHandover(input());
    assert.equal(result.named?.memberId, byName('Dan').id);
    assert.equal(result.members?.length, DEMO_TEAM.length - 1);
  });

  it('a group that cannot be read for good keeps the rotation members and says why', async () => {
    sandbox.setGroup('support-triagers', []);
    const empty = await activities.prepareHandover(input());
    assert.deepEqual(empty.members, [], 'the empty group is returned for the workflow to judge');
    assert.equal(empty.named?.memberId, byName('Chloe').id, 'named from the members the rotation had');

    const missing = parseSettings({
      ...DEFAULT_SETTINGS,
      standupManager: DEMO_MANAGER,
      roles: { 'support-triager': { ...DEFAULT_SETTINGS.roles['support-triager'], usergroup: 'no-such-group' } },
    });
    const withMissingGroup = createActivities(await buildActivityDeps(sandbox.env, missing));
    const notFound = await withMissingGroup.prepareHandover(input());
    assert.match(notFound.refreshError ?? '', /No Slack user group with handle "no-such-group"/);
    assert.equal(notFound.members, null);
    assert.equal(notFound.named?.memberId, byName('Chloe').id);
    assert.deepEqual(notFound.failures, []);
  });

  it('throws a Slack outage for Temporal to retry, before writing anything', async () => {
    sandbox.slack.faults.script = [{ kind: 'serverError', status: 503, times: 10 }]; // persists past the quick retries
    await assert.rejects(activities.prepareHandover(input()), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.nonRetryable, false);
      return true;
    });
    // The standup and the calendar were read meanwhile, and nothing was written.
    assert.deepEqual(
      sandbox.geekbot.requests.filter((r) => r.method !== 'GET'),
      [],
    );
    assert.deepEqual(
      sandbox.calendar.requests.filter((r) => r.method !== 'GET'),
      [],
    );
    assert.ok(sandbox.calendar.requests.length > 0, 'the calendar was read while Slack answered');
  });

  it('throws a retryable calendar failure even though the standup was written (the retry repeats nothing)', async () => {
    sandbox.calendar.faults.script = [{ match: 'POST', kind: 'rateLimit', retryAfterSeconds: 3 }];
    await assert.rejects(activities.prepareHandover(input()), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.nonRetryable, false);
      assert.equal(err.nextRetryDelay, 3000, "Google's Retry-After is kept (longer than a retry within the attempt)");
      return true;
    });
    const retry = await activities.prepareHandover(input());
    assert.deepEqual(retry.failures, []);
    assert.equal(sandbox.geekbot.calls().filter((c) => /^(POST|PATCH) /.test(c)).length, 1, 'one standup write');
    assert.equal(new Set(sandbox.calendar.events().map((e) => e.start.date)).size, 52);
  });

  it('hands back failures no retry can fix, with what was done (the standup ID)', async () => {
    sandbox.calendar.faults.script = [{ match: 'GET', kind: 'serverError', status: 403, reason: 'forbidden' }];
    const result = await activities.prepareHandover(input());
    assert.equal(result.failures.length, 1);
    assert.match(result.failures[0]!, /^calendar: Google Calendar refused/);
    assert.equal(typeof result.standupId, 'number', 'the standup was written and its ID is kept');
    assert.equal(result.calendar, null);
    assert.deepEqual(result.named, { memberId: byName('Chloe').id, buddyId: byName('Ben').id });
  });

  it('refuses a request without a rotation or with an unknown role', async () => {
    await assert.rejects(
      activities.prepareHandover({ ...input(), rotation: undefined as never }),
      (err: unknown) => err instanceof ApplicationFailure && err.nonRetryable && /rotation state/.test(err.message),
    );
    await assert.rejects(
      activities.prepareHandover(input({ role: 'no-such-role' })),
      (err: unknown) => err instanceof ApplicationFailure && err.type === 'UnknownRole',
    );
  });
});
