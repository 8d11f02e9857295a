/**
 * Continue-as-new: with `handoversPerRun: 2` the role workflow starts a new run every two handovers. The state goes
 * across whole, and messages sent while a run ends (before, during or after the continue-as-new) are not lost.
 */
import assert from 'node:assert/strict';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { addDays } from '../../src/domain/schedule';
import { startDevServer, startTimeSkippingServer } from '../../src/servers/environments';
import {
  handoverNowSignal,
  handoverNowUpdate,
  planQuery,
  skipSignal,
  skipUpdate,
  swapSignal,
  type RoleStateView,
} from '../../src/shared';
import type { roleWorkflow } from '../../src/workflows';
import { DEMO_MANAGER } from '../../src/sandbox/sandbox';
import {
  roleBed,
  roleTiming,
  rotationNow,
  runHistories,
  saveHistory,
  SERVER_REFUSALS,
  startServer,
  stateOf,
  untilNext,
  waitFor,
  workflowTaskFailures,
  type RoleBed,
} from '../support';

/** `runs` runs, every one but the last ended by continue-as-new, and no failed workflow task in any. */
async function assertRunChain(
  env: TestWorkflowEnvironment,
  workflowId: string,
  runs: number,
  recordAs: string,
  allow: RegExp[] = [],
): Promise<void> {
  const chain = await runHistories(env.client, workflowId);
  assert.equal(chain.length, runs, `${runs} runs`);
  for (const [i, run] of chain.entries()) {
    const last = run.events.at(-1);
    if (i < chain.length - 1) {
      assert.ok(last?.workflowExecutionContinuedAsNewEventAttributes, `run ${i + 1} continued as new`);
    }
  }
  // A signal racing a continue-as-new makes the server refuse the completion: its protocol, not a failure.
  const failures = workflowTaskFailures(chain, { allow: [SERVER_REFUSALS, ...allow] });
  assert.deepEqual(failures, [], 'no workflow task failed');
  // The second run started from a carried-over state and ended in continue-as-new: the interesting one to replay.
  if (chain[1]) saveHistory(`${recordAs}-second-run`, { events: chain[1].events });
}

