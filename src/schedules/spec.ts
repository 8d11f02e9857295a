import type { ScheduleOptions } from '@temporalio/client';
import type { RoleConfig } from '../domain/config';
import { roleWorkflowId, TASK_QUEUE } from '../shared';
import { scheduledHandoverTexts, teamRoleAttribute } from '../starts';
import type { ScheduledHandoverInput } from '../workflows/scheduled-handover';

const DAY_OF_WEEK = {
  Mon: 'MONDAY',
  Tue: 'TUESDAY',
  Wed: 'WEDNESDAY',
  Thu: 'THURSDAY',
  Fri: 'FRIDAY',
  Sat: 'SATURDAY',
  Sun: 'SUNDAY',
} as const;

export function handoverScheduleId(role: string): string {
  return `${roleWorkflowId(role)}/handover`;
}

/** A Schedule whose calendar spec fires at the role's handover instant, in the role's time zone. */
export function handoverScheduleOptions(roleName: string, role: RoleConfig, timeZone: string): ScheduleOptions {
  const [hour, minute] = role.handoverTime.split(':').map(Number) as [number, number];
  const calendar =
    role.cadence === 'weekly'
      ? { dayOfWeek: DAY_OF_WEEK[role.handoverWeekday], hour, minute, comment: `${role.title} handover` }
      : { dayOfMonth: role.handoverDayOfMonth, hour, minute, comment: `${role.title} handover` };
  const args: [ScheduledHandoverInput] = [{ role: roleName }];
  return {
    scheduleId: handoverScheduleId(roleName),
    spec: { calendars: [calendar], timezone: timeZone },
    action: {
      type: 'startWorkflow',
      workflowType: 'scheduledHandover',
      workflowId: `${handoverScheduleId(roleName)}`,
      taskQueue: TASK_QUEUE,
      args,
      // Each run filters by role in the Web UI and says what it is.
      typedSearchAttributes: teamRoleAttribute(roleName),
      ...scheduledHandoverTexts(roleName, role, timeZone),
    },
    // One delivery at a time; a missed one (worker or server down) is still delivered within a day.
    policies: { overlap: 'BUFFER_ONE', catchupWindow: '1 day' },
  };
}
