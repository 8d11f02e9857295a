/** The handover acknowledgement's state machine, its configuration and its messages. */
import assert from 'node:assert/strict';
import {
  ackTimes,
  acknowledge,
  acknowledgeProblem,
  acknowledgementPlan,
  acknowledgementWarning,
  applyCheckHeld,
  applyReminderSent,
  applyWatchOutcome,
  cancelAcknowledgement,
  decide,
  dueAction,
  markEscalated,
  markReminded,
  MIN_ANSWER_MS,
  nameForNotice,
  needsWatch,
  nextDueAt,
  observeCheck,
  resumeAcknowledgement,
  rotationWants,
  startAcknowledgement,
  suspendAcknowledgement,
  turnAcknowledgement,
  withTurnAcknowledgement,
  type AckCheck,
  type Acknowledgement,
  type RotationNow,
  type WatchOutcome,
} from '../../src/domain/acknowledgement';
import { DEFAULT_SETTINGS, parseSettings } from '../../src/domain/config';
import { NO_CONTACTS, planAckMessage } from '../../src/domain/messages';
import { formatInstant } from '../../src/domain/templates';
import { mergeSettings } from '../../src/settings';
import { deepFreeze } from './fixtures';

const H = 3_600_000;
const CHLOE = { id: 'U0CHLOE', name: 'Chloe' };
const DAN = { id: 'U0DAN', name: 'Dan' };
const BEN = { id: 'U0BEN', name: 'Ben' };
const KEY = 'support-triager@2026-12-09';
const HANDOVER = Date.parse('2026-12-09T10:00:00Z');
const NOTICE = HANDOVER - 48 * H;
const DEFAULTS = { ackWithinHours: 24, escalateAfterHours: 12 };
const iso = (ms: number) => new Date(ms).toISOString();

function pending(overrides: Partial<{ noticeAtMs: number; handoverAtMs: number }> = {}): Acknowledgement {
  return deepFreeze(
    startAcknowledgement(
      { member: CHLOE, handoverKey: KEY, noticeAtMs: NOTICE, handoverAtMs: HANDOVER, ...overrides },
      DEFAULTS,
    ),
  );
}

const noAnswer = (atMs: number, complete = true, problems: string[] = []): AckCheck => ({
  atMs,
  answer: null,
  complete,
  problems: complete ? [] : problems.length ? problems : ['Slack conversations.history: HTTP 500.'],
});

describe('acknowledgement: deadlines', () => {
  it('as configured when they fit: deadline 24 h after the notice, escalation 12 h later, both before the handover', () => {
    assert.deepEqual(ackTimes(NOTICE, HANDOVER, DEFAULTS), {
      deadline: NOTICE + 24 * H,
      escalateAt: NOTICE + 36 * H,
      squeezed: false,
    });
    // 48 h of lead: 36 h is exactly the three quarters the two may take.
    assert.equal(ackTimes(NOTICE, NOTICE + 48 * H - 1, DEFAULTS).squeezed, true);
  });

  it('a late notice squeezes both proportionally into three quarters of the time left', () => {
    const notice = HANDOVER - 10 * H;
    assert.deepEqual(ackTimes(notice, HANDOVER, DEFAULTS), {
      deadline: notice + 5 * H,
      escalateAt: notice + 7.5 * H,
      squeezed: true,
    });
  });

  it('less than an hour to answer: no reminder and no escalation planned', () => {
    const barely = (MIN_ANSWER_MS * 36) / 24 / 0.75; // the lead that leaves exactly an hour
    assert.notEqual(ackTimes(0, Math.ceil(barely), DEFAULTS).deadline, null);
    assert.deepEqual(ackTimes(0, Math.floor(barely) - 1, DEFAULTS), {
      deadline: null,
      escalateAt: null,
      squeezed: true,
    });
    assert.deepEqual(ackTimes(HANDOVER, HANDOVER, DEFAULTS), { deadline: null, escalateAt: null, squeezed: true });
    assert.deepEqual(ackTimes(HANDOVER + H, HANDOVER, DEFAULTS), { deadline: null, escalateAt: null, squeezed: true });
  });

  it('a new record is pending for the member, with the deadlines and nothing else yet', () => {
    assert.deepEqual(pending(), {
      member: CHLOE,
      handoverKey: KEY,
      handoverAt: '2026-12-09T10:00:00.000Z',
      noticeAt: '2026-12-07T10:00:00.000Z',
      status: 'pending',
      deadline: '2026-12-08T10:00:00.000Z',
      escalateAt: '2026-12-08T22:00:00.000Z',
      at: '2026-12-07T10:00:00.000Z',
      via: null,
      remindedAt: null,
      escalatedAt: null,
      pausedAt: null,
      pausedMs: 0,
    });
  });
});

