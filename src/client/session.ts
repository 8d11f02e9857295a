/**
 * What every command that talks to Temporal shares: the connection (settings read like the `temporal` CLI does,
 * through @temporalio/envconfig), the team's role configuration, and the role workflow's handle and state.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { QueryNotRegisteredError, ServiceError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ConfigError, getRole, roleTimeZone, type RoleConfig, type Settings } from '../domain/config';
import { loadSettings } from '../settings';
import { roleWorkflowId, stateQuery, TASK_QUEUE, type RoleStateView } from '../shared';
import { connectClient, temporalSettings, TemporalUnreachableError, type TemporalSettings } from '../temporal';
import { CliError, UsageError } from './errors';
import { explain, notRunning, type FailureContext } from './failures';

/** The team's settings as this machine reads them (shipped defaults, overlaid by TEAM_ROLES_CONFIG). */
export function teamSettings(): Settings {
  try {
    return loadSettings(process.env);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

export interface RoleContext {
  name: string;
  role: RoleConfig;
  timeZone: string;
  settings: Settings;
}

/** A role by name; an unknown one is a usage error listing the known roles. */
export function roleContext(name: string): RoleContext {
  const settings = teamSettings();
  try {
    const role = getRole(settings, name);
    return { name, role, timeZone: roleTimeZone(settings, role), settings };
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

export interface Session {
  client: Client;
  temporal: TemporalSettings;
  /** For messages: address, namespace. */
  context: FailureContext;
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
  try {
    settings = temporalSettings(env);
  } catch (err) {
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
    return await fn({ client, temporal: settings, context });
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
  let pollers: number;
  try {
    const response = await session.client.workflowService.describeTaskQueue({
      namespace: session.temporal.namespace,
      taskQueue: { name: TASK_QUEUE },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    pollers = response.pollers?.length ?? 0;
  } catch {
    return;
  }
  if (pollers === 0) {
    throw new CliError(
      `No team-roles worker is polling task queue ${TASK_QUEUE} at ${session.context.address} (namespace ${session.context.namespace}): start one with \`npm start\` (or \`npm run dev\`) and try again.`,
    );
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
    throw new CliError(
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
export async function readState(session: Session, handle: WorkflowHandle, timeoutMs = 30_000): Promise<RoleStateView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await session.client.withDeadline(Date.now() + ANSWER_TIMEOUT_MS, () => handle.query(stateQuery));
    } catch (err) {
      const starting = err instanceof QueryNotRegisteredError && /starting/.test(err.message);
      if (!starting) throw err;
      if (Date.now() > deadline) {
        throw new CliError(
          `${handle.workflowId} is still starting (reading its configuration and the Slack group) after ${Math.round(timeoutMs / 1000)} s: check the worker's log and the Web UI, then try again.`,
        );
      }
      await sleep(200);
    }
  }
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
