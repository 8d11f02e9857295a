/**
 * Who a plan change affects and what they are told (issue 16): the comparison of two plans, the messages, and
 * the coalescing of changes that come close together.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  addChange,
  addDays,
  applyHandover,
  batchDue,
  changeNoticeKey,
  coalesceChanges,
  comparePlans,
  followingHandoverDate,
  formatTurnDate,
  initialState,
  override,
  pause,
  planFromState,
  refreshMembers,
  renderChangeMessage,
  renderOperatorSummary,
  resume,
  RotationError,
  skip,
  summarizeBatch,
  swap,
  turnEnd,
  type Member,
  type PlanChange,
  type RotationState,
  type Turn,
} from '../../src/domain';
import { TRIAGER } from './fixtures';

const ANN: Member = { id: 'UANN', name: 'Ann' };
const BOB: Member = { id: 'UBOB', name: 'Bob' };
const DAN: Member = { id: 'UDAN', name: 'Dan' };
const turn = (member: Member, start: string): Turn => ({ member, start, end: addDays(start, 14) });
/** Weekly plans from Monday 13 Jan 2025, one turn per letter: A(nn), B(ob), D(an). */
function plan(letters: string, from = '2025-01-13'): Turn[] {
  const who: Record<string, Member> = { A: ANN, B: BOB, D: DAN };
  return [...letters].map((l, i) => turn(who[l] as Member, addDays(from, 7 * i)));
}

