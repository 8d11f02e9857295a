/**
 * Operator chaos: thousands of random sequences (fast-check) of signals and updates, valid and invalid, between and
 * during handovers, against a few long-lived role workflows on the dev server.
 *
 * The oracle is the product's own rules (chaos/oracle.ts): a model state is advanced with the operations table's rows
 * and the domain's handover decision, so every update must be accepted or rejected exactly as the model says, with
 * the model's reason, and the workflow's state must equal the model's after every step (chaos/driver.ts). At the end,
 * over every run (the workflows continue as new every 8 handovers): no workflow task failed in the workflow's code,
 * none timed out; the server's own refusals of a completion because messages arrived meanwhile (UnhandledCommand,
 * Temporal's mechanism for them) are counted and reported. An update the server refuses that way is sent again, as a
 * client must. Paused with a notice out (a pause during the notice), the notice is withdrawn: the standup and the
 * channel's notice post name who keeps serving, never the member the notice had named. Every change is told at once
 * (no quiet period): at each quiet moment after a sequence, the plan-change DMs sent since the last one, applied to
 * the plan of then, give the plan of now for every member (chaos/notices.ts). After one settling handover, the
 * calendar and standup agree with the rotation.
 *
 * FAULTS_CHAOS_SEQUENCES (default 2000) sets the number of sequences, spread over FAULTS_CHAOS_ROLES (default 4)
 * workflows; FAULTS_CHAOS_SEED replays a run.
 */
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import fc from 'fast-check';
import { createActivities } from '../../src/activities';
import { buildActivityDeps } from '../../src/activities/deps';
import { DEFAULT_SETTINGS, parseSettings, roleTimeZone, type SettingsInput } from '../../src/domain/config';
import { initialState } from '../../src/domain/rotation';
import { startDevServer } from '../../src/servers/environments';
import { planQuery, TASK_QUEUE } from '../../src/shared';
import type { roleWorkflow } from '../../src/workflows';
import { DEMO_MANAGER, DEMO_TEAM, startSandbox, type Sandbox } from '../../src/sandbox/sandbox';
import { sequence, team } from './chaos/commands';
import { addStats, Chaos, zeroStats } from './chaos/driver';
import { changeDms, noticePost } from './chaos/notices';
import { Oracle, type Model } from './chaos/oracle';
import { retriedUpdates, sendUpdate } from './chaos/transport';
import { checkRole, fakesOf } from './invariants';
import {
  countEvents,
  elapsed,
  EventType,
  runHistories,
  startServer,
  stateOf,
  waitFor,
  withoutAcknowledgements,
  workflowBundle,
  workflowTaskFailures,
} from '../support';
import { captureRuntimeLogs, collectHistories, rememberSecrets } from './support';

/** The role's Slack channel (its notices, handover posts and the operators' summaries of changes). */
const chaosChannel = (n: number) => `C0CHAOS${String(n).padStart(4, '0')}`;
const SEQUENCES = Number(process.env.FAULTS_CHAOS_SEQUENCES ?? 2000);
const ROLES = Number(process.env.FAULTS_CHAOS_ROLES ?? 4);
const SEED = process.env.FAULTS_CHAOS_SEED ? Number(process.env.FAULTS_CHAOS_SEED) : Date.now() % 1_000_000;
const HANDOVERS_PER_RUN = 8;
const HISTORY_LIMIT = 104;
/**
 * The server refuses a workflow task's completion when messages arrived while the task ran and the completion
 * closes the run (continue-as-new) or leaves an update unhandled; the worker runs the task again with them. That is
 * Temporal's own mechanism, recorded as WorkflowTaskFailed with these causes: no error in the workflow's code.
 */
const SERVER_REFUSALS = /: WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_(COMMAND|UPDATE)(:|$)/;

