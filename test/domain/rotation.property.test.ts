/**
 * Property-based tests: random sequences of joins, leaves, overrides, skips, swaps, pause/resume and handovers,
 * valid and invalid, checking the rotation's invariants after every step.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  addDays,
  applyHandover,
  followingHandoverDate,
  handoverKey,
  initialState,
  override,
  pause,
  planFromState,
  refreshMembers,
  resume,
  RotationError,
  skip,
  sortMembers,
  swap,
  turnEnd,
  upcomingMember,
  type Member,
  type RoleConfig,
  type RotationErrorCode,
  type RotationState,
} from '../../src/domain';
import { deepFreeze, FACILITATOR, TRIAGER } from './fixtures';

/** Two members share a name (case-insensitively), so names can be ambiguous. */
const POOL: Member[] = [
  { id: 'U01', name: 'Ann' },
  { id: 'U02', name: 'Bob' },
  { id: 'U03', name: 'bob' },
  { id: 'U04', name: 'Cleo' },
  { id: 'U05', name: 'Dev' },
  { id: 'U06', name: 'Eve' },
  { id: 'U07', name: 'Finn' },
  { id: 'U08', name: 'Gus' },
];
const HISTORY_LIMIT = 5;
const CODES: RotationErrorCode[] = [
  'unknown-member',
  'ambiguous-member',
  'empty-group',
  'same-member',
  'invalid-date',
  'invalid-range',
  'invalid-request',
];

/** A member reference as an operator might type it: ID, exact name, other case, padded, unknown. */
const ref = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...POOL.map((m) => m.id)) },
  { weight: 3, arbitrary: fc.constantFrom(...POOL.map((m) => m.name)) },
  { weight: 1, arbitrary: fc.constantFrom(...POOL.map((m) => ` ${m.name.toUpperCase()} `)) },
  { weight: 1, arbitrary: fc.constantFrom('Zed', 'U99', 'An', '') },
);
const dayOffset = fc.integer({ min: -20, max: 60 });

type Command =
  | { op: 'refresh'; members: number[] }
  | { op: 'override'; incoming?: string; current?: string }
  | { op: 'skip'; member: string; from?: number; to?: number; next?: boolean }
  | { op: 'swap'; first: string; second: string }
  | { op: 'pause' }
  | { op: 'resume' }
  | { op: 'handover'; repeat: boolean };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('refresh' as const),
      members: fc.oneof(
        { weight: 1, arbitrary: fc.constant<number[]>([]) },
        { weight: 8, arbitrary: fc.subarray([0, 1, 2, 3, 4, 5, 6, 7]) },
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record(
      { op: fc.constant('override' as const), incoming: ref, current: ref },
      { requiredKeys: ['op'] },
    ),
  },
  {
    weight: 3,
    arbitrary: fc.record(
      { op: fc.constant('skip' as const), member: ref, from: dayOffset, to: dayOffset, next: fc.boolean() },
      { requiredKeys: ['op', 'member'] },
    ),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('swap' as const), first: ref, second: ref }) },
  { weight: 1, arbitrary: fc.constant({ op: 'pause' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'resume' as const }) },
  { weight: 8, arbitrary: fc.record({ op: fc.constant('handover' as const), repeat: fc.boolean() }) },
);

const scenario = fc.record({
  slots: fc.constantFrom<1 | 2>(1, 2),
  members: fc.subarray([0, 1, 2, 3, 4, 5, 6, 7]),
  seedIncoming: fc.option(fc.nat(7), { nil: null }),
  seedCurrent: fc.option(fc.nat(7), { nil: null }),
  commands: fc.array(command, { maxLength: 40 }),
});

const byId = (members: readonly Member[], m: Member | null) => m !== null && members.some((x) => x.id === m.id);

/** The invariants that must hold after every operation. */
function checkInvariants(state: RotationState, role: RoleConfig, date: string): void {
  assert.deepEqual(JSON.parse(JSON.stringify(state)), state, 'state is plain JSON');
  assert.deepEqual(state.members, sortMembers(state.members), 'members are in rotation order without duplicates');
  const n = state.members.length;
  if (state.slots === 1) assert.equal(state.incoming, null, 'one slot: no incoming member');
  if (state.slots === 2 && n >= 2 && state.incoming && state.current) {
    assert.notEqual(state.incoming.id, state.current.id, 'incoming and current differ');
  }
  assert.ok(state.history.length <= HISTORY_LIMIT, 'history is bounded');
  for (const m of [
    ...state.owed,
    ...state.skips.map((s) => s.member),
    ...state.swaps.flatMap((s) => [s.first, s.second]),
  ]) {
    assert.ok(byId(state.members, m), `bookkeeping names only members (${m.id})`);
  }
  if (n === 0) {
    assert.throws(
      () => upcomingMember(state, date),
      (err: unknown) => err instanceof RotationError && err.code === 'empty-group',
    );
    return;
  }
  const preview = upcomingMember(state, date);
  if (n === 1)
    assert.ok(
      preview.warnings.some((w) => w.includes('serves alone')),
      'a lone member is warned about',
    );
  const turns = planFromState(role, state, date, 2 * n + 2);
  assert.equal(turns[0]?.member.id, preview.member.id, 'the plan starts with the upcoming member');
  let previous = state.slots === 2 ? state.incoming : state.current;
  for (const turn of turns) {
    assert.ok(byId(state.members, turn.member), `every planned turn goes to a member (${turn.member.id})`);
    if (n >= 2 && previous) assert.notEqual(turn.member.id, previous.id, 'nobody takes two turns in a row');
    assert.equal(turn.end, turnEnd(role, turn.start));
    previous = turn.member;
  }
}

