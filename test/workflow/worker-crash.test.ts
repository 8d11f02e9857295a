/**
 * A worker process killed (SIGKILL) in the middle of a prepare step: the Geekbot standup is already written, the
 * calendar is half filled. A second worker process takes over; the handover completes once, the standup names the
 * right person and every turn has exactly one calendar event. The workers are real processes running the worker's
 * entry point (`main` in src/worker.ts, task queue `team-roles`) against the dev server and the fakes. The handover
 * is three days ahead with its notice a day before it, so the prepare step runs because `handoverNow` asked for it.
 */
import assert from 'node:assert/strict';
import { msToTs } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startDevServer } from '../../src/servers/environments';
import {
  CurrentMemberAttribute,
  handoverNowSignal,
  IncomingMemberAttribute,
  roleWorkflowId,
  stateQuery,
  TASK_QUEUE,
} from '../../src/shared';
import type { roleWorkflow } from '../../src/workflows';
import { DEMO_MANAGER, DEMO_TEAM, startSandbox, type Sandbox } from '../../src/sandbox/sandbox';
import {
  byName,
  recordHistory,
  roleTiming,
  runHistories,
  startServer,
  tempDir,
  waitFor,
  workflowBundleFile,
  workerEnvironment,
  WorkerProcess,
  workflowTaskFailures,
} from '../support';

const ROLE = 'support-triager';
/** Each calendar call takes this long, so the kill lands while inserts are in flight. */
const CALENDAR_LATENCY_MS = 300;

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

