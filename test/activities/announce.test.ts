/** The handover announcement (post and on-duty group in one call) through the real @slack/web-api, fake Slack. */
import assert from 'node:assert/strict';
import { createAnnounceService } from '../../src/activities/announce';
import { createOnDutyGroupService } from '../../src/activities/on-duty-group';
import { createSlackClient } from '../../src/activities/slack';
import { createSlackMessagesService } from '../../src/activities/slack-messages';
import { DEFAULT_SETTINGS, parseSettings } from '../../src/domain/config';
import type { MessageFacts } from '../../src/domain/messages';
import { mergeSettings } from '../../src/settings';
import { FAKE_SLACK_SCOPES, startFakeSlack, type FakeSlack } from '../../src/sandbox/slack';
import { activityEnvironment, runActivity } from './helpers';

const AVA = { id: 'U0AVA', name: 'Ava' };
const BEN = { id: 'U0BEN', name: 'Ben' };
const CHLOE = { id: 'U0CHLOE', name: 'Chloe' };
const CHANNEL = 'C0SUPPORT1';
const HANDLE = 'support-triager-on-duty';
const FACTS: MessageFacts = { date: '2026-12-09', incoming: CHLOE, buddy: BEN, outgoing: AVA };
const INPUT = { role: 'support-triager', facts: FACTS, serving: [CHLOE, BEN] };

const settings = parseSettings(
  mergeSettings(DEFAULT_SETTINGS, {
    roles: { 'support-triager': { slack: { channel: CHANNEL }, onDutyUsergroup: HANDLE } },
  }),
);

describe('Handover announcement against the fake Slack', () => {
  let slack: FakeSlack;

  beforeEach(async () => {
    slack = await startFakeSlack({
      users: [AVA, BEN, CHLOE].map((m) => ({ id: m.id, displayName: m.name })),
      channels: [{ id: CHANNEL, name: 'support-freshdesk' }],
      scopes: FAKE_SLACK_SCOPES,
    });
  });
  afterEach(() => slack.close());

  const announce = (input = INPUT) => {
    const client = createSlackClient({ token: slack.token, apiUrl: slack.url });
    const service = createAnnounceService({
      messages: createSlackMessagesService({ settings, slack: client }),
      onDuty: createOnDutyGroupService({ settings, slack: client }),
    });
    return runActivity(activityEnvironment().env, service.announceHandover, input);
  };

  it('posts the handover once and sets the group; run again, it changes nothing', async () => {
    assert.deepEqual(await announce(), { post: 'posted', onDutyGroup: 'created', warnings: [] });
    const [post] = slack.messagesIn(CHANNEL);
    assert.match(post?.text ?? '', /<@U0CHLOE>/);
    assert.equal(post?.metadata?.event_payload.message_kind, 'handover-channel');
    assert.deepEqual(slack.state.usergroups.find((g) => g.handle === HANDLE)?.users, [CHLOE.id, BEN.id]);

    slack.clearRequests();
    assert.deepEqual(await announce(), { post: 'unchanged', onDutyGroup: 'unchanged', warnings: [] });
    assert.deepEqual(slack.calls().sort(), ['conversations.history', 'usergroups.list']);
    assert.equal(slack.messagesIn(CHANNEL).length, 1);
  });

  it('without usergroups:write: the post goes out, the group is a warning naming the scope', async () => {
    slack.state.tokens[slack.token]!.scopes = FAKE_SLACK_SCOPES.filter((scope) => scope !== 'usergroups:write');
    const result = await announce();
    assert.equal(result.post, 'posted');
    assert.equal(result.onDutyGroup, 'not-kept');
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0]!, /@support-triager-on-duty.*usergroups:write/);
  });

  it('the bot not in the channel: the group is still set, the post is a warning saying to invite it', async () => {
    slack.state.channels[CHANNEL]!.members = [];
    const result = await announce();
    assert.equal(result.post, null);
    assert.equal(result.onDutyGroup, 'created');
    assert.match(result.warnings.join('\n'), /not in channel C0SUPPORT1.*\/invite/);
  });
});
