/**
 * Who a change of the plan affects, and what they are told (issue 16). Pure: the workflow computes the plan before
 * and after a change (`planFromState` over the calendar horizon) and these functions say who must hear about it.
 *
 * The rule: a member is affected by a change exactly when the start dates of their turns within the compared range
 * differ between the plan before and the plan after. The compared range is the handover dates both plans cover, so
 * a handover between the two plans, or plans of different lengths, changes nobody by itself. A member whose dates
 * did not change is never told, whatever the change was.
 *
 * Changes close together are coalesced: a change that comes within `windowMs` of the previous one joins its batch
 * (a quiet period, so a burst of operations or one refresh with many joins gives one message per person); the batch
 * compares the plan before its first change with the plan after its last, so a change undone within the batch
 * tells nobody, and each affected member hears the reasons of the changes that moved their dates.
 */
import { DateTime } from 'luxon';
import { compareMembers, memberLabel, sameMember } from './members';
import type { IsoDate, Member, Turn } from './types';

/** How one member's turns moved. */
export interface MemberTurnChange {
  member: Member;
  /** `joined`/`left`: the member joined or left the group in this change; `moved`: everyone else affected. */
  kind: 'joined' | 'left' | 'moved';
  /** Their turn start dates within the compared range, before and after. */
  before: IsoDate[];
  after: IsoDate[];
  /**
   * The dates that changed, paired in order: `from` → `to`. `to` null: no turn of theirs replaces it within the range
   * (their next one is after it, or none if they left); `from` null: a turn they did not have before.
   */
  moves: { from: IsoDate | null; to: IsoDate | null }[];
}

export interface PlanComparison {
  /** The handover dates both plans cover, inclusive; null when neither plan has a turn. */
  range: { from: IsoDate; to: IsoDate } | null;
  /** The affected members, in rotation-name order. */
  changes: MemberTurnChange[];
}

/** Who joined or left the group in the change (from `refreshMembers`), so their messages say so. */
export interface RosterDelta {
  joined?: readonly Member[];
  left?: readonly Member[];
}

/** The handover dates both plans cover: from the later first start to the earlier last start. */
function commonRange(before: readonly Turn[], after: readonly Turn[]): { from: IsoDate; to: IsoDate } | null {
  const bounds = [before, after]
    .filter((plan) => plan.length > 0)
    .map((plan) => {
      const starts = plan.map((t) => t.start).sort();
      return { from: starts[0] as IsoDate, to: starts[starts.length - 1] as IsoDate };
    });
  if (bounds.length === 0) return null;
  const from = bounds.map((b) => b.from).sort()[bounds.length - 1] as IsoDate;
  const to = bounds.map((b) => b.to).sort()[0] as IsoDate;
  return { from, to };
}

/**
 * Compares two plans: the members whose turn dates within the common range changed, and how. `everyJoiner`: a
 * member who joined is among them even with no turn in the range (in a large group their first turn can lie beyond
 * the plan: they still hear that they joined, and when their first turn comes after).
 */
export function comparePlans(
  before: readonly Turn[],
  after: readonly Turn[],
  roster: RosterDelta = {},
  { everyJoiner = false }: { everyJoiner?: boolean } = {},
): PlanComparison {
  const range = commonRange(before, after);
  if (!range) return { range, changes: [] };
  const inRange = (t: Turn) => t.start >= range.from && t.start <= range.to;
  const people = new Map<string, Member>();
  const datesOf = (plan: readonly Turn[]) => {
    const dates = new Map<string, IsoDate[]>();
    for (const turn of plan.filter(inRange)) {
      people.set(turn.member.id, people.get(turn.member.id) ?? turn.member);
      dates.set(turn.member.id, [...(dates.get(turn.member.id) ?? []), turn.start]);
    }
    return dates;
  };
  const beforeDates = datesOf(before);
  // The after plan's records are the fresher ones (a rename between the plans).
  const afterDates = datesOf(after);
  for (const turn of after) if (people.has(turn.member.id)) people.set(turn.member.id, turn.member);
  const changes: MemberTurnChange[] = [];
  for (const [id, member] of people) {
    const was = [...new Set(beforeDates.get(id) ?? [])].sort();
    const now = [...new Set(afterDates.get(id) ?? [])].sort();
    if (was.length === now.length && was.every((d, i) => d === now[i])) continue;
    const removed = was.filter((d) => !now.includes(d));
    const added = now.filter((d) => !was.includes(d));
    const moves = Array.from({ length: Math.max(removed.length, added.length) }, (_, i) => ({
      from: removed[i] ?? null,
      to: added[i] ?? null,
    }));
    const kind = roster.joined?.some((m) => m.id === id)
      ? 'joined'
      : roster.left?.some((m) => m.id === id)
        ? 'left'
        : 'moved';
    changes.push({ member, kind, before: was, after: now, moves });
  }
  if (everyJoiner) {
    for (const member of roster.joined ?? []) {
      const leftAgain = roster.left?.some((m) => m.id === member.id);
      if (leftAgain || changes.some((c) => c.member.id === member.id)) continue;
      changes.push({ member, kind: 'joined', before: [], after: [], moves: [] });
    }
  }
  changes.sort((a, b) => compareMembers(a.member, b.member));
  return { range, changes };
}

