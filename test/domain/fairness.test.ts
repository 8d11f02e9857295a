/**
 * The fairness ledger and the balance mode (issue 17): the share's definition for late joiners and rejoiners, the
 * ledger the rotation keeps, and the bound balance mode promises.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  addDays,
  applyHandover,
  balanceOf,
  closeAccount,
  configureRules,
  fairnessTable,
  followingHandoverDate,
  initialState,
  ledgerFromEvents,
  MAX_CLOSED_ACCOUNTS,
  openAccount,
  planFromState,
  refreshMembers,
  RotationError,
  skip,
  turnEnd,
  type Fairness,
  type LedgerEvent,
  type Member,
  type RoleSchedule,
  type RotationState,
} from '../../src/domain';
import { deepFreeze, FACILITATOR, member, SEVEN, TRIAGER } from './fixtures';

const [A, B, C] = SEVEN as [Member, Member, Member];
const POOL: Member[] = [...'ABCDEFGHJK'].map((letter, i) => ({
  id: `U${i}`,
  name: `${letter}${letter.toLowerCase()}`,
}));
const handover = (date: string, eligible: Member[], served: Member, skipped: LedgerEvent[] = []): LedgerEvent => ({
  kind: 'handover',
  date,
  eligible,
  served,
  skipped: skipped.flatMap((e) => (e.kind === 'leave' ? [{ member: e.member, reason: 'left' as const }] : [])),
});

describe('fairness: the ledger', () => {
  it('each handover gives 1/n to each of the n eligible members, the turn to the server', () => {
    const ledger = ledgerFromEvents([
      handover('2023-01-04', [A, B, C], A),
      handover('2023-01-11', [A, B, C], B),
      handover('2023-01-18', [A, B], A),
    ]);
    const entry = (m: Member) => ledger.find((e) => e.member.id === m.id)!;
    const c = entry(C);
    assert.deepEqual(
      [entry(A), entry(B), c].map((e) => [e.served, +e.share.toFixed(6)]),
      [
        [2, +(2 / 3 + 1 / 2).toFixed(6)],
        [1, +(2 / 3 + 1 / 2).toFixed(6)],
        [0, +(2 / 3).toFixed(6)],
      ],
    );
    assert.equal(+balanceOf(c).toFixed(6), +(2 / 3).toFixed(6), 'C owes two thirds of a turn');
  });

  it('a late joiner starts at zero: their share counts from the first handover they are eligible at', () => {
    const ledger = ledgerFromEvents([
      handover('2023-01-04', [A, B], A),
      handover('2023-01-11', [A, B], B),
      { kind: 'enter', member: C },
      handover('2023-01-18', [A, B, C], A),
    ]);
    const c = ledger.find((e) => e.member.id === C.id)!;
    assert.deepEqual([c.since, c.served, +c.share.toFixed(6)], ['2023-01-18', 0, +(1 / 3).toFixed(6)]);
  });

  it('a member who leaves and rejoins opens a new account at zero; the old one stays, closed', () => {
    const ledger = ledgerFromEvents([
      handover('2023-01-04', [A, B], A),
      { kind: 'leave', member: A, date: '2023-01-11' },
      handover('2023-01-11', [B], B),
      { kind: 'enter', member: A },
      handover('2023-01-18', [A, B], B),
    ]);
    const [closed, open] = ledger.filter((e) => e.member.id === A.id);
    assert.deepEqual([closed!.leftOn, closed!.served, closed!.share], ['2023-01-11', 1, 0.5]);
    assert.deepEqual([open!.leftOn, open!.served, open!.share, open!.since], [null, 0, 0.5, '2023-01-18']);
  });

  it('a leave seen and undone before it takes effect is the same membership', () => {
    const ledger = ledgerFromEvents([
      handover('2023-01-04', [A, B], A),
      { kind: 'leave', member: A, date: '2023-01-11' },
      { kind: 'rejoin', member: A },
      handover('2023-01-11', [A, B], B),
    ]);
    const a = ledger.find((e) => e.member.id === A.id)!;
    assert.deepEqual([a.served, a.share, a.leftOn], [1, 1, null]);
  });

  it('turns skipped because the member left land on their closed account', () => {
    const leave: LedgerEvent = { kind: 'leave', member: A, date: '2023-01-11' };
    const ledger = ledgerFromEvents([
      handover('2023-01-04', [A, B], A),
      leave,
      handover('2023-01-11', [B], B, [leave]),
    ]);
    const a = ledger.find((e) => e.member.id === A.id)!;
    assert.deepEqual([a.leftOn, a.skipped], ['2023-01-11', { absence: 0, operator: 0, left: 1 }]);
  });

  it('keeps every open account and at most MAX_CLOSED_ACCOUNTS closed ones, the most recent', () => {
    let ledger = [A, B].reduce((l, m) => openAccount(l, m), [] as ReturnType<typeof openAccount>);
    for (let i = 0; i < MAX_CLOSED_ACCOUNTS + 10; i++) {
      const leaver = member(`X${i}`);
      ledger = closeAccount(openAccount(ledger, leaver), leaver, addDays('2023-01-04', i));
    }
    assert.equal(ledger.length, 2 + MAX_CLOSED_ACCOUNTS);
    assert.ok(ledger.some((e) => e.member.id === 'UX59') && !ledger.some((e) => e.member.id === 'UX0'));
  });

  it('the table lists members in the group first, most owed first, balances in hundredths', () => {
    const ledger = ledgerFromEvents([
      handover('2023-01-04', [A, B, C], A),
      handover('2023-01-11', [A, B, C], A),
      { kind: 'leave', member: B, date: '2023-01-18' },
    ]);
    const table = fairnessTable(ledger);
    assert.deepEqual(
      table.map((r) => [r.member.id, r.present, r.served, r.balance]),
      [
        ['UC', true, 0, 0.67],
        ['UA', true, 2, -1.33],
        ['UB', false, 0, 0.67],
      ],
    );
  });

  it('property: shares are Σ 1/n over the handovers each account was eligible at; they add up to the handovers', () => {
    const step = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({
          kind: fc.constant('handover' as const),
          present: fc.subarray([...POOL.keys()], { minLength: 1 }),
          server: fc.nat(99),
        }),
      },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave' as const), who: fc.nat(POOL.length - 1) }) },
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const events: LedgerEvent[] = [];
        const expected = new Map<string, number>();
        let date = '2023-01-04';
        let handovers = 0;
        for (const s of steps) {
          if (s.kind === 'leave') {
            const who = POOL[s.who] as Member;
            events.push({ kind: 'leave', member: who, date });
            expected.delete(who.id); // a later eligibility opens a new account
            continue;
          }
          const eligible = s.present.map((i) => POOL[i] as Member);
          const server = eligible[s.server % eligible.length] as Member;
          events.push(handover(date, eligible, server));
          for (const m of eligible) expected.set(m.id, (expected.get(m.id) ?? 0) + 1 / eligible.length);
          handovers++;
          date = addDays(date, 7);
        }
        const ledger = ledgerFromEvents(events);
        for (const [id, share] of expected) {
          const open = ledger.find((e) => e.member.id === id && e.leftOn === null);
          assert.ok(open && Math.abs(open.share - share) < 1e-9, `share of ${id}`);
        }
        const totalShare = ledger.reduce((sum, e) => sum + e.share, 0);
        const totalServed = ledger.reduce((sum, e) => sum + e.served, 0);
        if (ledger.filter((e) => e.leftOn !== null).length < MAX_CLOSED_ACCOUNTS) {
          assert.ok(Math.abs(totalShare - handovers) < 1e-9 && totalServed === handovers, 'nothing lost');
        }
        assert.deepEqual(JSON.parse(JSON.stringify(ledger)), ledger, 'plain JSON');
      }),
      { numRuns: 500 },
    );
  });
});

/** A rotation under the rules and its handovers, tracking who was eligible at each (for independent checks). */
function rotate(state: RotationState, role: RoleSchedule = TRIAGER, from = '2023-03-29') {
  let date = from;
  return {
    get state() {
      return state;
    },
    get date() {
      return date;
    },
    handover(): Member {
      const result = applyHandover(state, { start: date, end: turnEnd(role, date) }, `r@${date}`, 10);
      state = deepFreeze(result.state);
      date = followingHandoverDate(role, date);
      return result.turn!.member;
    },
    change(fn: (s: RotationState, today: string) => RotationState) {
      state = deepFreeze(fn(state, addDays(date, -2)));
    },
  };
}

