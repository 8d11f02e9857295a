/**
 * The one-off jobs (the old scripts) as short workflows on the worker: their input, preview, progress and result
 * types and their messages. Defined once here and used by the job workflow (./jobs.ts), the CLI and the tests.
 * Definitions only: the CLI imports this file, so it must not import workflow code or Node built-ins.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { RoleEvent } from '../activities/calendar';
import type { IsoDate, Member, Turn } from '../domain/types';
import type { RoleRuntimeConfig } from '../shared';

export type JobKind =
  | 'list-members'
  | 'role-settings'
  | 'create-standup'
  | 'create-next-event'
  | 'create-bulk-events'
  | 'delete-bulk-events';

/** `team-roles/jobs/<kind>/<role or user group>/<unique id>`: one workflow per run, visible in the Web UI. */
export function jobWorkflowId(kind: JobKind, subject: string, uniqueId: string): string {
  return `team-roles/jobs/${kind}/${subject}/${uniqueId}`;
}

/** The most turns one job creates (ten years of weekly turns). */
export const MAX_JOB_TURNS = 520;

/** A job that waits this long for `confirm` ends without changing anything. */
export const JOB_CONFIRM_TIMEOUT_MS = 15 * 60 * 1000;

export interface ListMembersJob {
  kind: 'list-members';
  usergroup: string;
}

/** The worker's configuration of a role, for a CLI on a machine that has none (no secrets in it). */
export interface RoleSettingsJob {
  kind: 'role-settings';
  role: string;
}

export interface CreateStandupJob {
  kind: 'create-standup';
  role: string;
  /** Who the standup greets and their buddy, as the running role workflow's state has them. */
  incoming: Member;
  buddy: Member | null;
  standupId?: number | null;
}

/** `create-next-event` is `create-bulk-events` with one turn. */
export interface CreateEventsJob {
  kind: 'create-next-event' | 'create-bulk-events';
  role: string;
  /** Turns to create; default a year's worth (52 weekly, 12 monthly). */
  count?: number;
  /**
   * Start on this date (moved to the next handover date) with `member` (Slack ID or display name) in the first turn,
   * or, as the old scripts' `-m` meant, with the member after `after` (the one serving now)...
   */
  start?: { date: IsoDate; member: string; after?: never } | { date: IsoDate; after: string; member?: never };
  /**
   * ...else continue after the role's last event from today on; with no such event, after `fallback.after`
   * from `fallback.from` (the running rotation, as the CLI read it), else with the first member from today.
   */
  fallback?: { after: Member | null; from: IsoDate };
}

export interface DeleteEventsJob {
  kind: 'delete-bulk-events';
  role: string;
  /** Delete events starting on or after this date; default today (in the role's time zone). */
  from?: IsoDate;
}

export type JobInput = ListMembersJob | RoleSettingsJob | CreateStandupJob | CreateEventsJob | DeleteEventsJob;

/** What a planned turn does to the calendar: a new event, one already right, or one changed in place. */
export type TurnAction = 'create' | 'exists' | 'update';
export interface PlannedTurn extends Turn {
  action: TurnAction;
  /** For `update`: the member the event names now. */
  was?: string | null;
}

export type JobPreview =
  | { kind: 'list-members'; usergroup: string; members: Member[] }
  | {
      kind: 'create-standup';
      role: string;
      title: string;
      standup: { name: string; channel: string; days: string[]; time: string };
      incoming: Member;
      buddy: Member | null;
      warnings: string[];
    }
  | {
      kind: 'create-next-event' | 'create-bulk-events';
      role: string;
      title: string;
      /** How the first turn was chosen, in words. */
      basis: string;
      turns: PlannedTurn[];
      warnings: string[];
    }
  | { kind: 'delete-bulk-events'; role: string; title: string; from: IsoDate; events: RoleEvent[]; warnings: string[] };

export type JobPhase =
  'preparing' | 'awaiting-confirmation' | 'working' | 'done' | 'nothing-to-do' | 'cancelled' | 'expired';

/** Units of work (events, standups) done so far out of the total. */
export interface JobProgress {
  phase: JobPhase;
  done: number;
  total: number;
}

/** How the job ended: did its work, had none, was cancelled, or nobody confirmed in time. */
export type JobOutcome = 'done' | 'nothing-to-do' | 'cancelled' | 'expired';

export type JobResult =
  | { kind: 'list-members'; outcome: 'done'; members: Member[] }
  /** `error` says why there is no configuration (an unknown role: the worker's message names the known ones). */
  | { kind: 'role-settings'; outcome: 'done'; config: RoleRuntimeConfig | null; error: string | null }
  | {
      kind: 'create-standup';
      outcome: JobOutcome;
      standupId: number | null;
      action: 'created' | 'updated' | 'unchanged' | null;
    }
  | {
      kind: 'create-next-event' | 'create-bulk-events';
      outcome: JobOutcome;
      created: number;
      repaired: number;
      unchanged: number;
    }
  | { kind: 'delete-bulk-events'; outcome: JobOutcome; deleted: number; alreadyGone: number };

export const jobPreviewQuery = defineQuery<JobPreview | null>('preview');
export const jobProgressQuery = defineQuery<JobProgress>('progress');
export const confirmJobUpdate = defineUpdate<JobProgress>('confirm');
export const cancelJobUpdate = defineUpdate<JobProgress>('cancel');