describe('plan changes: who is affected', () => {
  it('the members whose dates moved, with each moved date paired in order', () => {
    // Ann: 13 Jan, 10 Mar → 20 Jan, 17 Mar (weeks 0 and 8 → 1 and 9).
    const before = plan('ABABABABAB');
    const after = plan('BABABABABA');
    const { changes } = comparePlans(before, after);
    const ann = changes.find((c) => c.member.id === 'UANN')!;
    assert.deepEqual(ann.moves.slice(0, 2), [
      { from: '2025-01-13', to: '2025-01-20' },
      { from: '2025-01-27', to: '2025-02-03' },
    ]);
    assert.deepEqual(
      changes.map((c) => c.member.id),
      ['UANN', 'UBOB'],
    );
  });

  it('renders the direct message as the issue words it', () => {
    const before = [turn(ANN, '2025-01-13'), turn(BOB, '2025-01-20'), turn(ANN, '2025-03-10'), turn(BOB, '2025-03-17')];
    const after = [turn(BOB, '2025-01-13'), turn(ANN, '2025-01-20'), turn(BOB, '2025-03-10'), turn(ANN, '2025-03-17')];
    const comparison = comparePlans(before, after);
    const ann = comparison.changes.find((c) => c.member.id === 'UANN')!;
    assert.equal(
      renderChangeMessage('Support Triager', ann, ['Dan joined the group'], comparison.range),
      'Your Support Triager turns changed: 13 Jan → 20 Jan; 10 Mar → 17 Mar. Why: Dan joined the group.',
    );
  });

  it('a newcomer hears their first turns, a leaver which turns are no longer theirs', () => {
    const before = plan('ABABAB');
    const after = plan('ABDBAD');
    const comparison = comparePlans(before, after, { joined: [DAN] });
    const dan = comparison.changes.find((c) => c.member.id === 'UDAN')!;
    assert.equal(dan.kind, 'joined');
    assert.equal(
      renderChangeMessage('Support Triager', dan, ['Dan joined the group'], comparison.range),
      'You joined the Support Triager rotation: your first turn starts 27 Jan (then 17 Feb). Why: Dan joined the group.',
    );
    const gone = comparePlans(plan('ABDBAD'), plan('ABABAB'), { left: [DAN] });
    const left = gone.changes.find((c) => c.member.id === 'UDAN')!;
    assert.equal(
      renderChangeMessage('Support Triager', left, ['Dan left the group'], gone.range),
      'You left the Support Triager group: your turns from 27 Jan are no longer yours. Why: Dan left the group.',
    );
  });

  it('a newcomer whose first turn lies beyond the plans still hears they joined (everyJoiner)', () => {
    // Twelve members and a plan of ten turns: the roster rules put a newcomer behind everyone, in the 12th turn.
    const members = Array.from({ length: 12 }, (_, i) => ({ id: `UM${i + 10}`, name: `Member ${i + 10}` }));
    const hugo: Member = { id: 'UHUGO', name: 'Hugo' };
    const first = '2027-01-13';
    const state = initialState(
      'support-triager',
      2,
      members,
      { incoming: members[0]!, current: members[11]! },
      {
        freezeTurns: 2,
        fairness: 'cycle',
      },
    );
    const joined = refreshMembers(state, [...members, hugo], { role: TRIAGER, nextHandover: first }).state;
    const before = planFromState(TRIAGER, state, first, 10);
    const after = planFromState(TRIAGER, joined, first, 10);
    assert.ok(!after.some((t) => t.member.id === hugo.id), 'no turn of Hugo in the plan');
    assert.deepEqual(comparePlans(before, after, { joined: [hugo] }).changes, [], 'nobody moved');
    const told = comparePlans(before, after, { joined: [hugo] }, { everyJoiner: true });
    assert.deepEqual(
      told.changes.map((c) => [c.member.name, c.kind]),
      [['Hugo', 'joined']],
    );
    assert.equal(
      renderChangeMessage('Support Triager', told.changes[0]!, ['Hugo joined the group'], told.range),
      `You joined the Support Triager rotation: your first turn starts after ${formatTurnDate(after.at(-1)!.start)}. ` +
        'Why: Hugo joined the group.',
    );
    // One who joined and left again within the batch is not told.
    const gone = comparePlans(before, before, { joined: [hugo], left: [hugo] }, { everyJoiner: true });
    assert.deepEqual(gone.changes, []);
  });

  it('a turn pushed past the end of the compared plans says so; a new turn is named', () => {
    const comparison = comparePlans(plan('ABBA'), plan('BABB'));
    const ann = comparison.changes.find((c) => c.member.id === 'UANN')!;
    assert.equal(
      renderChangeMessage('Support Triager', ann, [], comparison.range),
      'Your Support Triager turns changed: 13 Jan → 20 Jan; 3 Feb → later.',
    );
    const more = comparePlans(plan('ABAA'), plan('ABAB'));
    const bob = more.changes.find((c) => c.member.id === 'UBOB')!;
    assert.equal(
      renderChangeMessage('Support Triager', bob, [], more.range),
      'Your Support Triager turns changed: new turn 3 Feb.',
    );
  });

  it('compares only the dates both plans cover: a handover between them moves nobody', () => {
    const before = plan('ABDABD');
    const after = plan('BDABDA', '2025-01-20');
    assert.deepEqual(comparePlans(before, after).changes, []);
    assert.deepEqual(comparePlans([], []), { range: null, changes: [] });
  });

  it('the year goes with a date in another year than the plan start', () => {
    assert.equal(formatTurnDate('2026-01-07', 2025), '7 Jan 2026');
    assert.equal(formatTurnDate('2025-12-31', 2025), '31 Dec');
  });

  it('the operator summary lists each affected member once', () => {
    const comparison = comparePlans(plan('ABABAB'), plan('ABDBAD'), { joined: [DAN] });
    assert.equal(
      renderOperatorSummary('Support Triager', comparison, ['Dan joined the group']),
      [
        'Support Triager plan changed (Dan joined the group): 3 members affected.',
        '• Ann (UANN): 27 Jan → later',
        '• Bob (UBOB): 17 Feb → later',
        '• Dan (UDAN) joined: first turn 27 Jan',
      ].join('\n'),
    );
    assert.equal(
      renderOperatorSummary('Support Triager', comparePlans(plan('AB'), plan('AB')), ['a refresh']),
      "Support Triager plan changed (a refresh): no member's turns moved.",
    );
  });
});

