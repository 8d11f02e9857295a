/**
 * Absences over a coming turn (issue 17): which of the turn's working days a member is away, whether that skips
 * them, and which member a team absences calendar's event names. Pure: the activities read the calendars and pass
 * what they found (or why they could not) in.
 *
 * - A turn's working days are the Monday-to-Friday dates from its start up to its end (exclusive): the dates are
 *   the role's local calendar dates already, so which are weekdays does not depend on a time zone.
 * - The role's time zone matters for timed absences only: an out-of-office interval is placed on those dates in
 *   the role's zone, and covers the share of each day's working hours (09:00-17:00 local unless given) it overlaps.
 *   An all-day absence covers each of its dates whole (Google all-day events end on the day after, exclusive).
 * - The coverage of a turn is the sum of its working days' covered shares over the number of working days.
 * - The decision: coverage at least `absenceSkipThreshold` (default 0.5) skips the member for that turn; some
 *   coverage below it is reported (the notice says which days they are away); none is clear; and when no source
 *   could be read the answer is unknown, which never skips anyone (the notice goes out as planned with a warning).
 *   A source that fails beside one that was read is reported but does not change what the read one says.
 */
import { DateTime } from 'luxon';
import { addDays } from './schedule';
import type { IsoDate, Member } from './types';

export type Absence =
  /** Dates `start` up to `end` (exclusive), whole days. */
  | { kind: 'allDay'; start: IsoDate; end: IsoDate }
  /** An interval between two instants (ISO-8601 with offset, as Google returns `dateTime`). */
  | { kind: 'timed'; start: string; end: string };

export interface WorkingHours {
  /** HH:MM local. */
  start: string;
  end: string;
}

export const DEFAULT_WORKING_HOURS: WorkingHours = { start: '09:00', end: '17:00' };

/** One working day of the turn with an absence on it: `covered` is the share of its working hours (0 < covered ≤ 1). */
export interface AwayDay {
  date: IsoDate;
  covered: number;
}

export interface TurnCoverage {
  workingDays: IsoDate[];
  /** The working days with some absence, in order. */
  away: AwayDay[];
  /** Σ covered / number of working days, 0..1. */
  fraction: number;
}

/** Monday-to-Friday dates from `start` up to `end` (exclusive). */
export function turnWorkingDays(turn: { start: IsoDate; end: IsoDate }): IsoDate[] {
  const days: IsoDate[] = [];
  for (let date = turn.start; date < turn.end; date = addDays(date, 1)) {
    const weekday = DateTime.fromISO(date, { zone: 'utc' }).weekday;
    if (weekday <= 5) days.push(date);
  }
  return days;
}

function localTime(date: IsoDate, hhmm: string, timeZone: string): number {
  const [hour = 0, minute = 0] = hhmm.split(':').map(Number);
  const day = DateTime.fromISO(date, { zone: 'utc' });
  return DateTime.fromObject(
    { year: day.year, month: day.month, day: day.day, hour, minute },
    { zone: timeZone },
  ).toMillis();
}

/** The length of the union of intervals, each clipped to [from, to). */
function coveredLength(intervals: readonly [number, number][], from: number, to: number): number {
  const clipped = intervals
    .map(([a, b]): [number, number] => [Math.max(a, from), Math.min(b, to)])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let reach = from;
  for (const [a, b] of clipped) {
    const start = Math.max(a, reach);
    if (b > start) total += b - start;
    reach = Math.max(reach, b);
  }
  return total;
}

/** How much of the turn's working days the absences cover, in the role's time zone. */
export function turnCoverage(
  turn: { start: IsoDate; end: IsoDate },
  absences: readonly Absence[],
  timeZone: string,
  hours: WorkingHours = DEFAULT_WORKING_HOURS,
): TurnCoverage {
  const workingDays = turnWorkingDays(turn);
  const timed = absences.flatMap((a): [number, number][] => {
    if (a.kind !== 'timed') return [];
    const start = DateTime.fromISO(a.start, { setZone: true });
    const end = DateTime.fromISO(a.end, { setZone: true });
    return start.isValid && end.isValid && end > start ? [[start.toMillis(), end.toMillis()]] : [];
  });
  const away: AwayDay[] = [];
  for (const date of workingDays) {
    const wholeDay = absences.some((a) => a.kind === 'allDay' && a.start <= date && date < a.end);
    const from = localTime(date, hours.start, timeZone);
    const to = localTime(date, hours.end, timeZone);
    const covered = wholeDay ? 1 : to > from ? coveredLength(timed, from, to) / (to - from) : 0;
    if (covered > 0) away.push({ date, covered: Math.min(1, covered) });
  }
  const fraction = workingDays.length === 0 ? 0 : away.reduce((sum, d) => sum + d.covered, 0) / workingDays.length;
  return { workingDays, away, fraction };
}

/** What reading one source of absences gave: its absences, or why it could not be read. */
export type AbsenceRead =
  { source: string; ok: true; absences: Absence[] } | { source: string; ok: false; reason: string };

