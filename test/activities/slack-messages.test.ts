/** The Slack messages service through the real @slack/web-api against the fake Slack. */
import assert from 'node:assert/strict';
import { createSlackClient } from '../../src/activities/slack';
import { FailureType } from '../../src/activities/errors';
import { createSlackMessagesService, NOTICE_EVENT_TYPE } from '../../src/activities/slack-messages';
import { DEFAULT_SETTINGS, parseSettings, type Settings } from '../../src/domain/config';
import type { MessageFacts } from '../../src/domain/messages';
import { handoverKey } from '../../src/domain/schedule';
import { mergeSettings } from '../../src/settings';
import { FAKE_SLACK_SCOPES, startFakeSlack, type FakeSlack } from '../../src/sandbox/slack';
import { activityEnvironment, expectFailure, printable, runActivity } from './helpers';

const AVA = { id: 'U0AVA', name: 'Ava' };
const BEN = { id: 'U0BEN', name: 'Ben' };
const CHLOE = { id: 'U0CHLOE', name: 'Chloe' };
const DAN = { id: 'U0DAN', name: 'Dan' };
const CHANNEL = 'C0SUPPORT1';
const DATE = '2026-12-09';
const FACTS: MessageFacts = { date: DATE, incoming: CHLOE, buddy: BEN, outgoing: AVA };

function settingsWithMessages(slack: Record<string, unknown> = { channel: CHANNEL }): Settings {
  return parseSettings(
    mergeSettings(DEFAULT_SETTINGS, {
      calendarUrl: 'https://cal.example/team',
      roles: { 'support-triager': { slack } },
    }),
  );
}

