/**
 * Section 6: cold start at scale. After a worker restart every rotation must be replayed before it answers: a query
 * to a workflow the new worker has not cached fetches its whole current run and replays it. So the run's length
 * decides how long a restart takes: `handoversPerRun` handovers, each three workflow tasks (the notice's timer, the
 * prepare step's result, the handover).
 *
 * For each run length: rotations on the dev server, each with its current run at its longest (one handover short of
 * continuing as new, that handover's notice already out), then a fresh worker process (`main` of src/worker.ts, the
 * entry point of `npm start`, with the same settings) and a `state` query to every rotation at once: the time from the
 * first query until all have answered, and the worker's peak RSS.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { buildActivityDeps } from '../src/activities/deps';
import { roleTimeZone } from '../src/domain/config';
import { sortMembers } from '../src/domain/members';
import { initialState } from '../src/domain/rotation';
import { nextHandoverAfter } from '../src/domain/schedule';
import { handoverNowSignal, stateQuery, type RoleStateView, type RoleWorkflowInput } from '../src/shared';
import { DEMO_MANAGER, DEMO_TEAM, startSandbox } from '../src/sandbox/sandbox';
import { createRoleWorker } from '../src/worker';
import {
  sampleProcess,
  testSettings,
  withoutAcknowledgements,
  waitFor,
  workerEnvironment,
  WorkerProcess,
  workflowBundleFile,
} from '../test/support';
import { GROUP, loadAverage, mapLimit, mib, ms, progress, ROLE, writeSettingsFile } from './common';
import { GIB, table, type Goal, type Section } from './section';

const WEEK_MS = 7 * 86_400_000;
const DAY_MS = 86_400_000;

export interface ColdStartOptions {
  rotations: number;
  handoversPerRun: number;
  /** Real milliseconds per simulated week while building. */
  weekMs: number;
}

export interface ColdStartRun {
  rotations: number;
  handoversPerRun: number;
  /** Events in one rotation's current run, and its workflow tasks. */
  runEvents: number;
  runWorkflowTasks: number;
  /** Notice timers that fired in it (one per week: the production shape). */
  runTimers: number;
  /** Building the rotations (simulated weeks on the time-skipping server), context only. */
  buildMs: number;
  /** Spawn until the fresh worker polls. */
  workerReadyMs: number;
  /** First query sent until every rotation had answered. */
  answerAllMs: number;
  /** Until the first, the median and the 90th percentile answer. */
  firstAnswerMs: number;
  medianAnswerMs: number;
  p90AnswerMs: number;
  /** The fresh worker's VmHWM after answering them all, and at polling. */
  peakRssBytes: number;
  peakRssAtReadyBytes: number;
  workerCpuSeconds: number;
  /** The worker's CPU from polling to the last answer, per rotation. */
  cpuPerRotationMs: number;
  /** 1-minute load average as the queries went out. */
  load: string;
}

export interface ColdStartResult {
  runs: ColdStartRun[];
}

/**
 * Builds `rotations` rotations one handover short of continuing as new, then times a fresh worker answering them.
 *
 * The rotations run in schedule mode on a fast clock (domain/clock.ts) that all of them share: each week their
 * notices go out on their own timer, and the benchmark, standing in for the Temporal Schedule, asks every one for
 * its handover once every notice is out. A run so holds what a production run holds (a timer, the prepare step and
 * a handover for every week), and after the last notice it waits for the next handover with no timer due: nothing
 * changes while it is measured. `weekMs`: a simulated week, long enough for every rotation to take its handover
 * before its next notice is due.
 */
