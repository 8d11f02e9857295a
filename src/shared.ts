/**
 * Names shared by the worker, the workflows, the CLI and the tests (see docs/contracts.md).
 * Imported by workflow code: keep it free of I/O and Node built-ins.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Member, RoleConfig, Turn } from './domain';
import type { Acknowledgement, NoticeRefs, ReminderSent } from './domain/acknowledgement';
import type { ClockAnchor } from './domain/clock';
import type { RotationState } from './domain/rotation';

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

/** Members are named by Slack ID or exact (case-insensitive) display name. */
export interface OverrideRequest {
  incoming?: string;
  current?: string;
}
export interface SkipRequest {
  member: string;
  /** Skip turns starting within [from, to] (YYYY-MM-DD, inclusive)... */
  from?: string;
  to?: string;
  /** ...or only the member's next turn. */
  next?: boolean;
}
export interface SwapRequest {
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
  /**
   * The acknowledgement of the latest notice (`member`, `status`, `deadline`, `at`, `via` and the rest of the record,
   * src/domain/acknowledgement.ts); null when acknowledgements are off or no notice went out yet.
   */
  acknowledgement: Acknowledgement | null;
}

/** What a role workflow carries across continue-as-new. */
export interface RoleWorkflowState {
  rotation: RotationState;
  standupId: number | null;
  /** Key and member of the prepare step already done, so a re-trigger does not repeat it. */
  prepared: { key: string; memberId: string; buddyId: string | null } | null;
  nextHandoverAt: string | null;
  warnings: string[];
  lastError: string | null;
  handoversDone: number;
  /** Set in the sandbox's fast mode only: where the rotation's simulated clock stands (domain/clock.ts). */
  clock?: ClockAnchor | null;
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

export const stateQuery = defineQuery<RoleStateView>('state');
export const planQuery = defineQuery<Turn[], [number?]>('plan');
/**
 * The role's configuration as this run of the rotation uses it (read by the worker at the run's start): what the CLI
 * needs to show times in the role's zone, build its Schedule and resolve names, with nothing but Temporal access.
 * No secrets: tokens and keys never leave the worker.
 */
export const configQuery = defineQuery<RoleRuntimeConfig>('config');
