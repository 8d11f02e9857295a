/**
 * How the project starts its workflows: IDs, the `TeamRole` search attribute (so jobs and scheduled runs filter by
 * role too) and the Web UI's summary and details (`staticSummary`, `staticDetails`), so that the Web UI tells what
 * each workflow is without running a query. Used by the CLI, `npm run dev` and the Schedule's action.
 */
import type { SearchAttributePair } from '@temporalio/common';
import type { RoleConfig } from './domain/config';
import { roleWorkflowId, TASK_QUEUE, TeamRoleAttribute, type HandoverMode, type RoleWorkflowInput } from './shared';
import type { JobInput } from './workflows/jobs-shared';

/** What the Web UI shows at the top of a workflow: a one-line summary and Markdown details. */
export interface StartTexts {
  staticSummary: string;
  staticDetails: string;
}

export function teamRoleAttribute(role: string): SearchAttributePair[] {
  return [{ key: TeamRoleAttribute, value: role }];
}

/** `every Wed at 10:00 (Europe/Berlin)` / `on day 1 of each month at 10:00 (UTC)`. */
export function handoverWhen(role: RoleConfig, timeZone: string): string {
  const day =
    role.cadence === 'weekly' ? `every ${role.handoverWeekday}` : `on day ${role.handoverDayOfMonth} of each month`;
  return `${day} at ${role.handoverTime} (${timeZone})`;
}

export function roleWorkflowTexts(name: string, role: RoleConfig, timeZone: string, mode: HandoverMode): StartTexts {
  const unit = role.cadence === 'weekly' ? 'week' : 'month';
  const serving =
    role.slots === 2
      ? `two members overlap (incoming and current), each serving two ${unit}s`
      : `one member serves for a ${unit}`;
  return {
    staticSummary: `${role.title} rotation (${name}): handover ${handoverWhen(role, timeZone)}`,
    staticDetails: [
      `**${role.title}** rotation of the Slack user group \`${role.usergroup}\`: ${serving}.`,
      '',
      `- Handover ${handoverWhen(role, timeZone)}, ${mode === 'schedule' ? 'sent by its Temporal Schedule' : "on the workflow's own timer"}.`,
      `- ${role.prepareLeadHours} hours before, the Geekbot standup \`${role.standup.name}\` (${role.standup.channel}) is pointed at the next member and the calendar is topped up.`,
      '- Who serves now and when: _Current details_, the search attributes, or the queries `state`, `plan` and `config`.',
      '- Changes: the updates `override`, `skip`, `swap`, `pause`, `resume`, `handoverNow`, `refreshMembers` (`team-roles --help`).',
    ].join('\n'),
  };
}

/** The options that start a role's rotation (`team-roles/<role>` on task queue `team-roles`). */
export function roleWorkflowStart(input: RoleWorkflowInput, role: RoleConfig, timeZone: string) {
  return {
    workflowId: roleWorkflowId(input.role),
    taskQueue: TASK_QUEUE,
    args: [input] as [RoleWorkflowInput],
    typedSearchAttributes: teamRoleAttribute(input.role),
    ...roleWorkflowTexts(input.role, role, timeZone, input.mode ?? 'timer'),
  };
}

const JOB_DETAILS =
  'A one-off job started by the `team-roles` CLI. It shows what it would change (query `preview`), waits up to 15 ' +
  'minutes for the update `confirm` (or `cancel`), then reports its progress (query `progress`).';

/** The Web UI texts of a one-off job, from its input alone (the CLI may not know the role's title). */
export function jobTexts(input: JobInput): StartTexts {
  switch (input.kind) {
    case 'list-members':
      return {
        staticSummary: `List the members of the Slack user group ${input.usergroup}`,
        staticDetails: JOB_DETAILS,
      };
    case 'role-settings':
      return {
        staticSummary: `Read the worker's configuration of ${input.role}`,
        staticDetails: 'Asked by the `team-roles` CLI, which keeps no configuration of its own.',
      };
    case 'create-standup':
      return {
        staticSummary: `Point the ${input.role} standup at ${input.incoming.name}${input.buddy ? ` (buddy ${input.buddy.name})` : ''}`,
        staticDetails: JOB_DETAILS,
      };
    case 'create-next-event':
      return { staticSummary: `Create the next ${input.role} calendar event`, staticDetails: JOB_DETAILS };
    case 'create-bulk-events': {
      const count = input.count === undefined ? "a year's worth of" : String(input.count);
      const from = !input.start
        ? 'continuing the series'
        : input.start.after !== undefined
          ? `from ${input.start.date}, after ${input.start.after} (serving now)`
          : `from ${input.start.date}, ${input.start.member} first`;
      return { staticSummary: `Create ${count} ${input.role} calendar events ${from}`, staticDetails: JOB_DETAILS };
    }
    case 'delete-bulk-events':
      return {
        staticSummary: `Delete the ${input.role} calendar events from ${input.from ?? 'today'} on`,
        staticDetails: JOB_DETAILS,
      };
  }
}

/** The role a job works for (every kind but list-members), for its `TeamRole` attribute. */
export function jobRole(input: JobInput): string | undefined {
  return 'role' in input ? input.role : undefined;
}

export function scheduledHandoverTexts(name: string, role: RoleConfig, timeZone: string): StartTexts {
  return {
    staticSummary: `Scheduled ${role.title} handover (${name})`,
    staticDetails:
      `Started by the Schedule \`${roleWorkflowId(name)}/handover\` ${handoverWhen(role, timeZone)}: sends ` +
      `\`handoverNow\` for that handover date to \`${roleWorkflowId(name)}\`. A date already handed over changes nothing.`,
  };
}
