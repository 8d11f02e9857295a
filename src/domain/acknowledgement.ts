/**
 * The handover acknowledgement as a pure state machine. When the notice goes out, the member it names owes an answer
 * (a reaction or a reply on the notice in Slack, their Geekbot standup report, or `team-roles ack`). Without one by
 * the deadline they get one reminder; without one after that either, the role's channel gets one escalation post.
 * The handover itself goes on regardless: an acknowledgement never blocks the rotation.
 *
 * ```
 *            answer                       answer                      answer
 *   pending ───────► acknowledged ◄────── reminded ◄──── … ──── escalated
 *      │  no answer, checked, after the deadline ▲   no answer, checked,  ▲
 *      └─────────────────────────────────────────┘   after escalateAt ────┘ (from reminded)
 *   any of them ──(the notice names someone else / the handover passed while paused)──► cancelled
 * ```
 *
 * The rules, decided here once:
 * - **Deadlines** (`ackTimes`): deadline = notice + `ackWithinHours`, escalation = deadline + `escalateAfterHours`,
 *   both within the first three quarters of the time between the notice and the handover (the last quarter is left
 *   for people to act on an escalation). When the notice goes out later than that allows (an operator's change, a
 *   short prepare lead), both are squeezed proportionally into those three quarters; when that leaves less than an
 *   hour to answer, no reminder and no escalation are planned at all (deadlines null): the record still shows
 *   whether the member answers before the handover.
 * - **Due is strictly after**: a reminder is due only after the deadline, an escalation only after `escalateAt` (and
 *   after the reminder), both only before the handover. An answer at the very instant of the deadline therefore
 *   always beats the reminder, whichever of the two is seen first.
 * - **Never act on our own failure to read**: a reminder or an escalation is sent only on a *confirmed absence* of an
 *   answer: a check that read every source that is on (Slack: the notice DM and channel post; Geekbot: the standup's
 *   reports) and found nothing, made after the action was due. A check that could not read a source (a 429, a 5xx,
 *   a timeout, a missing scope) counts in `checkFailures`; when an action is due meanwhile, it is held back and
 *   `couldNotCheck` says since when and why. Still held at the handover, the turn's history records "could not
 *   check" instead of a reminder or escalation.
 * - **At most one reminder and one escalation per turn and member**, none after an answer (`markReminded` only from
 *   pending, `markEscalated` only from reminded; the messages themselves are sent once per idempotency key).
 * - **Two answers**: the earliest counts (ties go to the first in `ACK_VIAS`), so the order they are seen in does not
 *   matter.
 * - **Pause** suspends the record (no action is due while `pausedAt` is set). **Resume** moves the deadlines on by
 *   the time paused, as if the notice had gone out that much later (squeezed as above when that no longer fits);
 *   a handover that passed while paused (the rotation skipped it) cancels the record.
 * - **Someone else named** (override, skip, swap, a member leaving): the record is cancelled and a new one starts for
 *   the new member from the time their notice goes out (`nameForNotice`).
 *
 * Instants are the rotation's clock (the real time, or the sandbox's fast simulated time): numbers (ms) in,
 * ISO-8601 strings in the record, so it is plain JSON for workflow state and history.
 */
import type { RoleConfig, Settings } from './config';
import type { Member, Turn } from './types';

export const ACK_STATUSES = ['pending', 'acknowledged', 'reminded', 'escalated', 'cancelled'] as const;
export type AckStatus = (typeof ACK_STATUSES)[number];

/**
 * How the member answered: their Geekbot standup report, a reaction or a reply (a thread reply, or a message in the
 * DM) in Slack, `team-roles ack` as the member (`member`) or by an operator on their behalf (`operator`).
 */
export const ACK_VIAS = ['geekbot', 'slack-reaction', 'slack-reply', 'member', 'operator'] as const;
export type AckVia = (typeof ACK_VIAS)[number];

/** What to do next for an acknowledgement: send the reminder, or the escalation. */
export type AckAction = 'remind' | 'escalate';

