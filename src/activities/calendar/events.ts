/**
 * One all-day event per turn. Event IDs are derived from role + start date, so creating twice is harmless (Google
 * answers 409) and drift (other member, other dates, a deleted event) is repaired in place.
 */
import type { calendar_v3 } from '@googleapis/calendar';
import type { RoleConfig } from '../../domain/config';
import type { Turn } from '../../domain/types';

/** One of the role's calendar events, as the workflow sees it. */
export interface RoleEvent {
  id: string;
  summary: string;
  /** All-day dates, `YYYY-MM-DD`; `end` exclusive. */
  start: string;
  end: string;
  /** From the event's private properties; null for legacy events (made by the old scripts). */
  memberId: string | null;
  /** The name after "<title>: " in the summary. */
  memberName: string | null;
  /** Recognised by its summary only (no `teamRole` property), e.g. an old "Support Steward: …" event. */
  legacy: boolean;
  status: string;
}

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

/**
 * The event ID for a role's turn starting on `start`: base32hex (a–v, 0–9) of "team-roles/<role>/<start>", so it is
 * stable, readable back, and within Google's 5–1024 character rule.
 */
export function eventIdFor(role: string, start: string): string {
  const bytes = Buffer.from(`team-roles/${role}/${start}`, 'utf8');
  let bits = 0;
  let value = 0;
  let id = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      id += BASE32HEX[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) id += BASE32HEX[(value << (5 - bits)) & 31];
  return id;
}

/** What the event for a turn must say. */
export function eventForTurn(roleName: string, role: RoleConfig, turn: Turn): calendar_v3.Schema$Event {
  return {
    id: eventIdFor(roleName, turn.start),
    summary: `${role.title}: ${turn.member.name}`,
    start: { date: turn.start },
    end: { date: turn.end },
    status: 'confirmed',
    extendedProperties: { private: { teamRole: roleName, memberId: turn.member.id, turnStart: turn.start } },
  };
}

/** True when the event shows this turn: right member, dates and summary, and not cancelled. */
export function eventMatches(existing: calendar_v3.Schema$Event, wanted: calendar_v3.Schema$Event): boolean {
  const mine = existing.extendedProperties?.private ?? {};
  const theirs = wanted.extendedProperties?.private ?? {};
  return (
    existing.status !== 'cancelled' &&
    existing.summary === wanted.summary &&
    existing.start?.date === wanted.start?.date &&
    !existing.start?.dateTime &&
    existing.end?.date === wanted.end?.date &&
    !existing.end?.dateTime &&
    mine.teamRole === theirs.teamRole &&
    mine.memberId === theirs.memberId &&
    mine.turnStart === theirs.turnStart
  );
}

/** The repaired event: ours fields over whatever else a person added (description, colour, ...). */
export function repairedEvent(
  existing: calendar_v3.Schema$Event,
  wanted: calendar_v3.Schema$Event,
): calendar_v3.Schema$Event {
  return {
    ...existing,
    summary: wanted.summary,
    start: wanted.start,
    end: wanted.end,
    status: 'confirmed',
    extendedProperties: {
      ...existing.extendedProperties,
      private: { ...existing.extendedProperties?.private, ...wanted.extendedProperties?.private },
    },
  };
}

function datePart(time: calendar_v3.Schema$EventDateTime | undefined): string {
  return time?.date ?? time?.dateTime?.slice(0, 10) ?? '';
}

export function toRoleEvent(event: calendar_v3.Schema$Event, titles: readonly string[], legacy: boolean): RoleEvent {
  const summary = event.summary ?? '';
  const title = titles.find((t) => summary.startsWith(`${t}: `));
  const name = title ? summary.slice(title.length + 2).trim() : '';
  return {
    id: event.id as string,
    summary,
    start: datePart(event.start),
    end: datePart(event.end),
    memberId: event.extendedProperties?.private?.memberId ?? null,
    memberName: name || null,
    legacy,
    status: event.status ?? 'confirmed',
  };
}
