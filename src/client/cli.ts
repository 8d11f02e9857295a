/**
 * `team-roles`: the operator CLI. Each subcommand lives in its own module under ./commands and
 * registers itself on the program here.
 */
import { Command, CommanderError } from 'commander';
import { CliError, EXIT_FAILED, EXIT_USAGE } from './errors';
import { registerChangeCommands } from './commands/changes';
import { registerCreateStandupCommand } from './commands/create-standup';
import { registerEventCommands } from './commands/events';
import { registerExportRolesCommand } from './commands/export-roles';
import { registerListMembersCommand } from './commands/list-members';
import { registerPlanCommand } from './commands/plan';
import { registerScheduleCommands } from './commands/schedule';
import { registerServersCommand } from './commands/servers';
import { registerStartCommand } from './commands/start';
import { registerStatusCommand } from './commands/status';

export function buildProgram(): Command {
  const program = new Command('team-roles')
    .description('Rotate team members through recurring team roles with Temporal, Slack, Geekbot and Google Calendar.')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      '\nTalks to Temporal like the `temporal` CLI: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS\n' +
        'settings and profiles (@temporalio/envconfig). Exit codes: 0 success, 1 operation failed, 2 bad usage.\n' +
        '\nExample:\n  $ team-roles status support-triager',
    );
  // Rotation: through the running role workflow (updates for changes, queries for reading).
  registerStartCommand(program);
  registerStatusCommand(program);
  registerChangeCommands(program);
  registerExportRolesCommand(program);
  // One-off jobs (the old scripts), run on the worker.
  registerListMembersCommand(program);
  registerCreateStandupCommand(program);
  registerEventCommands(program);
  registerPlanCommand(program);
  registerScheduleCommands(program);
  registerServersCommand(program);
  // Subcommands inherit exitOverride, so a usage mistake anywhere ends with exit code 2, not process.exit.
  for (const command of allCommands(program)) command.exitOverride().showHelpAfterError('(add --help for usage)');
  return program;
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
