/** Turns one run's results into BENCHMARKS.md: the machine, the command, a table per section and the goals. */
import { LATENCY_MS, median, mib, ms, ratio, spread } from './common';
import type { BenchResults } from './run';

interface Goal {
  section: string;
  goal: string;
  measured: string;
  met: boolean;
}

const GIB = 1024 ** 3;

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function renderReport(results: BenchResults): string {
  const goals: Goal[] = [];
  const parts: string[] = [];
  const { machine } = results;

  parts.push(
    '# Benchmarks',
    '',
    '<!-- Written by `npm run bench` (bench/run.ts). Do not edit by hand: run it again. -->',
    '',
    `Measured ${machine.date.slice(0, 16).replace('T', ' ')} UTC with the command below, every comparison side by side in one run.`,
    'These machines are shared and noisy: the **ratios** (A and B alternated, the ratio taken pair by pair, then the',
    'median) are the result; absolute times are context only.',
    '',
    '```sh',
    results.command,
    '```',
    '',
    table(
      ['nproc', 'memory', 'CPU', 'Node.js', 'OS', 'load average (1, 5, 15 min) before / after'],
      [
        [
          String(machine.nproc),
          machine.memory,
          machine.cpu,
          machine.node,
          machine.os,
          `${results.loadBefore} / ${results.loadAfter ?? '?'}`,
        ],
      ],
    ),
    '',
    `Load average (1 min) as each section started: ${
      Object.entries(results.sectionLoad ?? {})
        .map(([name, load]) => `${name} ${load}`)
        .join(', ') || 'n/a'
    }. The machine was shared with other work: at a load above 2 the benchmark's own processes wait for a CPU.`,
    '',
    `The whole run took **${ms(results.totalMs ?? NaN)}** (servers, fakes and all five sections).` +
      (results.quick ? ' **Quick mode**: small sizes, not the figures the goals are judged on.' : ''),
    'Temporal: the CLI dev server v1.5.1 (in memory) for sections 1, 3 and 4, the Java time-skipping test server',
    '1.32.0 for section 5, started and stopped by the run. Outside services: the sandbox fakes of src/sandbox over real',
    `HTTP on 127.0.0.1, with ${LATENCY_MS} ms injected into every call in sections 1 and 2.`,
    '',
  );

  const body: string[] = [];
  const prepare = results.prepare;
  if (prepare) {
    body.push(
      `## 1. Prepare step against the old scripts' call pattern (${prepare.latencyMs} ms per call)`,
      '',
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
    );
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
  }

  const calendar = results.calendar;
  if (calendar) {
    const runRow = (label: string, runs: typeof calendar.ours) => [
      label,
      String(runs[0]!.calls),
      String(Math.max(...runs.map((r) => r.maxInFlight))),
      spread(runs.map((r) => r.ms)),
      ms((1 + Math.ceil(calendar.events / Math.max(...runs.map((r) => r.maxInFlight)))) * calendar.latencyMs),
    ];
    body.push(
      `## 2. A year of calendar events (${calendar.events} inserts, ${calendar.latencyMs} ms per call)`,
      '',
      table(
        ['', 'calls', 'most in flight', 'wall', 'floor'],
        [
          [
            'sequential inserts',
            String(calendar.sequential[0]!.calls),
            '1',
            spread(calendar.sequential.map((r) => r.ms)),
            ms(calendar.events * calendar.latencyMs),
          ],
          runRow(`ours: ensureCalendarTurns, concurrency ${calendar.concurrency} (default)`, calendar.ours),
          ...calendar.sweep.map((s) => runRow(`ours with concurrency ${s.concurrency} (not the default)`, s.runs)),
        ],
      ),
      '',
      `Speed-up, sequential / ours at the default concurrency: **${ratio(median(calendar.ratios))}** ` +
        `(pairs ${ratio(Math.min(...calendar.ratios))}–${ratio(Math.max(...calendar.ratios))}).`,
      '',
      'How: an empty fake calendar each time; the same googleapis client, service-account token and event bodies',
      "(`eventForTurn`) for both. Ours lists the role's events once and then inserts with at most `concurrency`",
      'requests in flight (p-limit); the floor is (1 list + ⌈52 / concurrency⌉ waves) × latency. The rows with',
      'other concurrency bounds are context only: they show what the bound would have to be for the goal.',
      '',
    );
    const value = median(calendar.ratios);
    goals.push({
      section: '2',
      goal: 'a year of calendar events at least 5x faster than sequential inserts',
      measured: ratio(value),
      met: value >= 5,
    });
  }

  const teams = results.teams;
  if (teams) {
    body.push(
      `## 3. ${teams.teams.toLocaleString('en')} teams on one worker`,
      '',
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
      'How: the worker runs as its own process (bench/worker-process.ts: `createRoleWorker` with the bundle built',
      'ahead, settings from TEAM_ROLES_CONFIG, clients from the environment, as `npm start` builds them), its memory',
      'and CPU read from /proc/<pid>/status and /proc/<pid>/stat. One role configuration (the shipped Support',
      'Triager), one workflow per team with its own ID and ten members. Each is started already prepared for the',
      'coming handover (its state records the notice as sent), so what is timed is the handover itself, not the',
      'prepare step (section 1 times that). Then `handoverNow` is signalled to all of them at once (200 signals in',
      "flight), and the time runs from the first signal until the worker has logged every handover ('handed over').",
      `CPU is CPU seconds over wall seconds in that window (2 cores = 2.00; other processes on the machine take ` +
        `their share too, see the load average). Worker warnings logged: ${teams.worker.warnings}. Spot checks ` +
        `(${teams.checked} workflows queried) confirmed each handed over once.`,
      '',
    );
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
  }

  const start = results.start;
  if (start) {
    const startRow = (label: string, runs: typeof start.prebuilt) => [
      label,
      spread(runs.map((r) => r.ms)),
      spread(runs.map((r) => r.processMs)),
      spread(
        runs.map((r) => r.peakRssBytes),
        mib,
      ),
    ];
    body.push(
      '## 4. Worker start',
      '',
      table(
        ['', 'spawn → polling', 'process start → polling (inside)', 'peak RSS at polling'],
        [
          startRow('bundle built ahead (`workflowBundle: { codePath }`)', start.prebuilt),
          startRow('bundled at start (`workflowsPath`, as the worker does when run from source)', start.bundling),
        ],
      ),
      '',
      `Bundling at start / bundle built ahead: **${ratio(median(start.ratios))}** ` +
        `(pairs ${ratio(Math.min(...start.ratios))}–${ratio(Math.max(...start.ratios))}).`,
      '',
      'How: bench/worker-process.ts spawned with `node -r tsx/cjs` (both variants load the TypeScript the same way),',
      'connected to the dev server; "polling" is the moment `worker.run()` has put the worker in RUNNING, when it',
      'prints a line and shuts down. The two variants alternate; the ratio is taken pair by pair. No goal was set.',
      'Since this figure, `npm run build` writes the bundle ahead (lib/workflow-bundle.js) and `npm start` loads it.',
      '',
    );
  }

  const history = results.history;
  if (history) {
    const kib = (value: number) => `${(value / 1024).toFixed(0)} KiB`;
    const bytesOf = new Map(history.bytesByType.map((t) => [t.type, t.bytes]));
    body.push(
      `## 5. History cost of a simulated year (${history.weeks} weekly handovers)`,
      '',
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
    );
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
  }

  parts.push(
    '## Goals',
    '',
    table(
      ['section', 'goal', 'measured', 'met'],
      goals.map((g) => [g.section, g.goal, g.measured, g.met ? 'yes' : '**no**']),
    ),
    '',
    ...body,
  );
  const limits = limitsOf(results);
  if (limits.length) {
    parts.push('## What stands between the measurements and the goals not met', '', ...limits.map((l) => `- ${l}`), '');
  }
  if (results.notes.length) parts.push('## Notes', '', ...results.notes.map((note) => `- ${note}`), '');
  if (results.errors.length) {
    parts.push('## Errors', '', 'These sections failed in this run:', '', '```', ...results.errors, '```', '');
  }
  return `${parts.join('\n')}\n`;
}