export async function runColdStart(
  env: TestWorkflowEnvironment,
  bundle: WorkflowBundleWithSourceMap,
  scratch: string,
  { rotations, handoversPerRun, weekMs }: ColdStartOptions,
): Promise<ColdStartRun> {
  const sandbox = await startSandbox({ groups: { [GROUP]: DEMO_TEAM }, standupManager: DEMO_MANAGER });
  try {
    const scale = WEEK_MS / weekMs;
    const overlay = { handoversPerRun, calendarHorizonMonths: 1, timeScale: scale };
    const settings = withoutAcknowledgements(testSettings(overlay));
    const role = settings.roles[ROLE]!;
    const taskQueue = `bench-cold-${randomUUID()}`;
    const deps = await buildActivityDeps(sandbox.env, settings);
    // Every rotation acts as the same service account: the worker's calendar budget would pace the build.
    deps.limits = { calendarRequestsPerMinute: 1_000_000, calendarConcurrency: 50, slackTier2PerMinute: 1_000_000 };
    const team = sortMembers(DEMO_TEAM);
    const now = Date.now();
    const clock = { realMs: now, virtualMs: now, scale };
    // The first notice a simulated day or more ahead: every rotation has started by then.
    const firstHandover = nextHandoverAfter(role, roleTimeZone(settings, role), new Date(now + 3 * DAY_MS));
    const input: RoleWorkflowInput = {
      role: ROLE,
      mode: 'schedule',
      state: {
        rotation: initialState(ROLE, role.slots, team, { incoming: team[1], current: team[0] }),
        standupId: null,
        prepared: null,
        nextHandoverAt: firstHandover.toISOString(),
        warnings: [],
        lastError: null,
        handoversDone: 0,
        clock,
      },
    };

    progress(`cold start: building ${rotations} rotations with ${handoversPerRun - 1} handovers each in their run`);
    const built = performance.now();
    // Every notice reads the Slack group once (`usergroups.list`): how many have gone out.
    const notices = (() => {
      let seen = 0;
      let count = 0;
      return () => {
        const { requests } = sandbox.slack;
        for (; seen < requests.length; seen++) if (requests[seen]!.path.endsWith('usergroups.list')) count++;
        return count;
      };
    })();
    const handles: WorkflowHandle[] = [];
    const builder = await createRoleWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowBundle: bundle,
      deps,
    });
    await builder.runUntil(async () => {
      handles.push(
        ...(await mapLimit(Array.from({ length: rotations }), 50, () =>
          env.client.workflow.start('roleWorkflow', {
            workflowId: `bench-cold/${handoversPerRun}/${randomUUID()}`,
            taskQueue,
            args: [input],
          }),
        )),
      );
      const timeout = { intervalMs: 50, timeoutMs: 20 * weekMs + 120_000 };
      for (let week = 1; week < handoversPerRun; week++) {
        await waitFor(`notice ${week} of ${rotations} rotations`, () => notices() >= week * rotations, timeout);
        await mapLimit(handles, 200, (handle) => handle.signal(handoverNowSignal, {}));
      }
      await waitFor(
        `the last notice of ${rotations} rotations`,
        () => notices() >= handoversPerRun * rotations,
        timeout,
      );
      // Until every notice's result is in its history.
      await waitFor(
        'the notices to be recorded',
        async () => {
          const described = await mapLimit(handles, 100, (handle) => handle.describe());
          return described.every((d) => (d.raw.pendingActivities?.length ?? 0) === 0);
        },
        { intervalMs: 500, timeoutMs: 120_000 },
      );
    });
    const buildMs = performance.now() - built;
    const run = (await handles[0]!.fetchHistory()).events ?? [];
    const runWorkflowTasks = run.filter((e) => e.workflowTaskCompletedEventAttributes).length;
    const runTimers = run.filter((e) => e.timerFiredEventAttributes).length;
    progress(
      `cold start: built in ${ms(buildMs)}; one run holds ${run.length} events, ${runWorkflowTasks} workflow tasks, ` +
        `${runTimers} notice timers`,
    );

    // The fresh worker reads the settings the rotations were built with, from its TEAM_ROLES_CONFIG.
    const settingsFile = writeSettingsFile(scratch, overlay, `team-roles-cold-start-${handoversPerRun}.json`);
    const child = new WorkerProcess(
      'the fresh worker',
      workerEnvironment(env, sandbox, { TEAM_ROLES_CONFIG: settingsFile }),
      { taskQueue, bundleFile: await workflowBundleFile() },
    );
    try {
      const ready = await child.start();
      const pid = child.pid!;
      const cpuAtReady = sampleProcess(pid)?.cpuMs ?? Number.NaN;
      const load = loadAverage().split(',')[0]!;
      const asked = performance.now();
      const answers: number[] = [];
      await mapLimit(handles, 200, async (handle) => {
        const state: RoleStateView = await handle.query(stateQuery);
        if (state.history.length !== handoversPerRun - 1) throw new Error(`bench: ${handle.workflowId} changed`);
        answers.push(performance.now() - asked);
      });
      const answerAllMs = performance.now() - asked;
      const sample = sampleProcess(pid);
      answers.sort((a, b) => a - b);
      const result: ColdStartRun = {
        rotations,
        handoversPerRun,
        runEvents: run.length,
        runWorkflowTasks,
        runTimers,
        buildMs,
        workerReadyMs: ready.spawnToReadyMs,
        answerAllMs,
        firstAnswerMs: answers[0]!,
        medianAnswerMs: answers[Math.floor(answers.length / 2)]!,
        p90AnswerMs: answers[Math.floor(answers.length * 0.9)]!,
        peakRssBytes: sample?.peakRssBytes ?? Number.NaN,
        peakRssAtReadyBytes: ready.peakRssBytes,
        workerCpuSeconds: (sample?.cpuMs ?? Number.NaN) / 1000,
        cpuPerRotationMs: ((sample?.cpuMs ?? Number.NaN) - cpuAtReady) / rotations,
        load,
      };
      progress(
        `cold start: ${rotations} rotations at ${handoversPerRun} handovers per run answered in ${ms(answerAllMs)}, ` +
          `worker peak RSS ${mib(result.peakRssBytes)} (load ${load})`,
      );
      return result;
    } finally {
      await child.stop();
    }
  } finally {
    await sandbox.close();
  }
}