describe('fairness: the ledger the rotation keeps', () => {
  it('counts turns served, skips by reason (once per deferred turn), and keeps the old cycle order', () => {
    const withSkips = (s: RotationState, today: string) =>
      skip(
        skip(s, { member: 'UC', from: today, to: addDays(today, 20), reason: 'absence' }, today),
        { member: 'UE', next: true },
        today,
      );
    const r = rotate(initialState('support-triager', 2, SEVEN, { incoming: A }, { freezeTurns: 2, fairness: 'cycle' }));
    const old = rotate(initialState('support-triager', 2, SEVEN, { incoming: A }));
    r.change(withSkips);
    old.change(withSkips);
    const served = Array.from({ length: 7 }, () => r.handover().id);
    assert.deepEqual(
      served,
      Array.from({ length: 7 }, () => old.handover().id),
      'the cycle, as without a ledger',
    );
    const rows = new Map(fairnessTable(r.state.rules!.ledger).map((row) => [row.member.id, row]));
    assert.deepEqual(rows.get('UC')!.skipped, { absence: 1, operator: 0, left: 0, total: 1 }, 'three turns away');
    assert.deepEqual(rows.get('UE')!.skipped, { absence: 0, operator: 1, left: 0, total: 1 });
    assert.equal(rows.get('UB')!.served, 1);
    assert.equal(rows.get('UA')!.served, 1, 'the seeded incoming member served before the ledger opened');
  });

  it('a leaver whose frozen turn goes to someone else is counted as skipped for leaving', () => {
    const r = rotate(initialState('support-triager', 2, SEVEN, { incoming: A }, { freezeTurns: 2, fairness: 'cycle' }));
    r.change(
      (s) =>
        refreshMembers(
          s,
          SEVEN.filter((m) => m.id !== 'UB'),
          { role: TRIAGER, nextHandover: r.date },
        ).state,
    );
    assert.equal(r.handover().id, 'UD', 'the first member after the window takes the turn');
    const b = fairnessTable(r.state.rules!.ledger).find((row) => row.member.id === 'UB')!;
    assert.deepEqual([b.present, b.skipped.left], [false, 1]);
  });

  it('survives continue-as-new: the state, ledger included, is plain JSON', () => {
    const r = rotate(
      initialState('support-triager', 2, SEVEN, { incoming: A }, { freezeTurns: 2, fairness: 'balance' }),
    );
    for (let i = 0; i < 10; i++) r.handover();
    const copy = JSON.parse(JSON.stringify(r.state)) as RotationState;
    assert.deepEqual(copy, r.state);
    assert.deepEqual(planFromState(TRIAGER, copy, r.date, 20), planFromState(TRIAGER, r.state, r.date, 20));
  });

  it('refuses settings that are not whole turns or a known fairness', () => {
    const state = initialState('r', 2, SEVEN);
    assert.throws(() => configureRules(state, { freezeTurns: -1, fairness: 'cycle' }), RotationError);
    assert.throws(() => configureRules(state, { freezeTurns: 1.5, fairness: 'cycle' }), RotationError);
    assert.throws(() => configureRules(state, { freezeTurns: 2, fairness: 'fair' as Fairness }), RotationError);
  });
});

