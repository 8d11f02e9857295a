/**
 * The rotation engine: who serves next, and how operator requests (override, skip, swap, pause) and membership
 * changes move the rotation. Every function is pure and every state is plain JSON, so workflow code can call them
 * and keep the state in history and across continue-as-new.
 *
 * How the next member is chosen (`upcomingMember`):
 * - Members rotate in `sortMembers` order. `cursor` is the member whose place in that order the latest turn took
 *   ("natural place"); the next natural place is the one after it, found by comparison, so it still works when the
 *   cursor member has left the group.
 * - A member who cannot serve at their place (skipped) is passed over and put in `owed`; the place goes to the next
 *   member in order. Owed members are served first at the next handover they can serve, so a skip moves a turn
 *   later instead of losing it (A B C D with B skipped once gives A C B D).
 * - A swap exchanges the next turns of two members: the first of their places to come goes to the other member,
 *   and then the other member's next place goes back to the first.
 * - With two slots the member who just took up the role (the present incoming, about to become current) never
 *   takes the next turn as well, so incoming and current always differ when the group has two or more members.
 * - When no one can serve (everyone else is skipped), the turn goes by plain order and a warning says so.
 */
import type { RoleSchedule } from './schedule';
import { RotationError } from './errors';
import { compareMembers, findMember, memberById, memberLabel, sameMember, sortMembers } from './members';
import { alignToHandoverDate, followingHandoverDate, parseIsoDate, turnEnd } from './schedule';
import type { IsoDate, Member, Turn } from './types';

/** Skip the turns starting within [from, to] (inclusive), or the member's next turn only. */
export type SkipEntry =
  { kind: 'range'; member: Member; from: IsoDate; to: IsoDate } | { kind: 'next'; member: Member };

/**
 * A pending exchange of two members' next turns. `servedEarly` is null until the first of the two turns has been
 * served (by the other member); from then on it is the member who served early, whose next place goes to the other.
 */
export interface SwapEntry {
  first: Member;
  second: Member;
  servedEarly: Member | null;
}

export interface RotationState {
  role: string;
  slots: 1 | 2;
  /** Rotation order (`sortMembers`) as of the latest refresh. */
  members: Member[];
  /** slots=2: the member who took up the role most recently; slots=1: always null. */
  incoming: Member | null;
  /** slots=2: the one serving their second week (or month); slots=1: the only one serving. */
  current: Member | null;
  paused: boolean;
  /** Who served when, oldest first, at most the history limit. */
  history: Turn[];
  lastHandoverKey: string | null;
  /** The natural place in the order of the latest turn: the rotation continues with the member after it. */
  cursor: Member | null;
  /** Members passed over by a skip, owed a turn, first owed first. */
  owed: Member[];
  skips: SkipEntry[];
  swaps: SwapEntry[];
}

export interface Selection {
  member: Member;
  warnings: string[];
}

/** A new rotation. `seed` names who serves now (e.g. from the old `team-roles.json`); they may have left the group. */
export function initialState(
  role: string,
  slots: 1 | 2,
  members: readonly Member[],
  seed?: { incoming?: Member | null; current?: Member | null },
): RotationState {
  const sorted = sortMembers(members);
  const fresh = (m: Member | null | undefined): Member | null => (m ? (memberById(sorted, m.id) ?? { ...m }) : null);
  const incoming = fresh(seed?.incoming);
  const current = fresh(seed?.current);
  if (slots === 1 && incoming) {
    throw new RotationError('invalid-request', `Role "${role}" has one slot: seed the member serving as current.`);
  }
  if (slots === 2 && sameMember(incoming, current) && sorted.length >= 2) {
    throw sameMemberError(incoming as Member);
  }
  return {
    role,
    slots,
    members: sorted,
    incoming,
    current,
    paused: false,
    history: [],
    lastHandoverKey: null,
    cursor: slots === 2 ? (incoming ?? current) : current,
    owed: [],
    skips: [],
    swaps: [],
  };
}

