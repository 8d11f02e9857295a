/**
 * The invariants every fault scenario checks after its handovers: each handover happened exactly once, incoming and
 * current were never the same person, the calendar holds exactly one event per turn (none twice, none missing) and
 * the standup names the right person.
 */
import assert from 'node:assert/strict';
import type { Member, Turn } from '../../src/domain/types';
import type { RoleStateView } from '../../src/shared';
import type { FakeCalendarEvent } from '../../src/sandbox/calendar';
import type { FakeGeekbotStandup } from '../../src/sandbox/geekbot';
import type { Sandbox } from '../../src/sandbox/sandbox';

export interface RoleSnapshot {
  state: RoleStateView;
  /** The `plan` query for the turns after the pending handover. */
  plan: Turn[];
  events: FakeCalendarEvent[];
  standups: FakeGeekbotStandup[];
}

export interface RoleExpectations {
  role: string;
  title: string;
  standupName: string;
  manager: Member;
  /** Handover dates triggered so far, in order: the history must hold exactly these, each once. */
  handoverDates?: string[];
  /**
   * Nothing changed the rotation since the last prepare step, which was the last handover's: the calendar's future
   * events must equal the plan, and the standup names the last turn's member with the current one as buddy.
   */
  settled: boolean;
  /** Consecutive turns go to different members (true unless an operator override can make them meet). */
  distinctTurns?: boolean;
  /** Turns the calendar holds from a handover on (default a year of weekly turns). */
  horizonTurns?: number;
}

/** Weeks of turns the calendar holds from a handover on (the default 12-month horizon). */
export const HORIZON_TURNS = 52;

export function checkRole(snapshot: RoleSnapshot, expect: RoleExpectations): void {
  const { state } = snapshot;
  const history = state.history;
  const context = (message: string) => `${expect.role}: ${message}`;

  // Each handover exactly once: strictly increasing starts, and exactly the dates that were triggered.
  for (let i = 1; i < history.length; i++) {
    assert.ok(
      history[i - 1]!.start < history[i]!.start,
      context(`turns out of order or repeated: ${history[i - 1]!.start} then ${history[i]!.start}`),
    );
  }
  if (expect.handoverDates) {
    assert.deepEqual(
      history.map((t) => t.start),
      expect.handoverDates.slice(-history.length),
      context('the history holds every triggered handover exactly once'),
    );
    assert.equal(history.length, Math.min(expect.handoverDates.length, history.length));
    const last = expect.handoverDates.at(-1);
    if (last) assert.equal(state.lastHandoverKey, `${expect.role}@${last}`, context('last handover key'));
  }

  // Incoming and current are never the same person.
  if (state.members.length >= 2 && state.incoming && state.current) {
    assert.notEqual(state.incoming.id, state.current.id, context('incoming and current are the same person'));
  }
  if ((expect.distinctTurns ?? expect.settled) && state.members.length >= 2) {
    for (let i = 1; i < history.length; i++) {
      assert.notEqual(
        history[i]!.member.id,
        history[i - 1]!.member.id,
        context(
          `${history[i]!.member.name} took two overlapping turns (${history[i - 1]!.start}, ${history[i]!.start})`,
        ),
      );
    }
  }

  // The calendar: one event per turn start, none twice.
  const events = snapshot.events.filter(
    (e) => e.status !== 'cancelled' && e.extendedProperties?.private?.teamRole === expect.role,
  );
  const byStart = new Map<string, FakeCalendarEvent[]>();
  for (const event of events) {
    const start = event.start.date ?? event.start.dateTime ?? '';
    byStart.set(start, [...(byStart.get(start) ?? []), event]);
  }
  for (const [start, list] of byStart) {
    assert.equal(list.length, 1, context(`${list.length} calendar events for the turn starting ${start}`));
  }
  const eventMatches = (turn: Turn, why: string) => {
    const event = byStart.get(turn.start)?.[0];
    assert.ok(event, context(`no calendar event for the turn starting ${turn.start} (${why})`));
    assert.equal(
      event.extendedProperties?.private?.memberId,
      turn.member.id,
      context(`the calendar event of ${turn.start} names ${event.summary}, not ${turn.member.name} (${why})`),
    );
    assert.equal(event.summary, `${expect.title}: ${turn.member.name}`, context(`summary of ${turn.start}`));
    assert.equal(event.end.date, turn.end, context(`end of the event of ${turn.start}`));
  };
  for (const turn of history) eventMatches(turn, 'a turn served');
  const last = history.at(-1);
  if (last) {
    // None missing: a year of turns from the last handover.
    const horizon = expect.horizonTurns ?? HORIZON_TURNS;
    const pendingStarts = snapshot.plan.map((t) => t.start).slice(0, horizon - 1);
    for (const start of pendingStarts) {
      assert.ok(byStart.has(start), context(`no calendar event for the planned turn starting ${start}`));
    }
    if (expect.settled) {
      for (const turn of snapshot.plan.slice(0, horizon - 1)) eventMatches(turn, 'a planned turn');
      // None extra: every event after the first turn served is a turn served or planned.
      const known = new Set([...history.map((t) => t.start), ...pendingStarts]);
      const extra = [...byStart.keys()].filter((start) => start >= history[0]!.start && !known.has(start));
      assert.deepEqual(extra, [], context('calendar events for turns that are neither served nor planned'));
    }
  }

  // The standup names the member who took up the role at the last handover (and, when settled, the buddy). Unsettled,
  // it may already name the next member: the prepare step of a handover that has not happened yet (it is paused, or
  // runs 48 hours ahead on the timer) sends the notice first.
  const standups = snapshot.standups.filter((s) => s.name === expect.standupName);
  if (last) {
    assert.equal(standups.length, 1, context(`${standups.length} Geekbot standups named ${expect.standupName}`));
    const standup = standups[0]!;
    const asked = standup.users.map((u) => u.id).sort();
    const named = [last.member, ...(expect.settled || !state.next ? [] : [state.next])].find((m) =>
      sameIds(asked, [m.id, expect.manager.id]),
    );
    assert.ok(
      named,
      context(
        `the standup asks ${asked.join(', ')}, not ${last.member.name} (${last.member.id})` +
          (expect.settled ? '' : ` nor the next member ${state.next?.name ?? '(none)'}`),
      ),
    );
    const question = standup.questions[0]?.text ?? '';
    assert.ok(question.includes(`<@${named.id}>`), context(`the standup question does not name ${named.name}`));
    if (expect.settled && state.incoming && state.current) {
      assert.equal(state.incoming.id, last.member.id, context('incoming is the member of the last turn'));
      assert.ok(question.includes(`<@${state.current.id}>`), context(`the standup buddy is not ${state.current.name}`));
    }
  }
}

function sameIds(a: string[], b: string[]): boolean {
  const left = [...new Set(a)].sort();
  const right = [...new Set(b)].sort();
  return left.length === right.length && left.every((id, i) => id === right[i]);
}

/** The fakes' view of a role, plus the workflow's state and plan. */
export function fakesOf(sandbox: Sandbox): Pick<RoleSnapshot, 'events' | 'standups'> {
  return { events: sandbox.calendar.events(), standups: [...sandbox.geekbot.state.standups] };
}
