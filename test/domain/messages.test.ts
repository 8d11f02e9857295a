import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, parseSettings, type RoleConfig, type SettingsInput } from '../../src/domain/config';
import {
  defaultTemplates,
  messageContent,
  messageFacts,
  planAbsenceMessages,
  planMessages,
  SLACK_BLOCK_LIMIT,
  SLACK_SECTION_LIMIT,
  SLACK_TEXT_LIMIT,
} from '../../src/domain/messages';
import { initialState } from '../../src/domain/rotation';
import {
  ACK_PLACEHOLDERS,
  formatDay,
  formatLastDay,
  MAX_TEMPLATE_LENGTH,
  MESSAGE_PLACEHOLDERS,
  ABSENCE_PLACEHOLDERS,
  renderTemplate,
  STANDUP_PLACEHOLDERS,
  templatePlaceholders,
  templateProblem,
} from '../../src/domain/templates';
import { mergeSettings } from '../../src/settings';

const AVA = { id: 'U0AVA', name: 'Ava' };
const BEN = { id: 'U0BEN', name: 'Ben' };
const CHLOE = { id: 'U0CHLOE', name: 'Chloe' };

/** The shipped settings with one role's fields overlaid, as TEAM_ROLES_CONFIG would. */
function settingsWith(role: Record<string, unknown>, name = 'support-triager') {
  return parseSettings(mergeSettings(DEFAULT_SETTINGS, { roles: { [name]: role } }));
}

