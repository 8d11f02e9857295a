/**
 * What the rotation does next: the one place that decides which step is due, or how long to rest. Pure (the time is
 * an input; no Temporal import), so adding a step to the product is one more case here and one more method in
 * steps.ts, and test/workflow/due.test.ts checks the order without a server.
 */
import { batchDueAt, changeNoticeSettings } from '../../domain/changeNotices';
import { calendarTurnCount, calendarTurns, servingWhilePaused, turnsFingerprint } from '../../domain/notice';
import { servingMembers, upcomingMember } from '../../domain/rotation';
import { handoverDateOf, handoverKey, prepareInstant, type RoleSchedule } from '../../domain/schedule';
import { formatDay } from '../../domain/templates';
import type { IsoDate } from '../../domain/types';
import type { HandoverMode, RoleRuntimeConfig, RoleWorkflowState } from '../../shared';

/** The handover the rotation waits for. */
export interface PendingHandover {
  date: IsoDate;
  at: Date;
  key: string;
}

export type Due =
  /** An operator asked to read the Slack group again. */
  | { step: 'refresh' }
  /** An operator (or the schedule) asked for a handover. */
  | { step: 'requested-handover'; pending: PendingHandover }
  /** The role's on-duty group is not known to hold who serves now (a run's start, an override): set it. */
  | { step: 'sync-on-duty'; serving: string[] }
  /** The handover time came while the rotation was paused: no handover, wait for the next one. */
  | { step: 'pass-paused-handover'; pending: PendingHandover }
  /** Tell who comes next, and top the calendar up. */
  | { step: 'prepare'; pending: PendingHandover }
  /** Paused after the notice went out: point the standup back at who keeps serving, and correct the messages. */
  | { step: 'withdraw-notice'; pending: PendingHandover }
  /** Changes of the plan whose quiet period is over: tell the members whose turns moved. */
  | { step: 'change-notice' }
  /** The handover time came (the workflow's own timer; in schedule mode the schedule asks instead). */
  | { step: 'handover'; pending: PendingHandover }
  /**
   * Nothing is due: sleep until `wakeAt` (undefined: until a message comes), as measured from `now`; `until` says
   * what the timer waits for (its summary in the Web UI).
   */
  | { step: 'rest'; now: number; wakeAt: number | undefined; until: string };

/** What the decision reads: the state, and what this run keeps outside it. */
export interface Moment {
  /** The rotation's time (domain/clock.ts). */
  now: number;
  config: RoleRuntimeConfig;
  state: RoleWorkflowState;
  mode: HandoverMode;
  refreshRequested: boolean;
  handoverRequested: boolean;
  /** A prepare step that failed for good is tried again from then on. */
  prepareRetryAt: number;
  /** Whom this run last set (or tried to set) the on-duty group to, by Slack ID; null: not yet. */
  onDutySetFor: readonly string[] | null;
  /**
   * Whether this run corrects a notice that no longer names who takes over (withdraws it while paused, re-points
   * one that went out early): the `notice-names-who-takes-over` patch, asked only when it matters.
   */
  noticeFollowsChanges: () => boolean;
  /**
   * Whether this run points a withdrawn notice at whoever serves now, when an operator change while paused made
   * someone else serve: the `withdrawn-notice-follows-serving` patch, asked only when that is due.
   */
  withdrawalFollowsServing: () => boolean;
}

/** When the pending handover is, from the state (set at start-up, so always there once the rotation runs). */
export function nextHandoverAt(state: RoleWorkflowState): Date {
  return new Date(state.nextHandoverAt ?? 0);
}

export function pendingHandover(
  config: { role: RoleSchedule; timeZone: string },
  state: RoleWorkflowState,
): PendingHandover {
  const at = nextHandoverAt(state);
  const date = handoverDateOf(config.role, config.timeZone, at);
  return { date, at, key: handoverKey(state.rotation.role, date) };
}

/**
 * Whether the notice for `key` went out and still names who the rotation would name now (and their buddy, and, when
 * the prepare step recorded it, who rotates off).
 */
export function noticeNamesNext(state: RoleWorkflowState, date: IsoDate, key: string): boolean {
  const { prepared, rotation } = state;
  if (prepared?.key !== key) return false;
  try {
    const next = upcomingMember(rotation, date).member;
    const buddy = rotation.slots === 2 ? rotation.incoming : null;
    const outgoing = prepared.outgoingId === undefined || prepared.outgoingId === (rotation.current?.id ?? null);
    return prepared.memberId === next.id && prepared.buddyId === (buddy?.id ?? null) && outgoing;
  } catch {
    return true; // no members: nothing to prepare
  }
}

/**
 * Whether the notice for `key` still names who the rotation would name now and (when the prepare step recorded
 * them) the calendar still holds the turns the rotation would plan now: an operator change that moved a later turn
 * since is written again.
 */
export function isPrepared(config: RoleRuntimeConfig, state: RoleWorkflowState, date: IsoDate, key: string): boolean {
  if (!noticeNamesNext(state, date, key)) return false;
  const turns = state.prepared?.turns;
  if (turns === undefined) return true;
  try {
    const count = calendarTurnCount(config.role, config.calendarHorizonMonths);
    return turns === turnsFingerprint(calendarTurns(config.role, state.rotation, date, count));
  } catch {
    return true; // no members: nothing to prepare
  }
}

