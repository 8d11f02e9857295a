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
    const due = rotation.due();
    switch (due.step) {
      case 'refresh':
        await steps.refresh();
        break;
      case 'requested-handover':
        await steps.requestedHandover(due.pending);
        break;
      case 'pass-paused-handover':
        steps.passPausedHandover(due.pending);
        break;
      case 'prepare':
        await steps.prepare(due.pending);
        break;
      case 'handover':
        await steps.handover(due.pending.date);
        break;
      case 'rest':
        if (rotation.runIsLong()) {
          const state = await rotation.finishRun();
          await continueAsNew<typeof roleWorkflow>({ role: input.role, mode: rotation.mode, state });
        }
        await rotation.rest(due);
    }
  }
}
