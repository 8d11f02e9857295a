/** The role settings of the roster, fairness and absence rules: validation, defaults, the frozen window in turns. */
import assert from 'node:assert/strict';
import {
  ConfigError,
  DEFAULT_SETTINGS,
  frozenTurnCount,
  getRole,
  parseSettings,
  roleRules,
  type SettingsInput,
} from '../../src/domain';

/** The shipped settings with some fields of the support triager overridden. */
function withTriager(fields: Record<string, unknown>): SettingsInput {
  const roles = DEFAULT_SETTINGS.roles;
  return {
    ...DEFAULT_SETTINGS,
    roles: { ...roles, 'support-triager': { ...roles['support-triager'], ...fields } },
  } as SettingsInput;
}

function refused(fields: Record<string, unknown>, pattern: RegExp): void {
  assert.throws(
    () => parseSettings(withTriager(fields)),
    (err: unknown) => err instanceof ConfigError && pattern.test(err.message),
  );
}

describe('role rules: settings', () => {
  it('defaults: freeze 2 weeks, cycle, skip at half the working days, no absence sources', () => {
    const role = getRole(parseSettings(DEFAULT_SETTINGS), 'support-triager');
    assert.equal(
      role.freezeWeeks,
      undefined,
      'the shipped settings parse as before: defaults are applied by roleRules',
    );
    assert.deepEqual(roleRules(role), {
      freezeWeeks: 2,
      frozenTurns: 2,
      fairness: 'cycle',
      absenceSkipThreshold: 0.5,
      absences: null,
    });
  });

  it('takes the settings when given', () => {
    const role = getRole(
      parseSettings(
        withTriager({
          freezeWeeks: 3,
          fairness: 'balance',
          absenceSkipThreshold: 0.8,
          absences: { outOfOffice: true, teamCalendarId: 'team-absences@group.calendar.google.com' },
        }),
      ),
      'support-triager',
    );
    assert.deepEqual(roleRules(role), {
      freezeWeeks: 3,
      frozenTurns: 3,
      fairness: 'balance',
      absenceSkipThreshold: 0.8,
      absences: { outOfOffice: true, teamCalendarId: 'team-absences@group.calendar.google.com' },
    });
    const teamOnly = getRole(parseSettings(withTriager({ absences: { teamCalendarId: 'c' } })), 'support-triager');
    assert.deepEqual(roleRules(teamOnly).absences, { outOfOffice: false, teamCalendarId: 'c' });
  });

  it('names each bad field', () => {
    refused({ freezeWeeks: -1 }, /roles\.support-triager\.freezeWeeks/);
    refused({ freezeWeeks: 1.5 }, /roles\.support-triager\.freezeWeeks/);
    refused({ fairness: 'fair' }, /roles\.support-triager\.fairness/);
    refused({ absenceSkipThreshold: 0 }, /roles\.support-triager\.absenceSkipThreshold/);
    refused({ absenceSkipThreshold: 1.2 }, /roles\.support-triager\.absenceSkipThreshold/);
    refused({ absences: {} }, /roles\.support-triager\.absences: name at least one source/);
    refused({ absences: { outOfOffice: false } }, /name at least one source/);
    refused({ absences: { outOfOffice: true, calendar: 'x' } }, /roles\.support-triager\.absences/);
  });

  it('a configuration recorded before these settings existed gets the defaults', () => {
    assert.deepEqual(roleRules({ cadence: 'monthly' }), {
      freezeWeeks: 2,
      frozenTurns: 1,
      fairness: 'cycle',
      absenceSkipThreshold: 0.5,
      absences: null,
    });
  });

  it('the frozen window in turns: weekly one a week; monthly one per started four weeks', () => {
    assert.deepEqual(
      [0, 1, 2, 5].map((weeks) => frozenTurnCount('weekly', weeks)),
      [0, 1, 2, 5],
    );
    assert.deepEqual(
      [0, 1, 2, 4, 5, 8, 9].map((weeks) => frozenTurnCount('monthly', weeks)),
      [0, 1, 1, 1, 2, 2, 3],
    );
  });
});
