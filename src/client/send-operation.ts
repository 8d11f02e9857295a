/**
 * Sending an operator operation (src/operations.ts) to a role workflow, by name: as a validated update that answers
 * with the new state, or as a signal. The change commands send typed requests; the tests send any request (a
 * malformed one too: the workflow must refuse it) through the untyped forms.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { OPERATIONS, type OperationName, type OperationRequest } from '../operations';
import type { RoleStateView } from '../shared';

/** The operation's update with `request` (none when undefined), whatever it holds. */
export function executeAnyOperation(
  handle: WorkflowHandle,
  name: OperationName,
  request: unknown,
): Promise<RoleStateView> {
  const update = OPERATIONS[name].update.name;
  if (request === undefined) return handle.executeUpdate<RoleStateView, []>(update);
  return handle.executeUpdate<RoleStateView, [unknown]>(update, { args: [request] });
}

/** The operation's signal with `request` (none when undefined), whatever it holds. */
export function signalAnyOperation(handle: WorkflowHandle, name: OperationName, request: unknown): Promise<void> {
  const signal = OPERATIONS[name].signal.name;
  if (request === undefined) return handle.signal(signal);
  return handle.signal<[unknown]>(signal, request);
}

/** Sends the operation as an update and returns the state it answers. */
export const executeOperation: <N extends OperationName>(
  handle: WorkflowHandle,
  name: N,
  request: OperationRequest<N>,
) => Promise<RoleStateView> = executeAnyOperation;

/** Sends the operation as a signal. */
export const signalOperation: <N extends OperationName>(
  handle: WorkflowHandle,
  name: N,
  request: OperationRequest<N>,
) => Promise<void> = signalAnyOperation;
