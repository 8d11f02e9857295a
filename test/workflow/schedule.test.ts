/**
 * Schedule mode on the dev server: a Temporal Schedule starts `scheduledHandover`, which delivers `handoverNow` to
 * `team-roles/<role>` with signal-with-start (starting the rotation in schedule mode when it is not running). The
 * role workflow hands over once per handover date, however often the schedule fires or is triggered for it.
 *
 * The schedule's action names the contract's task queue `team-roles` and workflow ID `team-roles/<role>`, so the
 * worker here polls `team-roles`, and each test uses a role of its own (a copy of the support triager).
 */
import assert from 'node:assert/strict';
import type { ScheduleDescription, ScheduleHandle, WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { DEFAULT_SETTINGS, type RoleConfig, type RoleConfigInput } from '../../src/domain/config';
import { alignToHandoverDate, handoverDateOf, nextHandoverAfter } from '../../src/domain/schedule';
import { handoverScheduleId, handoverScheduleOptions } from '../../src/schedules/spec';
import { startDevServer } from '../../src/servers/environments';
import { handoverNowUpdate, roleWorkflowId, TASK_QUEUE, type RoleStateView } from '../../src/shared';
import type { scheduledHandover } from '../../src/workflows';
import { DEMO_MANAGER } from '../../src/sandbox/sandbox';
import {
  recordHistory,
  roleBed,
  roleTiming,
  runHistories,
  startServer,
  stateOf,
  waitFor,
  workflowTaskFailures,
  type RoleBed,
} from '../support';

/**
 * A copy of the support triager whose handover is three days from now and its notice a day before that: nothing is
 * due by the clock while the test runs, so every step here is one a schedule asked for. The schedules fire on the
 * server's real clock, so these rotations run on it too (`realClock`), whatever TEAM_ROLES_TEST_NOW says.
 */
const supportTriager = DEFAULT_SETTINGS.roles['support-triager'] as RoleConfigInput;
function copyOfSupportTriager(title: string, standup: string): RoleConfigInput {
  const timing = roleTiming('prepare not yet due', Date.now());
  return { ...supportTriager, ...timing, title, standup: { ...supportTriager.standup, name: standup } };
}

describe('role workflow: schedule mode (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let bed: RoleBed;
  let worker: Worker;
  let running: Promise<void>;
  const schedules: ScheduleHandle[] = [];

  before(async () => {
    env = await startServer('the dev server', () => startDevServer({ resolve: { sdkDownload: false } }));
    bed = await roleBed(env, {
      taskQueue: TASK_QUEUE,
      realClock: true,
      settings: {
        roles: {
          ...DEFAULT_SETTINGS.roles,
          'backfill-test': copyOfSupportTriager('Backfill Test', 'BackfillTest'),
          'trigger-test': copyOfSupportTriager('Trigger Test', 'TriggerTest'),
        },
      },
    });
    worker = await bed.worker();
    running = worker.run();
  });
  after(async () => {
    for (const schedule of schedules) await schedule.delete().catch(() => undefined);
    if (worker) {
      worker.shutdown();
      await running;
    }
    await bed?.close();
    await env?.teardown();
  });

  /** The product's schedule for `role`, with `spec` changes. */
  async function createSchedule(
    roleName: string,
    spec: (options: ReturnType<typeof handoverScheduleOptions>) => ReturnType<typeof handoverScheduleOptions>['spec'],
  ): Promise<{ schedule: ScheduleHandle; role: RoleConfig }> {
    const role = bed.settings.roles[roleName]!;
    const options = handoverScheduleOptions(roleName, role, bed.settings.timeZone);
    assert.equal(options.scheduleId, handoverScheduleId(roleName));
    assert.equal(options.action.type === 'startWorkflow' && options.action.taskQueue, TASK_QUEUE);
    const schedule = await env.client.schedule.create({ ...options, spec: spec(options) });
    schedules.push(schedule);
    return { schedule, role };
  }

  /** Waits until the schedule has taken `count` actions and none is running. */
  function settled(schedule: ScheduleHandle, count: number): Promise<ScheduleDescription> {
    return waitFor(
      `${count} scheduled run(s) finished`,
      async () => {
        const d = await schedule.describe();
        return d.info.recentActions.length >= count && d.info.runningActions.length === 0 && d;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  }

  /** What each scheduled run delivered (its result). */
  async function delivered(description: ScheduleDescription): Promise<string[]> {
    const dates: string[] = [];
    for (const { action } of description.info.recentActions) {
      const run = env.client.workflow.getHandle<typeof scheduledHandover>(
        action.workflow.workflowId,
        action.workflow.firstExecutionRunId,
      );
      dates.push((await run.result()).date);
    }
    return dates;
  }

  /**
   * The rotation's state once it has handled every handoverNow delivered so far: a handoverNow update for a date
   * already handed over changes nothing, and is answered only after the requests queued before it.
   */
  async function stateAfterDeliveries(handle: WorkflowHandle, handedOver: string): Promise<RoleStateView> {
    await stateOf(handle);
    return handle.executeUpdate(handoverNowUpdate, { args: [{ date: handedOver }] });
  }

  it('the schedule delivering one handover date twice (a backfill) starts the rotation and hands over once', async () => {
    const roleName = 'backfill-test';
    // The role's weekday at 10:00 in its time zone, and a second time a minute later: each handover date is delivered
    // twice.
    const { schedule, role } = await createSchedule(roleName, (options) => {
      const [calendar] = options.spec.calendars ?? [];
      assert.ok(calendar && typeof calendar.minute === 'number');
      return { ...options.spec, calendars: [calendar, { ...calendar, minute: calendar.minute + 1 }] };
    });
    // Last week's handover, delivered late: a backfill over both of its times (they run at once).
    const timeZone = bed.settings.timeZone;
    const lastHandoverAt = new Date(nextHandoverAfter(role, timeZone, new Date()).getTime() - 7 * 86_400_000);
    const lastDate = handoverDateOf(role, timeZone, lastHandoverAt);
    await schedule.backfill({
      start: new Date(lastHandoverAt.getTime() - 60_000),
      end: new Date(lastHandoverAt.getTime() + 120_000),
      overlap: 'ALLOW_ALL',
    });
    assert.deepEqual(await delivered(await settled(schedule, 2)), [lastDate, lastDate]);

    const handle = env.client.workflow.getHandle(roleWorkflowId(roleName));
    const state = await stateAfterDeliveries(handle, lastDate);
    assert.equal(state.mode, 'schedule', 'started by the schedule, in schedule mode');
    assert.deepEqual(
      state.history.map((t) => [t.member.name, t.start]),
      [['Ava', lastDate]],
      'one handover; a fresh rotation starts with the first member',
    );
    assert.equal(state.lastHandoverKey, `${roleName}@${lastDate}`);
    assert.equal(state.current, null);
    const signals = ((await handle.fetchHistory()).events ?? []).filter(
      (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'handoverNow',
    );
    assert.equal(signals.length, 2, 'both runs delivered handoverNow');
    assert.deepEqual(workflowTaskFailures(await runHistories(env.client, roleWorkflowId(roleName))), []);

    // One standup, written once, pointed at the incoming member; one event per turn.
    const standups = bed.sandbox.geekbot.state.standups.filter((s) => s.name === 'BackfillTest');
    assert.equal(standups.length, 1);
    assert.deepEqual(standups[0]?.users.map((u) => u.id).sort(), [state.incoming!.id, DEMO_MANAGER.id].sort());
    const writes = bed.sandbox.geekbot.requests.filter(
      (r) => r.method !== 'GET' && JSON.stringify(r.body ?? '').includes('Backfill Test'),
    );
    assert.equal(writes.length, 1, 'the standup was written once');
    const events = bed.sandbox.calendar.events().filter((e) => e.extendedProperties?.private?.teamRole === roleName);
    const starts = events.map((e) => e.start.date);
    assert.equal(new Set(starts).size, starts.length, 'no duplicate calendar events');
    assert.equal(events.find((e) => e.start.date === lastDate)?.summary, 'Backfill Test: Ava');
    await recordHistory(handle, 'schedule-test-started-by-schedule');
  });

  it('triggered twice on the same day, the schedule hands over once', async () => {
    const roleName = 'trigger-test';
    const { schedule, role } = await createSchedule(roleName, (options) => options.spec);
    // Today's handover date if today is a handover day, else the next one: what a trigger today hands over.
    const today = handoverDateOf(role, bed.settings.timeZone, new Date());
    const expected = alignToHandoverDate(role, today);
    await schedule.trigger();
    const first = (await settled(schedule, 1)).info.recentActions[0]!;
    // A scheduled run's workflow ID ends with its time to the second: trigger again in a later second.
    await waitFor('a new second', () => Date.now() > first.takenAt.getTime() + 1000);
    await schedule.trigger();
    await settled(schedule, 2);

    const handle = env.client.workflow.getHandle(roleWorkflowId(roleName));
    const dates = await delivered(await schedule.describe());
    const state = await stateAfterDeliveries(handle, expected);
    assert.deepEqual(
      state.history.map((t) => t.start),
      [expected],
      `one handover for ${expected}, however often the schedule is triggered on ${today} ` +
        `(the scheduled runs delivered ${dates.join(', ')})`,
    );
    assert.deepEqual(workflowTaskFailures(await runHistories(env.client, roleWorkflowId(roleName))), []);
  });
});
