/** The on-duty group service through the real @slack/web-api against the fake Slack. */
import assert from 'node:assert/strict';
import { FailureType } from '../../src/activities/errors';
import { createOnDutyGroupService } from '../../src/activities/on-duty-group';
import { RequestBudget } from '../../src/activities/request-budget';
import { createSlackClient } from '../../src/activities/slack';
import { DEFAULT_SETTINGS, parseSettings } from '../../src/domain/config';
import { mergeSettings } from '../../src/settings';
import { FAKE_SLACK_SCOPES, startFakeSlack, type FakeSlack } from '../../src/sandbox/slack';
import { activityEnvironment, expectFailure, runActivity } from './helpers';

const AVA = { id: 'U0AVA', name: 'Ava' };
const BEN = { id: 'U0BEN', name: 'Ben' };
const CHLOE = { id: 'U0CHLOE', name: 'Chloe' };
const HANDLE = 'support-triager-on-duty';

const settings = parseSettings(
  mergeSettings(DEFAULT_SETTINGS, {
    roles: {
      'support-triager': { onDutyUsergroup: `@${HANDLE}` },
      'meeting-facilitator': { onDutyUsergroup: 'facilitator-on-duty' },
    },
  }),
);

describe('On-duty group service against the fake Slack', () => {
  let slack: FakeSlack;

  beforeEach(async () => {
    slack = await startFakeSlack({
      users: [AVA, BEN, CHLOE].map((m) => ({ id: m.id, displayName: m.name })),
      usergroups: [{ handle: 'support-triagers', users: [AVA.id, BEN.id, CHLOE.id] }],
      scopes: FAKE_SLACK_SCOPES,
    });
  });
  afterEach(() => slack.close());

  const service = (budget?: RequestBudget, config = settings) =>
    createOnDutyGroupService({
      settings: config,
      slack: createSlackClient({ token: slack.token, apiUrl: slack.url }),
      budget,
    });
  const group = (handle = HANDLE) => slack.state.usergroups.find((g) => g.handle === handle);

  it('creates the group when missing, then reads first and leaves it alone when already right', async () => {
    const first = await service().syncOnDutyGroup({ role: 'support-triager', members: [CHLOE, BEN] });
    assert.deepEqual(first, { handle: HANDLE, action: 'created', userIds: [CHLOE.id, BEN.id], warning: null });
    assert.deepEqual(slack.calls(), ['usergroups.list', 'usergroups.create', 'usergroups.users.update']);
    assert.equal(group()?.name, 'Support Triager on duty');
    assert.deepEqual(group()?.users, [CHLOE.id, BEN.id]);

    slack.clearRequests();
    const again = await service().syncOnDutyGroup({ role: 'support-triager', members: [BEN, CHLOE] });
    assert.equal(again.action, 'unchanged', 'order does not matter');
    assert.deepEqual(slack.calls(), ['usergroups.list']);

    slack.clearRequests();
    const next = await service().syncOnDutyGroup({ role: 'support-triager', members: [AVA, CHLOE] });
    assert.equal(next.action, 'updated');
    assert.deepEqual(slack.calls(), ['usergroups.list', 'usergroups.users.update']);
    assert.deepEqual(group()?.users, [AVA.id, CHLOE.id]);
  });

  it('re-enables a disabled group; a create whose answer was lost is found again', async () => {
    slack.faults = { script: [{ match: 'usergroups.create', kind: 'lostResponse' }] };
    const created = await service().syncOnDutyGroup({ role: 'support-triager', members: [AVA] });
    assert.equal(created.action, 'created');
    assert.equal(slack.state.usergroups.filter((g) => g.handle === HANDLE).length, 1);
    assert.deepEqual(group()?.users, [AVA.id]);

    group()!.date_delete = 1700000000;
    slack.clearRequests();
    const enabled = await service().syncOnDutyGroup({ role: 'support-triager', members: [AVA] });
    assert.equal(enabled.action, 'updated');
    assert.deepEqual(slack.calls(), ['usergroups.list', 'usergroups.enable', 'usergroups.users.update']);
    assert.equal(group()?.date_delete, 0);
  });

  it('without usergroups:write, or where the workspace restricts edits: a warning, no failure', async () => {
    slack.state.tokens[slack.token]!.scopes = FAKE_SLACK_SCOPES.filter((s) => s !== 'usergroups:write');
    const scoped = await service().syncOnDutyGroup({ role: 'support-triager', members: [AVA, BEN] });
    assert.equal(scoped.action, 'not-kept');
    assert.match(
      scoped.warning ?? '',
      /^The on-duty group @support-triager-on-duty is not kept: The Slack app lacks the usergroups:write scope that usergroups\.create needs \(keeping the on-duty group/,
    );

    slack.state.tokens[slack.token]!.scopes = FAKE_SLACK_SCOPES;
    await service().syncOnDutyGroup({ role: 'support-triager', members: [AVA, BEN] });
    slack.state.usergroupEdits = 'admins';
    const restricted = await service().syncOnDutyGroup({ role: 'support-triager', members: [CHLOE, BEN] });
    assert.deepEqual([restricted.action, restricted.userIds], ['not-kept', [AVA.id, BEN.id]]);
    assert.match(
      restricted.warning ?? '',
      /Slack refused to change the on-duty group @support-triager-on-duty \(permission_denied\): the workspace restricts who may edit user groups.*Workspace settings → Permissions → User Groups/,
    );
    // Already right needs no write: no warning then.
    const right = await service().syncOnDutyGroup({ role: 'support-triager', members: [AVA, BEN] });
    assert.deepEqual([right.action, right.warning], ['unchanged', null]);
  });

  it('off without onDutyUsergroup; nobody to serve leaves the group as it is', async () => {
    const off = await service(undefined, parseSettings(DEFAULT_SETTINGS)).syncOnDutyGroup({
      role: 'support-triager',
      members: [AVA],
    });
    assert.deepEqual(off, { handle: null, action: 'off', userIds: [], warning: null });
    const nobody = await service().syncOnDutyGroup({ role: 'support-triager', members: [] });
    assert.equal(nobody.action, 'not-kept');
    assert.match(nobody.warning ?? '', /Slack cannot empty a user group/);
    assert.equal(slack.requests.length, 0);
  });

  it('every role on the worker takes from one Tier 2 budget', async () => {
    let clock = 0;
    const slept: number[] = [];
    const budget = new RequestBudget({
      limit: 3,
      windowMs: 60_000,
      now: () => clock,
      sleep: (ms) => {
        slept.push(ms);
        clock += ms;
        return Promise.resolve();
      },
    });
    const shared = service(budget);
    await shared.syncOnDutyGroup({ role: 'support-triager', members: [AVA, BEN] }); // list, create, update
    assert.deepEqual(slept, []);
    clock += 10_000;
    await shared.syncOnDutyGroup({ role: 'meeting-facilitator', members: [CHLOE] }); // waits for a free slot
    assert.deepEqual(slept, [50_000]);
    assert.deepEqual(group('facilitator-on-duty')?.users, [CHLOE.id]);
  });

  it('Slack’s own 429 is retryable after its Retry-After; as an activity it runs the same', async () => {
    slack.state.rateLimits['usergroups.list'] = 0;
    const failure = await expectFailure(service().syncOnDutyGroup({ role: 'support-triager', members: [AVA] }), {
      type: FailureType.RateLimited,
      nonRetryable: false,
    });
    assert.ok(Number(failure.nextRetryDelay) >= 1000);

    slack.state.rateLimits = {};
    const { env } = activityEnvironment();
    const result = await runActivity(env, service().activities.syncOnDutyGroup, {
      role: 'support-triager',
      members: [BEN],
    });
    assert.equal(result.action, 'created');
  });
});
