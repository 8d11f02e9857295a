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
 *
 * Roster rules (issue 16), for states with `rules` (new rotations; `configureRules` adopts an older state). `F` is
 * the frozen window in turns (`frozenTurnCount`: `freezeWeeks` turns for a weekly role, ⌈freezeWeeks / 4⌉ for a
 * monthly one):
 * - The rotation keeps its own cyclic order (`rules.order`) instead of the alphabetical one. A join or leave seen in
 *   the Slack group takes effect once the next F turns have started; until then the rotation goes on as planned
 *   before the change. The turns inside the window stay exactly as planned, with two exceptions: a leaver's own
 *   turns, and a turn whose member would otherwise serve two turns in a row (which the rotation never does when two
 *   or more can serve) or who was skipped by an operator and had the turn only because nobody else could serve.
 * - A newcomer enters the cycle behind everyone: right after the place of the turn that ends the frozen window,
 *   which counts as passed, so they serve after every member already there has served once more. No turn before
 *   the newcomer's first moves; every turn from it on moves one turn later.
 * - A leaver serves no more turns (one serving now finishes that turn). Each of their turns inside the window goes
 *   to the member the rotation without them would serve first after the window's other turns (`balance`: the most
 *   owed who can take it), who gives up their own next place in return so that nobody serves twice for it. When the
 *   leave takes effect the leaver drops out of the cycle and everyone behind them moves up one turn.
 * - So a roster change never reorders the others: each member keeps their place in the cycle and their spacing.
 *   A join moves the newcomer's first turn and the turns after it (later); a leave moves the leaver's turns and
 *   the turns after them (earlier), except those inside the window, which stay. A member with no planned turn
 *   among those keeps every date. No rule that keeps the window, keeps the others' order and lets a newcomer serve
 *   within one round of joining affects fewer members.
 * - A member who leaves and comes back before their leave takes effect keeps their place (their frozen turns stay
 *   with whoever took them); a newcomer who leaves before entering never enters. If everyone in the rotation has
 *   left, the newcomers enter at once.
 *
 * Fairness (issue 17), for states with `rules`: a ledger (fairness.ts) counts turns served, turns skipped (absence,
 * operator, left) and each member's equal share. With `fairness: 'balance'` the turn goes to the member who can take
 * it and owes the most turns (share − served), ties by the cyclic order after the latest turn's place, so two
 * members in the rotation and able to serve throughout never differ by more than one turn served (outside a
 * frozen window, where a leaver's turn may run one ahead until the next turn evens it); `owed` is then bookkeeping
 * only. With `cycle` (the default) the choice is the plain rotation above, bit for bit.
 */
import type { RoleSchedule } from './schedule';
import { RotationError } from './errors';
import {
  closeAccount,
  openAccount,
  owedKey,
  openAccountOf,
  recordHandover,
  renameAccounts,
  reopenAccount,
  type FairnessLedger,
  type LedgerSkipReason,
} from './fairness';
import { compareMembers, findMember, memberById, memberLabel, sameMember, sortMembers } from './members';
import type { Fairness } from './roleRules';
import { alignToHandoverDate, followingHandoverDate, parseIsoDate, turnEnd } from './schedule';
import type { IsoDate, Member, Turn } from './types';

/** Why a member is skipped: an operator asked (the default, and what entries without `reason` mean) or an absence. */
export type SkipReason = 'absence' | 'operator';

/** Skip the turns starting within [from, to] (inclusive), or the member's next turn only. */
export type SkipEntry =
  | { kind: 'range'; member: Member; from: IsoDate; to: IsoDate; reason?: SkipReason }
  | { kind: 'next'; member: Member; reason?: SkipReason };

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
  /** The roster and fairness rules (issues 16, 17): set for new rotations, absent in older states (old rules). */
  rules?: RotationRules;
}

/** A join or leave seen in the group that takes effect after `inTurns` more handovers (the frozen window). */
export interface RosterChange {
  kind: 'join' | 'leave';
  member: Member;
  inTurns: number;
}

/**
 * Keeps a frozen turn as planned: at the handover `inTurns` away (0: the next one), the turn the rotation would give
 * to `insteadOf` (a leaver, or a member the change would otherwise bring into the window) goes to `member`.
 */
export interface Substitute {
  insteadOf: Member;
  member: Member;
  inTurns: number;
}

export interface RotationSettings {
  /** Turns a join or leave waits before it takes effect (`frozenTurnCount` of the role's `freezeWeeks`). */
  freezeTurns: number;
  fairness: Fairness;
}

