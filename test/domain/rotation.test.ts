import assert from 'node:assert/strict';
import {
  applyHandover,
  followingHandoverDate,
  handoverKey,
  initialState,
  override,
  pause,
  planFromState,
  planTurns,
  refreshMembers,
  resume,
  RotationError,
  simulate,
  skip,
  swap,
  turnEnd,
  upcomingMember,
  type Member,
  type RotationErrorCode,
  type RotationState,
} from '../../src/domain';
import { deepFreeze, FACILITATOR, letters, member, SEVEN, TRIAGER } from './fixtures';

const [A, B, C, D, E, F, G] = SEVEN as [Member, Member, Member, Member, Member, Member, Member];
const TODAY = '2023-03-27';
const FIRST = '2023-03-29';

/** Support Triager with A incoming and G current: B is next. */
function triager(
  members: readonly Member[] = SEVEN,
  seed: { incoming: Member | null; current: Member | null } = { incoming: A, current: G },
): RotationState {
  return deepFreeze(initialState('support-triager', 2, members, seed));
}

/** The next `count` members from FIRST, as letters. */
function next(state: RotationState, count = 8): string {
  return letters(planFromState(TRIAGER, state, FIRST, count).map((t) => t.member));
}

/** Hands over `count` times from FIRST and returns the final state and who took each turn. */
function handovers(state: RotationState, count: number, start = FIRST): { state: RotationState; served: string } {
  const served: Member[] = [];
  let date = start;
  for (let i = 0; i < count; i++) {
    const result = applyHandover(
      state,
      { start: date, end: turnEnd(TRIAGER, date) },
      handoverKey('support-triager', date),
      104,
    );
    assert.ok(result.turn);
    served.push(result.turn.member);
    state = deepFreeze(result.state);
    date = followingHandoverDate(TRIAGER, date);
  }
  return { state, served: letters(served) };
}

