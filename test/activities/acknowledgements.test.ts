/**
 * The acknowledgement check service and the watch activity, through the real @slack/web-api and fetch against the
 * fake Slack and the fake Geekbot, on a simulated clock (one simulated hour in 100 ms of real time, so the deadlines
 * come within seconds and nothing depends on the day or the hour the test runs).
 */
import assert from 'node:assert/strict';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import {
  createAckService,
  reactionCounts,
  type AckWorkflowLink,
  type NoticeRefs,
  type WatchAcknowledgementInput,
} from '../../src/activities/acknowledgements';
import { FailureType } from '../../src/activities/errors';
import { GeekbotClient } from '../../src/activities/geekbot';
import { createSlackClient } from '../../src/activities/slack';
import { createSlackMessagesService, NOTICE_EVENT_TYPE } from '../../src/activities/slack-messages';
import {
  acknowledge,
  applyWatchOutcome,
  startAcknowledgement,
  type AckAction,
  type Acknowledgement,
  type CheckHeld,
} from '../../src/domain/acknowledgement';
import type { ClockAnchor } from '../../src/domain/clock';
import { DEFAULT_SETTINGS, parseSettings, type Settings } from '../../src/domain/config';
import type { MessageFacts } from '../../src/domain/messages';
import { mergeSettings } from '../../src/settings';
import type { ReminderNotice } from '../../src/shared';
import { waitFor } from '../support';
import { startFakeGeekbot, type FakeGeekbot } from '../../src/sandbox/geekbot';
import { FAKE_SLACK_SCOPES, startFakeSlack, type FakeSlack } from '../../src/sandbox/slack';
import { activityEnvironment, expectFailure, runActivity } from './helpers';

const AVA = { id: 'U0AVA', name: 'Ava' };
const BEN = { id: 'U0BEN', name: 'Ben' };
const CHLOE = { id: 'U0CHLOE', name: 'Chloe' };
const MANAGER = { id: 'U0MANAGER', name: 'Morgan' };
const CHANNEL = 'C0SUPPORT1';
const ROLE = 'support-triager';
const DATE = '2026-12-09';
const KEY = `${ROLE}@${DATE}`;
const H = 3_600_000;
/** Simulated: the notice goes out 96 h before the handover (deadline +24 h, escalation +36 h, both unsqueezed). */
const NOTICE_AT = Date.parse('2026-12-05T10:00:00Z');
const HANDOVER_AT = NOTICE_AT + 96 * H;
/** One simulated hour per 100 ms of real time. */
const SCALE = H / 100;
const FACTS: MessageFacts = { date: DATE, incoming: CHLOE, buddy: BEN, outgoing: AVA };

/** A later attempt of the activity (what Temporal's retry gives it: the last heartbeat's details), logging quietly. */
function quiet(info: ConstructorParameters<typeof MockActivityEnvironment>[0]): MockActivityEnvironment {
  return new MockActivityEnvironment(info, { logger: new DefaultLogger('WARN') });
}

function testSettings(acknowledgement: Record<string, unknown> = {}): Settings {
  return parseSettings(
    mergeSettings(DEFAULT_SETTINGS, {
      standupManager: MANAGER,
      roles: { [ROLE]: { slack: { channel: CHANNEL }, acknowledgement } },
    }),
  );
}