describe('role workflow: a worker killed during a prepare step (dev server, worker processes)', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let sandbox: Sandbox;
  const dir = tempDir('crash');
  const workers: WorkerProcess[] = [];

  before(async () => {
    env = await startServer('the dev server', () => startDevServer({ resolve: { sdkDownload: false } }));
    sandbox = await startSandbox({
      groups: { 'support-triagers': DEMO_TEAM, 'meeting-facilitators': DEMO_TEAM },
      standupManager: DEMO_MANAGER,
      faults: { calendar: { latencyMs: CALENDAR_LATENCY_MS } },
    });
    // The standup exists already, so the prepare step updates it (PATCH) rather than creating it.
    sandbox.geekbot.seedStandup({ name: 'SupportTriager', users: [DEMO_MANAGER.id], questions: ['Who is on duty?'] });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') {
      for (const w of workers) console.error(`--- ${w.name} output ---\n${w.output}`);
    }
  });

  after(async () => {
    for (const w of workers) await w.kill();
    await sandbox?.close();
    await env?.teardown();
    dir.cleanup();
  });

  async function startWorker(name: string): Promise<WorkerProcess> {
    const config = { standupManager: DEMO_MANAGER, roles: { [ROLE]: roleTiming('prepare not yet due') } };
    const file = dir.file(`${name}.config.json`, JSON.stringify(config));
    const worker = new WorkerProcess(name, workerEnvironment(env, sandbox, { TEAM_ROLES_CONFIG: file }), {
      bundleFile: await workflowBundleFile(),
    });
    workers.push(worker);
    await worker.start();
    return worker;
  }

  it('completes the handover once after the worker dies between the standup and the calendar', async () => {
    const handle = await env.client.workflow.start<typeof roleWorkflow>('roleWorkflow', {
      workflowId: roleWorkflowId(ROLE),
      taskQueue: TASK_QUEUE,
      args: [{ role: ROLE, seed: { incoming: 'Ben', current: 'Ava' } }],
    });
    const first = await startWorker('worker 1');
    await handle.signal(handoverNowSignal, {});

    // Wait until the standup is written and recorded, and the calendar is partly filled, then kill the worker.
    const inserts = () =>
      sandbox.calendar.requests.filter((r) => r.method === 'POST' && r.status !== undefined && r.status < 300).length;
    await waitFor(
      'the standup written and the calendar half filled',
      async () => {
        const patched = sandbox.geekbot.requests.some((r) => r.method === 'PATCH' && r.status === 200);
        if (!patched || inserts() < 5) return false;
        const events = (await handle.fetchHistory()).events ?? [];
        return scheduled(events, 'prepareHandover') && !completed(events, 'prepareHandover');
      },
      { timeoutMs: 90_000, intervalMs: 50 },
    );
    await first.kill();
    const insertedBeforeKill = inserts();
    assert.ok(insertedBeforeKill < 52, `the calendar was only partly filled (${insertedBeforeKill} of 52)`);

    // Temporal learns that the attempt died when its heartbeat times out (1 minute in the workflow); an operator
    // would shorten that with `temporal activity update-options`, and so does the test.
    const prepareActivity = scheduled(
      (await handle.fetchHistory()).events ?? [],
      'prepareHandover',
    )?.activityTaskScheduledEventAttributes;
    await env.client.workflowService.updateActivityOptions({
      namespace: env.namespace ?? 'default',
      execution: { workflowId: roleWorkflowId(ROLE) },
      id: prepareActivity?.activityId,
      activityOptions: { heartbeatTimeout: msToTs('2 seconds') },
      updateMask: { paths: ['heartbeat_timeout'] },
    });
    // Likewise its next workflow task would wait 10 s for the dead worker's sticky queue before going to the shared
    // one; a worker that shuts down cleanly clears that itself, the test clears it for the killed one.
    await env.client.workflowService.resetStickyTaskQueue({
      namespace: env.namespace ?? 'default',
      execution: { workflowId: roleWorkflowId(ROLE) },
    });

    await startWorker('worker 2');
    await waitFor(
      'the handover, done by the second worker',
      async () => {
        const sa = (await handle.describe()).typedSearchAttributes;
        return sa.get(IncomingMemberAttribute) === 'Chloe' && sa.get(CurrentMemberAttribute) === 'Ben';
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );

    const state = await handle.query(stateQuery);
    const date = state.history[0]?.start;
    assert.deepEqual([state.incoming?.name, state.current?.name], ['Chloe', 'Ben']);
    assert.equal(state.history.length, 1, 'exactly one handover');
    assert.equal(state.lastHandoverKey, `${ROLE}@${date}`);
    assert.equal(state.lastError, null);

    // The history: one prepare step, retried after the kill, and one handover.
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduledTypes = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    assert.equal(scheduledTypes.filter((t) => t === 'prepareHandover').length, 1, 'one prepareHandover');
    const prepareStarted = events.find(
      (e) =>
        e.activityTaskStartedEventAttributes &&
        String(e.activityTaskStartedEventAttributes.scheduledEventId) ===
          String(scheduled(events, 'prepareHandover')?.eventId),
    );
    assert.ok(
      (prepareStarted?.activityTaskStartedEventAttributes?.attempt ?? 0) >= 2,
      'the prepare step finished in a later attempt',
    );
    // A task the killed worker held may time out; nothing may fail.
    const runs = await runHistories(env.client, roleWorkflowId(ROLE));
    assert.deepEqual(workflowTaskFailures(runs, { allow: /timed out \(start-to-close\)/ }), []);

    // The fakes: one PATCH, the standup names Chloe (buddy Ben); each of the 52 turns has exactly one event.
    assert.equal(sandbox.geekbot.calls().filter((c) => c.startsWith('PATCH')).length, 1, 'the standup written once');
    assert.equal(sandbox.geekbot.calls().filter((c) => c.startsWith('POST')).length, 0, 'no second standup');
    const [standup, ...others] = sandbox.geekbot.state.standups;
    assert.equal(others.length, 0);
    assert.deepEqual(standup?.users.map((u) => u.id).sort(), [byName('Chloe').id, DEMO_MANAGER.id].sort());
    assert.match(standup?.questions[0]?.text ?? '', new RegExp(`<@${byName('Chloe').id}>.*<@${byName('Ben').id}>`));
    const calendarEvents = sandbox.calendar.events().filter((e) => e.status !== 'cancelled');
    const starts = calendarEvents.map((e) => e.start.date);
    assert.equal(calendarEvents.length, 52, 'a year of turns');
    assert.equal(new Set(starts).size, 52, 'exactly one event per turn');
    assert.equal(calendarEvents.find((e) => e.start.date === date)?.summary, 'Support Triager: Chloe');
    await recordHistory(handle, 'support-triager-worker-killed');
  });
});

function scheduled(events: HistoryEvent[], type: string): HistoryEvent | undefined {
  return events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type);
}

function completed(events: HistoryEvent[], type: string): boolean {
  const id = scheduled(events, type)?.eventId;
  return (
    id != null &&
    events.some((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? '') === String(id))
  );
}
