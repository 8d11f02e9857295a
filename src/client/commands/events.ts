/**
 * The old calendar scripts as jobs on the worker: create-next-event, create-bulk-events and delete-bulk-events.
 * Each shows what it would create or delete as a table, asks (default no), and follows the job's progress.
 */
import type { Command } from 'commander';
import { DateTime } from 'luxon';
import { handoverDateOf } from '../../domain';
import type { RoleStateView } from '../../shared';
import {
  MAX_JOB_TURNS,
  type CreateEventsJob,
  type JobPreview,
  type JobResult,
  type PlannedTurn,
} from '../../workflows/jobs-shared';
import { UsageError } from '../errors';
import { requireAnswerable, runJob, type ConfirmOptions, type JobView } from '../jobs';
import { memberText, table } from '../output';
import { rotationIfRunning, type RoleContext } from '../roles';
import { withSession } from '../session';
import { countOption, dateOption, examples } from './common';

type CreateKind = 'create-next-event' | 'create-bulk-events';
type CreatePreview = Extract<JobPreview, { kind: CreateKind }>;
type CreateResult = Extract<JobResult, { kind: CreateKind }>;

interface BulkOptions extends ConfirmOptions {
  nEvents?: string;
  date?: string;
  teamMember?: string;
  first?: string;
}

const CONFIRM_HELP =
  '\nShows the events as a table and asks before changing anything (default no): --yes skips the question,\n' +
  '--dry-run stops after the table. Event IDs derive from role and date, so running it twice creates nothing twice.\n';

export function registerEventCommands(program: Command): void {
  program
    .command('create-next-event')
    .summary('Create the next calendar event (job)')
    .description("Create the next event of the role's series in the Google Calendar (runs on the worker).")
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--yes', 'go ahead without asking')
    .option('--dry-run', 'only show the event it would create')
    .option('--json', 'print { workflowId, preview, result } as JSON')
    .addHelpText(
      'after',
      '\nThe event follows the last one from today on (member after its member, a cadence later).\n' +
        CONFIRM_HELP +
        examples('team-roles create-next-event support-triager --yes'),
    )
    .action(async (roleName: string, opts: ConfirmOptions) => {
      requireAnswerable('create-next-event', opts);
      await createEvents(roleName, { kind: 'create-next-event', role: roleName }, opts);
    });

  program
    .command('create-bulk-events')
    .summary('Create a series of events (job)')
    .description("Create a series of the role's events in the Google Calendar (runs on the worker).")
    .argument('<role>', 'role name, e.g. support-triager')
    .option('-n, --n-events <n>', "number of events (default a year's worth: 52 weekly, 12 monthly)")
    .option(
      '-d, --date <date>',
      'start from this date, YYYY-MM-DD, moved to the next handover date (needs -m or --first)',
    )
    .option(
      '-m, --team-member <name>',
      'the member serving now, as in the old scripts: the first event goes to the member after them (needs -d)',
    )
    .option('--first <name>', 'the member who takes the first event (needs -d)')
    .option('--yes', 'go ahead without asking')
    .option('--dry-run', 'only show the events it would create')
    .option('--json', 'print { workflowId, preview, result } as JSON')
    .addHelpText(
      'after',
      '\nWithout -d the series continues after the last event from today on; with no such event, after the\n' +
        'running rotation, else from today with the first member. The table names who takes each event.\n' +
        CONFIRM_HELP +
        examples(
          'team-roles create-bulk-events support-triager --dry-run',
          'team-roles create-bulk-events support-triager -d 2027-01-06 -m Sarah     # Sarah serves now: the member after her first',
          'team-roles create-bulk-events support-triager -n 26 -d 2027-01-06 --first Ben --yes',
        ),
    )
    .action(async (roleName: string, opts: BulkOptions) => {
      if (opts.teamMember !== undefined && opts.first !== undefined) {
        throw new UsageError(
          '-m/--team-member (who serves now) and --first (who takes the first event) say the same thing two ways: give one.',
        );
      }
      const member = opts.first ?? opts.teamMember;
      if ((opts.date === undefined) !== (member === undefined)) {
        throw new UsageError(
          '-d/--date and -m/--team-member (or --first) go together: give both, or neither to continue after the last event.',
        );
      }
      const count = opts.nEvents === undefined ? undefined : countOption(opts.nEvents, '--n-events', 1, MAX_JOB_TURNS);
      const date = opts.date === undefined ? undefined : dateOption(opts.date, '--date');
      requireAnswerable('create-bulk-events', opts);
      const start: CreateEventsJob['start'] =
        date === undefined
          ? undefined
          : opts.first !== undefined
            ? { date, member: opts.first }
            : { date, after: opts.teamMember as string };
      const input: CreateEventsJob = {
        kind: 'create-bulk-events',
        role: roleName,
        ...(count !== undefined ? { count } : {}),
        ...(start ? { start } : {}),
      };
      await createEvents(roleName, input, opts);
    });

  program
    .command('delete-bulk-events')
    .summary('Delete events from a date on (job)')
    .description("Delete the role's calendar events that start on or after a date (runs on the worker).")
    .argument('<role>', 'role name, e.g. support-triager')
    .option('-d, --date <date>', 'delete events starting on or after this date, YYYY-MM-DD (default today)')
    .option('--yes', 'go ahead without asking')
    .option('--dry-run', 'only show the events it would delete')
    .option('--json', 'print { workflowId, preview, result } as JSON')
    .addHelpText(
      'after',
      '\nEvents made by the old scripts are recognised by their title and deleted too.\n' +
        CONFIRM_HELP.replace('creates nothing twice', 'deletes nothing twice') +
        examples('team-roles delete-bulk-events support-triager -d 2027-01-01 --dry-run'),
    )
    .action(async (roleName: string, opts: ConfirmOptions & { date?: string }) => {
      const from = opts.date === undefined ? undefined : dateOption(opts.date, '--date');
      requireAnswerable('delete-bulk-events', opts);
      await withSession(async (session) => {
        const running = await rotationIfRunning(session, roleName);
        await runJob(
          session,
          { kind: 'delete-bulk-events', role: roleName, ...(from !== undefined ? { from } : {}) },
          roleName,
          deleteView(roleName, running),
          opts,
        );
      }, roleName);
    });
}