describe('acknowledgement: transitions', () => {
  const record = pending();
  const deadline = NOTICE + 24 * H;
  const escalateAt = NOTICE + 36 * H;

  it('an answer acknowledges from pending, reminded or escalated, keeping what was sent', () => {
    const ack = acknowledge(record, { via: 'slack-reaction', atMs: NOTICE + H });
    assert.equal(ack.status, 'acknowledged');
    assert.equal(ack.via, 'slack-reaction');
    assert.equal(ack.at, iso(NOTICE + H));
    const reminded = markReminded(record, deadline + 1);
    const late = acknowledge(reminded, { via: 'geekbot', atMs: deadline + H });
    assert.equal(late.status, 'acknowledged');
    assert.equal(late.remindedAt, iso(deadline + 1));
    const escalated = markEscalated(reminded, escalateAt + 1);
    assert.equal(acknowledge(escalated, { via: 'operator', atMs: escalateAt + H }).escalatedAt, iso(escalateAt + 1));
  });

  it('the earliest answer counts, ties by the order of the vias; a cancelled record stays cancelled', () => {
    const byReply = acknowledge(record, { via: 'slack-reply', atMs: NOTICE + 2 * H });
    assert.equal(acknowledge(byReply, { via: 'geekbot', atMs: NOTICE + 3 * H }), byReply);
    assert.equal(acknowledge(byReply, { via: 'geekbot', atMs: NOTICE + H }).via, 'geekbot');
    assert.equal(acknowledge(byReply, { via: 'geekbot', atMs: NOTICE + 2 * H }).via, 'geekbot');
    assert.equal(acknowledge(byReply, { via: 'member', atMs: NOTICE + 2 * H }), byReply);
    const cancelled = cancelAcknowledgement(record, NOTICE + H, 'replaced');
    assert.equal(acknowledge(cancelled, { via: 'member', atMs: NOTICE + 2 * H }), cancelled);
  });

  it('an answer stamped before the notice counts as at the notice', () => {
    assert.equal(acknowledge(record, { via: 'slack-reply', atMs: NOTICE - 5000 }).at, iso(NOTICE));
  });

  it('a reminder is due strictly after the deadline, before the handover, unless paused', () => {
    assert.equal(dueAction(record, deadline), null, 'at the deadline itself: not yet');
    assert.equal(dueAction(record, deadline + 1), 'remind');
    assert.equal(dueAction(record, HANDOVER), null, 'the turn has started');
    assert.equal(dueAction(suspendAcknowledgement(record, deadline - H), deadline + H), null);
    assert.equal(dueAction(acknowledge(record, { via: 'member', atMs: NOTICE }), deadline + 1), null);
    assert.equal(nextDueAt(record), deadline + 1);
  });

  it('an escalation is due strictly after escalateAt, only once reminded, and after a late reminder', () => {
    assert.equal(dueAction(record, escalateAt + 1), 'remind', 'a pending record is reminded first');
    const reminded = markReminded(record, deadline + 1);
    assert.equal(dueAction(reminded, escalateAt), null);
    assert.equal(dueAction(reminded, escalateAt + 1), 'escalate');
    assert.equal(nextDueAt(reminded), escalateAt + 1);
    const lateReminder = markReminded(record, escalateAt + H);
    assert.equal(dueAction(lateReminder, escalateAt + H), null);
    assert.equal(dueAction(lateReminder, escalateAt + H + 1), 'escalate');
    assert.equal(dueAction(markReminded(record, HANDOVER - 1), HANDOVER), null, 'never at or after the handover');
    assert.equal(nextDueAt(markReminded(record, HANDOVER - 1)), null);
    assert.equal(nextDueAt(markEscalated(reminded, escalateAt + 1)), null);
  });

  it('at most one reminder and one escalation: the marks apply once, in order', () => {
    const reminded = markReminded(record, deadline + 1);
    assert.equal(markReminded(reminded, deadline + 2), reminded);
    assert.equal(markEscalated(record, escalateAt + 1), record, 'no escalation without a reminder');
    const escalated = markEscalated(reminded, escalateAt + 1);
    assert.equal(escalated.status, 'escalated');
    assert.equal(markEscalated(escalated, escalateAt + 2), escalated);
    assert.equal(markReminded(escalated, escalateAt + 2), escalated);
    const acknowledged = acknowledge(record, { via: 'member', atMs: NOTICE });
    assert.equal(markReminded(acknowledged, deadline + 1), acknowledged);
  });

  it('acts only on a confirmed absence: a complete check that found nothing, after the time', () => {
    assert.deepEqual(decide(record, noAnswer(deadline)).action, null);
    const { record: after, action } = decide(record, noAnswer(deadline + 1));
    assert.equal(action, 'remind');
    assert.equal(after, record, 'a clean complete check changes nothing');
    const found = decide(record, {
      atMs: deadline + 1,
      answer: { via: 'slack-reply', atMs: deadline - H },
      complete: false,
      problems: ['Geekbot: HTTP 500.'],
    });
    assert.equal(found.action, null);
    assert.equal(found.record.status, 'acknowledged', 'an answer from one source is enough, whatever the others did');
  });

  it('could not check: counted, and a due action is held with since when and why, until a complete check', () => {
    const early = observeCheck(record, noAnswer(NOTICE + H, false));
    assert.equal(early.checkFailures, 1);
    assert.equal(early.couldNotCheck, null, 'nothing was due yet');
    const held = decide(early, noAnswer(deadline + 1, false, ['Geekbot reports: HTTP 429.']));
    assert.equal(held.action, null);
    assert.deepEqual(held.record.couldNotCheck, { since: iso(deadline + 1), problem: 'Geekbot reports: HTTP 429.' });
    const still = decide(held.record, noAnswer(deadline + H, false, ['Slack reactions.get: HTTP 500.']));
    assert.deepEqual(still.record.couldNotCheck, {
      since: iso(deadline + 1),
      problem: 'Slack reactions.get: HTTP 500.',
    });
    assert.equal(still.record.checkFailures, 3);
    assert.match(acknowledgementWarning(still.record) ?? '', /could not check whether Chloe acknowledged.*HTTP 500/);
    const checked = decide(still.record, noAnswer(deadline + 2 * H));
    assert.equal(checked.action, 'remind');
    assert.equal(checked.record.checkFailures, 0);
    assert.equal(checked.record.couldNotCheck, null);
    assert.equal(turnAcknowledgement(still.record).couldNotCheck, true);
    assert.equal(turnAcknowledgement(markReminded(checked.record, deadline + 2 * H)).couldNotCheck, false);
  });

  it('someone else named: the record is cancelled and a new one starts from their notice', () => {
    const same = nameForNotice(
      record,
      { member: CHLOE, handoverKey: KEY, noticeAtMs: NOTICE + H, handoverAtMs: HANDOVER },
      DEFAULTS,
    );
    assert.equal(same.record, record);
    assert.equal(same.cancelled, null);
    const renamed = nameForNotice(
      record,
      { member: DAN, handoverKey: KEY, noticeAtMs: NOTICE + 30 * H, handoverAtMs: HANDOVER },
      DEFAULTS,
    );
    assert.equal(renamed.cancelled?.status, 'cancelled');
    assert.equal(renamed.cancelled?.reason, 'the notice names Dan instead');
    assert.deepEqual(renamed.record.member, DAN);
    assert.equal(renamed.record.status, 'pending');
    // 18 h left: squeezed to 9 h and 13.5 h.
    assert.equal(renamed.record.deadline, iso(NOTICE + 39 * H));
    assert.equal(renamed.record.escalateAt, iso(NOTICE + 43.5 * H));
    const next = nameForNotice(
      record,
      {
        member: DAN,
        handoverKey: 'support-triager@2026-12-16',
        noticeAtMs: HANDOVER + 5 * 24 * H,
        handoverAtMs: HANDOVER + 7 * 24 * H,
      },
      DEFAULTS,
    );
    assert.equal(next.cancelled, null, 'a record of an earlier handover is just replaced');
    const again = nameForNotice(
      cancelAcknowledgement(record, NOTICE + H, 'x'),
      { member: CHLOE, handoverKey: KEY, noticeAtMs: NOTICE + 2 * H, handoverAtMs: HANDOVER },
      DEFAULTS,
    );
    assert.equal(again.record.status, 'pending', 'named again after a cancellation: a new record');
    assert.equal(again.cancelled, null);
  });

  it('pause suspends; resume moves the deadlines on by the time paused, squeezed when that no longer fits', () => {
    const roomy = pending({ handoverAtMs: NOTICE + 72 * H });
    const paused = suspendAcknowledgement(roomy, NOTICE + 2 * H);
    assert.equal(paused.pausedAt, iso(NOTICE + 2 * H));
    assert.equal(suspendAcknowledgement(paused, NOTICE + 3 * H), paused);
    assert.equal(needsWatch(paused, NOTICE + 3 * H), false);
    const resumed = resumeAcknowledgement(paused, NOTICE + 5 * H, DEFAULTS);
    assert.equal(resumed.pausedAt, null);
    assert.equal(resumed.pausedMs, 3 * H);
    assert.equal(resumed.deadline, iso(NOTICE + 27 * H));
    assert.equal(resumed.escalateAt, iso(NOTICE + 39 * H));
    const twice = resumeAcknowledgement(suspendAcknowledgement(resumed, NOTICE + 6 * H), NOTICE + 7 * H, DEFAULTS);
    assert.equal(twice.pausedMs, 4 * H, 'pauses add up');
    assert.equal(twice.deadline, iso(NOTICE + 28 * H));
    // The shipped 48 h lead is exactly filled: paused 14 h, the notice counts as 34 h before the handover, and the
    // 36 h are squeezed into 25.5 h.
    const long = resumeAcknowledgement(suspendAcknowledgement(record, NOTICE + 2 * H), NOTICE + 16 * H, DEFAULTS);
    assert.equal(long.deadline, iso(NOTICE + 14 * H + 17 * H));
    assert.equal(long.escalateAt, iso(NOTICE + 14 * H + 25.5 * H));
    assert.equal(resumeAcknowledgement(record, NOTICE + 5 * H, DEFAULTS), record, 'not paused: unchanged');
    const passed = resumeAcknowledgement(suspendAcknowledgement(record, NOTICE + 2 * H), HANDOVER + H, DEFAULTS);
    assert.equal(passed.status, 'cancelled');
    assert.equal(passed.reason, 'the handover passed while the rotation was paused');
  });

  it('a reminded record resumed: only the escalation moves; acknowledged and escalated ones are not suspended', () => {
    const roomy = pending({ handoverAtMs: NOTICE + 72 * H });
    const reminded = markReminded(roomy, deadline + 1);
    const resumed = resumeAcknowledgement(suspendAcknowledgement(reminded, deadline + H), deadline + 3 * H, DEFAULTS);
    assert.equal(resumed.deadline, reminded.deadline);
    assert.equal(resumed.escalateAt, iso(escalateAt + 2 * H));
    const acknowledged = acknowledge(record, { via: 'member', atMs: NOTICE });
    assert.equal(suspendAcknowledgement(acknowledged, NOTICE + H), acknowledged);
    const escalated = markEscalated(markReminded(record, deadline + 1), escalateAt + 1);
    assert.equal(suspendAcknowledgement(escalated, escalateAt + H), escalated);
  });

  it('a watch is needed while pending or reminded, not paused, before the handover', () => {
    assert.equal(needsWatch(null, NOTICE), false);
    assert.equal(needsWatch(record, NOTICE), true);
    assert.equal(needsWatch(record, HANDOVER), false);
    assert.equal(needsWatch(markReminded(record, deadline + 1), deadline + 2), true);
    assert.equal(needsWatch(markEscalated(markReminded(record, deadline + 1), escalateAt + 1), escalateAt + 2), false);
    assert.equal(needsWatch(acknowledge(record, { via: 'member', atMs: NOTICE }), NOTICE), false);
  });
});