/** Who takes the turn starting on `turnStart`, without consuming anything. */
export function upcomingMember(state: RotationState, turnStart: IsoDate): Selection {
  const { member, warnings } = select(state, turnStart);
  return { member, warnings };
}

/**
 * Hands over for the turn `turn`: with two slots the incoming member becomes current and the upcoming member
 * incoming; with one slot the upcoming member becomes current. Applying the same `key` twice changes nothing.
 */
export function applyHandover(
  state: RotationState,
  turn: { start: IsoDate; end: IsoDate },
  key: string,
  historyLimit: number,
): { state: RotationState; turn: Turn | null; warnings: string[] } {
  if (key === state.lastHandoverKey) return { state, turn: null, warnings: [] };
  const { next, turn: served, warnings } = advance(state, turn, historyLimit);
  return { state: { ...next, lastHandoverKey: key }, turn: served, warnings };
}

/**
 * Takes the group's members as they are now. Only future turns change: a member who left is never assigned again
 * (an incoming or current member who left keeps serving their turn); a newcomer takes their place in the order.
 */
export function refreshMembers(
  state: RotationState,
  members: readonly Member[],
): { state: RotationState; joined: Member[]; left: Member[]; warnings: string[] } {
  const sorted = sortMembers(members);
  if (sorted.length === 0) {
    throw new RotationError(
      'empty-group',
      `The ${state.role} group has no members: keeping the previous ${state.members.length} member(s).`,
    );
  }
  const joined = sorted.filter((m) => !memberById(state.members, m.id));
  const left = state.members.filter((m) => !memberById(sorted, m.id));
  const warnings: string[] = [];
  /** The group's record (fresh display name) of a member still in it; undefined if they left. */
  const stay = (m: Member): Member | undefined => memberById(sorted, m.id);
  const keep = (m: Member | null): Member | null => (m ? (stay(m) ?? m) : null);

  const incoming = keep(state.incoming);
  let current = keep(state.current);
  for (const m of [incoming, current]) {
    if (m && left.some((l) => sameMember(l, m)))
      warnings.push(`${memberLabel(m)} left the ${state.role} group but finishes their turn.`);
  }
  if (state.slots === 2 && sorted.length >= 2 && sameMember(incoming, current)) {
    // A lone member served both slots; now that others have joined, they keep only the incoming slot.
    warnings.push(
      `${memberLabel(incoming as Member)} no longer serves both slots; the current slot is empty until the next handover.`,
    );
    current = null;
  }
  if (sorted.length === 1) warnings.push(aloneWarning(state.role, sorted[0] as Member));

  const swaps: SwapEntry[] = [];
  for (const swap of state.swaps) {
    const first = stay(swap.first);
    const second = stay(swap.second);
    if (first && second) swaps.push({ first, second, servedEarly: swap.servedEarly ? keep(swap.servedEarly) : null });
    else
      warnings.push(
        `Swap of ${memberLabel(swap.first)} and ${memberLabel(swap.second)} dropped: one has left the group.`,
      );
  }
  const next: RotationState = {
    ...state,
    members: sorted,
    incoming,
    current,
    owed: state.owed.flatMap((m) => stay(m) ?? []),
    skips: state.skips.flatMap((s) => {
      const member = stay(s.member);
      return member ? [{ ...s, member }] : [];
    }),
    swaps,
  };
  return { state: next, joined, left, warnings };
}

/**
 * Sets who is incoming and/or current now. The rotation continues after the new incoming (two slots) or the new
 * current (one slot).
 */
