/** One run's results, as bench/run.ts collects them and bench/report.ts (or `--render`) turns them into the report. */
import type { machineInfo } from './common';
import type { SectionResults } from './sections';

export type BenchResults = {
  command: string;
  quick: boolean;
  machine: ReturnType<typeof machineInfo>;
  loadBefore: string;
  loadAfter?: string;
  /** 1-minute load average as each section started. */
  sectionLoad: Record<string, string>;
  totalMs?: number;
  /** Observations made while running, for the report. */
  notes: string[];
  errors: string[];
} & Partial<SectionResults>;
