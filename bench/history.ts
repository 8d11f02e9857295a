/**
 * Section 5: what a year costs in history. A year of weekly handovers on the time-skipping server (as
 * test/workflow/year.test.ts runs it), then every run's history fetched: events per handover and per year, bytes
 * (the JSON a history export or the replay test holds, and the protobuf the server stores), and how long
 * `Worker.runReplayHistories` takes to replay the year.
 */
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { buildActivityDeps } from '../src/activities/deps';
import { stateQuery } from '../src/shared';
import { createRoleWorker } from '../src/worker';
import { DEMO_MANAGER, DEMO_TEAM, startSandbox } from '../src/sandbox/sandbox';
import { runHistories, stateOf, untilNext } from '../test/support';
import { benchSettings, GROUP, median, progress, ROLE } from './common';

export interface HistoryResult {
  weeks: number;
  handovers: number;
  runs: number;
  events: number;
  eventsPerHandover: number;
  jsonBytes: number;
  protoBytes: number;
  /** Event types by count, largest first. */
  byType: Array<{ type: string; count: number }>;
  /** Wall time of the simulated year on the time-skipping server (context). */
  simulateMs: number;
  /** Encoded bytes by event type, largest first. */
  bytesByType: Array<{ type: string; bytes: number }>;
  /** Encoded bytes of the activity inputs (ActivityTaskScheduled) and results (ActivityTaskCompleted) by activity. */
  activityBytes: Array<{ activity: string; count: number; inputBytes: number; resultBytes: number }>;
  /** Replaying every run of the year with one `runReplayHistories` call; the first one separately. */
  replayMs: number[];
  /** The same for a near-empty history (the run continue-as-new started, a handful of events): the fixed cost. */
  fixedReplayMs: number[];
  fixedReplayEvents: number;
  /** Workflow tasks in the year. */
  workflowTasks: number;
  /** Replay of a bare workflow with as many workflow tasks (one timer each): what the SDK alone costs. */
  bare: { events: number; replayMs: number[] };
}

const EventType = temporal.api.enums.v1.EventType;

