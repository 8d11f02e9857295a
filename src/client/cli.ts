/**
 * `team-roles`: the operator CLI. Each subcommand lives in its own module under ./commands and
 * registers itself on the program here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import type { ConnectionFlags } from './connection';
import { useConnectionFlags } from './session';
import { CliError, EXIT_FAILED, EXIT_USAGE } from './errors';
import { registerChangeCommands } from './commands/changes';
import { registerCreateStandupCommand } from './commands/create-standup';
import { registerEventCommands } from './commands/events';
import { registerExportRolesCommand } from './commands/export-roles';
import { registerFairnessCommand } from './commands/fairness';
import { registerListMembersCommand } from './commands/list-members';
import { registerPlanCommand } from './commands/plan';
import { registerScheduleCommands } from './commands/schedule';
import { registerServersCommand } from './commands/servers';
import { registerStartCommand } from './commands/start';
import { registerStatusCommand } from './commands/status';

export function buildProgram(): Command {
  const program = new Command('team-roles')
    .description('Rotate team members through recurring team roles with Temporal, Slack, Geekbot and Google Calendar.')
    .version(packageVersion(), '-v, --version', 'print the version of team-roles')
    .optionsGroup('Temporal connection (as the temporal CLI; TEMPORAL_* variables work too):')
    .option('--address <host:port>', 'Temporal frontend address (TEMPORAL_ADDRESS; default localhost:7233)')
    .option('--namespace <namespace>', 'Temporal namespace (TEMPORAL_NAMESPACE; default "default")')
    .option('--profile <name>', 'profile of the temporal CLI TOML config file (TEMPORAL_PROFILE)')
    .option('--env <name>', 'environment of `temporal env` (TEMPORAL_ENV), from --env-file')
    .option('--env-file <file>', 'the `temporal env` file (default ~/.config/temporalio/temporal.yaml)')
    .optionsGroup('Options:')
    .addHelpText(
      'after',
      '\nTalks to Temporal like the `temporal` CLI: the flags above, or TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,\n' +
        "TEMPORAL_API_KEY, TLS settings and profiles (@temporalio/envconfig). The roles' settings come from the worker.\n" +
        'Exit codes: 0 success, 1 operation failed, 2 bad usage, 130 interrupted (Ctrl-C).\n' +
        '\nExample:\n  $ team-roles status support-triager',
    );
  program.hook('preAction', () => useConnectionFlags(program.opts<ConnectionFlags>()));
  // Rotation: through the running role workflow (updates for changes, queries for reading).
  program.commandsGroup('Rotation (the long-lived workflow of each role):');
  registerStartCommand(program);
  registerStatusCommand(program);
  registerChangeCommands(program);
  registerExportRolesCommand(program);
  registerPlanCommand(program);
  registerFairnessCommand(program);
  // One-off jobs (the old scripts), run on the worker.
  program.commandsGroup('One-off jobs (the old scripts, run on the worker):');
  registerListMembersCommand(program);
  registerCreateStandupCommand(program);
  registerEventCommands(program);
  program.commandsGroup('Schedules:');
  registerScheduleCommands(program);
  program.commandsGroup('Servers:');
  registerServersCommand(program);
  // A usage mistake anywhere ends with exit code 2 (not process.exit), as one line on stderr like every error.
  for (const command of [program, ...allCommands(program)]) {
    command.exitOverride().configureOutput({ outputError: (text, write) => write(usageLine(text)) });
  }
  return program;
}

/** Commander's message (`error: ...`, sometimes with a second line of suggestions) as the CLI's one line. */
function usageLine(text: string): string {
  const message = text
    .replace(/^error: /, '')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
  return `team-roles: ${message} (add --help for usage)\n`;
}

/** The package's version, from package.json (two folders up from both src/client and lib/client). */
function packageVersion(): string {
  const file = path.join(__dirname, '..', '..', 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((child) => [child, ...allCommands(child)]);
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are "errors" to commander; usage mistakes are exit code 2.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (err instanceof CliError) {
      process.stderr.write(`team-roles: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`team-roles: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILED;
  }
}

/**
 * Runs the CLI on this process's arguments and sets its exit code. Called by bin/team-roles.js: npx and npm link run
 * the bin through a symlink with another name, so the bin calls this rather than relying on how it was invoked.
 */
export function runCli(): void {
  // `team-roles status | head`: a reader that leaves early is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  main(process.argv)
    .then((code) => {
      process.exitCode = code;
    })
    .catch((err) => {
      console.error(err);
      process.exit(EXIT_FAILED);
    });
}

if (require.main === module) runCli();
