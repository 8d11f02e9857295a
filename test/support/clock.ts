/**
 * The tests' clock. `TEAM_ROLES_TEST_NOW=<ISO-8601 instant>` runs the tests as if the test process had started at
 * that instant: every rotation a test starts gets its clock shifted by the same amount (`testClockShiftMs`, through
 * src/domain/clock.ts), and the tests read "now" from `rotationNow()`. `npm run test:any-day` uses it to run the
 * date-sensitive tests on each day of the week and at several hours. Unset (always, outside that script), the shift
 * is 0 and everything runs on the real time. Only test code reads the variable: the worker never does.
 *
 * `roleTiming` places a role's handover relative to now, so that a test running in real time gets "prepare not yet
 * due" or "prepare due" on purpose rather than by the day of the week.
 */
import { DateTime, type WeekdayNumbers } from 'luxon';
import type { RoleConfigInput, Weekday } from '../../src/domain/config';

export const TEST_NOW_VARIABLE = 'TEAM_ROLES_TEST_NOW';

function shiftFrom(text: string | undefined, realNowMs: number): number {
  if (text === undefined || text.trim() === '') return 0;
  const at = Date.parse(text);
  if (!/^\d{4}-\d\d-\d\dT/.test(text) || Number.isNaN(at)) {
    throw new Error(`${TEST_NOW_VARIABLE}=${text}: expected an ISO-8601 instant such as 2026-12-02T09:30:00Z`);
  }
  return at - realNowMs;
}

/** How far the rotations' clock runs from the real time in this test process (0 unless TEAM_ROLES_TEST_NOW is set). */
export const TEST_CLOCK_SHIFT_MS = shiftFrom(process.env[TEST_NOW_VARIABLE], Date.now());

/** The time as the rotations see it: the real time (or a time-skipping server's), shifted as above. */
export function rotationNow(realNowMs = Date.now()): number {
  return realNowMs + TEST_CLOCK_SHIFT_MS;
}

const WEEKDAYS: readonly Weekday[] = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** What a test needs at its start: the notice for the coming handover still ahead, or already due. */
export type PreparePhase = 'prepare not yet due' | 'prepare due';

/** The part of a weekly role's configuration that places its handover. */
export type RoleTiming = Required<
  Pick<Extract<RoleConfigInput, { cadence: 'weekly' }>, 'handoverWeekday' | 'handoverTime' | 'prepareLeadHours'>
>;

/**
 * A weekly handover three days from now (UTC) at 10:00, that is between 2 days 14 hours and 3 days 10 hours ahead;
 * its notice 24 hours before it (at least 1 day 14 hours ahead: not due during a test), or 96 hours before it
 * (already due when the rotation starts). Nothing is due at the hour a test happens to run.
 */
export function roleTiming(phase: PreparePhase, nowMs = rotationNow()): RoleTiming {
  const day = DateTime.fromMillis(nowMs, { zone: 'UTC' }).plus({ days: 3 });
  return {
    handoverWeekday: weekdayOf(day.toMillis()),
    handoverTime: '10:00',
    prepareLeadHours: phase === 'prepare due' ? 96 : 24,
  };
}

/** The weekday (UTC) of an instant, as the configuration names it. */
export function weekdayOf(instant: string | number): Weekday {
  const at = typeof instant === 'number' ? DateTime.fromMillis(instant) : DateTime.fromISO(instant);
  return WEEKDAYS[at.setZone('UTC').weekday - 1]!;
}

/**
 * Milliseconds from `nowMs` to the next `weekday` at `time` UTC (strictly later): for a time-skipping server to
 * move to a chosen point of the week before a test starts its rotation there.
 */
export function untilNext(weekday: Weekday, time: string, nowMs: number): number {
  const [hour = 0, minute = 0] = time.split(':').map(Number);
  const now = DateTime.fromMillis(nowMs, { zone: 'UTC' });
  let at = now.set({
    weekday: (WEEKDAYS.indexOf(weekday) + 1) as WeekdayNumbers,
    hour,
    minute,
    second: 0,
    millisecond: 0,
  });
  while (at.toMillis() <= nowMs) at = at.plus({ weeks: 1 });
  return at.toMillis() - nowMs;
}
