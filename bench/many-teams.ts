/**
 * Section 3: many teams on one worker. One role configuration, many role workflows with distinct IDs (a team of
 * ten each), all on one worker process against the dev server. Each is started prepared (its state says the
 * notice for the coming handover went out), so the handover measures the handover itself; then `handoverNow` is
 * signalled to all of them at once and the time until every one has handed over is taken from the worker's log.
 * The worker's RSS and CPU are read from /proc while it runs.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { roleTimeZone } from '../src/domain/config';
import { sortMembers } from '../src/domain/members';
import { initialState, upcomingMember } from '../src/domain/rotation';
import { handoverDateOf, handoverKey, nextHandoverAfter } from '../src/domain/schedule';
import { handoverNowSignal, stateQuery, type RoleWorkflowInput } from '../src/shared';
import { DEMO_MANAGER, DEMO_TEAM, startSandbox } from '../src/sandbox/sandbox';
import {
  sampleProcess,
  sleep,
  testSettings,
  withoutAcknowledgements,
  type ProcessSample,
  waitFor,
  workerEnvironment,
  WorkerProcess,
  workflowBundleFile,
} from '../test/support';
import { benchTeam, childPids, GROUP, mapLimit, median, mib, ms, progress, ROLE, writeSettingsFile } from './common';
import { table, GIB, type Goal, type Section } from './section';

export interface ManyTeamsOptions {
  teams: number;
  membersPerTeam: number;
}

export interface ManyTeamsResult {
  teams: number;
  membersPerTeam: number;
  /** Starting all the workflows until each had run its first workflow task (visible by its search attributes). */
  startMs: number;
  /** Sending `handoverNow` to every workflow (the signals all in flight at once, 200 at a time). */
  signalMs: number;
  /** First signal sent until the last handover was logged by the worker. */
  handoverMs: number;
  /** First signal sent until the visibility store showed every new current member. */
  visibleMs: number;
  handoversPerSecond: number;
  /** First signal sent until the first, the median and the 90th percentile handover. */
  firstHandoverMs: number;
  medianHandoverMs: number;
  p90HandoverMs: number;
  worker: {
    /** VmHWM over the whole life of the process (start, 1,000 workflows, the handovers). */
    peakRssBytes: number;
    /** VmHWM when the worker began polling, before any workflow. */
    peakRssAtReadyBytes: number;
    /** VmRSS once every workflow had started, before the handovers. */
    rssAfterStartBytes: number;
    /** The largest VmRSS sampled (every 100 ms) while the handovers ran. */
    peakRssDuringHandoverBytes: number;
    /** CPU seconds / wall seconds from just before the signals until the last handover was seen. */
    cpuCoresDuringHandover: number;
    cpuSecondsDuringHandover: number;
    cpuSecondsTotal: number;
    /** Seconds its threads spent runnable but waiting for a CPU in that window (other processes had it). */
    runQueueSecondsDuringHandover: number;
    warnings: number;
  };
  server: {
    cpuCoresDuringHandover: number;
    cpuSecondsDuringHandover: number;
    runQueueSecondsDuringHandover: number;
  } | null;
  checked: number;
  /** The handover's workflow task in a sample of histories: scheduled → started (waiting for the worker's poll)
   * and started → completed (the worker running it and answering), medians and the longest wait. */
  task: { sampled: number; waitMs: number; runMs: number; maxWaitMs: number };
}

