/**
 * A bare workflow for calibrating replay (section 5): one timer per workflow task and nothing else, so replaying
 * its history costs what the SDK itself costs for that many workflow tasks.
 */
import { sleep } from '@temporalio/workflow';

export async function bareTimersWorkflow(tasks: number): Promise<number> {
  for (let i = 0; i < tasks; i++) await sleep('1 day');
  return tasks;
}
