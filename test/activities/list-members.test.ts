// The command itself runs as a job on the worker (end to end in test/cli/jobs.test.ts); these are its formatters.
import assert from 'node:assert/strict';
import { alignedJson, membersByName } from '../../src/client/commands/list-members';
import { buildProgram } from '../../src/client/cli';

describe('team-roles list-members output', () => {
  it('is registered on the team-roles program', () => {
    assert.ok(buildProgram().commands.some((command) => command.name() === 'list-members'));
  });

  it('keeps two people who share a display name', () => {
    const record = membersByName([
      { id: 'U1', name: 'sam' },
      { id: 'U2', name: 'sam' },
      { id: 'U3', name: 'max' },
    ]);
    assert.deepEqual(record, { 'sam (U1)': 'U1', 'sam (U2)': 'U2', max: 'U3' });
    assert.equal(alignedJson({}), '{}');
  });
});
