import type { Command } from 'commander';
import type { RoleStateView } from '../../shared';
import { instantText, memberText, out, paint, printJson, stateText, table } from '../output';
import { readState, roleContext, runningRole, stateIfRunning, teamSettings, withSession } from '../session';
import { countOption, examples, type JsonOption } from './common';

/** `team-roles status [role]`: who serves, who is next, when the next prepare and handover are. */
export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .summary('Who serves, who is next, and when')
    .description(
      'Show who is incoming, current and next, when the next prepare and handover are, paused or not, and the members.',
    )
    .argument('[role]', 'one role (default: every configured role, in a summary table)')
    .option('--json', "print the workflow's `state` query result (for every role: { role: state or null })")
    .addHelpText('after', examples('team-roles status support-triager', 'team-roles status --json'))
    .action(async (roleName: string | undefined, opts: JsonOption) => {
      if (roleName !== undefined) {
        const ctx = roleContext(roleName);
        await withSession(async (session) => {
          const state = await readState(session, await runningRole(session, roleName));
          if (opts.json) printJson(state);
          else out(stateText(state, ctx.role.title, ctx.role.slots, ctx.timeZone));
        }, roleName);
        return;
      }
      const settings = teamSettings();
      await withSession(async (session) => {
        const states: Record<string, RoleStateView | null> = {};
        for (const name of Object.keys(settings.roles)) states[name] = await stateIfRunning(session, name);
        if (opts.json) return printJson(states);
        const rows = Object.entries(states).map(([name, state]) => {
          const ctx = roleContext(name);
          if (!state)
            return [name, paint('not running', 'dim'), '-', '-', '-', '-', ctx.role.enabled ? '-' : 'disabled'];
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
        out(table(['Role', 'Status', 'Incoming', 'Current', 'Next', 'Next handover', 'Notes'], rows));
      });
    });

  program
    .command('history')
    .summary('Who served when')
    .description('Show who served the role when (oldest first), as the rotation recorded it.')
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--limit <n>', 'only the latest N turns')
    .option('--json', 'print the turns as a JSON array of {member, start, end}')
    .addHelpText('after', examples('team-roles history support-triager --limit 10'))
    .action(async (roleName: string, opts: JsonOption & { limit?: string }) => {
      roleContext(roleName);
      const limit = opts.limit === undefined ? undefined : countOption(opts.limit, '--limit', 1, 100_000);
      await withSession(async (session) => {
        const state = await readState(session, await runningRole(session, roleName));
        const turns = limit === undefined ? state.history : state.history.slice(-limit);
        if (opts.json) return printJson(turns);
        if (turns.length === 0) return out(`No handovers recorded yet for ${roleName}.`);
        const first = state.history.length - turns.length;
        out(
          table(
            ['#', 'Member', 'Start', 'End (exclusive)'],
            turns.map((turn, i) => [first + i + 1, memberText(turn.member), turn.start, turn.end]),
          ),
        );
      }, roleName);
    });
}
