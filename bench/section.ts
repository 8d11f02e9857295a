/**
 * What every benchmark section is: how it runs, what it writes in BENCHMARKS.md, the goals it judges, and (for goals
 * not met) the arithmetic of what stands between. bench/sections.ts lists them; bench/report.ts assembles them.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';

export interface SectionContext {
  /** Small sizes, for developing the benchmarks. */
  quick: boolean;
  /** The workflow code, bundled once for the whole run. */
  bundle: WorkflowBundleWithSourceMap;
  /** A temporary folder for files the section writes (settings, the bundle file); removed after the run. */
  scratch: string;
  /** Runs `run` against a fresh in-memory dev server, so one section's workflows never load the next. */
  withDevServer: <T>(run: (env: TestWorkflowEnvironment) => Promise<T>) => Promise<T>;
  /** Starts a Java time-skipping test server (the caller tears it down). */
  startTimeSkippingServer: () => Promise<TestWorkflowEnvironment>;
}

export interface Goal {
  /** The section's number in the report. */
  section: string;
  goal: string;
  measured: string;
  met: boolean;
}

export interface Section<R> {
  /** Its number in the report, and its title (`## 1. …`, from its result). */
  number: string;
  title(result: R): string;
  run(context: SectionContext): Promise<R>;
  /** The section's body in BENCHMARKS.md: tables and how it was measured. */
  render(result: R): string[];
  goals(result: R): Goal[];
  /** For each goal not met, what limits it, from the run's own numbers. */
  limits?(result: R): string[];
}

/** A Markdown table (Prettier aligns it when the report is written). */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export const GIB = 1024 ** 3;
