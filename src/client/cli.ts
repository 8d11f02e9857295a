/**
 * `team-roles`: the operator CLI. Each subcommand lives in its own module under ./commands and
 * registers itself on the program here.
 */
import { Command, CommanderError } from 'commander';
import { CliError, EXIT_FAILED, EXIT_USAGE } from './errors';
import { registerServersCommand } from './commands/servers';
import { registerListMembersCommand } from './commands/list-members';
import { registerPlanCommand } from './commands/plan';

export function buildProgram(): Command {
  const program = new Command('team-roles')
    .description('Rotate team members through recurring team roles with Temporal, Slack, Geekbot and Google Calendar.')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  registerServersCommand(program);
  registerListMembersCommand(program);
  registerPlanCommand(program);
  return program;
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

if (require.main === module || process.argv[1]?.endsWith('team-roles.js')) {
  main(process.argv)
    .then((code) => {
      process.exitCode = code;
    })
    .catch((err) => {
      console.error(err);
      process.exit(EXIT_FAILED);
    });
}
