/**
 * Turns one run's results into BENCHMARKS.md: the machine and the command, every section's goals in one table, then
 * each section's own part (bench/sections.ts), what limits the goals not met, and the run's notes and errors.
 */
import { LATENCY_MS, ms } from './common';
import type { BenchResults } from './results';
import { table, type Goal } from './section';
import { SECTIONS, type SectionName, type SectionResults } from './sections';

interface SectionReport {
  body: string[];
  goals: Goal[];
  limits: string[];
}

function reportOf<K extends SectionName>(name: K, results: Partial<SectionResults>): SectionReport | undefined {
  const section = SECTIONS[name];
  const result = results[name];
  if (result === undefined) return undefined;
  return {
    body: [`## ${section.number}. ${section.title(result)}`, '', ...section.render(result)],
    goals: section.goals(result),
    limits: section.limits?.(result) ?? [],
  };
}

export function renderReport(results: BenchResults): string {
  const reports = (Object.keys(SECTIONS) as SectionName[])
    .map((name) => reportOf(name, results))
    .filter((report): report is SectionReport => report !== undefined);
  const goals = reports.flatMap((report) => report.goals);
  const limits = reports.flatMap((report) => report.limits);
  const parts = [
    ...header(results),
    '## Goals',
    '',
    table(
      ['section', 'goal', 'measured', 'met'],
      goals.map((g) => [g.section, g.goal, g.measured, g.met ? 'yes' : '**no**']),
    ),
    '',
    ...reports.flatMap((report) => report.body),
  ];
  if (limits.length) {
    parts.push('## What stands between the measurements and the goals not met', '', ...limits.map((l) => `- ${l}`), '');
  }
  if (results.notes.length) parts.push('## Notes', '', ...results.notes.map((note) => `- ${note}`), '');
  if (results.errors.length) {
    parts.push('## Errors', '', 'These sections failed in this run:', '', '```', ...results.errors, '```', '');
  }
  return `${parts.join('\n')}\n`;
}

function header(results: BenchResults): string[] {
  const { machine } = results;
  return [
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
    `The whole run took **${ms(results.totalMs ?? NaN)}** (servers, fakes and every section).` +
      (results.quick ? ' **Quick mode**: small sizes, not the figures the goals are judged on.' : ''),
    'Temporal: the CLI dev server v1.5.1 (in memory) for sections 1, 3, 4 and 6, the Java time-skipping test server',
    '1.32.0 for section 5, started and stopped by the run. Outside services: the sandbox fakes of src/sandbox over real',
    `HTTP on 127.0.0.1, with ${LATENCY_MS} ms injected into every call in sections 1 and 2.`,
    '',
  ];
}