export function override(state: RotationState, request: { incoming?: string; current?: string }): RotationState {
  const given = (ref: string | undefined): ref is string => ref !== undefined && ref.trim() !== '';
  if (!given(request.incoming) && !given(request.current)) {
    throw new RotationError('invalid-request', 'Override needs a member for incoming and/or current.');
  }
  if (state.slots === 1 && given(request.incoming)) {
    throw new RotationError(
      'invalid-request',
      `Role "${state.role}" has one slot: override the current member (there is no incoming one).`,
    );
  }
  const incoming = given(request.incoming) ? findMember(state.members, request.incoming) : state.incoming;
  const current = given(request.current) ? findMember(state.members, request.current) : state.current;
  if (state.slots === 2 && state.members.length >= 2 && sameMember(incoming, current)) {
    throw sameMemberError(incoming as Member);
  }
  const leader = state.slots === 2 ? (given(request.incoming) ? incoming : null) : current;
  const serving = [incoming, current];
  return {
    ...state,
    incoming: state.slots === 2 ? incoming : null,
    current,
    cursor: leader ?? state.cursor,
    owed: state.owed.filter((m) => !serving.some((s) => sameMember(s, m))),
  };
}

/**
 * Skips a member's turns that start within [from, to] (inclusive; `from` alone is that one date, `to` alone starts
 * today), or their next turn only (`next`). The member is not lost from the cycle: they are served at the first
 * later handover they can take.
 */
export function skip(
  state: RotationState,
  request: { member: string; from?: IsoDate; to?: IsoDate; next?: boolean },
  today: IsoDate,
): RotationState {
  const hasRange = request.from !== undefined || request.to !== undefined;
  const next = request.next === true;
  if (hasRange === next) {
    throw new RotationError(
      'invalid-request',
      'Skip needs either a date range (from/to) or next=true for the next turn only, not both.',
    );
  }
  const member = findMember(state.members, request.member);
  const todayDate = parseIsoDate(today);
  const skips = activeSkips(state.skips, todayDate);
  if (next) {
    const already = skips.some((s) => s.kind === 'next' && sameMember(s.member, member));
    return { ...state, skips: already ? skips : [...skips, { kind: 'next', member }] };
  }
  const from = request.from !== undefined ? parseIsoDate(request.from) : todayDate;
  const to = request.to !== undefined ? parseIsoDate(request.to) : from;
  if (to < from) throw new RotationError('invalid-range', `Skip range ends (${to}) before it starts (${from}).`);
  if (to < todayDate)
    throw new RotationError('invalid-range', `Skip range ${from}..${to} is in the past (today is ${todayDate}).`);
  return { ...state, skips: [...skips, { kind: 'range', member, from, to }] };
}

/** The two members exchange their next turns. */
export function swap(state: RotationState, request: { first: string; second: string }, today: IsoDate): RotationState {
  const first = findMember(state.members, request.first);
  const second = findMember(state.members, request.second);
  if (sameMember(first, second)) {
    throw new RotationError('same-member', `Cannot swap ${memberLabel(first)} with themselves.`);
  }
  const busy = state.swaps.find((s) => [s.first, s.second].some((m) => sameMember(m, first) || sameMember(m, second)));
  if (busy) {
    throw new RotationError(
      'invalid-request',
      `${memberLabel(busy.first)} and ${memberLabel(busy.second)} already have a pending swap: one swap per member at a time.`,
    );
  }
  return {
    ...state,
    skips: activeSkips(state.skips, parseIsoDate(today)),
    swaps: [...state.swaps, { first, second, servedEarly: null }],
  };
}

export function pause(state: RotationState): RotationState {
  return { ...state, paused: true };
}

export function resume(state: RotationState): RotationState {
  return { ...state, paused: false };
}

/** The next `count` turns from `firstStart` (a handover date), honouring skips and swaps, without changing `state`. */
export function planFromState(role: RoleSchedule, state: RotationState, firstStart: IsoDate, count: number): Turn[] {
  return simulate(role, state, firstStart, count).turns;
}

/** `planFromState` with the warnings the handovers would give (each once, in order). */
export function simulate(
  role: RoleSchedule,
  state: RotationState,
  firstStart: IsoDate,
  count: number,
): { turns: Turn[]; warnings: string[] } {
  if (!Number.isInteger(count) || count < 1) {
    throw new RotationError(
      'invalid-request',
      `The number of turns must be a whole number of at least 1 (got ${count}).`,
    );
  }
  const turns: Turn[] = [];
  const warnings: string[] = [];
  let simulated = state;
  let start = parseIsoDate(firstStart);
  for (let i = 0; i < count; i++) {
    const step = advance(simulated, { start, end: turnEnd(role, start) }, 0);
    turns.push(step.turn);
    for (const warning of step.warnings) if (!warnings.includes(warning)) warnings.push(warning);
    simulated = step.next;
    start = followingHandoverDate(role, start);
  }
  return { turns, warnings };
}

