/** A process's memory and CPU from /proc (Linux): the worker processes' start-up line and the benchmarks read it. */
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** A process's memory (VmRSS now, VmHWM its peak) and CPU time (user + system) from /proc. */
export interface ProcessSample {
  rssBytes: number;
  peakRssBytes: number;
  cpuMs: number;
  /** Time its threads were runnable but waiting for a CPU (schedstat), summed over the live threads. */
  runQueueMs: number;
}

export function sampleProcess(pid: number): ProcessSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    // Fields after the command name (which may hold spaces), counted from field 3: utime is 14, stime 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    let waitNs = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        waitNs += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[1] ?? 0);
      } catch {
        // thread gone
      }
    }
    return {
      rssBytes: kib('VmRSS'),
      peakRssBytes: kib('VmHWM'),
      cpuMs: (ticks * 1000) / CLOCK_TICKS,
      runQueueMs: waitNs / 1e6,
    };
  } catch {
    return undefined;
  }
}
