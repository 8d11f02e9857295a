import assert from 'node:assert/strict';
import {
  addDays,
  alignToHandoverDate,
  followingHandoverDate,
  handoverDateOf,
  handoverInstant,
  handoverKey,
  nextHandoverAfter,
  parseIsoDate,
  prepareInstant,
  RotationError,
  turnEnd,
  type RoleConfig,
} from '../../src/domain';
import { FACILITATOR, TRIAGER } from './fixtures';

const monthly = (day: number, slots: 1 | 2 = 1): RoleConfig => ({ ...FACILITATOR, handoverDayOfMonth: day, slots });
const weekly = (slots: 1 | 2): RoleConfig => ({ ...TRIAGER, slots });

describe('schedule: dates', () => {
  describe('alignToHandoverDate', () => {
    const cases: [string, RoleConfig, string, string][] = [
      ['weekly: Monday moves to Wednesday', TRIAGER, '2022-09-19', '2022-09-21'],
      ['weekly: Friday moves to next Wednesday', TRIAGER, '2022-09-23', '2022-09-28'],
      ['weekly: Wednesday stays', TRIAGER, '2022-09-21', '2022-09-21'],
      ['weekly: Thursday moves 6 days', TRIAGER, '2022-09-22', '2022-09-28'],
      ['weekly: Sunday moves 3 days', TRIAGER, '2022-09-25', '2022-09-28'],
      ['weekly: across the year end', TRIAGER, '2022-12-29', '2023-01-04'],
      ['weekly: across a leap day', TRIAGER, '2024-02-29', '2024-03-06'],
      ['monthly day 1: the 1st stays', FACILITATOR, '2023-03-01', '2023-03-01'],
      ['monthly day 1: the 2nd moves to the next 1st', FACILITATOR, '2023-03-02', '2023-04-01'],
      ['monthly day 1: 31 January moves to 1 February', FACILITATOR, '2023-01-31', '2023-02-01'],
      ['monthly day 1: across the year end', FACILITATOR, '2023-12-31', '2024-01-01'],
      ['monthly day 28: 28 February stays', monthly(28), '2023-02-28', '2023-02-28'],
      ['monthly day 28: 27 February moves a day', monthly(28), '2023-02-27', '2023-02-28'],
      ['monthly day 28: 31 March moves to 28 April', monthly(28), '2023-03-31', '2023-04-28'],
      ['monthly day 15: earlier in the month stays in the month', monthly(15), '2023-03-03', '2023-03-15'],
    ];
    for (const [title, role, from, expected] of cases) {
      it(`${title} (${from} -> ${expected})`, () => assert.equal(alignToHandoverDate(role, from), expected));
    }
  });

  describe('followingHandoverDate and turnEnd', () => {
    const following: [RoleConfig, string, string][] = [
      [TRIAGER, '2023-12-27', '2024-01-03'],
      [TRIAGER, '2024-02-28', '2024-03-06'],
      [monthly(28), '2023-01-28', '2023-02-28'],
      [FACILITATOR, '2024-02-01', '2024-03-01'],
      [FACILITATOR, '2023-12-01', '2024-01-01'],
    ];
    for (const [role, date, expected] of following) {
      it(`${role.cadence} after ${date} is ${expected}`, () =>
        assert.equal(followingHandoverDate(role, date), expected));
    }
    const ends: [string, RoleConfig, string, string][] = [
      ['weekly, 2 slots: two weeks', TRIAGER, '2023-03-29', '2023-04-12'],
      ['weekly, 1 slot: one week', weekly(1), '2023-03-29', '2023-04-05'],
      ['monthly, 1 slot: one month', FACILITATOR, '2023-01-01', '2023-02-01'],
      ['monthly, 2 slots: two months across the year end', monthly(1, 2), '2023-12-01', '2024-02-01'],
      ['monthly day 28, 1 slot: February', monthly(28), '2023-01-28', '2023-02-28'],
    ];
    for (const [title, role, start, expected] of ends) {
      it(`turnEnd ${title}`, () => assert.equal(turnEnd(role, start), expected));
    }
  });

  describe('parseIsoDate and addDays', () => {
    for (const good of ['2023-03-29', '2024-02-29', '2000-02-29', '1999-12-31']) {
      it(`accepts ${good}`, () => assert.equal(parseIsoDate(good), good));
    }
    for (const bad of [
      '2023-02-29',
      '2023-02-30',
      '1900-02-29',
      '2023-13-01',
      '2023-00-10',
      '2023-3-1',
      '',
      ' 2023-03-29',
      '2023-03-29T10:00',
      'tomorrow',
    ]) {
      it(`refuses ${JSON.stringify(bad)}`, () =>
        assert.throws(
          () => parseIsoDate(bad),
          (err: unknown) =>
            err instanceof RotationError && err.code === 'invalid-date' && err.message.includes(`"${bad}"`),
        ));
    }
    const sums: [string, number, string][] = [
      ['2023-12-31', 1, '2024-01-01'],
      ['2024-03-01', -1, '2024-02-29'],
      ['2023-03-25', 1, '2023-03-26'],
      ['2023-03-29', 14, '2023-04-12'],
    ];
    for (const [date, days, expected] of sums) {
      it(`${date} ${days >= 0 ? '+' : ''}${days} days is ${expected}`, () =>
        assert.equal(addDays(date, days), expected));
    }
    it('handoverKey is role@date', () =>
      assert.equal(handoverKey('support-triager', '2023-03-29'), 'support-triager@2023-03-29'));
  });
});

