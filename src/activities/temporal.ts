import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { handoverNowSignal, roleWorkflowId, TASK_QUEUE, type RoleWorkflowInput } from '../shared';

/** Activities that talk to Temporal itself (the schedule's handover delivery). */
export function createTemporalService({ temporalClient: getClient }: { temporalClient?: () => Client }) {
  return {
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
