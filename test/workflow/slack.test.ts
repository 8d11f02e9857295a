/**
 * The role workflow's presence in Slack (issue 14) on the local dev server: the notice's channel post and DMs (inside
 * the prepare step), the handover's channel post and the on-duty group (one local activity after the handover, the
 * group also at a run's start and after an override), each message exactly once; and a worker that has only Slack.
 * Handovers are triggered with `handoverNow`; the rotation's own handover is three days ahead (roleTiming), so
 * nothing is due from the clock while a test runs.
 */
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { buildActivityDeps } from '../../src/activities/deps';
import type { MessageKind } from '../../src/domain/messages';
import { NOTICE_EVENT_TYPE } from '../../src/activities/slack-messages';
import { startDevServer } from '../../src/servers/environments';
import { handoverNowUpdate, overrideUpdate, stateQuery, type RoleWorkflowInput } from '../../src/shared';
import type { FakeSlack } from '../../src/sandbox/slack';
import type { roleWorkflow } from '../../src/workflows';
import {
  byName,
  EventType,
  recordHistory,
  roleBed,
  roleTiming,
  runHistories,
  startServer,
  stateOf,
  TEST_CLOCK_SHIFT_MS,
  waitFor,
  workflowBundle,
  workflowTaskFailures,
  type RoleBed,
  type RunHistory,
} from '../support';

const CHANNEL = { id: 'C0SUPPORT1', name: 'support-freshdesk' };
const ON_DUTY = 'support-triager-on-duty';
/** The support triager with its messages in CHANNEL and an on-duty group. */
const SLACK_ROLE = {
  ...roleTiming('prepare not yet due'),
  slack: { channel: CHANNEL.id, enabled: true },
  onDutyUsergroup: ON_DUTY,
};
const SEED: RoleWorkflowInput = {
  role: 'support-triager',
  mode: 'schedule',
  seed: { incoming: 'Ben', current: 'Ava' },
};

/** Every message the bot posted (channel and DMs), as `kind handoverKey → conversation`. */
function botMessages(slack: FakeSlack): string[] {
  const lines: string[] = [];
  for (const channel of Object.values(slack.state.channels)) {
    for (const message of slack.messagesIn(channel.id)) {
      const metadata = message.metadata;
      if (metadata?.event_type !== NOTICE_EVENT_TYPE) continue;
      const where = channel.is_im ? `DM ${channel.user}` : channel.id;
      lines.push(
        `${String(metadata.event_payload.message_kind)} ${String(metadata.event_payload.handover_key)} → ${where}`,
      );
    }
  }
  return lines.sort();
}

/** The on-duty group's members (sorted IDs), or undefined while it does not exist. */
function onDutyMembers(slack: FakeSlack): string[] | undefined {
  return slack.state.usergroups
    .find((group) => group.handle === ON_DUTY)
    ?.users.slice()
    .sort();
}

const ids = (...names: string[]) => names.map((name) => byName(name).id).sort();

/** Lines for the messages of one handover: notice post, DMs to incoming and buddy, handover post. */
function handoverMessages(date: string, incoming: string, buddy: string): string[] {
  const key = `support-triager@${date}`;
  const line = (kind: MessageKind, where: string) => `${kind} ${key} → ${where}`;
  return [
    line('notice-channel', CHANNEL.id),
    line('notice-incoming', `DM ${byName(incoming).id}`),
    line('notice-buddy', `DM ${byName(buddy).id}`),
    line('handover-channel', CHANNEL.id),
  ];
}

/** Local activities recorded as markers in these runs, by activity type. */
function localActivities(runs: readonly RunHistory[], type: string): number {
  return runs
    .flatMap((run) => run.events)
    .filter((event) => event.eventType === EventType.EVENT_TYPE_MARKER_RECORDED)
    .filter((event) => {
      const data = event.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
      return data !== undefined && data !== null && Buffer.from(data).toString('utf8').includes(`"${type}"`);
    }).length;
}

