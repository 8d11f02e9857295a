/**
 * `npm run bench`: every benchmark of issue 8 in one run, side by side, then BENCHMARKS.md written from the numbers.
 *
 *   npm run bench                         the whole run (about 6 minutes on the 2-core machine); writes BENCHMARKS.md
 *   npm run bench -- --quick              small sizes, for developing the benchmarks; prints the report only
 *   npm run bench -- --only prepare,calendar,teams,start,history
 *   npm run bench -- --out FILE           write the report to FILE instead
 *   npm run bench -- --json FILE          save the raw results there (a full run saves them in the temporary folder)
 *   npm run bench -- --render FILE        only render a report from saved results (no measuring)
 *
 * Starts and stops its own Temporal dev server, time-skipping server, fakes and worker processes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { format, resolveConfig } from 'prettier';
import { PROJECT_ROOT } from '../src/servers/binaries';
import { startDevServer, startTimeSkippingServer } from '../src/servers/environments';
import { startServer, workflowBundle } from '../test/support';
import { loadAverage, machineInfo, progress } from './common';
import { runCalendarSection, type CalendarResult } from './calendar';
import { runHistorySection, type HistoryResult } from './history';
import { runManyTeamsSection, type ManyTeamsResult } from './many-teams';
import { runPrepareSection, type PrepareResult } from './prepare';
import { renderReport } from './report';
import { runWorkerStartSection, type WorkerStartResult } from './worker-start';

const SECTIONS = ['prepare', 'calendar', 'teams', 'start', 'history'] as const;
type Section = (typeof SECTIONS)[number];

export interface BenchResults {
  command: string;
  quick: boolean;
  machine: ReturnType<typeof machineInfo>;
  loadBefore: string;
  loadAfter?: string;
  /** 1-minute load average as each section started. */
  sectionLoad: Record<string, string>;
  totalMs?: number;
  prepare?: PrepareResult;
  calendar?: CalendarResult;
  teams?: ManyTeamsResult;
  start?: WorkerStartResult;
  history?: HistoryResult;
  /** Observations made while running, for the report. */
  notes: string[];
  errors: string[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'string' },
      render: { type: 'string' },
    },
  });
  if (values.render) {
    const saved = JSON.parse(readFileSync(values.render, 'utf8')) as BenchResults;
    const report = await formatted(renderReport(saved));
    if (values.out) writeFileSync(values.out, report);
    else process.stdout.write(report);
    return;
  }
  const only = values.only?.split(',').map((s) => s.trim()) ?? [...SECTIONS];
  for (const name of only) {
    if (!SECTIONS.includes(name as Section)) throw new Error(`unknown section ${name}; known: ${SECTIONS.join(', ')}`);
  }
  const wanted = (section: Section) => only.includes(section);
  const quick = values.quick;
  const full = !quick && values.only === undefined;
  const out = values.out ?? (full ? path.join(PROJECT_ROOT, 'BENCHMARKS.md') : undefined);

  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const started = performance.now();
  const results: BenchResults = {
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    quick,
    machine: machineInfo(),
    loadBefore: loadAverage(),
    sectionLoad: {},
    notes: [],
    errors: [],
  };
  const scratch = mkdtempSync(path.join(tmpdir(), 'team-roles-bench-'));

  /**
   * Runs one section; on a failure (a server that died under it, on this shared machine) it runs it once more,
   * and a second failure is recorded in the report instead of ending the run.
   */
  const section = async <T>(name: Section, run: () => Promise<T>): Promise<T | undefined> => {
    if (!wanted(name)) return undefined;
    for (let attempt = 1; ; attempt++) {
      progress(`section ${name}: starting (load average ${loadAverage()})`);
      results.sectionLoad[name] = loadAverage().split(',')[0]!;
      const t0 = performance.now();
      try {
        const result = await run();
        progress(`section ${name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        return result;
      } catch (err) {
        const message = `${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
        progress(`section ${message}`);
        if (attempt < 2) {
          results.notes.push(`Section ${name} failed once and was run again: ${firstLine(err)}`);
          continue;
        }
        results.errors.push(message);
        return undefined;
      }
    }
  };
  /** A fresh in-memory dev server for each section that needs one, so one section's workflows never load the next. */
  const withDevServer = async <T>(run: (env: TestWorkflowEnvironment) => Promise<T>): Promise<T> => {
    const env = await startDevServer({ resolve: { sdkDownload: false } });
    try {
      return await run(env);
    } finally {
      await env.teardown();
    }
  };

  try {
    progress('bundling the workflow code once');
    const bundle = await workflowBundle();
    results.prepare = await section('prepare', () =>
      withDevServer((dev) =>
        runPrepareSection(dev, bundle, quick ? { sizes: [7, 50], pairs: [2, 1], firstRuns: 1 } : FULL_PREPARE),
      ),
    );
    results.calendar = await section('calendar', () =>
      runCalendarSection(quick ? { pairs: 2, sweep: [5], sweepRuns: 1 } : { pairs: 5, sweep: [5, 8], sweepRuns: 3 }),
    );
    results.start = await section('start', () =>
      withDevServer((dev) => runWorkerStartSection(dev, scratch, { pairs: quick ? 2 : 5 })),
    );
    results.teams = await section('teams', () =>
      withDevServer((dev) => runManyTeamsSection(dev, scratch, { teams: quick ? 100 : 1000, membersPerTeam: 10 })),
    );
    results.history = await section('history', () =>
      runHistorySection(bundle, { weeks: 52, replays: quick ? 3 : 7 }, () =>
        startServer('the time-skipping server', () => startTimeSkippingServer({ resolve: { sdkDownload: false } })),
      ),
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  try {
    historyToJSON(temporal.api.history.v1.History.create({ events: [] }));
  } catch (err) {
    results.notes.push(
      `\`historyToJSON\`/\`historyFromJSON\` (@temporalio/common) fail in this install: "${(err as Error).message}". ` +
        'node_modules holds several protobufjs copies (@temporalio/common, /proto and /worker each have their own 8.x, ' +
        'grpc-js has 7.x at the top), and the JSON conversion checks its types against another copy. A replay test ' +
        'that loads saved JSON histories (test/histories/) would hit this; `npm dedupe` or an `overrides` entry for ' +
        'protobufjs should give one copy.',
    );
  }
  results.totalMs = performance.now() - started;
  results.loadAfter = loadAverage();
  // The raw results too (for --render): where --json says, or for a full run in the temporary folder.
  const json =
    values.json ??
    (full ? path.join(tmpdir(), `team-roles-bench-${results.machine.date.replace(/[:.]/g, '-')}.json`) : undefined);
  if (json) {
    writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
    progress(`raw results: ${json}`);
  }
  const report = await formatted(renderReport(results));
  if (out) {
    writeFileSync(out, report);
    progress(`wrote ${path.relative(process.cwd(), out) || out}`);
  } else {
    process.stdout.write(report);
  }
  progress(`total ${(results.totalMs / 1000).toFixed(0)} s`);
  if (results.errors.length) process.exitCode = 1;
}

/** The report as the project's Prettier settings print Markdown (aligned tables), so it reads well as plain text. */
async function formatted(markdown: string): Promise<string> {
  const options = await resolveConfig(path.join(PROJECT_ROOT, 'BENCHMARKS.md'));
  return format(markdown, { ...options, parser: 'markdown' });
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
}

const FULL_PREPARE = { sizes: [7, 50, 200], pairs: [9, 5, 3], firstRuns: 3 };

// Exit explicitly once the report is written: after a Worker.create that failed against a server that had gone
// away (a section that failed on a busy machine), the SDK's native worker keeps the event loop alive.
main().then(
  () => process.exit(),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
