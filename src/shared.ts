/**
 * Names shared by the worker, the workflows, the CLI and the tests (see docs/contracts.md).
 * Imported by workflow code: keep it free of I/O and Node built-ins.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { IsoDate, Member, RoleConfig, Turn } from './domain';
import type { AbsenceCheck } from './domain/absenceCheck';
import type { Acknowledgement, CheckHeld, NoticeRefs, ReminderSent } from './domain/acknowledgement';
import type { ChangeLogEntry, NoticeBatch } from './domain/changeNotices';
import type { ClockAnchor } from './domain/clock';
import type { FairnessRow, LedgerSkipReason } from './domain/fairness';
import type { Fairness } from './domain/roleRules';
import type { RotationState } from './domain/rotation';
import type { RoleSchedule } from './domain/schedule';
import type { ServicePlan } from './domain/services';

export const TASK_QUEUE = 'team-roles';

/** `team-roles/<role>`: one long-lived workflow per role. */
export function roleWorkflowId(role: string): string {
  return `team-roles/${role}`;
}

export const TeamRoleAttribute = defineSearchAttributeKey('TeamRole', SearchAttributeType.KEYWORD);
export const IncomingMemberAttribute = defineSearchAttributeKey('IncomingMember', SearchAttributeType.KEYWORD);
export const CurrentMemberAttribute = defineSearchAttributeKey('CurrentMember', SearchAttributeType.KEYWORD);
export const NextHandoverAtAttribute = defineSearchAttributeKey('NextHandoverAt', SearchAttributeType.DATETIME);
/**
 * Whether the member the latest notice named has acknowledged it: false from the notice until they answer (and, if
 * they never do, until the next notice), true once they have; unset when acknowledgements are off or no notice went
 * out yet. `HandoverAcknowledged = false` lists every rotation whose incoming member has not confirmed.
 */
export const HandoverAcknowledgedAttribute = defineSearchAttributeKey('HandoverAcknowledged', SearchAttributeType.BOOL);

/** Registered by the project's own start-up (dev server flags, or the operator service on a cluster). */
export const SEARCH_ATTRIBUTES = [
  TeamRoleAttribute,
  IncomingMemberAttribute,
  CurrentMemberAttribute,
  NextHandoverAtAttribute,
  HandoverAcknowledgedAttribute,
] as const;

// ---------------------------------------------------------------------------------------------
// The role workflow's messages. Defined once here and used by the workflow, the CLI and the tests.
// ---------------------------------------------------------------------------------------------

/** What every change operation may carry besides its request. */
export interface ChangeOptions {
  /**
   * A correction nobody needs to hear about (`--quiet`): the change is recorded, but its moves tell nobody (no
   * direct message, no summary). A notice naming the wrong person is still corrected.
   */
  quiet?: boolean;
}

/** Members are named by Slack ID or exact (case-insensitive) display name. */
export interface OverrideRequest extends ChangeOptions {
  incoming?: string;
  current?: string;
}
export interface SkipRequest extends ChangeOptions {
  member: string;
  /** Skip turns starting within [from, to] (YYYY-MM-DD, inclusive)... */
  from?: string;
  to?: string;
  /** ...or only the member's next turn. */
  next?: boolean;
}
export interface SwapRequest extends ChangeOptions {
  first: string;
  second: string;
}
/** `team-roles ack`: the member the notice names confirms (`member`), or an operator does on their behalf. */
export interface AcknowledgeRequest {
  /** Who answers: a Slack ID or display name; with `onBehalf`, the member an operator answers for (optional). */
  member?: string;
  onBehalf?: boolean;
}
export interface HandoverNowRequest {
  /** Hand over for this handover date (YYYY-MM-DD); default the next pending one. A Schedule passes its date. */
  date?: string;
}

/** How the handovers are triggered: the workflow's own timer, or a Temporal Schedule sending `handoverNow`. */
export type HandoverMode = 'timer' | 'schedule';

/** The `state` query's answer (docs/contracts.md). Instants are ISO-8601. */
export interface RoleStateView {
  role: string;
  incoming: Member | null;
  current: Member | null;
  next: Member | null;
  nextHandoverAt: string;
  nextPrepareAt: string;
  paused: boolean;
  members: Member[];
  history: Turn[];
  mode: HandoverMode;
  lastHandoverKey: string | null;
  standupId: number | null;
  warnings: string[];
  lastError: string | null;
  /** How many times faster than real time the rotation runs: 1, or more in the sandbox's fast mode (absent: 1). */
  timeScale?: number;
  /** Which outside services the worker that started this run had on (`planServices`); absent in older runs. */
  services?: ServicePlan;
  /** The latest absence check before a notice (a role with `absences`): who was skipped, what was found; or null. */
  absences?: AbsenceCheck | null;
  /** The notice for the pending handover: whom it names, or that it was withdrawn while paused; null before it. */
  notice: NoticeView | null;
  /** The latest plan changes (who, why) and the notices sent about them, oldest first (bounded). */
  changes: ChangeLogEntry[];
  /**
   * Changes not told yet: when they will be (their quiet period ends; rotation time, as `nextHandoverAt`) and the
   * operators' summary of them as it stands (null: quiet changes only, nobody is told). Null when there are none.
   */
  pendingChanges: { toldAt: string; summary: string | null } | null;
  /** The step the main loop runs now (e.g. `prepare`, `change-notice`), or null while it rests. */
  busy: string | null;
  /**
   * The acknowledgement of the latest notice (`member`, `status`, `deadline`, `at`, `via` and the rest of the record,
   * src/domain/acknowledgement.ts); null when acknowledgements are off or no notice went out yet.
   */
  acknowledgement: Acknowledgement | null;
}

