/** Every command's --help, read in-process (no server): each has a description and ends with an example. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../../src/client/cli';
import { PROJECT_ROOT } from '../../src/servers/binaries';
import { runCli } from './bed';

function commands(command: Command, path: string[] = []): { path: string[]; command: Command }[] {
  return command.commands.flatMap((child) => {
    const here = [...path, child.name()];
    return [{ path: here, command: child }, ...commands(child, here)];
  });
}

describe('team-roles --help', () => {
  const program = buildProgram();
  const all = commands(program).filter(({ command }) => command.name() !== 'help');

  it('covers every command of the issue', () => {
    const names = all.map(({ path }) => path.join(' '));
    for (const name of [
      'start',
      'status',
      'override',
      'skip',
      'swap',
      'pause',
      'resume',
      'handover-now',
      'refresh-members',
      'history',
      'export-roles',
      'list-members',
      'create-standup',
      'create-next-event',
      'create-bulk-events',
      'delete-bulk-events',
      'plan',
      'fairness',
      'schedule create',
      'schedule describe',
      'schedule pause',
      'schedule unpause',
      'schedule trigger',
      'schedule delete',
    ]) {
      assert.ok(names.includes(name), `team-roles ${name}`);
    }
  });

  for (const { path, command } of commands(buildProgram()).filter(({ command }) => command.name() !== 'help')) {
    it(`team-roles ${path.join(' ')} --help has an example`, () => {
      let text = '';
      command.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
      command.outputHelp();
      assert.match(text, /\nExamples?:\n {2}\$ (npx )?team-roles /, text);
      assert.ok(command.description().length > 10);
    });
  }

  it('every command takes --json (one JSON document on stdout)', () => {
    const leaves = all.filter(({ command }) => command.commands.length === 0);
    for (const { path, command } of leaves) {
      assert.ok(
        command.options.some((option) => option.long === '--json'),
        `team-roles ${path.join(' ')} --json`,
      );
    }
  });

  it('groups the commands and takes the temporal CLI connection flags and --version', () => {
    let text = '';
    program.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
    program.outputHelp();
    const groups = [...text.matchAll(/^(\S[^\n]*):$/gm)].map((m) => m[1]);
    assert.deepEqual(groups, [
      'Options',
      'Temporal connection (as the temporal CLI; TEMPORAL_* variables work too)',
      'Rotation (the long-lived workflow of each role)',
      'One-off jobs (the old scripts, run on the worker)',
      'Schedules',
      'Servers',
      'Commands',
      'Example',
    ]);
    for (const flag of ['--address', '--namespace', '--profile', '--env', '--env-file', '--version']) {
      assert.ok(
        program.options.some((option) => option.long === flag),
        flag,
      );
    }
  });

  it('works from the command line: exit 0, help on stdout', async function () {
    this.timeout(30_000);
    const outcome = await runCli(['create-bulk-events', '--help'], { ...process.env, NO_COLOR: '1' });
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.match(outcome.stdout, /-d, --date <date>/);
    assert.match(outcome.stdout, /--first <name>/);
    const version = await runCli(['--version'], { ...process.env, NO_COLOR: '1' });
    assert.equal(
      version.stdout,
      `${(JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version}\n`,
    );
    assert.match(outcome.stdout, /Examples:\n {2}\$ team-roles create-bulk-events support-triager --dry-run/);
  });
});

describe('bin/team-roles.js', () => {
  it('runs when reached through a symlink of another name, as npx and npm link run it', function () {
    // The built CLI (lib/, made by `npm ci` through `prepare`); skipped in a tree that was never built.
    if (!existsSync(path.join(PROJECT_ROOT, 'lib', 'client', 'cli.js'))) this.skip();
    const dir = mkdtempSync(path.join(tmpdir(), 'team-roles-bin-'));
    try {
      const link = path.join(dir, 'team-roles');
      symlinkSync(path.join(PROJECT_ROOT, 'bin', 'team-roles.js'), link);
      const out = execFileSync(process.execPath, [link, '--help'], { encoding: 'utf8' });
      assert.match(out, /^Usage: team-roles /m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