/** For each goal not met, the arithmetic of what limits it, from this run's own numbers. */
function limitsOf(results: BenchResults): string[] {
  const lines: string[] = [];
  const prepare = results.prepare;
  if (prepare) {
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
  }
  const calendar = results.calendar;
  if (calendar && median(calendar.ratios) < 5) {
    const bound = (c: number) => calendar.events / (1 + Math.ceil(calendar.events / c));
    const sequential = median(calendar.sequential.map((r) => r.ms));
    const sweep = calendar.sweep
      .map((s) => `concurrency ${s.concurrency}: ${ratio(sequential / median(s.runs.map((r) => r.ms)))}`)
      .join(', ');
    lines.push(
      `Calendar: with ${calendar.concurrency} in flight even a run at its floor is only ` +
        `${ratio(bound(calendar.concurrency))} faster than sequential inserts (52 calls against 1 list + ` +
        `${Math.ceil(calendar.events / calendar.concurrency)} waves), so 5x is out of reach at this bound whatever ` +
        `the overhead; the floor reaches 5x from concurrency ${minConcurrency(calendar.events, 5)}. Measured ` +
        `against this run's sequential median: ${sweep || 'no other bound tried'}.`,
    );
  }
  const history = results.history;
  if (history && median(history.replayMs) >= 300) {
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
  }
  return lines;
}

/** The smallest concurrency whose floor is `target` times faster than sequential calls. */
function minConcurrency(events: number, target: number): number {
  for (let c = 1; c <= events; c++) if (events / (1 + Math.ceil(events / c)) >= target) return c;
  return events;
}