describe('faults: operator chaos, signals and updates between and during handovers (dev server)', function () {
  this.timeout(30 * 60_000);
  let env: TestWorkflowEnvironment;
  let sandbox: Sandbox;
  let worker: Worker;
  const roles = Array.from({ length: ROLES }, (_, i) => `chaos-${i + 1}`);
  const shipped = DEFAULT_SETTINGS.roles['support-triager']!;
  const settingsInput: SettingsInput = {
    ...DEFAULT_SETTINGS,
    standupManager: DEMO_MANAGER,
    handoversPerRun: HANDOVERS_PER_RUN,
    historyLimit: HISTORY_LIMIT,
    // Three months of calendar turns (13) instead of a year: operator changes rewrite every future event at the
    // next handover, and the messages, not the calendar's volume, are what this scenario is about.
    calendarHorizonMonths: 3,
    roles: Object.fromEntries(
      roles.map((role, i) => [
        role,
        {
          ...shipped,
          title: `Chaos Triager ${i + 1}`,
          standup: { ...shipped.standup, name: `ChaosTriager${i + 1}` },
          // The Slack messages on, so that every change is told to the members it moves (checked at the quiet moments
          // between sequences), at once: a quiet period of minutes would leave every sequence's changes untold.
          slack: { channel: chaosChannel(i + 1) },
          // The operators' summary stays in the history (`cli`): not checked here, and a post per change told.
          changeNotices: { coalesceMinutes: 0, summary: 'cli' },
        },
      ]),
    ),
  };
  // The model knows nothing of acknowledgements (their own suites test them), and their watches would only slow the
  // run: off here, as in the test beds (withoutAcknowledgements).
  const settings = withoutAcknowledgements(parseSettings(settingsInput));

  before(async () => {
    captureRuntimeLogs();
    env = await startServer('the dev server', () => startDevServer({ resolve: { sdkDownload: false } }));
    sandbox = await startSandbox({
      groups: { 'support-triagers': DEMO_TEAM, 'meeting-facilitators': DEMO_TEAM },
      channels: roles.map((role, i) => ({ name: role, id: chaosChannel(i + 1) })),
      standupManager: DEMO_MANAGER,
      // A little latency so that messages land while a handover's activities run.
      faults: {
        geekbot: { latencyMs: { min: 5, max: 40 }, seed: 3 },
        calendar: { latencyMs: { min: 2, max: 20 }, seed: 4 },
      },
    });
    rememberSecrets(sandbox);
    worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue: TASK_QUEUE,
      workflowBundle: await workflowBundle(),
      activities: createActivities({
        ...(await buildActivityDeps(sandbox.env, settings)),
        // The worker's per-minute calendar budget (activities/request-budget.ts) is Google's quota, not what this
        // scenario is about: at the default 500 a burst of handovers made every workflow wait ~40 s for it.
        limits: { calendarRequestsPerMinute: 100_000, slackTier2PerMinute: 100_000 },
      }),
    });
  });
  after(async () => {
    for (const role of roles) {
      await collectHistories(env.client, `team-roles/${role}`, `operator-chaos ${role}`).catch(() => undefined);
    }
    await sandbox?.close();
    await env?.teardown();
  });

  /** A rotation started and handed over once, with the model that says where it stands. */
  async function startChaos(role: string): Promise<Chaos> {
    const oracle = new Oracle(role, settings.roles[role]!, {
      timeZone: roleTimeZone(settings, settings.roles[role]!),
      historyLimit: HISTORY_LIMIT,
      handoversPerRun: HANDOVERS_PER_RUN,
      calendarHorizonMonths: settings.calendarHorizonMonths,
    });
    const handle = await env.client.workflow.start<typeof roleWorkflow>('roleWorkflow', {
      workflowId: `team-roles/${role}`,
      taskQueue: TASK_QUEUE,
      args: [{ role, seed: { incoming: 'Ben', current: 'Ava' } }],
    });
    const first = await stateOf(handle);
    const model: Model = {
      rotation: initialState(role, 2, team, { incoming: team[1]!, current: team[0]! }),
      pending: first.nextHandoverAt.slice(0, 10),
      handovers: 0,
    };
    const afterFirst = await sendUpdate(handle, { op: 'handoverNow', date: 'pending' }, undefined);
    assert.ok(afterFirst.ok && afterFirst.view, 'the first handover');
    const index = roles.indexOf(role) + 1;
    const standup = () => {
      const found = sandbox.geekbot.state.standups.find((s) => s.name === `ChaosTriager${index}`);
      return found && { users: found.users.map((u) => u.id), question: found.questions[0]?.text ?? '' };
    };
    return new Chaos(oracle, handle, oracle.handoverApplies(model, model.pending), afterFirst.view.warnings, standup, {
      dms: () => changeDms(sandbox.slack.state, role),
      noticePost: (key) => noticePost(sandbox.slack.state, chaosChannel(index), key),
    });
  }

  /** Settles one rotation (resume, hand over once more) and checks it against the fakes and its histories. */
  async function settle(chaos: Chaos): Promise<{ runs: number; serverRefusals: number }> {
    await chaos.run([
      { kind: 'between', command: { message: { op: 'resume' }, via: 'update' } },
      { kind: 'between', command: { message: { op: 'handoverNow', date: 'pending' }, via: 'update' } },
    ]);
    // Every change told, and told right.
    await chaos.checkToldChanges({ wait: true });
    // (The handover may have continued the workflow as new: the new run answers once it has started.)
    const state = await stateOf(chaos.handle);
    const plan = await waitFor('the plan query', () => chaos.handle.query(planQuery, 60));
    const { role } = chaos.oracle;
    const index = roles.indexOf(role) + 1;
    checkRole(
      { state, plan, ...fakesOf(sandbox) },
      {
        role,
        title: `Chaos Triager ${index}`,
        standupName: `ChaosTriager${index}`,
        manager: DEMO_MANAGER,
        settled: true,
        distinctTurns: false,
        horizonTurns: 13,
      },
    );
    const histories = await collectHistories(env.client, `team-roles/${role}`, `operator-chaos ${role}`);
    const failures = workflowTaskFailures(histories);
    assert.deepEqual(
      failures.filter((f) => !SERVER_REFUSALS.test(f)),
      [],
      `${role}: no workflow task failed in the workflow's code`,
    );
    assert.equal(countEvents(histories, EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT), 0);
    return { runs: histories.length, serverRefusals: failures.filter((f) => SERVER_REFUSALS.test(f)).length };
  }

  it(`${SEQUENCES} random sequences over ${ROLES} workflows: exact outcomes, no failed workflow task, invariants hold`, async () => {
    const started = Date.now();
    console.log(`      seed ${SEED} (FAULTS_CHAOS_SEED=${SEED} replays it)`);
    await worker.runUntil(async () => {
      const stop = { reason: undefined as unknown };
      const settled = await Promise.allSettled(
        roles.map(async (role, i) => {
          const chaos = await startChaos(role);
          try {
            await fc.assert(
              fc.asyncProperty(sequence(), async (steps) => {
                if (stop.reason === undefined) await chaos.run(steps);
              }),
              { numRuns: Math.ceil(SEQUENCES / ROLES), seed: SEED + i, endOnFailure: true },
            );
          } catch (err) {
            stop.reason ??= err;
            throw err;
          }
          return chaos;
        }),
      );
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) {
        for (const role of roles) {
          const failures = workflowTaskFailures(await runHistories(env.client, `team-roles/${role}`));
          if (failures.length)
            console.log(`      ${role}: failed workflow tasks:\n        ${failures.join('\n        ')}`);
        }
        throw failed.reason;
      }
      const chaos = settled.map((s) => (s as PromiseFulfilledResult<Chaos>).value);

      const totals = chaos.reduce((sum, c) => addStats(sum, c.stats), zeroStats());
      let handovers = 0;
      let serverRefusals = 0;
      let runs = 0;
      for (const c of chaos) {
        const checked = await settle(c);
        handovers += c.candidates[0]!.handovers;
        runs += checked.runs;
        serverRefusals += checked.serverRefusals;
      }
      console.log(
        `      ${totals.sequences} sequences, ${totals.steps} steps (${totals.during} during a handover): ` +
          `${totals.updatesAccepted} updates accepted, ${totals.updatesRejected} rejected with their reason, ` +
          `${totals.signals} signals (${totals.signalsIgnored} ignored with a warning); ` +
          `${totals.notReady} state queries answered NotReady (a new run starting); ` +
          `${totals.withdrawn} notices withdrawn by a pause, each checked against the standup ` +
          `(${totals.withdrawnPosts} also against their channel post); ` +
          `${totals.changeDms} plan-change DMs, checked against the plan at ${totals.changeChecks} quiet moments; ` +
          `${handovers} handovers, ${runs} workflow runs (continue-as-new every ${HANDOVERS_PER_RUN}); ` +
          `${serverRefusals} workflow task completions refused by the server for messages that arrived meanwhile ` +
          `(UnhandledCommand), ${retriedUpdates.count} updates sent again after such a refusal; ${elapsed(started)}`,
      );
    });
  });
});