/**
 * A plan from scratch: the first turn (on the first handover date on/after `from`) goes to the member after
 * `lastMember` in order, or to the first member when null.
 */
export function planTurns(
  role: RoleSchedule,
  members: readonly Member[],
  lastMember: Member | null,
  from: IsoDate,
  count: number,
): Turn[] {
  if (members.length === 0) throw new RotationError('empty-group', 'Nobody to plan: the member list is empty.');
  const seed = role.slots === 2 ? { incoming: lastMember } : { current: lastMember };
  const state = initialState('rotation', role.slots, members, seed);
  return planFromState(role, state, alignToHandoverDate(role, parseIsoDate(from)), count);
}

// ---------------------------------------------------------------------------------------------------------------

function sameMemberError(member: Member): RotationError {
  return new RotationError('same-member', `${memberLabel(member)} cannot be both incoming and current.`);
}

function emptyGroup(state: RotationState): RotationError {
  return new RotationError('empty-group', `The ${state.role} group has no members: nobody can take the turn.`);
}

function aloneWarning(role: string, member: Member): string {
  return `${memberLabel(member)} is the only member of the ${role} group and serves alone.`;
}

/** Skip entries that can still apply on or after `date`. */
function activeSkips(skips: readonly SkipEntry[], date: IsoDate): SkipEntry[] {
  return skips.filter((s) => s.kind === 'next' || s.to >= date);
}

/** The member who took up the role most recently, who must not take the next turn too (two or more members). */
function blockedMember(state: RotationState): Member | null {
  if (state.members.length < 2) return null;
  return state.slots === 2 ? state.incoming : state.current;
}

/**
 * Index in `members` of the first natural place after the cursor: the first member who sorts after the cursor's
 * record. Comparing (rather than looking the cursor up) keeps the place when the cursor member has left or renamed.
 */
function naturalStart(state: RotationState): number {
  const { cursor, members } = state;
  const after = cursor ? members.findIndex((m) => compareMembers(m, cursor) > 0) : 0;
  return after >= 0 ? after : 0;
}

interface Choice {
  member: Member;
  cursor: Member | null;
  owed: Member[];
  skips: SkipEntry[];
  swaps: SwapEntry[];
  warnings: string[];
}

