import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { rotationWants, type AckAction, type Acknowledgement, type CheckHeld } from '../domain/acknowledgement';
import {
  acknowledgementHeldSignal,
  acknowledgementRemindedSignal,
  handoverNowSignal,
  roleWorkflowId,
  stateQuery,
  TASK_QUEUE,
  type ReminderNotice,
  type RoleWorkflowInput,
} from '../shared';
import type { AckWorkflowLink } from './acknowledgements';
import { activityWorkflowId } from './context';

/** How long the watch waits for its rotation to answer the `state` query before it counts as "could not check". */
const QUERY_TIMEOUT_MS = 15_000;

/** Activities that talk to Temporal itself (the schedule's handover delivery, the watch's line to its rotation). */
export function createTemporalService({ temporalClient: getClient }: { temporalClient?: () => Client }) {
  /** The rotation running the current activity: a watch reads its state and signals it, by workflow ID. */
  function ownRotation() {
    const workflowId = activityWorkflowId();
    if (!getClient || !workflowId) throw new Error('The acknowledgement watch runs outside a rotation.');
    const client = getClient();
    // By ID, not run: after a continue-as-new the new run holds the record (and answers for it).
    return { client, handle: client.workflow.getHandle(workflowId) };
  }

  /** See `AckWorkflowLink`; none without a Temporal client (the watch then returns at the reminder). */
  const ackLink: AckWorkflowLink | undefined = getClient && {
    async confirm(record: Acknowledgement, action: AckAction): Promise<boolean> {
      const { client, handle } = ownRotation();
      const state = await client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(stateQuery));
      return rotationWants(state, record, action);
    },
    async reminded(notice: ReminderNotice): Promise<void> {
      await ownRotation().handle.signal(acknowledgementRemindedSignal, notice);
    },
    async held(notice: CheckHeld): Promise<void> {
      await ownRotation().handle.signal(acknowledgementHeldSignal, notice);
    },
  };

  return {
    ackLink,
    activities: {
      /** `handoverNow` for `date` (default: the next pending handover) to `team-roles/<role>`, starting it in schedule mode when it is not running. */
      async deliverHandover(input: { role: string; date?: string }): Promise<void> {
        if (!getClient)
          throw ApplicationFailure.nonRetryable('This worker has no Temporal client for schedule delivery');
        const workflowInput: RoleWorkflowInput = { role: input.role, mode: 'schedule' };
        await getClient().workflow.signalWithStart('roleWorkflow', {
          workflowId: roleWorkflowId(input.role),
          taskQueue: TASK_QUEUE,
          args: [workflowInput],
          signal: handoverNowSignal,
          signalArgs: [{ date: input.date }],
        });
      },
    },
  };
}