describe('acknowledgement: a watch’s result, the turn, requests and the plan', () => {
  const record = pending();
  const outcome = (over: Partial<WatchOutcome>): WatchOutcome => ({
    memberId: CHLOE.id,
    handoverKey: KEY,
    outcome: 'handover',
    at: iso(NOTICE + H),
    via: null,
    checkFailures: 0,
    couldNotCheck: null,
    ...over,
  });

  it('applies each outcome; a result for another member or handover changes nothing', () => {
    assert.equal(
      applyWatchOutcome(record, outcome({ outcome: 'acknowledged', via: 'slack-reply' })).via,
      'slack-reply',
    );
    assert.equal(applyWatchOutcome(record, outcome({ outcome: 'acknowledged', via: null })), record);
    const reminded = applyWatchOutcome(record, outcome({ outcome: 'reminded', at: iso(NOTICE + 25 * H) }));
    assert.equal(reminded.remindedAt, iso(NOTICE + 25 * H));
    const escalated = applyWatchOutcome(reminded, outcome({ outcome: 'escalated', at: iso(NOTICE + 37 * H) }));
    assert.equal(escalated.status, 'escalated');
    assert.match(
      acknowledgementWarning(escalated) ?? '',
      /Chloe has not acknowledged the notice; reminded at .*escalated/,
    );
    const held = { since: iso(NOTICE + 25 * H), problem: 'Geekbot: HTTP 500.' };
    const atHandover = applyWatchOutcome(record, outcome({ checkFailures: 4, couldNotCheck: held }));
    assert.deepEqual([atHandover.checkFailures, atHandover.couldNotCheck], [4, held]);
    assert.equal(applyWatchOutcome(record, outcome({ memberId: DAN.id, outcome: 'reminded' })), record);
    assert.equal(applyWatchOutcome(record, outcome({ handoverKey: 'x@2026-12-16', outcome: 'reminded' })), record);
    const cancelled = cancelAcknowledgement(record, NOTICE + H, 'x');
    assert.equal(applyWatchOutcome(cancelled, outcome({ outcome: 'reminded' })), cancelled);
    assert.equal(applyWatchOutcome(cancelled, outcome({ couldNotCheck: held })), cancelled);
  });

  it('a reminder the watch signalled counts once, and before the outcome it returns with (signal not taken yet)', () => {
    const sent = { memberId: CHLOE.id, handoverKey: KEY, at: iso(NOTICE + 25 * H) };
    const reminded = applyReminderSent(record, sent);
    assert.deepEqual([reminded.status, reminded.remindedAt], ['reminded', sent.at]);
    assert.equal(applyReminderSent(reminded, { ...sent, at: iso(NOTICE + 26 * H) }), reminded, 'a repeat: no change');
    assert.equal(applyReminderSent(record, { ...sent, memberId: DAN.id }), record, 'another member: stale');
    const acknowledged = acknowledge(record, { via: 'member', atMs: NOTICE + 2 * H });
    assert.equal(applyReminderSent(acknowledged, sent), acknowledged, 'none after an answer');
    // The escalation's result carries the reminder: the same record whether the signal came first or not.
    const result = outcome({ outcome: 'escalated', at: iso(NOTICE + 37 * H), remindedAt: sent.at });
    assert.deepEqual(applyWatchOutcome(record, result), applyWatchOutcome(reminded, result));
    assert.equal(applyWatchOutcome(record, result).status, 'escalated');
    const late = applyWatchOutcome(record, { ...result, outcome: 'acknowledged', via: 'slack-reaction' });
    assert.deepEqual([late.status, late.remindedAt], ['acknowledged', sent.at]);
  });

  it('a hold the watch signalled shows on the record it is for, while that still waits for the message held', () => {
    const couldNotCheck = { since: iso(NOTICE + 25 * H), problem: 'Geekbot (standup reports): HTTP 500.' };
    const held = { memberId: CHLOE.id, handoverKey: KEY, action: 'remind' as const, checkFailures: 3, couldNotCheck };
    const shown = applyCheckHeld(record, held);
    assert.deepEqual([shown.status, shown.checkFailures, shown.couldNotCheck], ['pending', 3, couldNotCheck]);
    assert.match(acknowledgementWarning(shown) ?? '', /could not check whether Chloe acknowledged .*HTTP 500/);
    assert.equal(applyCheckHeld(record, { ...held, memberId: DAN.id }), record, 'another member: stale');
    const reminded = applyReminderSent(record, { memberId: CHLOE.id, handoverKey: KEY, at: iso(NOTICE + 26 * H) });
    assert.equal(applyCheckHeld(reminded, held), reminded, "the reminder's hold, late: the reminder went out since");
    assert.equal(applyCheckHeld(reminded, { ...held, action: 'escalate' }).couldNotCheck, couldNotCheck);
    const acknowledged = acknowledge(record, { via: 'member', atMs: NOTICE + 2 * H });
    assert.equal(applyCheckHeld(acknowledged, held), acknowledged, 'none after an answer');
  });

  it('a watch sends a message only while the rotation still wants it', () => {
    const wants = (over: Partial<RotationNow>, action: 'remind' | 'escalate' = 'remind') =>
      rotationWants({ acknowledgement: record, paused: false, next: CHLOE, ...over }, record, action);
    assert.equal(wants({}), true);
    assert.equal(wants({ acknowledgement: acknowledge(record, { via: 'operator', atMs: NOTICE + H }) }), false);
    assert.equal(wants({ acknowledgement: suspendAcknowledgement(record, NOTICE + H), paused: true }), false);
    assert.equal(wants({ paused: true }), false);
    assert.equal(wants({ next: DAN }), false, 'someone else would be named');
    assert.equal(wants({ acknowledgement: null }), false);
    assert.equal(wants({ acknowledgement: cancelAcknowledgement(record, NOTICE + H, 'x') }), false);
    const reminded = markReminded(record, NOTICE + 25 * H);
    // A retried watch whose heartbeat predates its own reminder catches up: the message's key keeps it one message.
    assert.equal(wants({ acknowledgement: reminded }), true, 'a retry that missed its reminder goes on');
    assert.equal(wants({ acknowledgement: markEscalated(reminded, NOTICE + 37 * H) }), false, 'nothing after it');
    assert.equal(wants({ acknowledgement: reminded }, 'escalate'), true);
    assert.equal(wants({}, 'escalate'), true, 'the reminder’s signal may not be taken yet');
  });

  it('the turn records whether and how it was acknowledged', () => {
    const turns = [
      { member: BEN, start: '2026-12-02', end: '2026-12-16' },
      { member: CHLOE, start: '2026-12-09', end: '2026-12-23' },
    ];
    const acknowledged = acknowledge(markReminded(record, NOTICE + 25 * H), { via: 'geekbot', atMs: NOTICE + 26 * H });
    const marked = withTurnAcknowledgement(turns, acknowledged);
    assert.deepEqual(marked[1]?.acknowledgement, {
      acknowledged: true,
      via: 'geekbot',
      at: iso(NOTICE + 26 * H),
      reminded: true,
      escalated: false,
      couldNotCheck: false,
    });
    assert.equal(marked[0]?.acknowledgement, undefined);
    assert.deepEqual(turnAcknowledgement(record), {
      acknowledged: false,
      via: null,
      at: null,
      reminded: false,
      escalated: false,
      couldNotCheck: false,
    });
    assert.deepEqual(withTurnAcknowledgement([turns[0]!], record), [turns[0]], 'no such turn: unchanged');
    assert.deepEqual(withTurnAcknowledgement(turns, cancelAcknowledgement(record, NOTICE, 'x')), turns);
  });

  it('an acknowledge request: the member the notice names, or an operator on their behalf', () => {
    assert.match(acknowledgeProblem(null, { member: CHLOE, onBehalf: false }) ?? '', /No acknowledgement is pending/);
    assert.match(
      acknowledgeProblem(cancelAcknowledgement(record, NOTICE, 'x'), { member: CHLOE, onBehalf: false }) ?? '',
      /No acknowledgement is pending/,
    );
    assert.equal(
      acknowledgeProblem(record, { member: DAN, onBehalf: true }),
      'Dan is not the member the notice names: only Chloe can acknowledge support-triager@2026-12-09 (or an operator on their behalf).',
    );
    assert.match(acknowledgeProblem(record, { member: null, onBehalf: false }) ?? '', /^Say who acknowledges/);
    assert.equal(acknowledgeProblem(record, { member: CHLOE, onBehalf: false }), null);
    assert.equal(acknowledgeProblem(record, { member: null, onBehalf: true }), null);
    const done = acknowledge(record, { via: 'member', atMs: NOTICE });
    assert.equal(acknowledgeProblem(done, { member: CHLOE, onBehalf: false }), null, 'a repeat changes nothing');
  });

  it('the plan: on when Slack messages or Geekbot can read answers; contacts default to the standup manager', () => {
    const settings = parseSettings(DEFAULT_SETTINGS);
    const role = settings.roles['support-triager']!;
    const manager = { standupManager: { id: 'U0MANAGER', name: 'Morgan' } };
    assert.deepEqual(acknowledgementPlan(manager, role, { geekbot: false }), {
      on: false,
      why: 'neither Slack messages nor Geekbot are on',
      slack: false,
      geekbot: false,
      messages: false,
      reactions: [],
      contacts: ['U0MANAGER'],
      pollMs: 300_000,
    });
    const geekbotOnly = acknowledgementPlan(manager, role, { geekbot: true });
    assert.equal(geekbotOnly.why, 'answers read from geekbot; no reminder or escalation');
    const withSlack = { ...role, slack: { channel: 'C0SUPPORT1', enabled: true, templates: {} } };
    const both = acknowledgementPlan({ standupManager: null }, withSlack, { geekbot: true });
    assert.deepEqual(
      [both.on, both.why, both.messages, both.contacts],
      [true, 'answers read from slack and geekbot', true, []],
    );
    const off = { ...withSlack, acknowledgement: { ...role.acknowledgement, enabled: false } };
    assert.equal(acknowledgementPlan(manager, off, { geekbot: true }).why, 'acknowledgement.enabled is false');
    const contacts = {
      ...withSlack,
      acknowledgement: { ...role.acknowledgement, escalationContacts: ['U0LEAD', 'U0LEAD'] },
    };
    assert.deepEqual(acknowledgementPlan(manager, contacts, { geekbot: true }).contacts, ['U0LEAD']);
  });
});

