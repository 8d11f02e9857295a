/**
 * Instants as people in a role's time zone read them, for texts the Web UI shows (current details, summaries).
 * Pure (luxon with an explicit zone and locale): safe to import from workflow code.
 */
import { DateTime } from 'luxon';

const LOCALE = 'en-GB';

/** `Wed 9 Dec 2026, 10:00 Europe/Berlin`; the ISO text itself when it is not an instant. */
export function zonedInstantText(iso: string, timeZone: string): string {
  const at = DateTime.fromISO(iso, { zone: timeZone, locale: LOCALE });
  return at.isValid ? `${at.toFormat('ccc d LLL yyyy, HH:mm')} ${timeZone}` : iso;
}

/** `Wed 9 Dec`: the day of an instant in the zone, for short texts such as a timer's summary. */
export function zonedDayText(iso: string, timeZone: string): string {
  const at = DateTime.fromISO(iso, { zone: timeZone, locale: LOCALE });
  return at.isValid ? at.toFormat('ccc d LLL') : iso;
}