export async function runManyTeamsSection(
  env: TestWorkflowEnvironment,
  scratch: string,
  { teams, membersPerTeam }: ManyTeamsOptions,
): Promise<ManyTeamsResult> {
  const sandbox = await startSandbox({ groups: { [GROUP]: DEMO_TEAM }, standupManager: DEMO_MANAGER });
  const taskQueue = `bench-many-${randomUUID()}`;
  const child = new WorkerProcess(
    'the worker',
    workerEnvironment(env, sandbox, { TEAM_ROLES_CONFIG: writeSettingsFile(scratch), TEAM_ROLES_LOG_FORMAT: 'json' }),
    { taskQueue, bundleFile: await workflowBundleFile() },
  );
  try {
    const ready = await child.start();
    const pid = child.pid!;
    const settings = withoutAcknowledgements(testSettings());
    const role = settings.roles[ROLE]!;
    const timeZone = roleTimeZone(settings, role);
    const at = nextHandoverAfter(role, timeZone, new Date());
    const date = handoverDateOf(role, timeZone, at);
    const key = handoverKey(ROLE, date);

    const inputs: RoleWorkflowInput[] = Array.from({ length: teams }, (_, i) => {
      const members = benchTeam(membersPerTeam, `U0T${String(i).padStart(4, '0')}M`);
      const sorted = sortMembers(members);
      const rotation = initialState(ROLE, 2, members, { incoming: sorted[1], current: sorted[0] });
      const next = upcomingMember(rotation, date).member;
      return {
        role: ROLE,
        state: {
          rotation,
          standupId: 1,
          prepared: { key, memberId: next.id, buddyId: rotation.incoming!.id },
          nextHandoverAt: at.toISOString(),
          warnings: [],
          lastError: null,
          handoversDone: 0,
        },
      };
    });
    const newCurrent = sortMembers(benchTeam(membersPerTeam))[1]!.name; // names repeat from team to team

    const count = async (query: string): Promise<number> =>
      (await env.client.workflow.count(`TaskQueue = '${taskQueue}' AND ${query}`)).count;

    progress(`teams: starting ${teams} role workflows`);
    const startedAt = Date.now();
    const handles: WorkflowHandle[] = await mapLimit(inputs, 50, (input) =>
      env.client.workflow.start('roleWorkflow', {
        workflowId: `bench-team/${taskQueue}/${randomUUID()}`,
        taskQueue,
        args: [input],
      }),
    );
    await waitFor(`${teams} workflows to start`, async () => (await count(`TeamRole = '${ROLE}'`)) >= teams, {
      intervalMs: 250,
      timeoutMs: 300_000,
    });
    const startMs = Date.now() - startedAt;
    await sleep(1000); // let the worker settle

    const samples: ProcessSample[] = [];
    const serverPids = childPids('temporal');
    const serverCpu = () => serverPids.reduce((sum, pid) => sum + (sampleProcess(pid)?.cpuMs ?? 0), 0);
    const serverWait = () => serverPids.reduce((sum, pid) => sum + (sampleProcess(pid)?.runQueueMs ?? 0), 0);
    const before = sampleProcess(pid)!;
    const beforeAt = Date.now();
    const serverBefore = serverCpu();
    const serverWaitBefore = serverWait();
    const sampler = setInterval(() => {
      const sample = sampleProcess(pid);
      if (sample) samples.push(sample);
    }, 100);

    progress(`teams: signalling handoverNow to all ${teams}`);
    const signalledAt = Date.now();
    await mapLimit(handles, 200, (handle) => handle.signal(handoverNowSignal, {}));
    const signalMs = Date.now() - signalledAt;
    try {
      await waitFor(`${teams} handovers`, () => child.handovers.length >= teams, {
        intervalMs: 20,
        timeoutMs: 300_000,
      });
    } finally {
      clearInterval(sampler);
    }
    const handoverMs = Math.max(...child.handovers) - signalledAt;
    const after = sampleProcess(pid)!;
    const afterAt = Date.now();
    const serverAfter = serverCpu();
    const serverWaitAfter = serverWait();
    await waitFor('the visibility store', async () => (await count(`CurrentMember = '${newCurrent}'`)) >= teams, {
      intervalMs: 100,
      timeoutMs: 120_000,
    });
    const visibleMs = Date.now() - signalledAt;

    // Spot checks: the handover happened exactly once, as planned.
    const checkedHandles = [handles[0]!, handles[Math.floor(teams / 2)]!, handles[teams - 1]!];
    for (const handle of checkedHandles) {
      const state = await handle.query(stateQuery);
      if (state.current?.name !== newCurrent || state.lastHandoverKey !== key) {
        throw new Error(`bench: ${handle.workflowId} did not hand over as planned: ${JSON.stringify(state.current)}`);
      }
    }
    // Where a handover's time goes: its workflow task's wait for a poller, and its processing, from the histories.
    const sampled = handles.filter((_, i) => i % Math.max(1, Math.floor(teams / 20)) === 0);
    const waits: number[] = [];
    const runs: number[] = [];
    for (const handle of sampled) {
      const events = (await handle.fetchHistory()).events ?? [];
      const signalled = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes);
      const at = (i: number) => {
        const time = events[i]?.eventTime;
        return Number(time?.seconds ?? 0) * 1000 + Math.floor((time?.nanos ?? 0) / 1e6);
      };
      const scheduled = events.findIndex((e, i) => i > signalled && e.workflowTaskScheduledEventAttributes);
      const started = events.findIndex((e, i) => i > scheduled && e.workflowTaskStartedEventAttributes);
      const completed = events.findIndex((e, i) => i > started && e.workflowTaskCompletedEventAttributes);
      if (signalled < 0 || scheduled < 0 || started < 0 || completed < 0) continue;
      waits.push(at(started) - at(scheduled));
      runs.push(at(completed) - at(started));
    }
    if (child.handovers.length !== teams) {
      throw new Error(`bench: ${child.handovers.length} handovers logged for ${teams} workflows`);
    }

    const windowSeconds = (afterAt - beforeAt) / 1000;
    const sortedHandovers = [...child.handovers].sort((a, b) => a - b);
    const warnings = warningsIn(child.output);
    const result: ManyTeamsResult = {
      teams,
      membersPerTeam,
      startMs,
      signalMs,
      handoverMs,
      visibleMs,
      handoversPerSecond: teams / (handoverMs / 1000),
      firstHandoverMs: sortedHandovers[0]! - signalledAt,
      medianHandoverMs: sortedHandovers[Math.floor(teams / 2)]! - signalledAt,
      p90HandoverMs: sortedHandovers[Math.floor(teams * 0.9)]! - signalledAt,
      worker: {
        peakRssBytes: after.peakRssBytes,
        rssAfterStartBytes: before.rssBytes,
        peakRssAtReadyBytes: ready.peakRssBytes,
        peakRssDuringHandoverBytes: Math.max(before.rssBytes, ...samples.map((sample) => sample.rssBytes)),
        cpuSecondsDuringHandover: (after.cpuMs - before.cpuMs) / 1000,
        cpuCoresDuringHandover: (after.cpuMs - before.cpuMs) / 1000 / windowSeconds,
        cpuSecondsTotal: after.cpuMs / 1000,
        runQueueSecondsDuringHandover: (after.runQueueMs - before.runQueueMs) / 1000,
        warnings,
      },
      server: serverPids.length
        ? {
            cpuSecondsDuringHandover: (serverAfter - serverBefore) / 1000,
            runQueueSecondsDuringHandover: (serverWaitAfter - serverWaitBefore) / 1000,
            cpuCoresDuringHandover: (serverAfter - serverBefore) / 1000 / windowSeconds,
          }
        : null,
      checked: checkedHandles.length,
      task: { sampled: waits.length, waitMs: median(waits), runMs: median(runs), maxWaitMs: Math.max(...waits) },
    };
    progress(
      `teams: ${teams} handovers in ${handoverMs} ms (${result.handoversPerSecond.toFixed(0)}/s), worker peak RSS ` +
        `${(result.worker.peakRssBytes / 2 ** 20).toFixed(0)} MiB; first ${result.firstHandoverMs} ms, median ` +
        `${result.medianHandoverMs} ms, p90 ${result.p90HandoverMs} ms; signals sent in ${signalMs} ms; task wait ${result.task.waitMs} ms, run ${result.task.runMs} ms`,
    );
    return result;
  } finally {
    await child.stop();
    await sandbox.close();
  }
}

