import assert from 'node:assert/strict';
import { compareMembers, findMember, RotationError, sortMembers, type Member } from '../../src/domain';

const m = (id: string, name: string): Member => ({ id, name });

describe('members: order', () => {
  it('sorts by name case-insensitively, then by Slack ID', () => {
    const sorted = sortMembers([
      m('U5', 'bob'),
      m('U3', 'Ann'),
      m('U1', 'ann'),
      m('U9', 'Zoe'),
      m('U7', 'Émile'),
      m('U2', 'alice'),
    ]);
    assert.deepEqual(
      sorted.map((x) => x.id),
      ['U2', 'U1', 'U3', 'U5', 'U7', 'U9'],
    );
  });

  it('removes duplicate IDs, the first occurrence winning, and does not touch its input', () => {
    const input = [m('U2', 'Bea'), m('U1', 'Al'), m('U2', 'Renamed')];
    assert.deepEqual(sortMembers(input), [m('U1', 'Al'), m('U2', 'Bea')]);
    assert.equal(input[0]?.id, 'U2');
  });

  const table: [string, Member, Member, number][] = [
    ['names differ only in case: by ID', m('U2', 'ann'), m('U1', 'Ann'), 1],
    ['same name, same ID', m('U1', 'Ann'), m('U1', 'Ann'), 0],
    ['name before ID', m('U9', 'Al'), m('U1', 'Bo'), -1],
  ];
  for (const [title, a, b, sign] of table) {
    it(`compareMembers: ${title}`, () => assert.equal(Math.sign(compareMembers(a, b)), sign));
  }
});

describe('members: findMember', () => {
  const group = [
    m('U1', 'Person A'),
    m('U2', 'Person B'),
    m('U3', 'Anna'),
    m('U4', 'Sam'),
    m('U5', 'sam'),
    m('U6', 'Ann'),
  ];
  const fails = (ref: string, code: string, ...parts: string[]) =>
    assert.throws(
      () => findMember(group, ref),
      (err: unknown) =>
        err instanceof RotationError && err.code === code && parts.every((p) => err.message.includes(p)),
    );

  it('finds by Slack ID', () => assert.equal(findMember(group, 'U2').name, 'Person B'));
  it('finds by exact display name, case-insensitive and trimmed', () => {
    assert.equal(findMember(group, 'person b').id, 'U2');
    assert.equal(findMember(group, '  Person B ').id, 'U2');
  });
  it('never matches a name substring', () => {
    assert.equal(findMember(group, 'Ann').id, 'U6');
    fails('Person', 'unknown-member', 'Person A (U1)', 'Person B (U2)');
  });
  it('an unknown member lists close matches and says how to see the members', () => {
    fails('Persn B', 'unknown-member', '"Persn B"', 'Did you mean', 'Person B (U2)', 'Hint:');
    fails('Nobody-like-this', 'unknown-member', 'Hint:');
  });
  it('the hint can be chosen by the caller', () => {
    assert.throws(() => findMember(group, 'x', 'see --members'), /see --members/);
  });
  it('two members with that name: ambiguous, naming their IDs', () => fails('SAM', 'ambiguous-member', 'U4', 'U5'));
  it('the ID of a namesake resolves', () => assert.equal(findMember(group, 'U5').name, 'sam'));
  it('an empty group says so', () =>
    assert.throws(
      () => findMember([], 'U1'),
      (err: unknown) => err instanceof RotationError && /no members/.test(err.message),
    ));
});