describe('schedule: instants across DST', () => {
  const instants: [string, RoleConfig, string, string, string][] = [
    ['UTC', TRIAGER, 'UTC', '2023-03-29', '2023-03-29T10:00:00.000Z'],
    ['London before spring forward (GMT)', TRIAGER, 'Europe/London', '2023-03-22', '2023-03-22T10:00:00.000Z'],
    ['London after spring forward (BST)', TRIAGER, 'Europe/London', '2023-03-29', '2023-03-29T09:00:00.000Z'],
    [
      'London on the day of the change',
      { ...TRIAGER, handoverWeekday: 'Sun' },
      'Europe/London',
      '2023-03-26',
      '2023-03-26T09:00:00.000Z',
    ],
    ['London before fall back (BST)', TRIAGER, 'Europe/London', '2023-10-25', '2023-10-25T09:00:00.000Z'],
    ['London after fall back (GMT)', TRIAGER, 'Europe/London', '2023-11-01', '2023-11-01T10:00:00.000Z'],
    ['New York before spring forward (EST)', TRIAGER, 'America/New_York', '2023-03-08', '2023-03-08T15:00:00.000Z'],
    ['New York after spring forward (EDT)', TRIAGER, 'America/New_York', '2023-03-15', '2023-03-15T14:00:00.000Z'],
    ['New York before fall back (EDT)', TRIAGER, 'America/New_York', '2023-11-01', '2023-11-01T14:00:00.000Z'],
    ['New York after fall back (EST)', TRIAGER, 'America/New_York', '2023-11-08', '2023-11-08T15:00:00.000Z'],
    [
      'a time inside the spring-forward gap moves forward',
      { ...TRIAGER, handoverTime: '02:30' },
      'America/New_York',
      '2023-03-12',
      '2023-03-12T07:30:00.000Z',
    ],
    ['monthly, London, BST', FACILITATOR, 'Europe/London', '2023-04-01', '2023-04-01T09:00:00.000Z'],
  ];
  for (const [title, role, zone, date, expected] of instants) {
    it(`handoverInstant: ${title}`, () => {
      const instant = handoverInstant(role, zone, date);
      assert.equal(instant.toISOString(), expected);
      assert.equal(handoverDateOf(role, zone, instant), date);
    });
  }

  const next: [string, RoleConfig, string, string, string][] = [
    [
      'exactly at a handover: the following one (over spring forward)',
      TRIAGER,
      'Europe/London',
      '2023-03-22T10:00:00.000Z',
      '2023-03-29T09:00:00.000Z',
    ],
    [
      'a moment before a handover: that one',
      TRIAGER,
      'Europe/London',
      '2023-03-22T09:59:59.999Z',
      '2023-03-22T10:00:00.000Z',
    ],
    ['over fall back', TRIAGER, 'Europe/London', '2023-10-25T09:00:00.000Z', '2023-11-01T10:00:00.000Z'],
    [
      'New York over spring forward',
      TRIAGER,
      'America/New_York',
      '2023-03-08T15:00:00.000Z',
      '2023-03-15T14:00:00.000Z',
    ],
    ['New York over fall back', TRIAGER, 'America/New_York', '2023-11-06T12:00:00.000Z', '2023-11-08T15:00:00.000Z'],
    [
      'late Tuesday local, already Wednesday in UTC',
      TRIAGER,
      'America/New_York',
      '2023-03-15T03:00:00.000Z',
      '2023-03-15T14:00:00.000Z',
    ],
    [
      'Wednesday evening local, Thursday in UTC',
      TRIAGER,
      'America/New_York',
      '2023-03-16T01:00:00.000Z',
      '2023-03-22T14:00:00.000Z',
    ],
    [
      'monthly: exactly at a handover',
      FACILITATOR,
      'Europe/London',
      '2023-03-01T10:00:00.000Z',
      '2023-04-01T09:00:00.000Z',
    ],
    ['monthly: mid-month', FACILITATOR, 'Europe/London', '2023-03-15T12:00:00.000Z', '2023-04-01T09:00:00.000Z'],
    [
      'monthly day 15: before it in the month',
      monthly(15),
      'UTC',
      '2023-03-03T00:00:00.000Z',
      '2023-03-15T10:00:00.000Z',
    ],
  ];
  for (const [title, role, zone, after, expected] of next) {
    it(`nextHandoverAfter: ${title}`, () =>
      assert.equal(nextHandoverAfter(role, zone, new Date(after)).toISOString(), expected));
  }

  it('handovers stay at 10:00 local through a whole year in London and New York', () => {
    for (const zone of ['Europe/London', 'America/New_York', 'Australia/Sydney']) {
      let at = nextHandoverAfter(TRIAGER, zone, new Date('2023-01-01T00:00:00Z'));
      for (let i = 0; i < 53; i++) {
        const local = new Intl.DateTimeFormat('en-GB', {
          timeZone: zone,
          weekday: 'short',
          hour: '2-digit',
          minute: '2-digit',
        }).format(at);
        assert.equal(local, 'Wed 10:00', `${zone} ${at.toISOString()}`);
        at = nextHandoverAfter(TRIAGER, zone, at);
      }
    }
  });

  it('prepareInstant is prepareLeadHours elapsed hours before the handover', () => {
    assert.equal(prepareInstant(TRIAGER, new Date('2023-03-29T09:00:00Z')).toISOString(), '2023-03-27T09:00:00.000Z');
    // 96 h before 10:00 EDT on 15 March 2023 is 09:00 EST on 11 March: the DST change lies in between.
    assert.equal(
      prepareInstant(FACILITATOR, new Date('2023-03-15T14:00:00Z')).toISOString(),
      '2023-03-11T14:00:00.000Z',
    );
  });

  it('an unknown time zone is a RotationError', () => {
    assert.throws(() => handoverInstant(TRIAGER, 'Mars/Olympus', '2023-03-29'), RotationError);
  });
});
