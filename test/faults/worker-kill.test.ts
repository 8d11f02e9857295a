/**
 * The worker is killed (SIGKILL of the real `tsx src/worker.ts` process) at each point of a handover, restarted,
 * and the rotation must carry on: every handover exactly once, incoming and current never the same person, one
 * calendar event per turn, the standup naming the right person.
 *
 * Each kill point runs in its own lane (a dev server, the fakes and a worker process, workflow
 * `team-roles/support-triager`), the lanes in parallel: a worker killed during an activity leaves that attempt to
 * time out (startToClose / heartbeat timeout, one minute) before Temporal retries it, and that minute is most of
 * a repetition's time. Kills are timed by watching the fakes' request logs; fake latency widens the windows.
 * FAULTS_KILL_REPEATS (default 3) sets the repetitions per point; FAULTS_DEBUG=1 prints each repetition's history
 * from the kill on.
 */
import assert from 'node:assert/strict';
import { WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { sortMembers } from '../../src/domain/members';
import { addDays } from '../../src/domain/schedule';
import { startDevServer } from '../../src/servers/environments';
import {
  handoverNowSignal,
  handoverNowUpdate,
  overrideUpdate,
  planQuery,
  roleWorkflowId,
  stateQuery,
  TASK_QUEUE,
} from '../../src/shared';
import type { roleWorkflow } from '../../src/workflows';
import type { FaultOptions, RecordedRequest } from '../../src/sandbox/http';
import { DEMO_MANAGER, DEMO_TEAM, startSandbox, type Sandbox } from '../../src/sandbox/sandbox';
import { checkRole, fakesOf } from './invariants';
import {
  elapsed,
  sleep,
  startServer,
  stateOf,
  tempDir,
  waitFor,
  workflowTaskFailures,
  type WorkerProcess,
} from '../support';
import { collectHistories, rememberSecrets, sandboxWorker } from './support';

const ROLE = 'support-triager';
/** A workflow task the killed (or cut-off) worker held times out and is retried: that is not a failure. */
const KILLED_WORKERS_TASK = /timed out \(start-to-close\)/;
const REPEATS = Number(process.env.FAULTS_KILL_REPEATS ?? 3);

type Point =
  | 'after the Slack lookup'
  | 'after the Geekbot upsert'
  | 'during the calendar writes'
  | 'right after the state rotates';

interface Lane {
  point: Point;
  /** Latency that keeps the rest of the prepare step in flight at the kill. */
  faults: { slack?: FaultOptions; geekbot?: FaultOptions; calendar?: FaultOptions };
  /** Kill once this holds (requests since the trigger); its text says what had happened. */
  killWhen?: (since: Marks, sandbox: Sandbox, rep: number) => string | undefined;
}

interface Marks {
  slack: number;
  geekbot: number;
  calendar: number;
}

interface Repetition {
  date: string;
  trigger: 'update' | 'signal';
  killed: string;
  /** From the kill to the handover being done, worker restart included. */
  recoverySeconds: number;
}

interface LaneResult {
  point: Point;
  repetitions: Repetition[];
  seconds: number;
  workerStarts: number;
  error?: unknown;
}

const answered = (requests: RecordedRequest[], from: number, test: (r: RecordedRequest) => boolean): number =>
  requests.slice(from).filter((r) => r.endedAt !== undefined && test(r)).length;

const LANES: Lane[] = [
  {
    point: 'after the Slack lookup',
    faults: {
      slack: { latencyMs: { min: 20, max: 400 }, seed: 11 },
      geekbot: { latencyMs: 300 },
      calendar: { latencyMs: 300 },
    },
    killWhen: (since, sandbox, rep) => {
      const wanted = [1, 4, 7][rep % 3]!;
      const n = answered(sandbox.slack.requests, since.slack, (r) => r.path.endsWith('/users.info'));
      return n >= wanted ? `${n} users.info answered` : undefined;
    },
  },
  {
    point: 'after the Geekbot upsert',
    faults: { calendar: { latencyMs: 400 } },
    killWhen: (since, sandbox) => {
      const write = sandbox.geekbot.requests
        .slice(since.geekbot)
        .find((r) => r.endedAt !== undefined && (r.method === 'PATCH' || r.method === 'POST'));
      return write ? `Geekbot ${write.method} ${write.path} answered ${write.status}` : undefined;
    },
  },
  {
    point: 'during the calendar writes',
    faults: { calendar: { latencyMs: { min: 20, max: 80 }, seed: 13 } },
    killWhen: (since, sandbox, rep) => {
      const wanted = [1, 10, 25][rep % 3]!;
      const n = answered(sandbox.calendar.requests, since.calendar, (r) => r.method === 'PUT' || r.method === 'POST');
      return n >= wanted ? `${n} calendar writes answered` : undefined;
    },
  },
  { point: 'right after the state rotates', faults: {} },
];

async function runLane(lane: Lane): Promise<LaneResult> {
  const started = Date.now();
  const result: LaneResult = { point: lane.point, repetitions: [], seconds: 0, workerStarts: 0 };
  const dir = tempDir('kill');
  let server: TestWorkflowEnvironment | undefined;
  let sandbox: Sandbox | undefined;
  let worker: WorkerProcess | undefined;
  const workflowId = roleWorkflowId(ROLE);
  try {
    server = await startServer('the dev server', () => startDevServer({ resolve: { sdkDownload: false } }));
    sandbox = await startSandbox({
      groups: { 'support-triagers': DEMO_TEAM, 'meeting-facilitators': DEMO_TEAM },
      standupManager: DEMO_MANAGER,
      faults: lane.faults,
    });
    rememberSecrets(sandbox);
    const config = dir.file('team-roles.json', JSON.stringify({ standupManager: DEMO_MANAGER }));
    worker = await sandboxWorker(`kill ${lane.point}`, server, sandbox, { config, secretsDir: dir.dir });
    await worker.start();

    const handle: WorkflowHandle<typeof roleWorkflow> = await server.client.workflow.start<typeof roleWorkflow>(
      'roleWorkflow',
      { workflowId, taskQueue: TASK_QUEUE, args: [{ role: ROLE, seed: { incoming: 'Ben', current: 'Ava' } }] },
    );
    await stateOf(handle);
    const first = await handle.executeUpdate(handoverNowUpdate, { args: [{}] });
    const dates = [first.history.at(-1)!.start];
    const check = async () => {
      // (Right after a handover the rotation may have continued as new: the new run answers once it has started.)
      const state = await stateOf(handle);
      const plan = await waitFor('the plan query', () => handle.query(planQuery, 60));
      checkRole(
        { state, plan, ...fakesOf(sandbox!) },
        {
          role: ROLE,
          title: 'Support Triager',
          standupName: 'SupportTriager',
          manager: DEMO_MANAGER,
          handoverDates: dates,
          settled: true,
        },
      );
    };
    await check();

    for (let rep = 0; rep < REPEATS; rep++) {
      const date = addDays(dates.at(-1)!, 7);
      const key = `${ROLE}@${date}`;
      if (lane.point === 'during the calendar writes') {
        // An operator change first, so the prepare step rewrites most of the year's events (dozens of writes).
        const state = await stateOf(handle);
        const order = sortMembers(state.members);
        const at = order.findIndex((m) => m.id === state.next!.id);
        const incoming = order[(at + 2) % order.length]!;
        await handle.executeUpdate(overrideUpdate, { args: [{ incoming: incoming.id }] });
      }
      const since: Marks = {
        slack: sandbox.slack.requests.length,
        geekbot: sandbox.geekbot.requests.length,
        calendar: sandbox.calendar.requests.length,
      };
      const trigger = rep % 2 === 0 ? 'update' : 'signal';
      const update =
        trigger === 'update'
          ? await handle.startUpdate(handoverNowUpdate, {
              args: [{ date }],
              waitForStage: WorkflowUpdateStage.ACCEPTED,
            })
          : undefined;
      if (!update) await handle.signal(handoverNowSignal, { date });

      let killed: string;
      if (lane.killWhen) {
        killed = await waitFor(`${lane.point} (${key})`, () => lane.killWhen!(since, sandbox!, rep), {
          timeoutMs: 60_000,
          intervalMs: 1,
        });
      } else if (update) {
        await update.result();
        killed = 'the handoverNow update returned';
      } else {
        await waitFor(`${key} applied`, async () => (await handle.query(stateQuery)).lastHandoverKey === key, {
          timeoutMs: 60_000,
          intervalMs: 5,
        });
        killed = 'the state query showed the handover';
      }
      await worker.kill();
      const killedAt = Date.now();

      await worker.start();
      if (update) {
        const state = await Promise.race([
          update.result(),
          sleep(5 * 60_000).then(() => Promise.reject(new Error(`${key}: the update did not complete`))),
        ]);
        assert.equal(state.lastHandoverKey, key);
      } else {
        await waitFor(
          `${key} after the restart`,
          async () => (await handle.query(stateQuery)).lastHandoverKey === key,
          {
            timeoutMs: 5 * 60_000,
            intervalMs: 500,
          },
        );
      }
      dates.push(date);
      result.repetitions.push({ date, trigger, killed, recoverySeconds: (Date.now() - killedAt) / 1000 });
      if (process.env.FAULTS_DEBUG) {
        const history = await handle.fetchHistory();
        for (const e of history.events ?? []) {
          const at = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
          if (at < killedAt - 5000) continue;
          const type = temporal.api.enums.v1.EventType[e.eventType ?? 0];
          const detail = JSON.stringify(
            e.activityTaskScheduledEventAttributes?.activityType?.name ??
              e.activityTaskStartedEventAttributes?.attempt ??
              e.activityTaskTimedOutEventAttributes?.failure?.message ??
              e.workflowTaskFailedEventAttributes?.failure?.message ??
              e.workflowTaskTimedOutEventAttributes?.timeoutType ??
              '',
          );
          console.log(`        ${lane.point} +${((at - killedAt) / 1000).toFixed(1)}s ${type} ${detail}`);
        }
      }
      await check();
    }

    // One more handover on the restarted worker, without a kill.
    const last = await handle.executeUpdate(handoverNowUpdate, { args: [{ date: addDays(dates.at(-1)!, 7) }] });
    dates.push(last.history.at(-1)!.start);
    await check();
    const histories = await collectHistories(server.client, workflowId, `worker-kill ${lane.point}`);
    // A task the killed worker held times out; nothing may fail.
    assert.deepEqual(workflowTaskFailures(histories, { allow: KILLED_WORKERS_TASK }), [], 'no workflow task failed');
  } catch (err) {
    result.error = err;
  } finally {
    result.workerStarts = worker?.starts ?? 0;
    await worker?.kill();
    if (server && result.error) await collectHistories(server.client, workflowId, 'worker-kill').catch(() => []);
    await server?.teardown();
    await sandbox?.close();
    dir.cleanup();
    result.seconds = (Date.now() - started) / 1000;
  }
  return result;
}

describe('faults: the worker process is killed during handovers (dev server)', function () {
  this.timeout(30 * 60_000);
  const results = new Map<Point, LaneResult>();

  before(async () => {
    const started = Date.now();
    for (const result of await Promise.all(LANES.map(runLane))) results.set(result.point, result);
    console.log(`      ${LANES.length} lanes of ${REPEATS} kills each, in parallel: ${elapsed(started)}`);
  });

  for (const lane of LANES) {
    it(`SIGKILL ${lane.point}, ${REPEATS} times: the rotation carries on`, () => {
      const result = results.get(lane.point);
      assert.ok(result, 'the lane ran');
      for (const rep of result.repetitions) {
        console.log(
          `      ${rep.date} (${rep.trigger}): killed when ${rep.killed}; ` +
            `done and confirmed on the restarted worker ${rep.recoverySeconds.toFixed(1)} s after the kill`,
        );
      }
      console.log(`      lane: ${result.seconds.toFixed(1)} s, ${result.workerStarts} worker starts`);
      if (result.error) throw result.error as Error;
      assert.equal(result.repetitions.length, REPEATS);
    });
  }
});