describe('acknowledgement: configuration', () => {
  const withRole = (role: Record<string, unknown>) =>
    parseSettings(mergeSettings(DEFAULT_SETTINGS, { roles: { 'support-triager': role } }));
  const problem = (role: Record<string, unknown>): string => {
    try {
      withRole(role);
    } catch (err) {
      return (err as Error).message;
    }
    return assert.fail('expected a configuration error');
  };

  it('defaults: 24 h, then 12 h, on, any reaction, the standup manager, a check every 5 minutes', () => {
    const role = parseSettings(DEFAULT_SETTINGS).roles['support-triager']!;
    assert.equal(role.ackWithinHours, 24);
    assert.equal(role.escalateAfterHours, 12);
    assert.deepEqual(role.acknowledgement, { enabled: true, reactions: [], pollMinutes: 5 });
    assert.equal(parseSettings(DEFAULT_SETTINGS).roles['meeting-facilitator']!.ackWithinHours, 24);
  });

  it('a file changes one field of the block; emoji names lose their colons', () => {
    const settings = parseSettings(
      mergeSettings(
        mergeSettings(DEFAULT_SETTINGS, {
          roles: { 'support-triager': { acknowledgement: { pollMinutes: 2 } } },
        }) as never,
        {
          roles: { 'support-triager': { acknowledgement: { reactions: [':white_check_mark:', 'thumbsup'] } } },
        },
      ),
    );
    assert.deepEqual(settings.roles['support-triager']!.acknowledgement, {
      enabled: true,
      reactions: ['white_check_mark', 'thumbsup'],
      pollMinutes: 2,
    });
  });

  it('names a bad field', () => {
    assert.match(problem({ ackWithinHours: 0 }), /roles\.support-triager\.ackWithinHours: Too small/);
    assert.match(problem({ escalateAfterHours: 'soon' }), /roles\.support-triager\.escalateAfterHours/);
    assert.match(
      problem({ acknowledgement: { reactions: ['White Check'] } }),
      /acknowledgement\.reactions\.0: expected a Slack emoji name/,
    );
    assert.match(
      problem({ acknowledgement: { escalationContacts: ['@morgan'] } }),
      /acknowledgement\.escalationContacts\.0: expected a Slack user ID/,
    );
    assert.match(problem({ acknowledgement: { pollMinutes: 0 } }), /acknowledgement\.pollMinutes/);
  });

  it('a prepare lead shorter than the two deadlines is not refused: the deadlines are fitted before the handover', () => {
    const role = withRole({ prepareLeadHours: 30 }).roles['support-triager']!;
    assert.equal(role.prepareLeadHours, 30);
    const times = ackTimes(0, 30 * 3_600_000, role);
    assert.ok(times.squeezed);
    assert.ok(times.escalateAt !== null && times.escalateAt < 30 * 3_600_000);
  });

  it('the ack templates may say {deadline} and {contacts}; the notice’s may not', () => {
    const slack = {
      channel: 'C0SUPPORT1',
      templates: { ackReminder: 'by {deadline}', ackEscalation: '{contacts} {deadline}' },
    };
    assert.equal(withRole({ slack }).roles['support-triager']!.slack?.templates.ackReminder, 'by {deadline}');
    assert.match(
      problem({ slack: { channel: 'C0SUPPORT1', templates: { noticeChannel: 'by {deadline}' } } }),
      /templates\.noticeChannel: unknown placeholder \{deadline\}/,
    );
  });
});