describe('role workflow: continue-as-new every two handovers', function () {
  this.timeout(5 * 60_000);

  describe('on the time-skipping server, with signals around each new run', () => {
    let env: TestWorkflowEnvironment;
    let bed: RoleBed;
    before(async () => {
      env = await startServer('the time-skipping server', () =>
        startTimeSkippingServer({ resolve: { sdkDownload: false } }),
      );
      bed = await roleBed(env, { settings: { handoversPerRun: 2 } });
    });
    after(async () => {
      await bed?.close();
      await env?.teardown();
    });

    it('keeps the rotation and every signal across four new runs', async () => {
      // Start on a Thursday noon: the first notice (Monday) and handover (Wednesday) both happen in the loop below.
      await env.sleep(untilNext('Thu', '12:00', rotationNow(await env.currentTimeMs())));
      const worker = await bed.worker();
      await worker.runUntil(async () => {
        const handle = await env.client.workflow.start<typeof roleWorkflow>('roleWorkflow', {
          workflowId: bed.workflowId,
          taskQueue: bed.taskQueue,
          args: [{ role: 'support-triager', seed: { incoming: 'Ben', current: 'Ava' } }],
          // A task refused around a continue-as-new is retried when it times out (see below): 3 s rather than 10.
          workflowTaskTimeout: '3 seconds',
        });
        let state = await stateOf(handle);
        const firstRunId = handle.firstExecutionRunId;
        const w6 = addDays(state.nextHandoverAt.slice(0, 10), 35);

        // Signals sent while the handover of that week (and, after weeks 2, 4, 6 and 8, the new run) happens. Each is
        // about a later turn, so its effect is the same whichever run it lands in.
        const around: Record<number, ((h: WorkflowHandle<typeof roleWorkflow>) => Promise<void>)[]> = {
          2: [
            (h) => h.signal(skipSignal, { member: 'Finn', next: true }),
            (h) => h.signal(swapSignal, { first: 'Ella', second: 'Grace' }),
          ],
          4: [(h) => h.signal(skipSignal, { member: 'Ava', from: w6, to: w6 })],
          6: [(h) => h.signal(swapSignal, { first: 'Chloe', second: 'Dan' })],
        };
        // W3: Grace takes Ella's place (swap); W4: Finn is skipped, Ella takes Grace's; W5: Finn (owed); W6: Ava is
        // away, Ben serves; W7: Ava (owed); W8: Dan takes Chloe's place (swap); W9: Chloe takes Dan's.
        const expected = ['Chloe', 'Dan', 'Grace', 'Ella', 'Finn', 'Ben', 'Ava', 'Dan', 'Chloe'];
        let previous = 'Ben';
        for (const [i, incoming] of expected.entries()) {
          const week = i + 1;
          const handoverAt = Date.parse(state.nextHandoverAt);
          // Just past the handover: its timer has fired and the handover (and after every second one the new run) is
          // under way while the signals go out. They go out with the clock stopped, not while it skips: the test server
          // strands a run whose task cancels a timer that fired while the task was with the worker (it refuses the
          // completion and never times the task out: temporalio/sdk-java#2606, #3088), and a signal's task cancels
          // the wait's timer. Stopped, the clock runs at real pace and no timer is due in the next days.
          await env.sleep(handoverAt - rotationNow(await env.currentTimeMs()) + 1_000);
          for (const send of around[week] ?? []) await sendDuringContinueAsNew(() => send(handle));
          state = await waitFor(`handover ${week}`, async () => {
            const s = await stateOf(handle);
            return s.history.length === week && s;
          });
          assert.equal(state.incoming?.name, incoming, `week ${week}: incoming`);
          assert.equal(state.current?.name, previous, `week ${week}: current`);
          previous = incoming;
        }
        assert.deepEqual(
          state.history.map((t) => t.member.name),
          expected,
        );
        const { runId } = await handle.describe();
        assert.notEqual(runId, firstRunId, 'a later run holds the rotation');
        assertStandup(bed, state);
        assertOneEventPerTurn(bed, state);
        // When the test server refuses a continue-as-new because a signal came in, it does not make the worker replay
        // (Temporal's server does): the run, already continued, then gets the signal. The workflow fails that task on
        // purpose (`continuing` in workflows/role/rotation.ts) so the signal is not lost; the failure is reported, or on a retried task
        // left to time out, and the next attempt replays with the signal in place. Allowed here, and only here.
        await assertRunChain(env, bed.workflowId, 5, 'support-triager-continued-signals', [
          /continuing as new: replaying to take it|timed out \(start-to-close\)/,
        ]);
      });
    });
  });

  describe('on the dev server, with handovers asked for by update and signal', () => {
    let env: TestWorkflowEnvironment;
    let bed: RoleBed;
    before(async () => {
      env = await startServer('the dev server', () => startDevServer({ resolve: { sdkDownload: false } }));
      // Nothing due by the clock: every handover and prepare step here is asked for.
      const timing = roleTiming('prepare not yet due');
      bed = await roleBed(env, { settings: { handoversPerRun: 2, roles: { 'support-triager': timing } } });
    });
    after(async () => {
      await bed?.close();
      await env?.teardown();
    });

    it('hands over for every requested date, once each, and keeps the messages sent while runs end', async () => {
      const worker = await bed.worker();
      await worker.runUntil(async () => {
        const handle = await env.client.workflow.start<typeof roleWorkflow>('roleWorkflow', {
          workflowId: bed.workflowId,
          taskQueue: bed.taskQueue,
          args: [{ role: 'support-triager', mode: 'schedule', seed: { incoming: 'Ben', current: 'Ava' } }],
        });
        const start = await stateOf(handle);
        const first = start.nextHandoverAt.slice(0, 10);
        const dates = Array.from({ length: 12 }, (_, i) => addDays(first, 7 * i));
        const d = (n: number) => dates[n - 1]!;

        // One handover per update; while each is under way (and after every second one the run continues as new)
        // a skip for a later date goes out by signal.
        const away = ['Dan', 'Ella', 'Finn', 'Grace'];
        for (const [i, member] of away.entries()) {
          const handover = handle.executeUpdate(handoverNowUpdate, { args: [{ date: d(i + 1) }] });
          await handle.signal(skipSignal, { member, from: d(9 + i), to: d(9 + i) });
          assert.equal((await handover).history.at(-1)?.start, d(i + 1));
        }
        // A burst: the fifth date by signal (twice), and Ava's absence on the sixth by update, at the same time.
        await Promise.all([
          (async () => {
            for (const date of [d(5), d(5)]) await handle.signal(handoverNowSignal, { date });
          })(),
          handle.executeUpdate(skipUpdate, { args: [{ member: 'Ava', from: d(6), to: d(6) }] }),
        ]);
        assert.equal((await handle.executeUpdate(handoverNowUpdate, { args: [{ date: d(6) }] })).history.length, 6);
        const seventh = await handle.executeUpdate(handoverNowUpdate, { args: [{ date: d(7) }] });
        // Again for the same date, by update and by signal: nothing more.
        assert.deepEqual(await handle.executeUpdate(handoverNowUpdate, { args: [{ date: d(7) }] }), seventh);
        await handle.signal(handoverNowSignal, { date: d(7) });

        const state = await waitFor('seven handovers', async () => {
          const s = await stateOf(handle);
          return s.history.length === 7 && s.lastHandoverKey === `support-triager@${d(7)}` && s;
        });
        assert.deepEqual(
          state.history.map((t) => t.start),
          dates.slice(0, 7),
        );
        // Ava is away on the sixth date: Ben serves it and she the seventh.
        assert.deepEqual(
          state.history.map((t) => t.member.name),
          ['Chloe', 'Dan', 'Ella', 'Finn', 'Grace', 'Ben', 'Ava'],
        );
        assert.equal(state.nextHandoverAt.slice(0, 10), d(8));
        // Every skip sent by signal arrived: nobody serves on the date they are away.
        const plan = await handle.query(planQuery, 5);
        assert.equal(plan[0]?.start, d(8));
        for (const [i, member] of away.entries()) {
          const turn = plan.find((t) => t.start === d(9 + i));
          assert.ok(turn && turn.member.name !== member, `${member} is away on ${d(9 + i)}`);
        }
        assertStandup(bed, state);
        assertOneEventPerTurn(bed, state);
        // Runs end after the 2nd, 4th and 6th handovers.
        await assertRunChain(env, bed.workflowId, 4, 'support-triager-continued-updates');
      });
    });

    it('takes every handoverNow signal of a stream that keeps arriving while runs end', async () => {
      const worker = await bed.worker();
      const workflowId = `${bed.workflowId}-stream`;
      await worker.runUntil(async () => {
        const handle = await env.client.workflow.start<typeof roleWorkflow>('roleWorkflow', {
          workflowId,
          taskQueue: bed.taskQueue,
          args: [{ role: 'support-triager', mode: 'schedule', seed: { incoming: 'Ben', current: 'Ava' } }],
        });
        const first = (await stateOf(handle)).nextHandoverAt.slice(0, 10);
        const dates = Array.from({ length: 12 }, (_, i) => addDays(first, 7 * i));
        // Spaced irregularly (0 to 350 ms), so that some land while a handover and a continue-as-new are under way.
        for (const [i, date] of dates.entries()) {
          await handle.signal(handoverNowSignal, { date });
          await new Promise((resolve) => setTimeout(resolve, (i * 97) % 400));
        }
        const state = await waitFor(
          'twelve handovers',
          async () => {
            const s = await stateOf(handle);
            return s.lastHandoverKey === `support-triager@${dates.at(-1)}` && s;
          },
          { timeoutMs: 60_000 },
        );
        assert.deepEqual(
          state.history.map((t) => t.start),
          dates,
          'one handover for each signal, none lost',
        );
        const runs = (await runHistories(env.client, workflowId)).length;
        // How many runs depends on how fast the worker drains the stream (a busy machine drains more per run).
        assert.ok(runs >= 2, `the stream spanned more than one run (${runs})`);
        assert.deepEqual(
          workflowTaskFailures(await runHistories(env.client, workflowId), { allow: SERVER_REFUSALS }),
          [],
        );
      });
    });
  });
});

/**
 * The time-skipping test server's continue-as-new is not atomic: a signal sent while it happens can be refused as
 * "workflow not found" (temporalio/sdk-java#1538). Temporal's server takes it; here it is sent again.
 */
async function sendDuringContinueAsNew(send: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError) || attempt >= 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function assertStandup(bed: RoleBed, state: RoleStateView): void {
  const [standup, ...others] = bed.sandbox.geekbot.state.standups;
  assert.equal(others.length, 0, 'one standup');
  assert.deepEqual(standup?.users.map((u) => u.id).sort(), [state.incoming!.id, DEMO_MANAGER.id].sort());
  assert.match(standup?.questions[0]?.text ?? '', new RegExp(`<@${state.current!.id}>`));
}

function assertOneEventPerTurn(bed: RoleBed, state: RoleStateView): void {
  const events = bed.sandbox.calendar.events().filter((e) => e.status !== 'cancelled');
  const starts = events.map((e) => e.start.date);
  assert.equal(new Set(starts).size, starts.length, 'no two events for one turn');
  for (const turn of state.history) {
    const event = events.find((e) => e.start.date === turn.start);
    assert.equal(event?.summary, `Support Triager: ${turn.member.name}`, `event of ${turn.start}`);
  }
}