describe('plan changes: coalescing', () => {
  const MIN = 60_000;
  const change = (
    at: number,
    reason: string,
    before: Turn[],
    after: Turn[],
    extra: Partial<PlanChange> = {},
  ): PlanChange => ({
    at,
    reason,
    before,
    after,
    ...extra,
  });

  it('changes within the window become one batch: one before, one after, every reason', () => {
    const batches = coalesceChanges(
      [
        change(0, 'Dan joined the group', plan('ABAB'), plan('ABDA'), { joined: [DAN] }),
        change(2 * MIN, 'an operator skipped Ann', plan('ABDA'), plan('BADB')),
        change(20 * MIN, 'an operator swapped Ann and Bob', plan('BADB'), plan('ABDA')),
      ],
      5 * MIN,
    );
    assert.equal(batches.length, 2);
    const first = batches[0]!;
    assert.deepEqual(first.reasons, ['Dan joined the group', 'an operator skipped Ann']);
    assert.deepEqual(
      first.comparison.changes.map((c) => [c.member.id, c.kind]),
      [
        ['UANN', 'moved'],
        ['UBOB', 'moved'],
        ['UDAN', 'joined'],
      ],
    );
    // Each member hears the reasons of the changes that moved their dates.
    assert.deepEqual(first.reasonsFor['UDAN'], ['Dan joined the group'], 'the skip did not move Dan');
    assert.deepEqual(first.reasonsFor['UBOB'], ['Dan joined the group', 'an operator skipped Ann']);
  });

  it('a change undone within the batch tells nobody; a join undone by a leave is no join', () => {
    const [batch] = coalesceChanges(
      [
        change(0, 'Dan joined the group', plan('ABAB'), plan('ABDA'), { joined: [DAN] }),
        change(MIN, 'Dan left the group', plan('ABDA'), plan('ABAB'), { left: [DAN] }),
      ],
      5 * MIN,
    );
    assert.deepEqual(batch!.comparison.changes, []);
  });

  it('the batch is due once the window has passed without a change; keys are per batch and member', () => {
    const { open } = addChange(null, change(1000, 'r', plan('AB'), plan('BA')), 5 * MIN);
    assert.equal(batchDue(open, 1000 + 5 * MIN - 1, 5 * MIN), false);
    assert.equal(batchDue(open, 1000 + 5 * MIN, 5 * MIN), true);
    const next = addChange(open, change(1000 + 6 * MIN, 's', plan('BA'), plan('AB')), 5 * MIN);
    assert.equal(next.closed, open, 'a change after the quiet period closes the batch');
    assert.equal(changeNoticeKey('support-triager', open, 'UANN'), 'support-triager:plan-change:1000:UANN');
  });

  it('stays bounded: at most 20 reasons, the rest counted', () => {
    let batch = addChange(null, change(0, 'reason 0', plan('AB'), plan('BA')), MIN).open;
    for (let i = 1; i < 30; i++) batch = addChange(batch, change(i, `reason ${i}`, plan('BA'), plan('AB')), MIN).open;
    assert.equal(batch.reasons.length, 20);
    assert.equal(batch.more, 10);
    assert.ok(summarizeBatch(batch).reasons.includes('10 more change(s)'));
  });
});