export interface RotationRules extends RotationSettings {
  /** The members in the rotation, in cyclic order: the group as of the changes in effect (a leaver stays until then). */
  order: Member[];
  /** Changes seen and not yet in effect, oldest first. */
  pending: RosterChange[];
  substitutes: Substitute[];
  /** Members who took a frozen turn not theirs: their next place in the cycle passes to the member after them. */
  servedAhead: Member[];
  ledger: FairnessLedger;
}

/** Where `refreshMembers` finds the frozen window: the role's schedule and the next handover date. */
export interface RosterSchedule {
  role: RoleSchedule;
  nextHandover: IsoDate;
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
  settings?: RotationSettings,
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
    ...(settings ? { rules: newRules(settings, sorted) } : {}),
  };
}

function newRules(settings: RotationSettings, order: Member[]): RotationRules {
  return {
    ...validSettings(settings),
    order,
    pending: [],
    substitutes: [],
    servedAhead: [],
    ledger: order.reduce<FairnessLedger>((ledger, m) => openAccount(ledger, m), []),
  };
}

function validSettings(settings: RotationSettings): RotationSettings {
  const { freezeTurns, fairness } = settings;
  if (!Number.isInteger(freezeTurns) || freezeTurns < 0) {
    throw new RotationError(
      'invalid-request',
      `The frozen window must be a whole number of turns (got ${freezeTurns}).`,
    );
  }
  if (fairness !== 'cycle' && fairness !== 'balance') {
    throw new RotationError('invalid-request', `Fairness must be "cycle" or "balance" (got ${String(fairness)}).`);
  }
  return { freezeTurns, fairness };
}

/**
 * Puts a rotation under the roster and fairness rules with these settings, or updates the settings of one already
 * under them. An older state is adopted as it stands: its cycle is the alphabetical order it had and its ledger
 * opens at zero, so the next turns are exactly those the old rules would give until the group or the settings change.
 */
export function configureRules(state: RotationState, settings: RotationSettings): RotationState {
  const valid = validSettings(settings);
  if (state.rules) {
    const same = state.rules.freezeTurns === valid.freezeTurns && state.rules.fairness === valid.fairness;
    // A balance needs no cycle corrections (`servedAhead`): the ledger already counts the early turns.
    const servedAhead = valid.fairness === 'balance' ? [] : state.rules.servedAhead;
    return same ? state : { ...state, rules: { ...state.rules, ...valid, servedAhead } };
  }
  const rules = newRules(valid, state.members);
  // The old rules find the next place by comparing names, so a renamed cursor member keeps the place of their old
  // name; point the cursor at the member before that place, which the cycle then finds by ID.
  const first = naturalStart(state, state.members);
  const before = state.members[(first + state.members.length - 1) % Math.max(1, state.members.length)];
  const cursor = state.cursor && memberById(state.members, state.cursor.id) && before ? before : state.cursor;
  return { ...state, cursor, rules };
}

/**
 * Who serves now: the incoming and the current member with two slots, the one member with one (each once). What a
 * role's on-duty group holds.
 */