export interface Acknowledgement {
  /** Who must answer: the member the notice names. */
  member: Member;
  /** The handover the notice is for (`handoverKey(role, date)`). */
  handoverKey: string;
  /** When the member takes over. */
  handoverAt: string;
  /** When the notice named them. */
  noticeAt: string;
  status: AckStatus;
  /** A reminder is due after this without an answer; null when the notice came too late for one. */
  deadline: string | null;
  /** The escalation is due after this (and after the reminder); null with `deadline`. */
  escalateAt: string | null;
  /** When the status last changed; for `acknowledged`, when the member answered. */
  at: string;
  /** How the member answered; null until they do. */
  via: AckVia | null;
  remindedAt: string | null;
  escalatedAt: string | null;
  /** Set while the rotation is paused: nothing is due meanwhile. */
  pausedAt: string | null;
  /** How long the rotation has been paused since the notice: the deadlines have moved on by as much. */
  pausedMs: number;
  /** Checks in a row that could not read every source that is on; 0 after one that could. */
  checkFailures?: number;
  /**
   * Set while a reminder or an escalation is due but held back because the latest check could not read every source
   * (we never act on our own failure to read): since when, and what could not be read.
   */
  couldNotCheck?: { since: string; problem: string } | null;
  /** Why the record was cancelled. */
  reason?: string;
}

/** The acknowledgement of one past turn, for the rotation's history (`Turn.acknowledgement`). */
export interface TurnAcknowledgement {
  acknowledged: boolean;
  via: AckVia | null;
  /** When the member answered, or null. */
  at: string | null;
  reminded: boolean;
  escalated: boolean;
  /** A reminder or an escalation was due at the handover but held back: the sources could not be read. */
  couldNotCheck: boolean;
}

export type AckSettings = Pick<RoleConfig, 'ackWithinHours' | 'escalateAfterHours'>;

const HOUR_MS = 3_600_000;
/** The reminder and the escalation fit into this share of the time between the notice and the handover. */
export const ACK_WINDOW_SHARE = 0.75;
/** Less time than this to answer before a reminder would be due: none is planned (nor an escalation). */
export const MIN_ANSWER_MS = HOUR_MS;

const iso = (ms: number): string => new Date(ms).toISOString();
const ms = (text: string): number => Date.parse(text);

export interface AckTimes {
  deadline: number | null;
  escalateAt: number | null;
  /** Whether the configured hours had to be shortened to fit before the handover. */
  squeezed: boolean;
}

/** The deadlines for a notice at `noticeAtMs` before a handover at `handoverAtMs` (see the module comment). */
export function ackTimes(noticeAtMs: number, handoverAtMs: number, settings: AckSettings): AckTimes {
  const within = settings.ackWithinHours * HOUR_MS;
  const after = settings.escalateAfterHours * HOUR_MS;
  const room = Math.max(0, (handoverAtMs - noticeAtMs) * ACK_WINDOW_SHARE);
  const scale = within + after <= room ? 1 : room / (within + after);
  const toDeadline = Math.floor(within * scale);
  if (toDeadline < MIN_ANSWER_MS) return { deadline: null, escalateAt: null, squeezed: true };
  const deadline = noticeAtMs + toDeadline;
  return { deadline, escalateAt: deadline + Math.floor(after * scale), squeezed: scale < 1 };
}

export interface AckStart {
  member: Member;
  handoverKey: string;
  noticeAtMs: number;
  handoverAtMs: number;
}

/** A pending acknowledgement for the member a notice (just sent) names. */
export function startAcknowledgement(start: AckStart, settings: AckSettings): Acknowledgement {
  const times = ackTimes(start.noticeAtMs, start.handoverAtMs, settings);
  return {
    member: { id: start.member.id, name: start.member.name },
    handoverKey: start.handoverKey,
    handoverAt: iso(start.handoverAtMs),
    noticeAt: iso(start.noticeAtMs),
    status: 'pending',
    deadline: times.deadline === null ? null : iso(times.deadline),
    escalateAt: times.escalateAt === null ? null : iso(times.escalateAt),
    at: iso(start.noticeAtMs),
    via: null,
    remindedAt: null,
    escalatedAt: null,
    pausedAt: null,
    pausedMs: 0,
  };
}

/**
 * The acknowledgement for the member a notice names, and the record it replaces: the same record when it already is
 * for that member and handover; otherwise a new pending one, and the old one (of the same handover) cancelled.
 */
