/** A role workflow to test: settings, the sandbox fakes, activity dependencies and a worker on a server. */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../src/activities';
import { buildActivityDeps } from '../../src/activities/deps';
import {
  DEFAULT_SETTINGS,
  parseSettings,
  roleTimeZone,
  type RoleConfigInput,
  type Settings,
  type SettingsInput,
} from '../../src/domain/config';
import { initialState } from '../../src/domain/rotation';
import { nextHandoverAfter } from '../../src/domain/schedule';
import type { Member } from '../../src/domain/types';
import { DEMO_MANAGER, DEMO_TEAM, startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/sandbox';
import type { SlackChannelSeed } from '../../src/sandbox/slack';
import { mergeSettings } from '../../src/settings';
import { stateQuery, type RoleStateView, type RoleWorkflowState } from '../../src/shared';
import { TEST_CLOCK_SHIFT_MS } from './clock';
import { workflowBundle } from './servers';
import { waitFor } from './wait';

/** Settings as a TEAM_ROLES_CONFIG file gives them: roles merge field by field, `null` removes one. */
export type SettingsOverlay = Omit<Partial<SettingsInput>, 'roles'> & {
  roles?: Record<string, Partial<RoleConfigInput> | null>;
};

/**
 * The shipped settings with the demo standup manager, overlaid by `overlay` as a TEAM_ROLES_CONFIG file would be
 * (so `{ roles: { 'support-triager': roleTiming(...) } }` changes only that role's timing).
 */
export function testSettings(overlay: SettingsOverlay = {}): Settings {
  return parseSettings(mergeSettings({ ...DEFAULT_SETTINGS, standupManager: DEMO_MANAGER }, overlay));
}

/**
 * The worker's activity dependencies as production builds them from the sandbox's environment, on the test clock.
 * Slack's Tier 2 budget (20 calls a minute, every member lookup and on-duty group change) counts real minutes, while
 * the tests squeeze weeks of handovers into seconds (time skipping, fast clocks): a year of them would wait minutes
 * for a limit no workspace ever sees at that pace. It is lifted here; test/activities/deps.test.ts tests its sharing.
 */
export async function testActivityDeps(sandbox: Sandbox, settings: Settings): Promise<ActivityDeps> {
  return {
    ...(await buildActivityDeps(sandbox.env, settings)),
    testClockShiftMs: TEST_CLOCK_SHIFT_MS,
    limits: { slackTier2PerMinute: 100_000 },
  };
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
  /** Slack channels (the bot invited unless a seed says otherwise), e.g. for a role's `slack.channel`. */
  channels?: SlackChannelSeed[];
  settings?: SettingsOverlay;
  /** Fault injection for the fakes (latency, 429s, 5xx, drops). */
  faults?: SandboxOptions['faults'];
  /** Default: a fresh queue per bed. Schedules need the contract's `team-roles`. */
  taskQueue?: string;
  /** Rotations on the real clock even under TEAM_ROLES_TEST_NOW (for schedules, which fire on the server's). */
  realClock?: boolean;
  /** Members' out-of-office events (default the demo's week for Ella, see `demoOutOfOffice`). */
  outOfOffice?: SandboxOptions['outOfOffice'];
  /**
   * Keep the roles' acknowledgements on (the product's default; dev server only). Off by default in a bed: the
   * watch polls Slack and Geekbot for as long as a notice is pending, which makes every other test slower (a third
   * longer, measured on test/workflow/messages.test.ts) without testing anything of its own there.
   */
  acknowledgements?: boolean;
}

/**
 * Turns the roles' acknowledgements off, for runs on the time-skipping server: the acknowledgement watch is an
 * activity that waits in real time, and that server skips no time while an activity runs, so a year of handovers
 * would wait for real days. Acknowledgements are tested on the dev server (test/workflow/acknowledgement.test.ts).
 */
export function withoutAcknowledgements(settings: Settings): Settings {
  for (const role of Object.values(settings.roles)) role.acknowledgement = { ...role.acknowledgement, enabled: false };
  return settings;
}

export async function roleBed(env: TestWorkflowEnvironment, options: RoleBedOptions = {}): Promise<RoleBed> {
  const settings = testSettings(options.settings);
  if (env.supportsTimeSkipping || !options.acknowledgements) withoutAcknowledgements(settings);
  const sandbox = await startSandbox({
    groups: {
      'support-triagers': options.team ?? DEMO_TEAM,
      'meeting-facilitators': options.team ?? DEMO_TEAM,
      ...options.groups,
    },
    channels: options.channels,
    standupManager: DEMO_MANAGER,
    faults: options.faults,
    outOfOffice: options.outOfOffice,
  });
  // The same path as production: secrets and base URLs from the environment.
  const deps = await testActivityDeps(sandbox, settings);
  if (options.realClock) deps.testClockShiftMs = 0;
  const taskQueue = options.taskQueue ?? `test-${randomUUID()}`;
  const bundle = await workflowBundle();
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
        workflowBundle: bundle,
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

/**
 * A role workflow's starting state (`RoleWorkflowInput.state`) with the demo team, `incoming` and `current`, whose
 * next handover is the first one after `from` rather than the next one by the clock: for a test that keeps the
 * role's shipped timing but needs its notice not yet due (with `from` a week or more ahead).
 */
export function startingStateAt(
  settings: Settings,
  roleName: string,
  seed: { incoming: string; current: string },
  from: Date,
): RoleWorkflowState {
  const role = settings.roles[roleName];
  if (!role) throw new Error(`no role ${roleName}`);
  const seeded = { incoming: byName(seed.incoming), current: byName(seed.current) };
  return {
    rotation: initialState(roleName, role.slots, DEMO_TEAM, seeded),
    standupId: null,
    prepared: null,
    nextHandoverAt: nextHandoverAfter(role, roleTimeZone(settings, role), from).toISOString(),
    warnings: [],
    lastError: null,
    handoversDone: 0,
  };
}

/**
 * The `state` query once it answers: retried while the workflow is starting (it answers NotReady until then), a
 * new run after continue-as-new has not started yet, or no worker polls yet.
 */
export function stateOf(handle: WorkflowHandle, timeoutMs = 120_000): Promise<RoleStateView> {
  return waitFor('the state query', () => handle.query(stateQuery), { timeoutMs, intervalMs: 100 });
}
