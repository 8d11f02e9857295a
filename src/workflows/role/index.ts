/**
 * One long-lived workflow per role (`team-roles/<role>`). The rotation (rotation.ts) holds the state and takes the
 * operator's messages (handlers.ts); the main loop below alone runs the steps (steps.ts) that call Slack, Geekbot and
 * the Calendar, one at a time, in the order due.ts says they are due; between them it rests until the next one.
 */
import { continueAsNew } from '@temporalio/workflow';
import type { RoleWorkflowInput } from '../../shared';
import { registerHandlers } from './handlers';
import { Rotation } from './rotation';
import { Steps } from './steps';

export async function roleWorkflow(input: RoleWorkflowInput): Promise<void> {
  const rotation = new Rotation(input);
  registerHandlers(rotation);
  const steps = new Steps(rotation);
  await steps.startUp();

  for (;;) {
    rotation.acks.reconcile(); // the acknowledgement watch the notice asks for runs beside the loop
    const due = rotation.due();
    rotation.busy = due.step === 'rest' ? null : due.step;
    switch (due.step) {
      case 'refresh': // an operator asked to read the Slack group again
        await steps.refresh();
        break;
      case 'requested-handover': // an operator, or the schedule, asked for a handover
        await steps.requestedHandover(due.pending);
        break;
      case 'sync-on-duty': // the on-duty group is not known to hold who serves: a run's start, an override
        await steps.syncOnDuty();
        break;
      case 'pass-paused-handover': // the handover time came while paused: wait for the next one
        steps.passPausedHandover(due.pending);
        break;
      case 'prepare': // the notice: who comes next is told, the calendar topped up
        await steps.prepare(due.pending);
        break;
      case 'handover': // the handover time came
        await steps.handover(due.pending.date);
        break;
      case 'withdraw-notice': // paused after the notice went out: the standup back to who keeps serving
        await steps.withdrawNotice(due.pending);
        break;
      case 'change-notice': // changes of the plan, quiet for a while: tell the members whose turns moved
        await steps.tellChanges();
        break;
      case 'rest': // nothing is due: after a long run continue as new, else sleep until the next step or a message
        if (rotation.runIsLong()) {
          const state = await rotation.finishRun();
          await continueAsNew<typeof roleWorkflow>({ role: input.role, mode: rotation.mode, state });
        }
        await rotation.rest(due);
    }
  }
}
