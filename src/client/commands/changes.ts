/**
 * The operator's changes to a running rotation, each sent as a validated Update: a bad request is refused with
 * the workflow's reason (exit 2 for a wrong name or date) and changes nothing; a good one returns the new state.
 */
import type { Command } from 'commander';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { OperationName, OperationRequest } from '../../operations';
import type { HandoverNowRequest, RoleStateView, SkipRequest } from '../../shared';
import { UsageError } from '../errors';
import { failureError } from '../failures';
import { executeAnyOperation, executeOperation } from '../send-operation';
import { instantText, out, printJson, stateText } from '../output';
import { runningRotation } from '../roles';
import { ANSWER_TIMEOUT_MS, sendUpdate, withSession } from '../session';
import { dateOption, examples, type JsonOption } from './common';

interface ChangeFlags extends JsonOption {
  /** `--quiet`: a correction nobody needs to hear about (shared.ts `ChangeOptions`). */
  quiet?: boolean;
}

const QUIET_HELP = 'a correction: record it, but message nobody about the turns it moves';

/**
 * Sends one operation (src/operations.ts) as an update to the role's running workflow and prints the new state,
 * with who the change moves and when they are told (or, with --quiet, that nobody is).
 */
async function change<N extends OperationName>(
  roleName: string,
  operation: N,
  request: OperationRequest<N>,
  what: string,
  opts: ChangeFlags,
): Promise<void> {
  await withSession(async (session) => {
    // The configuration comes from the rotation itself (its `config` query): no local file needed.
    const { handle, ctx } = await runningRotation(session, roleName);
    let state: RoleStateView;
    try {
      // Sent again if it reaches a run that is just continuing as new: the new run takes it.
      const send = opts.quiet
        ? () => executeAnyOperation(handle, operation, { ...(request ?? {}), quiet: true })
        : () => executeOperation(handle, operation, request);
      state = await session.client.withDeadline(Date.now() + ANSWER_TIMEOUT_MS, () => sendUpdate(send));
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError)
        throw failureError(err.cause, `The ${roleName} rotation refused ${what}: `);
      throw err;
    }
    if (opts.json) return printJson(state);
    out(`Done: ${what}.`);
    const moved = changeText(state, ctx.timeZone, opts.quiet === true);
    if (moved) out(moved);
    out(stateText(state, ctx.role.title, ctx.role.slots, ctx.timeZone));
  }, roleName);
}

/** Whom the change just made moves, and when they hear about it (the change log's latest entry and the batch). */
function changeText(state: RoleStateView, timeZone: string, quiet: boolean): string | null {
  const latest = state.changes.at(-1);
  if (latest?.kind !== 'change') return null;
  if (latest.affected.length === 0) return "No member's turns move.";
  const who = `Moves the turns of ${latest.affected.join(', ')}`;
  if (quiet) return `${who}: --quiet, nobody is told.`;
  const pending = state.pendingChanges;
  if (!pending?.summary) return `${who}.`;
  return `${who}; they are told ${instantText(pending.toldAt, timeZone, state.timeScale)} (changes until then are told with it):\n${pending.summary}`;
}

