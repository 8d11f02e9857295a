/**
 * Absence maths (issue 17): a turn's working days, how much of them absences cover, the skip decision, and which
 * member a team absences calendar's event names.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  absenceDecision,
  addDays,
  describeAwayDays,
  membersNamedBy,
  turnCoverage,
  turnWorkingDays,
  type Absence,
  type AbsenceContact,
  type AbsenceRead,
} from '../../src/domain';

/** Support Triager turn: Wednesday 15 Jan 2025 to Wednesday 29 Jan (exclusive), ten working days. */
const TURN = { start: '2025-01-15', end: '2025-01-29' };
const ok = (absences: Absence[], source = 'outOfOffice'): AbsenceRead => ({ source, ok: true, absences });
const failed = (reason = 'HTTP 403: delegation missing', source = 'outOfOffice'): AbsenceRead => ({
  source,
  ok: false,
  reason,
});
const decide = (reads: AbsenceRead[], threshold = 0.5, timeZone = 'Europe/London') =>
  absenceDecision(TURN, reads, { threshold, timeZone });

describe('absences: working days and coverage', () => {
  it('a two-week turn from Wednesday has ten working days, weekends out', () => {
    const days = turnWorkingDays(TURN);
    assert.equal(days.length, 10);
    assert.ok(!days.includes('2025-01-18') && !days.includes('2025-01-19'));
    assert.deepEqual([days[0], days.at(-1)], ['2025-01-15', '2025-01-28']);
  });

  it('an all-day absence covers its dates whole (end exclusive, as Google all-day events)', () => {
    const coverage = turnCoverage(TURN, [{ kind: 'allDay', start: '2025-01-20', end: '2025-01-25' }], 'UTC');
    assert.deepEqual(
      coverage.away.map((d) => d.date),
      ['2025-01-20', '2025-01-21', '2025-01-22', '2025-01-23', '2025-01-24'],
    );
    assert.equal(coverage.fraction, 0.5);
  });

  it('a timed absence covers the share of working hours it overlaps, in the role time zone', () => {
    // 13:00-17:00 London is half of 09:00-17:00; the same instants are 08:00-12:00 in New York (3 of 8 hours).
    const afternoon: Absence = { kind: 'timed', start: '2025-01-16T13:00:00Z', end: '2025-01-16T17:00:00Z' };
    assert.deepEqual(turnCoverage(TURN, [afternoon], 'Europe/London').away, [{ date: '2025-01-16', covered: 0.5 }]);
    assert.deepEqual(turnCoverage(TURN, [afternoon], 'America/New_York').away, [
      { date: '2025-01-16', covered: 3 / 8 },
    ]);
  });

  it('overlapping absences count once; a multi-day out-of-office covers every working day in it', () => {
    const week: Absence = { kind: 'timed', start: '2025-01-20T00:00:00+00:00', end: '2025-01-25T00:00:00+00:00' };
    const again: Absence = { kind: 'allDay', start: '2025-01-21', end: '2025-01-22' };
    const coverage = turnCoverage(TURN, [week, again, week], 'UTC');
    assert.equal(coverage.away.length, 5);
    assert.equal(coverage.fraction, 0.5);
  });

  it('ignores absences outside the turn and intervals that end before they start', () => {
    const coverage = turnCoverage(
      TURN,
      [
        { kind: 'allDay', start: '2025-01-01', end: '2025-01-15' },
        { kind: 'timed', start: '2025-01-17T12:00:00Z', end: '2025-01-17T10:00:00Z' },
        { kind: 'allDay', start: '2025-01-18', end: '2025-01-20' },
      ],
      'UTC',
    );
    assert.deepEqual([coverage.away, coverage.fraction], [[], 0]);
  });

  it('names the away days for the notice', () => {
    assert.equal(
      describeAwayDays([
        { date: '2025-01-20', covered: 1 },
        { date: '2025-01-21', covered: 0.5 },
      ]),
      'Mon 20 Jan, Tue 21 Jan (part of the day)',
    );
  });
});