/** Stats: how often each operation succeeded, so a generator that only produces errors is noticed. */
const succeeded = new Map<string, number>();
const failed = new Map<string, number>();

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function run(input: Scenario): void {
  const role = input.slots === 2 ? TRIAGER : FACILITATOR;
  const roleName = input.slots === 2 ? 'support-triager' : 'meeting-facilitator';
  const seedOf = (i: number | null) => (i === null ? null : (POOL[i] as Member));
  let seed =
    input.slots === 2
      ? { incoming: seedOf(input.seedIncoming), current: seedOf(input.seedCurrent) }
      : { current: seedOf(input.seedCurrent) };
  if (input.slots === 2 && seed.incoming && seed.current?.id === seed.incoming.id) seed = { ...seed, current: null };
  let state = deepFreeze(
    initialState(
      roleName,
      input.slots,
      input.members.map((i) => POOL[i] as Member),
      seed,
    ),
  );
  let date = role.cadence === 'weekly' ? '2023-03-29' : '2023-04-01';
  let today = addDays(date, -2);
  checkInvariants(state, role, date);

  for (const cmd of input.commands) {
    const before = JSON.stringify(state);
    const attempt = (expected: RotationErrorCode | null, fn: () => RotationState): void => {
      try {
        state = deepFreeze(fn());
        assert.equal(expected, null, `${cmd.op} should have failed with ${expected}`);
        succeeded.set(cmd.op, (succeeded.get(cmd.op) ?? 0) + 1);
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err;
        assert.ok(err instanceof RotationError, `${cmd.op} threw ${String(err)}`);
        assert.ok(CODES.includes(err.code));
        if (expected) assert.equal(err.code, expected, err.message);
        assert.equal(JSON.stringify(state), before, 'a refused request changes nothing');
        failed.set(cmd.op, (failed.get(cmd.op) ?? 0) + 1);
      }
    };
    switch (cmd.op) {
      case 'refresh': {
        const members = cmd.members.map((i) => POOL[i] as Member);
        attempt(members.length === 0 ? 'empty-group' : null, () => {
          const result = refreshMembers(state, members);
          for (const m of result.left) assert.ok(!byId(result.state.members, m));
          for (const m of result.joined) assert.ok(!byId(state.members, m));
          if (members.length === 1) assert.ok(result.warnings.some((w) => w.includes('serves alone')));
          // Whoever serves keeps serving, even if they left.
          assert.equal(result.state.incoming?.id, state.incoming?.id);
          if (result.state.current) assert.equal(result.state.current.id, state.current?.id);
          return result.state;
        });
        break;
      }
      case 'override': {
        const none = !cmd.incoming?.trim() && !cmd.current?.trim();
        attempt(none ? 'invalid-request' : null, () => override(state, cmd));
        break;
      }
      case 'skip': {
        const hasRange = cmd.from !== undefined || cmd.to !== undefined;
        const request = {
          member: cmd.member,
          from: cmd.from === undefined ? undefined : addDays(today, cmd.from),
          to: cmd.to === undefined ? undefined : addDays(today, cmd.to),
          next: cmd.next,
        };
        attempt(hasRange === (cmd.next === true) ? 'invalid-request' : null, () => skip(state, request, today));
        break;
      }
      case 'swap':
        attempt(null, () => swap(state, cmd, today));
        break;
      case 'pause':
        attempt(null, () => pause(state));
        assert.equal(state.paused, true);
        break;
      case 'resume':
        attempt(null, () => resume(state));
        assert.equal(state.paused, false);
        break;
      case 'handover': {
        const key = handoverKey(roleName, date);
        const turn = { start: date, end: turnEnd(role, date) };
        attempt(state.members.length === 0 ? 'empty-group' : null, () => {
          const preview = upcomingMember(state, date).member;
          const result = applyHandover(state, turn, key, HISTORY_LIMIT);
          assert.ok(result.turn, 'a new key hands over');
          assert.equal(result.turn.member.id, preview.id, 'the handover gives the turn to the upcoming member');
          assert.ok(byId(state.members, result.turn.member), 'the turn goes to a member of the group');
          assert.deepEqual(result.state.history.at(-1), result.turn);
          if (state.slots === 2) {
            assert.deepEqual([result.state.current, result.state.incoming], [state.incoming, result.turn.member]);
          } else assert.deepEqual(result.state.current, result.turn.member);
          if (cmd.repeat) {
            const again = applyHandover(result.state, turn, key, HISTORY_LIMIT);
            assert.equal(again.state, result.state, 'the same key again returns the same state');
            assert.equal(again.turn, null);
          }
          return result.state;
        });
        if (state.lastHandoverKey === key) {
          date = followingHandoverDate(role, date);
          today = addDays(date, -2);
        }
        break;
      }
    }
    checkInvariants(state, role, date);
  }

  // Finally the plan must be exactly what the handovers then do.
  if (state.members.length > 0) {
    const planned = planFromState(role, state, date, 12).map((t) => t.member.id);
    const served: string[] = [];
    for (let i = 0; i < 12; i++) {
      const result = applyHandover(state, { start: date, end: turnEnd(role, date) }, `final@${date}`, HISTORY_LIMIT);
      served.push(result.turn!.member.id);
      state = result.state;
      date = followingHandoverDate(role, date);
    }
    assert.deepEqual(served, planned, 'planFromState predicts the handovers');
  }
}