export function servingMembers(state: RotationState): Member[] {
  const serving = state.slots === 2 ? [state.incoming, state.current] : [state.current];
  return serving.filter(
    (member, i): member is Member => member !== null && serving.findIndex((m) => m?.id === member.id) === i,
  );
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

export interface RefreshResult {
  state: RotationState;
  /** Members new to the group, and members no longer in it, since the previous refresh. */
  joined: Member[];
  left: Member[];
  warnings: string[];
}

/**
 * Takes the group's members as they are now. Only future turns change: a member who left is never assigned again
 * (an incoming or current member who left keeps serving their turn); a newcomer takes their place in the order.
 * Under the roster rules (`state.rules`) the changes wait for the frozen window and a newcomer enters behind
 * everyone (see the top of this file); `schedule` must then say where the window starts.
 */
export function refreshMembers(
  state: RotationState,
  members: readonly Member[],
  schedule?: RosterSchedule,
): RefreshResult {
  const sorted = sortMembers(members);
  if (sorted.length === 0) {
    throw new RotationError(
      'empty-group',
      `The ${state.role} group has no members: keeping the previous ${state.members.length} member(s).`,
    );
  }
  const joined = sorted.filter((m) => !memberById(state.members, m.id));
  const left = state.members.filter((m) => !memberById(sorted, m.id));
  if (state.rules) return refreshUnderRules(state, state.rules, sorted, joined, left, schedule);
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

/** The member records the group has now for those still in it; leavers keep theirs. */
function freshRecords(sorted: readonly Member[]) {
  const fresh = (m: Member): Member => memberById(sorted, m.id) ?? m;
  const freshOrNull = (m: Member | null): Member | null => (m ? fresh(m) : null);
  return { fresh, freshOrNull };
}

function refreshUnderRules(
  state: RotationState,
  rules: RotationRules,
  sorted: Member[],
  joined: Member[],
  left: Member[],
  schedule: RosterSchedule | undefined,
): RefreshResult {
  const { fresh, freshOrNull } = freshRecords(sorted);
  const warnings: string[] = [];
  for (const m of [state.incoming, state.current]) {
    if (m && left.some((l) => sameMember(l, m)))
      warnings.push(`${memberLabel(m)} left the ${state.role} group but finishes their turn.`);
  }
  if (sorted.length === 1) warnings.push(aloneWarning(state.role, sorted[0] as Member));
  const pendingOf = (kind: RosterChange['kind'], m: Member) =>
    rules.pending.find((c) => c.kind === kind && sameMember(c.member, m));

  // A change that undoes a pending one cancels it: the member never left (or never entered) the rotation.
  const cancelled = new Set<RosterChange>();
  let ledger = rules.ledger;
  for (const m of joined) {
    const leave = pendingOf('leave', m);
    if (leave) {
      cancelled.add(leave);
      ledger = reopenAccount(ledger, m);
      warnings.push(`${memberLabel(m)} is back in the ${state.role} group before their leave took effect.`);
    }
  }
  for (const m of left) {
    const join = pendingOf('join', m);
    if (join) cancelled.add(join);
  }
  const entering = joined.filter((m) => !pendingOf('leave', m));
  const leaving = left.filter((m) => !pendingOf('join', m) && memberById(rules.order, m.id));
  const date = schedule?.nextHandover ?? null;
  if (joined.length + left.length > 0 && !schedule) {
    throw new RotationError(
      'invalid-request',
      'refreshMembers needs the role schedule and the next handover date to keep the frozen window.',
    );
  }
  for (const m of leaving) ledger = closeAccount(ledger, m, date as IsoDate);

  const F = rules.freezeTurns;
  let next: RotationState = {
    ...state,
    members: sorted,
    incoming: freshOrNull(state.incoming),
    current: freshOrNull(state.current),
    cursor: freshOrNull(state.cursor),
    owed: state.owed.map(fresh),
    skips: state.skips.map((s) => ({ ...s, member: fresh(s.member) })),
    swaps: state.swaps.map((s) => ({
      ...s,
      first: fresh(s.first),
      second: fresh(s.second),
      servedEarly: freshOrNull(s.servedEarly),
    })),
    rules: {
      ...rules,
      order: rules.order.map(fresh),
      pending: [
        ...rules.pending.filter((c) => !cancelled.has(c)),
        ...(F > 0 ? entering.map((member): RosterChange => ({ kind: 'join', member, inTurns: F })) : []),
        ...(F > 0 ? leaving.map((member): RosterChange => ({ kind: 'leave', member, inTurns: F })) : []),
      ],
      substitutes: rules.substitutes.map((s) => ({ ...s, member: fresh(s.member) })),
      servedAhead: rules.servedAhead.map(fresh),
      ledger: renameAccounts(ledger, sorted),
    },
  };
  if (F === 0) {
    next = enterRotation(next, entering);
    for (const m of leaving) next = leaveRotation(next, m);
    return { state: next, joined, left, warnings };
  }
  if (nobodyToServe(next)) {
    // Everyone in the rotation is leaving: the newcomers cannot wait for the window, someone has to serve.
    warnings.push(`Everyone in the ${state.role} rotation has left: the newcomers enter it at once.`);
    next = enterWaiting(next);
  }
  if (schedule && joined.length + left.length > 0) {
    const kept = keepFrozenWindow(state, next, left, schedule);
    next = kept.state;
    for (const s of kept.added.filter((a) => leaving.some((l) => sameMember(l, a.insteadOf)))) {
      let date = schedule.nextHandover;
      for (let i = 0; i < s.inTurns; i++) date = followingHandoverDate(schedule.role, date);
      warnings.push(
        `${memberLabel(s.insteadOf)} left the ${state.role} group: ${memberLabel(s.member)} takes their turn starting ${date}.`,
      );
    }
  }
  for (const m of entering) {
    warnings.push(
      `${memberLabel(m)} joined the ${state.role} group: they enter the rotation after the next ${F} turn(s), behind everyone.`,
    );
  }
  return { state: next, joined, left, warnings };
}

/**
 * Keeps the frozen window of `after` (the state once the change is recorded) as `before` planned it. Each turn
 * stays with the member planned for it; a leaver's turn goes to the member the rotation without them would serve
 * first after the window's other turns (the plan as if they had left at once). Turn by turn, where `after` would
 * give the turn to someone else, a substitute puts it back. Without enough members to serve (someone would have to
 * take two turns in a row), a turn may still move: the rotation never breaks that rule.
 */
function keepFrozenWindow(
  before: RotationState,
  after: RotationState,
  leavers: readonly Member[],
  schedule: RosterSchedule,
): { state: RotationState; added: Substitute[] } {
  const F = (after.rules as RotationRules).freezeTurns;
  const plan = (state: RotationState, count = F): Turn[] | null => {
    try {
      return simulate(schedule.role, state, schedule.nextHandover, count).turns;
    } catch {
      return null; // nobody to serve: nothing to keep
    }
  };
  const planned = F > 0 ? plan(before) : null;
  if (!planned) return { state: after, added: [] };
  const left = (m: Member) => leavers.some((l) => sameMember(l, m));
  const slots = planned.flatMap((turn, i) => (left(turn.member) ? [i] : []));
  const { order, pending } = after.rules as RotationRules;
  const stillLeaving = leavingMembers(after);
  // Newcomers entering during the window can take its later turns.
  const entering = pending.flatMap((c) => (c.kind === 'join' ? [c.member] : []));
  const able = (m: Member) =>
    (!!memberById(order, m.id) || entering.some((e) => sameMember(e, m))) &&
    !stillLeaving.some((l) => sameMember(l, m));
  // Who may take a leaver's turns, best first: the turns the rotation without the leavers serves, less those that
  // are the window's other turns (in order), which leaves first the members it serves first after them.
  let takers: Member[] = [];
  if (slots.length > 0) {
    let without = after;
    for (const m of leavers) without = leaveRotation(without, m);
    const others = planned.filter((t) => !left(t.member)).map((t) => t.member);
    let matched = 0;
    for (const turn of plan(without, F + order.length) ?? []) {
      if (matched < others.length && sameMember(turn.member, others[matched])) matched++;
      else takers.push(turn.member);
    }
    takers = [...takers, ...order, ...entering].filter(
      (m, i, all) => able(m) && all.findIndex((x) => sameMember(x, m)) === i,
    );
    // Under a balance the turn goes where a balance puts it: to the most owed (stable sort: ties keep that order).
    if ((after.rules as RotationRules).fairness === 'balance') {
      const ledger = (after.rules as RotationRules).ledger;
      takers = takers
        .map((m) => ({ m, key: owedKey(openAccountOf(ledger, m)) }))
        .sort((a, b) => b.key - a.key)
        .map((t) => t.m);
    }
  }
  const cycle = (after.rules as RotationRules).fairness !== 'balance';
  const kept = (outcome: Turn[] | null, upTo: number, member: Member, turns: Turn[]) =>
    outcome !== null &&
    sameMember((outcome[upTo] as Turn).member, member) &&
    outcome.slice(0, upTo).every((t, j) => sameMember(t.member, (turns[j] as Turn).member));
  interface Found {
    state: RotationState;
    turns: Turn[];
    added: Substitute[];
  }
  let budget = 40 * Math.max(1, F);
  /**
   * Turn `i` onwards: each frozen turn kept, each leaver's turn given to a taker (best first). `strict`: fail when a
   * turn cannot be kept, so that the search tries the leavers' other takers; otherwise take the first way that works.
   */
  const search = (i: number, found: Found, strict: boolean): Found | null => {
    if (i >= F) return found;
    const planTurn = planned[i] as Turn;
    const leaverTurn = left(planTurn.member);
    const nextTurn = planned[i + 1];
    // Never the member of the next frozen turn: they would serve two in a row.
    const notNext = (m: Member) => !nextTurn || left(nextTurn.member) || !sameMember(m, nextTurn.member);
    const given = found.added.filter((a) => slots.includes(a.inTurns)).length;
    const targets = leaverTurn
      ? [...takers.slice(given), ...takers.slice(0, given)].filter(notNext)
      : [planTurn.member];
    const actual = (found.turns[i] as Turn).member;
    // In the cycle a leaver keeps their place until the leave takes effect: their turn is the one to hand on (so the
    // cycle goes on from their place). If the rotation does not come to their place there, hand on the turn it gives.
    const keys = cycle && leaverTurn ? [planTurn.member, actual] : [actual];
    for (const target of targets.filter(able)) {
      const options: Found[] = [];
      if (sameMember(target, actual)) options.push(found);
      else {
        for (const insteadOf of keys) {
          if (budget-- <= 0) return null;
          const substitute: Substitute = { insteadOf, member: target, inTurns: i };
          const rules = found.state.rules as RotationRules;
          const tried: RotationState = {
            ...found.state,
            rules: { ...rules, substitutes: [...rules.substitutes, substitute] },
          };
          const outcome = plan(tried);
          if (outcome && kept(outcome, i, target, found.turns)) {
            options.push({ state: tried, turns: outcome, added: [...found.added, substitute] });
            break;
          }
        }
      }
      for (const option of options) {
        const done = search(i + 1, option, strict);
        if (done) return done;
        if (!strict) return null;
      }
    }
    return strict ? null : search(i + 1, found, strict);
  };
  const turns = plan(after);
  if (!turns) return { state: after, added: [] };
  const start: Found = { state: after, turns, added: [] };
  const found = search(0, start, true) ?? search(0, start, false) ?? start;
  const { state, added } = found;
  return { state: pruneSubstitutes(state, found.turns, plan), added };
}

/** Drops the substitutes the window does not need (left from earlier changes), so they stay at most one per turn. */
function pruneSubstitutes(
  state: RotationState,
  turns: Turn[] | null,
  plan: (state: RotationState, count?: number) => Turn[] | null,
): RotationState {
  if (!turns) return state;
  const same = (a: Turn[] | null) => a !== null && a.every((t, i) => sameMember(t.member, (turns[i] as Turn).member));
  let pruned = state;
  for (const entry of (state.rules as RotationRules).substitutes) {
    const rules = pruned.rules as RotationRules;
    const without = { ...pruned, rules: { ...rules, substitutes: rules.substitutes.filter((s) => s !== entry) } };
    if (same(plan(without))) pruned = without;
  }
  return pruned;
}

/** Whether nobody in the rotation can serve: all its members are leaving (or it is empty). */
function nobodyToServe(state: RotationState): boolean {
  const leavers = leavingMembers(state);
  return (state.rules as RotationRules).order.every((m) => leavers.some((l) => sameMember(l, m)));
}

/** Lets every newcomer still waiting for the frozen window into the rotation now. */
function enterWaiting(state: RotationState): RotationState {
  return enterRotation(
    state,
    (state.rules as RotationRules).pending.flatMap((c) => (c.kind === 'join' ? [c.member] : [])),
  );
}

/** Newcomers enter the cycle behind everyone: after the place of the latest turn, which counts as passed. */
function enterRotation(state: RotationState, members: readonly Member[]): RotationState {
  let next = state;
  for (const member of members) {
    const rules = next.rules as RotationRules;
    if (memberById(rules.order, member.id)) continue;
    const at = rules.order.length === 0 ? 0 : naturalStart(next, rules.order);
    const order = [...rules.order.slice(0, at), member, ...rules.order.slice(at)];
    next = {
      ...next,
      cursor: member,
      rules: {
        ...rules,
        order,
        pending: rules.pending.filter((c) => !(c.kind === 'join' && sameMember(c.member, member))),
        ledger: openAccount(rules.ledger, member),
      },
    };
  }
  return next;
}

/** A leaver drops out of the cycle; the members behind them move up one place. Their bookkeeping goes with them. */
function leaveRotation(state: RotationState, member: Member): RotationState {
  const rules = state.rules as RotationRules;
  const at = rules.order.findIndex((m) => sameMember(m, member));
  const order = rules.order.filter((m) => !sameMember(m, member));
  const before = at >= 0 && order.length > 0 ? (order[(at + order.length - 1) % order.length] as Member) : null;
  const gone = (m: Member | null) => sameMember(m, member);
  return {
    ...state,
    cursor: gone(state.cursor) ? before : state.cursor,
    owed: state.owed.filter((m) => !gone(m)),
    skips: state.skips.filter((s) => !gone(s.member)),
    swaps: state.swaps.filter((s) => !gone(s.first) && !gone(s.second)),
    rules: {
      ...rules,
      order,
      pending: rules.pending.filter((c) => !gone(c.member)),
      substitutes: rules.substitutes.filter((s) => !gone(s.insteadOf) && !gone(s.member)),
      servedAhead: rules.servedAhead.filter((m) => !gone(m)),
    },
  };
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
  // An operator who names a newcomer still waiting for the frozen window lets them in now.
  const rules = state.rules;
  const waiting = rules
    ? serving.filter(
        (m): m is Member => m !== null && !memberById(rules.order, m.id) && !!memberById(state.members, m.id),
      )
    : [];
  if (waiting.length > 0) state = enterRotation(state, waiting);
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
  request: { member: string; from?: IsoDate; to?: IsoDate; next?: boolean; reason?: SkipReason },
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
  // Entries without a reason are operator skips, so older states and operator requests look as they always did.
  const reason = request.reason === 'absence' ? { reason: 'absence' as const } : {};
  if (next) {
    const already = skips.some((s) => s.kind === 'next' && sameMember(s.member, member));
    return { ...state, skips: already ? skips : [...skips, { kind: 'next', member, ...reason }] };
  }
  const from = request.from !== undefined ? parseIsoDate(request.from) : todayDate;
  const to = request.to !== undefined ? parseIsoDate(request.to) : from;
  if (to < from) throw new RotationError('invalid-range', `Skip range ends (${to}) before it starts (${from}).`);
  if (to < todayDate)
    throw new RotationError('invalid-range', `Skip range ${from}..${to} is in the past (today is ${todayDate}).`);
  return { ...state, skips: [...skips, { kind: 'range', member, from, to, ...reason }] };
}

/** The two members exchange their next turns. */
export function swap(state: RotationState, request: { first: string; second: string }, today: IsoDate): RotationState {
  const first = findMember(state.members, request.first);
  const second = findMember(state.members, request.second);
  if (sameMember(first, second)) {
    throw new RotationError('same-member', `Cannot swap ${memberLabel(first)} with themselves.`);
  }
  const rules = state.rules;
  const outside = rules ? [first, second].find((m) => !memberById(rules.order, m.id)) : undefined;
  if (outside) {
    throw new RotationError(
      'invalid-request',
      `${memberLabel(outside)} joined the group recently and enters the rotation after the frozen window: swap after that.`,
    );
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

/** A planned turn, with the members whose due turn it passes over and why (an absence, an operator's skip, a leave). */
export interface PlannedTurn extends Turn {
  skipped?: { member: Member; reason: LedgerSkipReason }[];
}

/**
 * `planFromState` with each turn's skips: the members the turn passes over because they are skipped (the `plan`
 * query's answer, so operators see an absence skip and who stands in).
 */
export function planWithSkips(
  role: RoleSchedule,
  state: RotationState,
  firstStart: IsoDate,
  count: number,
): PlannedTurn[] {
  const { turns, skipped } = simulate(role, state, firstStart, count);
  return turns.map((turn, i) => (skipped[i]?.length ? { ...turn, skipped: skipped[i] } : turn));
}

/** `planFromState` with the warnings the handovers would give (each once, in order) and each turn's skips. */
export function simulate(
  role: RoleSchedule,
  state: RotationState,
  firstStart: IsoDate,
  count: number,
): { turns: Turn[]; warnings: string[]; skipped: { member: Member; reason: LedgerSkipReason }[][] } {
  if (!Number.isInteger(count) || count < 1) {
    throw new RotationError(
      'invalid-request',
      `The number of turns must be a whole number of at least 1 (got ${count}).`,
    );
  }
  const turns: Turn[] = [];
  const warnings: string[] = [];
  const skipped: { member: Member; reason: LedgerSkipReason }[][] = [];
  let simulated = state;
  let start = parseIsoDate(firstStart);
  for (let i = 0; i < count; i++) {
    const step = advance(simulated, { start, end: turnEnd(role, start) }, 0);
    turns.push(step.turn);
    skipped.push(step.skipped);
    for (const warning of step.warnings) if (!warnings.includes(warning)) warnings.push(warning);
    simulated = step.next;
    start = followingHandoverDate(role, start);
  }
  return { turns, warnings, skipped };
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

/** Members who left the group and whose leave waits for the frozen window. */
function leavingMembers(state: RotationState): Member[] {
  return state.rules?.pending.flatMap((c) => (c.kind === 'leave' ? [c.member] : [])) ?? [];
}

/**
 * Index in `members` of the first natural place after the cursor. Old rules: the first member who sorts after the
 * cursor's record (comparing, rather than looking the cursor up, keeps the place when the cursor member has left or
 * renamed). Roster rules: the member after the cursor in the cycle, by ID, falling back to the comparison for a
 * cursor outside the cycle (a seeded member who is not in the group).
 */
function naturalStart(state: RotationState, members: readonly Member[]): number {
  const { cursor } = state;
  if (!cursor) return 0;
  if (state.rules) {
    const at = members.findIndex((m) => sameMember(m, cursor));
    if (at >= 0) return (at + 1) % members.length;
  }
  const after = members.findIndex((m) => compareMembers(m, cursor) > 0);
  return after >= 0 ? after : 0;
}

interface Choice {
  member: Member;
  cursor: Member | null;
  owed: Member[];
  skips: SkipEntry[];
  swaps: SwapEntry[];
  warnings: string[];
  /** Roster rules only: what the choice consumed of them, and who was passed over for it (for the ledger). */
  substitutes: Substitute[];
  servedAhead: Member[];
  skipped: { member: Member; reason: LedgerSkipReason }[];
}

/** Chooses the member for the turn starting on `start` and the bookkeeping that choice consumes. */
function select(state: RotationState, start: IsoDate): Choice {
  const rules = state.rules;
  // The members in the rotation. Under the roster rules a leaver stays in the cycle until their leave takes effect,
  // so that the frozen window's places stay where they were, but serves none of them (`serve` below).
  const members = rules ? rules.order : state.members;
  if (members.length === 0) throw emptyGroup(state);
  const leavers = leavingMembers(state);
  const leaving = (m: Member) => leavers.some((l) => sameMember(l, m));
  const able = members.filter((m) => !leaving(m));
  const warnings: string[] = [];
  if (able.length === 1) warnings.push(aloneWarning(state.role, able[0] as Member));
  // The member who took up the role most recently must not take the next turn too (two or more members).
  const blocked = able.length < 2 ? null : state.slots === 2 ? state.incoming : state.current;
  const owed = [...state.owed];
  let skips = [...state.skips];
  let swaps = [...state.swaps];
  let substitutes = rules ? [...rules.substitutes] : [];
  const servedAhead = rules ? [...rules.servedAhead] : [];
  const skipped: Choice['skipped'] = [];
  /** Members already passed over for this turn: they cannot come back within the same choice. */
  const passed: Member[] = [];

  const isMember = (m: Member) => memberById(members, m.id) !== undefined;
  const rangeSkip = (m: Member) =>
    skips.find((s) => s.kind === 'range' && sameMember(s.member, m) && s.from <= start && start <= s.to);
  const rangeSkipped = (m: Member) => rangeSkip(m) !== undefined;
  const nextSkip = (m: Member) => skips.find((s) => s.kind === 'next' && sameMember(s.member, m));
  const isSkipped = (m: Member) => rangeSkipped(m) || nextSkip(m) !== undefined;
  const free = (m: Member) =>
    isMember(m) && !sameMember(m, blocked) && !isSkipped(m) && !passed.some((p) => sameMember(p, m));
  const removeOwed = (m: Member) => {
    const at = owed.findIndex((o) => sameMember(o, m));
    if (at >= 0) owed.splice(at, 1);
  };
  /** Passes over a skipped member: they are owed a turn, and a "next turn" skip is used up. */
  const passOver = (m: Member) => {
    passed.push(m);
    const range = rangeSkip(m);
    const used = range ? undefined : nextSkip(m);
    if (used) skips = skips.filter((s) => s !== used);
    if (!owed.some((o) => sameMember(o, m))) {
      owed.push(m);
      skipped.push({ member: m, reason: (range ?? used)?.reason ?? 'operator' });
    }
  };
  /**
   * Who really serves a turn the rules give to `m`: `m`, unless a substitute keeps this frozen turn for someone else;
   * a leaver without one serves nobody's turn (the place passes on).
   */
  const serve = (m: Member): Member | null => {
    const entry = substitutes.find(
      (s) => s.inTurns <= 0 && sameMember(s.insteadOf, m) && free(s.member) && !leaving(s.member),
    );
    if (!entry) return leaving(m) ? null : m;
    substitutes = substitutes.filter((s) => s !== entry);
    if (leaving(m)) skipped.push({ member: m, reason: 'left' });
    // In the cycle the taker gives up their own next place; a balance needs no such correction.
    if (rules?.fairness !== 'balance' && !owed.some((o) => sameMember(o, entry.member))) servedAhead.push(entry.member);
    return entry.member;
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
          return serve(other);
        }
        warnings.push(
          `Swap of ${memberLabel(entry.first)} and ${memberLabel(entry.second)} dropped: ${memberLabel(other)} cannot take the turn starting ${start}.`,
        );
      } else {
        // `owner` already served `other`'s turn: this place is `other`'s.
        if (free(other)) return serve(other);
        if (isMember(other) && isSkipped(other)) passOver(other);
        else warnings.push(`${memberLabel(other)} cannot take the turn swapped to them (starting ${start}).`);
        return null;
      }
    }
    if (free(owner)) return serve(owner);
    if (isMember(owner) && isSkipped(owner) && !passed.some((p) => sameMember(p, owner))) passOver(owner);
    return null;
  };

  const choose = (member: Member, cursor: Member | null): Choice => {
    removeOwed(member);
    return { member, cursor, owed, skips, swaps, warnings, substitutes, servedAhead, skipped };
  };

  const first = naturalStart(state, members);
  const inOrder = members.map((_, step) => members[(first + step) % members.length] as Member);
  if (rules?.fairness === 'balance') {
    // The most owed first; the sort is stable, so equal balances keep the cyclic order after the latest place.
    const ledger = rules.ledger;
    const candidates = inOrder
      .filter((m) => !leaving(m))
      .map((m) => ({ m, key: owedKey(openAccountOf(ledger, m)) }))
      .sort((a, b) => b.key - a.key)
      .map((c) => c.m);
    for (const owner of candidates) {
      const server = offer(owner);
      if (server) return choose(server, owner);
    }
  } else {
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
    for (const owner of inOrder) {
      const ahead = servedAhead.findIndex((m) => sameMember(m, owner));
      if (ahead >= 0) {
        // They took a leaver's turn early: this place passes to the member after them.
        servedAhead.splice(ahead, 1);
        continue;
      }
      const server = offer(owner);
      if (server) return choose(server, owner);
    }
  }
  // 3. Nobody can serve: plain order, ignoring skips and swaps (but never the member who just took up the role).
  const fallback = (inOrder.find((m) => !sameMember(m, blocked) && !leaving(m)) ??
    inOrder.find((m) => !sameMember(m, blocked))) as Member;
  return {
    member: fallback,
    cursor: fallback,
    owed: state.owed.filter((m) => !sameMember(m, fallback) && isMember(m)),
    skips: state.skips.filter((s) => !(s.kind === 'next' && sameMember(s.member, fallback))),
    swaps: state.swaps,
    warnings: [
      ...(able.length === 1 ? [aloneWarning(state.role, fallback)] : []),
      `Everyone who could take the turn starting ${start} is skipped: ${memberLabel(fallback)} takes it by plain order.`,
    ],
    substitutes: rules?.substitutes ?? [],
    servedAhead: rules?.servedAhead ?? [],
    skipped: [],
  };
}

/** One handover: the chosen member takes the turn; `historyLimit` 0 keeps no history (plans). */
function advance(
  state: RotationState,
  turn: { start: IsoDate; end: IsoDate },
  historyLimit: number,
): { next: RotationState; turn: Turn; warnings: string[]; skipped: Choice['skipped'] } {
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
  return {
    next: state.rules ? afterTurn(next, state.rules, choice, turn.start) : next,
    turn: served,
    warnings: choice.warnings,
    skipped: choice.skipped,
  };
}

/**
 * The roster rules' part of a handover: the ledger takes the turn, the frozen window moves on by one turn, and the
 * changes whose window has passed take effect (joins first, so a group that swapped all its members keeps someone).
 */
function afterTurn(state: RotationState, rules: RotationRules, choice: Choice, date: IsoDate): RotationState {
  const leavers = leavingMembers(state);
  const eligible = rules.order.filter((m) => !leavers.some((l) => sameMember(l, m)));
  const ledger = recordHandover(rules.ledger, { date, eligible, served: choice.member, skipped: choice.skipped });
  const pending = rules.pending.map((c) => ({ ...c, inTurns: c.inTurns - 1 }));
  let next: RotationState = {
    ...state,
    rules: {
      ...rules,
      pending: pending.filter((c) => c.inTurns > 0),
      substitutes: choice.substitutes.map((s) => ({ ...s, inTurns: s.inTurns - 1 })).filter((s) => s.inTurns >= 0),
      servedAhead: choice.servedAhead,
      ledger,
    },
  };
  const due = pending.filter((c) => c.inTurns <= 0);
  next = enterRotation(
    next,
    due.flatMap((c) => (c.kind === 'join' ? [c.member] : [])),
  );
  for (const change of due) if (change.kind === 'leave') next = leaveRotation(next, change.member);
  return nobodyToServe(next) ? enterWaiting(next) : next;
}
