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
 * The handover told in Slack (the channel's post and the on-duty group, `announceHandover`) and the on-duty group
 * alone (`syncOnDutyGroup`, at a run's start and after an override): local activities, one marker event each instead
 * of an activity's three, since they are a few quick calls. Every call in them is idempotent (the post is found by
 * its key, the group read before it is changed), so a retry or a worker that died midway repeats nothing. Retried
 * with short pauses (all under the SDK's local retry threshold of a minute, so no timer events), for at most ten
 * minutes: a Slack outage must not hold the rotation; the step then records a warning and the rotation goes on
 * (the next handover sets the group again). Ninety seconds per attempt cover a wait for the worker's Tier 2 budget
 * (up to a minute) and the calls themselves.
 */
export const { announceHandover, syncOnDutyGroup } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '90 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

// Change notices and the corrections of a notice (issue 16): Slack (and Geekbot) calls, each message once by its key.
// They heartbeat while they run, so a worker that died mid-way is noticed in 15 seconds and the retry (which finds
// every message already sent by its key) starts then, not after the two minutes an attempt may take.
export const { sendChangeNotices, withdrawNotice } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '15 seconds',
  scheduleToCloseTimeout: '6 hours',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/**
 * The acknowledgement watch: one long activity from the notice to the answer, the escalation or the handover,
 * checking by heartbeats (no history), tried again from its last heartbeat after a failure, and cancelled without
 * the rotation waiting for it (it learns of it at its next heartbeat, and asks the workflow before each message).
 * With `resultAfterCancel` the rotation still hears how a cancelled watch ended (`WAIT_CANCELLATION_COMPLETED`): one
 * that had found an answer, or sent a message, before it learned of the cancellation returns that rather than being
 * dropped (the rotation goes on meanwhile, see `Acknowledgements.stop`). On the sandbox's fast clock a real minute is
 * a simulated week, so a watch whose worker died is taken up again within seconds there rather than minutes.
 */
export function watchAcknowledgementFor(clock: ClockAnchor | null | undefined, resultAfterCancel = false) {
  const fast = (clock?.scale ?? 1) > 1;
  return proxyActivities<Activities>({
    startToCloseTimeout: '28 days',
    heartbeatTimeout: fast ? '10 seconds' : '2 minutes',
    retry: fast
      ? { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' }
      : { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
    cancellationType: resultAfterCancel
      ? ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
      : ActivityCancellationType.TRY_CANCEL,
  }).watchAcknowledgement;
}
