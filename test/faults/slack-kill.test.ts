/**
 * Exactly once towards people, with the worker killed between Slack's answer and Temporal's record of it (issue 14).
 * The support triager posts its notice (a channel post, DMs to the incoming member and the buddy) inside the prepare
 * activity and its handover post in a local activity right after the handover. Each repetition SIGKILLs the worker
 * process (`tsx src/worker.ts`) as soon as the fake Slack has answered the handover's chat.postMessage, so the local
 * activity's result never reaches Temporal: the restarted worker runs it again, and it must find the post by its key.
 * The notice's DM to the incoming member loses its answer each time as well (`lostResponse`: posted, the connection
 * cut), which the activity's own retry must not repeat either. (A kill inside the prepare activity waits out its
 * one-minute heartbeat timeout; the same delivery code is killed there by test/faults/worker-kill.test.ts's lanes.)
 * FAULTS_SLACK_KILL_REPEATS (default 3) sets the repetitions.
 */
import assert from 'node:assert/strict';
import { WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NOTICE_EVENT_TYPE } from '../../src/activities/slack-messages';
import { addDays } from '../../src/domain/schedule';
import type { RecordedRequest } from '../../src/sandbox/http';
import type { FakeSlackUsergroup } from '../../src/sandbox/slack';
import { DEMO_MANAGER, DEMO_TEAM, startSandbox, type Sandbox } from '../../src/sandbox/sandbox';
import { startDevServer } from '../../src/servers/environments';
import { handoverNowUpdate, roleWorkflowId, stateQuery, TASK_QUEUE } from '../../src/shared';
import type { roleWorkflow } from '../../src/workflows';
import {
  elapsed,
  roleTiming,
  sleep,
  startServer,
  stateOf,
  tempDir,
  waitFor,
  workflowTaskFailures,
  type WorkerProcess,
} from '../support';
import { collectHistories, rememberSecrets, sandboxWorker } from './support';

const ROLE = 'support-triager';
const CHANNEL = { id: 'C0SUPPORT1', name: 'support-freshdesk' };
const ON_DUTY = 'support-triager-on-duty';
const REPEATS = Number(process.env.FAULTS_SLACK_KILL_REPEATS ?? 3);
/** A workflow task the killed worker held times out and is retried: that is not a failure. */
const KILLED_WORKERS_TASK = /timed out \(start-to-close\)/;

/** A chat.postMessage of this message kind. */
function isPost(request: Pick<RecordedRequest, 'path' | 'body'>, kind: string): boolean {
  return request.path.endsWith('/chat.postMessage') && JSON.stringify(request.body).includes(kind);
}

/** How many messages of each kind of the handover `key` the bot has, in every conversation. */
function messagesOf(sandbox: Sandbox, key: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const channel of Object.values(sandbox.slack.state.channels)) {
    for (const message of sandbox.slack.messagesIn(channel.id)) {
      const metadata = message.metadata;
      if (metadata?.event_type !== NOTICE_EVENT_TYPE || metadata.event_payload.handover_key !== key) continue;
      const kind = String(metadata.event_payload.message_kind);
      counts[kind] = (counts[kind] ?? 0) + 1;
    }
  }
  return counts;
}

const ONE_EACH = { 'notice-channel': 1, 'notice-incoming': 1, 'notice-buddy': 1, 'handover-channel': 1 };