/** "13 Jan", with the year when it is not `referenceYear`'s. */
export function formatTurnDate(date: IsoDate, referenceYear?: number): string {
  const day = DateTime.fromISO(date, { zone: 'utc' });
  const format = referenceYear !== undefined && day.year !== referenceYear ? 'd LLL yyyy' : 'd LLL';
  return day.setLocale('en-GB').toFormat(format);
}

function yearOf(range: PlanComparison['range']): number | undefined {
  return range ? DateTime.fromISO(range.from, { zone: 'utc' }).year : undefined;
}

function why(reasons: readonly string[]): string {
  return reasons.length > 0 ? ` Why: ${reasons.join('; ')}.` : '';
}

function describeMoves(change: MemberTurnChange, range: PlanComparison['range']): string {
  const year = yearOf(range);
  const day = (d: IsoDate) => formatTurnDate(d, year);
  // Both plans cover the same handover dates, so a turn with no counterpart in the after plan now comes later.
  return change.moves
    .map(({ from, to }) => {
      if (from && to) return `${day(from)} → ${day(to)}`;
      if (from) return `${day(from)} → later`;
      return `new turn ${day(to as IsoDate)}`;
    })
    .join('; ');
}

/**
 * The direct message to one affected member: "Your Support Triager turns changed: 13 Jan → 20 Jan; 10 Mar → 17 Mar.
 * Why: Dan joined the group." A newcomer hears their first turns; a leaver which turns are no longer theirs.
 */
export function renderChangeMessage(
  roleTitle: string,
  change: MemberTurnChange,
  reasons: readonly string[],
  range: PlanComparison['range'],
): string {
  const year = yearOf(range);
  const day = (d: IsoDate) => formatTurnDate(d, year);
  switch (change.kind) {
    case 'joined': {
      const [first, ...rest] = change.after;
      const then =
        rest.length > 0 ? ` (then ${rest.slice(0, 3).map(day).join(', ')}${rest.length > 3 ? ', …' : ''})` : '';
      const turn = first
        ? `your first turn starts ${day(first)}${then}`
        : `your first turn starts after ${range ? day(range.to) : 'the planned turns'}`;
      return `You joined the ${roleTitle} rotation: ${turn}.${why(reasons)}`;
    }
    case 'left': {
      const first = change.before[0];
      const lost = first ? `your turns from ${day(first)} are no longer yours` : 'you have no more turns';
      return `You left the ${roleTitle} group: ${lost}.${why(reasons)}`;
    }
    case 'moved':
      return `Your ${roleTitle} turns changed: ${describeMoves(change, range)}.${why(reasons)}`;
  }
}

/** One line per affected member, for the operators (the role's channel or the CLI). */
export function renderOperatorSummary(
  roleTitle: string,
  comparison: PlanComparison,
  reasons: readonly string[],
): string {
  const cause = reasons.length > 0 ? ` (${reasons.join('; ')})` : '';
  const { changes, range } = comparison;
  if (changes.length === 0) return `${roleTitle} plan changed${cause}: no member's turns moved.`;
  const year = yearOf(range);
  const lines = changes.map((change) => {
    const who = memberLabel(change.member);
    if (change.kind === 'joined') {
      const first = change.after[0];
      return `• ${who} joined: first turn ${first ? formatTurnDate(first, year) : 'after the plan'}`;
    }
    if (change.kind === 'left') {
      const first = change.before[0];
      return `• ${who} left: turns from ${first ? formatTurnDate(first, year) : '—'} reassigned`;
    }
    return `• ${who}: ${describeMoves(change, range)}`;
  });
  const count = changes.length === 1 ? '1 member affected' : `${changes.length} members affected`;
  return [`${roleTitle} plan changed${cause}: ${count}.`, ...lines].join('\n');
}

/** One change of the plan as the workflow records it. */
export interface PlanChange {
  /** When it happened (ms since the epoch, workflow time). */
  at: number;
  /** Why, in words for people: "Dan joined the group", "an operator skipped Eve". */
  reason: string;
  before: Turn[];
  after: Turn[];
  joined?: Member[];
  left?: Member[];
}

/** Reasons a batch keeps at most; more are summarised as one more reason. */
export const MAX_BATCH_REASONS = 20;

/**
 * Changes coalesced into one notice. Plain JSON and bounded (two plans and at most `MAX_BATCH_REASONS` reasons),
 * so the workflow can keep the open batch in its state.
 */
