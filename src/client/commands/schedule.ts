/**
 * `team-roles schedule create|describe|pause|unpause|trigger|delete <role>`: the role's Temporal Schedule, which
 * sends `handoverNow` at each handover instant (for rotations started with `--mode schedule`). Only `create` needs the
 * role's configuration (from the worker); the others read the Schedule itself.
 */
import type { Command } from 'commander';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type CalendarSpecDescription,
  type ScheduleDescription,
} from '@temporalio/client';
import { handoverScheduleId, handoverScheduleOptions } from '../../schedules/spec';
import { CliError } from '../errors';
import { ask, requireAnswerable, type ConfirmOptions } from '../jobs';
import { fields, instantText, out, printJson, warn } from '../output';
import { requireKnownRole, roleOf } from '../roles';
import { stateIfRunning, withSession, type Session } from '../session';
import { webUiSuffix } from '../webui';
import { examples, type JsonOption } from './common';

const JSON_HELP = 'print the schedule as JSON (as `schedule describe --json`)';

export function registerScheduleCommands(program: Command): void {
  const schedule = program
    .command('schedule')
    .summary("Manage a role's handover Schedule")
    .description("Manage a role's handover Schedule (a Temporal Schedule that sends handoverNow at each handover).")
    .addHelpText(
      'after',
      examples('team-roles schedule create support-triager', 'team-roles schedule describe support-triager'),
    );

  schedule
    .command('create')
    .description(
      "Create the role's handover Schedule from the worker's configuration of the role (day, time and time zone).",
    )
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--json', 'print { created, ...schedule } as JSON')
    .addHelpText('after', examples('team-roles schedule create support-triager'))
    .action(async (roleName: string, opts: JsonOption) => {
      await withSession(async (session) => {
        const ctx = await roleOf(session, roleName);
        let created = true;
        try {
          await session.client.schedule.create(handoverScheduleOptions(roleName, ctx.role, ctx.timeZone));
        } catch (err) {
          if (!(err instanceof ScheduleAlreadyRunning)) throw err;
          created = false;
        }
        const description = await describe(session, roleName);
        if (opts.json) return printJson({ created, ...describeJson(description) });
        out(
          created
            ? `Created schedule ${description.scheduleId}${where(session, roleName)}.`
            : `Schedule ${description.scheduleId} already exists: nothing was created.`,
        );
        out(describeText(description));
        const state = await stateIfRunning(session, roleName);
        if (state?.mode === 'timer') {
          warn(
            `the ${roleName} rotation hands over on its own timer (mode timer), so the schedule's handovers repeat them harmlessly; a rotation started with --mode schedule leaves handovers to the schedule alone.`,
          );
        }
      });
    });

  schedule
    .command('describe')
    .description('Show the Schedule: when it fires, paused or not, its next handover times and recent runs.')
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--json', 'print the schedule as JSON')
    .addHelpText('after', examples('team-roles schedule describe support-triager --json'))
    .action(async (roleName: string, opts: JsonOption) => {
      await withSession(async (session) => {
        const description = await describe(session, roleName);
        if (opts.json) printJson(describeJson(description));
        else out(describeText(description));
      });
    });

  schedule
    .command('pause')
    .summary('Stop handovers until resumed')
    .description('Pause the Schedule: no handovers are sent until it is unpaused.')
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--note <text>', 'why (shown in the Web UI)', 'paused with team-roles')
    .option('--json', JSON_HELP)
    .addHelpText('after', examples('team-roles schedule pause support-triager --note "team offsite"'))
    .action(async (roleName: string, opts: JsonOption & { note: string }) => {
      await withSession(async (session) => {
        await act(session, roleName, (handle) => handle.pause(opts.note));
        await report(session, roleName, opts, `Paused schedule ${handoverScheduleId(roleName)}.`);
      });
    });

  schedule
    .command('unpause')
    .description('Unpause the Schedule.')
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--note <text>', 'why (shown in the Web UI)', 'unpaused with team-roles')
    .option('--json', JSON_HELP)
    .addHelpText('after', examples('team-roles schedule unpause support-triager'))
    .action(async (roleName: string, opts: JsonOption & { note: string }) => {
      await withSession(async (session) => {
        await act(session, roleName, (handle) => handle.unpause(opts.note));
        await report(session, roleName, opts, `Unpaused schedule ${handoverScheduleId(roleName)}.`);
      });
    });

  schedule
    .command('trigger')
    .description(
      "Run the Schedule's action now: a handover for today's date (a date already handed over changes nothing).",
    )
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--json', JSON_HELP)
    .addHelpText('after', examples('team-roles schedule trigger support-triager'))
    .action(async (roleName: string, opts: JsonOption) => {
      await withSession(async (session) => {
        await act(session, roleName, (handle) => handle.trigger());
        await report(
          session,
          roleName,
          opts,
          `Triggered schedule ${handoverScheduleId(roleName)}: its handover runs now${where(session, roleName)}.`,
        );
      });
    });

  schedule
    .command('delete')
    .description('Delete the Schedule (the rotation itself keeps running). Asks first.')
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--yes', 'delete without asking')
    .option('--json', 'print { scheduleId, deleted } as JSON')
    .addHelpText(
      'after',
      '\nAsks before deleting (default no); without a terminal on stdin it needs --yes.\n' +
        examples('team-roles schedule delete support-triager', 'team-roles schedule delete support-triager --yes'),
    )
    .action(async (roleName: string, opts: ConfirmOptions) => {
      requireAnswerable('schedule delete', { yes: opts.yes }, false);
      await withSession(async (session) => {
        const scheduleId = handoverScheduleId(roleName);
        const description = await describe(session, roleName);
        if (!opts.yes) {
          if (!opts.json) out(describeText(description));
          if (!(await ask(`Delete the schedule ${scheduleId}?`, 'nothing was deleted'))) {
            if (opts.json) return printJson({ scheduleId, deleted: false });
            return out('Nothing was deleted.');
          }
        }
        await act(session, roleName, (handle) => handle.delete());
        if (opts.json) return printJson({ scheduleId, deleted: true });
        out(`Deleted schedule ${scheduleId}.`);
      });
    });
}