/** Warnings and errors in a worker's JSON log lines (TEAM_ROLES_LOG_FORMAT=json). */
function warningsIn(output: string): number {
  return output.split('\n').filter((line) => /^\{.*"level":"(WARN|ERROR)"/.test(line)).length;
}

/** Section 3 of BENCHMARKS.md. */
export const manyTeamsSection: Section<ManyTeamsResult> = {
  number: '3',
  title: (teams) => `${teams.teams.toLocaleString('en')} teams on one worker`,
  run: ({ quick, scratch, withDevServer }) =>
    withDevServer((dev) => runManyTeamsSection(dev, scratch, { teams: quick ? 100 : 1000, membersPerTeam: 10 })),
  render(teams) {
    return [
      table(
        [
          'teams (members each)',
          'start all (until each ran its first task)',
          'signal all',
          'all handed over',
          'handovers / s',
          'all visible in the visibility store',
          'worker peak RSS (VmHWM)',
          'worker RSS before the handovers',
          'worker CPU during the handovers',
          'dev server CPU during the handovers',
        ],
        [
          [
            `${teams.teams} (${teams.membersPerTeam})`,
            ms(teams.startMs),
            ms(teams.signalMs),
            `**${ms(teams.handoverMs)}**`,
            teams.handoversPerSecond.toFixed(0),
            ms(teams.visibleMs),
            mib(teams.worker.peakRssBytes),
            mib(teams.worker.rssAfterStartBytes),
            `${teams.worker.cpuCoresDuringHandover.toFixed(2)} cores (${teams.worker.cpuSecondsDuringHandover.toFixed(1)} CPU s)`,
            teams.server ? `${teams.server.cpuCoresDuringHandover.toFixed(2)} cores` : 'n/a',
          ],
        ],
      ),
      '',
      `Handovers done after the first signal: first ${ms(teams.firstHandoverMs)}, median ${ms(teams.medianHandoverMs)}, ` +
        `90th percentile ${ms(teams.p90HandoverMs)}, last ${ms(teams.handoverMs)}. In ${teams.task.sampled} sampled ` +
        `histories the handover's workflow task waited ${ms(teams.task.waitMs)} (median; longest ` +
        `${ms(teams.task.maxWaitMs)}) from scheduled to started, and took ${ms(teams.task.runMs)} from started to ` +
        'completed: the tasks queue up behind the one worker. Memory: ' +
        `${mib(teams.worker.peakRssAtReadyBytes)} when the worker began polling, ` +
        `${mib(teams.worker.rssAfterStartBytes)} with all ${teams.teams} workflows cached (about ` +
        `${((teams.worker.rssAfterStartBytes - teams.worker.peakRssAtReadyBytes) / teams.teams / 1024).toFixed(0)} KiB ` +
        'each), the rest of the peak during the burst of handovers. CPU per handover: worker ' +
        `${((teams.worker.cpuSecondsDuringHandover * 1000) / teams.teams).toFixed(1)} ms` +
        (teams.server
          ? `, dev server ${((teams.server.cpuSecondsDuringHandover * 1000) / teams.teams).toFixed(1)} ms.`
          : '.') +
        ` Waiting for a CPU in that window (runnable, not running, from /proc/<pid>/task/*/schedstat): worker ` +
        `${teams.worker.runQueueSecondsDuringHandover.toFixed(1)} s` +
        (teams.server ? `, dev server ${teams.server.runQueueSecondsDuringHandover.toFixed(1)} s` : '') +
        ' (summed over their threads).',
      '',
      'How: the worker runs as its own process (the entry point of `npm start`, `main` in src/worker.ts, spawned by',
      "test/support's `WorkerProcess`, with the bundle built ahead: settings from TEAM_ROLES_CONFIG, clients from the",
      'environment, JSON log lines), its memory and CPU read from /proc/<pid>/status and /proc/<pid>/stat. One role',
      'configuration (the shipped Support Triager), one workflow per team with its own ID and ten members. Each is',
      'started already prepared for the coming handover (its state records the notice as sent), so what is timed is',
      'the handover itself, not the prepare step (section 1 times that). Then `handoverNow` is signalled to all of',
      'them at once (200 signals in flight), and the time runs from the first signal until the worker has logged',
      "every handover ('handed over', the time in its log line).",
      `CPU is CPU seconds over wall seconds in that window (2 cores = 2.00; other processes on the machine take ` +
        `their share too, see the load average). Worker warnings logged: ${teams.worker.warnings}. Spot checks ` +
        `(${teams.checked} workflows queried) confirmed each handed over once.`,
      '',
    ];
  },
  goals(teams) {
    const goals: Goal[] = [];
    goals.push({
      section: '3',
      goal: `all ${teams.teams.toLocaleString('en')} handovers within 60 s`,
      measured: ms(teams.handoverMs),
      met: teams.handoverMs <= 60_000 && teams.teams >= 1000,
    });
    goals.push({
      section: '3',
      goal: 'worker RSS under 1 GB (1 GiB) with them all',
      measured: mib(teams.worker.peakRssBytes),
      met: teams.worker.peakRssBytes < GIB && teams.teams >= 1000,
    });
    return goals;
  },
};
