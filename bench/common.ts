/**
 * Helpers only the benchmark sections share (the ones tests share too are in test/support): statistics, a bench
 * team, a settings file for a worker process, the machine line, and the processes the benchmark started.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Member } from '../src/domain/types';
import { DEMO_MANAGER } from '../src/sandbox/sandbox';
import type { SettingsOverlay } from '../test/support';

export const ROLE = 'support-triager';
export const GROUP = 'support-triagers';

/** Injected per call in sections 1 and 2. */
export const LATENCY_MS = 50;

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function min(values: readonly number[]): number {
  return Math.min(...values);
}

export function max(values: readonly number[]): number {
  return Math.max(...values);
}

/** "123 ms" below ten seconds, "12.3 s" above. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value < 10_000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
}

export function ratio(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 10 ? `${value.toFixed(0)}x` : `${value.toFixed(2)}x`;
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

/** median (min–max) of a series, formatted with `format`. */
export function spread(values: readonly number[], format: (v: number) => string = ms): string {
  if (values.length === 1) return format(values[0] as number);
  return `${format(median(values))} (${format(min(values))}–${format(max(values))})`;
}

/** `count` members with stable, sortable Slack IDs and readable names. */
export function benchTeam(count: number, prefix = 'U0B'): Member[] {
  return Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(5, '0');
    return { id: `${prefix}${n}`, name: `Member ${n}` };
  });
}

/**
 * A worker process's TEAM_ROLES_CONFIG in `scratch`: the shipped roles with the demo standup manager and `overlay`,
 * the file that gives a worker process the settings `testSettings(overlay)` gives one in this process.
 */
export function writeSettingsFile(scratch: string, overlay: SettingsOverlay = {}, name = 'team-roles.json'): string {
  const file = path.join(scratch, name);
  // Without the acknowledgement watch: its polling would add calls and load to what these sections time.
  const roles = { [ROLE]: { acknowledgement: { enabled: false } }, ...overlay.roles };
  writeFileSync(file, JSON.stringify({ standupManager: DEMO_MANAGER, ...overlay, roles }));
  return file;
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

export interface MachineInfo {
  nproc: number;
  memory: string;
  cpu: string;
  node: string;
  os: string;
  date: string;
}

export function machineInfo(): MachineInfo {
  return {
    nproc: os.availableParallelism(),
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    date: new Date().toISOString(),
  };
}

export function loadAverage(): string {
  return os
    .loadavg()
    .map((load) => load.toFixed(2))
    .join(', ');
}

/** Direct children of this process whose command name is `comm` (e.g. the `temporal` dev server). */
export function childPids(comm: string): number[] {
  const pids: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return pids; // no /proc
  }
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === process.pid && name === comm) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

/** Prints progress to stderr, so stdout stays for the report. */
export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
