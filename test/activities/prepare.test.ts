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
import { mergeSettings } from '../../src/settings';

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
    assert.deepEqual(result.named, {
      memberId: byName('Chloe').id,
      buddyId: byName('Ben').id,
      outgoingId: byName('Ava').id,
    });
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
    assert.deepEqual(result.named, {
      memberId: byName('Chloe').id,
      buddyId: byName('Ben').id,
      outgoingId: byName('Ava').id,
    });
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

describe('prepareHandover activity with Slack messages on (fakes over HTTP)', function () {
  this.timeout(30_000);
  const CHANNEL = 'C0SUPPORT1';
  let sandbox: Sandbox;
  let settings: Settings;

  beforeEach(async () => {
    sandbox = await startSandbox({
      groups: { 'support-triagers': DEMO_TEAM },
      standupManager: DEMO_MANAGER,
      channels: [{ id: CHANNEL, name: 'support' }],
    });
    const triager = DEFAULT_SETTINGS.roles['support-triager']!;
    settings = parseSettings({
      ...DEFAULT_SETTINGS,
      standupManager: DEMO_MANAGER,
      roles: { ...DEFAULT_SETTINGS.roles, 'support-triager': { ...triager, slack: { channel: CHANNEL } } },
    });
  });
  afterEach(() => sandbox.close());

  const input = (): PrepareHandoverInput => ({
    role: 'support-triager',
    date: DATE,
    rotation: initialState('support-triager', 2, DEMO_TEAM, { incoming: byName('Ben'), current: byName('Ava') }),
    standupId: null,
    turnCount: calendarTurnCount(settings.roles['support-triager']!, 12),
  });
  const posts = () => sandbox.slack.requests.filter((r) => r.path.endsWith('/chat.postMessage'));
  const dmTexts = (name: string) => sandbox.slack.dmWith(byName(name).id)?.messages.map((m) => m.text) ?? [];

  it('posts the notice in the channel and DMs the incoming member and the buddy, with the other writes', async () => {
    const activities = createActivities(await buildActivityDeps(sandbox.env, settings));
    sandbox.slack.faults.latencyMs = 150;
    const result = await activities.prepareHandover(input());
    sandbox.slack.faults.latencyMs = 0;
    assert.deepEqual(result.failures, []);
    assert.deepEqual(result.named, {
      memberId: byName('Chloe').id,
      buddyId: byName('Ben').id,
      outgoingId: byName('Ava').id,
    });

    const [post, ...more] = sandbox.slack.messagesIn(CHANNEL);
    assert.equal(more.length, 0);
    const mention = (name: string) => `<@${byName(name).id}>`;
    assert.equal(
      post?.text,
      `${mention('Chloe')} takes over as Support Triager on Wed 9 Dec with ${mention('Ben')}; ` +
        `${mention('Ava')} rotates off.`,
    );
    assert.equal(post?.metadata?.event_type, 'team_roles_notice');
    assert.equal(post?.metadata?.event_payload.handover_key, `support-triager@${DATE}`);
    assert.equal(dmTexts('Chloe').length, 1);
    assert.match(dmTexts('Chloe')[0]!, /You take over as \*Support Triager\* on Wed 9 Dec/);
    assert.equal(dmTexts('Ben').length, 1);
    assert.match(dmTexts('Ben')[0]!, new RegExp(`buddy of ${mention('Chloe')}`));
    assert.equal(dmTexts('Ava').length, 0, 'who rotates off gets no DM');

    // The DMs were opened and the keys searched while Slack answered the lookup; the posts come after its answer,
    // with the standup's and the calendar's writes: the critical path stays lookup (2 calls) + write (1).
    const lookup = sandbox.slack.requests.filter((r) => /\/(usergroups\.list|users\.info)$/.test(r.path));
    const lookupDone = Math.max(...lookup.map((r) => r.endedAt ?? Infinity));
    const reads = sandbox.slack.requests.filter((r) => /\/conversations\.(open|history)$/.test(r.path));
    assert.equal(reads.length, 5, 'two DMs opened, three keys searched');
    for (const read of reads) assert.ok(read.startedAt < lookupDone, `${read.path} during the lookup`);
    assert.equal(posts().length, 3);
    for (const write of posts()) assert.ok(write.startedAt >= lookupDone, 'posted after the lookup');
    const standupWrite = sandbox.geekbot.requests.find((r) => r.method !== 'GET');
    assert.ok(standupWrite && standupWrite.startedAt < Math.min(...posts().map((r) => r.endedAt ?? Infinity)));

    // Again (a retry, or a worker killed after Slack answered): every message is found by its key, none posted.
    const again = await activities.prepareHandover({ ...input(), standupId: result.standupId });
    assert.deepEqual(again.failures, []);
    assert.equal(posts().length, 3);
    assert.equal(sandbox.slack.messagesIn(CHANNEL).length, 1);
  });

  it('a lost answer to a post is found by its key on the retry: one message each', async () => {
    const activities = createActivities(await buildActivityDeps(sandbox.env, settings));
    sandbox.slack.faults.script = [{ match: 'chat.postMessage', kind: 'lostResponse', times: 3 }];
    await activities.prepareHandover(input()).catch(() => undefined);
    const retry = await activities.prepareHandover(input());
    assert.deepEqual(retry.failures, []);
    assert.equal(sandbox.slack.messagesIn(CHANNEL).length, 1);
    assert.equal(dmTexts('Chloe').length, 1);
    assert.equal(dmTexts('Ben').length, 1);
  });

  it('names who the lookup says: a member who left gets no DM, the one named instead does', async () => {
    const activities = createActivities(await buildActivityDeps(sandbox.env, settings));
    sandbox.setGroup(
      'support-triagers',
      DEMO_TEAM.filter((m) => m.name !== 'Chloe'),
    );
    const result = await activities.prepareHandover(input());
    assert.deepEqual(result.failures, []);
    assert.equal(result.named?.memberId, byName('Dan').id);
    assert.equal(dmTexts('Chloe').length, 0);
    assert.equal(dmTexts('Dan').length, 1);
    assert.match(sandbox.slack.messagesIn(CHANNEL)[0]?.text ?? '', new RegExp(`^<@${byName('Dan').id}> takes over`));
  });

  it('a channel the bot is not in is a failure of the step; the DMs, the standup and the calendar go ahead', async () => {
    sandbox.slack.state.channels[CHANNEL]!.members = [];
    const activities = createActivities(await buildActivityDeps(sandbox.env, settings));
    const result = await activities.prepareHandover(input());
    assert.equal(result.failures.length, 1);
    assert.match(result.failures[0]!, /^slack: The Slack bot is not in channel C0SUPPORT1/);
    assert.equal(dmTexts('Chloe').length, 1);
    assert.equal(typeof result.standupId, 'number');
    assert.equal(result.calendar?.created, 52);
  });

  it('with only Slack configured, Geekbot and the calendar are not called', async () => {
    const slackOnly = { SLACK_BOT_TOKEN: sandbox.env.SLACK_BOT_TOKEN, SLACK_API_URL: sandbox.env.SLACK_API_URL };
    const deps = await buildActivityDeps(
      { ...slackOnly, TEAM_ROLES_SECRETS_DIR: '/nonexistent' },
      { ...settings, standupManager: null },
    );
    const result = await createActivities(deps).prepareHandover(input());
    assert.deepEqual(result.failures, []);
    assert.equal(result.calendar, null);
    assert.equal(result.standupId, null);
    assert.equal(sandbox.geekbot.requests.length, 0);
    assert.equal(sandbox.calendar.requests.length, 0);
    assert.equal(posts().length, 3);
  });
});

