/** Every section of `npm run bench`, in the report's order (bench/section.ts says what a section is). */
import { acknowledgementSection, type AckResult } from './acknowledgements';
import { calendarSection, type CalendarResult } from './calendar';
import { coldStartSection, type ColdStartResult } from './cold-start';
import { historySection, type HistoryResult } from './history';
import { manyTeamsSection, type ManyTeamsResult } from './many-teams';
import { prepareSection, type PrepareResult } from './prepare';
import type { Section } from './section';
import { workerStartSection, type WorkerStartResult } from './worker-start';

/** Each section's result, under the name it has in the saved results (`--json`, `--render`) and in `--only`. */
export interface SectionResults {
  prepare: PrepareResult;
  calendar: CalendarResult;
  teams: ManyTeamsResult;
  start: WorkerStartResult;
  history: HistoryResult;
  coldStart: ColdStartResult;
  acknowledgements: AckResult;
}

export type SectionName = keyof SectionResults;

export const SECTIONS: { [K in SectionName]: Section<SectionResults[K]> } = {
  prepare: prepareSection,
  calendar: calendarSection,
  teams: manyTeamsSection,
  start: workerStartSection,
  history: historySection,
  coldStart: coldStartSection,
  acknowledgements: acknowledgementSection,
};

/** The order they run in: worker start before the many teams, so their worker processes never overlap. */
export const RUN_ORDER: readonly SectionName[] = [
  'prepare',
  'calendar',
  'start',
  'teams',
  'history',
  'coldStart',
  'acknowledgements',
];
