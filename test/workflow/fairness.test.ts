/**
 * Fairness over weeks (issue 17) on the time-skipping server: under `fairness: balance`, a member skipped for an
 * absence shows in the `fairness` ledger as owing the turn, and a later turn of the cycle pays it back, so that after
 * as many handovers as members everyone has served once. Also the history's cost: events per handover with the
 * absence check on, over runs of the shipped four handovers.
 */
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { initialState } from '../../src/domain/rotation';
import { addDays } from '../../src/domain/schedule';
import { startTimeSkippingServer } from '../../src/servers/environments';
import { fairnessQuery, type FairnessView, type RoleWorkflowState } from '../../src/shared';
import type { roleWorkflow } from '../../src/workflows';
import { DEMO_TEAM } from '../../src/sandbox/sandbox';
import {
  byName,
  EventType,
  roleBed,
  rotationNow,
  runHistories,
  SERVER_REFUSALS,
  startingStateAt,
  startServer,
  stateOf,
  untilNext,
  waitFor,
  workflowTaskFailures,
  type RoleBed,
} from '../support';

const ROLE = 'support-triager';
const HANDOVERS = DEMO_TEAM.length; // one full cycle

describe('role workflow: fairness over a cycle of weeks (time-skipping server)', function () {
  this.timeout(10 * 60_000);
  let env: TestWorkflowEnvironment;
  let bed: RoleBed;

  before(async () => {
    env = await startServer('the time-skipping server', () =>
      startTimeSkippingServer({ resolve: { sdkDownload: false } }),
    );
    bed = await roleBed(env, {
      settings: { roles: { [ROLE]: { absences: { outOfOffice: true }, fairness: 'balance' } } },
      outOfOffice: [],
    });
  });
  after(async () => {
    await bed?.close();
    await env?.teardown();
  });

  it('balance: a skip for an absence is owed, then paid back within the cycle; events per handover', async () => {
    // Thursday noon, so that each week's notice (Monday 10:00) and handover (Wednesday 10:00) fall in the loop.
    await env.sleep(untilNext('Thu', '12:00', rotationNow(await env.currentTimeMs())));
    const start = startingStateAt(
      bed.settings,
      ROLE,
      { incoming: 'Dan', current: 'Chloe' },
      new Date(rotationNow(await env.currentTimeMs())),
    );
    const state: RoleWorkflowState = {
      ...start,
      rotation: initialState(ROLE, 2, start.rotation.members, start.rotation, { freezeTurns: 2, fairness: 'balance' }),
    };
    // The first notice names Ella; she is out of office the first week of that turn (5 of its 10 working days).
    const first = (state.nextHandoverAt ?? '').slice(0, 10);
    bed.sandbox.calendar.addOutOfOffice(bed.sandbox.emails[byName('Ella').id]!, {
      start: first,
      end: addDays(first, 7),
    });

    const worker = await bed.worker();
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start<typeof roleWorkflow>('roleWorkflow', {
        workflowId: bed.workflowId,
        taskQueue: bed.taskQueue,
        args: [{ role: ROLE, state }],
      });
      let view = await stateOf(handle);
      const ledgers: FairnessView[] = [];
      for (let week = 1; week <= HANDOVERS; week++) {
        const handoverAt = Date.parse(view.nextHandoverAt);
        await env.sleep(handoverAt - rotationNow(await env.currentTimeMs()) + 60_000);
        view = await stateOf(handle); // a new run may be starting after the fourth handover
        ledgers.push(await waitFor('the fairness query', () => handle.query(fairnessQuery)));
      }
      const served = view.history.map((t) => t.member.name);
      assert.equal(served[0], 'Finn', 'Ella skipped at her turn, Finn named instead');
      assert.equal(served.at(-1), 'Ella', 'the cycle comes back to Ella: she serves its last turn');
      assert.equal(new Set(served).size, HANDOVERS, `each member served once: ${served.join(', ')}`);

      const ella = (ledger: FairnessView | undefined) => ledger?.members.find((r) => r.member.name === 'Ella');
      assert.equal(ledgers[0]?.fairness, 'balance');
      assert.deepEqual(ella(ledgers[0])?.skipped, { absence: 1, operator: 0, left: 0, total: 1 });
      assert.ok((ella(ledgers[0])?.balance ?? 0) > 0, 'after the skip Ella owes a turn');
      const last = ledgers.at(-1) as FairnessView;
      assert.deepEqual(
        last.members.map((r) => [r.member.name, r.served, r.balance]),
        DEMO_TEAM.map((m) => [m.name, 1, 0]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
        'a cycle later everyone has served once: Ella paid the turn back, nobody owes',
      );
      assert.equal(ella(last)?.skipped.absence, 1, 'the skip stays in the books');

      // The history's cost per handover in the runs that finished (four handovers each).
      const runs = await runHistories(env.client, bed.workflowId);
      assert.deepEqual(workflowTaskFailures(runs, { allow: SERVER_REFUSALS }), [], 'no workflow task failed');
      const finished = runs.filter((run) =>
        run.events.some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW),
      );
      const events = finished.reduce((n, run) => n + run.events.length, 0);
      const perHandover = events / (finished.length * 4);
      console.log(
        `      ${finished.length} runs of 4 handovers: ${perHandover.toFixed(1)} history events per handover`,
      );
      assert.ok(perHandover < 30, `under 30 events per handover (${perHandover})`);
    });
  });
});
