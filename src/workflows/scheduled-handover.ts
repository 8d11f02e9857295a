/**
 * Started by the role's Temporal Schedule at each handover instant: delivers `handoverNow` for that
 * handover date to the role workflow (signal-with-start, so a missing rotation is started). The role
 * workflow's handover key makes a second delivery for the same date (trigger, backfill) harmless.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { alignToHandoverDate, handoverDateOf } from '../domain/schedule';

type Activities = ReturnType<typeof createActivities>;

/** Set by the Schedule on each run it starts. */
const ScheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

const { roleSettings } = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds' });
const { deliverHandover } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export interface ScheduledHandoverInput {
  role: string;
}

export async function scheduledHandover(input: ScheduledHandoverInput): Promise<{ date: string }> {
  const config = await roleSettings(input.role);
  // The instant this run was scheduled for (also right for a backfill), else the start time.
  const at = workflowInfo().typedSearchAttributes.get(ScheduledStartTime) ?? workflowInfo().startTime;
  const scheduledDate = handoverDateOf(config.role, config.timeZone, at);
  // The schedule fires on handover days; a manual trigger on another day means that week's handover. Either
  // way every trigger of a day names the same date, so the handover key makes a repeat change nothing.
  const date = alignToHandoverDate(config.role, scheduledDate);
  await deliverHandover({ role: input.role, date });
  return { date };
}
