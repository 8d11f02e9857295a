/**
 * `team-roles schedule create|describe|pause|unpause|trigger|delete <role>`: the role's Temporal Schedule, which
 * sends `handoverNow` at each handover instant (for rotations started with `--mode schedule`).
 */
import type { Command } from 'commander';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type ScheduleDescription } from '@temporalio/client';
import { handoverScheduleId, handoverScheduleOptions } from '../../schedules/spec';
import { CliError } from '../errors';
import { fields, instantText, out, printJson, warn } from '../output';
import { roleContext, stateIfRunning, withSession, type RoleContext, type Session } from '../session';
import { examples, type JsonOption } from './common';

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
    .description("Create the role's handover Schedule from its configuration (day, time and time zone).")
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--json', 'print the description as JSON')
    .addHelpText('after', examples('team-roles schedule create support-triager'))
    .action(async (roleName: string, opts: JsonOption) => {
      const ctx = roleContext(roleName);
      await withSession(async (session) => {
        let created = true;
        try {
          await session.client.schedule.create(handoverScheduleOptions(roleName, ctx.role, ctx.timeZone));
        } catch (err) {
          if (!(err instanceof ScheduleAlreadyRunning)) throw err;
          created = false;
        }
        const description = await describe(session, ctx);
        if (opts.json) return printJson({ created, ...describeJson(description) });
        out(
          created
            ? `Created schedule ${description.scheduleId}.`
            : `Schedule ${description.scheduleId} already exists: nothing was created.`,
        );
        out(describeText(ctx, description));
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
    .option('--json', 'print the description as JSON')
    .addHelpText('after', examples('team-roles schedule describe support-triager --json'))
    .action(async (roleName: string, opts: JsonOption) => {
      const ctx = roleContext(roleName);
      await withSession(async (session) => {
        const description = await describe(session, ctx);
        if (opts.json) printJson(describeJson(description));
        else out(describeText(ctx, description));
      });
    });

  schedule
    .command('pause')
    .summary('Stop handovers until resumed')
    .description('Pause the Schedule: no handovers are sent until it is unpaused.')
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--note <text>', 'why (shown in the Web UI)', 'paused with team-roles')
    .addHelpText('after', examples('team-roles schedule pause support-triager --note "team offsite"'))
    .action(async (roleName: string, opts: { note: string }) => {
      const ctx = roleContext(roleName);
      await withSession(async (session) => {
        await handleOf(session, ctx).pause(opts.note);
        out(`Paused schedule ${handoverScheduleId(roleName)}.`);
      });
    });

  schedule
    .command('unpause')
    .description('Unpause the Schedule.')
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--note <text>', 'why (shown in the Web UI)', 'unpaused with team-roles')
    .addHelpText('after', examples('team-roles schedule unpause support-triager'))
    .action(async (roleName: string, opts: { note: string }) => {
      const ctx = roleContext(roleName);
      await withSession(async (session) => {
        await handleOf(session, ctx).unpause(opts.note);
        out(`Unpaused schedule ${handoverScheduleId(roleName)}.`);
      });
    });

  schedule
    .command('trigger')
    .description(
      "Run the Schedule's action now: a handover for today's date (a date already handed over changes nothing).",
    )
    .argument('<role>', 'role name, e.g. support-triager')
    .addHelpText('after', examples('team-roles schedule trigger support-triager'))
    .action(async (roleName: string) => {
      const ctx = roleContext(roleName);
      await withSession(async (session) => {
        await handleOf(session, ctx).trigger();
        out(`Triggered schedule ${handoverScheduleId(roleName)}: its handover runs now.`);
      });
    });

  schedule
    .command('delete')
    .description('Delete the Schedule (the rotation itself keeps running).')
    .argument('<role>', 'role name, e.g. support-triager')
    .addHelpText('after', examples('team-roles schedule delete support-triager'))
    .action(async (roleName: string) => {
      const ctx = roleContext(roleName);
      await withSession(async (session) => {
        await handleOf(session, ctx).delete();
        out(`Deleted schedule ${handoverScheduleId(roleName)}.`);
      });
    });
}

/** The schedule's handle; its calls fail with ScheduleNotFoundError, explained by `missing`. */
function handleOf(session: Session, ctx: RoleContext) {
  const handle = session.client.schedule.getHandle(handoverScheduleId(ctx.name));
  const guard =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args);
      } catch (err) {
        if (err instanceof ScheduleNotFoundError) throw missing(ctx);
        throw err;
      }
    };
  return {
    describe: guard(() => handle.describe()),
    pause: guard((note: string) => handle.pause(note)),
    unpause: guard((note: string) => handle.unpause(note)),
    trigger: guard(() => handle.trigger()),
    delete: guard(() => handle.delete()),
  };
}

function missing(ctx: RoleContext): CliError {
  return new CliError(
    `There is no handover schedule for ${ctx.name} (${handoverScheduleId(ctx.name)}): create it with \`team-roles schedule create ${ctx.name}\`.`,
  );
}

function describe(session: Session, ctx: RoleContext): Promise<ScheduleDescription> {
  return handleOf(session, ctx).describe();
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

function describeText(ctx: RoleContext, d: ScheduleDescription): string {
  const when =
    ctx.role.cadence === 'weekly'
      ? `every ${ctx.role.handoverWeekday} at ${ctx.role.handoverTime}`
      : `on day ${ctx.role.handoverDayOfMonth} of each month at ${ctx.role.handoverTime}`;
  const next = d.info.nextActionTimes.slice(0, 5).map((t) => instantText(t.toISOString(), ctx.timeZone));
  const recent = d.info.recentActions
    .slice(-3)
    .map((a) => `${a.takenAt.toISOString()} ${a.action.workflow.workflowId}`);
  return fields([
    ['Schedule', d.scheduleId],
    ['Fires', `${when} (${d.spec.timezone ?? ctx.timeZone})`],
    ['Paused', d.state.paused ? `yes${d.state.note ? ` (${d.state.note})` : ''}` : 'no'],
    ['Next handovers', next.join('\n') || '-'],
    ['Recent runs', recent.join('\n') || '-'],
  ]);
}
