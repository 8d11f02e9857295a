/**
 * Handover dates and instants. Dates are local calendar dates (`YYYY-MM-DD`) in the role's time zone; instants
 * are the handover time on that date in that zone, so a 10:00 handover stays at 10:00 local across DST changes.
 * Pure and deterministic (luxon with explicit zones; no clock): safe to import from workflow code.
 */
import { DateTime } from 'luxon';
import type { RoleConfig, Weekday } from './config';
import { RotationError } from './errors';
import type { IsoDate } from './types';

type WeeklyRole = Extract<RoleConfig, { cadence: 'weekly' }>;
type MonthlyRole = Extract<RoleConfig, { cadence: 'monthly' }>;

/** The part of a role's configuration the schedule needs; every `RoleConfig` is one. */
export type RoleSchedule =
  | Pick<WeeklyRole, 'cadence' | 'handoverWeekday' | 'handoverTime' | 'slots' | 'prepareLeadHours'>
  | Pick<MonthlyRole, 'cadence' | 'handoverDayOfMonth' | 'handoverTime' | 'slots' | 'prepareLeadHours'>;

/** Luxon's weekday numbers (Monday = 1). */
const WEEKDAY_NUMBER: Readonly<Record<Weekday, number>> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function notADate(text: string): RotationError {
  return new RotationError('invalid-date', `"${text}" is not a date (expected YYYY-MM-DD, e.g. 2023-03-29).`);
}

/** Calendar arithmetic happens in UTC so that dates never shift with a zone's DST. */
function calendarDate(date: IsoDate): DateTime<true> {
  const match = ISO_DATE.exec(date);
  const parsed = match ? DateTime.utc(Number(match[1]), Number(match[2]), Number(match[3])) : null;
  if (!parsed?.isValid) throw notADate(date);
  return parsed;
}

function isoDate(value: DateTime<true>): IsoDate {
  return value.toISODate();
}

/** Validates a real calendar date written `YYYY-MM-DD` (so 2023-02-30 is refused). */
export function parseIsoDate(text: string): IsoDate {
  return isoDate(calendarDate(text));
}

export function addDays(date: IsoDate, days: number): IsoDate {
  return isoDate(calendarDate(date).plus({ days }));
}

/** The idempotency key of one handover: a handover with the key already applied is not applied again. */
export function handoverKey(role: string, date: IsoDate): string {
  return `${role}@${date}`;
}

/**
 * The first handover date on or after `from`. Weekly: the handover weekday on/after `from` (a Wednesday stays).
 * Monthly: the handover day of this month if `from` is not past it, else that day of the next month (with day 1,
 * any date but the 1st moves to the 1st of the next month).
 */
export function alignToHandoverDate(role: RoleSchedule, from: IsoDate): IsoDate {
  const date = calendarDate(from);
  switch (role.cadence) {
    case 'weekly':
      return isoDate(date.plus({ days: (WEEKDAY_NUMBER[role.handoverWeekday] - date.weekday + 7) % 7 }));
    case 'monthly': {
      const sameMonth = date.set({ day: role.handoverDayOfMonth });
      return isoDate(date.day <= role.handoverDayOfMonth ? sameMonth : sameMonth.plus({ months: 1 }));
    }
  }
}

/** The handover date after `date`: a week later (weekly) or a month later (monthly). */
export function followingHandoverDate(role: RoleSchedule, date: IsoDate): IsoDate {
  const start = calendarDate(date);
  return isoDate(role.cadence === 'weekly' ? start.plus({ days: 7 }) : start.plus({ months: 1 }));
}

/**
 * Exclusive end of a turn that starts on `start`. Each member serves `slots` cadences: with two slots a new turn
 * starts every week (or month) and each lasts two, so two members overlap.
 */
export function turnEnd(role: RoleSchedule, start: IsoDate): IsoDate {
  const date = calendarDate(start);
  return isoDate(role.cadence === 'weekly' ? date.plus({ days: 7 * role.slots }) : date.plus({ months: role.slots }));
}

function zoned(instant: Date, timeZone: string): DateTime<true> {
  const value = DateTime.fromMillis(instant.getTime(), { zone: timeZone });
  if (!value.isValid) throw badZoneOrInstant(timeZone, value.invalidExplanation ?? value.invalidReason);
  return value;
}

function badZoneOrInstant(timeZone: string, reason: string | null): RotationError {
  return new RotationError(
    'invalid-request',
    `Cannot compute a handover time in "${timeZone}": ${reason ?? 'invalid'}.`,
  );
}

/**
 * The handover instant on `date`: `handoverTime` local in `timeZone`. A time that does not exist that day (inside
 * a spring-forward gap) moves forward by the gap, as luxon does.
 */
export function handoverInstant(role: RoleSchedule, timeZone: string, date: IsoDate): Date {
  const day = calendarDate(date);
  const [hour = 0, minute = 0] = role.handoverTime.split(':').map(Number);
  const local = DateTime.fromObject(
    { year: day.year, month: day.month, day: day.day, hour, minute },
    { zone: timeZone },
  );
  if (!local.isValid) throw badZoneOrInstant(timeZone, local.invalidExplanation ?? local.invalidReason);
  return new Date(local.toMillis());
}

/** The local date, in `timeZone`, of an instant (normally a handover instant). */
export function handoverDateOf(_role: RoleSchedule, timeZone: string, instant: Date): IsoDate {
  return isoDate(zoned(instant, timeZone));
}

/** The first handover instant strictly after `after`. */
export function nextHandoverAfter(role: RoleSchedule, timeZone: string, after: Date): Date {
  let date = alignToHandoverDate(role, isoDate(zoned(after, timeZone)));
  let instant = handoverInstant(role, timeZone, date);
  while (instant.getTime() <= after.getTime()) {
    date = followingHandoverDate(role, date);
    instant = handoverInstant(role, timeZone, date);
  }
  return instant;
}

/** When the notice for the handover at `handoverAt` goes out: `prepareLeadHours` (elapsed hours) earlier. */
export function prepareInstant(role: RoleSchedule, handoverAt: Date): Date {
  return new Date(handoverAt.getTime() - role.prepareLeadHours * 3_600_000);
}