export async function runHistorySection(
  bundle: WorkflowBundleWithSourceMap,
  { weeks, replays }: { weeks: number; replays: number },
  startEnv: () => Promise<TestWorkflowEnvironment>,
): Promise<HistoryResult> {
  const env = await startEnv();
  const sandbox = await startSandbox({ groups: { [GROUP]: DEMO_TEAM }, standupManager: DEMO_MANAGER });
  try {
    const settings = benchSettings();
    const deps = await buildActivityDeps(sandbox.env, settings);
    const taskQueue = `bench-history-${randomUUID()}`;
    const workflowId = `bench-history/${ROLE}/${randomUUID()}`;
    const worker = await createRoleWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowBundle: bundle,
      deps,
    });

    // Start on a Thursday noon (the server's clock moved there first), so that every week of the year, the first
    // one too, has its notice and handover inside the loop: the same year whatever day the benchmark runs.
    await env.sleep(untilNext('Thu', '12:00', await env.currentTimeMs()));
    const simulated = performance.now();
    const handovers = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('roleWorkflow', {
        workflowId,
        taskQueue,
        args: [{ role: ROLE, seed: { incoming: 'Ben', current: 'Ava' } }],
      });
      let state = await stateOf(handle);
      const keys = new Set<string>();
      for (let week = 1; week <= weeks; week++) {
        const handoverAt = Date.parse(state.nextHandoverAt);
        await env.sleep(handoverAt - (await env.currentTimeMs()) + 60_000);
        state = await handle.query(stateQuery);
        if (state.lastHandoverKey) keys.add(state.lastHandoverKey);
      }
      if (keys.size !== weeks) throw new Error(`bench: ${keys.size} handovers in ${weeks} weeks`);
      return keys.size;
    });
    const simulateMs = performance.now() - simulated;
    progress(`history: ${handovers} handovers simulated in ${Math.round(simulateMs)} ms; fetching the histories`);

    const runs = await runHistories(env.client, workflowId);
    // Its next timer would hold the time-skipping server's clock (no worker is left to run it) for the calibration.
    await env.client.workflow.getHandle(workflowId).terminate('benchmark done');
    const History = temporal.api.history.v1.History;
    const histories = runs.map((run) => History.fromObject({ events: run.events }));
    // historyToJSON (@temporalio/common) fails in this install ("type must be a Type": @temporalio/common and
    // @temporalio/proto each carry their own protobufjs copy), so the JSON is protobufjs' own object form with
    // int64 and enums as strings, bytes as base64: within a few per cent of the canonical export.
    const jsonBytes = histories.reduce(
      (sum, history) =>
        sum +
        Buffer.byteLength(JSON.stringify(History.toObject(history, { longs: String, enums: String, bytes: String }))),
      0,
    );
    const protoBytes = histories.reduce((sum, history) => sum + History.encode(history).finish().length, 0);
    const events = runs.reduce((sum, run) => sum + run.events.length, 0);
    const counts = new Map<string, number>();
    const bytes = new Map<string, number>();
    const activities = new Map<string, { count: number; inputBytes: number; resultBytes: number }>();
    const scheduledType = new Map<string, string>();
    const payloadBytes = (payloads: temporal.api.common.v1.IPayloads | null | undefined) =>
      payloads ? temporal.api.common.v1.Payloads.encode(payloads).finish().length : 0;
    for (const history of histories) {
      for (const event of history.events) {
        const type = (EventType[Number(event.eventType)] ?? String(event.eventType)).replace(/^EVENT_TYPE_/, '');
        counts.set(type, (counts.get(type) ?? 0) + 1);
        const size = temporal.api.history.v1.HistoryEvent.encode(event).finish().length;
        bytes.set(type, (bytes.get(type) ?? 0) + size);
        const scheduled = event.activityTaskScheduledEventAttributes;
        if (scheduled) {
          const name = scheduled.activityType?.name ?? '?';
          scheduledType.set(String(event.eventId), name);
          const entry = activities.get(name) ?? { count: 0, inputBytes: 0, resultBytes: 0 };
          entry.count++;
          entry.inputBytes += payloadBytes(scheduled.input);
          activities.set(name, entry);
        }
        const completed = event.activityTaskCompletedEventAttributes;
        if (completed) {
          const entry = activities.get(scheduledType.get(String(completed.scheduledEventId)) ?? '?');
          if (entry) entry.resultBytes += payloadBytes(completed.result);
        }
      }
    }

    progress('history: running the calibration workflow');
    // Calibration: a bare workflow with as many workflow tasks as the year, one timer each.
    const workflowTasks = counts.get('WORKFLOW_TASK_COMPLETED') ?? 0;
    const bareBundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('./calibration/workflows'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) },
    });
    const bareId = `bench-bare/${randomUUID()}`;
    const bareWorker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue: `${taskQueue}-bare`,
      workflowBundle: bareBundle,
    });
    await bareWorker.runUntil(
      env.client.workflow.execute('bareTimersWorkflow', {
        workflowId: bareId,
        taskQueue: `${taskQueue}-bare`,
        args: [Math.max(1, workflowTasks - 1)],
      }),
    );
    progress('history: calibration workflow done');
    const bareHistory = History.fromObject(await env.client.workflow.getHandle(bareId).fetchHistory());

    const replay = async (
      which: typeof histories,
      workflowBundle: WorkflowBundleWithSourceMap = bundle,
      id = workflowId,
    ): Promise<number> => {
      const started = performance.now();
      const results = Worker.runReplayHistories(
        { workflowBundle },
        which.map((history) => ({ workflowId: id, history })),
      );
      for await (const result of results) {
        if (result.error) throw new Error(`bench: replay of ${result.runId} failed: ${result.error.message}`);
      }
      return performance.now() - started;
    };
    const shortest = [...histories].sort((a, b) => a.events.length - b.events.length)[0]!;
    const replayMs: number[] = [];
    const fixedReplayMs: number[] = [];
    const bareReplayMs: number[] = [];
    for (let i = 0; i < replays; i++) {
      replayMs.push(await replay(histories));
      fixedReplayMs.push(await replay([shortest]));
      bareReplayMs.push(await replay([bareHistory], bareBundle, bareId));
    }
    progress(
      `history: ${events} events for ${handovers} handovers (${(events / handovers).toFixed(1)} each), ` +
        `${jsonBytes} JSON bytes, replay ${Math.round(median(replayMs.slice(1)))} ms`,
    );
    return {
      weeks,
      handovers,
      runs: runs.length,
      events,
      eventsPerHandover: events / handovers,
      jsonBytes,
      protoBytes,
      byType: [...counts].map(([type, count]) => ({ type, count })).sort((a, b) => b.count - a.count),
      bytesByType: [...bytes].map(([type, size]) => ({ type, bytes: size })).sort((a, b) => b.bytes - a.bytes),
      activityBytes: [...activities]
        .map(([activity, entry]) => ({ activity, ...entry }))
        .sort((a, b) => b.inputBytes + b.resultBytes - a.inputBytes - a.resultBytes),
      simulateMs,
      replayMs,
      fixedReplayMs,
      fixedReplayEvents: shortest.events.length,
      workflowTasks,
      bare: { events: bareHistory.events.length, replayMs: bareReplayMs },
    };
  } finally {
    await sandbox.close();
    await env.teardown();
  }
}