export type AbsenceDecision =
  /** Away for at least the threshold: skip them for this turn (they keep their place). */
  | { kind: 'skip'; coverage: TurnCoverage; failures: string[] }
  /** Away some days, below the threshold: the notice says which. */
  | { kind: 'away'; coverage: TurnCoverage; failures: string[] }
  /** Not away on any working day of the turn (as far as the sources that were read say). */
  | { kind: 'clear'; coverage: TurnCoverage; failures: string[] }
  /** No source could be read: never skip; the notice goes out as planned with a warning naming the causes. */
  | { kind: 'unknown'; failures: string[] };

/**
 * The decision for one member's coming turn from what their sources gave. `threshold` is the role's
 * `absenceSkipThreshold` (0 < threshold ≤ 1).
 */
export function absenceDecision(
  turn: { start: IsoDate; end: IsoDate },
  reads: readonly AbsenceRead[],
  options: { threshold: number; timeZone: string; hours?: WorkingHours },
): AbsenceDecision {
  if (!(options.threshold > 0 && options.threshold <= 1)) {
    throw new RangeError(`absenceSkipThreshold must be above 0 and at most 1 (got ${options.threshold})`);
  }
  const failures = reads.flatMap((r) => (r.ok ? [] : [`${r.source}: ${r.reason}`]));
  const read = reads.flatMap((r) => (r.ok ? [r.absences] : []));
  if (read.length === 0) return { kind: 'unknown', failures };
  const coverage = turnCoverage(turn, read.flat(), options.timeZone, options.hours);
  // A tiny tolerance so that, say, 5 of 10 days at a threshold of 0.5 is not lost to float rounding of partial days.
  if (coverage.fraction + 1e-9 >= options.threshold) return { kind: 'skip', coverage, failures };
  return { kind: coverage.away.length > 0 ? 'away' : 'clear', coverage, failures };
}

/** "Mon 15 Jan, Tue 16 Jan (part of the day)": the away days, for the notice. */
export function describeAwayDays(days: readonly AwayDay[]): string {
  return days
    .map((d) => {
      const label = DateTime.fromISO(d.date, { zone: 'utc' }).setLocale('en-GB').toFormat('ccc d LLL');
      return d.covered < 1 ? `${label} (part of the day)` : label;
    })
    .join(', ');
}

/** A member as absences are matched to them: the Slack ID, display name and (when Slack gave it) e-mail. */
export interface AbsenceContact extends Member {
  email?: string | null;
}

/** The parts of a team absences calendar's event that can name a member. */
export interface TeamAbsenceEvent {
  summary?: string | null;
  attendees?: readonly { email?: string | null }[] | null;
}

const fold = (text: string) => text.normalize('NFC').trim().replace(/\s+/g, ' ').toLocaleLowerCase('en-US');

/**
 * The summary's parts: split at " - ", dashes, ":", "|", ",", ";", "/", "+", "&", brackets. "Ann Lee - holiday" has
 * the parts "Ann Lee" and "holiday"; a hyphen inside a word ("Jean-Luc") does not split.
 */
function summaryParts(summary: string): string[] {
  return summary
    .split(/\s+-\s+|[–—:|,;/+&()[\]]/)
    .map(fold)
    .filter((part) => part !== '');
}

/**
 * The members an event of a team absences calendar names: by Slack ID (a word of the summary, or a `<@U…>`
 * mention), by e-mail (a word of the summary or an attendee), or by display name when a whole part of the summary
 * is exactly that name (case and spacing aside). Never by substring: "Ann" is not named by "Annabel" nor by
 * "Ann's leaving do". A display name two members share names neither of them.
 */
export function membersNamedBy(event: TeamAbsenceEvent, members: readonly AbsenceContact[]): AbsenceContact[] {
  const summary = event.summary ?? '';
  const parts = summaryParts(summary);
  // Words: split at spaces, brackets and list punctuation; a mention `<@U123>` gives `U123`; trailing stops go.
  const words = new Set(
    summary
      .split(/[\s<>,;:|()[\]]+/)
      .map((w) =>
        fold(
          w
            .replace(/^@/, '')
            .replace(/\|.*$/, '')
            .replace(/[.!?]+$/, ''),
        ),
      )
      .filter((w) => w !== ''),
  );
  const attendees = new Set((event.attendees ?? []).flatMap((a) => (a.email ? [fold(a.email)] : [])));
  const nameCount = new Map<string, number>();
  for (const m of members) nameCount.set(fold(m.name), (nameCount.get(fold(m.name)) ?? 0) + 1);
  return members.filter((m) => {
    const email = m.email ? fold(m.email) : null;
    if (words.has(fold(m.id))) return true;
    if (email && (words.has(email) || attendees.has(email))) return true;
    const name = fold(m.name);
    return name !== '' && nameCount.get(name) === 1 && parts.includes(name);
  });
}