/** The run length this project ships (`handoversPerRun` default), and the one it had before (52). */
const SETTINGS = { chosen: 4, before: 52 };

/**
 * Building a run costs about three workflow tasks and a prepare step per rotation and week: 1,000 rotations at 52
 * handovers would take the machine most of an hour. The run length of before is measured on fewer rotations.
 */
const FULL = [
  { handoversPerRun: SETTINGS.chosen, rotations: 1000 },
  { handoversPerRun: SETTINGS.before, rotations: 40 },
];
const QUICK = [
  { handoversPerRun: SETTINGS.chosen, rotations: 100 },
  { handoversPerRun: SETTINGS.before, rotations: 10 },
];

/**
 * What answering 1,000 rotations would take at a row's run length, when it was measured on fewer: the largest
 * row's time, times the ratio of the worker's CPU per rotation (answering is the worker replaying, one after another).
 */
function atThousand(result: ColdStartResult, row: ColdStartRun): string {
  const largest = result.runs.reduce((a, b) => (b.rotations > a.rotations ? b : a));
  const estimate = (largest.answerAllMs * (1000 / largest.rotations) * row.cpuPerRotationMs) / largest.cpuPerRotationMs;
  return `≈ ${ms(estimate)} (from its CPU per rotation)`;
}

/** How long building 1,000 rotations at 52 handovers would take, from the measured building rate. */
function buildEstimate(result: ColdStartResult): string {
  const rates = result.runs.map((r) => r.buildMs / (r.rotations * r.handoversPerRun));
  const perRotationWeek = Math.min(...rates);
  return `about ${Math.round((perRotationWeek * 1000 * 52) / 60_000)} minutes`;
}

