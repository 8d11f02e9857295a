// A test-only workflow that proves the plumbing: durable timers on the servers we run.
import { sleep, workflowInfo } from '@temporalio/workflow';

export async function sleeper(days: number): Promise<{ sleptDays: number; workflowId: string }> {
  await sleep(`${days} days`);
  return { sleptDays: days, workflowId: workflowInfo().workflowId };
}
