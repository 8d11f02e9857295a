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
import { sleep, testSettings, withoutAcknowledgements, waitFor } from '../test/support';
import { benchTeam, GROUP, LATENCY_MS, median, ms, progress, ratio, ROLE, spread } from './common';
import { table, type Goal, type Section } from './section';
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
    const settings = withoutAcknowledgements(
      testSettings({ roles: { [ROLE]: { prepareLeadHours: PREPARE_LEAD_HOURS } } }),
    );
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

/** Section 1 of BENCHMARKS.md. */
export const prepareSection: Section<PrepareResult> = {
  number: '1',
  title: (prepare) => `Prepare step against the old scripts' call pattern (${prepare.latencyMs} ms per call)`,
  run: ({ quick, bundle, withDevServer }) =>
    withDevServer((dev) =>
      runPrepareSection(dev, bundle, quick ? { sizes: [7, 50], pairs: [2, 1], firstRuns: 1 } : FULL_PREPARE),
    ),
  render(prepare) {
    return [
      table(
        ['members', 'old: calls', 'old: wall', 'ours: calls (Slack + Geekbot + Calendar)', 'ours: wall', 'speed-up'],
        prepare.rows.map((row) => {
          const calls = row.ours[0]!.calls;
          return [
            String(row.members),
            String(row.old.calls),
            spread(row.old.ms),
            `${calls.total} (${calls.slack} + ${calls.geekbot} + ${calls.calendar})`,
            spread(row.ours.map((s) => s.ms)),
            `**${ratio(median(row.ratios))}** (${ratio(Math.min(...row.ratios))}–${ratio(Math.max(...row.ratios))})`,
          ];
        }),
      ),
      '',
      'Ours against its own floor, and where the time above the floor goes:',
      '',
      table(
        [
          'members',
          'round trips on the critical path',
          'floor',
          'ours',
          'ours / floor',
          'start call → first outside call',
          'Slack answered → first Geekbot/Calendar write',
          'first run (empty calendar): calls, wall, round trips',
        ],
        prepare.rows.map((row) => {
          const oursMs = row.ours.map((s) => s.ms);
          const depth = median(row.ours.map((s) => s.depth));
          const floor = depth * prepare.latencyMs;
          const first = row.first[0];
          return [
            String(row.members),
            String(depth),
            ms(floor),
            ms(median(oursMs)),
            `**${ratio(median(oursMs) / floor)}**`,
            spread(row.ours.map((s) => s.leadMs)),
            spread(row.ours.map((s) => s.handoffMs)),
            first
              ? `${first.calls.total}, ${spread(row.first.map((s) => s.ms))}, ${median(row.first.map((s) => s.depth))}`
              : 'n/a',
          ];
        }),
      ),
      '',
      'How: one fake Slack workspace of 200 bench members plus the standup manager, the user group set to the first',
      'N of them. **Old**: bench/old-weekly-run.ts replays the old weekly run call for call with `fetch`, one call',
      'after another: Slack `usergroups.list`, `usergroups.users.list` (the fake Slack has it), one `users.info`',
      'per member and a Calendar list, twice (role update, calendar job), then Geekbot list and patch and one Calendar',
      'insert: 2N + 9 calls. **Ours**: a role workflow started on the dev server with its state (as an import or',
      'continue-as-new passes it), its handover two to three weeks ahead and its prepare lead set to 27 days, so its',
      'prepare step is due at once (and nothing else happens while the benchmark runs). Its prepare step is one',
      'activity (`prepareHandover`) that reads the Slack group, the standup and the calendar at once, then writes;',
      'timed from the start call until the fake Geekbot holds the new standup and the fake calendar every turn (the',
      "last fake answer). Calls are counted from the fakes' request logs. Steady state (like the old run's one insert):",
      "the calendar already holds the year but the newest turn and the standup names last week's member; the first",
      'run (empty calendar: 52 inserts, the standup created) is the last column. **Round trips on the critical',
      "path**: the longest chain in the fakes' logs of calls each starting after the previous one answered; the floor",
      'is that times the injected latency, so ours / floor is what Temporal and the worker add on top. Pairs: old then',
      'ours, alternated; the speed-up is the median of the pair ratios (min–max in brackets).',
      '',
    ];
  },
  goals(prepare) {
    const goals: Goal[] = [];
    const row = (n: number) => prepare.rows.find((r) => r.members === n);
    for (const [n, target] of [
      [7, 5],
      [50, 20],
    ] as const) {
      const r = row(n);
      if (!r) continue;
      const value = median(r.ratios);
      goals.push({
        section: '1',
        goal: `prepare at N=${n} at least ${target}x faster than the old call pattern`,
        measured: ratio(value),
        met: value >= target,
      });
    }
    for (const r of prepare.rows) {
      const floor = median(r.ours.map((s) => s.depth)) * prepare.latencyMs;
      const value = median(r.ours.map((s) => s.ms)) / floor;
      goals.push({
        section: '1',
        goal: `prepare at N=${r.members} within 1.5x of its critical-path floor`,
        measured: `${value.toFixed(3)}x (${ms(median(r.ours.map((s) => s.ms)))} / ${ms(floor)})`,
        met: value <= 1.5,
      });
    }
    return goals;
  },
  limits(prepare) {
    const lines: string[] = [];
    for (const row of prepare.rows) {
      const old = median(row.old.ms);
      const ours = median(row.ours.map((s) => s.ms));
      const depth = median(row.ours.map((s) => s.depth));
      const floor = depth * prepare.latencyMs;
      const above = ours - floor;
      const lead = median(row.ours.map((s) => s.leadMs));
      const handoff = median(row.ours.map((s) => s.handoffMs));
      const target = row.members === 7 ? 5 : row.members === 50 ? 20 : undefined;
      const parts: string[] = [];
      if (target !== undefined && median(row.ratios) < target) {
        parts.push(
          `the ${target}x goal needs ours ≤ ${ms(old / target)}; at its floor (${depth} round trips, ${ms(floor)}) ours ` +
            `would be ${ratio(old / floor)} faster, so it leaves ${ms(old / target - floor)} for everything that is ` +
            'not an outside call',
        );
      }
      if (ours > 1.5 * floor) parts.push(`the 1.5x-of-floor goal leaves ${ms(0.5 * floor)} for it`);
      if (parts.length) {
        lines.push(
          `Prepare, N=${row.members}: ${parts.join('; ')}. Ours spent ${ms(above)} above the floor, of which ` +
            `${ms(lead)} from the start call to the first outside call (workflow start, first workflow task, the ` +
            `settings local activity, scheduling and dispatching \`prepareHandover\`) and ${ms(handoff)} between ` +
            "Slack's last answer and the first Geekbot/Calendar write (inside the activity: naming the member, " +
            'building the requests). Fewer outside round trips on the critical path, or less Temporal overhead ' +
            'before the first call, are the levers.',
        );
      }
    }
    return lines;
  },
};

const FULL_PREPARE = { sizes: [7, 50, 200], pairs: [9, 5, 3], firstRuns: 3 };