describe('Slack messages service against the fake Slack', () => {
  let slack: FakeSlack;

  beforeEach(async () => {
    slack = await startFakeSlack({
      users: [AVA, BEN, CHLOE, DAN].map((m) => ({ id: m.id, displayName: m.name })),
      channels: [{ id: CHANNEL, name: 'support-freshdesk' }],
      scopes: FAKE_SLACK_SCOPES,
    });
  });
  afterEach(() => slack.close());

  const service = (options: { settings?: Settings; pageSize?: number; now?: () => number } = {}) =>
    createSlackMessagesService({
      settings: options.settings ?? settingsWithMessages(),
      slack: createSlackClient({ token: slack.token, apiUrl: slack.url }),
      pageSize: options.pageSize,
      now: options.now,
    });
  const posts = () => slack.calls().filter((c) => c === 'chat.postMessage').length;

  it('the notice: one channel post and a DM each to incoming and buddy, keyed in their metadata', async () => {
    const result = await service().sendMessages('support-triager', 'notice', FACTS);
    assert.deepEqual(result.failures, []);
    assert.deepEqual(
      result.delivered.map((d) => [d.kind, d.recipient, d.action]),
      [
        ['notice-channel', null, 'posted'],
        ['notice-incoming', 'U0CHLOE', 'posted'],
        ['notice-buddy', 'U0BEN', 'posted'],
      ],
    );
    const [post] = slack.messagesIn(CHANNEL);
    assert.equal(
      post?.text,
      '<@U0CHLOE> takes over as Support Triager on Wed 9 Dec with <@U0BEN>; <@U0AVA> rotates off.',
    );
    assert.deepEqual(post?.blocks, [{ type: 'section', text: { type: 'mrkdwn', text: post?.text } }]);
    assert.equal(post?.metadata?.event_type, NOTICE_EVENT_TYPE);
    assert.deepEqual(
      { ...post?.metadata?.event_payload, content_hash: undefined },
      { handover_key: handoverKey('support-triager', DATE), message_kind: 'notice-channel', content_hash: undefined },
    );
    const dm = slack.dmWith('U0CHLOE');
    assert.equal(dm?.messages.length, 1);
    assert.match(
      dm?.messages[0]?.text ?? '',
      /^Hi Chloe! You take over as \*Support Triager\* on Wed 9 Dec, until Tue 22 Dec/,
    );
    assert.equal(dm?.messages[0]?.metadata?.event_payload.recipient, 'U0CHLOE');
    assert.equal(slack.dmWith('U0BEN')?.messages.length, 1);
    assert.equal(slack.dmWith('U0AVA'), undefined, 'the outgoing member gets no DM');
  });

  it('repeated after Slack answered (a worker killed before Temporal recorded it): still one message each', async () => {
    const messages = service();
    await messages.sendMessages('support-triager', 'notice', FACTS);
    slack.clearRequests();
    // A new worker process: nothing remembered, only Slack's history to go by.
    const again = await service().sendMessages('support-triager', 'notice', FACTS);
    assert.deepEqual(
      again.delivered.map((d) => d.action),
      ['unchanged', 'unchanged', 'unchanged'],
    );
    assert.equal(posts(), 0);
    assert.equal(slack.messagesIn(CHANNEL).length, 1);
    assert.equal(slack.dmWith('U0CHLOE')?.messages.length, 1);
    assert.equal(slack.dmWith('U0BEN')?.messages.length, 1);
  });

  it('a post whose answer was lost is found, not posted again', async () => {
    slack.faults = { script: [{ match: 'chat.postMessage', kind: 'lostResponse' }] };
    const delivery = await service().deliver({
      key: { handoverKey: 'support-triager@2026-12-09', kind: 'handover-channel', recipient: null },
      channel: CHANNEL,
      text: 'Chloe is now Support Triager',
    });
    assert.equal(slack.requests.find((r) => r.fault === 'lostResponse')?.status, 200, 'Slack did post it');
    assert.equal(delivery.action, 'unchanged', 'found by its key on the quick retry');
    assert.equal(posts(), 1);
    assert.equal(slack.messagesIn(CHANNEL).length, 1);
  });

  it('the key search pages back through a busy channel, within the last day', async () => {
    await service().sendMessages('support-triager', 'handover', FACTS);
    for (let i = 0; i < 120; i++) slack.postAsUser(CHANNEL, 'U0DAN', `chatter ${i}`);
    slack.clearRequests();
    const started = Date.now();
    const again = await service({ pageSize: 50 }).sendMessages('support-triager', 'handover', FACTS);
    assert.deepEqual(
      again.delivered.map((d) => d.action),
      ['unchanged'],
    );
    const history = slack.requests.filter((r) => r.path.endsWith('conversations.history'));
    assert.equal(history.length, 3, '121 messages, newest first, 50 a page');
    const first = history[0]?.body as Record<string, string>;
    assert.equal(first.include_all_metadata, 'true');
    const oldestMs = Number(first.oldest) * 1000;
    assert.ok(Math.abs(started - 24 * 3_600_000 - oldestMs) < 60_000, `oldest is a day back: ${first.oldest}`);
    assert.equal(posts(), 0);
  });

  it('read ahead (while Slack names the members), the write is one call per message', async () => {
    const messages = service();
    const reads = await messages.readMessages('support-triager', 'notice', FACTS);
    assert.deepEqual(slack.calls().sort(), [
      'conversations.history',
      'conversations.history',
      'conversations.history',
      'conversations.open',
      'conversations.open',
    ]);
    assert.equal(slack.messagesIn(CHANNEL).length, 0, 'reads only');
    slack.clearRequests();
    const sent = await messages.sendMessages('support-triager', 'notice', FACTS, reads);
    assert.deepEqual(slack.calls(), ['chat.postMessage', 'chat.postMessage', 'chat.postMessage']);
    assert.deepEqual(
      sent.delivered.map((d) => d.action),
      ['posted', 'posted', 'posted'],
    );

    // The lookup named someone else: the reads that still fit are used, the new recipient's DM is read first.
    const stale = await service().readMessages('support-triager', 'notice', FACTS);
    slack.clearRequests();
    const changed = await service().sendMessages('support-triager', 'notice', { ...FACTS, incoming: DAN }, stale);
    assert.deepEqual(
      changed.delivered.map((d) => [d.kind, d.action]),
      [
        ['notice-channel', 'updated'],
        ['notice-incoming', 'posted'],
        ['notice-buddy', 'updated'],
      ],
    );
    assert.deepEqual(slack.calls().sort(), [
      'chat.postMessage',
      'chat.update',
      'chat.update',
      'conversations.history',
      'conversations.open',
    ]);
    assert.equal(slack.messagesIn(CHANNEL).length, 1);
    assert.equal(
      await service({ settings: parseSettings(DEFAULT_SETTINGS) }).readMessages('support-triager', 'notice', FACTS),
      null,
    );
  });

  it('a changed notice (an override named someone else) is corrected in place; the new incoming gets a DM', async () => {
    await service().sendMessages('support-triager', 'notice', FACTS);
    const ts = slack.messagesIn(CHANNEL)[0]?.ts;
    slack.clearRequests();
    const corrected = await service().sendMessages('support-triager', 'notice', { ...FACTS, incoming: DAN });
    assert.deepEqual(
      corrected.delivered.map((d) => [d.kind, d.action]),
      [
        ['notice-channel', 'updated'],
        ['notice-incoming', 'posted'],
        ['notice-buddy', 'updated'],
      ],
    );
    const channel = slack.messagesIn(CHANNEL);
    assert.equal(channel.length, 1);
    assert.equal(channel[0]?.ts, ts);
    assert.match(channel[0]?.text ?? '', /^<@U0DAN> takes over/);
    assert.ok(channel[0]?.edited);
    assert.equal(slack.dmWith('U0DAN')?.messages.length, 1);
  });

  it('a notice’s search reaches back over the prepare lead; a handover post’s over one day', async () => {
    const realNow = Date.now();
    await service().sendMessages('support-triager', 'notice', FACTS);
    await service().sendMessages('support-triager', 'handover', FACTS);
    // Two days later: the notice (48 h lead) is still found; the handover post of two days ago is not.
    const later = service({ now: () => realNow + 2 * 24 * 3_600_000 });
    const notice = await later.sendMessages('support-triager', 'notice', FACTS);
    assert.ok(notice.delivered.every((d) => d.action === 'unchanged'));
    const handover = await later.sendMessages('support-triager', 'handover', FACTS);
    assert.deepEqual(
      handover.delivered.map((d) => d.action),
      ['posted'],
    );
  });

  it('keeps within Slack’s limits: a 50,000-character text goes out cut, in at most 50 sections', async () => {
    const delivery = await service().deliver({
      key: { handoverKey: 'support-triager@2026-12-09', kind: 'handover-channel', recipient: null },
      channel: CHANNEL,
      text: 'long '.repeat(10_000),
    });
    assert.equal(delivery.action, 'posted');
    const [post] = slack.messagesIn(CHANNEL);
    assert.equal(post?.text.length, 40_000);
    assert.ok((post?.blocks?.length ?? 0) <= 50);
  });

  it('what no retry can fix is a sentence per message and the others still go out', async () => {
    slack.state.channels[CHANNEL]!.members = [];
    const result = await service().sendMessages('support-triager', 'notice', FACTS);
    assert.deepEqual(
      result.delivered.map((d) => d.kind),
      ['notice-incoming', 'notice-buddy'],
    );
    assert.deepEqual(result.failures, [
      'slack: The Slack bot is not in channel C0SUPPORT1 (roles.support-triager.slack.channel): invite it with ' +
        '/invite @team-roles in that channel (or the name the app has in your workspace).',
    ]);
  });

  it('classifies Slack’s answers: retryable or not, with what to do', async () => {
    const message = {
      key: { handoverKey: 'support-triager@2026-12-09', kind: 'handover-channel' as const, recipient: null },
      channel: CHANNEL,
      text: 'hello',
      channelPath: 'roles.support-triager.slack.channel',
    };
    await expectFailure(service().deliver({ ...message, channel: 'C0MISSING' }), {
      type: FailureType.SlackChannelNotFound,
      nonRetryable: true,
      message: /no channel C0MISSING .*channel details → About → Channel ID/,
    });

    slack.state.tokens[slack.token]!.scopes = FAKE_SLACK_SCOPES.filter((s) => s !== 'chat:write');
    await expectFailure(service().deliver(message), {
      type: FailureType.SlackMissingScope,
      nonRetryable: true,
      message: /lacks the chat:write scope that chat\.postMessage needs \(the channel posts.*slack-app-manifest\.yaml/,
    });
    slack.state.tokens[slack.token]!.scopes = FAKE_SLACK_SCOPES.filter((s) => s !== 'channels:history');
    await expectFailure(service().deliver(message), {
      type: FailureType.SlackMissingScope,
      nonRetryable: true,
      message: /channels:history scope that conversations\.history needs \(the exactly-once check/,
    });
    slack.state.tokens[slack.token]!.scopes = FAKE_SLACK_SCOPES;

    slack.faults = { script: [{ match: 'conversations.history', kind: 'rateLimit', retryAfterSeconds: 30 }] };
    await expectFailure(service().deliver(message), {
      type: FailureType.RateLimited,
      nonRetryable: false,
      nextRetryDelay: 30_000,
    });
    slack.faults = { script: [{ match: 'chat.postMessage', kind: 'serverError', times: 3 }] };
    await expectFailure(service().deliver(message), { type: FailureType.ServiceUnavailable, nonRetryable: false });
    assert.equal(slack.messagesIn(CHANNEL).length, 0);

    // A retryable failure of one message fails the whole step, for Temporal to retry; nothing is lost by it.
    slack.faults = { script: [{ match: 'conversations.open', kind: 'serverError', times: 10 }] };
    await expectFailure(service().sendMessages('support-triager', 'notice', FACTS), {
      type: FailureType.ServiceUnavailable,
      nonRetryable: false,
    });
    slack.faults = {};
    const retried = await service().sendMessages('support-triager', 'notice', FACTS);
    assert.equal(retried.delivered.find((d) => d.kind === 'notice-channel')?.action, 'unchanged');
    assert.equal(slack.messagesIn(CHANNEL).length, 1);
  });

  it('off for a role without a slack block; as an activity it never logs the token', async () => {
    const off = await service({ settings: parseSettings(DEFAULT_SETTINGS) }).sendMessages(
      'support-triager',
      'notice',
      FACTS,
    );
    assert.deepEqual(off, {
      delivered: [],
      failures: [],
      skipped: 'Slack messages are off for support-triager (no slack block).',
    });
    assert.equal(slack.requests.length, 0);

    const { env, logs } = activityEnvironment();
    const result = await runActivity(env, service().activities.sendRoleMessages, {
      role: 'support-triager',
      phase: 'handover',
      date: DATE,
      incoming: CHLOE,
      buddy: BEN,
      outgoing: AVA,
    });
    assert.deepEqual(
      result.delivered.map((d) => [d.kind, d.action]),
      [['handover-channel', 'posted']],
    );
    assert.ok(logs.some((entry) => entry.message === 'Slack messages delivered'));
    assert.ok(!printable({ logs, result }).includes(slack.token));
    await expectFailure(
      runActivity(env, service().activities.sendRoleMessages, {
        role: 'support-triager',
        phase: 'later' as 'notice',
        date: DATE,
        incoming: CHLOE,
        buddy: null,
        outgoing: null,
      }),
      { type: FailureType.InvalidInput, nonRetryable: true },
    );
  });
});