describe('role workflow: Slack messages and the on-duty group (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let bed: RoleBed | undefined;

  before(async () => {
    env = await startServer('the dev server', () => startDevServer({ resolve: { sdkDownload: false } }));
  });
  after(async () => {
    await env?.teardown();
  });
  afterEach(async () => {
    await bed?.close();
    bed = undefined;
  });

  it('posts the notice and the handover once each, and keeps the on-duty group equal to who serves', async () => {
    bed = await roleBed(env, { channels: [CHANNEL], settings: { roles: { 'support-triager': SLACK_ROLE } } });
    const { slack } = bed.sandbox;
    const worker = await bed.worker();
    await worker.runUntil(async () => {
      const handle: WorkflowHandle<typeof roleWorkflow> = await env.client.workflow.start<typeof roleWorkflow>(
        'roleWorkflow',
        { workflowId: bed!.workflowId, taskQueue: bed!.taskQueue, args: [SEED] },
      );
      // At the run's start the group is created with who serves (incoming Ben and current Ava); no message yet.
      await stateOf(handle);
      assert.deepEqual(await waitFor('the on-duty group', () => onDutyMembers(slack)), ids('Ben', 'Ava'));
      assert.deepEqual(botMessages(slack), []);

      const first = await handle.executeUpdate(handoverNowUpdate, { args: [{}] });
      const firstDate = first.history.at(-1)!.start;
      assert.deepEqual([first.incoming?.name, first.current?.name], ['Chloe', 'Ben']);
      assert.deepEqual(botMessages(slack), handoverMessages(firstDate, 'Chloe', 'Ben').sort());
      assert.deepEqual(onDutyMembers(slack), ids('Chloe', 'Ben'));
      const handoverPost = slack.messagesIn(CHANNEL.id).at(-1)!;
      assert.match(handoverPost.text, new RegExp(`<@${byName('Chloe').id}>`), 'the handover post names the incoming');

      // The same handover asked for again changes nothing in Slack.
      const calls = slack.calls().length;
      await handle.executeUpdate(handoverNowUpdate, { args: [{ date: firstDate }] });
      assert.deepEqual(
        slack
          .calls()
          .slice(calls)
          .filter((method) => method.startsWith('chat.')),
        [],
        'no post for a repeated handover',
      );

      const second = await handle.executeUpdate(handoverNowUpdate, { args: [{}] });
      const secondDate = second.history.at(-1)!.start;
      assert.deepEqual(
        botMessages(slack),
        [...handoverMessages(firstDate, 'Chloe', 'Ben'), ...handoverMessages(secondDate, 'Dan', 'Chloe')].sort(),
      );
      assert.deepEqual(onDutyMembers(slack), ids('Dan', 'Chloe'));

      // An override of who serves now: the group follows.
      await handle.executeUpdate(overrideUpdate, { args: [{ current: byName('Grace').id }] });
      await waitFor('the group after the override', () =>
        JSON.stringify(onDutyMembers(slack)) === JSON.stringify(ids('Dan', 'Grace')) ? true : undefined,
      );
      const state = await handle.query(stateQuery);
      assert.deepEqual(state.warnings, [], 'nothing left undone in Slack');

      const runs = await runHistories(env.client, bed!.workflowId);
      assert.deepEqual(workflowTaskFailures(runs), [], 'no workflow task failed');
      assert.equal(localActivities(runs, 'announceHandover'), 2, 'one announcement per handover');
      assert.equal(localActivities(runs, 'syncOnDutyGroup'), 2, 'the group set at the start and after the override');
      await recordHistory(handle, 'support-triager-slack');
    });
  });

  it('runs with only Slack configured: no Geekbot, no calendar, the messages still go out', async () => {
    bed = await roleBed(env, { channels: [CHANNEL], settings: { roles: { 'support-triager': SLACK_ROLE } } });
    const { sandbox } = bed;
    // No standup manager and no calendar ID: neither Geekbot nor the calendar is configured.
    const settings = { ...bed.settings, standupManager: null, calendarId: undefined };
    const onlySlack = { SLACK_API_URL: sandbox.env.SLACK_API_URL!, SLACK_BOT_TOKEN: sandbox.env.SLACK_BOT_TOKEN! };
    const deps = await buildActivityDeps(onlySlack, settings);
    assert.deepEqual(
      [deps.services.geekbot.on, deps.services.calendar.on, deps.services.slackMessages.on],
      [false, false, true],
    );
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue: bed.taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createActivities({
        ...deps,
        testClockShiftMs: TEST_CLOCK_SHIFT_MS,
        limits: { slackTier2PerMinute: 100_000 },
        temporalClient: () => env.client,
      }),
    });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start<typeof roleWorkflow>('roleWorkflow', {
        workflowId: bed!.workflowId,
        taskQueue: bed!.taskQueue,
        args: [SEED],
      });
      const state = await handle.executeUpdate(handoverNowUpdate, { args: [{}] });
      const date = state.history.at(-1)!.start;
      assert.deepEqual([state.incoming?.name, state.current?.name], ['Chloe', 'Ben']);
      assert.equal(state.lastError, null);
      assert.deepEqual(botMessages(sandbox.slack), handoverMessages(date, 'Chloe', 'Ben').sort());
      assert.deepEqual(onDutyMembers(sandbox.slack), ids('Chloe', 'Ben'));
      assert.deepEqual(sandbox.geekbot.calls(), [], 'Geekbot not called');
      assert.deepEqual(sandbox.calendar.requests, [], 'the calendar not called');
      assert.deepEqual(state.services?.geekbot.on, false);
    });
  });
});
