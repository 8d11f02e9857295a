/**
 * Telling people about changes of the plan (issue 16), as the role workflow does it: each change is recorded in the
 * open batch (planChanges.ts coalesces them) and in the bounded change log the `history` query shows; a batch whose
 * quiet period is over becomes one direct message per affected member and one summary for the operators. Pure and
 * zod-free, so workflow code imports it.
 *
 * A change made with `quiet` (`--quiet` on the CLI: a correction nobody needs to hear about) is recorded like any
 * other, but its reasons tell nobody: a member told about a batch is one whose dates a change that is not quiet moved.
 */
import type { ChangeNoticesConfig, RoleConfig } from './config';
import { memberLabel } from './members';
import {
  addChange,
  changeNoticeKey,
  formatTurnDate,
  renderChangeMessage,
  renderOperatorSummary,
  summarizeBatch,
  type ChangeBatch,
  type MemberTurnChange,
  type PlanChange,
} from './planChanges';
import type { IsoDate, Member } from './types';

export const DEFAULT_COALESCE_MINUTES = 5;

/** The role's change-notice settings, defaults filled in (configurations recorded before them have none). */
export function changeNoticeSettings(role: Pick<RoleConfig, 'changeNotices'>): ChangeNoticesConfig {
  const given: Partial<ChangeNoticesConfig> = role.changeNotices ?? {};
  return {
    enabled: given.enabled ?? true,
    coalesceMinutes: given.coalesceMinutes ?? DEFAULT_COALESCE_MINUTES,
    summary: given.summary ?? 'channel',
  };
}

/** An open batch as the workflow keeps it: the domain's batch and the reasons of its quiet changes. */
export interface NoticeBatch extends ChangeBatch {
  /** Reasons of the changes made with `quiet`: they tell nobody. */
  quiet?: string[];
}

/**
 * Adds a change to the open batch. The loop tells a batch once its quiet period is over; a change that comes while
 * it is still untold (the loop was busy) joins it, so a batch is told once, whole.
 */
export function addToBatch(batch: NoticeBatch | null, change: PlanChange, quiet: boolean): NoticeBatch {
  const { open } = addChange(batch, change, Number.POSITIVE_INFINITY);
  const previous = batch?.quiet ?? [];
  // A reason given both quietly and not is not quiet.
  const quietReasons = quiet ? [...new Set([...previous, change.reason])] : previous.filter((r) => r !== change.reason);
  const { quiet: _dropped, ...rest } = open as NoticeBatch;
  return quietReasons.length > 0 ? { ...rest, quiet: quietReasons } : rest;
}

/** The idempotency key of a batch's summary post in the role's channel (its DMs: `changeNoticeKey`). */
export function changeSummaryKey(role: string, batch: Pick<ChangeBatch, 'openedAt'>): string {
  return `${role}:plan-change:${batch.openedAt}`;
}

/** When the batch is to be told: once no change came for the quiet period. */
export function batchDueAt(batch: Pick<ChangeBatch, 'lastAt'>, settings: Pick<ChangeNoticesConfig, 'coalesceMinutes'>) {
  return batch.lastAt + settings.coalesceMinutes * 60_000;
}

/** One direct message of a batch: to whom, its words, and its idempotency key (`changeNoticeKey`). */
export interface ChangeDirectMessage {
  member: Member;
  kind: MemberTurnChange['kind'];
  key: string;
  text: string;
}

export interface BatchNotice {
  /** One per member a change that is not quiet moved. */
  messages: ChangeDirectMessage[];
  /** For the operators (one line per member told); null when nobody is told. */
  summary: string | null;
  /** Members whose dates moved only by quiet changes: not told. */
  untold: Member[];
}

/**
 * What a batch tells: the messages to the affected members, and the operators' summary. `frozenUntil`: the first
 * handover date the roster rules let a join or leave move (the summary says turns before it stay as planned).
 * `everyJoiner`: a member who joined is told even when their first turn lies beyond the compared plans.
 */
export function batchNotice(
  role: { name: string; title: string },
  batch: NoticeBatch,
  options: { frozenUntil?: IsoDate | null; everyJoiner?: boolean } = {},
): BatchNotice {
  const coalesced = summarizeBatch(batch, { everyJoiner: options.everyJoiner ?? false });
  const quiet = new Set(batch.quiet ?? []);
  const loud = (reason: string) => !quiet.has(reason);
  const told: MemberTurnChange[] = [];
  const untold: Member[] = [];
  for (const change of coalesced.comparison.changes) {
    const reasons = coalesced.reasonsFor[change.member.id] ?? [];
    if (reasons.some(loud)) told.push(change);
    else untold.push(change.member);
  }
  const messages = told.map((change) => ({
    member: change.member,
    kind: change.kind,
    key: changeNoticeKey(role.name, batch, change.member.id),
    text: renderChangeMessage(
      role.title,
      change,
      (coalesced.reasonsFor[change.member.id] ?? []).filter(loud),
      coalesced.comparison.range,
    ),
  }));
  if (told.length === 0) return { messages, summary: null, untold };
  const reasons = coalesced.reasons.filter(loud);
  const rosterChanged = batch.joined.length + batch.left.length > 0;
  const frozen =
    rosterChanged && options.frozenUntil
      ? `\nTurns starting before ${formatTurnDate(options.frozenUntil)} stay as planned (the frozen window).`
      : '';
  const summary = renderOperatorSummary(role.title, { ...coalesced.comparison, changes: told }, reasons) + frozen;
  return { messages, summary, untold };
}

