/**
 * The acknowledgement's messages survive a killed worker: the worker process (the real entry point) is SIGKILLed
 * right after Slack answered the reminder DM, restarted at once, and SIGKILLed again right after Slack answered the
 * escalation post. Each time the watch activity's attempt is lost mid-way (between Slack's answer and the
 * workflow hearing of it); Temporal retries it after its heartbeat timeout (10 s on a fast clock), and the retry
 * finds the message by its idempotency key instead of posting it again. Exactly one reminder and one escalation
 * post, the turn records both, no workflow task failure but the killed worker's own.
 *
 * A simulated week takes two minutes: the notice at once, the reminder 6 h (4 s) after it, the escalation 24 h
 * (17 s) after that, the handover 60 h (43 s) after the notice, each retry's wait fitting between.
 */
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { startDevServer } from '../../src/servers/environments';
import { DEMO_MANAGER, DEMO_TEAM, startSandbox, type Sandbox } from '../../src/sandbox/sandbox';
import { roleWorkflowId, stateQuery, TASK_QUEUE } from '../../src/shared';
import type { roleWorkflow } from '../../src/workflows';
import {
  ACK_CHANNEL,
  ackMessages,
  byName,
  startServer,
  tempDir,
  waitFor,
  weekTakes,
  weekdayOf,
  workflowBundleFile,
  workflowTaskFailures,
  type WorkerProcess,
} from '../support';
import { collectHistories, faultWorker, rememberSecrets } from './support';

const ROLE = 'support-triager';
const SCALE = weekTakes(120_000);
const HOUR_MS = 3_600_000;
/** A workflow task the killed worker held times out and is retried: that is not a failure. */
const KILLED_WORKERS_TASK = /timed out \(start-to-close\)/;

/** The role's timing from `nowMs` (the worker process's clock is the real one): the handover 61 h ahead. */
function killRole(nowMs: number) {
  const handover = DateTime.fromMillis(nowMs + 61 * HOUR_MS, { zone: 'UTC' })
    .startOf('minute')
    .plus({ minutes: 1 });
  return {
    handoverWeekday: weekdayOf(handover.toMillis()),
    handoverTime: handover.toFormat('HH:mm'),
    timeZone: 'UTC',
    prepareLeadHours: 60,
    ackWithinHours: 6,
    escalateAfterHours: 24,
    slack: { channel: ACK_CHANNEL.id },
  };
}

/** Whether Slack has answered a post of this kind (the message is in the fake and its request has ended). */
function slackAnswered(sandbox: Sandbox, kind: 'ack-reminder' | 'ack-escalation'): boolean {
  return sandbox.slack.requests.some(
    (r) =>
      r.path.endsWith('/chat.postMessage') &&
      r.endedAt !== undefined &&
      r.status === 200 &&
      JSON.stringify(r.body ?? null).includes(kind),
  );
}

describe('fault: the worker killed right after Slack answered the reminder and the escalation', function () {
  this.timeout(150_000);
  let server: TestWorkflowEnvironment | undefined;
  let sandbox: Sandbox | undefined;
  let worker: WorkerProcess | undefined;

  after(async () => {
    await worker?.kill();
    await sandbox?.close();
    await server?.teardown();
  });

  it('one reminder, one escalation post, both in the turn, after two kills', async () => {
    const started = Date.now();
    const dir = tempDir('ack-kill');
    server = await startServer('the dev server', () => startDevServer({ resolve: { sdkDownload: false } }));
    sandbox = await startSandbox({
      groups: { 'support-triagers': DEMO_TEAM, 'meeting-facilitators': DEMO_TEAM },
      standupManager: DEMO_MANAGER,
      channels: [ACK_CHANNEL],
    });
    rememberSecrets(sandbox);
    const config = dir.file(
      'team-roles.json',
      JSON.stringify({ standupManager: DEMO_MANAGER, timeScale: SCALE, roles: { [ROLE]: killRole(Date.now()) } }),
    );
    worker = faultWorker(
      'ack kill',
      {
        ...process.env,
        ...sandbox.env,
        TEMPORAL_ADDRESS: server.address,
        TEAM_ROLES_CONFIG: config,
        TEAM_ROLES_SECRETS_DIR: dir.dir,
      },
      { bundleFile: await workflowBundleFile() },
    );
    await worker.start();
    const workflowId = roleWorkflowId(ROLE);
    const handle = await server.client.workflow.start<typeof roleWorkflow>('roleWorkflow', {
      workflowId,
      taskQueue: TASK_QUEUE,
      args: [{ role: ROLE, seed: { incoming: 'Ben', current: 'Ava' } }],
    });

    const kills: string[] = [];
    for (const kind of ['ack-reminder', 'ack-escalation'] as const) {
      await waitFor(`Slack answering the ${kind}`, () => slackAnswered(sandbox!, kind), {
        timeoutMs: 60_000,
        intervalMs: 5,
      }).catch(async (err: Error) => {
        const view = await handle.query(stateQuery);
        if (process.env.FAULTS_DEBUG) {
          for (const run of await collectHistories(server!.client, handle.workflowId, 'debug')) {
            for (const e of run.events)
              console.log(
                e.eventId?.toString(),
                e.eventTime?.seconds?.toString(),
                e.eventType,
                JSON.stringify(
                  e.activityTaskFailedEventAttributes ??
                    e.activityTaskTimedOutEventAttributes ??
                    e.activityTaskScheduledEventAttributes?.activityType ??
                    e.workflowExecutionSignaledEventAttributes?.signalName ??
                    '',
                ),
              );
          }
          console.log(worker?.output?.slice(-6000));
        }
        throw new Error(`${err.message}; the acknowledgement: ${JSON.stringify(view.acknowledgement)}`);
      });
      await worker.kill();
      kills.push(`${kind} at ${((Date.now() - started) / 1000).toFixed(1)} s`);
      await worker.start();
    }

    const state = await waitFor(
      "Chloe's handover",
      async () => {
        const view = await handle.query(stateQuery);
        return view.history.some((turn) => turn.member.name === 'Chloe') && view;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const turn = state.history.find((t) => t.member.name === 'Chloe')!;
    assert.deepEqual(
      { reminded: turn.acknowledgement?.reminded, escalated: turn.acknowledgement?.escalated },
      { reminded: true, escalated: true },
      `Chloe's turn (kills: ${kills.join(', ')})`,
    );
    const chloe = byName('Chloe');
    assert.equal(ackMessages(sandbox, 'ack-reminder', { memberId: chloe.id }).length, 1, 'one reminder');
    assert.equal(ackMessages(sandbox, 'ack-escalation', { memberId: chloe.id }).length, 1, 'one escalation post');
    assert.equal(worker.kills, 2);

    const runs = await collectHistories(server.client, workflowId, 'ack kill');
    assert.deepEqual(workflowTaskFailures(runs, { allow: [KILLED_WORKERS_TASK] }), []);
    console.log(`      killed after: ${kills.join(', ')}; ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
  });
});