describe('rotation: properties', function () {
  this.timeout(60_000);

  after(() => {
    for (const op of ['refresh', 'override', 'skip', 'swap', 'pause', 'resume', 'handover']) {
      assert.ok((succeeded.get(op) ?? 0) > 100, `${op} succeeded only ${succeeded.get(op) ?? 0} times`);
    }
    for (const op of ['refresh', 'override', 'skip', 'swap', 'handover']) {
      assert.ok((failed.get(op) ?? 0) > 20, `${op} was refused only ${failed.get(op) ?? 0} times`);
    }
  });

  it('random sequences of joins, leaves, overrides, skips, swaps, pauses and handovers keep the invariants', () => {
    fc.assert(fc.property(scenario, run), { numRuns: 2000 });
  });

  it('without requests, everyone serves once per cycle, in order', () => {
    fc.assert(
      fc.property(fc.constantFrom<1 | 2>(1, 2), fc.integer({ min: 1, max: 8 }), fc.nat(7), (slots, n, start) => {
        const members = POOL.slice(0, n);
        const last = members[start % n] as Member;
        const state = initialState('r', slots, members, slots === 2 ? { incoming: last } : { current: last });
        const role = slots === 2 ? TRIAGER : FACILITATOR;
        const ids = planFromState(role, state, '2023-04-05', 3 * n).map((t) => t.member.id);
        const order = sortMembers(members).map((m) => m.id);
        const first = (order.indexOf(last.id) + 1) % n;
        assert.deepEqual(
          ids,
          [...Array(3 * n).keys()].map((i) => order[(first + i) % n]),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('a member skipped for their next turn is not lost: within n+1 turns everyone serves', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<1 | 2>(1, 2),
        fc.integer({ min: 3, max: 8 }),
        fc.nat(7),
        fc.nat(7),
        (slots, n, start, who) => {
          const members = POOL.slice(0, n);
          const last = members[start % n] as Member;
          const skipped = members[who % n] as Member;
          let state = initialState('r', slots, members, slots === 2 ? { incoming: last } : { current: last });
          state = skip(state, { member: skipped.id, next: true }, '2023-04-01');
          const role = slots === 2 ? TRIAGER : FACILITATOR;
          const ids = planFromState(role, state, '2023-04-05', n + 1).map((t) => t.member.id);
          for (const m of members)
            assert.ok(ids.includes(m.id), `${m.id} serves within ${n + 1} turns: ${ids.join(' ')}`);
          const firstTurn = ids.indexOf(skipped.id);
          const wouldHave = planFromState(
            role,
            initialState('r', slots, members, slots === 2 ? { incoming: last } : { current: last }),
            '2023-04-05',
            n,
          )
            .map((t) => t.member.id)
            .indexOf(skipped.id);
          if (skipped.id !== last.id) assert.equal(firstTurn, wouldHave + 1, 'the skipped turn comes one turn later');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a swap exchanges exactly the two members next turns', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<1 | 2>(1, 2),
        fc.integer({ min: 3, max: 8 }),
        fc.nat(7),
        fc.nat(7),
        fc.nat(7),
        (slots, n, start, x, y) => {
          const members = POOL.slice(0, n);
          const last = members[start % n] as Member;
          const [first, second] = [members[x % n] as Member, members[y % n] as Member];
          fc.pre(first.id !== second.id && first.id !== last.id && second.id !== last.id);
          const state = initialState('r', slots, members, slots === 2 ? { incoming: last } : { current: last });
          const role = slots === 2 ? TRIAGER : FACILITATOR;
          const before = planFromState(role, state, '2023-04-05', 2 * n).map((t) => t.member.id);
          const after = planFromState(
            role,
            swap(state, { first: first.id, second: second.id }, '2023-04-01'),
            '2023-04-05',
            2 * n,
          ).map((t) => t.member.id);
          const [i, j] = [before.indexOf(first.id), before.indexOf(second.id)];
          const expected = [...before];
          expected[i] = second.id;
          expected[j] = first.id;
          const end = Math.max(i, j);
          assert.deepEqual(after.slice(0, end + 1), expected.slice(0, end + 1));
          // Unless the exchange would give someone two turns in a row, nothing else changes.
          if (before[end + 1] !== expected[end]) assert.deepEqual(after, expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