/**
 * Whether the notice for `key` was withdrawn pointing at someone else than who keeps serving now (an override or a
 * leave while paused); false for a record that does not say whom it pointed at.
 */
export function withdrawnForOthers(state: RoleWorkflowState, key: string): boolean {
  const record = state.noticeRecord;
  if (record?.key !== key || !record.withdrawn || !record.serving) return false;
  const { serving, buddy } = servingWhilePaused(state.rotation);
  return serving !== null && (record.serving.memberId !== serving.id || record.serving.buddyId !== (buddy?.id ?? null));
}

/** Whether the notice for the pending handover has gone out (it may have been asked for before its time). */
export function noticeIsOut(state: RoleWorkflowState, key: string): boolean {
  return state.prepared?.key === key;
}

/**
 * The step due now, in order: what operators asked for first; then, paused, the withdrawal of a notice that went
 * out and the handover time passing, or else the notice and the handover; then the changes to tell.
 */
export function nextDue(moment: Moment): Due {
  const { now, config, state, mode } = moment;
  const pending = pendingHandover(config, state);
  const handoverAt = pending.at.getTime();
  const prepareAt = prepareInstant(config.role, pending.at).getTime();
  const toldAt = state.changeBatch ? batchDueAt(state.changeBatch, changeNoticeSettings(config.role)) : undefined;

  if (moment.refreshRequested) return { step: 'refresh' };
  if (moment.handoverRequested) return { step: 'requested-handover', pending };
  const serving = onDutyToSet(moment);
  if (serving) return { step: 'sync-on-duty', serving };
  if (state.rotation.paused) {
    // Before the handover time passes: after it, the notice is for a handover no longer pending.
    const withdraw = noticeIsOut(state, pending.key) && now >= moment.prepareRetryAt;
    if (withdraw && moment.noticeFollowsChanges()) return { step: 'withdraw-notice', pending };
    // Withdrawn already, but someone else serves now: the standup and the post follow.
    const again = now < handoverAt && now >= moment.prepareRetryAt && withdrawnForOthers(state, pending.key);
    if (again && moment.withdrawalFollowsServing()) return { step: 'withdraw-notice', pending };
    if (now >= handoverAt) return { step: 'pass-paused-handover', pending };
  } else {
    if (
      now >= moment.prepareRetryAt &&
      !isPrepared(config, state, pending.date, pending.key) &&
      // A notice that went out early is corrected at once, not from its usual time on.
      (now >= prepareAt || (noticeIsOut(state, pending.key) && moment.noticeFollowsChanges()))
    ) {
      return { step: 'prepare', pending };
    }
    if (mode === 'timer' && now >= handoverAt) return { step: 'handover', pending };
  }
  if (toldAt !== undefined && now >= toldAt) return { step: 'change-notice' };
  const planned = wakeTime(moment, Math.max(prepareAt, moment.prepareRetryAt), handoverAt);
  if (toldAt !== undefined && (planned === undefined || toldAt < planned))
    return { step: 'rest', now, wakeAt: toldAt, until: 'until the changes of the plan are told' };
  return { step: 'rest', now, wakeAt: planned, until: restingUntil(moment, pending.date, planned, handoverAt) };
}

/** What a rest waits for, as the Web UI shows on its timer: "until the notice for Wed 9 Dec". */
function restingUntil(moment: Moment, date: IsoDate, wakeAt: number | undefined, handoverAt: number): string {
  const day = formatDay(date);
  if (wakeAt === undefined) return `until the schedule asks for the handover of ${day}`;
  if (moment.state.rotation.paused) return `until the handover time of ${day} (paused: it passes)`;
  if (wakeAt === handoverAt) return `until the handover on ${day}`;
  return wakeAt === moment.prepareRetryAt
    ? `until the notice for ${day} is tried again`
    : `until the notice for ${day}`;
}

/**
 * Who the role's on-duty group should hold, when this run has not set it to them yet; null otherwise: no group, or
 * nobody serves yet (Slack cannot empty a group, the first handover fills it).
 */
function onDutyToSet({ config, state, onDutySetFor }: Moment): string[] | null {
  if (!config.role.onDutyUsergroup) return null;
  const serving = servingMembers(state.rotation).map((member) => member.id);
  if (serving.length === 0) return null;
  const known = onDutySetFor !== null && onDutySetFor.length === serving.length;
  return known && serving.every((id) => onDutySetFor.includes(id)) ? null : serving;
}

/** Paused: the handover time (to pass it). Else the notice time, then the handover time (none in schedule mode). */
function wakeTime(moment: Moment, prepareAt: number, handoverAt: number): number | undefined {
  if (moment.state.rotation.paused) {
    // A withdrawal that failed is tried again at its retry time.
    const { prepared } = moment.state;
    const retrying = prepared !== null && moment.prepareRetryAt > moment.now && moment.prepareRetryAt < handoverAt;
    return retrying && moment.noticeFollowsChanges() ? moment.prepareRetryAt : handoverAt;
  }
  if (moment.now < prepareAt) return prepareAt;
  return moment.mode === 'schedule' ? undefined : handoverAt;
}