function throwsCode(fn: () => unknown, code: RotationErrorCode, pattern?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof RotationError, `expected a RotationError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

describe('rotation: initial state', () => {
  it('sorts the members and continues after the seeded incoming member', () => {
    const state = initialState('support-triager', 2, [C, A, B], { incoming: A, current: null });
    assert.deepEqual(state.members, [A, B, C]);
    assert.deepEqual(state.cursor, A);
    assert.equal(upcomingMember(state, FIRST).member.id, 'UB');
  });
  it('takes the group record of a seeded member (fresh name) and keeps one who left', () => {
    const state = initialState('support-triager', 2, SEVEN, {
      incoming: { id: 'UC', name: 'old name' },
      current: member('Z'),
    });
    assert.deepEqual(state.incoming, C);
    assert.deepEqual(state.current, member('Z'));
  });
  it('refuses the same member as incoming and current in a group of two or more', () =>
    throwsCode(
      () => initialState('support-triager', 2, SEVEN, { incoming: A, current: { ...A, name: 'other' } }),
      'same-member',
    ));
  it('allows it for a one-member group', () => {
    const state = initialState('support-triager', 2, [A], { incoming: A, current: A });
    assert.equal(state.incoming?.id, state.current?.id);
  });
  it('one slot: no incoming member', () => {
    throwsCode(() => initialState('meeting-facilitator', 1, SEVEN, { incoming: A }), 'invalid-request');
    const state = initialState('meeting-facilitator', 1, SEVEN, { current: C });
    assert.equal(state.incoming, null);
    assert.equal(upcomingMember(state, '2023-04-01').member.id, 'UD');
  });
  it('without a seed the first member in order starts', () => {
    assert.equal(upcomingMember(initialState('r', 2, [C, B]), FIRST).member.id, 'UB');
  });
  it('is plain JSON', () => {
    const state = triager();
    assert.deepEqual(JSON.parse(JSON.stringify(state)), state);
  });
});

describe('rotation: handovers', () => {
  it('two slots: current <- incoming, incoming <- next, one turn a week lasting two weeks', () => {
    const start = triager();
    const result = applyHandover(
      start,
      { start: FIRST, end: turnEnd(TRIAGER, FIRST) },
      'support-triager@2023-03-29',
      104,
    );
    assert.deepEqual(result.turn, { member: B, start: '2023-03-29', end: '2023-04-12' });
    assert.deepEqual([result.state.incoming, result.state.current], [B, A]);
    assert.equal(result.state.lastHandoverKey, 'support-triager@2023-03-29');
    assert.deepEqual(result.state.history, [result.turn]);
  });
  it('goes round the group in order, everyone once per cycle', () => {
    assert.equal(handovers(triager(), 14).served, 'B C D E F G A B C D E F G A');
  });
  it('the same key twice changes nothing and returns the same state object', () => {
    const once = applyHandover(triager(), { start: FIRST, end: '2023-04-12' }, 'k', 104);
    const twice = applyHandover(once.state, { start: FIRST, end: '2023-04-12' }, 'k', 104);
    assert.equal(twice.state, once.state);
    assert.equal(twice.turn, null);
  });
  it('keeps at most historyLimit turns, oldest dropped', () => {
    let state = triager();
    let date = FIRST;
    for (let i = 0; i < 5; i++) {
      state = applyHandover(state, { start: date, end: turnEnd(TRIAGER, date) }, date, 3).state;
      date = followingHandoverDate(TRIAGER, date);
    }
    assert.deepEqual(
      state.history.map((t) => t.start),
      ['2023-04-12', '2023-04-19', '2023-04-26'],
    );
  });
  it('one slot: current <- next, incoming stays null', () => {
    let state = initialState('meeting-facilitator', 1, [A, B, C], { current: A });
    const served: string[] = [];
    let date = '2023-04-01';
    for (let i = 0; i < 4; i++) {
      const result = applyHandover(state, { start: date, end: turnEnd(FACILITATOR, date) }, date, 10);
      state = result.state;
      served.push(result.turn!.member.id);
      assert.equal(state.incoming, null);
      assert.equal(state.current?.id, result.turn!.member.id);
      date = followingHandoverDate(FACILITATOR, date);
    }
    assert.deepEqual(served, ['UB', 'UC', 'UA', 'UB']);
  });
  it('a one-member group serves alone, with a warning', () => {
    const state = triager([C], { incoming: C, current: null });
    const { member: next, warnings } = upcomingMember(state, FIRST);
    assert.equal(next.id, 'UC');
    assert.match(warnings.join(' '), /only member .* serves alone/);
    const after = applyHandover(state, { start: FIRST, end: '2023-04-12' }, 'k', 10);
    assert.deepEqual([after.state.incoming, after.state.current], [C, C]);
    assert.match(after.warnings.join(' '), /serves alone/);
  });
  it('an empty group is an error', () => {
    const state = initialState('support-triager', 2, []);
    throwsCode(() => upcomingMember(state, FIRST), 'empty-group');
    throwsCode(() => applyHandover(state, { start: FIRST, end: '2023-04-12' }, 'k', 10), 'empty-group');
  });
  it('still hands over correctly while paused (the workflow does not call it then)', () => {
    const paused = pause(triager());
    assert.equal(paused.paused, true);
    assert.equal(handovers(paused, 2).served, 'B C');
    assert.equal(resume(paused).paused, false);
  });
  it('upcomingMember and planFromState consume nothing', () => {
    const state = deepFreeze(
      skip(swap(triager(), { first: 'UB', second: 'UD' }, TODAY), { member: 'UC', next: true }, TODAY),
    );
    const snapshot = JSON.stringify(state);
    upcomingMember(state, FIRST);
    planFromState(TRIAGER, state, FIRST, 20);
    assert.equal(JSON.stringify(state), snapshot);
  });
  it('the plan is what the handovers then do', () => {
    const state = skip(swap(triager(), { first: 'UB', second: 'UF' }, TODAY), { member: 'UC', next: true }, TODAY);
    assert.equal(handovers(state, 10).served, next(state, 10));
  });
});

describe('rotation: members joining and leaving', () => {
  it('a newcomer takes their place in the order', () => {
    const state = triager([A, B, D, E], { incoming: B, current: A });
    const { state: after, joined, left } = refreshMembers(state, [A, B, C, D, E]);
    assert.deepEqual([joined, left], [[C], []]);
    assert.equal(next(after, 5), 'C D E A B');
  });
  it('a member who left is never assigned again, but finishes the turn they serve', () => {
    const state = triager(SEVEN, { incoming: C, current: B });
    const { state: after, left, warnings } = refreshMembers(state, [A, B, D, E, F, G]);
    assert.deepEqual(left, [C]);
    assert.deepEqual([after.incoming, after.current], [C, B]);
    assert.match(warnings.join(' '), /Person C \(UC\) left .* finishes their turn/);
    assert.equal(next(after, 7), 'D E F G A B D');
  });
  it('when the member of the latest turn left, the rotation continues after their place', () => {
    const state = triager(SEVEN, { incoming: D, current: C });
    const { state: after } = refreshMembers(state, [A, B, C, E, F]);
    assert.equal(next(after, 6), 'E F A B C E');
  });
  it('an empty list is an error and the caller keeps its state', () => {
    throwsCode(() => refreshMembers(triager(), []), 'empty-group');
  });
  it('one member left: a warning says they serve alone', () => {
    const { warnings } = refreshMembers(triager(), [D]);
    assert.match(warnings.join(' '), /Person D \(UD\) is the only member .* serves alone/);
  });
  it('a lone member who served both slots keeps only incoming when others join', () => {
    const state = triager([A], { incoming: A, current: A });
    const { state: after, warnings } = refreshMembers(state, [A, B, C]);
    assert.deepEqual([after.incoming, after.current], [A, null]);
    assert.match(warnings.join(' '), /no longer serves both slots/);
    assert.equal(next(after, 3), 'B C A');
  });
  it('renames follow the Slack ID', () => {
    const renamed = { id: 'UA', name: 'Person A (renamed)' };
    const { state: after } = refreshMembers(triager(), [renamed, B, C, D, E, F, G]);
    assert.deepEqual(after.incoming, renamed);
    // The rotation continues from the place the latest turn took, not from the new name's place.
    assert.equal(next(after, 7), 'B C D E F G A (renamed)');
  });
  it('skips, owed turns and swaps of a member who left are dropped', () => {
    let state = skip(triager(), { member: 'UB', from: FIRST, to: FIRST }, TODAY);
    state = swap(state, { first: 'UE', second: 'UF' }, TODAY);
    state = handovers(state, 1).state; // B skipped: owed a turn
    assert.deepEqual(state.owed, [B]);
    const { state: after, warnings } = refreshMembers(state, [A, C, D, E, G]);
    assert.deepEqual([after.owed, after.skips, after.swaps], [[], [], []]);
    assert.match(warnings.join(' '), /Swap of Person E \(UE\) and Person F \(UF\) dropped/);
  });
});

describe('rotation: override', () => {
  it('sets incoming and the rotation continues after them', () => {
    const after = override(triager(), { incoming: 'Person E' });
    assert.deepEqual([after.incoming, after.current], [E, G]);
    assert.equal(next(after, 3), 'F G A');
  });
  it('sets current only, keeping the order', () => {
    const after = override(triager(), { current: 'UD' });
    assert.deepEqual([after.incoming, after.current], [A, D]);
    assert.equal(next(after, 2), 'B C');
  });
  it('sets both, by ID or exact name', () => {
    const after = override(triager(), { incoming: 'UD', current: 'person c' });
    assert.deepEqual([after.incoming, after.current], [D, C]);
    assert.equal(next(after, 2), 'E F');
  });
  it('refuses the same member for both', () => {
    throwsCode(() => override(triager(), { incoming: 'UG' }), 'same-member');
    throwsCode(() => override(triager(), { incoming: 'UC', current: 'Person C' }), 'same-member');
  });
  it('needs at least one field', () => {
    throwsCode(() => override(triager(), {}), 'invalid-request');
    throwsCode(() => override(triager(), { incoming: ' ' }), 'invalid-request');
  });
  it('resolves members among the group only', () => {
    throwsCode(() => override(triager(), { incoming: 'Person Z' }), 'unknown-member');
    throwsCode(() => override(triager(), { incoming: 'Person' }), 'unknown-member', /Did you mean/);
  });
  it('one slot: current only, and the rotation continues after them', () => {
    const state = initialState('meeting-facilitator', 1, SEVEN, { current: A });
    throwsCode(() => override(state, { incoming: 'UB' }), 'invalid-request', /one slot/);
    const after = override(state, { current: 'UE' });
    assert.deepEqual([after.incoming, after.current], [null, E]);
    assert.equal(letters(planFromState(FACILITATOR, after, '2023-04-01', 3).map((t) => t.member)), 'F G A');
  });
});

describe('rotation: skip', () => {
  it('next turn only: the turn moves one place later (A C B D ...)', () => {
    const after = skip(triager(), { member: 'Person B', next: true }, TODAY);
    assert.equal(next(after, 8), 'C B D E F G A B');
  });
  it('a date range: skipped while it lasts, then served first', () => {
    const after = skip(triager(), { member: 'UB', from: '2023-03-29', to: '2023-04-12' }, TODAY);
    assert.equal(next(after, 8), 'C D E B F G A B');
  });
  it('a range covers turns whose start falls within it, ends inclusive', () => {
    const after = skip(triager(), { member: 'UC', from: '2023-04-05', to: '2023-04-05' }, TODAY);
    assert.equal(next(after, 4), 'B D C E');
  });
  it('`from` alone skips the turn starting that day; `to` alone skips from today', () => {
    assert.equal(next(skip(triager(), { member: 'UB', from: FIRST }, TODAY), 3), 'C B D');
    assert.equal(next(skip(triager(), { member: 'UB', to: '2023-04-05' }, TODAY), 4), 'C D B E');
  });
  it('refuses a range that ends before it starts, or in the past', () => {
    throwsCode(() => skip(triager(), { member: 'UB', from: '2023-04-12', to: '2023-04-05' }, TODAY), 'invalid-range');
    throwsCode(
      () => skip(triager(), { member: 'UB', from: '2023-03-01', to: '2023-03-08' }, TODAY),
      'invalid-range',
      /in the past/,
    );
  });
  it('refuses both a range and next, or neither', () => {
    throwsCode(() => skip(triager(), { member: 'UB', from: FIRST, next: true }, TODAY), 'invalid-request');
    throwsCode(() => skip(triager(), { member: 'UB' }, TODAY), 'invalid-request');
    throwsCode(() => skip(triager(), { member: 'UB', next: false }, TODAY), 'invalid-request');
  });
  it('refuses dates that are not dates and unknown members', () => {
    throwsCode(() => skip(triager(), { member: 'UB', from: '2023-02-30' }, TODAY), 'invalid-date', /2023-02-30/);
    throwsCode(() => skip(triager(), { member: 'UZ', next: true }, TODAY), 'unknown-member');
  });
  it('everyone else skipped too: plain order, with a warning', () => {
    let state = triager([A, B, C], { incoming: A, current: C });
    for (const id of ['UA', 'UB', 'UC']) state = skip(state, { member: id, from: FIRST, to: FIRST }, TODAY);
    const { member: chosen, warnings } = upcomingMember(state, FIRST);
    assert.equal(chosen.id, 'UB');
    assert.match(warnings.join(' '), /Everyone .* skipped: Person B \(UB\) takes it by plain order/);
    assert.equal(handovers(state, 3).served, 'B C A');
  });
  it('never gives the incoming member the next turn as well, even to honour a skip', () => {
    const state = skip(triager([A, B], { incoming: A, current: B }), { member: 'UB', next: true }, TODAY);
    const result = simulate(TRIAGER, state, FIRST, 2);
    assert.equal(letters(result.turns.map((t) => t.member)), 'B A');
    assert.match(result.warnings.join(' '), /plain order/);
  });
  it('ranges that are over are forgotten', () => {
    const state = skip(triager(), { member: 'UB', from: FIRST, to: FIRST }, TODAY);
    const after = skip(state, { member: 'UC', next: true }, '2023-04-01');
    assert.deepEqual(
      after.skips.map((s) => s.kind),
      ['next'],
    );
  });
});

describe('rotation: swap', () => {
  it('the two members exchange their next turns', () => {
    assert.equal(next(triager(), 8), 'B C D E F G A B');
    assert.equal(next(swap(triager(), { first: 'Person B', second: 'Person E' }, TODAY), 8), 'E C D B F G A B');
    assert.equal(next(swap(triager(), { first: 'UE', second: 'UB' }, TODAY), 8), 'E C D B F G A B');
  });
  it('refuses the same member twice', () => {
    throwsCode(() => swap(triager(), { first: 'UB', second: 'person b' }, TODAY), 'same-member');
  });
  it('refuses a second pending swap for a member', () => {
    const state = swap(triager(), { first: 'UB', second: 'UE' }, TODAY);
    throwsCode(() => swap(state, { first: 'UE', second: 'UF' }, TODAY), 'invalid-request', /pending swap/);
  });
  it('a swap that cannot be honoured is dropped with a warning', () => {
    // B's turn is next, but A (incoming, about to become current) cannot take it.
    const state = swap(triager(), { first: 'UB', second: 'UA' }, TODAY);
    const result = simulate(TRIAGER, state, FIRST, 3);
    assert.equal(letters(result.turns.map((t) => t.member)), 'B C D');
    assert.match(result.warnings.join(' '), /Swap of Person B \(UB\) and Person A \(UA\) dropped/);
  });
  it('a skip of the member a turn was swapped to owes them that turn', () => {
    let state = swap(triager(), { first: 'UB', second: 'UD' }, TODAY);
    state = skip(state, { member: 'UB', from: '2023-04-12', to: '2023-04-12' }, TODAY);
    // D takes B's turn; D's turn (2023-04-12) is B's but B is skipped that day: E takes it, B is owed and served next.
    assert.equal(next(state, 6), 'D C E B F G');
  });
});

describe('rotation: planTurns', () => {
  it('continues after the member of the latest turn', () => {
    const turns = planTurns(TRIAGER, SEVEN, B, '2023-03-29', 3);
    assert.deepEqual(turns, [
      { member: C, start: '2023-03-29', end: '2023-04-12' },
      { member: D, start: '2023-04-05', end: '2023-04-19' },
      { member: E, start: '2023-04-12', end: '2023-04-26' },
    ]);
  });
  it('aligns `from` and starts with the first member without a latest one', () => {
    const turns = planTurns(TRIAGER, SEVEN, null, '2023-03-27', 1);
    assert.deepEqual(turns, [{ member: A, start: '2023-03-29', end: '2023-04-12' }]);
  });
  it('a latest member who left: the one after their place', () => {
    assert.equal(planTurns(TRIAGER, [A, B, D], C, FIRST, 1)[0]?.member.id, 'UD');
  });
  it('monthly, one slot', () => {
    assert.deepEqual(planTurns(FACILITATOR, [A, B], A, '2023-03-15', 2), [
      { member: B, start: '2023-04-01', end: '2023-05-01' },
      { member: A, start: '2023-05-01', end: '2023-06-01' },
    ]);
  });
  it('refuses a count below 1 and an empty group', () => {
    throwsCode(() => planTurns(TRIAGER, SEVEN, null, FIRST, 0), 'invalid-request');
    throwsCode(() => planTurns(TRIAGER, SEVEN, null, FIRST, 1.5), 'invalid-request');
    throwsCode(() => planTurns(TRIAGER, [], null, FIRST, 1), 'empty-group');
  });
});
