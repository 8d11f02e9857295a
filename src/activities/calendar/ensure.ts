/**
 * Making the calendar show a rotation's turns: one listing of the role's events (cancelled ones included, so a
 * deleted turn is restored rather than inserted again), then a create, a repair or nothing for each turn.
 */
import type { calendar_v3 } from '@googleapis/calendar';
import type { Turn } from '../../domain/types';
import { activityCancellationSignal, activityLog } from '../context';
import { FailureType, nonRetryable, requireIsoDate, requireRole } from '../errors';
import { eventForTurn, eventMatches, repairedEvent } from './events';
import { statusOf } from './failures';
import type { CalendarRequests } from './requests';

export interface EnsureTurnsResult {
  created: number;
  repaired: number;
  unchanged: number;
}

/** The role's own events (cancelled ones included) from `from` on, by event ID: what ensuring turns compares with. */
export interface TurnEvents {
  role: string;
  from: string;
  events: Map<string, calendar_v3.Schema$Event>;
}

/** The role's events from `from` on, cancelled ones included (a deleted turn is restored, not re-inserted). */
export async function readTurnEvents(calendar: CalendarRequests, roleName: string, from: string): Promise<TurnEvents> {
  requireRole(calendar.settings, roleName);
  requireIsoDate(from, 'from');
  const what = `listing ${roleName} events`;
  try {
    const listed = await calendar.listPages(
      what,
      { timeMin: `${from}T00:00:00Z`, privateExtendedProperty: [`teamRole=${roleName}`], showDeleted: true },
      activityCancellationSignal(),
    );
    return {
      role: roleName,
      from,
      events: new Map(listed.filter((event) => event.id).map((event) => [event.id as string, event])),
    };
  } catch (err) {
    throw calendar.failure(err, what);
  }
}

/** Refuses turns no calendar could show; returns their start dates. */
function checkTurns(role: string, turns: readonly Turn[]): Set<string> {
  const starts = new Set<string>();
  for (const turn of turns) {
    requireIsoDate(turn?.start, 'turn.start');
    requireIsoDate(turn?.end, 'turn.end');
    if (turn.end <= turn.start) {
      throw nonRetryable(FailureType.InvalidInput, `Turn ${turn.start} ends (${turn.end}) before it starts.`);
    }
    if (!turn.member?.id) throw nonRetryable(FailureType.InvalidInput, `Turn ${turn.start} has no member ID.`);
    if (starts.has(turn.start)) {
      throw nonRetryable(FailureType.InvalidInput, `Two turns of ${role} start on ${turn.start}.`);
    }
    starts.add(turn.start);
  }
  return starts;
}

/**
 * Makes the calendar show these turns: creates what is missing, repairs what drifted, leaves the rest. `read` is a
 * `readTurnEvents` made just before for the same role; without it (or when it starts too late) the events are listed.
 */
export async function ensureTurns(
  calendar: CalendarRequests,
  input: { role: string; turns: Turn[] },
  read?: TurnEvents,
): Promise<EnsureTurnsResult> {
  const { api, calendarId } = calendar;
  const role = requireRole(calendar.settings, input.role);
  const turns = input.turns ?? [];
  const starts = checkTurns(input.role, turns);
  if (turns.length === 0) return { created: 0, repaired: 0, unchanged: 0 };

  const signal = activityCancellationSignal();
  const first = [...starts].sort()[0] as string;
  const usable = read && read.role === input.role && read.from <= first;
  const existing = (usable ? read : await readTurnEvents(calendar, input.role, first)).events;
  const outcomes = await calendar.forEachBounded(turns, async (turn): Promise<keyof EnsureTurnsResult> => {
    const wanted = eventForTurn(input.role, role, turn);
    const eventId = wanted.id as string;
    const what = `the ${input.role} event of ${turn.start}`;
    try {
      let current = existing.get(eventId);
      if (!current) {
        try {
          await calendar.request(
            what,
            () => api.events.insert({ calendarId, requestBody: wanted }, { signal }),
            signal,
          );
          return 'created';
        } catch (err) {
          if (statusOf(err) !== 409) throw err;
          // Already there (an earlier attempt, or not listed): read it and repair it if needed.
          current = (await calendar.request(what, () => api.events.get({ calendarId, eventId }, { signal }), signal))
            .data;
        }
      }
      if (eventMatches(current, wanted)) return 'unchanged';
      const repaired = repairedEvent(current, wanted);
      await calendar.request(
        what,
        () => api.events.update({ calendarId, eventId, requestBody: repaired }, { signal }),
        signal,
      );
      activityLog.info('Repaired calendar event', {
        role: input.role,
        start: turn.start,
        memberId: turn.member.id,
        wasCancelled: current.status === 'cancelled',
      });
      return 'repaired';
    } catch (err) {
      throw calendar.failure(err, what);
    }
  });

  const result: EnsureTurnsResult = { created: 0, repaired: 0, unchanged: 0 };
  for (const outcome of outcomes) result[outcome] += 1;
  activityLog.info('Calendar turns ensured', { role: input.role, ...result });
  return result;
}
