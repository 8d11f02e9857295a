import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, parseSettings } from '../../src/domain/config';
import { describeServices, planServices, roleServices, type SecretPresence } from '../../src/domain/services';
import { mergeSettings } from '../../src/settings';

const NONE: SecretPresence = { geekbotApiKey: false, googleServiceAccount: false, calendarId: false };

describe('planServices', () => {
  it('with Slack alone every optional service is off, each saying why, in one line', () => {
    const plan = planServices(parseSettings(DEFAULT_SETTINGS), NONE);
    assert.equal(
      describeServices(plan),
      'Services: slack members: on (required); geekbot: off (no GEEKBOT_API_KEY); slack messages: off (no role has a ' +
        'slack block); on-duty group: off (no role sets onDutyUsergroup); calendar: off (no CALENDAR_ID or ' +
        'GOOGLE_APPLICATION_CREDENTIALS)',
    );
    assert.deepEqual(roleServices(plan, parseSettings(DEFAULT_SETTINGS).roles['support-triager']!), {
      standup: false,
      calendar: false,
      slackMessages: false,
      onDutyGroup: false,
    });
  });

  it('each service is on when configured, naming what configures it', () => {
    const settings = parseSettings(
      mergeSettings(DEFAULT_SETTINGS, {
        standupManager: { id: 'U0MGR', name: 'Morgan' },
        calendarId: 'cal@group.calendar.google.com',
        roles: {
          'support-triager': { slack: { channel: 'C0SUPPORT1' }, onDutyUsergroup: 'support-triager-on-duty' },
          'meeting-facilitator': { slack: { channel: 'C0TEAM0001', enabled: false } },
        },
      }),
    );
    const plan = planServices(settings, NONE);
    assert.deepEqual(plan.geekbot, { on: true, why: 'standupManager is set' });
    assert.deepEqual(plan.calendar, { on: true, why: 'calendarId' });
    assert.deepEqual(plan.slackMessages, { on: true, why: 'support-triager → C0SUPPORT1' });
    assert.deepEqual(plan.onDutyGroup, { on: true, why: 'support-triager → @support-triager-on-duty' });
    assert.deepEqual(roleServices(plan, settings.roles['meeting-facilitator']!), {
      standup: true,
      calendar: true,
      slackMessages: false,
      onDutyGroup: false,
    });

    const keyed = planServices(parseSettings(DEFAULT_SETTINGS), {
      ...NONE,
      geekbotApiKey: true,
      googleServiceAccount: true,
    });
    assert.deepEqual(keyed.geekbot, { on: true, why: 'GEEKBOT_API_KEY' });
    assert.deepEqual(keyed.calendar, { on: true, why: 'GOOGLE_APPLICATION_CREDENTIALS' });
    const disabled = planServices(
      parseSettings(
        mergeSettings(DEFAULT_SETTINGS, {
          roles: { 'support-triager': { slack: { channel: 'C0SUPPORT1', enabled: false } } },
        }),
      ),
      NONE,
    );
    assert.deepEqual(disabled.slackMessages, { on: false, why: 'slack.enabled is false' });
  });
});
