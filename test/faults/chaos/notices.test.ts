/** The chaos test's change-notice check (chaos/notices.ts) catches what it is there to catch. */
import assert from 'node:assert/strict';
import type { IsoDate, Member } from '../../../src/domain/types';
import { parseMoves, toldAgreesWithPlan, type ChangeDm, type PlanTurn } from './notices';

const ava: Member = { id: 'U0AVA', name: 'Ava' };
const ben: Member = { id: 'U0BEN', name: 'Ben' };
const chloe: Member = { id: 'U0CHLOE', name: 'Chloe' };

function plan(...turns: [IsoDate, Member][]): PlanTurn[] {
  return turns.map(([start, member]) => ({ start, member }));
}

const dm = (recipient: Member, text: string): ChangeDm => ({ ts: '1', recipient: recipient.id, text });

describe('chaos: the change-notice check', () => {
  it("reads a DM's moves, the year taken from the turns' dates or given", () => {
    assert.deepEqual(
      parseMoves('Your X turns changed: 30 Dec → 6 Jan 2027; 13 Jan 2027 → later. Why: a.', '2026-12-30'),
      [
        { from: '2026-12-30', to: '2027-01-06' },
        { from: '2027-01-13', to: null },
      ],
    );
    assert.deepEqual(parseMoves('Your X turns changed: new turn 3 Feb. Why: b; c.', '2027-01-06'), [
      { from: null, to: '2027-02-03' },
    ]);
    assert.throws(() => parseMoves('You joined the X rotation: your first turn starts 3 Feb.', '2027-01-06'));
  });

  const before = plan(['2027-01-06', ava], ['2027-01-13', ben], ['2027-01-20', chloe], ['2027-01-27', ava]);
  // Ava and Ben swapped their turns of 6 and 13 Jan; a handover meanwhile (6 Jan served, 3 Feb added).
  const after = plan(['2027-01-13', ava], ['2027-01-20', chloe], ['2027-01-27', ava], ['2027-02-03', ben]);

  it('agrees when the DMs tell every move', () => {
    const told = [
      dm(ava, 'Your X turns changed: 6 Jan → 13 Jan. Why: swap.'),
      dm(ben, 'Your X turns changed: 13 Jan → later. Why: swap.'),
    ];
    assert.deepEqual(toldAgreesWithPlan(before, after, told), []);
  });

  it('names a member whose dates moved without a DM, and a DM with a wrong date', () => {
    const untold = toldAgreesWithPlan(before, after, [dm(ava, 'Your X turns changed: 6 Jan → 13 Jan.')]);
    assert.equal(untold.length, 1);
    assert.match(untold[0]!, /^Ben: told \[2027-01-13\] .* the plan has \[\]/);
    const wrong = toldAgreesWithPlan(before, after, [
      dm(ava, 'Your X turns changed: 6 Jan → 20 Jan.'),
      dm(ben, 'Your X turns changed: 13 Jan → later.'),
    ]);
    assert.equal(wrong.length, 1);
    assert.match(wrong[0]!, /^Ava: told \[2027-01-20, 2027-01-27\]/);
  });
});
