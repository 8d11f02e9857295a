/**
 * The absence check before a notice (issue 17, src/domain/absenceCheck.ts): who is read, who is skipped and who is
 * named instead, the same rotation for the activity and for the workflow that applies the skips, and the warnings.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  absenceCandidates,
  absenceWarnings,
  resolveAbsences,
  skipForAbsence,
  type AbsenceCheck,
  type AbsenceFinding,
} from '../../src/domain/absenceCheck';
import {
  applyHandover,
  fairnessTable,
  followingHandoverDate,
  initialState,
  planWithSkips,
  turnEnd,
  upcomingMember,
  type Member,
  type RotationState,
} from '../../src/domain';
import { letters, SEVEN, TRIAGER } from './fixtures';

const DATE = '2023-03-29'; // a Wednesday
const [A, B, C, D, E] = SEVEN as [Member, Member, Member, Member, Member];
/** Person B incoming, Person A current: the next notice names C, then D, E… */
const start = (settings?: Parameters<typeof initialState>[4]) =>
  initialState('support-triager', 2, SEVEN, { incoming: B, current: A }, settings);

function finding(m: Member, kind: AbsenceFinding['kind'], extra: Partial<AbsenceFinding> = {}): AbsenceFinding {
  const away = kind === 'skip' ? 'Mon 3 Apr, Tue 4 Apr, Wed 5 Apr, Thu 6 Apr, Fri 7 Apr' : 'Mon 3 Apr';
  return {
    member: m,
    kind,
    awayDays: kind === 'skip' || kind === 'away' ? away : null,
    coverage: kind === 'unknown' ? null : kind === 'skip' ? 0.5 : kind === 'away' ? 0.1 : 0,
    failures: kind === 'unknown' ? ['out of office: no domain-wide delegation for c@example.test'] : [],
    ...extra,
  };
}
const findings = (...list: AbsenceFinding[]) => new Map(list.map((f) => [f.member.id, f]));

describe('absence check: who is read, skipped and named', () => {
  it('reads who the notice names and who would stand in, so one skip needs no second read', () => {
    assert.equal(letters(absenceCandidates(start(), DATE)), 'C D');
  });

  it('a member away for most of their turn is skipped; the next member is named; they keep their place', () => {
    const resolved = resolveAbsences(start(), DATE, findings(finding(C, 'skip'), finding(D, 'clear')));
    assert.deepEqual([resolved.named.name, letters(resolved.skipped), resolved.unread], ['Person D', 'C', []]);
    // C serves the turn after, owed first: the skip moves their turn a week later instead of losing it.
    const plan = planWithSkips(TRIAGER, resolved.rotation, DATE, 3);
    assert.equal(letters(plan.map((t) => t.member)), 'D C E');
    assert.deepEqual(plan[0]?.skipped, [{ member: C, reason: 'absence' }]);
    assert.equal(plan[1]?.skipped, undefined);
  });

  it('away below the threshold, clear, or unknown (a failed read): nobody is skipped', () => {
    for (const kind of ['away', 'clear', 'unknown'] as const) {
      const resolved = resolveAbsences(start(), DATE, findings(finding(C, kind), finding(D, 'clear')));
      assert.deepEqual([resolved.named.name, resolved.skipped], ['Person C', []], kind);
      assert.deepEqual(resolved.rotation.skips, [], `${kind}: the rotation is unchanged`);
    }
  });

  it('two away in a row: the second stand-in is asked for once the first is skipped too', () => {
    const first = resolveAbsences(start(), DATE, findings(finding(C, 'skip'), finding(D, 'skip')));
    assert.equal(letters(first.unread), 'E F', 'the next two in line are read');
    const resolved = resolveAbsences(
      start(),
      DATE,
      findings(finding(C, 'skip'), finding(D, 'skip'), finding(E, 'clear')),
    );
    assert.deepEqual([resolved.named.name, letters(resolved.skipped), resolved.unread], ['Person E', 'C D', []]);
  });

  it('when everyone who could take the turn is away, the last one stays named', () => {
    const three = initialState('support-triager', 2, [A, B, C], { incoming: B, current: A });
    // C is due; A is the only other one who can serve (B just took up the role): A away too, so A stays named.
    const resolved = resolveAbsences(three, DATE, findings(finding(C, 'skip'), finding(A, 'skip')));
    assert.deepEqual([resolved.named.name, letters(resolved.skipped)], ['Person A', 'C']);
    assert.equal(resolved.namedDespiteAbsence?.name, 'Person A');
  });

  it('the workflow applying the same skips to its own state names whom the check named (any findings)', () => {
    const kinds = fc.constantFrom<AbsenceFinding['kind']>('skip', 'away', 'clear', 'unknown');
    fc.assert(
      fc.property(fc.array(kinds, { minLength: 7, maxLength: 7 }), fc.boolean(), (picked, twoSlots) => {
        const rotation = twoSlots ? start() : initialState('meeting-facilitator', 1, SEVEN, { current: A }, undefined);
        const all = findings(...SEVEN.map((m, i) => finding(m, picked[i] as AbsenceFinding['kind'])));
        const resolved = resolveAbsences(rotation, DATE, all);
        assert.deepEqual(resolved.unread, [], 'every member was read: decided');
        // Only members found away for most of their turn are skipped; a failed read never skips.
        for (const m of resolved.skipped) assert.equal(all.get(m.id)?.kind, 'skip');
        // The named member is not away for most of it, unless nobody else could take the turn.
        if (resolved.namedDespiteAbsence === null) assert.notEqual(all.get(resolved.named.id)?.kind, 'skip');
        let applied = rotation;
        for (const m of resolved.skipped) applied = skipForAbsence(applied, m, DATE);
        assert.deepEqual(applied, resolved.rotation);
        assert.equal(upcomingMember(applied, DATE).member.id, resolved.named.id);
      }),
      { numRuns: 300 },
    );
  });
});

