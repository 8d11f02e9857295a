import type { Command } from 'commander';
import type { RoleStateView } from '../../shared';
import { instantText, memberText, out, paint, printJson, stateText, table, turnAcknowledgementText } from '../output';
import {
  localRoleContext,
  requireRunning,
  rotationIfRunning,
  runningRotation,
  teamSettings,
  type RoleContext,
} from '../roles';
import { readState, runningRoles, withSession } from '../session';
import { countOption, examples, type JsonOption } from './common';

/** `team-roles status [role]`: who serves, who is next, when the next prepare and handover are. */
export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .summary('Who serves, who is next, and when')
    .description(
      'Show who is incoming, current and next, when the next prepare and handover are, paused or not, and the members.',
    )
    .argument('[role]', 'one role (default: every running rotation and every role this machine knows, in a table)')
    .option('--json', "print the workflow's `state` query result (for every role: { role: state or null })")
    .addHelpText('after', examples('team-roles status support-triager', 'team-roles status --json'))
    .action(async (roleName: string | undefined, opts: JsonOption) => {
      if (roleName !== undefined) {
        await withSession(async (session) => {
          const { handle, ctx } = await runningRotation(session, roleName);
          const state = await readState(session, handle);
          if (opts.json) printJson(state);
          else out(stateText(state, ctx.role.title, ctx.role.slots, ctx.timeZone));
        }, roleName);
        return;
      }
      // The running rotations (found by their TeamRole attribute, so roles defined only on the worker show too), and
      // the roles this machine's configuration knows (the shipped ones), which may not be running.
      const known = Object.keys(teamSettings().roles);
      await withSession(async (session) => {
        const running = await runningRoles(session);
        const rows: Record<string, { state: RoleStateView; ctx: RoleContext } | null> = {};
        for (const name of [...new Set([...running, ...known])]) rows[name] = await rotationIfRunning(session, name);
        if (opts.json) {
          return printJson(Object.fromEntries(Object.entries(rows).map(([name, row]) => [name, row?.state ?? null])));
        }
        const lines = Object.entries(rows).map(([name, row]) => {
          if (!row) {
            const enabled = known.includes(name) ? localRoleContext(name).role.enabled : true;
            return [name, paint('not running', 'dim'), '-', '-', '-', '-', enabled ? '-' : 'disabled'];
          }
          const { state, ctx } = row;
          return [
            name,
            state.paused ? paint('paused', 'yellow') : 'running',
            ctx.role.slots === 2 ? memberText(state.incoming) : '-',
            memberText(state.current),
            memberText(state.next),
            instantText(state.nextHandoverAt, ctx.timeZone),
            state.lastError
              ? paint('error: see status <role>', 'red')
              : state.warnings.length
                ? `${state.warnings.length} warning(s)`
                : '-',
          ];
        });
        out(table(['Role', 'Status', 'Incoming', 'Current', 'Next', 'Next handover', 'Notes'], lines));
      });
    });

  program
    .command('history')
    .summary('Who served when')
    .description('Show who served the role when (oldest first), as the rotation recorded it.')
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--limit <n>', 'only the latest N turns')
    .option('--json', 'print the turns as a JSON array of {member, start, end, acknowledgement?}')
    .addHelpText('after', examples('team-roles history support-triager --limit 10'))
    .action(async (roleName: string, opts: JsonOption & { limit?: string }) => {
      const limit = opts.limit === undefined ? undefined : countOption(opts.limit, '--limit', 1, 100_000);
      await withSession(async (session) => {
        const state = await readState(session, await requireRunning(session, roleName));
        const turns = limit === undefined ? state.history : state.history.slice(-limit);
        if (opts.json) return printJson(turns);
        if (turns.length === 0) return out(`No handovers recorded yet for ${roleName}.`);
        const first = state.history.length - turns.length;
        // The acknowledgement column once some turn has one (acknowledgements on for the role).
        const acks = turns.some((turn) => turn.acknowledgement);
        out(
          table(
            ['#', 'Member', 'Start', 'End (exclusive)', ...(acks ? ['Acknowledged'] : [])],
            turns.map((turn, i) => [
              first + i + 1,
              memberText(turn.member),
              turn.start,
              turn.end,
              ...(acks ? [turnAcknowledgementText(turn.acknowledgement)] : []),
            ]),
          ),
        );
      }, roleName);
    });
}