describe('absences: the decision', () => {
  it('skips at the threshold, tells the days below it, is clear without absences', () => {
    const five: Absence = { kind: 'allDay', start: '2025-01-20', end: '2025-01-25' };
    assert.equal(decide([ok([five])]).kind, 'skip');
    assert.equal(decide([ok([five])], 0.6).kind, 'away');
    assert.equal(decide([ok([])]).kind, 'clear');
  });

  it('a failed read never skips: unknown, with the cause', () => {
    const decision = decide([failed()]);
    assert.deepEqual(decision, { kind: 'unknown', failures: ['outOfOffice: HTTP 403: delegation missing'] });
  });

  it('a failure beside a source that was read is reported and changes nothing', () => {
    const five: Absence = { kind: 'allDay', start: '2025-01-20', end: '2025-01-25' };
    const decision = decide([ok([five], 'teamCalendar'), failed()]);
    assert.equal(decision.kind, 'skip');
    assert.deepEqual(decision.failures, ['outOfOffice: HTTP 403: delegation missing']);
  });

  it('refuses a threshold outside (0, 1]', () => {
    assert.throws(() => decide([ok([])], 0), RangeError);
    assert.throws(() => decide([ok([])], 1.5), RangeError);
  });

  const allDay = fc
    .record({ from: fc.integer({ min: -5, max: 20 }), days: fc.integer({ min: 1, max: 10 }) })
    .map(({ from, days }): Absence => ({
      kind: 'allDay',
      start: addDays(TURN.start, from),
      end: addDays(TURN.start, from + days),
    }));
  const timed = fc
    .record({
      day: fc.integer({ min: -2, max: 16 }),
      hour: fc.integer({ min: 0, max: 23 }),
      hours: fc.integer({ min: 1, max: 72 }),
    })
    .map(({ day, hour, hours }): Absence => {
      const start = new Date(`${addDays(TURN.start, day)}T00:00:00Z`).getTime() + hour * 3_600_000;
      return {
        kind: 'timed',
        start: new Date(start).toISOString(),
        end: new Date(start + hours * 3_600_000).toISOString(),
      };
    });
  const absences = fc.array(fc.oneof(allDay, timed), { maxLength: 6 });
  const threshold = fc.double({ min: 0.01, max: 1, noNaN: true });
  const zone = fc.constantFrom('UTC', 'Europe/London', 'America/New_York', 'Asia/Kolkata', 'Pacific/Auckland');

  it('property: skip exactly when the covered share of working days reaches the threshold', () => {
    fc.assert(
      fc.property(fc.array(allDay, { maxLength: 6 }), threshold, (list, t) => {
        // Whole days, counted independently of the module.
        const covered = turnWorkingDays(TURN).filter((d) => list.some((a) => a.start <= d && d < a.end)).length;
        const decision = absenceDecision(TURN, [ok(list)], { threshold: t, timeZone: 'UTC' });
        assert.equal(decision.kind === 'skip', covered / 10 + 1e-9 >= t, `${covered}/10 at ${t}`);
        if (decision.kind !== 'skip') assert.equal(decision.kind, covered > 0 ? 'away' : 'clear');
      }),
      { numRuns: 1000 },
    );
  });

  it('property: a read failure never skips, alone or beside other sources', () => {
    fc.assert(
      fc.property(
        absences,
        threshold,
        zone,
        fc.array(fc.string(), { minLength: 1, maxLength: 3 }),
        (list, t, timeZone, reasons) => {
          const failures = reasons.map((reason, i) => failed(reason, `source${i}`));
          const options = { threshold: t, timeZone };
          assert.equal(absenceDecision(TURN, failures, options).kind, 'unknown');
          const without = absenceDecision(TURN, [ok(list)], options);
          const withFailures = absenceDecision(TURN, [...failures, ok(list)], options);
          assert.equal(withFailures.kind, without.kind, 'a failure beside a read changes nothing');
          assert.equal(withFailures.failures.length, failures.length, 'and is reported');
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('property: coverage is a share of the working days, each day at most whole', () => {
    fc.assert(
      fc.property(absences, zone, (list, timeZone) => {
        const coverage = turnCoverage(TURN, list, timeZone);
        assert.ok(coverage.fraction >= 0 && coverage.fraction <= 1 + 1e-9);
        for (const day of coverage.away) {
          assert.ok(day.covered > 0 && day.covered <= 1 && coverage.workingDays.includes(day.date));
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('absences: matching a team calendar event to a member', () => {
  const ANN: AbsenceContact = { id: 'U01ANN', name: 'Ann', email: 'ann@example.org' };
  const ANNA: AbsenceContact = { id: 'U02ANNA', name: 'Anna Lee', email: 'anna.lee@example.org' };
  const BOB: AbsenceContact = { id: 'U03BOB', name: 'Bob', email: null };
  const TEAM = [ANN, ANNA, BOB];
  const named = (summary: string, attendees: string[] = []) =>
    membersNamedBy({ summary, attendees: attendees.map((email) => ({ email })) }, TEAM).map((m) => m.id);

  it('by exact display name as a part of the summary, case and spacing aside', () => {
    assert.deepEqual(named('Ann - holiday'), ['U01ANN']);
    assert.deepEqual(named('Holiday: anna  lee'), ['U02ANNA']);
    assert.deepEqual(named('Offsite (Ann, Bob)'), ['U01ANN', 'U03BOB']);
  });

  it('by Slack ID or mention, and by e-mail in the summary or as an attendee', () => {
    assert.deepEqual(named('Out <@U03BOB>'), ['U03BOB']);
    assert.deepEqual(named('U01ANN away'), ['U01ANN']);
    assert.deepEqual(named('away: anna.lee@example.org.'), ['U02ANNA']);
    assert.deepEqual(named('Conference', ['ANN@example.org']), ['U01ANN']);
  });

  it('never by substring', () => {
    assert.deepEqual(named('Annabel - holiday'), []);
    assert.deepEqual(named("Ann's leaving do"), []);
    assert.deepEqual(named('Ann out'), [], 'a part must be exactly the name');
    assert.deepEqual(named('Bobby; U01ANNX; xann@example.org'), []);
  });

  it('a display name two members share names neither', () => {
    const twin: AbsenceContact = { id: 'U09', name: 'ann', email: null };
    assert.deepEqual(
      membersNamedBy({ summary: 'Ann - holiday' }, [...TEAM, twin]).map((m) => m.id),
      [],
    );
    assert.deepEqual(
      membersNamedBy({ summary: 'U09 - holiday' }, [...TEAM, twin]).map((m) => m.id),
      ['U09'],
    );
  });

  const word = fc.stringMatching(/^[A-Za-z][A-Za-z0-9.]{0,7}$/);
  const contacts = fc.uniqueArray(
    fc.record({
      id: fc.stringMatching(/^U[A-Z0-9]{3,8}$/),
      name: fc.stringMatching(/^[A-Za-z][a-z]{1,6}( [A-Z][a-z]{1,6})?$/),
      email: fc.option(
        word.map((w) => `${w}@example.org`),
        { nil: null },
      ),
    }),
    { minLength: 1, maxLength: 6, selector: (c) => c.id },
  );

  it('property: a member named is named by a whole part, word or attendee equal to their name, ID or e-mail', () => {
    fc.assert(
      fc.property(
        contacts,
        fc.array(fc.oneof(word, fc.constantFrom('-', ' - ', ':', ',', '(', ')', ' ')), { maxLength: 12 }),
        fc.nat(5),
        (team, pieces, pick) => {
          // Summaries built from the members' own names, IDs and e-mails with letters added around them.
          const base = team[pick % team.length] as AbsenceContact;
          const summary = [...pieces, `x${base.name}`, `${base.id}9`, base.email ? `a${base.email}` : ''].join(' ');
          for (const m of membersNamedBy({ summary }, team)) {
            const fold = (t: string) => t.trim().replace(/\s+/g, ' ').toLowerCase();
            const words = summary
              .split(/[\s<>,;:|()[\]]+/)
              .map((w) => fold(w.replace(/^@/, '').replace(/[.!?]+$/, '')));
            const parts = summary.split(/\s+-\s+|[–—:|,;/+&()[\]]/).map(fold);
            const justified =
              words.includes(fold(m.id)) || (m.email && words.includes(fold(m.email))) || parts.includes(fold(m.name));
            assert.ok(justified, `${m.id} (${m.name}) named by "${summary}"`);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('property: a name, ID or e-mail inside a longer word never names its member', () => {
    fc.assert(
      fc.property(
        contacts,
        fc.nat(5),
        fc.stringMatching(/^[a-z0-9]{1,4}$/),
        fc.stringMatching(/^[a-z0-9]{1,4}$/),
        (team, pick, before, after) => {
          const target = team[pick % team.length] as AbsenceContact;
          const hidden = [`${before}${target.name}${after}`, `${target.id}${after}`, `${before}${target.id}`];
          if (target.email) hidden.push(`${before}${target.email}`);
          const summary = `${hidden.join(' ')} - holiday`;
          // Unless another member's own name, ID or e-mail happens to be one of those words.
          const others = team.filter((m) => m.id !== target.id);
          fc.pre(!others.some((o) => summary.toLowerCase().includes(o.name.toLowerCase())));
          assert.ok(
            !membersNamedBy({ summary }, team).some((m) => m.id === target.id),
            `"${summary}" named ${target.id}`,
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});
