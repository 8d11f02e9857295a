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
import { runHistories, stateOf, testSettings, withoutAcknowledgements } from '../test/support';
import { GROUP, median, ms, progress, ROLE, spread } from './common';
import { table, type Goal, type Section } from './section';

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
    // On the time-skipping server: without the acknowledgement watch (see withoutAcknowledgements).
    const settings = withoutAcknowledgements(testSettings());
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

/** Section 5 of BENCHMARKS.md. */
export const historySection: Section<HistoryResult> = {
  number: '5',
  title: (history) => `History cost of a simulated year (${history.weeks} weekly handovers)`,
  run: ({ quick, bundle, startTimeSkippingServer }) =>
    runHistorySection(bundle, { weeks: 52, replays: quick ? 3 : 7 }, startTimeSkippingServer),
  render(history) {
    const kib = (value: number) => `${(value / 1024).toFixed(0)} KiB`;
    const bytesOf = new Map(history.bytesByType.map((t) => [t.type, t.bytes]));
    return [
      table(
        [
          'handovers',
          'runs (continue-as-new)',
          'events',
          'events per handover',
          'history JSON',
          'history protobuf',
          "replay of the year's runs: first, then the others",
          `replay of a ${history.fixedReplayEvents}-event run (fixed cost)`,
          `replay of a bare workflow with as many workflow tasks (${history.workflowTasks}, ${history.bare.events} events)`,
        ],
        [
          [
            String(history.handovers),
            String(history.runs),
            String(history.events),
            `**${history.eventsPerHandover.toFixed(1)}**`,
            kib(history.jsonBytes),
            kib(history.protoBytes),
            `${ms(history.replayMs[0]!)}, ${history.replayMs.length > 1 ? spread(history.replayMs.slice(1)) : 'n/a'}`,
            spread(history.fixedReplayMs),
            spread(history.bare.replayMs),
          ],
        ],
      ),
      '',
      'The year by event type (bytes: protobuf-encoded events):',
      '',
      table(
        ['event type', 'count', 'per handover', 'bytes', 'share of the bytes'],
        history.byType.map((t) => {
          const size = bytesOf.get(t.type) ?? 0;
          return [
            t.type,
            String(t.count),
            (t.count / history.handovers).toFixed(1),
            kib(size),
            `${((100 * size) / history.protoBytes).toFixed(0)} %`,
          ];
        }),
      ),
      '',
      'Activity inputs and results in the year (encoded payloads):',
      '',
      table(
        ['activity', 'calls', 'input bytes', 'result bytes', 'per call'],
        history.activityBytes.map((a) => [
          a.activity,
          String(a.count),
          kib(a.inputBytes),
          kib(a.resultBytes),
          `${((a.inputBytes + a.resultBytes) / Math.max(1, a.count) / 1024).toFixed(1)} KiB`,
        ]),
      ),
      '',
      'How: the role workflow run for a year on the time-skipping server as test/workflow/year.test.ts runs it (the',
      `demo team of seven, Ava current and Ben incoming; the simulated year took ${ms(history.simulateMs)} of wall`,
      "time), then every run's history fetched. Events per handover = all the year's events / handovers (prepare,",
      "timers and start-up included). Protobuf is the encoded `History` (what the server stores); JSON is protobufjs'",
      'object form with int64 and enums as strings (`historyToJSON` itself fails in this install, see the notes).',
      'Replay: one `Worker.runReplayHistories` call over all runs with the bundle built ahead, timed whole (each call',
      'builds its own replay worker); the fixed cost is the same call over the shortest run alone. The bare',
      'workflow (bench/calibration/workflows.ts: one timer per workflow task, nothing else) is replayed the same way,',
      "so the difference between it and the year is the role workflow's own code.",
      '',
    ];
  },
  goals(history) {
    const goals: Goal[] = [];
    goals.push({
      section: '5',
      goal: 'under 30 history events per handover',
      measured: history.eventsPerHandover.toFixed(1),
      met: history.eventsPerHandover < 30,
    });
    const replay = median(history.replayMs);
    goals.push({
      section: '5',
      goal: "a year's history replays in under 300 ms",
      measured: `${ms(replay)} (median of ${history.replayMs.length}; a near-empty run: ${ms(median(history.fixedReplayMs))})`,
      met: replay < 300,
    });
    return goals;
  },
  limits(history) {
    if (median(history.replayMs) < 300) return [];
    const lines: string[] = [];
    const fixed = median(history.fixedReplayMs);
    const perTask = (median(history.replayMs) - fixed) / history.workflowTasks;
    const barePerTask = (median(history.bare.replayMs) - fixed) / history.workflowTasks;
    const tasksPerHandover = history.workflowTasks / history.handovers;
    // Continuing as new sooner does not help: the year's runs together have as many tasks.
    const affordable = (300 - fixed) / perTask / history.handovers;
    lines.push(
      `Replay: the year has ${history.workflowTasks} workflow tasks (${tasksPerHandover.toFixed(1)} per handover). ` +
        `Beyond the ${ms(fixed)} a replay worker costs to set up, each took ${perTask.toFixed(1)} ms to replay; a bare ` +
        `workflow's took ${barePerTask.toFixed(1)} ms, so the SDK alone needs ` +
        `${ms(fixed + barePerTask * history.workflowTasks)} for this many tasks. Under 300 ms at today's cost per ` +
        `task means at most ${affordable.toFixed(1)} workflow tasks per handover (a timer for the notice, one for ` +
        'the handover and the activity result already make 3), or cheaper tasks; a bare task already costs ' +
        `${barePerTask.toFixed(1)} ms here (the SDK's promise hook records a stack trace for every promise a workflow ` +
        'makes, and the role workflow makes more of them per task).',
    );
    return lines;
  },
};