describe('absence check: the warnings operators read', () => {
  it('say who was skipped and who is named, the named one’s away days, and every cause a read failed', () => {
    const check: AbsenceCheck = {
      date: DATE,
      skipped: [C],
      findings: [finding(C, 'skip'), finding(D, 'away', { failures: ['team absences calendar: calendar not found'] })],
      namedDespiteAbsence: null,
    };
    assert.deepEqual(absenceWarnings(check, D), [
      'Person C (UC) is away for 50% of the turn starting 2023-03-29 (Mon 3 Apr, Tue 4 Apr, Wed 5 Apr, Thu 6 Apr, ' +
        'Fri 7 Apr): skipped for that turn, Person D (UD) is named instead; they keep their place and serve at the ' +
        'next turn they can.',
      'Person D (UD) is away during the turn starting 2023-03-29: Mon 3 Apr (below the skip threshold; the notice ' +
        'says so).',
      'The absences of Person D (UD) for the turn starting 2023-03-29 could be read only in part (the source that ' +
        'was read decided): team absences calendar: calendar not found.',
    ]);
    const unknown: AbsenceCheck = {
      date: DATE,
      skipped: [],
      findings: [finding(C, 'unknown')],
      namedDespiteAbsence: null,
    };
    assert.deepEqual(absenceWarnings(unknown, C), [
      'The absences of Person C (UC) for the turn starting 2023-03-29 could not be read, so they were not skipped: ' +
        'out of office: no domain-wide delegation for c@example.test.',
    ]);
  });
});

describe('absence check: the fairness ledger', () => {
  const FOUR = SEVEN.slice(0, 4);
  /**
   * Four members, B incoming and A current, 20 weekly handovers from DATE; the absence check before each notice finds
   * C away for most of the turns of handovers 5 to 9 (five weeks). Returns the rotation after each handover.
   */
  function year(fairness: 'cycle' | 'balance'): RotationState[] {
    let rotation = initialState('support-triager', 2, FOUR, { incoming: B, current: A }, { freezeTurns: 2, fairness });
    let date = DATE;
    const states: RotationState[] = [];
    for (let i = 0; i < 20; i++) {
      const away = i >= 4 && i < 9 ? [C] : [];
      const all = findings(...FOUR.map((m) => finding(m, away.includes(m) ? 'skip' : 'clear')));
      rotation = resolveAbsences(rotation, date, all).rotation;
      rotation = applyHandover(rotation, { start: date, end: turnEnd(TRIAGER, date) }, `k@${date}`, 50).state;
      states.push(rotation);
      date = followingHandoverDate(TRIAGER, date);
    }
    return states;
  }
  const row = (rotation: RotationState, m: Member) =>
    fairnessTable(rotation.rules?.ledger ?? []).find((r) => r.member.id === m.id);

  for (const fairness of ['cycle', 'balance'] as const) {
    it(`${fairness}: the absence shows as one skipped turn owed, and later turns pay it back`, () => {
      const states = year(fairness);
      const away = states[8] as RotationState; // after the last handover C was away for
      assert.deepEqual(row(away, C)?.skipped, { absence: 1, operator: 0, left: 0, total: 1 }, 'once per deferred turn');
      assert.ok((row(away, C)?.balance ?? 0) >= 1, `C owes at least a turn (${row(away, C)?.balance})`);
      assert.equal(states[9]?.history.at(-1)?.member.name, 'Person C', 'back, C serves first');
      const end = states.at(-1) as RotationState;
      assert.deepEqual(
        FOUR.map((m) => [row(end, m)?.served, row(end, m)?.balance]),
        FOUR.map(() => [5, 0]),
        'after 20 handovers everyone has served 5 turns: even',
      );
    });
  }
});