describe('acknowledgements: the check and the watch against the fakes', function () {
  this.timeout(60_000);
  let slack: FakeSlack;
  let geekbot: FakeGeekbot;
  let standupId: number;
  let anchor: ClockAnchor;
  let record: Acknowledgement;

  beforeEach(async () => {
    slack = await startFakeSlack({
      users: [AVA, BEN, CHLOE, MANAGER].map((m) => ({ id: m.id, displayName: m.name })),
      channels: [{ id: CHANNEL, name: 'support-freshdesk' }],
      scopes: FAKE_SLACK_SCOPES,
    });
    geekbot = await startFakeGeekbot({ owner: MANAGER.id });
    standupId = geekbot.seedStandup({ name: 'SupportTriager', users: [CHLOE.id, MANAGER.id], questions: ['Ok?'] }).id;
    // The notice as the prepare step sends it, then the clock starts at the notice.
    const settings = testSettings();
    await createSlackMessagesService({ settings, slack: client() }).sendMessages(ROLE, 'notice', FACTS);
    slack.clearRequests();
    anchor = { realMs: Date.now(), virtualMs: NOTICE_AT, scale: SCALE };
    record = startAcknowledgement(
      { member: CHLOE, handoverKey: KEY, noticeAtMs: NOTICE_AT, handoverAtMs: HANDOVER_AT },
      settings.roles[ROLE]!,
    );
  });
  afterEach(async () => {
    await slack.close();
    await geekbot.close();
  });

  function client() {
    return createSlackClient({ token: slack.token, apiUrl: slack.url });
  }
  const service = (settings = testSettings(), options: { geekbot?: boolean } = {}) =>
    createAckService({
      settings,
      slack: client(),
      geekbot: options.geekbot === false ? null : new GeekbotClient({ apiKey: geekbot.apiKey, apiUrl: geekbot.url }),
      minPollMs: 20,
      heartbeatEveryMs: 50,
    });
  const input = (over: Partial<WatchAcknowledgementInput> = {}): WatchAcknowledgementInput => ({
    role: ROLE,
    date: DATE,
    acknowledgement: record,
    buddy: BEN,
    outgoing: AVA,
    standupId,
    clock: anchor,
    ...over,
  });
  const dm = () => slack.dmWith(CHLOE.id)!;
  const notice = () => slack.messagesIn(CHANNEL)[0]!;
  const noticeDm = () => dm().messages[0]!;
  const kinds = (messages: Array<{ metadata?: { event_payload: Record<string, unknown> } }>) =>
    messages.map((m) => m.metadata?.event_payload.message_kind);
  const check = (settings?: Settings, refs: NoticeRefs | null = null, over: Partial<WatchAcknowledgementInput> = {}) =>
    service(settings).checkAcknowledgement(input(over), refs);

  describe('the check', () => {
    it('nothing yet: every source read (2 Slack calls and 1 Geekbot call once the notice is found)', async () => {
      const first = await check();
      assert.equal(first.result.outcome, 'not-yet');
      assert.equal(first.result.complete, true);
      assert.deepEqual(
        first.result.sources.map((s) => [s.source, s.state]),
        [
          ['slack-dm', 'no-answer'],
          ['slack-post', 'no-answer'],
          ['geekbot', 'no-answer'],
        ],
      );
      assert.deepEqual(first.refs, {
        dm: { channel: dm().id, ts: noticeDm().ts },
        post: { channel: CHANNEL, ts: notice().ts },
      });
      slack.clearRequests();
      geekbot.clearRequests();
      await check(undefined, first.refs);
      assert.deepEqual(slack.calls().sort(), ['conversations.history', 'reactions.get']);
      assert.deepEqual(geekbot.calls(), ['GET /v1/reports/']);
      const query = geekbot.requests[0]!.query;
      assert.equal(query.standup_id, String(standupId));
      assert.equal(query.user_id, CHLOE.id);
      assert.equal(Number(query.after), Math.floor(Number(noticeDm().ts)) - 1);
    });

    it('a reaction by the member on the channel post or the DM; not by someone else, nor one outside the set', async () => {
      slack.addReaction(CHANNEL, notice().ts, 'eyes', BEN.id);
      assert.equal((await check()).result.outcome, 'not-yet');
      slack.addReaction(CHANNEL, notice().ts, 'tada', CHLOE.id);
      const any = await check();
      assert.equal(any.result.outcome, 'acknowledged');
      assert.equal(any.result.answer?.via, 'slack-reaction');
      const strict = testSettings({ reactions: ['white_check_mark'] });
      assert.equal((await check(strict)).result.outcome, 'not-yet', 'tada is not in the set');
      slack.addReaction(dm().id, noticeDm().ts, 'white_check_mark::skin-tone-3', CHLOE.id);
      const onDm = await check(strict);
      assert.equal(onDm.result.outcome, 'acknowledged');
      assert.equal(onDm.result.sources.find((s) => s.source === 'slack-dm')?.state, 'answered');
      assert.equal(reactionCounts('thumbsup', []), true);
      assert.equal(reactionCounts('thumbsup::skin-tone-2', ['thumbsup']), true);
    });

    it('a reply in the notice’s thread: its own time counts', async () => {
      const reply = slack.postAsUser(CHANNEL, CHLOE.id, 'on it', notice().ts);
      const threaded = await check();
      assert.equal(threaded.result.answer?.via, 'slack-reply');
      const expected = anchor.virtualMs + (Number(reply.ts) * 1000 - anchor.realMs) * SCALE;
      assert.ok(Math.abs(threaded.result.answer.atMs - expected) <= SCALE, 'the reply’s own time, on the clock');
      assert.equal(slack.calls().filter((c) => c === 'conversations.replies').length, 1, 'read to learn when');
    });

    it('a message from the member in the DM counts as a reply; one from the bot or someone else does not', async () => {
      await client().chat.postMessage({ channel: dm().id, text: 'a bot message without a key' });
      assert.equal((await check()).result.outcome, 'not-yet');
      const answer = slack.postAsUser(dm().id, CHLOE.id, 'ok!');
      const direct = await check();
      assert.equal(direct.result.answer?.via, 'slack-reply');
      assert.equal(direct.result.sources.find((s) => s.source === 'slack-dm')?.state, 'answered');
      assert.ok(Number(answer.ts) > Number(noticeDm().ts));
    });

    it('a busy thread: its summary rules the member out without reading it, or does not and it is read', async () => {
      for (const user of ['U1', 'U2']) slack.postAsUser(CHANNEL, user, 'me?', notice().ts);
      slack.clearRequests();
      assert.equal((await check()).result.outcome, 'not-yet');
      assert.equal(slack.calls().includes('conversations.replies'), false, 'reply_users lists everyone: not Chloe');
      for (const user of ['U3', 'U4', 'U5', CHLOE.id]) slack.postAsUser(CHANNEL, user, 'me', notice().ts);
      slack.clearRequests();
      const busy = await check();
      assert.equal(busy.result.answer?.via, 'slack-reply', 'Chloe is the sixth replier: found in the thread');
      assert.equal(slack.calls().filter((c) => c === 'conversations.replies').length, 1);
    });

    it('only this handover’s messages count in the DM', async () => {
      const other = await client().chat.postMessage({
        channel: dm().id,
        text: 'the facilitator notice',
        metadata: {
          event_type: NOTICE_EVENT_TYPE,
          event_payload: {
            handover_key: 'meeting-facilitator@2027-01-01',
            message_kind: 'notice-incoming',
            recipient: CHLOE.id,
          },
        },
      });
      slack.addReaction(dm().id, other.ts!, 'white_check_mark', CHLOE.id);
      assert.equal((await check()).result.outcome, 'not-yet');
    });

    it('the member’s standup report after the notice counts; one before it does not', async () => {
      geekbot.answerAs(CHLOE.id, standupId, 'ok', Date.now() - 7 * 24 * H);
      assert.equal((await check()).result.outcome, 'not-yet');
      const report = geekbot.answerAs(CHLOE.id, standupId, 'ok');
      const found = await check();
      assert.equal(found.result.answer?.via, 'geekbot');
      const expected = anchor.virtualMs + (report.timestamp * 1000 - anchor.realMs) * SCALE;
      assert.equal(found.result.answer?.atMs, expected);
      assert.equal((await check(undefined, null, { standupId: null })).result.sources.at(-1)?.state, 'off');
      assert.equal(
        (await service(undefined, { geekbot: false }).checkAcknowledgement(input(), null)).result.sources.at(-1)?.cause,
        'Geekbot is off',
      );
    });

    it('could not check: the cause per source; the other sources still count', async () => {
      geekbot.faults = { script: [{ match: 'GET /v1/reports', kind: 'serverError', times: 3 }] };
      const failed = await check();
      assert.equal(failed.result.outcome, 'could-not-check');
      assert.equal(failed.result.complete, false);
      assert.match(
        failed.result.problems[0] ?? '',
        /^Geekbot \(standup reports\): Geekbot GET \/v1\/reports\/\?.* answered HTTP 500/,
      );

      slack.state.tokens[slack.token]!.scopes = FAKE_SLACK_SCOPES.filter((s) => s !== 'reactions:read');
      const scope = await check();
      assert.equal(scope.result.outcome, 'could-not-check');
      assert.match(
        scope.result.sources.find((s) => s.source === 'slack-post')?.cause ?? '',
        /^Slack \(the channel post\): The Slack app lacks the reactions:read scope that reactions\.get needs \(acknowledgement by a reaction/,
      );
      slack.state.tokens[slack.token]!.scopes = FAKE_SLACK_SCOPES;

      slack.postAsUser(dm().id, CHLOE.id, 'ok');
      slack.faults = { script: [{ match: 'reactions.get', kind: 'rateLimit', retryAfterSeconds: 30 }] };
      geekbot.faults = { script: [{ match: 'GET /v1/reports', kind: 'serverError', times: 3 }] };
      const partial = await check();
      assert.equal(partial.result.outcome, 'acknowledged', 'an answer in one source is enough');
      assert.equal(partial.result.complete, false);
      assert.match(
        partial.result.sources.find((s) => s.source === 'slack-post')?.cause ?? '',
        /rate-limited reactions\.get/,
      );

      slack.faults = { script: [{ match: 'conversations.history', kind: 'serverError', times: 20 }] };
      const lost = await check();
      assert.equal(lost.refs?.dm ?? null, null, 'nothing found: looked for again next time');
      assert.deepEqual(
        lost.result.sources.filter((s) => s.source !== 'geekbot').map((s) => s.state),
        ['could-not-check', 'could-not-check'],
      );
    });
  });

  describe('the watch activity', () => {
    const run = (env: MockActivityEnvironment, over: Partial<WatchAcknowledgementInput> = {}, settings?: Settings) =>
      runActivity(env, service(settings).activities.watchAcknowledgement, input(over));
    const reminders = () => dm().messages.filter((m) => m.metadata?.event_payload.message_kind === 'ack-reminder');
    const escalations = () =>
      slack.messagesIn(CHANNEL).filter((m) => m.metadata?.event_payload.message_kind === 'ack-escalation');

    it('returns at the first check that finds an answer, heartbeating', async () => {
      slack.addReaction(CHANNEL, notice().ts, 'white_check_mark', CHLOE.id);
      const { env, heartbeats } = activityEnvironment();
      const result = await run(env);
      assert.equal(result.outcome, 'acknowledged');
      assert.equal(result.via, 'slack-reaction');
      assert.equal(result.memberId, CHLOE.id);
      assert.equal(result.checks, 1);
      assert.ok(heartbeats.length >= 1);
      assert.equal(applyWatchOutcome(record, result).status, 'acknowledged');
    });

    it('no answer: one reminder after the deadline; then one escalation after escalateAt, with buddy and contacts', async () => {
      const { env } = activityEnvironment();
      const reminded = await run(env);
      assert.equal(reminded.outcome, 'reminded');
      assert.ok(Date.parse(reminded.at) > Date.parse(record.deadline!), 'after the deadline');
      assert.ok(reminded.checks >= 2);
      assert.equal(reminders().length, 1);
      assert.deepEqual(kinds(dm().messages), ['notice-incoming', 'ack-reminder']);
      assert.match(reminders()[0]!.text, /^Hi Chloe! You take over as \*Support Triager\* on Wed 9 Dec/);
      assert.deepEqual(reminders()[0]!.metadata?.event_payload.recipient, CHLOE.id);

      const next = applyWatchOutcome(record, reminded);
      assert.equal(next.status, 'reminded');
      slack.clearRequests();
      const escalated = await run(activityEnvironment().env, { acknowledgement: next, refs: reminded.refs });
      assert.equal(escalated.outcome, 'escalated');
      assert.ok(Date.parse(escalated.at) > Date.parse(record.escalateAt!));
      assert.equal(
        slack.requests.filter(
          (r) => r.path.endsWith('conversations.history') && (r.body as { channel?: string }).channel === CHANNEL,
        ).length,
        1,
        'the refs spared the search for the notice: only the escalation’s own exactly-once read of the channel',
      );
      assert.equal(escalations().length, 1);
      assert.equal(
        escalations()[0]!.text,
        '<@U0CHLOE> has not confirmed taking over as Support Triager on Wed 9 Dec (asked for by Sun 6 Dec 10:00 UTC, ' +
          'and reminded since). <@U0BEN> <@U0MANAGER>: could you check in with them?',
      );
      assert.equal(escalations()[0]!.metadata?.event_payload.recipient, CHLOE.id);
      assert.equal(applyWatchOutcome(next, escalated).status, 'escalated');
      assert.equal(reminders().length, 1, 'still one reminder');
    });

    it('a reaction on the reminder acknowledges', async () => {
      const reminded = await run(activityEnvironment().env);
      slack.addReaction(dm().id, reminders()[0]!.ts, 'white_check_mark', CHLOE.id);
      const result = await run(activityEnvironment().env, {
        acknowledgement: applyWatchOutcome(record, reminded),
        refs: reminded.refs,
      });
      assert.equal(result.outcome, 'acknowledged');
      assert.equal(escalations().length, 0);
    });

    it('the reminder’s answer lost and the attempt failed: the retry resumes and finds it, one reminder in all', async () => {
      let lost = false;
      slack.faults = {
        script: [
          {
            match: (request) => {
              if (!request.path.endsWith('chat.postMessage')) return false;
              lost = true;
              return true;
            },
            kind: 'lostResponse',
          },
          { match: (request) => lost && request.path.endsWith('conversations.history'), kind: 'serverError', times: 3 },
        ],
      };
      const first = activityEnvironment();
      await expectFailure(run(first.env), { type: FailureType.ServiceUnavailable, nonRetryable: false });
      assert.equal(reminders().length, 1, 'Slack did post it');
      const retry = quiet({ heartbeatDetails: first.heartbeats.at(-1), attempt: 2 });
      const result = await runActivity(retry, service().activities.watchAcknowledgement, input());
      assert.equal(result.outcome, 'reminded');
      assert.equal(reminders().length, 1, 'exactly one reminder');
      assert.equal(slack.requests.filter((r) => r.path.endsWith('chat.postMessage')).length, 1);

      // Temporal lost the completed result (the worker died): the activity runs again from scratch.
      const again = await run(activityEnvironment().env);
      assert.equal(again.outcome, 'reminded');
      assert.equal(reminders().length, 1, 'found by its key, not posted again');
    });

    it('resumes from heartbeat details: no search for the notice, the checks counted on; a sent message returned', async () => {
      const { env, heartbeats } = activityEnvironment();
      slack.postAsUser(dm().id, BEN.id, 'not Chloe');
      const reminded = await run(env);
      assert.equal(reminded.outcome, 'reminded');
      const saved = heartbeats.find((d) => (d as { checks: number }).checks === 1) as { refs: NoticeRefs };
      assert.ok(saved.refs.dm && saved.refs.post);
      slack.clearRequests();
      slack.addReaction(CHANNEL, notice().ts, 'white_check_mark', CHLOE.id);
      const resumed = quiet({ heartbeatDetails: { ...saved, checks: 7 } });
      const result = await runActivity(resumed, service().activities.watchAcknowledgement, input());
      assert.equal(result.outcome, 'acknowledged');
      assert.equal(result.checks, 8);
      assert.equal(slack.calls().includes('conversations.open'), false, 'the DM known from the details');

      const last = heartbeats.at(-1) as { sent: unknown };
      assert.ok(last.sent);
      slack.clearRequests();
      geekbot.clearRequests();
      const replay = await runActivity(
        quiet({ heartbeatDetails: last }),
        service().activities.watchAcknowledgement,
        input(),
      );
      assert.deepEqual([replay.outcome, replay.at], [reminded.outcome, reminded.at]);
      assert.deepEqual([slack.requests.length, geekbot.requests.length], [0, 0], 'nothing checked or sent again');
      const other = quiet({ heartbeatDetails: { ...last, memberId: BEN.id } });
      const forBen = await runActivity(other, service().activities.watchAcknowledgement, input());
      assert.equal(forBen.outcome, 'acknowledged', 'details of another record are ignored');
    });

    it('is cancellable while it waits', async () => {
      const far = startAcknowledgement(
        { member: CHLOE, handoverKey: KEY, noticeAtMs: NOTICE_AT, handoverAtMs: NOTICE_AT + 10_000 * H },
        { ackWithinHours: 2_000, escalateAfterHours: 1_000 },
      );
      const { env } = activityEnvironment();
      env.once('heartbeat', () => env.cancel());
      await assert.rejects(run(env, { acknowledgement: far }), (err: unknown) => err instanceof CancelledFailure);
      assert.equal(reminders().length, 0);
    });

    it('returns at the handover when nothing was due (a notice too late for a reminder)', async () => {
      const late = startAcknowledgement(
        { member: CHLOE, handoverKey: KEY, noticeAtMs: NOTICE_AT, handoverAtMs: NOTICE_AT + H },
        { ackWithinHours: 24, escalateAfterHours: 12 },
      );
      assert.equal(late.deadline, null);
      const result = await run(activityEnvironment().env, { acknowledgement: late });
      assert.equal(result.outcome, 'handover');
      assert.ok(Date.parse(result.at) >= NOTICE_AT + H);
      assert.equal(reminders().length, 0);
    });

    it('Geekbot failing for the whole window: no reminder, no escalation; the handover comes with “could not check”', async () => {
      const short = startAcknowledgement(
        { member: CHLOE, handoverKey: KEY, noticeAtMs: NOTICE_AT, handoverAtMs: NOTICE_AT + 24 * H },
        { ackWithinHours: 8, escalateAfterHours: 4 },
      );
      geekbot.faults = { serverErrorRate: 1 };
      const result = await run(activityEnvironment().env, { acknowledgement: short });
      assert.equal(result.outcome, 'handover');
      assert.ok(result.checkFailures > 1);
      assert.ok(result.couldNotCheck);
      assert.ok(Date.parse(result.couldNotCheck.since) > Date.parse(short.deadline!));
      assert.match(result.couldNotCheck.problem, /Geekbot \(standup reports\).*HTTP 500/);
      assert.equal(reminders().length, 0);
      assert.equal(escalations().length, 0);
      assert.equal(applyWatchOutcome(short, result).couldNotCheck?.since, result.couldNotCheck.since);
    });

    describe('with its line to the rotation (the workflow)', () => {
      /** A rotation that answers `confirm` with `wants` (or throws it) and records the signals it gets. */
      function link(wants: boolean | Error = true) {
        const calls = { confirms: [] as AckAction[], reminded: [] as ReminderNotice[], held: [] as CheckHeld[] };
        const workflow: AckWorkflowLink = {
          confirm: (_record, action) => {
            calls.confirms.push(action);
            return wants instanceof Error ? Promise.reject(wants) : Promise.resolve(wants);
          },
          reminded: (notice) => {
            calls.reminded.push(notice);
            return Promise.resolve();
          },
          held: (notice) => {
            calls.held.push(notice);
            return Promise.resolve();
          },
        };
        return { calls, workflow };
      }
      const linked = (workflow: AckWorkflowLink) =>
        createAckService({
          settings: testSettings(),
          slack: client(),
          geekbot: new GeekbotClient({ apiKey: geekbot.apiKey, apiUrl: geekbot.url }),
          minPollMs: 20,
          heartbeatEveryMs: 50,
          workflow,
        }).activities.watchAcknowledgement;
      const soon = () =>
        startAcknowledgement(
          { member: CHLOE, handoverKey: KEY, noticeAtMs: NOTICE_AT, handoverAtMs: NOTICE_AT + 40 * H },
          { ackWithinHours: 8, escalateAfterHours: 4 },
        );

      it('goes on after the reminder, which it signals once, and returns at the escalation', async () => {
        const { calls, workflow } = link();
        const result = await runActivity(activityEnvironment().env, linked(workflow), input());
        assert.equal(result.outcome, 'escalated');
        assert.deepEqual(calls.confirms, ['remind', 'escalate'], 'asked before each message');
        assert.equal(calls.reminded.length, 1);
        assert.deepEqual(calls.reminded[0], {
          memberId: CHLOE.id,
          handoverKey: KEY,
          at: result.remindedAt,
          warnings: [],
        });
        assert.ok(Date.parse(result.remindedAt!) > Date.parse(record.deadline!));
        assert.deepEqual([reminders().length, escalations().length], [1, 1]);
        // The workflow took the signal, or not yet: the result alone gives the same record.
        const escalated = applyWatchOutcome(record, result);
        assert.deepEqual([escalated.status, escalated.remindedAt], ['escalated', result.remindedAt]);
      });

      it('an answer after the reminder: acknowledged, with the reminder in the result', async () => {
        const { calls, workflow } = link();
        const watching = runActivity(activityEnvironment().env, linked(workflow), input());
        await waitFor('the reminder', () => reminders().length === 1, { timeoutMs: 10_000, intervalMs: 5 });
        slack.addReaction(dm().id, reminders()[0]!.ts, 'white_check_mark', CHLOE.id);
        const result = await watching;
        assert.equal(result.outcome, 'acknowledged');
        assert.equal(calls.reminded.length, 1);
        const acknowledged = applyWatchOutcome(record, result);
        assert.deepEqual([acknowledged.status, Boolean(acknowledged.remindedAt)], ['acknowledged', true]);
        assert.equal(escalations().length, 0);
      });

      it('the rotation no longer wants a message (an operator answered, a pause): nothing is sent', async () => {
        const { calls, workflow } = link(false);
        const result = await runActivity(
          activityEnvironment().env,
          linked(workflow),
          input({ acknowledgement: soon() }),
        );
        assert.equal(result.outcome, 'handover');
        assert.ok(calls.confirms.length >= 1);
        assert.deepEqual([reminders().length, escalations().length, calls.reminded.length], [0, 0, 0]);
      });

      it('Geekbot failing past the deadline, then back: the hold is told once, then the reminder goes out', async () => {
        const { calls, workflow } = link();
        const short = soon();
        geekbot.faults = { serverErrorRate: 1 };
        const watching = runActivity(activityEnvironment().env, linked(workflow), input({ acknowledgement: short }));
        await waitFor('the hold told', () => calls.held.length > 0, { timeoutMs: 10_000, intervalMs: 5 });
        // Several more failed checks while held: still told once.
        const failed = geekbot.requests.length;
        await waitFor('more failed checks', () => geekbot.requests.length >= failed + 6, { timeoutMs: 10_000 });
        assert.equal(calls.held.length, 1);
        const [held] = calls.held;
        assert.deepEqual([held!.memberId, held!.handoverKey, held!.action], [CHLOE.id, KEY, 'remind']);
        assert.ok(Date.parse(held!.couldNotCheck.since) > Date.parse(short.deadline!));
        assert.match(held!.couldNotCheck.problem, /Geekbot \(standup reports\).*HTTP 500/);
        assert.equal(reminders().length, 0, 'nothing sent while held');
        geekbot.faults = {};
        await waitFor('the reminder once Geekbot answers', () => reminders().length === 1, { timeoutMs: 10_000 });
        const result = await watching;
        assert.equal(result.outcome, 'escalated');
        assert.equal(calls.held.length, 1);
      });

      it('the rotation cannot be asked: could not check (told once), nothing sent', async () => {
        const { workflow, calls } = link(new Error('deadline exceeded'));
        const result = await runActivity(
          activityEnvironment().env,
          linked(workflow),
          input({ acknowledgement: soon() }),
        );
        assert.equal(result.outcome, 'handover');
        // Told by signal while held. (The result may carry it too, unless the last check, made as the handover came,
        // read every source with nothing due any more.)
        assert.deepEqual(
          calls.held.map((held) => [held.action, held.couldNotCheck.problem]),
          [['remind', "Temporal (the rotation's state): deadline exceeded"]],
        );
        assert.deepEqual([reminders().length, escalations().length], [0, 0]);
      });

      it('a retry after the reminder went out but before the workflow heard of it: told once, not sent again', async () => {
        const first = link();
        const failing: AckWorkflowLink = {
          ...link().workflow,
          reminded: () => Promise.reject(new Error('unavailable')),
        };
        const attempt = activityEnvironment();
        await assert.rejects(runActivity(attempt.env, linked(failing), input()), /unavailable/);
        assert.equal(reminders().length, 1);
        const retry = quiet({ heartbeatDetails: attempt.heartbeats.at(-1), attempt: 2 });
        const result = await runActivity(retry, linked(first.workflow), input());
        assert.equal(result.outcome, 'escalated');
        assert.equal(first.calls.reminded.length, 1, 'told on the retry, before anything else');
        assert.deepEqual(first.calls.confirms, ['escalate'], 'the reminder is not asked for (nor sent) again');
        assert.deepEqual([reminders().length, escalations().length], [1, 1]);
      });
    });

    it('refuses what it cannot watch', async () => {
      const { env } = activityEnvironment();
      await expectFailure(run(env, { acknowledgement: acknowledge(record, { via: 'member', atMs: NOTICE_AT }) }), {
        type: FailureType.InvalidInput,
        nonRetryable: true,
        message: /pending or reminded acknowledgement, got acknowledged/,
      });
      await expectFailure(run(env, { date: '2026-12-16' }), {
        type: FailureType.InvalidInput,
        nonRetryable: true,
        message: /is for support-triager@2026-12-09, not 2026-12-16/,
      });
      await expectFailure(run(env, { role: 'nobody' }), { type: FailureType.UnknownRole, nonRetryable: true });
      await expectFailure(run(env, {}, testSettings({ enabled: false })), {
        type: FailureType.InvalidInput,
        nonRetryable: true,
        message: /^Acknowledgements are off for support-triager: acknowledgement\.enabled is false\.$/,
      });
    });
  });
});
