/** Shared set-up for the role workflow tests: one workflow bundle, the sandbox fakes, a worker. */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import * as proto from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { buildActivityDeps } from '../../src/activities/deps';
import { DEFAULT_SETTINGS, parseSettings, type Settings, type SettingsInput } from '../../src/domain/config';
import type { Member } from '../../src/domain/types';
import { stateQuery, type RoleStateView } from '../../src/shared';
import { DEMO_MANAGER, DEMO_TEAM, startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/sandbox';

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

export interface RoleBedOptions {
  /** Members of both shipped groups (default DEMO_TEAM). */
  team?: Member[];
  /** More Slack user groups (e.g. for a test-only role). */
  groups?: Record<string, Member[]>;
  settings?: Partial<SettingsInput>;
  /** Fault injection for the fakes (latency, 429s, 5xx, drops). */
  faults?: SandboxOptions['faults'];
  /** Default: a fresh queue per bed. Schedules need the contract's `team-roles`. */
  taskQueue?: string;
}

export async function roleBed(env: TestWorkflowEnvironment, options: RoleBedOptions = {}): Promise<RoleBed> {
  const settings = testSettings(options.settings);
  const sandbox = await startSandbox({
    groups: {
      'support-triagers': options.team ?? DEMO_TEAM,
      'meeting-facilitators': options.team ?? DEMO_TEAM,
      ...options.groups,
    },
    standupManager: DEMO_MANAGER,
    faults: options.faults,
  });
  // The same path as production: secrets and base URLs from the environment.
  const deps = await buildActivityDeps(sandbox.env, settings);
  const taskQueue = options.taskQueue ?? `test-${randomUUID()}`;
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

/** Polls `probe` until it returns something other than undefined/false; fails with `what` after the deadline. */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 30_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Every run of a workflow ID, oldest first: from the latest run back along continue-as-new. */
export async function runHistories(
  client: Client,
  workflowId: string,
): Promise<{ runId: string; events: HistoryEvent[] }[]> {
  const runs: { runId: string; events: HistoryEvent[] }[] = [];
  let runId: string | null | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events: HistoryEvent[] = history.events ?? [];
    runs.unshift({ runId, events });
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
  }
  return runs;
}

/**
 * Workflow tasks that failed or timed out while running (start-to-close) in any run of the workflow ID, described
 * one a line; those matching `allow` are left out. A task the server itself refused because new messages arrived
 * while the workflow was completing (UNHANDLED_COMMAND, e.g. a signal racing a continue-as-new) is the server's
 * protocol, not a failure of the workflow code, and is always left out.
 */
export async function workflowTaskFailures(
  client: Client,
  workflowId: string,
  { allow }: { allow?: RegExp } = {},
): Promise<string[]> {
  const failures: string[] = [];
  for (const run of await runHistories(client, workflowId)) {
    for (const event of run.events) {
      const where = `run ${run.runId} event ${String(event.eventId)}`;
      const failed = event.workflowTaskFailedEventAttributes;
      if (failed && Number(failed.cause ?? 0) !== UNHANDLED_COMMAND) {
        failures.push(`${where}: failed (cause ${Number(failed.cause ?? 0)}): ${failed.failure?.message}`);
      }
      const timedOut = event.workflowTaskTimedOutEventAttributes;
      if (timedOut && Number(timedOut.timeoutType ?? 0) === START_TO_CLOSE) {
        failures.push(`${where}: timed out (start-to-close)`);
      }
    }
  }
  return allow ? failures.filter((f) => !allow.test(f)) : failures;
}
/** temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND */
const UNHANDLED_COMMAND = 1;
/** temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE */
const START_TO_CLOSE = 1;

/**
 * Starts a Temporal server, again if it missed the SDK's fixed five-second start-up window: only a server the SDK
 * downloads and starts itself has one (startDevServer and startTimeSkippingServer wait two minutes for their own).
 */
export async function startServer(
  start: () => Promise<TestWorkflowEnvironment>,
  attempts = 4,
): Promise<TestWorkflowEnvironment> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= attempts || !/did not start within/.test(String(err))) throw err;
    }
  }
}

/** Where the replay test finds the recorded histories. */
export const HISTORIES_DIR = path.join(__dirname, '..', 'histories');

/**
 * With RECORD_HISTORIES=1, saves a history under test/histories/ for the replay test: the history message as JSON
 * (protobufjs `toJSON`: enums by name, 64-bit numbers and bytes as strings), read back with `loadHistory`.
 * (`historyToJSON`/`historyFromJSON` from @temporalio/common would give the temporal CLI's format, but they fail in
 * this install: @temporalio/common and @temporalio/proto each carry their own copy of protobufjs.)
 */
export function saveHistory(name: string, history: temporal.api.history.v1.IHistory): void {
  if (!process.env.RECORD_HISTORIES) return;
  const message = proto.temporal.api.history.v1.History.fromObject(history);
  writeFileSync(path.join(HISTORIES_DIR, `${name}.json`), `${JSON.stringify(message)}\n`);
}

/** A history saved by `saveHistory`. */
export function loadHistory(name: string): temporal.api.history.v1.History {
  const json: unknown = JSON.parse(readFileSync(path.join(HISTORIES_DIR, `${name}.json`), 'utf8'));
  return proto.temporal.api.history.v1.History.fromObject(json as Record<string, unknown>);
}

/** With RECORD_HISTORIES=1, saves the run's history (see `saveHistory`). */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  saveHistory(name, await handle.fetchHistory());
}
