/**
 * `npm run bench`: every benchmark (issues 8 and 13) in one run, side by side, then BENCHMARKS.md written from the numbers.
 *
 *   npm run bench                         the whole run (about 13 minutes on the 2-core machine); writes BENCHMARKS.md
 *   npm run bench -- --quick              small sizes, for developing the benchmarks; prints the report only
 *   npm run bench -- --only prepare,calendar,teams,start,history,coldStart,acknowledgements   (the names in bench/sections.ts)
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
import { renderReport } from './report';
import type { BenchResults } from './results';
import type { SectionContext } from './section';
import { RUN_ORDER, SECTIONS, type SectionName, type SectionResults } from './sections';

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
  const only = values.only?.split(',').map((s) => s.trim()) ?? [...RUN_ORDER];
  for (const name of only) {
    if (!(name in SECTIONS)) throw new Error(`unknown section ${name}; known: ${RUN_ORDER.join(', ')}`);
  }
  const wanted = (section: SectionName) => only.includes(section);
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

  /** A fresh in-memory dev server for each section that needs one, so one section's workflows never load the next. */
  const withDevServer = async <T>(run: (env: TestWorkflowEnvironment) => Promise<T>): Promise<T> => {
    const env = await startDevServer({ resolve: { sdkDownload: false } });
    try {
      return await run(env);
    } finally {
      await env.teardown();
    }
  };
  const saved: Partial<SectionResults> = results;
  /**
   * Runs one section; on a failure (a server that died under it, on this shared machine) it runs it once more,
   * and a second failure is recorded in the report instead of ending the run.
   */
  const runSection = async <K extends SectionName>(name: K, context: SectionContext): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      progress(`section ${name}: starting (load average ${loadAverage()})`);
      results.sectionLoad[name] = loadAverage().split(',')[0]!;
      const t0 = performance.now();
      try {
        saved[name] = await SECTIONS[name].run(context);
        progress(`section ${name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        return;
      } catch (err) {
        const message = `${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
        progress(`section ${message}`);
        if (attempt < 2) {
          results.notes.push(`Section ${name} failed once and was run again: ${firstLine(err)}`);
          continue;
        }
        results.errors.push(message);
        return;
      }
    }
  };

  try {
    progress('bundling the workflow code once');
    const context: SectionContext = {
      quick,
      bundle: await workflowBundle(),
      scratch,
      withDevServer,
      startTimeSkippingServer: () =>
        startServer('the time-skipping server', () => startTimeSkippingServer({ resolve: { sdkDownload: false } })),
    };
    for (const name of RUN_ORDER) if (wanted(name)) await runSection(name, context);
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

// Exit explicitly once the report is written: after a Worker.create that failed against a server that had gone
// away (a section that failed on a busy machine), the SDK's native worker keeps the event loop alive.
main().then(
  () => process.exit(),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