async function createEvents(roleName: string, input: CreateEventsJob, opts: ConfirmOptions): Promise<void> {
  await withSession(async (session) => {
    // The role's configuration comes from its running rotation; without one the job reads the worker's itself.
    const running = await rotationIfRunning(session, roleName);
    // With no events to continue from, the job continues the running rotation (as the old scripts read team-roles.json).
    const job: CreateEventsJob = running ? { ...input, fallback: fallbackFrom(running.ctx, running.state) } : input;
    const view: JobView<CreateKind> = {
      render: (preview) => renderTurns(roleName, preview),
      question: (preview) => `Write ${pendingOf(preview).length} event(s) to the calendar?`,
      summary: (result) => summary(result),
      notes: (preview) => (running ? rewriteNote(running.ctx, preview) : []),
    };
    await runJob(session, job, roleName, view, opts);
  }, roleName);
}

function deleteView(
  roleName: string,
  running: { state: RoleStateView; ctx: RoleContext } | null,
): JobView<'delete-bulk-events'> {
  return {
    render: (preview) => {
      const heading = `${preview.title} events starting on or after ${preview.from} (${roleName})`;
      if (preview.events.length === 0) return `${heading}: none.`;
      const rows = preview.events.map((e, i) => [
        i + 1,
        e.summary,
        e.start,
        e.end,
        e.legacy ? 'old scripts' : 'team-roles',
      ]);
      return (
        `${heading}:\n${table(['#', 'Event', 'Start', 'End (exclusive)', 'Made by'], rows)}` +
        preview.warnings.map((w) => `\nwarning: ${w}`).join('')
      );
    },
    question: (preview) => `Delete these ${preview.events.length} event(s) from the calendar?`,
    summary: (result) => {
      if (result.outcome === 'nothing-to-do') return 'Nothing to delete.';
      if (result.outcome !== 'done') return 'Nothing was changed.';
      return `Deleted ${result.deleted} event(s)${result.alreadyGone ? ` (${result.alreadyGone} were already gone)` : ''}.`;
    },
    // The rotation tops its horizon up again at its next prepare: deleting within it only lasts until then.
    notes: (preview) =>
      running && preview.events.length > 0
        ? [
            `the ${roleName} rotation is running: at its next prepare (${running.state.nextPrepareAt}) it writes the next ${running.ctx.config.calendarHorizonMonths} months of events again.`,
          ]
        : [],
  };
}

function fallbackFrom(ctx: RoleContext, state: RoleStateView): CreateEventsJob['fallback'] {
  return {
    after: ctx.role.slots === 2 ? state.incoming : state.current,
    from: handoverDateOf(ctx.role, ctx.timeZone, new Date(state.nextHandoverAt)),
  };
}

function pendingOf(preview: CreatePreview): PlannedTurn[] {
  return preview.turns.filter((turn) => turn.action !== 'exists');
}

function actionText(turn: PlannedTurn): string {
  if (turn.action === 'exists') return 'already there';
  if (turn.action === 'update') return `replace ${turn.was ?? 'another member'}`;
  return 'create';
}

function renderTurns(roleName: string, preview: CreatePreview): string {
  const rows = preview.turns.map((turn, i) => [i + 1, memberText(turn.member), turn.start, turn.end, actionText(turn)]);
  return (
    `${preview.title} events (${roleName}), ${preview.basis}:\n` +
    table(['#', 'Member', 'Start', 'End (exclusive)', 'Action'], rows) +
    preview.warnings.map((w) => `\nwarning: ${w}`).join('')
  );
}

function summary(result: CreateResult): string {
  if (result.outcome === 'nothing-to-do') {
    return `All ${result.unchanged} event(s) are already in the calendar: nothing to do.`;
  }
  if (result.outcome !== 'done') return 'Nothing was changed.';
  return `Created ${result.created} event(s), updated ${result.repaired}, ${result.unchanged} already there.`;
}

/** The running rotation keeps its horizon of events in line with its own plan: say so if this writes within it. */
function rewriteNote(ctx: RoleContext, preview: CreatePreview): string[] {
  const today = handoverDateOf(ctx.role, ctx.timeZone, new Date());
  const horizon = DateTime.fromISO(today, { zone: 'UTC' })
    .plus({ months: ctx.config.calendarHorizonMonths })
    .toISODate();
  if (!horizon || !pendingOf(preview).some((turn) => turn.start < horizon)) return [];
  return [
    `the ${ctx.name} rotation is running and keeps the calendar's next ${ctx.config.calendarHorizonMonths} months in line with its own plan at each prepare: events written here before ${horizon} that differ from it will be changed back.`,
  ];
}
