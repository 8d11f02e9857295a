import type { Command } from 'commander';
import type { Member } from '../../domain/types';
import type { RoleStateView } from '../../shared';
import { CliError } from '../errors';
import { requireAnswerable, runJob, type ConfirmOptions } from '../jobs';
import { fields, memberText } from '../output';
import { runningRotation } from '../roles';
import { readState, withSession } from '../session';
import { examples } from './common';

/** `team-roles create-standup <role>`: the old create-standup script, as a job on the worker. */
export function registerCreateStandupCommand(program: Command): void {
  program
    .command('create-standup')
    .summary('Point the Geekbot standup (job)')
    .description(
      "Create or update the role's Geekbot standup so it greets whom the rotation's last notice named (runs on the worker).",
    )
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--yes', 'go ahead without asking')
    .option('--dry-run', 'only show what the standup would say')
    .option('--json', 'print { workflowId, preview, result } as JSON')
    .addHelpText(
      'after',
      '\nAs the old script did after the weekly update: from the notice before a handover (the prepare step) until\n' +
        'that handover, the standup greets the member who takes over then (buddy: the one about to be current);\n' +
        'otherwise the incoming member (buddy: current). The rotation does this by itself; this is for repairs.\n' +
        examples('team-roles create-standup support-triager', 'team-roles create-standup support-triager --yes'),
    )
    .action(async (roleName: string, opts: ConfirmOptions) => {
      requireAnswerable('create-standup', opts);
      await withSession(async (session) => {
        const { handle, ctx } = await runningRotation(session, roleName);
        const state = await readState(session, handle);
        const { incoming, buddy } = standupTarget(state, ctx.role.slots);
        if (!incoming) {
          throw new CliError(
            `Nobody serves ${roleName} yet, so the standup has nobody to greet: set someone with \`team-roles override ${roleName}\`.`,
          );
        }
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
          },
          opts,
        );
      }, roleName);
    });
}

/**
 * Whom the standup greets now, as the rotation's own notices have it. The old scripts moved `incoming` to the next
 * member at their weekly run before the handover, and create-standup greeted that `incoming`; here the prepare step
 * plays that run's part, so from the next prepare instant on the standup greets `next` (the buddy being the one
 * about to be current), before it the member who took over last.
 */
export function standupTarget(
  state: RoleStateView,
  slots: 1 | 2,
  now = Date.now(),
): { incoming: Member | null; buddy: Member | null } {
  const noticeSent = now >= Date.parse(state.nextPrepareAt) && state.next !== null;
  if (slots === 1) return { incoming: noticeSent ? state.next : state.current, buddy: null };
  return noticeSent
    ? { incoming: state.next, buddy: state.incoming }
    : { incoming: state.incoming, buddy: state.current };
}