describe('plan changes: properties', function () {
  this.timeout(120_000);
  const POOL: Member[] = [...'ABCDEFGH'].map((l, i) => ({ id: `U${i}`, name: `${l}${l.toLowerCase()}` }));
  const index = fc.nat(POOL.length - 1);
  type Op =
    | { op: 'override'; who: number }
    | { op: 'skip'; who: number; next: boolean; weeks: number }
    | { op: 'swap'; a: number; b: number }
    | { op: 'pause' }
    | { op: 'resume' }
    | { op: 'join'; who: number }
    | { op: 'leave'; who: number }
    | { op: 'handover' };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant('override' as const), who: index }),
    fc.record({
      op: fc.constant('skip' as const),
      who: index,
      next: fc.boolean(),
      weeks: fc.integer({ min: 0, max: 6 }),
    }),
    fc.record({ op: fc.constant('swap' as const), a: index, b: index }),
    fc.constant({ op: 'pause' as const }),
    fc.constant({ op: 'resume' as const }),
    fc.record({ op: fc.constant('join' as const), who: index }),
    fc.record({ op: fc.constant('leave' as const), who: index }),
    fc.constant({ op: 'handover' as const }),
  );
  const scenario = fc.record({
    rules: fc.boolean(),
    members: fc.subarray([...POOL.keys()], { minLength: 2 }),
    ops: fc.array(op, { minLength: 1, maxLength: 12 }),
  });

  /** Applies an operation; a refused one changes nothing. */
  function apply(state: RotationState, o: Op, date: string): { state: RotationState; date: string } {
    const today = addDays(date, -2);
    const who = (i: number) => (POOL[i] as Member).id;
    const schedule = { role: TRIAGER, nextHandover: date };
    try {
      switch (o.op) {
        case 'override':
          return { state: override(state, { incoming: who(o.who) }), date };
        case 'skip':
          return {
            state: skip(
              state,
              o.next
                ? { member: who(o.who), next: true }
                : { member: who(o.who), from: date, to: addDays(date, 7 * o.weeks) },
              today,
            ),
            date,
          };
        case 'swap':
          return { state: swap(state, { first: who(o.a), second: who(o.b) }, today), date };
        case 'pause':
          return { state: pause(state), date };
        case 'resume':
          return { state: resume(state), date };
        case 'join':
          return { state: refreshMembers(state, [...state.members, POOL[o.who] as Member], schedule).state, date };
        case 'leave':
          return {
            state: refreshMembers(
              state,
              state.members.filter((m) => m.id !== who(o.who)),
              schedule,
            ).state,
            date,
          };
        case 'handover': {
          const next = applyHandover(state, { start: date, end: turnEnd(TRIAGER, date) }, `r@${date}`, 10).state;
          return { state: next, date: followingHandoverDate(TRIAGER, date) };
        }
      }
    } catch (err) {
      if (err instanceof RotationError) return { state, date };
      throw err;
    }
  }

  it('affected = exactly the members whose turn dates changed; their moves turn the before dates into the after ones', () => {
    let affectedSeen = 0;
    fc.assert(
      fc.property(scenario, ({ rules, members, ops }) => {
        let state = initialState(
          'support-triager',
          2,
          members.map((i) => POOL[i] as Member),
          {},
          rules ? { freezeTurns: 2, fairness: 'cycle' } : undefined,
        );
        let date = '2025-01-15';
        const changes: PlanChange[] = [];
        for (const [at, o] of ops.entries()) {
          const before = planFromState(TRIAGER, state, date, 30);
          const step = apply(state, o, date);
          state = step.state;
          date = step.date;
          const after = planFromState(TRIAGER, state, date, 30);
          const { changes: affected, range } = comparePlans(before, after);
          // Independently: each member's start dates within the range both plans cover.
          const from = [before[0]!.start, after[0]!.start].sort()[1]!;
          const to = [before.at(-1)!.start, after.at(-1)!.start].sort()[0]!;
          const dates = (p: Turn[], id: string) =>
            p
              .filter((t) => t.member.id === id && t.start >= from && t.start <= to)
              .map((t) => t.start)
              .join();
          const everyone = new Set([...before, ...after].map((t) => t.member.id));
          const moved = [...everyone].filter((id) => dates(before, id) !== dates(after, id)).sort();
          assert.deepEqual(affected.map((c) => c.member.id).sort(), moved);
          assert.deepEqual(range, { from, to });
          for (const c of affected) {
            const result = [
              ...c.before.filter((d) => !c.moves.some((m) => m.from === d)),
              ...c.moves.flatMap((m) => (m.to ? [m.to] : [])),
            ].sort();
            assert.deepEqual(result, c.after, `the moves of ${c.member.id}`);
            const message = renderChangeMessage('Support Triager', c, ['why'], range);
            for (const m of c.moves) if (m.to) assert.ok(message.includes(formatTurnDate(m.to, 2025)), message);
            affectedSeen++;
          }
          changes.push({ at: at * 1000, reason: o.op, before, after });
        }
        // One batch over all of them: the net comparison, each affected member with at least one reason.
        const [batch] = coalesceChanges(changes, 60_000);
        const net = comparePlans(changes[0]!.before, changes.at(-1)!.after);
        assert.deepEqual(
          batch!.comparison.changes.map((c) => c.member.id),
          net.changes.map((c) => c.member.id),
        );
        for (const c of net.changes) assert.ok((batch!.reasonsFor[c.member.id] ?? []).length > 0);
      }),
      { numRuns: 400 },
    );
    assert.ok(affectedSeen > 1000, `only ${affectedSeen} affected members seen`);
  });
});
