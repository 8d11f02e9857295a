/**
 * What a role is, as the CLI learns it. The worker holds the team's configuration, so the CLI asks Temporal: a running
 * rotation answers its `config` query (the configuration that run uses), and for a role that is not running the
 * worker answers a `role-settings` job. An operator's machine needs no configuration file for any of this; this
 * machine's configuration (TEAM_ROLES_CONFIG over the shipped defaults) is used by `plan`, and when no worker can be
 * asked (building a Schedule with the worker down).
 */
import type { WorkflowHandle } from '@temporalio/client';
import { ConfigError, getRole, roleTimeZone, type RoleConfig, type Settings } from '../domain/config';
import { loadSettings } from '../settings';
import { configQuery, roleWorkflowId, type RoleRuntimeConfig, type RoleStateView } from '../shared';
import type { JobResult } from '../workflows/jobs-shared';
import { UsageError } from './errors';
import { NotRunningError } from './failures';
import { runJob } from './jobs';
import { warn } from './output';
import {
  isRunning,
  isStarting,
  queryWhenReady,
  requireWorker,
  runningRole,
  stateIfRunning,
  workerPolling,
  type Session,
} from './session';

type RoleSettingsResult = Extract<JobResult, { kind: 'role-settings' }>;

/** Where the CLI found a role's configuration. */
export type ConfigSource = 'rotation' | 'worker' | 'local';

export interface RoleContext {
  name: string;
  config: RoleRuntimeConfig;
  role: RoleConfig;
  timeZone: string;
  source: ConfigSource;
}

function contextOf(name: string, config: RoleRuntimeConfig, source: ConfigSource): RoleContext {
  return { name, config, role: config.role, timeZone: config.timeZone, source };
}

/** The team's settings as this machine reads them (shipped defaults, overlaid by TEAM_ROLES_CONFIG). */
export function teamSettings(): Settings {
  try {
    return loadSettings(process.env);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

/** A role as this machine's configuration has it; an unknown one is a usage error listing the known roles. */
export function localRoleContext(name: string, settings: Settings = teamSettings()): RoleContext {
  try {
    const role = getRole(settings, name);
    return contextOf(
      name,
      {
        role,
        timeZone: roleTimeZone(settings, role),
        historyLimit: settings.historyLimit,
        handoversPerRun: settings.handoversPerRun,
        calendarHorizonMonths: settings.calendarHorizonMonths,
        timeScale: settings.timeScale,
        standupManager: settings.standupManager,
      },
      'local',
    );
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

/** The running rotation's handle (checked as `runningRole` does) and the configuration it runs with. */
export async function runningRotation(
  session: Session,
  name: string,
): Promise<{ handle: WorkflowHandle; ctx: RoleContext }> {
  const handle = await requireRunning(session, name);
  return { handle, ctx: await rotationContext(session, handle, name) };
}

/**
 * The running rotation's handle. When it is not running, a role the worker does not know is a usage error naming the
 * roles it knows (exit 2), rather than "not running".
 */
export async function requireRunning(session: Session, name: string): Promise<WorkflowHandle> {
  try {
    return await runningRole(session, name);
  } catch (err) {
    if (err instanceof NotRunningError) await requireKnownRole(session, name);
    throw err;
  }
}

/** Throws the worker's "Unknown role" usage error for a role it does not know; no worker to ask: nothing. */
export async function requireKnownRole(session: Session, name: string): Promise<void> {
  if (await workerPolling(session)) await workerRoleContext(session, name);
}

/**
 * The role's configuration from Temporal: the running rotation's, else the worker's. With no worker polling, this
 * machine's, with a warning (only commands that need no worker get that far).
 */
export async function roleOf(session: Session, name: string): Promise<RoleContext> {
  const handle = session.client.workflow.getHandle(roleWorkflowId(name));
  if (await isRunning(session, name)) {
    await requireWorker(session);
    return rotationContext(session, handle, name);
  }
  if (await workerPolling(session)) return workerRoleContext(session, name);
  const ctx = localRoleContext(name);
  warn(`no team-roles worker is polling to ask for ${name}'s configuration: using this machine's (TEAM_ROLES_CONFIG).`);
  return ctx;
}

async function rotationContext(session: Session, handle: WorkflowHandle, name: string): Promise<RoleContext> {
  try {
    return contextOf(name, await queryWhenReady(session, handle, configQuery), 'rotation');
  } catch (err) {
    // A run started by a worker from before the `config` query: the worker's configuration is what it would use next.
    if (isQueryMissing(err)) return workerRoleContext(session, name);
    throw err;
  }
}

/** The worker's configuration of the role, through a short `role-settings` job. */
export async function workerRoleContext(session: Session, name: string): Promise<RoleContext> {
  // Typed as possibly missing: a worker from before the role-settings job ends the job without a result.
  const result: RoleSettingsResult | undefined = await runJob(
    session,
    { kind: 'role-settings', role: name },
    name,
    null,
  );
  if (!result) {
    // A worker from before the role-settings job answers nothing: this machine's configuration is all there is.
    warn(`the team-roles worker is older than this CLI and cannot say ${name}'s configuration: using this machine's.`);
    return localRoleContext(name);
  }
  if (!result.config) throw new UsageError(result.error ?? `The worker has no configuration for ${name}.`);
  return contextOf(name, result.config, 'worker');
}

function isQueryMissing(err: unknown): boolean {
  return (
    !isStarting(err) && err instanceof Error && err.name === 'QueryNotRegisteredError' && /config/.test(err.message)
  );
}

/** The rotation's state and configuration when it is running, else null. */
export async function rotationIfRunning(
  session: Session,
  name: string,
): Promise<{ state: RoleStateView; ctx: RoleContext } | null> {
  const state = await stateIfRunning(session, name);
  if (!state) return null;
  const handle = session.client.workflow.getHandle(roleWorkflowId(name));
  return { state, ctx: await rotationContext(session, handle, name) };
}
