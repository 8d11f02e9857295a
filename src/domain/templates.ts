/**
 * Text templates with `{placeholder}`s: the standup's question and the Slack messages. Checked when the configuration
 * is loaded (an unknown placeholder or an over-long template is a named configuration error) and filled here, so the
 * Geekbot question and the Slack texts read the same values the same way. Pure.
 */
import { DateTime } from 'luxon';
import type { IsoDate } from './types';

/** What the standup's question may say. */
export const STANDUP_PLACEHOLDERS = [
  'incoming',
  'incomingMention',
  'buddy',
  'buddyMention',
  'role',
  'calendarUrl',
] as const;

/**
 * What a Slack message may say: the standup's placeholders plus who rotates off, the turn's dates, and the incoming
 * member's away days over their turn when the absence check found some (issue 17): {awayDays} ("Mon 21 Dec, Tue 22
 * Dec (part of the day)", or "none") and {awayNote} (a sentence saying so, or nothing).
 */
export const MESSAGE_PLACEHOLDERS = [
  ...STANDUP_PLACEHOLDERS,
  'outgoing',
  'outgoingMention',
  'start',
  'end',
  'awayDays',
  'awayNote',
] as const;

/**
 * What the absence check's direct messages may say: a message's placeholders plus the member skipped for their
 * absence ({skipped}, {skippedMention}); {incoming} is who takes the turn instead, {awayDays} the skipped one's days.
 */
export const ABSENCE_PLACEHOLDERS = [...MESSAGE_PLACEHOLDERS, 'skipped', 'skippedMention'] as const;

/**
 * What the acknowledgement's reminder and escalation may say: a message's placeholders plus when the answer was due
 * ({deadline}, in the role's time zone) and the escalation contacts as mentions ({contacts}).
 */
export const ACK_PLACEHOLDERS = [...MESSAGE_PLACEHOLDERS, 'deadline', 'contacts'] as const;

export type StandupPlaceholder = (typeof STANDUP_PLACEHOLDERS)[number];
export type MessagePlaceholder = (typeof MESSAGE_PLACEHOLDERS)[number];

/**
 * The longest template accepted. A Slack section block holds 3,000 characters; a filled template is split over as
 * many sections as it needs, but a text of this size is already far more than a notice should say.
 */
export const MAX_TEMPLATE_LENGTH = 2_000;

/** Shown where a person is missing (no buddy in a one-slot role, nobody rotating off at the start). */
export const NOBODY = 'nobody';

const PLACEHOLDER = /\{(\w+)\}/g;

/** The placeholder names a template uses, in order of first use. */
export function templatePlaceholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((match) => match[1] as string))];
}

/** What is wrong with a template (one sentence), or null when it can be used. */
export function templateProblem(template: string, allowed: readonly string[]): string | null {
  if (template.trim() === '') return 'a template must say something';
  if (template.length > MAX_TEMPLATE_LENGTH) {
    return `${template.length} characters; a template holds at most ${MAX_TEMPLATE_LENGTH}`;
  }
  const unknown = templatePlaceholders(template).filter((name) => !allowed.includes(name));
  if (unknown.length > 0) {
    return (
      `unknown placeholder${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => `{${name}}`).join(', ')}; ` +
      `known: ${allowed.map((name) => `{${name}}`).join(', ')}`
    );
  }
  return null;
}

/** Fills `{placeholder}`s from `values`; a name without a value is left as written. */
export function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(PLACEHOLDER, (whole, key: string) => values[key] ?? whole);
}

/** A person for a template: the display name and a Slack mention (`<@U…>`), or "nobody". */
export function personValues(
  prefix: 'incoming' | 'buddy' | 'outgoing' | 'skipped',
  member: { id: string; name: string } | null,
): Record<string, string> {
  return {
    [prefix]: member ? member.name : NOBODY,
    [`${prefix}Mention`]: member ? `<@${member.id}>` : NOBODY,
  };
}

/** A calendar date as people read it in a message: "Wed 9 Dec". */
export function formatDay(date: IsoDate): string {
  const day = DateTime.fromISO(date, { zone: 'UTC' });
  if (!day.isValid) throw new RangeError(`not a date: ${date}`);
  return day.setLocale('en-GB').toFormat('ccc d LLL');
}

/** The last day of a turn whose `end` is exclusive (as calendar turns are), as people read it. */
export function formatLastDay(endExclusive: IsoDate): string {
  const day = DateTime.fromISO(endExclusive, { zone: 'UTC' });
  if (!day.isValid) throw new RangeError(`not a date: ${endExclusive}`);
  return day.minus({ days: 1 }).setLocale('en-GB').toFormat('ccc d LLL');
}

/** An instant as people read it in a message, in the role's time zone: "Wed 9 Dec 10:00 UTC". */
export function formatInstant(iso: string, timeZone: string): string {
  const at = DateTime.fromISO(iso, { zone: timeZone });
  if (!at.isValid) throw new RangeError(`not an instant: ${iso}`);
  return at.setLocale('en-GB').toFormat('ccc d LLL HH:mm ZZZZ');
}