/** Runs of the year-long property: 400 in the suite; FAIR_RUNS=N to search harder. */
const YEAR_RUNS = Number(process.env.FAIR_RUNS ?? 400);

describe('fairness: balance mode', function () {
  this.timeout(Math.max(120_000, YEAR_RUNS * 50));

  it('the most owed member who can serve goes first; ties go by the cyclic order', () => {
    const r = rotate(
      initialState('support-triager', 2, SEVEN, { incoming: A }, { freezeTurns: 0, fairness: 'balance' }),
    );
    assert.deepEqual(
      Array.from({ length: 7 }, () => r.handover().id),
      ['UB', 'UC', 'UD', 'UE', 'UF', 'UG', 'UA'],
      'equal balances: the cycle',
    );
    // Away for three turns, C owes no more than the members who have not served since either: the round goes on
    // (C's place passes on to D) and C serves in it, after those who waited as long.
    r.change((s, today) => skip(s, { member: 'UC', from: today, to: addDays(today, 20), reason: 'absence' }, today));
    assert.deepEqual(
      Array.from({ length: 7 }, () => r.handover().id),
      ['UB', 'UD', 'UE', 'UF', 'UG', 'UA', 'UC'],
    );
    // Away for fourteen turns, C falls two turns behind: back, they serve first, every other turn until caught up.
    r.change((s, today) =>
      skip(s, { member: 'UC', from: today, to: addDays(today, 7 * 14 - 1), reason: 'absence' }, today),
    );
    const during = Array.from({ length: 14 }, () => r.handover().id);
    assert.ok(!during.includes('UC'));
    const back = Array.from({ length: 4 }, () => r.handover().id);
    assert.equal(back[0], 'UC', 'back from the absence, C is the most owed');
    assert.equal(back.filter((id) => id === 'UC').length, 2, `C pays back: ${back.join(' ')}`);
    const rows = fairnessTable(r.state.rules!.ledger);
    const served = rows.map((row) => row.served);
    assert.ok(Math.max(...served) - Math.min(...served) <= 1, `spread ${served.join(' ')}`);
  });

  const year = fc.record({
    slots: fc.constantFrom<1 | 2>(1, 2),
    members: fc.subarray([...POOL.keys()], { minLength: 2 }),
    steps: fc.array(
      fc.oneof(
        { weight: 8, arbitrary: fc.constant({ kind: 'handover' as const }) },
        {
          weight: 1,
          arbitrary: fc.record({
            kind: fc.constant('refresh' as const),
            add: fc.nat(POOL.length - 1),
            drop: fc.nat(POOL.length - 1),
          }),
        },
        {
          weight: 2,
          arbitrary: fc.record({
            kind: fc.constant('absence' as const),
            who: fc.nat(POOL.length - 1),
            weeks: fc.integer({ min: 1, max: 6 }),
          }),
        },
        {
          weight: 1,
          arbitrary: fc.record({ kind: fc.constant('operatorSkip' as const), who: fc.nat(POOL.length - 1) }),
        },
      ),
      { minLength: 52, maxLength: 90 },
    ),
  });

  it('over a year, two members present and able throughout never differ by more than one turn served', () => {
    let pairsChecked = 0;
    let strictTotal = 0;
    let yearsWithChanges = 0;
    fc.assert(
      fc.property(year, ({ slots, members, steps }) => {
        const role = slots === 2 ? TRIAGER : FACILITATOR;
        const group0 = members.map((i) => POOL[i] as Member);
        const r = rotate(
          initialState('r', slots, group0, {}, { freezeTurns: 2, fairness: 'balance' }),
          role,
          slots === 2 ? '2023-03-29' : '2023-04-01',
        );
        let group = group0;
        const served = new Map<string, number>();
        /** Members in the rotation and never skipped at every handover so far: the pairs the bound is about. */
        let steady = new Set(group0.map((m) => m.id));
        let handovers = 0;
        /**
         * The bound holds where the rotation has a choice. It has none at a handover where at most one member can
         * serve (present, not away, not skipped by an operator since they last served, not the last to serve) nor
         * inside the frozen window of a roster change (its turns stay as planned; a leaver's go to whoever can take
         * them without serving two in a row). Each such turn may widen the spread by one: after one, the spread
         * stays within one more than the number of them so far, and the bound of one holds again from the first
         * handover where the spread is back to one.
         */
        let forced = 0;
        let strict = true;
        let frozenUntil = 0;
        let strictChecks = 0;
        const absences: { id: string; from: string; to: string }[] = [];
        const skippedSinceServed = new Set<string>();
        let lastServed: string | undefined;
        for (const step of steps) {
          if (handovers >= 52) break;
          try {
            switch (step.kind) {
              case 'handover': {
                const rules = r.state.rules!;
                const inRotation = rules.order.filter(
                  (m) => !rules.pending.some((c) => c.kind === 'leave' && c.member.id === m.id),
                );
                steady = new Set([...steady].filter((id) => inRotation.some((m) => m.id === id)));
                const [start, end] = [r.date, turnEnd(role, r.date)];
                const canServe = inRotation.filter(
                  (m) =>
                    m.id !== lastServed &&
                    !skippedSinceServed.has(m.id) &&
                    !absences.some((a) => a.id === m.id && a.from <= end && a.to >= start),
                );
                const who = r.handover();
                served.set(who.id, (served.get(who.id) ?? 0) + 1);
                skippedSinceServed.delete(who.id);
                lastServed = who.id;
                handovers++;
                if (canServe.length <= 1 || handovers <= frozenUntil) {
                  forced++;
                  strict = false;
                }
                const counts = [...steady].map((id) => served.get(id) ?? 0);
                const spread = counts.length === 0 ? 0 : Math.max(...counts) - Math.min(...counts);
                if (spread <= 1) strict = true;
                const bound = strict ? 1 : 1 + forced;
                if (counts.length >= 2) pairsChecked++;
                if (counts.length >= 2 && strict) strictChecks++;
                assert.ok(spread <= bound, `spread among ${[...steady].join(',')}: ${counts.join(' ')}`);
                break;
              }
              case 'refresh': {
                const add = POOL[step.add] as Member;
                const next = [...group.filter((m) => m.id !== (POOL[step.drop] as Member).id), add];
                if (next.length < 2) break;
                // Someone who joins or leaves during the year is not continuously present.
                for (const m of [...group, ...next])
                  if (!next.some((x) => x.id === m.id) || !group.some((x) => x.id === m.id)) steady.delete(m.id);
                r.change((s) => refreshMembers(s, next, { role, nextHandover: r.date }).state);
                if (
                  next.some((m) => !group.some((x) => x.id === m.id)) ||
                  group.some((m) => !next.some((x) => x.id === m.id))
                ) {
                  frozenUntil = handovers + 2;
                  yearsWithChanges++;
                }
                group = next;
                break;
              }
              case 'absence': {
                const who = POOL[step.who] as Member;
                const absence = { id: who.id, from: r.date, to: addDays(r.date, 7 * step.weeks - 1) };
                r.change((s, today) =>
                  skip(s, { member: who.id, from: absence.from, to: absence.to, reason: 'absence' }, today),
                );
                absences.push(absence);
                steady.delete(who.id);
                break;
              }
              case 'operatorSkip': {
                const who = POOL[step.who] as Member;
                r.change((s, today) => skip(s, { member: who.id, next: true }, today));
                skippedSinceServed.add(who.id);
                steady.delete(who.id);
                break;
              }
            }
          } catch (err) {
            if (!(err instanceof RotationError)) throw err;
          }
        }
        strictTotal += strictChecks;
      }),
      { numRuns: YEAR_RUNS },
    );
    assert.ok(
      pairsChecked > 5000 && strictTotal > pairsChecked / 2 && yearsWithChanges > 200,
      `coverage: ${pairsChecked} checks (${strictTotal} at the bound of one), ${yearsWithChanges} roster changes`,
    );
  });

  it('a member skipped for an absence catches up: once skips stop, everyone continuously present is within one turn', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<1 | 2>(1, 2),
        fc.integer({ min: 3, max: POOL.length }),
        fc.array(
          fc.record({
            who: fc.nat(POOL.length - 1),
            at: fc.integer({ min: 0, max: 25 }),
            weeks: fc.integer({ min: 1, max: 4 }),
          }),
          { maxLength: 6 },
        ),
        (slots, n, absences) => {
          const role = slots === 2 ? TRIAGER : FACILITATOR;
          const group = POOL.slice(0, n);
          const r = rotate(
            initialState('r', slots, group, {}, { freezeTurns: 2, fairness: 'balance' }),
            role,
            slots === 2 ? '2023-03-29' : '2023-04-01',
          );
          for (let week = 0; week < 52; week++) {
            for (const a of absences.filter((x) => x.at === week && x.who < n)) {
              r.change((s, today) =>
                skip(
                  s,
                  {
                    member: (POOL[a.who] as Member).id,
                    from: r.date,
                    to: addDays(r.date, 7 * a.weeks - 1),
                    reason: 'absence',
                  },
                  today,
                ),
              );
            }
            r.handover();
          }
          const served = fairnessTable(r.state.rules!.ledger).map((row) => row.served);
          assert.ok(Math.max(...served) - Math.min(...served) <= 1, `spread after a year: ${served.join(' ')}`);
        },
      ),
      { numRuns: 300 },
    );
  });
});