export interface NoticeView {
  /** The handover key, e.g. `support-triager@2026-12-09`. */
  key: string;
  /** Whom the standup (and the Slack notice) names: the member taking over, and their buddy (two slots). */
  incoming: Member | null;
  buddy: Member | null;
  /** Paused after it went out: the standup names the member who keeps serving until the rotation resumes. */
  withdrawn: boolean;
}

/** The `history` query's answer: who served when, and the changes of the plan with the notices sent about them. */
export interface RoleHistoryView {
  turns: Turn[];
  changes: ChangeLogEntry[];
}

/** What a member named for the pending handover was last told they are. */
export type NoticeStatus = 'incoming' | 'buddy' | 'off';

/** The notice for one handover as the people named in it were told (issue 16), so that a change corrects it. */
export interface NoticeRecord {
  key: string;
  /** Each member told about this handover (by Slack ID) and what their latest message says they are. */
  told: Record<string, NoticeStatus>;
  /** Corrections sent for this handover so far; each is a new message whose idempotency key carries its number. */
  corrections: number;
  /** Paused after the notice went out: the standup was pointed back at the member who keeps serving. */
  withdrawn: boolean;
  /**
   * Withdrawn: whom the standup and the channel post were pointed back at (who kept serving then, and their buddy).
   * Absent in records from before it was kept.
   */
  serving?: { memberId: string; buddyId: string | null };
}

/** What the plan was made with, so that a run reading another configuration can tell whose dates it moves. */
export interface PlanBasis {
  role: RoleSchedule;
  timeZone: string;
  freezeTurns: number;
  fairness: Fairness;
}

/** What a role workflow carries across continue-as-new. */
export interface RoleWorkflowState {
  rotation: RotationState;
  standupId: number | null;
  /**
   * Key and member of the prepare step already done, so a re-trigger does not repeat it; `turns` fingerprints the
   * calendar's turns it wrote (domain/notice.ts `turnsFingerprint`; absent in runs from before that); `outgoingId`
   * is who the notice's channel post says rotates off (absent in runs from before that).
   */
  prepared: {
    key: string;
    memberId: string;
    buddyId: string | null;
    turns?: string;
    outgoingId?: string | null;
  } | null;
  nextHandoverAt: string | null;
  warnings: string[];
  lastError: string | null;
  handoversDone: number;
  /** Set in the sandbox's fast mode only: where the rotation's simulated clock stands (domain/clock.ts). */
  clock?: ClockAnchor | null;
  /** The latest absence check before a notice (issue 17), for the `plan` and `state` queries; absent: none yet. */
  absences?: AbsenceCheck | null;
  /** Plan changes not told yet, coalesced (issue 16). Absent in states from before change notices. */
  changeBatch?: NoticeBatch | null;
  /** The latest plan changes and the notices sent about them (bounded, `MAX_CHANGE_LOG`). */
  changeLog?: ChangeLogEntry[];
  /** The schedule and rules the plan was made with (absent before change notices). */
  planBasis?: PlanBasis | null;
  /** The notice for the pending handover as its people were told. */
  noticeRecord?: NoticeRecord | null;
  /**
   * While paused: the handover date it was paused at (the plan its people were last told starts there), and whether
   * the pause was `quiet`. At the resume, the turns the pause moved later are told (unless quiet).
   */
  pause?: { from: IsoDate; quiet: boolean } | null;
  /** The acknowledgement the latest notice asks for (absent in runs from before acknowledgements). */
  acknowledgement?: Acknowledgement | null;
  /** Where that notice's DM and channel post are, once a watch found them (spares the next watch the search). */
  ackRefs?: NoticeRefs | null;
}

export interface RoleWorkflowInput {
  role: string;
  mode?: HandoverMode;
  /**
   * Starting members of the last turns: a Slack ID or display name resolved against the group, or a
   * member as an imported `team-roles.json` records it (kept even if they have left the group since).
   */
  seed?: { incoming?: string | Member | null; current?: string | Member | null };
  /** Set by continue-as-new (or an import): the whole state. */
  state?: RoleWorkflowState;
}

