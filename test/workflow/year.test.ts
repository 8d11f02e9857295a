import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { sortMembers } from '../../src/domain/members';
import { startTimeSkippingServer } from '../../src/servers/environments';
import type { roleWorkflow } from '../../src/workflows';
import { DEMO_MANAGER, DEMO_TEAM } from '../../src/sandbox/sandbox';
import {
  roleBed,
  rotationNow,
  runHistories,
  saveHistory,
  SERVER_REFUSALS,
  startServer,
  stateOf,
  untilNext,
  workflowTaskFailures,
  type RoleBed,
} from '../support';

describe('role workflow: a year of weekly handovers (time-skipping server)', function () {
  this.timeout(10 * 60_000);
  let env: TestWorkflowEnvironment;
  let bed: RoleBed;

  before(async () => {
    env = await startServer('the time-skipping server', () =>
      startTimeSkippingServer({ resolve: { sdkDownload: false } }),
    );
    // One run for the year (the saved replay history holds it whole), not the shipped four handovers per run.
    bed = await roleBed(env, { settings: { handoversPerRun: 52 } });
  });
  after(async () => {
    await bed?.close();
    await env?.teardown();
  });

  it('hands over every Wednesday for 52 weeks: exact incoming and current, standup and calendar', async () => {
    const order = sortMembers(DEMO_TEAM);
    // The rotation starts on a Thursday noon (the server's clock moved there first), so that each week's notice
    // (Monday 10:00) and handover (Wednesday 10:00) both fall inside the loop below, the first week's too.
    await env.sleep(untilNext('Thu', '12:00', rotationNow(await env.currentTimeMs())));
    const worker = await bed.worker();
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start<typeof roleWorkflow>('roleWorkflow', {
        workflowId: bed.workflowId,
        taskQueue: bed.taskQueue,
        args: [{ role: 'support-triager', seed: { incoming: 'Ben', current: 'Ava' } }],
      });
      let state = await stateOf(handle);
      assert.equal(state.incoming?.name, 'Ben');
      assert.equal(state.current?.name, 'Ava');
      assert.equal(state.next?.name, 'Chloe');

      const handoverDates: string[] = [];
      const geekbotWrites = () => bed.sandbox.geekbot.calls().filter((c) => /^(POST|PATCH) /.test(c));
      // Counted from the start, not from when the state query first answered: a prepare step that began at once
      // would be missed otherwise.
      let writesBefore = 0;
      for (let week = 1; week <= 52; week++) {
        const handoverAt = Date.parse(state.nextHandoverAt);
        const at = new Date(handoverAt);
        assert.equal(at.getUTCDay(), 3, `handover ${week} is on a Wednesday (${state.nextHandoverAt})`);
        assert.equal(at.getUTCHours(), 10);
        await env.sleep(handoverAt - rotationNow(await env.currentTimeMs()) + 60_000);
        state = await stateOf(handle); // after the 52nd handover, a new run may be starting

        const current = order[week % order.length]!;
        const incoming = order[(week + 1) % order.length]!;
        assert.deepEqual(state.current, current, `week ${week}: current`);
        assert.deepEqual(state.incoming, incoming, `week ${week}: incoming`);
        assert.notEqual(state.current?.id, state.incoming?.id);
        handoverDates.push(at.toISOString().slice(0, 10));

        // The standup was pointed at this week's incoming triager (plus the manager), buddy the current one.
        const standups = Object.values(bed.sandbox.geekbot.state.standups);
        assert.equal(standups.length, 1, 'one standup, updated in place');
        const standup = standups[0]!;
        assert.deepEqual(standup.users.map((u) => u.id).sort(), [incoming.id, DEMO_MANAGER.id].sort());
        assert.match(standup.questions[0]!.text, new RegExp(`<@${incoming.id}>`));
        assert.match(standup.questions[0]!.text, new RegExp(`<@${current.id}>`));
        // Written exactly once for this handover: created the first week, one PATCH each week after.
        assert.deepEqual(
          geekbotWrites()
            .slice(writesBefore)
            .map((c) => c.split(' ')[0]),
          [week === 1 ? 'POST' : 'PATCH'],
          `week ${week}: one standup write`,
        );
        writesBefore = geekbotWrites().length;
      }

      // One event per turn, none twice: every handover's incoming has a 14-day event starting that day.
      const events = bed.sandbox.calendar.events().filter((e) => e.status !== 'cancelled');
      const starts = events.map((e) => e.start.date);
      assert.equal(new Set(starts).size, starts.length, 'no duplicate events');
      for (const [i, date] of handoverDates.entries()) {
        const event = events.find((e) => e.start.date === date);
        assert.ok(event, `an event for the turn starting ${date}`);
        assert.equal(event.summary, `Support Triager: ${order[(i + 2) % order.length]!.name}`);
        const end = new Date(Date.parse(`${date}T00:00:00Z`) + 14 * 86_400_000).toISOString().slice(0, 10);
        assert.equal(event.end.date, end);
      }
      assert.equal(state.history.length, 52);

      // No insert was ever repeated or refused: a year of turns the first week, then the one new turn each week.
      const writes = bed.sandbox.calendar.requests.filter((r) => r.method !== 'GET');
      assert.ok(
        writes.every((r) => r.method === 'POST' && r.status === 200),
        'only successful inserts',
      );
      const inserted = writes.map((r) => (r.body as { id: string }).id);
      assert.equal(new Set(inserted).size, inserted.length, 'no event inserted twice');
      assert.equal(inserted.length, 52 + 51);
      // The year's run (it continued as new after its 52nd handover; the new run has only just started).
      const runs = await runHistories(env.client, bed.workflowId);
      assert.deepEqual(workflowTaskFailures(runs, { allow: SERVER_REFUSALS }), [], 'no workflow task failed');
      const [yearRun] = runs;
      saveHistory('support-triager-year', { events: yearRun!.events });
    });
  });
});