export function nameForNotice(
  current: Acknowledgement | null,
  start: AckStart,
  settings: AckSettings,
): { record: Acknowledgement; cancelled: Acknowledgement | null } {
  if (
    current &&
    current.status !== 'cancelled' &&
    current.handoverKey === start.handoverKey &&
    current.member.id === start.member.id
  ) {
    return { record: current, cancelled: null };
  }
  const replaced =
    current && current.status !== 'cancelled' && current.handoverKey === start.handoverKey
      ? cancelAcknowledgement(current, start.noticeAtMs, `the notice names ${start.member.name} instead`)
      : null;
  return { record: startAcknowledgement(start, settings), cancelled: replaced };
}

/** Still waiting for the member (a reminder or an escalation may yet be due). */
export function isWatched(record: Acknowledgement): boolean {
  return record.status === 'pending' || record.status === 'reminded';
}

/** Whether the workflow should run a watch for the record now: waiting, not paused, before the handover. */
export function needsWatch(record: Acknowledgement | null, nowMs: number): boolean {
  return record !== null && isWatched(record) && record.pausedAt === null && nowMs < ms(record.handoverAt);
}

function viaRank(via: AckVia | null): number {
  return via === null ? ACK_VIAS.length : ACK_VIAS.indexOf(via);
}

/**
 * The member answered (`atMs`: when; before the notice counts as at the notice). A cancelled record stays cancelled;
 * an acknowledged one keeps the earliest answer, so two answers give the same record in either order.
 */
export function acknowledge(record: Acknowledgement, answer: { via: AckVia; atMs: number }): Acknowledgement {
  if (record.status === 'cancelled') return record;
  const atMs = Math.max(answer.atMs, ms(record.noticeAt));
  if (record.status === 'acknowledged') {
    const current = ms(record.at);
    if (atMs > current || (atMs === current && viaRank(answer.via) >= viaRank(record.via))) return record;
  }
  // Whether the sources could be read no longer matters once the member has answered.
  const { checkFailures: _failures, couldNotCheck: _held, ...rest } = record;
  return { ...rest, status: 'acknowledged', at: iso(atMs), via: answer.via };
}

/** What a check of the sources found. */
export interface AckCheck {
  /** When the check was made. */
  atMs: number;
  /** The earliest answer found, or null. */
  answer: { via: AckVia; atMs: number } | null;
  /** Whether every source that is on was read: with no answer, a confirmed absence of one. */
  complete: boolean;
  /** One sentence per source that could not be read. */
  problems: string[];
}

/** The action due for the record at `nowMs`, if any (strictly after its time, before the handover, not paused). */
export function dueAction(record: Acknowledgement, nowMs: number): AckAction | null {
  if (record.pausedAt !== null || nowMs >= ms(record.handoverAt)) return null;
  if (record.status === 'pending' && record.deadline !== null && nowMs > ms(record.deadline)) return 'remind';
  if (record.status === 'reminded' && record.escalateAt !== null) {
    const due = Math.max(ms(record.escalateAt), record.remindedAt === null ? 0 : ms(record.remindedAt));
    if (nowMs > due) return 'escalate';
  }
  return null;
}

/** When the next action becomes due (the first instant after which `dueAction` gives one), or null. */
export function nextDueAt(record: Acknowledgement): number | null {
  if (record.pausedAt !== null) return null;
  let due: number | null = null;
  if (record.status === 'pending' && record.deadline !== null) due = ms(record.deadline);
  if (record.status === 'reminded' && record.escalateAt !== null) {
    due = Math.max(ms(record.escalateAt), record.remindedAt === null ? 0 : ms(record.remindedAt));
  }
  return due !== null && due + 1 < ms(record.handoverAt) ? due + 1 : null;
}

/** Takes a check in: an answer acknowledges; a check that could not read everything is counted (and may hold). */
export function observeCheck(record: Acknowledgement, check: AckCheck): Acknowledgement {
  if (check.answer) return acknowledge(record, check.answer);
  if (!isWatched(record)) return record;
  if (check.complete) {
    if (!record.checkFailures && !record.couldNotCheck) return record;
    return { ...record, checkFailures: 0, couldNotCheck: null };
  }
  const problem = check.problems.join(' ') || 'A source could not be read.';
  const held = dueAction(record, check.atMs) !== null;
  return {
    ...record,
    checkFailures: (record.checkFailures ?? 0) + 1,
    couldNotCheck: held
      ? { since: record.couldNotCheck?.since ?? iso(check.atMs), problem }
      : (record.couldNotCheck ?? null),
  };
}

