import type { Command } from 'commander';
import { resolveTemporalCli, resolveTestServer } from '../../servers/binaries';
import { CliError } from '../errors';

/** `team-roles servers ensure`: find or build the Temporal binaries ahead of time and say where they are. */
export function registerServersCommand(program: Command): void {
  const servers = program
    .command('servers')
    .summary('Find or build the Temporal binaries')
    .description('Manage the local Temporal server binaries (dev server and test server).')
    .addHelpText('after', '\nExample:\n  $ npx team-roles servers ensure');
  servers
    .command('ensure')
    .description('Find or build the Temporal CLI (dev server) and the time-skipping test server; print their paths.')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', '\nExample:\n  $ npx team-roles servers ensure')
    .action(async (opts: { json?: boolean }) => {
      try {
        const [cli, testServer] = [await resolveTemporalCli(), await resolveTestServer()];
        const result = {
          temporalCli: { path: cli.path ?? null, source: cli.source },
          testServer: { path: testServer.path ?? null, source: testServer.source },
        };
        if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else {
          process.stdout.write(`temporal CLI:  ${result.temporalCli.path ?? '(SDK download)'} [${cli.source}]\n`);
          process.stdout.write(`test server:   ${result.testServer.path ?? '(SDK download)'} [${testServer.source}]\n`);
        }
      } catch (err) {
        throw new CliError((err as Error).message);
      }
    });
}
