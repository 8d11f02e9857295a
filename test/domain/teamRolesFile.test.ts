import assert from 'node:assert/strict';
import {
  applyHandover,
  initialState,
  parseTeamRolesFile,
  RotationError,
  seedFromTeamRolesFile,
  toTeamRolesFile,
  type TeamRolesFile,
} from '../../src/domain';
import { SEVEN } from './fixtures';

/** The old scripts' file, as their README shows it (key order included). */
const OLD_FILE = `{
  "standup_manager": { "name": "Person M", "id": "UM" },
  "meeting_facilitator": { "name": "Person F", "id": "UF" },
  "support_triager": {
    "incoming": { "name": "Person C", "id": "UC" },
    "current": { "name": "Person B", "id": "UB" }
  }
}`;

function roundTrip(text: string): string {
  const file = parseTeamRolesFile(JSON.parse(text));
  const triager = initialState('support-triager', 2, SEVEN, seedFromTeamRolesFile(file, 'support-triager'));
  const facilitator =
    file.meeting_facilitator === undefined
      ? undefined
      : initialState('meeting-facilitator', 1, SEVEN, seedFromTeamRolesFile(file, 'meeting-facilitator'));
  const out = toTeamRolesFile({
    standupManager: file.standup_manager,
    supportTriager: triager,
    meetingFacilitator: facilitator,
  });
  return JSON.stringify(out);
}

describe('team-roles.json import and export', () => {
  it('reads the old file', () => {
    const file = parseTeamRolesFile(JSON.parse(OLD_FILE));
    assert.deepEqual(seedFromTeamRolesFile(file, 'support-triager'), {
      incoming: { id: 'UC', name: 'Person C' },
      current: { id: 'UB', name: 'Person B' },
    });
    assert.deepEqual(seedFromTeamRolesFile(file, 'meeting-facilitator'), {
      incoming: null,
      current: { id: 'UF', name: 'Person F' },
    });
  });

  it('round-trips to the exact same shape and key order', () => {
    assert.equal(roundTrip(OLD_FILE), JSON.stringify(JSON.parse(OLD_FILE)));
  });

  it('round-trips null members and a missing meeting facilitator', () => {
    const text = JSON.stringify({
      standup_manager: null,
      support_triager: { incoming: { name: 'Person A', id: 'UA' }, current: null },
    });
    assert.equal(roundTrip(text), text);
  });

  it('exports the state after a handover', () => {
    const file = parseTeamRolesFile(JSON.parse(OLD_FILE));
    const state = initialState('support-triager', 2, SEVEN, seedFromTeamRolesFile(file, 'support-triager'));
    const after = applyHandover(state, { start: '2023-03-29', end: '2023-04-12' }, 'k', 10).state;
    const out: TeamRolesFile = toTeamRolesFile({
      standupManager: null,
      supportTriager: after,
      meetingFacilitator: null,
    });
    assert.deepEqual(out, {
      standup_manager: null,
      meeting_facilitator: null,
      support_triager: { incoming: { name: 'Person D', id: 'UD' }, current: { name: 'Person C', id: 'UC' } },
    });
  });

  const bad: [string, unknown, RegExp][] = [
    ['not an object', 42, /\(root\)/],
    ['no support_triager', { standup_manager: null }, /support_triager/],
    [
      'an ID that is not a string',
      { standup_manager: null, support_triager: { incoming: { name: 'X', id: 7 }, current: null } },
      /support_triager\.incoming\.id/,
    ],
    [
      'an empty ID',
      { standup_manager: { name: 'M', id: '' }, support_triager: { incoming: null, current: null } },
      /standup_manager\.id/,
    ],
    [
      'a member without a name',
      { standup_manager: null, meeting_facilitator: { id: 'U1' }, support_triager: { incoming: null, current: null } },
      /meeting_facilitator\.name/,
    ],
    ['no standup_manager', { support_triager: { incoming: null, current: null } }, /standup_manager/],
  ];
  for (const [title, json, path] of bad) {
    it(`refuses a file with ${title}, naming the field`, () =>
      assert.throws(
        () => parseTeamRolesFile(json),
        (err: unknown) => err instanceof RotationError && err.code === 'invalid-request' && path.test(err.message),
      ));
  }

  it('a file naming one person both incoming and current cannot seed a group of two or more', () => {
    const file = parseTeamRolesFile({
      standup_manager: null,
      support_triager: { incoming: { name: 'Person B', id: 'UB' }, current: { name: 'Person B.', id: 'UB' } },
    });
    assert.throws(
      () => initialState('support-triager', 2, SEVEN, seedFromTeamRolesFile(file, 'support-triager')),
      (err: unknown) => err instanceof RotationError && err.code === 'same-member',
    );
  });
});
