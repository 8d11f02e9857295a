/**
 * The sandbox's fast mode (`npm run dev -- --fast`) on the dev server in real time: the same role workflow on a
 * simulated clock. Here a simulated week takes 4 real seconds, so three handovers (one across a continue-as-new)
 * take about 15 s.
 */
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { sortMembers } from '../../src/domain/members';
import { startDevServer } from '../../src/servers/environments';
import type { RoleStateView } from '../../src/shared';
import type { roleWorkflow } from '../../src/workflows';
import { DEMO_MANAGER, DEMO_TEAM } from '../../src/sandbox/sandbox';
import {
  roleBed,
  rotationNow,
  runHistories,
  SERVER_REFUSALS,
  startServer,
  stateOf,
  waitFor,
  workflowTaskFailures,
  type RoleBed,
} from '../support';

const WEEK_MS = 7 * 86_400_000;
const TIME_SCALE = WEEK_MS / 4_000;

describe('role workflow: fast mode, a simulated week every 4 s (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let bed: RoleBed;
  let worker: Worker;
  let running: Promise<void>;

  before(async () => {
    env = await startServer('the dev server', () => startDevServer({ resolve: { sdkDownload: false } }));
    bed = await roleBed(env, { settings: { timeScale: TIME_SCALE, handoversPerRun: 2 } });
    worker = await bed.worker();
    running = worker.run();
  });
  after(async () => {
    if (worker) {
      worker.shutdown();
      await running;
    }
    await bed?.close();
    await env?.teardown();
  });

  it('hands over once per simulated week, on consecutive Wednesdays, across a continue-as-new', async () => {
    const startedAt = Date.now();
    const handle = await env.client.workflow.start<typeof roleWorkflow>('roleWorkflow', {
      workflowId: bed.workflowId,
      taskQueue: bed.taskQueue,
      args: [{ role: 'support-triager', seed: { incoming: 'Ben', current: 'Ava' } }],
    });
    const first = await stateOf(handle);
    assert.equal(first.timeScale, TIME_SCALE);
    assert.equal(first.history.length, 0);

    const state = await waitFor(
      'three handovers',
      async (): Promise<RoleStateView | false> => {
        const s = await stateOf(handle);
        return s.history.length >= 3 && s;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const wallMs = Date.now() - startedAt;
    // Three simulated weeks at most (plus the wait to the first Wednesday): far less than one real minute.
    assert.ok(wallMs < 45_000, `three handovers took ${wallMs} ms`);

    const order = sortMembers(DEMO_TEAM);
    const starts = state.history.map((turn) => turn.start);
    for (const [i, start] of starts.entries()) {
      assert.equal(new Date(`${start}T00:00:00Z`).getUTCDay(), 3, `${start} is a Wednesday`);
      if (i > 0) assert.equal(Date.parse(start) - Date.parse(starts[i - 1]!), WEEK_MS, 'one week apart: no gap');
    }
    // The simulated clock ran ahead: the first handover is the first Wednesday after the start.
    assert.ok(Date.parse(first.nextHandoverAt) - rotationNow(startedAt) <= WEEK_MS + 60_000);
    assert.equal(Date.parse(`${starts[0]!}T10:00:00Z`), Date.parse(first.nextHandoverAt));
    // Ben was incoming: Chloe, Dan and Ella took the role after him, each once, in order.
    assert.deepEqual(
      state.history.slice(0, 3).map((turn) => turn.member.name),
      [order[2]!.name, order[3]!.name, order[4]!.name],
    );
    assert.notEqual(state.incoming?.id, state.current?.id);

    // The outside services saw the same weeks: the standup names the coming member, the calendar holds each turn.
    await waitFor('the notice for the next handover', () => {
      const standup = Object.values(bed.sandbox.geekbot.state.standups)[0];
      const users = standup?.users.map((u) => u.id).sort();
      return users !== undefined && users.includes(DEMO_MANAGER.id) && users.length === 2;
    });
    const events = bed.sandbox.calendar.events().filter((e) => e.status !== 'cancelled');
    for (const turn of state.history) {
      const event = events.find((e) => e.start.date === turn.start);
      assert.equal(event?.summary, `Support Triager: ${turn.member.name}`);
    }
    const runs = await runHistories(env.client, bed.workflowId);
    assert.ok(runs.length >= 2, 'continued as new after two handovers, and the clock carried on');
    assert.deepEqual(workflowTaskFailures(runs, { allow: SERVER_REFUSALS }), []);
  });
});
