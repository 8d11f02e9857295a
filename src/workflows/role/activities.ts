/** The activities the role workflow calls, and how long Temporal keeps trying them (types only from ../activities). */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createActivities } from '../../activities';

type Activities = ReturnType<typeof createActivities>;

/** The role's configuration: a local activity, recorded once per run, so a changed file applies at the next run. */
export const { roleSettings } = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds' });

// Outside services: retried with backoff for hours (rate limits, outages); non-retryable failures
// (bad token, unknown group) come back at once and are recorded in the state for operators.
export const { lookupMembers } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '6 hours',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

// The prepare step may take a while (a first year of calendar events, rate limits): it heartbeats its progress.
export const { prepareHandover } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  scheduleToCloseTimeout: '6 hours',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

// Change notices and the corrections of a notice (issue 16): Slack (and Geekbot) calls, each message once by its key.
export const { sendChangeNotices, withdrawNotice } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  scheduleToCloseTimeout: '6 hours',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});
