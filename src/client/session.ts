/**
 * What every command that talks to Temporal shares: the connection (settings read like the `temporal` CLI does,
 * through @temporalio/envconfig, with the CLI's --address, --namespace, --profile and --env over them), and the role
 * workflow's handle and state. What a role is (its configuration) comes from Temporal too: see ./roles.
 */
import type { Client, QueryDefinition, WorkflowHandle } from '@temporalio/client';
import { QueryNotRegisteredError, ServiceError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { roleWorkflowId, stateQuery, TASK_QUEUE, TeamRoleAttribute, type RoleStateView } from '../shared';
import { connectClient, temporalSettings, TemporalUnreachableError, type TemporalSettings } from '../temporal';
import { connectionEnv, type ConnectionFlags } from './connection';
import { CliError, UsageError } from './errors';
import { explain, notRunning, NotRunningError, type FailureContext } from './failures';
import { inWebUi, webUiOf, type WebUi } from './webui';

/** The global connection flags (--address, --namespace, --profile, --env, --env-file), set once by the program. */
let connectionFlags: ConnectionFlags = {};
export function useConnectionFlags(flags: ConnectionFlags): void {
  connectionFlags = flags;
}

export interface Session {
  client: Client;
  temporal: TemporalSettings;
  /** For messages: address, namespace. */
  context: FailureContext;
  /** The Web UI's address when known (TEMPORAL_UI_URL, Temporal Cloud, or the dev server's default): see ./webui. */
  webUi: WebUi | null;
}

/**
 * Connects, runs `fn`, closes. Every error leaving `fn` is explained in one sentence (see ./failures); `role`
 * names the rotation the command talks to, for "not running" messages.
 */
export async function withSession<T>(
  fn: (session: Session) => Promise<T>,
  role?: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<T> {
  let settings: TemporalSettings;
  let resolved: NodeJS.ProcessEnv;
  try {
    resolved = connectionEnv(env, connectionFlags);
    settings = temporalSettings(resolved);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new UsageError(`Cannot read the Temporal connection settings: ${(err as Error).message}`);
  }
  const context: FailureContext = {
    role,
    address: settings.address,
    namespace: settings.namespace,
    waitedFor: role ? `the ${role} rotation` : undefined,
  };
  let client: Client;
  try {
    client = await connectClient(settings);
  } catch (err) {
    if (err instanceof TemporalUnreachableError) throw new CliError(err.message);
    throw explain(err, context);
  }
  try {
    return await fn({ client, temporal: settings, context, webUi: webUiOf(resolved, settings) });
  } catch (err) {
    throw explain(err, context);
  } finally {
    await client.connection.close();
  }
}

/**
 * Fails at once (instead of waiting forever) when no worker has polled the task queue lately. A server that
 * cannot tell (an error) is given the benefit of the doubt.
 */
export async function requireWorker(session: Session): Promise<void> {
  if (await workerPolling(session)) return;
  throw new CliError(
    `No team-roles worker is polling task queue ${TASK_QUEUE} at ${session.context.address} (namespace ${session.context.namespace}): start one with \`npm start\` (or \`npm run dev\`) and try again.`,
  );
}

/** Whether a worker has polled the task queue lately; true when the server cannot tell. */
export async function workerPolling(session: Session): Promise<boolean> {
  try {
    const response = await session.client.workflowService.describeTaskQueue({
      namespace: session.temporal.namespace,
      taskQueue: { name: TASK_QUEUE },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    return (response.pollers?.length ?? 0) > 0;
  } catch {
    return true;
  }
}

/** The role workflow's handle, after checking that it is running and that a worker can answer it. */
export async function runningRole(session: Session, role: string): Promise<WorkflowHandle> {
  const handle = session.client.workflow.getHandle(roleWorkflowId(role));
  let status: string;
  try {
    status = (await handle.describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw notRunning(role);
    throw err;
  }
  if (status !== 'RUNNING') {
    throw new NotRunningError(
      role,
      `The ${role} rotation is not running (its last run is ${status.toLowerCase().replace(/_/g, ' ')}): start it with \`team-roles start ${role}\`.`,
    );
  }
  await requireWorker(session);
  return handle;
}

/** Whether the role workflow is running, without failing when it is not. */
export async function isRunning(session: Session, role: string): Promise<boolean> {
  try {
    const description = await session.client.workflow.getHandle(roleWorkflowId(role)).describe();
    return description.status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** The role's state when its rotation is running, else null. */
export async function stateIfRunning(session: Session, role: string): Promise<RoleStateView | null> {
  if (!(await isRunning(session, role))) return null;
  await requireWorker(session);
  return readState(session, session.client.workflow.getHandle(roleWorkflowId(role)));
}

/** How long the CLI waits for a query or update answer before saying the worker may be down. */
export const ANSWER_TIMEOUT_MS = 120_000;

/** The `state` query, waiting through the few moments a starting rotation answers "NotReady". */
export function readState(session: Session, handle: WorkflowHandle, timeoutMs = 30_000): Promise<RoleStateView> {
  return queryWhenReady(session, handle, stateQuery, timeoutMs);
}

/** A query of the role workflow, asked again while the rotation is starting (it answers "NotReady" then). */
export async function queryWhenReady<T>(
  session: Session,
  handle: WorkflowHandle,
  query: QueryDefinition<T, []>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await session.client.withDeadline(Date.now() + ANSWER_TIMEOUT_MS, () => handle.query(query));
    } catch (err) {
      if (!isStarting(err)) throw err;
      if (Date.now() > deadline) {
        throw new CliError(
          `${handle.workflowId} is still starting (reading its configuration and the Slack group) after ${Math.round(timeoutMs / 1000)} s: check the worker's log and the workflow ${inWebUi(session.webUi, (ui) => ui.workflow(handle.workflowId))}, then try again.`,
        );
      }
      await sleep(200);
    }
  }
}

/** The rotation's "NotReady" answer while it reads its configuration and the Slack group. */
export function isStarting(err: unknown): boolean {
  return err instanceof QueryNotRegisteredError && /starting/.test(err.message);
}

/**
 * The roles whose rotation is running, found by the `TeamRole` search attribute of the running role workflows (so a
 * role defined only in the worker's configuration is found too). Sorted by name.
 */
export async function runningRoles(session: Session): Promise<string[]> {
  const roles = new Set<string>();
  const query = "WorkflowType = 'roleWorkflow' AND ExecutionStatus = 'Running'";
  for await (const workflow of session.client.workflow.list({ query })) {
    const role =
      workflow.typedSearchAttributes.get(TeamRoleAttribute) ?? workflow.workflowId.replace(/^team-roles\//, '');
    // Only the rotations themselves (`team-roles/<role>`), not test runs or other workflows of that type.
    if (workflow.workflowId === roleWorkflowId(role)) roles.add(role);
  }
  return [...roles].sort();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Whether the server refused an update because the run it reached was ending (continue-as-new, or a workflow task
 * that failed and is being retried). The update was not applied, so it may be sent again to the rotation's new run.
 */
const GRPC_NOT_FOUND = 5;
const GRPC_FAILED_PRECONDITION = 9;

export function isRunEndingRefusal(err: unknown): boolean {
  if (!(err instanceof ServiceError)) return false;
  const cause = err.cause as { code?: number; details?: string } | undefined;
  const text = `${err.message} ${cause?.details ?? ''}`;
  return (
    (cause?.code === GRPC_FAILED_PRECONDITION || cause?.code === GRPC_NOT_FOUND) &&
    /continued as new|already completed|closing|workflow task failure|not found/i.test(text)
  );
}

/** Sends an update, again while the run it reaches is ending (for up to `windowMs`): the latest run takes it. */
export async function sendUpdate<T>(send: () => Promise<T>, windowMs = 10_000, pauseMs = 200): Promise<T> {
  const deadline = Date.now() + windowMs;
  for (;;) {
    try {
      return await send();
    } catch (err) {
      if (!isRunEndingRefusal(err) || Date.now() > deadline) throw err;
      await sleep(pauseMs);
    }
  }
}
