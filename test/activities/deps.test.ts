import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildActivityDeps, createActivities, FailureType } from '../../src/activities';
import { DEFAULT_SETTINGS } from '../../src/domain/config';
import type { ServiceState } from '../../src/domain/services';
import type { Env } from '../../src/secrets';
import { startFakeCalendar, type FakeCalendarServer } from '../../src/sandbox/calendar';
import { startFakeGeekbot, type FakeGeekbot } from '../../src/sandbox/geekbot';
import { startFakeSlack, type FakeSlack } from '../../src/sandbox/slack';
import {
  activityEnvironment,
  expectFailure,
  MANAGER,
  printable,
  runActivity,
  testServiceAccount,
  testSettings,
} from './helpers';

describe('buildActivityDeps + createActivities: real clients from the environment, pointed at the fakes', function () {
  this.timeout(20_000);
  let slack: FakeSlack;
  let geekbot: FakeGeekbot;
  let calendar: FakeCalendarServer;
  let dir: string;
  let env: Env;
  const account = testServiceAccount();

  beforeEach(async () => {
    [slack, geekbot, calendar] = await Promise.all([
      startFakeSlack({
        users: [
          { id: 'U0ALICE', displayName: 'alice' },
          { id: 'U0BOB', displayName: 'bob' },
        ],
        usergroups: [{ handle: 'support-triagers', users: ['U0BOB', 'U0ALICE'] }],
      }),
      startFakeGeekbot({ owner: MANAGER.id }),
      startFakeCalendar({ verifyKey: account.publicKeyPem }),
    ]);
    dir = await mkdtemp(path.join(tmpdir(), 'team-roles-deps-'));
    const keyPath = path.join(dir, 'service-account.json');
    await writeFile(keyPath, JSON.stringify(account.key));
    env = {
      TEAM_ROLES_SECRETS_DIR: path.join(dir, 'no-secrets-here'),
      SLACK_BOT_TOKEN: slack.token,
      SLACK_API_URL: slack.url,
      GEEKBOT_API_KEY: geekbot.apiKey,
      GEEKBOT_API_URL: geekbot.url,
      GOOGLE_APPLICATION_CREDENTIALS: keyPath,
      GOOGLE_CALENDAR_API_URL: calendar.url,
      CALENDAR_ID: calendar.calendarId,
    };
  });
  afterEach(async () => {
    await Promise.all([slack.close(), geekbot.close(), calendar.close(), rm(dir, { recursive: true, force: true })]);
  });

  it('runs every activity against the fakes, and no secret reaches the logs', async () => {
    const activities = createActivities(await buildActivityDeps(env, testSettings()));
    const { env: activityEnv, logs } = activityEnvironment();

    const members = await runActivity(activityEnv, activities.lookupMembers, 'support-triagers');
    assert.deepEqual(members, [
      { id: 'U0ALICE', name: 'alice' },
      { id: 'U0BOB', name: 'bob' },
    ]);
    const standup = await runActivity(activityEnv, activities.upsertStandup, {
      role: 'support-triager',
      incoming: { id: 'U0ALICE', name: 'alice' },
      buddy: { id: 'U0BOB', name: 'bob' },
    });
    assert.equal(standup.action, 'created');
    const turns = [
      { member: { id: 'U0ALICE', name: 'alice' }, start: '2025-01-08', end: '2025-01-22' },
      { member: { id: 'U0BOB', name: 'bob' }, start: '2025-01-15', end: '2025-01-29' },
    ];
    assert.deepEqual(
      await runActivity(activityEnv, activities.ensureCalendarTurns, { role: 'support-triager', turns }),
      {
        created: 2,
        repaired: 0,
        unchanged: 0,
      },
    );
    const events = await runActivity(activityEnv, activities.listCalendarEvents, {
      role: 'support-triager',
      from: '2025-01-01',
    });
    assert.deepEqual(
      events.map((e) => e.memberId),
      ['U0ALICE', 'U0BOB'],
    );
    assert.deepEqual(
      await runActivity(activityEnv, activities.deleteCalendarEvents, { role: 'support-triager', from: '2025-01-01' }),
      {
        deleted: 2,
        alreadyGone: 0,
      },
    );
    await expectFailure(runActivity(activityEnv, activities.lookupMembers, 'nobody'), {
      type: FailureType.SlackUsergroupNotFound,
      nonRetryable: true,
    });

    const everything = printable(logs);
    assert.ok(logs.length > 0);
    for (const secret of [slack.token, geekbot.apiKey, account.key.private_key.split('\n')[1] as string]) {
      assert.ok(!everything.includes(secret), 'no secret in the activity logs');
    }
  });

  it('the base URLs default to the real services', async () => {
    const deps = await buildActivityDeps(
      { ...env, SLACK_API_URL: undefined, GEEKBOT_API_URL: '', GOOGLE_CALENDAR_API_URL: undefined },
      testSettings(),
    );
    assert.equal(deps.slack.slackApiUrl, 'https://slack.com/api/');
    assert.equal(deps.geekbot?.apiUrl, 'https://api.geekbot.com');
    assert.equal(deps.calendar?.calendarId, calendar.calendarId);
    assert.equal(deps.calendar?.serviceAccountEmail, account.key.client_email);
  });

  it('with only Slack configured, Geekbot and the calendar are off and their activities say so', async () => {
    const slackOnly: Env = {
      TEAM_ROLES_SECRETS_DIR: env.TEAM_ROLES_SECRETS_DIR,
      SLACK_BOT_TOKEN: slack.token,
      SLACK_API_URL: slack.url,
    };
    const deps = await buildActivityDeps(slackOnly, testSettings({ standupManager: null }));
    assert.equal(deps.geekbot, null);
    assert.equal(deps.calendar, null);
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(deps.services).map(([name, state]: [string, ServiceState]) => [name, state.on]),
      ),
      {
        slackMembers: true,
        geekbot: false,
        slackMessages: false,
        onDutyGroup: false,
        calendar: false,
      },
    );
    const activities = createActivities(deps);
    const { env: activityEnv } = activityEnvironment();
    assert.equal((await runActivity(activityEnv, activities.lookupMembers, 'support-triagers')).length, 2);
    const off = [
      () =>
        runActivity(activityEnv, activities.upsertStandup, { role: 'support-triager', incoming: MANAGER, buddy: null }),
      () => runActivity(activityEnv, activities.ensureCalendarTurns, { role: 'support-triager', turns: [] }),
      () => runActivity(activityEnv, activities.listCalendarEvents, { role: 'support-triager', from: '2025-01-01' }),
      () => runActivity(activityEnv, activities.deleteCalendarEvents, { role: 'support-triager', from: '2025-01-01' }),
    ];
    for (const call of off) {
      const failure = await expectFailure(call(), { type: FailureType.ServiceOff, nonRetryable: true });
      assert.match(failure.message, /(Geekbot|the calendar) is off on this worker \(no (GEEKBOT_API_KEY|CALENDAR_ID)/);
    }
    assert.equal(geekbot.requests.length, 0);
    assert.equal(calendar.requests.length, 0);
  });

  it('a missing secret stops the worker before it starts, naming the variable and why the service is on', async () => {
    await assert.rejects(
      buildActivityDeps({ ...env, GEEKBOT_API_KEY: undefined }, testSettings()),
      /GEEKBOT_API_KEY.*\(Geekbot is on: standupManager is set\)/s,
    );
  });

  it('the member lookup and the on-duty group take from one Slack Tier 2 budget', async () => {
    const triager = DEFAULT_SETTINGS.roles['support-triager']!;
    const settings = testSettings({
      roles: { ...DEFAULT_SETTINGS.roles, 'support-triager': { ...triager, onDutyUsergroup: 'triager-on-duty' } },
    });
    const deps = await buildActivityDeps(env, settings);
    const activities = createActivities({ ...deps, limits: { slackTier2PerMinute: 2 } });
    const { env: activityEnv } = activityEnvironment();
    await runActivity(activityEnv, activities.lookupMembers, 'support-triagers');
    await runActivity(activityEnv, activities.lookupMembers, 'support-triagers');
    const lists = () => slack.calls().filter((method) => method === 'usergroups.list').length;
    assert.equal(lists(), 2);
    // The budget is spent for this minute: the group's first call (a usergroups.list) waits, and so would Slack.
    const sync = runActivity(activityEnv, activities.syncOnDutyGroup, {
      role: 'support-triager',
      members: [{ id: 'U0ALICE', name: 'alice' }],
    });
    const settled = await Promise.race([
      sync.then(
        () => 'done',
        () => 'failed',
      ),
      sleep(500).then(() => 'waiting'),
    ]);
    assert.equal(settled, 'waiting');
    assert.equal(lists(), 2);
    activityEnv.cancel();
    await assert.rejects(sync);
    assert.equal(lists(), 2);
  });
});