/**
 * A check, and what it allows: the action due at the check's time, only on a confirmed absence of an answer (a
 * complete check that found none).
 */
export function decide(
  record: Acknowledgement,
  check: AckCheck,
): { record: Acknowledgement; action: AckAction | null } {
  const next = observeCheck(record, check);
  const action = check.complete && !check.answer ? dueAction(next, check.atMs) : null;
  return { record: next, action };
}

/** The reminder went out (only a pending record becomes reminded: at most one reminder). */
export function markReminded(record: Acknowledgement, atMs: number): Acknowledgement {
  if (record.status !== 'pending') return record;
  return { ...record, status: 'reminded', at: iso(atMs), remindedAt: iso(atMs), couldNotCheck: null };
}

/** The escalation went out (only a reminded record becomes escalated: at most one escalation). */
export function markEscalated(record: Acknowledgement, atMs: number): Acknowledgement {
  if (record.status !== 'reminded') return record;
  return { ...record, status: 'escalated', at: iso(atMs), escalatedAt: iso(atMs), couldNotCheck: null };
}

export function cancelAcknowledgement(record: Acknowledgement, atMs: number, reason: string): Acknowledgement {
  if (record.status === 'cancelled') return record;
  return { ...record, status: 'cancelled', at: iso(atMs), reason, pausedAt: null, couldNotCheck: null };
}

/** The rotation was paused: nothing is due until it resumes. */
export function suspendAcknowledgement(record: Acknowledgement, atMs: number): Acknowledgement {
  if (record.pausedAt !== null || !isWatched(record)) return record;
  return { ...record, pausedAt: iso(atMs) };
}

/**
 * The rotation resumed: the deadlines still ahead move on by the time paused (as if the notice had gone out that
 * much later, squeezed when that no longer fits); a handover that passed meanwhile cancels the record.
 */
export function resumeAcknowledgement(record: Acknowledgement, atMs: number, settings: AckSettings): Acknowledgement {
  if (record.pausedAt === null) return record;
  const pausedMs = record.pausedMs + Math.max(0, atMs - ms(record.pausedAt));
  const resumed: Acknowledgement = { ...record, pausedAt: null, pausedMs };
  if (atMs >= ms(record.handoverAt)) {
    return cancelAcknowledgement(resumed, atMs, 'the handover passed while the rotation was paused');
  }
  const times = ackTimes(ms(record.noticeAt) + pausedMs, ms(record.handoverAt), settings);
  const escalateAt = times.escalateAt === null ? null : iso(times.escalateAt);
  if (record.status === 'reminded') return { ...resumed, escalateAt };
  return { ...resumed, deadline: times.deadline === null ? null : iso(times.deadline), escalateAt };
}

/** What a watch (src/activities/acknowledgements.ts) reports when it returns. */
export interface WatchOutcome {
  /** Whom and which handover it watched: a result for another record (replaced meanwhile) changes nothing. */
  memberId: string;
  handoverKey: string;
  /** acknowledged: an answer; reminded / escalated: the message went out; handover: the handover was reached. */
  outcome: 'acknowledged' | 'reminded' | 'escalated' | 'handover';
  at: string;
  via: AckVia | null;
  checkFailures: number;
  couldNotCheck: { since: string; problem: string } | null;
  /**
   * When this watch sent the reminder, if it did and went on watching (it told the workflow by a signal, which the
   * workflow may not have taken yet when the result comes): the reminder counts before the outcome. Absent: none.
   */
  remindedAt?: string | null;
}

/** The reminder went out: what the watch's `acknowledgementReminded` signal tells the workflow. */
export interface ReminderSent {
  memberId: string;
  handoverKey: string;
  at: string;
}

/**
 * A watch holding the reminder or the escalation back because its checks could not read every source: what its
 * `acknowledgementHeld` signal tells the workflow (once per such stretch), so the state says so while it lasts.
 */
