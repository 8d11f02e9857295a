/**
 * Whether a handover happens: the rules the role workflow applies when a handover is due or asked for, and the
 * sentence each refusal leaves in the rotation's warnings. Pure, so the workflow and the operator-chaos test's model
 * decide from the same function.
 */
import { applyHandover, type RotationState } from './rotation';
import { alignToHandoverDate, handoverKey, turnEnd, type RoleSchedule } from './schedule';
import type { IsoDate } from './types';

/** Why a handover does not happen. */
export type HandoverRefusal = 'not-a-handover-date' | 'already-handed-over' | 'paused' | 'nobody-can-serve';

export interface HandoverRules {
  /** The role's name, e.g. `support-triager` (the handover key's prefix). */
  roleName: string;
  role: RoleSchedule;
  /** The handover date the rotation waits for, named when another date is refused. */
  pending: IsoDate;
  historyLimit: number;
  /** Hand over on any date: runs from before the `handover-dates-only` patch did (see workflows/role/patches.ts). */
  anyDate?: boolean;
  /** Hand over although paused: runs from before `no-handover-when-paused-during-prepare` did, after a notice. */
  evenIfPaused?: boolean;
}

export type HandoverDecision =
  | { handOver: true; key: string; result: ReturnType<typeof applyHandover> }
  | {
      handOver: false;
      key: string;
      because: HandoverRefusal;
      /** What the rotation's warnings say; null when nothing needs saying (a handover already done). */
      warning: string | null;
    };

/** Any other date than the role's handover dates would move the whole rotation to another weekday (or day). */
export function notAHandoverDate(roleName: string, date: IsoDate, pending: IsoDate): string {
  return `${date} is not a handover date of ${roleName} (the next one is ${pending}).`;
}

/**
 * Hand over for `date`, or don't, and why: not a handover date, already handed over (that key, or a later turn),
 * paused, or nobody can take the turn (an empty group). The rules are checked in that order.
 */
export function decideHandover(rotation: RotationState, date: IsoDate, rules: HandoverRules): HandoverDecision {
  const key = handoverKey(rules.roleName, date);
  const refuse = (because: HandoverRefusal, why: string | null): HandoverDecision => ({
    handOver: false,
    key,
    because,
    warning: why === null ? null : `handover ${key} not done: ${why}`,
  });
  if (!rules.anyDate && alignToHandoverDate(rules.role, date) !== date) {
    return refuse('not-a-handover-date', notAHandoverDate(rules.roleName, date, rules.pending));
  }
  const lastStart = rotation.history.at(-1)?.start;
  if (key === rotation.lastHandoverKey || (lastStart !== undefined && date <= lastStart)) {
    return refuse('already-handed-over', null);
  }
  if (rotation.paused && !rules.evenIfPaused) return refuse('paused', 'the rotation is paused');
  try {
    const result = applyHandover(rotation, { start: date, end: turnEnd(rules.role, date) }, key, rules.historyLimit);
    return { handOver: true, key, result };
  } catch (err) {
    if (!(err instanceof Error && err.name === 'RotationError')) throw err;
    return refuse('nobody-can-serve', err.message);
  }
}

/**
 * Whether a handover goes on to its notice: it may hand over, or nobody can take the turn yet (the notice reads the
 * group again first, and the decision is made again after it).
 */
export function goesToNotice(decision: HandoverDecision): boolean {
  return decision.handOver || decision.because === 'nobody-can-serve';
}
