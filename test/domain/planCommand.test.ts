/**
 * `team-roles plan` as operators run it: a child process, checking the exit code and the exact output.
 * Runs src/client/cli.ts through tsx, so no build is needed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const SEVEN = 'Person A,Person B,Person C,Person D,Person E,Person F,Person G';

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

function plan(...argsAndEnv: (string | Record<string, string>)[]): Promise<Outcome> {
  const args = argsAndEnv.filter((a): a is string => typeof a === 'string');
  const env = Object.assign({}, ...argsAndEnv.filter((a) => typeof a !== 'string')) as Record<string, string>;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--require', 'tsx/cjs', 'src/client/cli.ts', 'plan', ...args],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A bad-usage outcome: exit code 2, nothing on stdout, one line on stderr matching `pattern`. */
function assertUsageError(outcome: Outcome, pattern: RegExp): void {
  assert.equal(outcome.code, 2, outcome.stderr);
  assert.equal(outcome.stdout, '');
  assert.equal(outcome.stderr.trimEnd().split('\n').length, 1, outcome.stderr);
  assert.match(outcome.stderr, pattern);
}

describe('team-roles plan (CLI)', function () {
  this.timeout(30_000);
  const cases = {
    json: [
      'support-triager',
      '--members',
      SEVEN,
      '--after',
      'Person B',
      '--from',
      '2023-03-29',
      '--count',
      '3',
      '--json',
    ],
    table: ['support-triager', '--members', SEVEN, '--after', 'Person B', '--from', '2023-03-29', '--count', '3'],
    monthly: [
      'meeting-facilitator',
      '--members',
      'Ann=U1,Bob=U2,Cleo=U3',
      '--after',
      'U2',
      '--from',
      '2023-03-15',
      '--json',
    ],
    today: ['support-triager', '--members', 'Ann,Bob', '--count', '1', '--json'],
    help: ['--help'],
    unknownRole: ['support-steward', '--members', SEVEN],
    unknownAfter: ['support-triager', '--members', SEVEN, '--after', 'Persn B'],
    badDate: ['support-triager', '--members', SEVEN, '--from', '2023-02-30'],
    zeroCount: ['support-triager', '--members', SEVEN, '--count', '0'],
    wordCount: ['support-triager', '--members', SEVEN, '--count', 'three'],
    duplicate: ['support-triager', '--members', 'Ann,ann'],
  };
  /**
   * Each test runs its own command: twelve node processes started at once from one hook took 24 s on the loaded
   * 2-core machine and once more than the hook's 30 s, while one process takes one to a few seconds.
   */
  const run = (name: keyof typeof cases): Promise<Outcome> => plan(...cases[name]);

  it('prints exactly one JSON array with --json, in the shape of `history --json`', async () => {
    const json = await run('json');
    assert.equal(json.code, 0, json.stderr);
    const member = (name: string) => ({ id: name, name });
    const turns = [
      { member: member('Person C'), start: '2023-03-29', end: '2023-04-12' },
      { member: member('Person D'), start: '2023-04-05', end: '2023-04-19' },
      { member: member('Person E'), start: '2023-04-12', end: '2023-04-26' },
    ];
    assert.equal(json.stdout, `${JSON.stringify(turns, null, 2)}\n`);
    assert.equal(json.stderr, '');
  });

  it('prints an aligned table without --json', async () => {
    const { code, stdout } = await run('table');
    assert.equal(code, 0);
    const lines = stdout.trimEnd().split('\n');
    assert.match(
      lines[0] ?? '',
      /^Support Triager \(support-triager\): handover every Wed at 10:00; each turn lasts 2 weeks\.$/,
    );
    const rows = lines.slice(1);
    assert.equal(new Set(rows.map((row) => row.length)).size, 1, 'every table line has the same width');
    const cells = rows
      .filter((row) => /\d{4}-/.test(row))
      .map((row) =>
        row
          .split('│')
          .map((cell) => cell.trim())
          .filter(Boolean),
      );
    assert.deepEqual(cells, [
      ['1', 'Person C', '2023-03-29', '2023-04-12'],
      ['2', 'Person D', '2023-04-05', '2023-04-19'],
      ['3', 'Person E', '2023-04-12', '2023-04-26'],
    ]);
  });

  it('monthly role: a year of turns by default; members may carry Slack IDs', async () => {
    type Turn = { member: { id: string; name: string }; start: string; end: string };
    const turns = JSON.parse((await run('monthly')).stdout) as Turn[];
    assert.equal(turns.length, 12);
    assert.deepEqual(turns[0], { member: { id: 'U3', name: 'Cleo' }, start: '2023-04-01', end: '2023-05-01' });
    assert.deepEqual(turns[1], { member: { id: 'U1', name: 'Ann' }, start: '2023-05-01', end: '2023-06-01' });
  });

  it('plans from today (UTC) by default', async () => {
    // Today before the command runs: its plan starts on it or later, even across midnight.
    const today = new Date().toISOString().slice(0, 10);
    const [turn] = JSON.parse((await run('today')).stdout) as { member: { name: string }; start: string }[];
    assert.equal(turn?.member.name, 'Ann');
    assert.ok(turn.start >= today && new Date(`${turn.start}T00:00:00Z`).getUTCDay() === 3, turn.start);
  });

  it('--help shows an example', async () => {
    const help = await run('help');
    assert.equal(help.code, 0);
    assert.match(
      help.stdout,
      /Examples:\n\s+\$ npx team-roles plan support-triager --count 6\n\s+\$ npx team-roles plan support-triager --members/,
    );
  });

  it('an unknown role: exit 2, listing the roles', async () =>
    assertUsageError(
      await run('unknownRole'),
      /Unknown role "support-steward"\. Known roles: support-triager, meeting-facilitator/,
    ));
  it('an unknown --after: exit 2, with close matches', async () =>
    assertUsageError(await run('unknownAfter'), /No member "Persn B".*Did you mean Person B/));
  it('a date that is not a date: exit 2', async () =>
    assertUsageError(await run('badDate'), /"2023-02-30" is not a date/));
  it('a count below 1 or not a number: exit 2', async () => {
    assertUsageError(await run('zeroCount'), /--count must be a whole number/);
    assertUsageError(await run('wordCount'), /--count must be a whole number/);
  });
  it('no --members and no Temporal to read the running rotation from: exit 1, saying how to reach it', async () => {
    // Port 1 on loopback: nothing listens there, so the CLI fails fast instead of finding a dev server by chance.
    const outcome = await plan('support-triager', { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    assert.equal(outcome.code, 1, outcome.stderr);
    assert.equal(outcome.stdout, '');
    assert.match(outcome.stderr, /Cannot reach Temporal at 127\.0\.0\.1:1/);
  });
  it('the same member twice: exit 2', async () => assertUsageError(await run('duplicate'), /lists "ann" twice/));
});
