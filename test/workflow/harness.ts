/** Shared set-up for the role workflow tests: one workflow bundle, the sandbox fakes, a worker. */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { buildActivityDeps } from '../../src/activities/deps';
import { DEFAULT_SETTINGS, parseSettings, type Settings, type SettingsInput } from '../../src/domain/config';
import type { Member } from '../../src/domain/types';
import { stateQuery, type RoleStateView } from '../../src/shared';
import { DEMO_MANAGER, DEMO_TEAM, startSandbox, type Sandbox } from '../fakes/sandbox';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The product's workflows, bundled once per test process. */
export function roleWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) },
  });
  return bundle;
}

export function testSettings(overrides: Partial<SettingsInput> = {}): Settings {
  return parseSettings({ ...DEFAULT_SETTINGS, standupManager: DEMO_MANAGER, ...overrides });
}

export interface RoleBed {
  sandbox: Sandbox;
  settings: Settings;
  taskQueue: string;
  /** A fresh workflow ID per test: several tests share one server. */
  workflowId: string;
  worker(): Promise<Worker>;
  close(): Promise<void>;
}

export async function roleBed(
  env: TestWorkflowEnvironment,
  options: { team?: Member[]; settings?: Partial<SettingsInput> } = {},
): Promise<RoleBed> {
  const settings = testSettings(options.settings);
  const sandbox = await startSandbox({
    groups: { 'support-triagers': options.team ?? DEMO_TEAM, 'meeting-facilitators': options.team ?? DEMO_TEAM },
    standupManager: DEMO_MANAGER,
  });
  // The same path as production: secrets and base URLs from the environment.
  const deps = await buildActivityDeps(sandbox.env, settings);
  const taskQueue = `test-${randomUUID()}`;
  const workflowBundle = await roleWorkflowBundle();
  return {
    sandbox,
    settings,
    taskQueue,
    workflowId: `team-roles/support-triager/test-${randomUUID()}`,
    worker: () =>
      Worker.create({
        connection: env.nativeConnection,
        namespace: env.namespace ?? 'default',
        taskQueue,
        workflowBundle,
        activities: createActivities({ ...deps, temporalClient: () => env.client }),
      }),
    close: () => sandbox.close(),
  };
}

/** Members by name, for readable assertions. */
export function byName(name: string): Member {
  const member = [...DEMO_TEAM, DEMO_MANAGER].find((m) => m.name === name);
  if (!member) throw new Error(`no test member ${name}`);
  return member;
}

/** The `state` query once the workflow has finished starting (it answers NotReady until then). */
export async function readyState(handle: WorkflowHandle, timeoutMs = 30_000): Promise<RoleStateView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await handle.query(stateQuery);
    } catch (err) {
      if (Date.now() > deadline || !/starting/.test(String((err as Error).cause ?? err))) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