/** Section 6 of BENCHMARKS.md. */
export const coldStartSection: Section<ColdStartResult> = {
  number: '6',
  title: (result) =>
    `Cold start: ${Math.max(...result.runs.map((r) => r.rotations)).toLocaleString('en')} rotations, a fresh worker`,
  async run({ quick, bundle, scratch, withDevServer }) {
    const runs: ColdStartRun[] = [];
    for (const { handoversPerRun, rotations } of quick ? QUICK : FULL) {
      // A simulated week: enough for every rotation's notice and handover on this machine (about 45 ms each).
      const weekMs = Math.max(2500, rotations * 45);
      runs.push(
        await withDevServer((env) => runColdStart(env, bundle, scratch, { rotations, handoversPerRun, weekMs })),
      );
    }
    return { runs };
  },
  render: (result) => [
    table(
      [
        'handoversPerRun',
        'rotations',
        'one run: events, workflow tasks',
        'all answered',
        'worker CPU per rotation',
        'at 1,000 rotations',
        'first, median, 90th percentile',
        'worker peak RSS (at polling)',
        'worker CPU (whole process)',
        'load average',
        'building them (context)',
      ],
      result.runs.map((r) => [
        `${r.handoversPerRun}${r.handoversPerRun === SETTINGS.chosen ? ' (shipped)' : ''}`,
        r.rotations.toLocaleString('en'),
        `${r.runEvents}, ${r.runWorkflowTasks}`,
        `**${ms(r.answerAllMs)}**`,
        `${r.cpuPerRotationMs.toFixed(1)} ms`,
        r.rotations >= 1000 ? `${ms(r.answerAllMs)} (measured)` : atThousand(result, r),
        `${ms(r.firstAnswerMs)}, ${ms(r.medianAnswerMs)}, ${ms(r.p90AnswerMs)}`,
        `${mib(r.peakRssBytes)} (${mib(r.peakRssAtReadyBytes)})`,
        `${r.workerCpuSeconds.toFixed(1)} s`,
        r.load,
        ms(r.buildMs),
      ]),
    ),
    '',
    'How: for each run length, that many rotations on the dev server (a fresh one each), started with their state',
    '(as continue-as-new passes it) and built by an in-process worker through simulated weeks (a fast clock shared',
    'by all of them) until the current run is at its longest: one handover short of continuing as new, the notice',
    'for that handover out. They run in schedule mode, the benchmark standing in for the Temporal Schedule: it asks',
    'every rotation for its handover once every notice of the week is out, so each week holds what a production',
    "week holds (the notice's timer, the prepare step, the handover) and after the last notice nothing is due. Then",
    'the building worker stops and a fresh one starts as its own process (`main` of src/worker.ts, what `npm start`',
    "runs, spawned by test/support's `WorkerProcess` with the same settings in its TEAM_ROLES_CONFIG and the bundle",
    'built ahead); `state` is queried on every rotation at once (200 in flight), and the time runs from the first',
    "query until all have answered. The new worker has none of them cached: each answer fetches the run's history",
    "and replays it. RSS is the worker process's VmHWM after the last answer.",
    'Building costs about three workflow tasks and a prepare step per rotation and simulated week: 1,000 rotations',
    `at 52 handovers would take this machine ${buildEstimate(result)}, so the run length of before is measured on`,
    'fewer rotations: a restarted worker replays the rotations it is asked about one after another (one workflow',
    "thread), so its figure at 1,000 is the largest row's time scaled by the worker's CPU per rotation (from polling",
    'to the last answer).',
    '',
  ],
  goals(result) {
    const goals: Goal[] = [];
    const chosen = result.runs.find((r) => r.handoversPerRun === SETTINGS.chosen);
    if (!chosen) return goals;
    const scale = chosen.rotations >= 1000;
    goals.push({
      section: '6',
      goal: `${chosen.rotations.toLocaleString('en')} rotations answer a fresh worker within 60 s`,
      measured: ms(chosen.answerAllMs),
      met: scale && chosen.answerAllMs <= 60_000,
    });
    goals.push({
      section: '6',
      goal: 'the fresh worker stays under 1 GiB RSS',
      measured: mib(chosen.peakRssBytes),
      met: scale && chosen.peakRssBytes < GIB,
    });
    return goals;
  },
};
