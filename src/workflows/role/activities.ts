/** The activities the role workflow calls, and how long Temporal keeps trying them (types only from ../activities). */
import { ActivityCancellationType, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createActivities } from '../../activities';
import type { ClockAnchor } from '../../domain/clock';

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

/**
 * The acknowledgement watch: one long activity from the notice to the answer, the escalation or the handover,
 * checking by heartbeats (no history), tried again from its last heartbeat after a failure, and cancelled without
 * waiting for it (it learns of it at its next heartbeat, and asks the workflow before each message). On the
 * sandbox's fast clock a real minute is a simulated week, so a watch whose worker died is taken up again within
 * seconds there rather than minutes.
 */
export function watchAcknowledgementFor(clock: ClockAnchor | null | undefined) {
  const fast = (clock?.scale ?? 1) > 1;
  return proxyActivities<Activities>({
    startToCloseTimeout: '28 days',
    heartbeatTimeout: fast ? '10 seconds' : '2 minutes',
    retry: fast
      ? { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' }
      : { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
    cancellationType: ActivityCancellationType.TRY_CANCEL,
  }).watchAcknowledgement;
}