describe('faults: the worker is killed right after Slack answered a post (dev server)', function () {
  this.timeout(10 * 60_000);
  let server: TestWorkflowEnvironment | undefined;
  let sandbox: Sandbox | undefined;
  let worker: WorkerProcess | undefined;
  const dir = tempDir('slack-kill');

  after(async () => {
    await worker?.kill();
    await server?.teardown();
    await sandbox?.close();
    dir.cleanup();
  });

  it(`SIGKILL after the handover post, ${REPEATS} times: one message of each kind per handover`, async () => {
    const started = Date.now();
    server = await startServer('the dev server', () => startDevServer({ resolve: { sdkDownload: false } }));
    sandbox = await startSandbox({
      groups: { 'support-triagers': DEMO_TEAM, 'meeting-facilitators': DEMO_TEAM },
      channels: [CHANNEL],
      standupManager: DEMO_MANAGER,
      faults: {
        slack: {
          // Every notice's DM to the incoming member is posted, and its answer lost.
          script: [{ match: (r) => isPost(r, 'notice-incoming'), kind: 'lostResponse', times: REPEATS + 1 }],
        },
      },
    });
    rememberSecrets(sandbox);
    const config = dir.file(
      'team-roles.json',
      JSON.stringify({
        standupManager: DEMO_MANAGER,
        roles: {
          [ROLE]: {
            ...roleTiming('prepare not yet due'),
            slack: { channel: CHANNEL.id, enabled: true },
            onDutyUsergroup: ON_DUTY,
          },
        },
      }),
    );
    worker = await sandboxWorker('slack kill', server, sandbox, { config, secretsDir: dir.dir });
    await worker.start();
    const workflowId = roleWorkflowId(ROLE);
    const handle: WorkflowHandle<typeof roleWorkflow> = await server.client.workflow.start<typeof roleWorkflow>(
      'roleWorkflow',
      {
        workflowId,
        taskQueue: TASK_QUEUE,
        // Schedule mode: only the handovers asked for here happen.
        args: [{ role: ROLE, mode: 'schedule', seed: { incoming: 'Ben', current: 'Ava' } }],
      },
    );
    let date = (await stateOf(handle)).nextHandoverAt.slice(0, 10);
    const recoveries: number[] = [];

    for (let rep = 0; rep < REPEATS; rep++, date = addDays(date, 7)) {
      const key = `${ROLE}@${date}`;
      const since = sandbox.slack.requests.length;
      const update = await handle.startUpdate(handoverNowUpdate, {
        args: [{ date }],
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      await waitFor(
        `Slack's answer to the handover post of ${key}`,
        () =>
          sandbox!.slack.requests
            .slice(since)
            .some((r) => r.endedAt !== undefined && r.status === 200 && isPost(r, 'handover-channel')) || undefined,
        { timeoutMs: 60_000, intervalMs: 1 },
      );
      await worker.kill();
      const killedAt = Date.now();
      await worker.start();
      const state = await Promise.race([
        update.result(),
        sleep(3 * 60_000).then(() => Promise.reject(new Error(`${key}: the update did not complete`))),
      ]);
      recoveries.push((Date.now() - killedAt) / 1000);
      assert.equal(state.lastHandoverKey, key);
      assert.deepEqual(messagesOf(sandbox, key), ONE_EACH, `${key}: one message of each kind`);
      // The announcement ran whole on the restarted worker: the group holds who serves now.
      const onDuty: FakeSlackUsergroup | undefined = sandbox.slack.state.usergroups.find((g) => g.handle === ON_DUTY);
      assert.deepEqual(onDuty?.users.slice().sort(), [state.incoming!.id, state.current!.id].sort(), `${key}: group`);
      assert.deepEqual((await handle.query(stateQuery)).warnings, [], `${key}: nothing left undone`);
    }

    const lost = sandbox.slack.requests.filter((r) => r.fault === 'lostResponse').length;
    assert.equal(lost, REPEATS, 'each notice DM to the incoming member lost its answer');
    const runs = await collectHistories(server.client, workflowId, 'slack kill');
    assert.deepEqual(workflowTaskFailures(runs, { allow: KILLED_WORKERS_TASK }), [], 'no workflow task failed');
    console.log(
      `      ${REPEATS} kills, recovered in ${recoveries.map((s) => s.toFixed(1)).join(', ')} s; ` +
        `${worker.starts} worker starts; ${elapsed(started)}`,
    );
  });
});
