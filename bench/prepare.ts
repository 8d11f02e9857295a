/**
 * Section 1: the prepare step against the old scripts' call pattern, both over real HTTP to the same fakes with
 * the same injected latency per call. Ours is triggered through the workflow on the dev server: a role workflow
 * started (with its state, as an import or continue-as-new passes it) at a moment its prepare instant has passed,
 * timed from the start call until the fake Geekbot has the standup and the fake calendar has every turn.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { eventIdFor } from '../src/activities/calendar';
import { buildActivityDeps } from '../src/activities/deps';
import { renderStandupQuestion } from '../src/activities/geekbot';
import { roleTimeZone, type Settings } from '../src/domain/config';
import { sortMembers } from '../src/domain/members';
import { initialState, planFromState, upcomingMember } from '../src/domain/rotation';
import { handoverDateOf, nextHandoverAfter } from '../src/domain/schedule';
import type { Member, Turn } from '../src/domain/types';
import type { RoleWorkflowInput, RoleWorkflowState } from '../src/shared';
import { createRoleWorker } from '../src/worker';
import type { RecordedRequest } from '../src/sandbox/http';
import { DEMO_MANAGER, startSandbox, type Sandbox } from '../src/sandbox/sandbox';
import { sleep, waitFor } from '../test/support';
import { benchSettings, benchTeam, GROUP, LATENCY_MS, median, progress, ROLE } from './common';
import { calendarBearer, oldWeeklyRun, type OldRunTarget } from './old-weekly-run';

export interface PrepareOptions {
  sizes: number[];
  /** Old-run / our-run pairs per size (index-aligned with `sizes`). */
  pairs: number[];
  /** First runs (empty calendar) per size. */
  firstRuns: number;
}

export interface CallCount {
  total: number;
  slack: number;
  geekbot: number;
  calendar: number;
}

export interface PrepareSample {
  ms: number;
  calls: CallCount;
  /** Round trips on the critical path: the longest chain of calls, each starting after the previous answered. */
  depth: number;
  /** From the start call until the first outside call (workflow start, first task, settings, first activity). */
  leadMs: number;
  /** From Slack's last answer until the first Geekbot or Calendar call (activity done, next task, activities). */
  handoffMs: number;
}

export interface PrepareRow {
  members: number;
  old: { calls: number; ms: number[] };
  ours: PrepareSample[];
  /** Old run / our run, pair by pair. */
  ratios: number[];
  first: PrepareSample[];
}

export interface PrepareResult {
  latencyMs: number;
  rows: PrepareRow[];
}

/** The longest lead the settings allow (27 days): more than the three weeks to the handover the workflows get. */
const PREPARE_LEAD_HOURS = 24 * 27;

/** What a role workflow for these members is given, and what its prepare step must write. */
interface PrepareCase {
  input: RoleWorkflowInput;
  next: Member;
  turns: Turn[];
  eventIds: string[];
  oldTarget: Omit<OldRunTarget, 'calendarToken'>;
}

function prepareCase(settings: Settings, members: Member[], sandbox: Sandbox): PrepareCase {
  const role = settings.roles[ROLE]!;
  const timeZone = roleTimeZone(settings, role);
  const sorted = sortMembers(members);
  const rotation = initialState(ROLE, 2, members, { incoming: sorted[1], current: sorted[0] });
  // A handover two to three weeks ahead whose prepare instant (PREPARE_LEAD_HOURS before) has passed: the prepare
  // step runs at once, and no workflow left behind hands over while the benchmark runs.
  const at = nextHandoverAfter(role, timeZone, new Date(Date.now() + 14 * 86_400_000));
  const date = handoverDateOf(role, timeZone, at);
  const next = upcomingMember(rotation, date).member;
  // The workflow's own calendarTurns: the turns still running and a year ahead.
  const count = Math.max(1, Math.round((52 * settings.calendarHorizonMonths) / 12));
  const turns = [...rotation.history.filter((turn) => turn.end > date), ...planFromState(role, rotation, date, count)];
  const state: RoleWorkflowState = {
    rotation,
    standupId: null,
    prepared: null,
    nextHandoverAt: at.toISOString(),
    warnings: [],
    lastError: null,
    handoversDone: 0,
  };
  const last = turns.at(-1)!;
  return {
    input: { role: ROLE, state },
    next,
    turns,
    eventIds: turns.map((turn) => eventIdFor(ROLE, turn.start)),
    oldTarget: {
      slackUrl: sandbox.env.SLACK_API_URL!,
      slackToken: sandbox.env.SLACK_BOT_TOKEN!,
      geekbotUrl: sandbox.env.GEEKBOT_API_URL!,
      geekbotKey: sandbox.env.GEEKBOT_API_KEY!,
      calendarRootUrl: sandbox.env.GOOGLE_CALENDAR_API_URL!,
      calendarId: sandbox.env.CALENDAR_ID!,
      usergroup: GROUP,
      standupName: role.standup.name,
      standup: {
        users: [next.id, DEMO_MANAGER.id],
        question: renderStandupQuestion({ role, incoming: next, buddy: rotation.incoming, calendarUrl: '' }),
        waitMinutes: role.standup.waitTime,
      },
      event: { summary: `${role.title}: ${last.member.name}`, start: last.start, end: last.end },
    },
  };
}