describe('prepareHandover: the absence check before the notice (fakes over HTTP)', function () {
  this.timeout(30_000);
  let sandbox: Sandbox;
  let settings: Settings;
  let activities: ReturnType<typeof createActivities>;
  const CHANNEL = 'C0SUPPORT1';
  /** Ella's turn from DATE (Wed 9 Dec) has ten working days; this week is five of them. */
  const ELLA_AWAY = { memberId: byName('Ella').id, start: '2026-12-14', end: '2026-12-19' };

  async function start(outOfOffice = [ELLA_AWAY]): Promise<void> {
    sandbox = await startSandbox({
      groups: { 'support-triagers': DEMO_TEAM },
      standupManager: DEMO_MANAGER,
      channels: [{ id: CHANNEL, name: 'support-freshdesk' }],
      outOfOffice,
    });
    settings = parseSettings(
      mergeSettings(
        { ...DEFAULT_SETTINGS, standupManager: DEMO_MANAGER },
        { roles: { 'support-triager': { absences: { outOfOffice: true }, slack: { channel: CHANNEL } } } },
      ),
    );
    activities = createActivities(await buildActivityDeps(sandbox.env, settings));
  }
  afterEach(() => sandbox?.close());

  /** Dan incoming, Chloe current: the notice for DATE would name Ella, buddy Dan; Finn would stand in. */
  const input = (overrides: Partial<PrepareHandoverInput> = {}): PrepareHandoverInput => ({
    role: 'support-triager',
    date: DATE,
    rotation: initialState('support-triager', 2, DEMO_TEAM, { incoming: byName('Dan'), current: byName('Chloe') }),
    standupId: null,
    turnCount: 4,
    checkAbsences: true,
    ...overrides,
  });
  const dmsTo = (name: string) =>
    Object.values(sandbox.slack.state.channels)
      .filter((c) => c.is_im && c.user === byName(name).id)
      .flatMap((c) => sandbox.slack.messagesIn(c.id))
      .map((m) => `${String(m.metadata?.event_payload?.message_kind)}: ${m.text}`);

  it('an out-of-office week over the turn skips the member; the next one is named, both told, read alongside Slack', async () => {
    await start();
    sandbox.slack.faults.latencyMs = 150; // a slow Slack: the absence reads fall within its answer
    const result = await activities.prepareHandover(input());
    sandbox.slack.faults.latencyMs = 0;
    assert.deepEqual(result.named, {
      memberId: byName('Finn').id,
      buddyId: byName('Dan').id,
      outgoingId: byName('Chloe').id,
    });
    assert.deepEqual(result.failures, []);
    assert.deepEqual(
      result.absences?.skipped.map((m) => m.name),
      ['Ella'],
    );
    assert.deepEqual(
      result.absences?.findings.map((f) => [f.member.name, f.kind, f.coverage]),
      [
        ['Ella', 'skip', 0.5],
        ['Finn', 'clear', 0],
      ],
    );
    // Ella and Finn were read in the first round: their out-of-office lists started before Slack's lookup ended
    // (the group, then each member's users.info; the DMs come after it).
    const lookupDone = Math.max(
      ...sandbox.slack.requests.filter((r) => /usergroups|users\.info/.test(r.path)).map((r) => r.endedAt ?? Infinity),
    );
    const lists = sandbox.calendar.requests.filter((r) => r.method === 'GET' && /primary\/events/.test(r.path));
    assert.equal(lists.length, 2, 'one list each for Ella and Finn, no second round');
    assert.ok(
      lists.every((r) => r.startedAt < lookupDone),
      'absences read during the lookup',
    );
    // Finn takes the turn in the standup and the calendar; both are told.
    const [standup] = sandbox.geekbot.state.standups;
    assert.deepEqual(standup?.users.map((u) => u.id).sort(), [byName('Finn').id, DEMO_MANAGER.id].sort());
    assert.equal(sandbox.calendar.events().find((e) => e.start.date === DATE)?.summary, 'Support Triager: Finn');
    assert.deepEqual(dmsTo('Ella'), [
      'absence-skipped: Hi Ella! Your calendar shows you out of office on Mon 14 Dec, Tue 15 Dec, Wed 16 Dec, Thu 17 ' +
        'Dec, Fri 18 Dec, much of your *Support Triager* turn from Wed 9 Dec, so <@U0FINN0006> takes that turn ' +
        'instead. You keep your place and serve at the next turn you can.',
    ]);
    // Finn gets the notice as every incoming member does, and the cover message saying why it is them.
    assert.deepEqual(dmsTo('Finn'), [
      'notice-incoming: Hi Finn! You take over as *Support Triager* on Wed 9 Dec, until Tue 22 Dec. <@U0DAN00004> ' +
        'serves with you as your buddy.',
      'absence-cover: Hi Finn! <@U0ELLA0005> is out of office for much of the *Support Triager* turn from Wed 9 ' +
        'Dec, so you take it instead, until Tue 22 Dec.',
    ]);

    // A retry (the worker died after Slack answered) tells nobody twice.
    await activities.prepareHandover(input({ standupId: result.standupId }));
    assert.equal(dmsTo('Ella').length + dmsTo('Finn').length, 3, 'each DM once (Finn: the notice and the cover)');
  });

  it('a run that does not ask for the check, or a role without absences, reads none and skips nobody', async () => {
    await start();
    const notAsked = await activities.prepareHandover(input({ checkAbsences: undefined }));
    assert.equal(notAsked.named?.memberId, byName('Ella').id);
    assert.equal(notAsked.absences ?? null, null);
    assert.equal(sandbox.calendar.calls().filter((c) => c === 'POST /token').length, 0, 'no delegated read');
  });

  it('away below the threshold: named, with the away days; a failed read (no delegation): named, with the cause', async () => {
    await start([{ memberId: byName('Ella').id, start: '2026-12-14', end: '2026-12-16' }]);
    const away = await activities.prepareHandover(input());
    assert.equal(away.named?.memberId, byName('Ella').id);
    assert.deepEqual(
      away.absences?.findings.map((f) => [f.member.name, f.kind, f.awayDays]),
      [['Ella', 'away', 'Mon 14 Dec, Tue 15 Dec']],
    );

    // A fresh worker (the one above holds Ella's token for an hour), and Ella away the whole turn but unreadable.
    await sandbox.close();
    await start([{ memberId: byName('Ella').id, start: '2026-12-09', end: '2026-12-23' }]);
    sandbox.calendar.withholdDelegation(sandbox.emails[byName('Ella').id]!);
    const unknown = await activities.prepareHandover(input());
    assert.equal(unknown.named?.memberId, byName('Ella').id, 'a read that failed never skips');
    assert.deepEqual(unknown.failures, []);
    const [finding] = unknown.absences?.findings ?? [];
    assert.equal(finding?.kind, 'unknown');
    assert.match(finding?.failures.join(' ') ?? '', /no domain-wide delegation for ella@example\.test/);
    assert.deepEqual(dmsTo('Finn'), [], 'nobody told of a skip that did not happen');
  });
});
