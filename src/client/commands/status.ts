import type { Command } from 'commander';
import type { ChangeLogEntry } from '../../domain/changeNotices';
import { zonedInstantText } from '../../domain/format';
import type { RoleStateView } from '../../shared';
import { instantText, memberText, out, paint, printJson, stateText, table, turnAcknowledgementText } from '../output';
import { localRoleContext, rotationIfRunning, runningRotation, teamSettings, type RoleContext } from '../roles';
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
            instantText(state.nextHandoverAt, ctx.timeZone, state.timeScale),
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
    .summary('Who served when, and how the plan changed')
    .description(
      'Show who served the role when (oldest first), as the rotation recorded it, then the latest changes of the ' +
        'plan (who, why) and the notices sent about them.',
    )
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--limit <n>', 'only the latest N turns (and changes)')
    .option('--changes', 'only the changes of the plan and the notices sent')
    .option(
      '--json',
      'print the turns as a JSON array of {member, start, end, acknowledgement?} (with --changes: the changes)',
    )
    .addHelpText(
      'after',
      examples('team-roles history support-triager --limit 10', 'team-roles history support-triager --changes'),
    )
    .action(async (roleName: string, opts: JsonOption & { limit?: string; changes?: boolean }) => {
      const limit = opts.limit === undefined ? undefined : countOption(opts.limit, '--limit', 1, 100_000);
      await withSession(async (session) => {
        const { handle, ctx } = await runningRotation(session, roleName);
        const state = await readState(session, handle);
        const latest = <T>(list: T[]) => (limit === undefined ? list : list.slice(-limit));
        // A worker from before change notices answers no `changes`.
        const changes = latest(state.changes ?? []);
        if (opts.changes) {
          if (opts.json) return printJson(changes);
          return out(changesText(changes, ctx.timeZone, roleName));
        }
        const turns = latest(state.history);
        if (opts.json) return printJson(turns);
        if (turns.length === 0) out(`No handovers recorded yet for ${roleName}.`);
        else {
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
        }
        out(`\n${paint('Changes of the plan', 'bold')}\n${changesText(changes, ctx.timeZone, roleName)}`);
      }, roleName);
    });
}

/** The change log as operators read it: one block per change, notice and correction. */
function changesText(entries: ChangeLogEntry[], timeZone: string, roleName: string): string {
  if (entries.length === 0) return `No changes of the plan recorded yet for ${roleName}.`;
  const lines = entries.map((entry) => {
    const when = zonedInstantText(entry.at, timeZone);
    if (entry.kind === 'change') {
      const moved = entry.affected.length ? `moves ${entry.affected.join(', ')}` : "moves nobody's turns";
      return `${when}  ${paint('change', 'bold')}: ${entry.reason}; ${moved}${entry.quiet ? ' (--quiet: nobody told)' : ''}`;
    }
    const failed = entry.failures?.length ? `\n    ${paint('failed:', 'red')} ${entry.failures.join('; ')}` : '';
    if (entry.kind === 'correction') return `${when}  ${paint('correction', 'bold')}: ${entry.text}${failed}`;
    const where = { channel: 'posted in the channel', cli: 'kept here (summary: cli)', off: 'no Slack messages' };
    const told = entry.told.length ? `told ${entry.told.join(', ')}` : 'nobody messaged';
    const summary = entry.summary
      .split('\n')
      .map((line) => `    ${line}`)
      .join('\n');
    return `${when}  ${paint('notice', 'bold')}: ${told}; summary ${where[entry.summaryTo]}${failed}\n${summary}`;
  });
  return lines.join('\n');
}
