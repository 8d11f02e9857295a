/** The roster rules (issue 16) by example: seven members A…G, Support Triager, A incoming, the next turn B's. */
import assert from 'node:assert/strict';
import {
  configureRules,
  initialState,
  override,
  planFromState,
  refreshMembers,
  RotationError,
  skip,
  swap,
  type Member,
  type RotationState,
} from '../../src/domain';
import { deepFreeze, letters, member, SEVEN, TRIAGER } from './fixtures';

const [A, , , , , , G] = SEVEN as [Member, Member, Member, Member, Member, Member, Member];
const FIRST = '2023-03-29';
const SCHEDULE = { role: TRIAGER, nextHandover: FIRST };
/** "Person Ca" sorts between C and D: under the old rules the newcomer would serve right after C. */
const CA: Member = { id: 'UCA', name: 'Person Ca' };

function rotation(freezeTurns = 2): RotationState {
  return deepFreeze(
    initialState('support-triager', 2, SEVEN, { incoming: A, current: G }, { freezeTurns, fairness: 'cycle' }),
  );
}
const next = (state: RotationState, count = 14) =>
  letters(planFromState(TRIAGER, state, FIRST, count).map((t) => t.member));
const without = (id: string) => SEVEN.filter((m) => m.id !== id);

describe('roster rules: by example', () => {
  it('a newcomer enters behind everyone after the frozen window, not at their alphabetical place', () => {
    assert.equal(next(rotation()), 'B C D E F G A B C D E F G A');
    const { state, warnings } = refreshMembers(rotation(), [...SEVEN, CA], SCHEDULE);
    assert.equal(next(state), 'B C D E F G A B C Ca D E F G');
    assert.match(warnings.join(' '), /enter the rotation after the next 2 turn\(s\), behind everyone/);
    const old = initialState('support-triager', 2, SEVEN, { incoming: A, current: G });
    assert.equal(next(refreshMembers(old, [...SEVEN, CA]).state), 'B C Ca D E F G A B C Ca D E F', 'the old rules');
  });

  it("a leaver's frozen turn goes to the first member after the window, the other frozen turn stays", () => {
    const { state, warnings } = refreshMembers(rotation(), without('UB'), SCHEDULE);
    assert.equal(next(state), 'D C E F G A C D E F G A C D');
    assert.match(warnings.join(' '), /Person B \(UB\) left .*: Person D \(UD\) takes their turn starting 2023-03-29/);
    const old = initialState('support-triager', 2, SEVEN, { incoming: A, current: G });
    assert.equal(next(refreshMembers(old, without('UB')).state), 'C D E F G A C D E F G A C D', 'the old rules');
  });

  it('a leave after the window: the members behind the leaver move up one turn', () => {
    assert.equal(next(refreshMembers(rotation(), without('UE'), SCHEDULE).state), 'B C D F G A B C D F G A B C');
  });

  it('a window of 0 applies a change at once; a longer one holds more turns', () => {
    assert.equal(next(refreshMembers(rotation(0), [...SEVEN, CA], SCHEDULE).state), 'B C D E F G A Ca B C D E F G');
    assert.equal(next(refreshMembers(rotation(4), without('UD'), SCHEDULE).state), 'B C F E G A B C E F G A B C');
  });

  it('a member back before their leave takes effect keeps their place; their frozen turn stays with its taker', () => {
    const gone = refreshMembers(rotation(), without('UB'), SCHEDULE).state;
    const back = refreshMembers(gone, SEVEN, SCHEDULE);
    assert.equal(next(back.state), 'D C E F G A B C D E F G A B');
    assert.match(back.warnings.join(' '), /back in the support-triager group before their leave took effect/);
  });

  it('if everyone in the rotation left, the newcomers enter at once', () => {
    const alone = deepFreeze(
      initialState('support-triager', 2, [A], { incoming: A }, { freezeTurns: 2, fairness: 'cycle' }),
    );
    const { state, warnings } = refreshMembers(alone, [member('X'), member('Y')], SCHEDULE);
    assert.equal(next(state, 4), 'X Y X Y');
    assert.match(warnings.join(' '), /newcomers enter it at once/);
  });

  it('an operator can bring a waiting newcomer in at once by naming them; a swap with one waits', () => {
    const waiting = refreshMembers(rotation(), [...SEVEN, CA], SCHEDULE).state;
    assert.equal(next(override(waiting, { incoming: 'Person Ca' }), 8), 'B C D E F G A Ca');
    assert.throws(
      () => swap(waiting, { first: 'UCA', second: 'UB' }, '2023-03-27'),
      (err: unknown) => err instanceof RotationError && /after the frozen window/.test(err.message),
    );
    // Skipping a waiting newcomer is fine: it applies once they are in.
    assert.doesNotThrow(() => skip(waiting, { member: 'UCA', next: true }, '2023-03-27'));
  });

  it('refuses a roster change without the schedule the frozen window needs', () => {
    assert.throws(
      () => refreshMembers(rotation(), without('UB')),
      (err: unknown) => err instanceof RotationError && /needs the role schedule/.test(err.message),
    );
    assert.doesNotThrow(() => refreshMembers(rotation(), SEVEN), 'no change needs no schedule');
  });

  it('adopting an older state keeps its next turns, even with a renamed cursor member', () => {
    const old = initialState('support-triager', 2, SEVEN, { incoming: { id: 'UC', name: 'Aaron' }, current: null });
    const adopted = configureRules(old, { freezeTurns: 2, fairness: 'cycle' });
    assert.equal(next(adopted), next(old));
    assert.equal(
      configureRules(adopted, { freezeTurns: 2, fairness: 'cycle' }),
      adopted,
      'unchanged settings: same state',
    );
    assert.equal(configureRules(adopted, { freezeTurns: 3, fairness: 'balance' }).rules?.freezeTurns, 3);
  });
});