/** Longest chain of requests in which each starts after the previous one has answered. */
export function criticalDepth(requests: readonly RecordedRequest[]): number {
  const sorted = [...requests].sort((a, b) => a.startedAt - b.startedAt);
  const depth: number[] = [];
  let longest = 0;
  sorted.forEach((request, i) => {
    let before = 0;
    for (let j = 0; j < i; j++) {
      const earlier = sorted[j]!;
      if ((earlier.endedAt ?? Infinity) <= request.startedAt) before = Math.max(before, depth[j]!);
    }
    depth[i] = before + 1;
    longest = Math.max(longest, depth[i]);
  });
  return longest;
}

export async function runPrepareSection(
  env: TestWorkflowEnvironment,
  bundle: WorkflowBundleWithSourceMap,
  options: PrepareOptions,
): Promise<PrepareResult> {
  const largest = Math.max(...options.sizes);
  const team = benchTeam(largest);
  const latency = { latencyMs: LATENCY_MS };
  const sandbox = await startSandbox({
    groups: { [GROUP]: team },
    standupManager: DEMO_MANAGER,
    faults: { slack: latency, geekbot: latency, calendar: latency },
  });
  try {
    const settings = benchSettings({ roles: { [ROLE]: { prepareLeadHours: PREPARE_LEAD_HOURS } } });
    const deps = await buildActivityDeps(sandbox.env, settings);
    const taskQueue = `bench-prepare-${randomUUID()}`;
    const worker = await createRoleWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowBundle: bundle,
      deps,
    });
    const calendarToken = calendarBearer(sandbox.env.GOOGLE_APPLICATION_CREDENTIALS!);
    const standupName = settings.roles[ROLE]!.standup.name;

    const events = () => sandbox.calendar.state.calendars[sandbox.calendar.calendarId]!.events;
    const fakes = [sandbox.slack, sandbox.geekbot, sandbox.calendar];
    const clearLogs = () => fakes.forEach((fake) => fake.clearRequests());
    const standup = () => sandbox.geekbot.state.standups.find((s) => s.name === standupName);

    /** Empty calendar, no standup: the very first prepare of a role. */
    const firstRunState = () => {
      for (const id of Object.keys(events())) delete events()[id];
      sandbox.geekbot.state.standups.length = 0;
    };
    /** A steady-state week: the calendar holds the year but the newest turn, the standup names last week's member. */
    const steadyState = (c: PrepareCase) => {
      delete events()[c.eventIds.at(-1)!];
      const existing = standup();
      if (!existing) throw new Error('bench: the standup should exist after the first run');
      existing.users = existing.users.filter((user) => user.id === DEMO_MANAGER.id);
      existing.questions = [];
    };
    const written = (c: PrepareCase) => {
      const s = standup();
      const calendar = events();
      return (
        !!s &&
        s.users.some((user) => user.id === c.next.id) &&
        !!s.questions[0]?.text.includes(`<@${c.next.id}>`) &&
        c.eventIds.every((id) => calendar[id]?.status === 'confirmed')
      );
    };

    const finished: WorkflowHandle[] = [];
    const ours = async (c: PrepareCase, label: string): Promise<PrepareSample> => {
      clearLogs();
      const started = Date.now();
      const handle = await env.client.workflow.start('roleWorkflow', {
        workflowId: `bench-prepare/${label}/${randomUUID()}`,
        taskQueue,
        args: [structuredClone(c.input)],
      });
      await waitFor(`the prepare step (${label}) to write the standup and the calendar`, () => written(c), {
        intervalMs: 5,
        timeoutMs: 120_000,
      });
      const seen = Date.now();
      finished.push(handle); // terminated at the end: now its activity completions may still be on their way
      const [slack, geekbot, calendar] = fakes.map((fake) => fake.requests.filter((r) => r.startedAt <= seen));
      const all = [...slack!, ...geekbot!, ...calendar!];
      const ended = Math.max(...all.map((r) => r.endedAt ?? r.startedAt));
      const slackEnded = Math.max(...slack!.map((r) => r.endedAt ?? r.startedAt));
      // The standup and the calendar are read while Slack answers; the writes wait for Slack's last answer.
      const afterSlack = Math.min(
        ...[...geekbot!, ...calendar!].filter((r) => r.method !== 'GET').map((r) => r.startedAt),
      );
      return {
        ms: ended - started,
        calls: { total: all.length, slack: slack!.length, geekbot: geekbot!.length, calendar: calendar!.length },
        depth: criticalDepth(all),
        leadMs: Math.min(...all.map((r) => r.startedAt)) - started,
        handoffMs: afterSlack - slackEnded,
      };
    };

    const old = async (c: PrepareCase): Promise<{ ms: number; calls: number }> => {
      clearLogs();
      const started = performance.now();
      const result = await oldWeeklyRun({ ...c.oldTarget, calendarToken });
      const elapsed = performance.now() - started;
      delete events()[result.insertedEventId];
      const logged = fakes.reduce((sum, fake) => sum + fake.requests.length, 0);
      if (logged !== result.calls)
        throw new Error(`bench: the old run made ${result.calls} calls, fakes logged ${logged}`);
      return { ms: elapsed, calls: result.calls };
    };

    return await worker.runUntil(async () => {
      // Warm-up (not counted): first connections, the service-account key, the workflow code's first run.
      sandbox.setGroup(GROUP, team.slice(0, options.sizes[0]));
      const warm = prepareCase(settings, team.slice(0, options.sizes[0]), sandbox);
      firstRunState();
      await ours(warm, 'warm-up');
      steadyState(warm);
      await old(warm);
      steadyState(warm);
      await ours(warm, 'warm-up');

      const rows: PrepareRow[] = [];
      for (const [index, size] of options.sizes.entries()) {
        const members = team.slice(0, size);
        sandbox.setGroup(GROUP, members);
        const c = prepareCase(settings, members, sandbox);
        const row: PrepareRow = { members: size, old: { calls: 0, ms: [] }, ours: [], ratios: [], first: [] };
        for (let i = 0; i < options.firstRuns; i++) {
          firstRunState();
          row.first.push(await ours(c, `${size}-first`));
        }
        const pairs = options.pairs[index] ?? 3;
        for (let i = 0; i < pairs; i++) {
          steadyState(c);
          const before = await old(c);
          steadyState(c);
          const after = await ours(c, `${size}-steady`);
          row.old.calls = before.calls;
          row.old.ms.push(before.ms);
          row.ours.push(after);
          row.ratios.push(before.ms / after.ms);
        }
        progress(
          `prepare N=${size}: old ${Math.round(median(row.old.ms))} ms (${row.old.calls} calls), ours ` +
            `${Math.round(median(row.ours.map((s) => s.ms)))} ms (${row.ours[0]!.calls.total} calls, depth ` +
            `${row.ours[0]!.depth}); first run ${Math.round(median(row.first.map((s) => s.ms)))} ms`,
        );
        rows.push(row);
      }
      await sleep(500);
      await Promise.all(finished.map((handle) => handle.terminate('benchmark done')));
      return { latencyMs: LATENCY_MS, rows };
    });
  } finally {
    await sandbox.close();
  }
}
