/**
 * Property-based tests of the acknowledgement: random notices, checks (complete or not, with or without an answer),
 * answers, pauses and resumes, driven the way the watch drives the state machine (act on what `decide` allows).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ACK_VIAS,
  ACK_WINDOW_SHARE,
  ackTimes,
  acknowledge,
  decide,
  markEscalated,
  markReminded,
  MIN_ANSWER_MS,
  resumeAcknowledgement,
  startAcknowledgement,
  suspendAcknowledgement,
  type AckSettings,
  type AckVia,
  type Acknowledgement,
} from '../../src/domain/acknowledgement';

const H = 3_600_000;
const NOTICE = Date.parse('2026-12-07T10:00:00Z');
const MEMBER = { id: 'U0CHLOE', name: 'Chloe' };

const settingsArb: fc.Arbitrary<AckSettings> = fc.record({
  ackWithinHours: fc.double({ min: 0.25, max: 72, noNaN: true }),
  escalateAfterHours: fc.double({ min: 0.25, max: 48, noNaN: true }),
});
const leadArb = fc.integer({ min: -2 * H, max: 200 * H });
const viaArb = fc.constantFrom<AckVia>(...ACK_VIAS);

type Step =
  | { kind: 'check'; dt: number; complete: boolean; answer: AckVia | null }
  | { kind: 'ack'; dt: number; via: AckVia }
  | { kind: 'pause'; dt: number }
  | { kind: 'resume'; dt: number };

const stepArb = (lead: number): fc.Arbitrary<Step> => {
  const dt = fc.integer({ min: 0, max: Math.max(1, Math.floor(Math.max(lead, H) / 6)) });
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('check' as const),
        dt,
        complete: fc.boolean(),
        answer: fc.option(viaArb, { freq: 8 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('ack' as const), dt, via: viaArb }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('pause' as const), dt }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('resume' as const), dt }) },
  );
};

function deadlinesBeforeHandover(record: Acknowledgement): void {
  const handover = Date.parse(record.handoverAt);
  if (record.deadline === null) {
    assert.equal(record.escalateAt, null);
    return;
  }
  const deadline = Date.parse(record.deadline);
  if (record.status === 'pending') {
    // A resumed record's deadline moved on with the pause (a reminded one's stays where the reminder went out).
    assert.ok(deadline >= Date.parse(record.noticeAt) + record.pausedMs + MIN_ANSWER_MS, 'at least an hour to answer');
  }
  assert.ok(record.escalateAt !== null, 'an escalation with every deadline');
  assert.ok(deadline < Date.parse(record.escalateAt), 'the escalation after the deadline');
  assert.ok(Date.parse(record.escalateAt) < handover, 'the escalation before the handover');
}

describe('acknowledgement properties', () => {
  it('deadlines: configured when they fit, else squeezed in proportion, always before the handover', () => {
    fc.assert(
      fc.property(settingsArb, leadArb, (settings, lead) => {
        const times = ackTimes(NOTICE, NOTICE + lead, settings);
        if (times.deadline === null) {
          assert.equal(times.escalateAt, null);
          return;
        }
        const escalateAt = times.escalateAt!;
        assert.ok(times.deadline >= NOTICE + MIN_ANSWER_MS);
        assert.ok(times.deadline < escalateAt);
        assert.ok(escalateAt <= NOTICE + lead * ACK_WINDOW_SHARE && escalateAt < NOTICE + lead);
        const wanted = (settings.ackWithinHours + settings.escalateAfterHours) * H;
        if (!times.squeezed) {
          assert.ok(wanted <= lead * ACK_WINDOW_SHARE);
          assert.equal(times.deadline, NOTICE + Math.floor(settings.ackWithinHours * H));
        } else {
          const ratio = (times.deadline - NOTICE) / (escalateAt - times.deadline);
          const configured = settings.ackWithinHours / settings.escalateAfterHours;
          assert.ok(Math.abs(ratio - configured) / configured < 1e-3, `proportions kept: ${ratio} vs ${configured}`);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('driven at random: one reminder and one escalation at most, in order, none after an answer, only on a confirmed absence', () => {
    const scenario = fc.tuple(settingsArb, fc.integer({ min: 0, max: 120 * H })).chain(([settings, lead]) =>
      fc.record({
        settings: fc.constant(settings),
        lead: fc.constant(lead),
        steps: fc.array(stepArb(lead), { maxLength: 60 }),
      }),
    );
    fc.assert(
      fc.property(scenario, ({ settings, lead, steps }) => {
        const handover = NOTICE + lead;
        let record = startAcknowledgement(
          { member: MEMBER, handoverKey: 'r@2026-12-09', noticeAtMs: NOTICE, handoverAtMs: handover },
          settings,
        );
        let now = NOTICE;
        let reminders = 0;
        let escalations = 0;
        let answeredAt: number | null = null;
        for (const step of steps) {
          now += step.dt;
          const before = record;
          if (step.kind === 'check') {
            const answer = step.answer ? { via: step.answer, atMs: now } : null;
            const decided = decide(record, {
              atMs: now,
              answer,
              complete: step.complete,
              problems: step.complete ? [] : ['x'],
            });
            record = decided.record;
            if (decided.action) {
              assert.ok(step.complete && !answer, 'acted only on a confirmed absence');
              assert.equal(answeredAt, null, 'never after an answer');
              assert.ok(now < handover, 'only before the handover');
              assert.equal(record.pausedAt, null, 'not while paused');
              if (decided.action === 'remind') {
                assert.ok(now > Date.parse(record.deadline!), 'strictly after the deadline');
                record = markReminded(record, now);
                reminders++;
              } else {
                assert.equal(reminders, 1, 'escalated only after the reminder');
                assert.ok(now > Date.parse(record.escalateAt!));
                record = markEscalated(record, now);
                escalations++;
              }
            }
            if (answer && before.status !== 'cancelled') answeredAt ??= now;
          } else if (step.kind === 'ack') {
            record = acknowledge(record, { via: step.via, atMs: now });
            if (before.status !== 'cancelled') answeredAt ??= now;
          } else if (step.kind === 'pause') {
            record = suspendAcknowledgement(record, now);
          } else {
            record = resumeAcknowledgement(record, now, settings);
          }
          assert.ok(reminders <= 1 && escalations <= 1);
          if (answeredAt !== null && record.status !== 'cancelled') assert.equal(record.status, 'acknowledged');
          if (before.status === 'cancelled') assert.equal(record, before, 'a cancelled record stays as it is');
          deadlinesBeforeHandover(record);
          assert.equal(record.remindedAt !== null, reminders === 1);
          assert.equal(record.escalatedAt !== null, escalations === 1);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('an answer and a deadline at the same instant: the same record and no action, whichever comes first', () => {
    const setup = fc.record({
      settings: settingsArb,
      lead: fc.integer({ min: 2 * H, max: 200 * H }),
      via: viaArb,
      complete: fc.boolean(),
      reminded: fc.boolean(),
    });
    fc.assert(
      fc.property(setup, ({ settings, lead, via, complete, reminded }) => {
        let record = startAcknowledgement(
          { member: MEMBER, handoverKey: 'r@x', noticeAtMs: NOTICE, handoverAtMs: NOTICE + lead },
          settings,
        );
        if (record.deadline === null) return;
        if (reminded) record = markReminded(record, Date.parse(record.deadline) + 1);
        const due = Date.parse((reminded ? record.escalateAt : record.deadline) ?? '');
        const check = { atMs: due, answer: null, complete, problems: complete ? [] : ['x'] };
        const answerFirst = decide(acknowledge(record, { via, atMs: due }), check);
        const deadlineFirst = decide(record, check);
        assert.equal(answerFirst.action, null);
        assert.equal(deadlineFirst.action, null, 'at the instant itself nothing is due yet');
        assert.deepEqual(answerFirst.record, acknowledge(deadlineFirst.record, { via, atMs: due }));
        // The check that finds the answer, and the answer told to the workflow, agree too.
        const found = decide(record, { atMs: due, answer: { via, atMs: due }, complete, problems: [] });
        assert.equal(found.action, null);
        assert.equal(found.record.status, 'acknowledged');
      }),
      { numRuns: 300 },
    );
  });

  it('two answers through two channels at once: the same record in either order', () => {
    fc.assert(
      fc.property(
        viaArb,
        viaArb,
        fc.integer({ min: 0, max: 30 * H }),
        fc.integer({ min: 0, max: 30 * H }),
        (a, b, ta, tb) => {
          const record = startAcknowledgement(
            { member: MEMBER, handoverKey: 'r@x', noticeAtMs: NOTICE, handoverAtMs: NOTICE + 48 * H },
            { ackWithinHours: 24, escalateAfterHours: 12 },
          );
          const first = acknowledge(acknowledge(record, { via: a, atMs: NOTICE + ta }), { via: b, atMs: NOTICE + tb });
          const second = acknowledge(acknowledge(record, { via: b, atMs: NOTICE + tb }), { via: a, atMs: NOTICE + ta });
          assert.deepEqual(first, second);
          assert.equal(Date.parse(first.at), NOTICE + Math.min(ta, tb));
        },
      ),
      { numRuns: 300 },
    );
  });
});