export interface CheckHeld {
  memberId: string;
  handoverKey: string;
  /** The message held back: the reminder (of a pending record) or the escalation (of a reminded one). */
  action: AckAction;
  checkFailures: number;
  couldNotCheck: { since: string; problem: string };
}

/** Applies a hold the watch reported by signal (stale: for another record, or one that has moved on: nothing). */
export function applyCheckHeld(record: Acknowledgement, held: CheckHeld): Acknowledgement {
  if (record.member.id !== held.memberId || record.handoverKey !== held.handoverKey) return record;
  const waitingFor: AckStatus = held.action === 'remind' ? 'pending' : 'reminded';
  if (record.status !== waitingFor) return record;
  return { ...record, checkFailures: held.checkFailures, couldNotCheck: held.couldNotCheck };
}

/** Applies a reminder the watch reported by signal (stale or repeated: nothing changes). */
export function applyReminderSent(record: Acknowledgement, sent: ReminderSent): Acknowledgement {
  if (record.member.id !== sent.memberId || record.handoverKey !== sent.handoverKey) return record;
  return markReminded(record, ms(sent.at));
}

/** Applies a watch's result to the workflow's record (the workflow stays the judge: a stale result is ignored). */
export function applyWatchOutcome(current: Acknowledgement, outcome: WatchOutcome): Acknowledgement {
  if (current.member.id !== outcome.memberId || current.handoverKey !== outcome.handoverKey) return current;
  const record = outcome.remindedAt ? applyReminderSent(current, { ...outcome, at: outcome.remindedAt }) : current;
  const atMs = ms(outcome.at);
  switch (outcome.outcome) {
    case 'acknowledged':
      return outcome.via ? acknowledge(record, { via: outcome.via, atMs }) : record;
    case 'reminded':
      return markReminded(record, atMs);
    case 'escalated':
      return markEscalated(record, atMs);
    case 'handover': {
      if (!isWatched(record)) return record;
      return { ...record, checkFailures: outcome.checkFailures, couldNotCheck: outcome.couldNotCheck };
    }
  }
}

/** Where a message of the notice is in Slack. */
export interface MessageRef {
  channel: string;
  ts: string;
}

/**
 * The notice's messages the member may answer on, found by their idempotency keys once and then kept in the
 * workflow's state (`ackRefs`), so the next watch need not search for them again.
 */
export interface NoticeRefs {
  /** The notice DM to the member (`notice-incoming`), or null when none was found. */
  dm: MessageRef | null;
  /** The notice's channel post (`notice-channel`), or null. */
  post: MessageRef | null;
}

/** What a watch reads of the rotation (its `state` query) before it sends a message. */
export interface RotationNow {
  acknowledgement?: Acknowledgement | null;
  paused: boolean;
  /** The member the rotation would name for its pending handover now. */
  next: Member | null;
}

/**
 * Whether the rotation still wants a watch's `action` for `record`: it holds that record, still waiting (pending or
 * reminded, for either action: the reminder's signal may not be taken yet, or a retry may not know its reminder went
 * out), not paused, and it would still name that member. If not, an operator's `ack`, a pause or a change came since the watch started,
 * and the watch's cancellation is on its way.
 */
export function rotationWants(rotation: RotationNow, record: Acknowledgement, _action: AckAction): boolean {
  const held = rotation.acknowledgement;
  if (!held || held.member.id !== record.member.id || held.handoverKey !== record.handoverKey) return false;
  // Reminded already, for the reminder: a retried watch whose last heartbeat predates the reminder it sent. Sending it
  // again finds it by its key (nothing posted) and the repeated signal changes nothing, so the watch catches up.
  return isWatched(held) && held.pausedAt === null && !rotation.paused && rotation.next?.id === record.member.id;
}

/** Whether and how the turn the record was for was acknowledged (at the handover). */
export function turnAcknowledgement(record: Acknowledgement): TurnAcknowledgement {
  const acknowledged = record.status === 'acknowledged';
  return {
    acknowledged,
    via: acknowledged ? record.via : null,
    at: acknowledged ? record.at : null,
    reminded: record.remindedAt !== null,
    escalated: record.escalatedAt !== null,
    couldNotCheck: Boolean(record.couldNotCheck),
  };
}