export function registerChangeCommands(program: Command): void {
  program
    .command('override')
    .summary('Set who is incoming and/or current')
    .description('Set who is incoming and/or current now; the rotation continues after them.')
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--incoming <name>', 'the new incoming member (Slack display name or ID)')
    .option('--current <name>', 'the new current member (Slack display name or ID)')
    .option('--quiet', QUIET_HELP)
    .option('--json', 'print the new state as JSON')
    .addHelpText('after', examples('team-roles override support-triager --incoming Ben --current Ava'))
    .action(async (role: string, opts: ChangeFlags & { incoming?: string; current?: string }) => {
      if (!opts.incoming && !opts.current)
        throw new UsageError('override needs --incoming NAME and/or --current NAME.');
      const request = {
        ...(opts.incoming ? { incoming: opts.incoming } : {}),
        ...(opts.current ? { current: opts.current } : {}),
      };
      await change(role, 'override', request, 'the override', opts);
    });

  program
    .command('skip')
    .summary("Skip a member's turns")
    .description("Skip a member's turns that start within dates (inclusive), or only their next turn.")
    .argument('<role>', 'role name, e.g. support-triager')
    .argument('<member>', 'Slack display name or ID')
    .option('--from <date>', 'first day of the absence, YYYY-MM-DD (alone: that one day)')
    .option('--to <date>', 'last day of the absence, YYYY-MM-DD (alone: from today)')
    .option('--next', 'skip only their next turn')
    .option('--quiet', QUIET_HELP)
    .option('--json', 'print the new state as JSON')
    .addHelpText(
      'after',
      '\nA skipped member is not lost from the cycle: they serve at the first later handover they can take.\n' +
        'Every member whose turns move is told by a direct message a few minutes later (not with --quiet).\n' +
        examples(
          'team-roles skip support-triager Ben --from 2026-12-20 --to 2027-01-05',
          'team-roles skip support-triager Ben --next',
        ),
    )
    .action(
      async (role: string, member: string, opts: ChangeFlags & { from?: string; to?: string; next?: boolean }) => {
        const range = opts.from !== undefined || opts.to !== undefined;
        if (range && opts.next) throw new UsageError('skip takes either --from/--to dates or --next, not both.');
        if (!range && !opts.next)
          throw new UsageError('skip needs --from DATE --to DATE, or --next for the next turn only.');
        const request: SkipRequest = opts.next
          ? { member, next: true }
          : {
              member,
              ...(opts.from !== undefined ? { from: dateOption(opts.from, '--from') } : {}),
              ...(opts.to !== undefined ? { to: dateOption(opts.to, '--to') } : {}),
            };
        await change(role, 'skip', request, `the skip of ${member}`, opts);
      },
    );

  program
    .command('swap')
    .summary('Two members exchange their next turns')
    .description('Two members exchange their next turns.')
    .argument('<role>', 'role name, e.g. support-triager')
    .argument('<first>', 'Slack display name or ID')
    .argument('<second>', 'Slack display name or ID')
    .option('--quiet', QUIET_HELP)
    .option('--json', 'print the new state as JSON')
    .addHelpText('after', examples('team-roles swap support-triager Chloe Dan'))
    .action(async (role: string, first: string, second: string, opts: ChangeFlags) => {
      await change(role, 'swap', { first, second }, `the swap of ${first} and ${second}`, opts);
    });

  program
    .command('pause')
    .summary('Stop handovers until resumed')
    .description(
      'Stop handovers until resumed (no notices, no calendar top-ups). A notice already out is withdrawn: the ' +
        'standup names who keeps serving. At the resume, members hear how far the pause moved their turns.',
    )
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--quiet', 'tell nobody, at the resume, how far the pause moved their turns')
    .option('--json', 'print the new state as JSON')
    .addHelpText('after', examples('team-roles pause support-triager'))
    .action((role: string, opts: ChangeFlags) => change(role, 'pause', undefined, 'pause', opts));

  program
    .command('resume')
    .summary('Resume handovers')
    .description('Resume handovers after a pause; members hear how far the pause moved their turns.')
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--quiet', 'tell nobody how far the pause moved their turns')
    .option('--json', 'print the new state as JSON')
    .addHelpText('after', examples('team-roles resume support-triager'))
    .action((role: string, opts: ChangeFlags) => change(role, 'resume', undefined, 'resume', opts));

  program
    .command('ack')
    .summary('Acknowledge the coming handover')
    .description(
      'Confirm the notice for the coming handover: as the member it names (--member), or as an operator on their behalf (--on-behalf). Stops the reminder and the escalation.',
    )
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--member <name>', 'the member the notice names (Slack display name or ID)')
    .option('--on-behalf', 'an operator acknowledges for the member the notice names')
    .option('--json', 'print the new state as JSON')
    .addHelpText(
      'after',
      examples('team-roles ack support-triager --member Chloe', 'team-roles ack support-triager --on-behalf'),
    )
    .action(async (role: string, opts: JsonOption & { member?: string; onBehalf?: boolean }) => {
      if (!opts.member && !opts.onBehalf) {
        throw new UsageError('ack needs --member NAME (the member the notice names) or --on-behalf.');
      }
      const request = { ...(opts.member ? { member: opts.member } : {}), ...(opts.onBehalf ? { onBehalf: true } : {}) };
      await change(role, 'acknowledge', request, 'the acknowledgement', opts);
    });

  program
    .command('handover-now')
    .summary('Hand over now')
    .description(
      'Hand over now: notify the next member, top up the calendar and rotate. A date already handed over changes nothing.',
    )
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--date <date>', 'hand over for this handover date, YYYY-MM-DD (default: the next pending one)')
    .option('--json', 'print the new state as JSON')
    .addHelpText('after', examples('team-roles handover-now support-triager'))
    .action(async (role: string, opts: JsonOption & { date?: string }) => {
      const request: HandoverNowRequest = opts.date === undefined ? {} : { date: dateOption(opts.date, '--date') };
      await change(role, 'handoverNow', request, 'the handover', opts);
    });

  program
    .command('refresh-members')
    .summary('Read the Slack user group again now')
    .description('Read the Slack user group again now (joins and leaves change only future turns).')
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--json', 'print the new state as JSON')
    .addHelpText('after', examples('team-roles refresh-members support-triager'))
    .action((role: string, opts: JsonOption) => change(role, 'refreshMembers', undefined, 'the member refresh', opts));
}