// ---------------------------------------------------------------------------------------------------------------
// The change log: what the `history` query and `team-roles history` list besides the turns served
// ---------------------------------------------------------------------------------------------------------------

export type ChangeLogEntry =
  /** A change of the plan: why, and whose turns it moved. */
  | { kind: 'change'; at: string; reason: string; affected: string[]; quiet?: true }
  /** A batch told: to whom, the operators' summary, and where it went. */
  | {
      kind: 'notice';
      at: string;
      told: string[];
      summary: string;
      /** `channel`: posted in the role's channel; `cli`: kept here only; `off`: the role sends no messages. */
      summaryTo: 'channel' | 'cli' | 'off';
      failures?: string[];
    }
  /** A notice for a handover corrected: the standup pointed at someone else, a post edited, a member told. */
  | { kind: 'correction'; at: string; text: string; failures?: string[] };

/** Entries the log keeps (the latest). */
export const MAX_CHANGE_LOG = 50;
const MAX_ENTRY_TEXT = 2_000;

/** The log with `entry` added, cut to the latest `MAX_CHANGE_LOG` entries and each text to a bounded length. */
export function appendChangeLog(log: readonly ChangeLogEntry[] | undefined, entry: ChangeLogEntry): ChangeLogEntry[] {
  const cut = (text: string) => (text.length <= MAX_ENTRY_TEXT ? text : `${text.slice(0, MAX_ENTRY_TEXT - 1)}…`);
  const bounded: ChangeLogEntry =
    entry.kind === 'notice'
      ? { ...entry, summary: cut(entry.summary), told: entry.told.slice(0, 100) }
      : entry.kind === 'change'
        ? { ...entry, reason: cut(entry.reason), affected: entry.affected.slice(0, 100) }
        : { ...entry, text: cut(entry.text) };
  return [...(log ?? []), bounded].slice(-MAX_CHANGE_LOG);
}

/** The people a change moved, as the change log names them. */
export function affectedNames(members: readonly Member[]): string[] {
  return members.map(memberLabel);
}

/** Why the roster changed, in words for people: "Dan joined the group", "Dan joined and Ava left the group". */
export function rosterReason(joined: readonly Member[], left: readonly Member[]): string {
  const names = (members: readonly Member[]) => {
    const list = members.map((m) => m.name || m.id);
    return list.length <= 1 ? (list[0] ?? '') : `${list.slice(0, -1).join(', ')} and ${list.at(-1)}`;
  };
  if (joined.length && left.length) return `${names(joined)} joined and ${names(left)} left the group`;
  if (joined.length) return `${names(joined)} joined the group`;
  return `${names(left)} left the group`;
}

// ---------------------------------------------------------------------------------------------------------------
// Corrections of a notice: what a member named for a handover is told when that no longer holds
// ---------------------------------------------------------------------------------------------------------------

/** What the notice of one handover says now, for its corrections. */
export interface NoticeFacts {
  roleTitle: string;
  /** The handover date. */
  date: IsoDate;
  /** Who takes over then, and their buddy (two slots); while paused, who keeps serving instead. */
  incoming: Member | null;
  buddy: Member | null;
  /** The rotation is paused: the handover does not happen for now. */
  paused: boolean;
}

const mention = (member: Member | null) => (member ? `<@${member.id}>` : 'nobody');

/**
 * The direct message that corrects what a member was told about a handover (a new message, so it reaches them):
 * `now` is what they are in the notice as it stands (`off`: not taking part).
 */
export function noticeCorrectionText(
  facts: NoticeFacts,
  now: 'incoming' | 'buddy' | 'off',
  recipient?: Member,
): string {
  const day = formatTurnDate(facts.date);
  const intro = `Change of plan for the ${facts.roleTitle} handover on ${day}:`;
  if (facts.paused) {
    const serving = recipient && recipient.id === facts.incoming?.id ? 'you keep' : `${mention(facts.incoming)} keeps`;
    return `${intro} the rotation is paused, so it does not happen for now and ${serving} serving. You will hear again when it resumes.`;
  }
  const withBuddy = facts.buddy ? `, with ${mention(facts.buddy)} as buddy` : '';
  if (now === 'incoming') return `${intro} you take over then after all${withBuddy}.`;
  if (now === 'buddy') return `${intro} you are the buddy of ${mention(facts.incoming)}, who takes over then.`;
  return `${intro} ${mention(facts.incoming)} takes over then${withBuddy}, not you. Nothing changes for you.`;
}

/** The channel's notice post while the rotation is paused (edited in place). */
export function pausedNoticeText(facts: NoticeFacts): string {
  return (
    `The ${facts.roleTitle} handover on ${formatTurnDate(facts.date)} is on hold: the rotation is paused, so ` +
    `${mention(facts.incoming)} keeps serving.`
  );
}

/** The idempotency key of the `n`th correction of a handover's notice (each correction is a new message). */
export function noticeCorrectionKey(handoverKey: string, n: number): string {
  return `${handoverKey}#correction-${n}`;
}