/** Chooses the member for the turn starting on `start` and the bookkeeping that choice consumes. */
function select(state: RotationState, start: IsoDate): Choice {
  const { members } = state;
  if (members.length === 0) throw emptyGroup(state);
  const warnings: string[] = [];
  if (members.length === 1) warnings.push(aloneWarning(state.role, members[0] as Member));
  const blocked = blockedMember(state);
  const owed = [...state.owed];
  let skips = [...state.skips];
  let swaps = [...state.swaps];
  /** Members already passed over for this turn: they cannot come back within the same choice. */
  const passed: Member[] = [];

  const isMember = (m: Member) => memberById(members, m.id) !== undefined;
  const rangeSkipped = (m: Member) =>
    skips.some((s) => s.kind === 'range' && sameMember(s.member, m) && s.from <= start && start <= s.to);
  const nextSkip = (m: Member) => skips.find((s) => s.kind === 'next' && sameMember(s.member, m));
  const skipped = (m: Member) => rangeSkipped(m) || nextSkip(m) !== undefined;
  const free = (m: Member) =>
    isMember(m) && !sameMember(m, blocked) && !skipped(m) && !passed.some((p) => sameMember(p, m));
  const removeOwed = (m: Member) => {
    const at = owed.findIndex((o) => sameMember(o, m));
    if (at >= 0) owed.splice(at, 1);
  };
  /** Passes over a skipped member: they are owed a turn, and a "next turn" skip is used up. */
  const passOver = (m: Member) => {
    passed.push(m);
    const used = rangeSkipped(m) ? undefined : nextSkip(m);
    if (used) skips = skips.filter((s) => s !== used);
    if (!owed.some((o) => sameMember(o, m))) owed.push(m);
  };

  /** Offers the place owned by `owner` (their natural place, or the turn they are owed); who serves it, if anyone. */
  const offer = (owner: Member): Member | null => {
    const entry = swaps.find((s) =>
      s.servedEarly ? sameMember(s.servedEarly, owner) : sameMember(s.first, owner) || sameMember(s.second, owner),
    );
    if (entry) {
      const other = sameMember(entry.first, owner) ? entry.second : entry.first;
      swaps = swaps.filter((s) => s !== entry);
      if (entry.servedEarly === null) {
        if (free(other)) {
          swaps.push({ ...entry, servedEarly: other });
          return other;
        }
        warnings.push(
          `Swap of ${memberLabel(entry.first)} and ${memberLabel(entry.second)} dropped: ${memberLabel(other)} cannot take the turn starting ${start}.`,
        );
      } else {
        // `owner` already served `other`'s turn: this place is `other`'s.
        if (free(other)) return other;
        if (isMember(other) && skipped(other)) passOver(other);
        else warnings.push(`${memberLabel(other)} cannot take the turn swapped to them (starting ${start}).`);
        return null;
      }
    }
    if (free(owner)) return owner;
    if (isMember(owner) && skipped(owner) && !passed.some((p) => sameMember(p, owner))) passOver(owner);
    return null;
  };

  const choose = (member: Member, cursor: Member | null): Choice => {
    removeOwed(member);
    return { member, cursor, owed, skips, swaps, warnings };
  };

  // 1. Turns owed to skipped members come first, oldest first.
  for (const owner of [...owed]) {
    if (!isMember(owner)) {
      removeOwed(owner);
      continue;
    }
    const server = offer(owner);
    if (server) {
      removeOwed(owner);
      return choose(server, state.cursor);
    }
  }
  // 2. Then the natural order after the cursor.
  const first = naturalStart(state);
  for (let step = 0; step < members.length; step++) {
    const owner = members[(first + step) % members.length] as Member;
    const server = offer(owner);
    if (server) return choose(server, owner);
  }
  // 3. Nobody can serve: plain order, ignoring skips and swaps (but never the member who just took up the role).
  const inOrder = members.map((_, step) => members[(first + step) % members.length] as Member);
  const fallback = inOrder.find((m) => !sameMember(m, blocked)) as Member;
  return {
    member: fallback,
    cursor: fallback,
    owed: state.owed.filter((m) => !sameMember(m, fallback) && isMember(m)),
    skips: state.skips.filter((s) => !(s.kind === 'next' && sameMember(s.member, fallback))),
    swaps: state.swaps,
    warnings: [
      ...(members.length === 1 ? [aloneWarning(state.role, fallback)] : []),
      `Everyone who could take the turn starting ${start} is skipped: ${memberLabel(fallback)} takes it by plain order.`,
    ],
  };
}

/** One handover: the chosen member takes the turn; `historyLimit` 0 keeps no history (plans). */
function advance(
  state: RotationState,
  turn: { start: IsoDate; end: IsoDate },
  historyLimit: number,
): { next: RotationState; turn: Turn; warnings: string[] } {
  const choice = select(state, turn.start);
  const served: Turn = { member: choice.member, start: turn.start, end: turn.end };
  const limit = Math.max(0, Math.floor(historyLimit));
  const history = limit === 0 ? [] : [...state.history, served].slice(-limit);
  const next: RotationState = {
    ...state,
    incoming: state.slots === 2 ? choice.member : null,
    current: state.slots === 2 ? state.incoming : choice.member,
    history,
    cursor: choice.cursor,
    owed: choice.owed,
    skips: activeSkips(choice.skips, turn.start),
    swaps: choice.swaps,
  };
  return { next, turn: served, warnings: choice.warnings };
}