function configError(input: unknown): string {
  try {
    parseSettings(input);
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail('expected a configuration error');
}

describe('templates', () => {
  it('lists placeholders, fills known ones, leaves the rest as written', () => {
    assert.deepEqual(templatePlaceholders('{a} and {b} and {a}'), ['a', 'b']);
    assert.equal(renderTemplate('Hi {incoming}, {nope}!', { incoming: 'Ava' }), 'Hi Ava, {nope}!');
  });

  it('names unknown placeholders, the known ones, and an over-long template', () => {
    assert.equal(templateProblem('Hi {incoming}', STANDUP_PLACEHOLDERS), null);
    assert.match(
      templateProblem('Hi {incomming} on {start}', STANDUP_PLACEHOLDERS) ?? '',
      /unknown placeholders \{incomming\}, \{start\}; known: \{incoming\}/,
    );
    assert.equal(templateProblem('on {start} until {end}, {outgoingMention}', MESSAGE_PLACEHOLDERS), null);
    assert.match(templateProblem('x'.repeat(MAX_TEMPLATE_LENGTH + 1), MESSAGE_PLACEHOLDERS) ?? '', /at most 2000/);
    assert.match(templateProblem('   ', MESSAGE_PLACEHOLDERS) ?? '', /must say something/);
  });

  it('writes dates as people read them; a turn’s end is exclusive', () => {
    assert.equal(formatDay('2026-12-09'), 'Wed 9 Dec');
    assert.equal(formatLastDay('2026-12-23'), 'Tue 22 Dec');
    assert.throws(() => formatDay('2026-13-01'), RangeError);
  });
});

describe('Slack message configuration', () => {
  it('is off by default; a slack block with a channel ID turns it on with default templates', () => {
    assert.equal(parseSettings(DEFAULT_SETTINGS).roles['support-triager']?.slack, undefined);
    const role = settingsWith({ slack: { channel: 'C0SUPPORT1' }, onDutyUsergroup: '@support-triager-on-duty' }).roles[
      'support-triager'
    ] as RoleConfig;
    assert.deepEqual(role.slack, { channel: 'C0SUPPORT1', enabled: true, templates: {} });
    assert.equal(role.onDutyUsergroup, 'support-triager-on-duty', 'kept without "@"');
  });

  it('names a bad template, a channel name instead of an ID, and an on-duty group that is a member group', () => {
    const base = mergeSettings(DEFAULT_SETTINGS, {}) as SettingsInput;
    const withRole = (role: Record<string, unknown>) => mergeSettings(base, { roles: { 'support-triager': role } });
    assert.match(
      configError(withRole({ slack: { channel: 'C0SUPPORT1', templates: { noticeChannel: '{incoming} on {when}' } } })),
      /roles\.support-triager\.slack\.templates\.noticeChannel: unknown placeholder \{when\}/,
    );
    assert.match(
      configError(withRole({ slack: { channel: 'C0SUPPORT1', templates: { handoverChannel: 'x'.repeat(2001) } } })),
      /roles\.support-triager\.slack\.templates\.handoverChannel: 2001 characters; a template holds at most 2000/,
    );
    assert.match(
      configError(withRole({ slack: { channel: '#support' } })),
      /slack\.channel: expected a Slack channel ID/,
    );
    assert.match(
      configError(withRole({ onDutyUsergroup: 'support-triagers' })),
      /roles\.support-triager\.onDutyUsergroup: "support-triagers" is a rotation's member group/,
    );
    assert.match(
      configError(
        mergeSettings(base, {
          roles: {
            'support-triager': { onDutyUsergroup: 'on-duty' },
            'meeting-facilitator': { onDutyUsergroup: 'on-duty' },
          },
        }),
      ),
      /roles\.meeting-facilitator\.onDutyUsergroup: "on-duty" is already the on-duty group of support-triager/,
    );
    assert.match(
      configError(withRole({ standup: { questionTemplate: 'Hi {incoming}, starting {start}' } })),
      /roles\.support-triager\.standup\.questionTemplate: unknown placeholder \{start\}/,
    );
  });

  it('a configuration file changes one template and keeps the rest of the slack block', () => {
    const first = mergeSettings(DEFAULT_SETTINGS, {
      roles: { 'support-triager': { slack: { channel: 'C0SUPPORT1', templates: { noticeChannel: 'A {role}' } } } },
    }) as SettingsInput;
    const second = parseSettings(
      mergeSettings(first, { roles: { 'support-triager': { slack: { templates: { handoverChannel: 'B {role}' } } } } }),
    );
    assert.deepEqual(second.roles['support-triager']?.slack, {
      channel: 'C0SUPPORT1',
      enabled: true,
      templates: { noticeChannel: 'A {role}', handoverChannel: 'B {role}' },
    });
  });
});

describe('planMessages', () => {
  const settings = settingsWith({ slack: { channel: 'C0SUPPORT1' } });
  const triager = settings.roles['support-triager'] as RoleConfig;

  it('the notice: a channel post, a DM to the incoming member and one to the buddy, in the default words', () => {
    // Ava current, Ben incoming: at the handover on Wed 9 Dec Chloe takes over with Ben, Ava rotates off.
    const rotation = initialState('support-triager', 2, [AVA, BEN, CHLOE], { incoming: BEN, current: AVA });
    const facts = messageFacts(rotation, '2026-12-09');
    assert.deepEqual(facts, { date: '2026-12-09', incoming: CHLOE, buddy: BEN, outgoing: AVA });
    const planned = planMessages(triager, 'https://cal.example/team', 'notice', facts);
    assert.deepEqual(
      planned.map((m) => [m.kind, m.channel, m.recipient?.id ?? null]),
      [
        ['notice-channel', 'C0SUPPORT1', null],
        ['notice-incoming', null, 'U0CHLOE'],
        ['notice-buddy', null, 'U0BEN'],
      ],
    );
    assert.equal(
      planned[0]?.text,
      '<@U0CHLOE> takes over as Support Triager on Wed 9 Dec with <@U0BEN>; <@U0AVA> rotates off.',
    );
    assert.equal(
      planned[1]?.text,
      'Hi Chloe! You take over as *Support Triager* on Wed 9 Dec, until Tue 22 Dec. <@U0BEN> serves with you as your ' +
        'buddy. The rotation is in the team calendar: https://cal.example/team',
    );
    assert.match(planned[2]?.text ?? '', /^Hi Ben! From Wed 9 Dec you are the Support Triager buddy of <@U0CHLOE>/);
    const handover = planMessages(triager, '', 'handover', facts);
    assert.deepEqual(
      handover.map((m) => m.text),
      ['<@U0CHLOE> is now Support Triager with <@U0BEN>, until Tue 22 Dec. Thank you, <@U0AVA>!'],
    );
  });

  it('one slot: no buddy DM; a role’s own template wins; off when disabled or absent', () => {
    const facilitatorSettings = settingsWith(
      { slack: { channel: 'C0TEAM0001', templates: { noticeIncoming: '{incoming}: {role} {start}–{end}' } } },
      'meeting-facilitator',
    );
    const facilitator = facilitatorSettings.roles['meeting-facilitator'] as RoleConfig;
    const facts = { date: '2026-12-01', incoming: CHLOE, buddy: null, outgoing: null };
    const planned = planMessages(facilitator, '', 'notice', facts);
    assert.deepEqual(
      planned.map((m) => m.kind),
      ['notice-channel', 'notice-incoming'],
    );
    assert.equal(planned[0]?.text, '<@U0CHLOE> takes over as Meeting Facilitator on Tue 1 Dec; nobody rotates off.');
    assert.equal(planned[1]?.text, 'Chloe: Meeting Facilitator Tue 1 Dec–Thu 31 Dec');
    assert.deepEqual(
      planMessages({ ...facilitator, slack: { ...facilitator.slack!, enabled: false } }, '', 'notice', facts),
      [],
    );
    assert.deepEqual(planMessages(parseSettings(DEFAULT_SETTINGS).roles['support-triager']!, '', 'notice', facts), []);
  });

  it('the notice says which days the incoming member is away; the absence check DMs who was skipped and who stands in', () => {
    const facts = { date: '2026-12-09', incoming: CHLOE, buddy: BEN, outgoing: AVA };
    const away = planMessages(triager, '', 'notice', {
      ...facts,
      awayDays: 'Mon 14 Dec, Tue 15 Dec (part of the day)',
    });
    assert.equal(
      away[1]?.text,
      'Hi Chloe! You take over as *Support Triager* on Wed 9 Dec, until Tue 22 Dec. <@U0BEN> serves with you as your ' +
        'buddy. Your calendar shows you away on Mon 14 Dec, Tue 15 Dec (part of the day).',
    );
    const DAN = { id: 'U0DAN', name: 'Dan' };
    const planned = planAbsenceMessages(triager, '', facts, [{ member: DAN, awayDays: 'Mon 14 Dec, Tue 15 Dec' }]);
    assert.deepEqual(
      planned.map((m) => [m.kind, m.channel, m.recipient?.id]),
      [
        ['absence-skipped', null, 'U0DAN'],
        ['absence-cover', null, 'U0CHLOE'],
      ],
    );
    assert.equal(
      planned[0]?.text,
      'Hi Dan! Your calendar shows you out of office on Mon 14 Dec, Tue 15 Dec, much of your *Support Triager* turn ' +
        'from Wed 9 Dec, so <@U0CHLOE> takes that turn instead. You keep your place and serve at the next turn you can.',
    );
    assert.equal(
      planned[1]?.text,
      'Hi Chloe! <@U0DAN> is out of office for much of the *Support Triager* turn from Wed 9 Dec, so you take it ' +
        'instead, until Tue 22 Dec.',
    );
    assert.deepEqual(planAbsenceMessages(triager, '', facts, []), [], 'nobody skipped: no message');
    const off = settingsWith({}).roles['support-triager'] as RoleConfig;
    assert.deepEqual(planAbsenceMessages(off, '', facts, [{ member: DAN, awayDays: null }]), [], 'messages off');
  });

  it('every default template uses known placeholders only', () => {
    for (const slots of [1, 2] as const) {
      for (const [name, text] of Object.entries(defaultTemplates({ slots }, 'https://cal'))) {
        const allowed = name.startsWith('ack')
          ? ACK_PLACEHOLDERS
          : name.startsWith('absence')
            ? ABSENCE_PLACEHOLDERS
            : MESSAGE_PLACEHOLDERS;
        assert.equal(templateProblem(text, allowed), null, text);
      }
    }
  });
});

describe('messageContent (Block Kit within Slack’s limits)', () => {
  it('a short text is one mrkdwn section and its own fallback', () => {
    assert.deepEqual(messageContent('Hi <@U1>'), {
      text: 'Hi <@U1>',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Hi <@U1>' } }],
    });
  });

  it('a long text is split at spaces into sections of at most 3,000 characters, 50 at most, text cut at 40,000', () => {
    const words = Array.from({ length: 2000 }, (_, i) => `word${i}`).join(' ');
    const split = messageContent(words);
    assert.ok(split.blocks.length > 1);
    assert.ok(split.blocks.every((b) => b.text.text.length <= SLACK_SECTION_LIMIT));
    assert.equal(split.blocks.map((b) => b.text.text).join(' '), words, 'nothing lost at the seams');

    const huge = messageContent('y'.repeat(200_000));
    assert.equal(huge.text.length, SLACK_TEXT_LIMIT);
    assert.ok(huge.text.endsWith('…'));
    assert.ok(huge.blocks.length <= SLACK_BLOCK_LIMIT);
    assert.ok(huge.blocks.every((b) => b.text.text.length <= SLACK_SECTION_LIMIT));
  });
});