/** Role configuration as the worker resolved it, recorded once per run in history. */
export interface RoleRuntimeConfig {
  role: RoleConfig;
  timeZone: string;
  historyLimit: number;
  handoversPerRun: number;
  calendarHorizonMonths: number;
  /** Runs faster than real time in the sandbox's fast mode (see domain/clock.ts); absent in older runs: 1. */
  timeScale?: number;
  /** The owner of the worker's Geekbot key (`standupManager`); absent in runs started before it was recorded. */
  standupManager?: Member | null;
  /** Tests only: a new rotation's clock starts this far from the real time (domain/clock.ts). Absent: 0. */
  testClockShiftMs?: number;
  /**
   * Which outside services the worker that started this run had on, and why (`planServices`): what `team-roles
   * status` shows. Absent in runs started before it was recorded.
   */
  services?: ServicePlan;
  /**
   * Whether the role's notices ask for an acknowledgement (`acknowledgementPlan`: on, with Slack messages or Geekbot
   * to read answers from); absent in runs started before acknowledgements: off.
   */
  acknowledgementOn?: boolean;
}

export const overrideSignal = defineSignal<[OverrideRequest]>('override');
export const skipSignal = defineSignal<[SkipRequest]>('skip');
export const swapSignal = defineSignal<[SwapRequest]>('swap');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const handoverNowSignal = defineSignal<[HandoverNowRequest?]>('handoverNow');
export const refreshMembersSignal = defineSignal('refreshMembers');
export const acknowledgeSignal = defineSignal<[AcknowledgeRequest]>('acknowledge');
/** Not an operator's: sent by the rotation's own acknowledgement watch once the reminder went out. */
export const acknowledgementRemindedSignal = defineSignal<[ReminderNotice]>('acknowledgementReminded');

/**
 * Not an operator's: sent by the rotation's own acknowledgement watch when it holds the reminder or the escalation
 * back because Slack or Geekbot could not be read (never acting on its own failure to read), so `state` shows it.
 */
export const acknowledgementHeldSignal = defineSignal<[CheckHeld]>('acknowledgementHeld');

/** What the watch's `acknowledgementReminded` signal says: the reminder, and why it could not go out if so. */
export interface ReminderNotice extends ReminderSent {
  warnings: string[];
}

export const overrideUpdate = defineUpdate<RoleStateView, [OverrideRequest]>('override');
export const skipUpdate = defineUpdate<RoleStateView, [SkipRequest]>('skip');
export const swapUpdate = defineUpdate<RoleStateView, [SwapRequest]>('swap');
export const pauseUpdate = defineUpdate<RoleStateView>('pause');
export const resumeUpdate = defineUpdate<RoleStateView>('resume');
// The argument is required here (`{}` for the next pending handover) because executeUpdate's overloads do not accept
// an optional one; the workflow still takes a missing argument (e.g. from the temporal CLI) as `{}`.
export const handoverNowUpdate = defineUpdate<RoleStateView, [HandoverNowRequest]>('handoverNow');
export const refreshMembersUpdate = defineUpdate<RoleStateView>('refreshMembers');
export const acknowledgeUpdate = defineUpdate<RoleStateView, [AcknowledgeRequest]>('acknowledge');

/**
 * A turn of the `plan` query: who serves it and when, the members it passes over because they are skipped (`skipped`,
 * with why: `absence`, `operator`, `left`), and the away days the latest absence check found (`away`, the coming turn
 * only: for its member, and for each member skipped for an absence).
 */
export interface PlanTurn extends Turn {
  skipped?: { member: Member; reason: LedgerSkipReason; away?: string }[];
  away?: string;
}

/**
 * The `fairness` query's answer: per member, turns served, turns skipped by reason, their equal share of the turns
 * since they joined and the balance (share − served: positive, turns they owe; negative, served beyond their share).
 * Members in the group first, most owed first; then those who left. `kept` is false for a rotation under the old
 * rules (no ledger yet): its table is empty.
 */
export interface FairnessView {
  role: string;
  /** How the next turn is chosen: `cycle` (rotation order) or `balance` (the most owed who can take it). */
  fairness: Fairness;
  kept: boolean;
  members: FairnessRow[];
}

export const stateQuery = defineQuery<RoleStateView>('state');
export const planQuery = defineQuery<PlanTurn[], [number?]>('plan');
export const fairnessQuery = defineQuery<FairnessView>('fairness');
/**
 * The role's configuration as this run of the rotation uses it (read by the worker at the run's start): what the CLI
 * needs to show times in the role's zone, build its Schedule and resolve names, with nothing but Temporal access.
 * No secrets: tokens and keys never leave the worker.
 */
export const configQuery = defineQuery<RoleRuntimeConfig>('config');
/** Who served when, and the changes of the plan (who, why) with the notices sent about them. */
export const historyQuery = defineQuery<RoleHistoryView>('history');
