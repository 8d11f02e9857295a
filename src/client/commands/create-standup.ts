import type { Command } from 'commander';
import { requireAnswerable, runJob, type ConfirmOptions } from '../jobs';
import { fields, memberText } from '../output';
import { readState, roleContext, runningRole, withSession } from '../session';
import { CliError } from '../errors';
import { examples } from './common';

/** `team-roles create-standup <role>`: the old create-standup script, as a job on the worker. */
export function registerCreateStandupCommand(program: Command): void {
  program
    .command('create-standup')
    .summary('Point the Geekbot standup (job)')
    .description(
      "Create or update the role's Geekbot standup so it greets the rotation's incoming member (runs on the worker).",
    )
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--yes', 'go ahead without asking')
    .option('--dry-run', 'only show what the standup would say')
    .option('--json', 'print { workflowId, preview, result } as JSON')
    .addHelpText(
      'after',
      '\nThe rotation points the standup at the next member by itself before each handover; this is for repairs.\n' +
        examples('team-roles create-standup support-triager', 'team-roles create-standup support-triager --yes'),
    )
    .action(async (roleName: string, opts: ConfirmOptions) => {
      const ctx = roleContext(roleName);
      requireAnswerable('create-standup', opts);
      await withSession(async (session) => {
        const state = await readState(session, await runningRole(session, roleName));
        const incoming = ctx.role.slots === 2 ? state.incoming : state.current;
        const buddy = ctx.role.slots === 2 ? state.current : null;
        if (!incoming) {
          throw new CliError(
            `Nobody serves ${roleName} yet, so the standup has nobody to greet: set someone with \`team-roles override ${roleName}\`.`,
          );
        }
        const notes =
          Date.now() >= Date.parse(state.nextPrepareAt) && state.next && state.next.id !== incoming.id
            ? [
                `the rotation may already have pointed the standup at ${memberText(state.next)} for the handover at ${state.nextHandoverAt}; this points it back at ${memberText(incoming)}.`,
              ]
            : [];
        await runJob(
          session,
          { kind: 'create-standup', role: roleName, incoming, buddy, standupId: state.standupId },
          roleName,
          {
            render: (preview) =>
              `Geekbot standup for ${preview.title} (${roleName}):\n` +
              fields([
                ['Standup', preview.standup.name],
                ['Channel', preview.standup.channel],
                ['When', `${preview.standup.days.join(', ')} at ${preview.standup.time}`],
                ['Greets', memberText(preview.incoming)],
                ...(ctx.role.slots === 2 ? ([['Buddy', memberText(preview.buddy)]] as [string, string][]) : []),
              ]) +
              preview.warnings.map((w) => `\nwarning: ${w}`).join(''),
            question: (preview) => `Point the ${preview.standup.name} standup at ${preview.incoming.name}?`,
            summary: (result) =>
              result.outcome === 'done'
                ? `Standup #${result.standupId} ${result.action} for ${incoming.name}.`
                : 'Nothing was changed.',
            notes: () => notes,
          },
          opts,
        );
      }, roleName);
    });
}