/**
 * The history with the record's turn (the one its member took up on its handover's date) marked with how it was
 * acknowledged; unchanged when no such turn is there (the handover did not happen, or someone else took the turn).
 */
export function withTurnAcknowledgement(history: readonly Turn[], record: Acknowledgement): Turn[] {
  const date = record.handoverKey.slice(record.handoverKey.lastIndexOf('@') + 1);
  let index = -1;
  history.forEach((turn, i) => {
    if (turn.start === date && turn.member.id === record.member.id) index = i;
  });
  if (index < 0 || record.status === 'cancelled') return [...history];
  return history.map((turn, i) => (i === index ? { ...turn, acknowledgement: turnAcknowledgement(record) } : turn));
}

/**
 * What is wrong with an `acknowledge` request, as one sentence, or null when it may be applied. `member`: who the
 * request says is answering (resolved from `--member`), or null; `onBehalf`: an operator answers for the member.
 * A repeat for an acknowledged record is fine (it changes nothing).
 */
export function acknowledgeProblem(
  record: Acknowledgement | null,
  request: { member: Member | null; onBehalf: boolean },
): string | null {
  if (!record || record.status === 'cancelled') {
    return 'No acknowledgement is pending: the notice for the next handover has not gone out yet.';
  }
  if (request.member && request.member.id !== record.member.id) {
    return (
      `${request.member.name} is not the member the notice names: only ${record.member.name} can acknowledge ` +
      `${record.handoverKey} (or an operator on their behalf).`
    );
  }
  if (!request.member && !request.onBehalf) {
    return `Say who acknowledges: the member the notice names (${record.member.name}), or an operator on their behalf.`;
  }
  return null;
}

/** One sentence for the state's warnings when the record is escalated, or held back because of failed reads. */
export function acknowledgementWarning(record: Acknowledgement): string | null {
  if (record.status === 'escalated') {
    return (
      `${record.handoverKey}: ${record.member.name} has not acknowledged the notice; reminded at ` +
      `${record.remindedAt ?? '?'}, escalated in the channel at ${record.escalatedAt ?? '?'}.`
    );
  }
  if (record.couldNotCheck && isWatched(record)) {
    return (
      `${record.handoverKey}: could not check whether ${record.member.name} acknowledged (since ` +
      `${record.couldNotCheck.since}): ${record.couldNotCheck.problem} No reminder or escalation is sent until a ` +
      'check succeeds.'
    );
  }
  return null;
}

/** Which parts of the acknowledgement a role has, given the services that are on. */
export interface AckPlan {
  on: boolean;
  /** Why, in a few words. */
  why: string;
  /** Reactions and replies on the notice in Slack are looked for. */
  slack: boolean;
  /** The member's Geekbot standup report is looked for. */
  geekbot: boolean;
  /** The reminder DM and the escalation post can be sent (they need the role's Slack messages). */
  messages: boolean;
  /** The reactions that count; empty: any. */
  reactions: string[];
  /** Slack user IDs mentioned in the escalation besides the member and the buddy. */
  contacts: string[];
  /** Time between two checks, in the rotation's clock. */
  pollMs: number;
}

export function acknowledgementPlan(
  settings: Pick<Settings, 'standupManager'>,
  role: Pick<RoleConfig, 'acknowledgement' | 'slack'>,
  services: { geekbot: boolean },
): AckPlan {
  const config = role.acknowledgement;
  const slack = Boolean(role.slack?.enabled);
  const geekbot = services.geekbot;
  const contacts = config.escalationContacts ?? (settings.standupManager ? [settings.standupManager.id] : []);
  const base = {
    slack,
    geekbot,
    messages: slack,
    reactions: [...config.reactions],
    contacts: [...new Set(contacts)],
    pollMs: config.pollMinutes * 60_000,
  };
  if (!config.enabled) return { ...base, on: false, why: 'acknowledgement.enabled is false' };
  if (!slack && !geekbot) return { ...base, on: false, why: 'neither Slack messages nor Geekbot are on' };
  const sources = [slack ? 'slack' : null, geekbot ? 'geekbot' : null].filter(Boolean).join(' and ');
  return { ...base, on: true, why: `answers read from ${sources}${slack ? '' : '; no reminder or escalation'}` };
}