describe('acknowledgement: messages', () => {
  const settings = parseSettings(
    mergeSettings(DEFAULT_SETTINGS, { roles: { 'support-triager': { slack: { channel: 'C0SUPPORT1' } } } }),
  );
  const role = settings.roles['support-triager']!;
  const facts = { date: '2026-12-09', incoming: CHLOE, buddy: BEN, outgoing: DAN };
  const deadline = formatInstant('2026-12-08T10:00:00.000Z', 'Europe/London');

  it('formats the deadline in the role’s time zone', () => {
    assert.equal(deadline, 'Tue 8 Dec 10:00 GMT');
    assert.equal(formatInstant('2026-07-08T10:00:00.000Z', 'Europe/Berlin'), 'Wed 8 Jul 12:00 CEST');
  });

  it('the reminder is a DM to the member; the escalation a channel post about them, mentioning buddy and contacts', () => {
    const reminder = planAckMessage(role, '', 'ack-reminder', facts, { deadline, contacts: ['U0MANAGER'] });
    assert.deepEqual(reminder, {
      kind: 'ack-reminder',
      channel: null,
      recipient: CHLOE,
      text:
        'Hi Chloe! You take over as *Support Triager* on Wed 9 Dec, until Tue 22 Dec, and we have not heard from you ' +
        'since the notice. Please confirm: react to this message or reply here.',
    });
    const escalation = planAckMessage(role, '', 'ack-escalation', facts, {
      deadline,
      contacts: ['U0MANAGER', 'U0LEAD'],
    });
    assert.deepEqual(escalation, {
      kind: 'ack-escalation',
      channel: 'C0SUPPORT1',
      recipient: CHLOE,
      text:
        '<@U0CHLOE> has not confirmed taking over as Support Triager on Wed 9 Dec (asked for by Tue 8 Dec 10:00 GMT, ' +
        'and reminded since). <@U0BEN> <@U0MANAGER> <@U0LEAD>: could you check in with them?',
    });
    const nobody = planAckMessage(role, '', 'ack-escalation', facts, { deadline, contacts: [] });
    assert.match(nobody?.text ?? '', new RegExp(`<@U0BEN> ${NO_CONTACTS}: could you`));
  });

  it('one slot: no buddy in the escalation; a role’s own template; none with Slack messages off', () => {
    const facilitator = parseSettings(
      mergeSettings(DEFAULT_SETTINGS, {
        roles: {
          'meeting-facilitator': {
            slack: { channel: 'C0TEAM0001', templates: { ackReminder: 'Hi {incoming}, by {deadline}?' } },
          },
        },
      }),
    ).roles['meeting-facilitator']!;
    const one = { ...facts, buddy: null };
    assert.match(
      planAckMessage(facilitator, '', 'ack-escalation', one, { deadline, contacts: ['U0M'] })?.text ?? '',
      /reminded since\)\. <@U0M>: could you/,
    );
    assert.equal(
      planAckMessage(facilitator, '', 'ack-reminder', one, { deadline, contacts: [] })?.text,
      `Hi Chloe, by ${deadline}?`,
    );
    assert.equal(
      planAckMessage(parseSettings(DEFAULT_SETTINGS).roles['support-triager']!, '', 'ack-reminder', facts, {
        deadline,
        contacts: [],
      }),
      null,
    );
  });
});