export interface ChangeBatch {
  openedAt: number;
  lastAt: number;
  /** The plan before the batch's first change, and after its latest. */
  before: Turn[];
  after: Turn[];
  /** Net roster change over the batch. */
  joined: Member[];
  left: Member[];
  /** Each reason with the members its changes affected (IDs), in order. */
  reasons: { reason: string; affected: string[] }[];
  /** Changes whose reasons were dropped to keep the batch bounded. */
  more: number;
}

function stepAffected(change: PlanChange): string[] {
  return comparePlans(change.before, change.after, change).changes.map((c) => c.member.id);
}

/**
 * Adds a change: to the open batch if it came within `windowMs` of that batch's latest change, otherwise it opens a
 * new batch and the previous one is returned as closed (ready to be told).
 */
export function addChange(
  batch: ChangeBatch | null,
  change: PlanChange,
  windowMs: number,
): { closed: ChangeBatch | null; open: ChangeBatch } {
  if (!batch || change.at - batch.lastAt > windowMs) {
    const open: ChangeBatch = {
      openedAt: change.at,
      lastAt: change.at,
      before: change.before,
      after: change.after,
      joined: [...(change.joined ?? [])],
      left: [...(change.left ?? [])],
      reasons: [{ reason: change.reason, affected: stepAffected(change) }],
      more: 0,
    };
    return { closed: batch, open };
  }
  const notIn = (list: readonly Member[]) => (m: Member) => !list.some((x) => sameMember(x, m));
  // Net roster: a join undone by a leave within the batch (or the other way round) cancels out.
  const joined = [...batch.joined.filter(notIn(change.left ?? [])), ...(change.joined ?? []).filter(notIn(batch.left))];
  const left = [...batch.left.filter(notIn(change.joined ?? [])), ...(change.left ?? []).filter(notIn(batch.joined))];
  const affected = stepAffected(change);
  const known = batch.reasons.some((r) => r.reason === change.reason);
  const room = batch.reasons.length < MAX_BATCH_REASONS;
  const reasons = known
    ? batch.reasons.map((r) =>
        r.reason === change.reason ? { reason: r.reason, affected: [...new Set([...r.affected, ...affected])] } : r,
      )
    : room
      ? [...batch.reasons, { reason: change.reason, affected }]
      : batch.reasons;
  const open: ChangeBatch = {
    ...batch,
    lastAt: change.at,
    after: change.after,
    joined,
    left,
    reasons,
    more: known || room ? batch.more : batch.more + 1,
  };
  return { closed: null, open };
}

/** Whether the batch's quiet period is over at `now`: no change for `windowMs`. */
export function batchDue(batch: ChangeBatch, now: number, windowMs: number): boolean {
  return now - batch.lastAt >= windowMs;
}

export interface CoalescedChange {
  openedAt: number;
  lastAt: number;
  comparison: PlanComparison;
  /** Every reason of the batch, in order. */
  reasons: string[];
  /** Per affected member (ID): the reasons of the changes that moved their dates. */
  reasonsFor: Record<string, string[]>;
}

/** What a batch tells: the net comparison, and per affected member the reasons that concern them. */
export function summarizeBatch(batch: ChangeBatch, options: { everyJoiner?: boolean } = {}): CoalescedChange {
  const comparison = comparePlans(batch.before, batch.after, batch, options);
  const more = batch.more > 0 ? [`${batch.more} more change(s)`] : [];
  const reasons = [...batch.reasons.map((r) => r.reason), ...more];
  const reasonsFor: Record<string, string[]> = {};
  for (const change of comparison.changes) {
    const own = batch.reasons.filter((r) => r.affected.includes(change.member.id)).map((r) => r.reason);
    // Net moves with no single step to blame (steps compared over other ranges): give every reason.
    reasonsFor[change.member.id] = own.length > 0 ? [...own, ...more] : reasons;
  }
  return { openedAt: batch.openedAt, lastAt: batch.lastAt, comparison, reasons, reasonsFor };
}

/** Coalesces a list of changes (oldest first) into batches: the pure form of `addChange` over a whole list. */
export function coalesceChanges(changes: readonly PlanChange[], windowMs: number): CoalescedChange[] {
  const batches: ChangeBatch[] = [];
  let open: ChangeBatch | null = null;
  for (const change of [...changes].sort((a, b) => a.at - b.at)) {
    const step = addChange(open, change, windowMs);
    if (step.closed) batches.push(step.closed);
    open = step.open;
  }
  if (open) batches.push(open);
  return batches.map((batch) => summarizeBatch(batch));
}

/** The idempotency key of one member's message about one batch (message metadata, as for handover messages). */
export function changeNoticeKey(role: string, batch: Pick<ChangeBatch, 'openedAt'>, memberId: string): string {
  return `${role}:plan-change:${batch.openedAt}:${memberId}`;
}
