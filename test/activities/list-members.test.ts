import assert from 'node:assert/strict';
import { Command } from 'commander';
import { alignedJson, membersByName, registerListMembersCommand } from '../../src/client/commands/list-members';
import { buildProgram } from '../../src/client/cli';
import { CliError, EXIT_FAILED, EXIT_USAGE } from '../../src/client/errors';
import type { Env } from '../../src/secrets';
import { fakeSlackToken, startFakeSlack, type FakeSlack } from '../fakes/slack';

describe('team-roles list-members', () => {
  let slack: FakeSlack;

  before(async () => {
    slack = await startFakeSlack({
      users: [
        { id: 'U0ZED', displayName: 'Zed' },
        { id: 'U0ALICE', displayName: 'alice' },
        { id: 'U0BOB', displayName: '', realName: 'Bob Brown' },
      ],
      usergroups: [{ handle: 'support-triagers', users: ['U0ZED', 'U0ALICE', 'U0BOB'] }],
    });
  });
  after(() => slack.close());

  async function run(args: string[], env: Env): Promise<string> {
    let out = '';
    const program = new Command('team-roles').exitOverride();
    registerListMembersCommand(program, { env, stdout: { write: (text: string) => (out += text) } });
    await program.parseAsync(['node', 'team-roles', 'list-members', ...args]);
    return out;
  }
  const env = (): Env => ({
    SLACK_BOT_TOKEN: slack.token,
    SLACK_API_URL: slack.url,
    TEAM_ROLES_SECRETS_DIR: '/nonexistent',
  });

  it('--json prints compact { "display name": "U…" } in rotation order', async () => {
    const out = await run(['support-triagers', '--json'], env());
    assert.equal(out, '{"alice":"U0ALICE","Bob Brown":"U0BOB","Zed":"U0ZED"}\n');
  });

  it('without --json prints aligned, still valid JSON', async () => {
    const out = await run(['support-triagers'], env());
    assert.equal(out, '{\n  "alice":     "U0ALICE",\n  "Bob Brown": "U0BOB",\n  "Zed":       "U0ZED"\n}\n');
    assert.deepEqual(JSON.parse(out), { alice: 'U0ALICE', 'Bob Brown': 'U0BOB', Zed: 'U0ZED' });
  });

  it('an unknown group is a usage error (exit 2) listing the handles', async () => {
    const err = await run(['support-triager'], env()).catch((e: unknown) => e);
    assert.ok(err instanceof CliError);
    assert.equal(err.exitCode, EXIT_USAGE);
    assert.match(err.message, /support-triagers/);
  });

  it('a bad token or a missing one fails (exit 1) naming SLACK_BOT_TOKEN', async () => {
    const bad = await run(['support-triagers'], { ...env(), SLACK_BOT_TOKEN: fakeSlackToken() }).catch(
      (e: unknown) => e,
    );
    assert.ok(bad instanceof CliError);
    assert.equal(bad.exitCode, EXIT_FAILED);
    assert.match(bad.message, /SLACK_BOT_TOKEN/);

    const missing = await run(['support-triagers'], { ...env(), SLACK_BOT_TOKEN: undefined }).catch((e: unknown) => e);
    assert.ok(missing instanceof CliError);
    assert.equal(missing.exitCode, EXIT_FAILED);
    assert.match(missing.message, /set SLACK_BOT_TOKEN/);
  });

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
