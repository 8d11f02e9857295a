/**
 * Talking to the workflow: every message is sent by looking its operation up in the operations table
 * (src/client/send-operation.ts), as an update (whose refusal must carry its reason) or as a signal.
 */
import assert from 'node:assert/strict';
import { ServiceError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { executeAnyOperation, signalAnyOperation } from '../../../src/client/send-operation';
import { stateQuery, type RoleStateView } from '../../../src/shared';
import { sleep } from '../../support';
import type { Message } from './commands';
import { requestOf, type Outcome } from './oracle';

/** A message that never comes back means a workflow task that keeps failing. */
const MESSAGE_TIMEOUT_MS = 60_000;

/** Updates sent again because they reached a run in the very task that continued it as new. */
export const retriedUpdates = { count: 0 };

export function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not complete in ${MESSAGE_TIMEOUT_MS} ms`)),
      MESSAGE_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Sends an update (`date`: a handoverNow's, resolved); a rejection must be an update failure carrying the reason. */
export async function sendUpdate(handle: WorkflowHandle, message: Message, date: string | undefined): Promise<Outcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      const view = await withTimeout(
        executeAnyOperation(handle, message.op, requestOf(message, date)),
        `the ${message.op} update`,
      );
      return { ok: true, view };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const reason = err.cause?.message ?? '';
        assert.ok(reason.length > 0, `a rejected ${message.op} update gives its reason`);
        return { ok: false, message: reason };
      }
      // An update that reaches a run in the very workflow task that continues it as new is refused by the server
      // (nothing of it was applied); a client sends it again, and it reaches the new run.
      if (attempt < 20 && isRetryableUpdateError(err)) {
        retriedUpdates.count += 1;
        await sleep(50);
        continue;
      }
      throw err;
    }
  }
}

export function sendSignal(handle: WorkflowHandle, message: Message, date: string | undefined): Promise<void> {
  return signalAnyOperation(handle, message.op, requestOf(message, date));
}

/** The state query, with a timeout. */
export function queryState(handle: WorkflowHandle): Promise<RoleStateView> {
  return withTimeout(handle.query(stateQuery), 'the state query');
}

function isRetryableUpdateError(err: unknown): boolean {
  const cause = (err as { cause?: { code?: number; details?: string } }).cause;
  const text = `${(err as Error).message} ${cause?.details ?? ''}`;
  return (
    err instanceof ServiceError &&
    (cause?.code === 9 /* FAILED_PRECONDITION */ || cause?.code === 5) /* NOT_FOUND */ &&
    /workflow task failure|continued as new|already completed|closing|not found/i.test(text)
  );
}
