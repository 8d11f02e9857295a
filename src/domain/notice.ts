/**
 * The prepare step's decision: who the notice names before a handover, their buddy, and the turns the calendar
 * should hold. Pure, so the workflow and the prepare activity reach the same answer from the same state.
 */
import { planFromState, upcomingMember, type RotationState } from './rotation';
import type { RoleSchedule } from './schedule';
import type { IsoDate, Member, Turn } from './types';

export interface HandoverNotice {
  /** Who takes up the role at the handover on `date`. */
  member: Member;
  /** With two slots, the member who will be current alongside them (today's incoming); otherwise null. */
  buddy: Member | null;
  warnings: string[];
}

/**
 * Paused after the notice went out: who keeps serving (the incoming member with two slots, else the current one)
 * and their buddy (two slots: the current member), whom the withdrawn notice points the standup back at.
 */
export function servingWhilePaused(rotation: RotationState): { serving: Member | null; buddy: Member | null } {
  const { slots, incoming, current } = rotation;
  const serving = slots === 2 ? (incoming ?? current) : current;
  return { serving, buddy: slots === 2 && serving !== current ? current : null };
}

/** Throws a RotationError when nobody can be named (a group without members). */
export function handoverNotice(rotation: RotationState, date: IsoDate): HandoverNotice {
  const { member, warnings } = upcomingMember(rotation, date);
  return { member, buddy: rotation.slots === 2 ? rotation.incoming : null, warnings };
}

/** How many turns the calendar holds ahead: `horizonMonths` worth at the role's cadence, at least one. */
export function calendarTurnCount(role: RoleSchedule, horizonMonths: number): number {
  const perYear = role.cadence === 'weekly' ? 52 : 12;
  return Math.max(1, Math.round((perYear * horizonMonths) / 12));
}

/** Turns the calendar should hold at the handover on `date`: those still running then, and `count` from it. */
export function calendarTurns(role: RoleSchedule, rotation: RotationState, date: IsoDate, count: number): Turn[] {
  const running = rotation.history.filter((turn) => turn.end > date);
  return [...running, ...planFromState(role, rotation, date, count)];
}

/**
 * A short fingerprint of the turns the calendar was written with (FNV-1a over each turn's start, end and member), so
 * the workflow can tell that an operator change moved a later turn after the notice went out, and write them again.
 */
export function turnsFingerprint(turns: readonly Turn[]): string {
  let hash = 0x811c9dc5;
  for (const turn of turns) {
    for (const char of `${turn.start}/${turn.end}=${turn.member.id};`) {
      hash ^= char.charCodeAt(0);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
  }
  return `${turns.length}:${hash.toString(16).padStart(8, '0')}`;
}

/**
 * The rotation as the prepare activity needs it: the history cut to the turns still running at `date` (the
 * rest only grows the activity's input in the workflow history).
 */
export function rotationForPrepare(rotation: RotationState, date: IsoDate): RotationState {
  return { ...rotation, history: rotation.history.filter((turn) => turn.end > date) };
}