type ScheduleHandle = ReturnType<Session['client']['schedule']['getHandle']>;

/** Runs `fn` on the role's schedule; a missing schedule is explained by `missing`. */
async function act<T>(session: Session, roleName: string, fn: (handle: ScheduleHandle) => Promise<T>): Promise<T> {
  try {
    return await fn(session.client.schedule.getHandle(handoverScheduleId(roleName)));
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw await missing(session, roleName);
    throw err;
  }
}

/** "There is no schedule", unless the worker does not know the role at all (then that usage error). */
async function missing(session: Session, roleName: string): Promise<CliError> {
  await requireKnownRole(session, roleName);
  return new CliError(
    `There is no handover schedule for ${roleName} (${handoverScheduleId(roleName)}): create it with \`team-roles schedule create ${roleName}\`.`,
  );
}

function describe(session: Session, roleName: string): Promise<ScheduleDescription> {
  return act(session, roleName, (handle) => handle.describe());
}

/** After a change: the schedule as `describe --json` prints it, or one sentence. */
async function report(session: Session, roleName: string, opts: JsonOption, sentence: string): Promise<void> {
  if (opts.json) return printJson(describeJson(await describe(session, roleName)));
  out(sentence);
}

function where(session: Session, roleName: string): string {
  return webUiSuffix(session.webUi, (ui) => ui.schedule(handoverScheduleId(roleName)));
}

function describeJson(d: ScheduleDescription) {
  return {
    scheduleId: d.scheduleId,
    paused: d.state.paused,
    note: d.state.note ?? null,
    calendars: d.spec.calendars ?? [],
    timeZone: d.spec.timezone ?? null,
    nextActionTimes: d.info.nextActionTimes.map((t) => t.toISOString()),
    recentActions: d.info.recentActions.map((a) => ({
      scheduledAt: a.scheduledAt.toISOString(),
      takenAt: a.takenAt.toISOString(),
      workflowId: a.action.workflow.workflowId,
    })),
  };
}

function describeText(d: ScheduleDescription): string {
  const timeZone = d.spec.timezone ?? 'UTC';
  const next = d.info.nextActionTimes.slice(0, 5).map((t) => instantText(t.toISOString(), timeZone));
  const recent = d.info.recentActions
    .slice(-3)
    .map((a) => `${instantText(a.takenAt.toISOString(), timeZone)} ${a.action.workflow.workflowId}`);
  return fields([
    ['Schedule', d.scheduleId],
    ['Fires', d.spec.calendars?.map((calendar) => firesText(calendar, timeZone)).join('\n') || '-'],
    ['Paused', d.state.paused ? `yes${d.state.note ? ` (${d.state.note})` : ''}` : 'no'],
    ['Next handovers', next.join('\n') || '-'],
    ['Recent runs', recent.join('\n') || '-'],
  ]);
}

/** `every Wed at 10:00 (Europe/Berlin)`, read from the schedule's own calendar spec. */
function firesText(calendar: CalendarSpecDescription, timeZone: string): string {
  const single = <T>(ranges: { start: T; end?: T }[]): T | undefined =>
    ranges.length === 1 && (ranges[0]!.end === undefined || ranges[0]!.end === ranges[0]!.start)
      ? ranges[0]!.start
      : undefined;
  const weekday = single(calendar.dayOfWeek);
  const dayOfMonth = single(calendar.dayOfMonth);
  const day = weekday
    ? `every ${weekday.charAt(0)}${weekday.slice(1, 3).toLowerCase()}`
    : dayOfMonth !== undefined
      ? `on day ${dayOfMonth} of each month`
      : 'on several days';
  const two = (n: number | undefined) => String(n ?? 0).padStart(2, '0');
  return `${day} at ${two(single(calendar.hour))}:${two(single(calendar.minute))} (${timeZone})`;
}
