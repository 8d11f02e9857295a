/**
 * Exactly once towards people for change notices (issue 16), with the worker killed between Slack's answer and
 * Temporal's record of it. Each repetition skips a member's next turn (an update), which moves several people's
 * dates; once the change's quiet period is over the rotation tells each of them by DM and posts the operators'
 * summary. The worker process (`tsx src/worker.ts`) is SIGKILLed as soon as the fake Slack has answered the first of
 * those posts, so the activity's result never reaches Temporal: the restarted worker runs it again (after its
 * 15-second heartbeat timeout), and it must find every message already sent by its key.
 * FAULTS_CHANGE_KILL_REPEATS (default 2) sets the repetitions.
 */
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NOTICE_EVENT_TYPE } from '../../src/activities/slack-messages';
import type { RecordedRequest } from '../../src/sandbox/http';
import { DEMO_MANAGER, DEMO_TEAM, startSandbox, type Sandbox } from '../../src/sandbox/sandbox';
import { startDevServer } from '../../src/servers/environments';
import { planQuery, roleWorkflowId, skipUpdate, stateQuery, TASK_QUEUE } from '../../src/shared';
import type { roleWorkflow } from '../../src/workflows';
import {
  elapsed,
  roleTiming,
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
const REPEATS = Number(process.env.FAULTS_CHANGE_KILL_REPEATS ?? 2);
/** A workflow task or activity attempt the killed worker held times out and is retried: that is not a failure. */
const KILLED_WORKERS_TASK = /timed out \(start-to-close\)/;
const CHANGE_KINDS = ['plan-change', 'plan-change-summary'];

function isChangePost(request: Pick<RecordedRequest, 'path' | 'body'>): boolean {
  return request.path.endsWith('/chat.postMessage') && JSON.stringify(request.body).includes('"plan-change');
}

/** Every change message the bot has, by its idempotency key and recipient: how many of each. */
function changeMessages(sandbox: Sandbox): Map<string, number> {
  const counts = new Map<string, number>();
  for (const channel of Object.values(sandbox.slack.state.channels)) {
    for (const message of sandbox.slack.messagesIn(channel.id)) {
      const metadata = message.metadata;
      const kind = String(metadata?.event_payload.message_kind);
      if (metadata?.event_type !== NOTICE_EVENT_TYPE || !CHANGE_KINDS.includes(kind)) continue;
      const id = `${kind} ${String(metadata.event_payload.handover_key)} → ${String(metadata.event_payload.recipient)}`;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  return counts;
}

describe('faults: the worker is killed right after Slack answered a change notice (dev server)', function () {
  this.timeout(10 * 60_000);
  let server: TestWorkflowEnvironment | undefined;
  let sandbox: Sandbox | undefined;
  let worker: WorkerProcess | undefined;
  const dir = tempDir('change-kill');

  after(async () => {
    await worker?.kill();
    await server?.teardown();
    await sandbox?.close();
    dir.cleanup();
  });

  it(`SIGKILL after a change DM, ${REPEATS} times: each person told once per change`, async () => {
    const started = Date.now();
    server = await startServer('the dev server', () => startDevServer({ resolve: { sdkDownload: false } }));
    sandbox = await startSandbox({
      groups: { 'support-triagers': DEMO_TEAM, 'meeting-facilitators': DEMO_TEAM },
      channels: [CHANNEL],
      standupManager: DEMO_MANAGER,
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
            // A quiet period of three seconds: the change is told soon after the skip.
            changeNotices: { coalesceMinutes: 0.05 },
          },
        },
      }),
    );
    worker = await sandboxWorker('change kill', server, sandbox, { config, secretsDir: dir.dir });
    await worker.start();
    const workflowId = roleWorkflowId(ROLE);
    const handle: WorkflowHandle<typeof roleWorkflow> = await server.client.workflow.start<typeof roleWorkflow>(
      'roleWorkflow',
      {
        workflowId,
        taskQueue: TASK_QUEUE,
        args: [{ role: ROLE, mode: 'schedule', seed: { incoming: 'Ben', current: 'Ava' } }],
      },
    );
    await stateOf(handle);
    const recoveries: number[] = [];

    for (let rep = 0; rep < REPEATS; rep++) {
      // Skip the member of the third coming turn: their turn and the ones after it move.
      const [, , third] = await handle.query(planQuery, 3);
      assert.ok(third, 'a plan of three turns');
      const since = sandbox.slack.requests.length;
      const before: Set<string> = new Set(changeMessages(sandbox).keys());
      await handle.executeUpdate(skipUpdate, { args: [{ member: third.member.id, next: true }] });
      await waitFor(
        `Slack's answer to a change notice after skipping ${third.member.name}`,
        () =>
          sandbox!.slack.requests
            .slice(since)
            .some((r) => r.endedAt !== undefined && r.status === 200 && isChangePost(r)) || undefined,
        { timeoutMs: 60_000, intervalMs: 1 },
      );
      await worker.kill();
      const killedAt = Date.now();
      await worker.start();
      const state = await waitFor(
        `the change notice of repetition ${rep + 1} recorded after the restart`,
        async () => {
          const view = await handle.query(stateQuery);
          const told = view.changes.filter((entry) => entry.kind === 'notice');
          return view.pendingChanges === null && told.length === rep + 1 ? view : undefined;
        },
        { timeoutMs: 3 * 60_000, intervalMs: 250 },
      );
      recoveries.push((Date.now() - killedAt) / 1000);
      const notice = state.changes.filter((entry) => entry.kind === 'notice').at(-1);
      assert.ok(notice && notice.kind === 'notice' && notice.told.length > 0, 'some members were told');
      assert.deepEqual(notice.failures ?? [], [], 'every message went out');
      const counts = changeMessages(sandbox);
      const twice = [...counts].filter(([, n]) => n > 1);
      assert.deepEqual(twice, [], 'no change message twice');
      // This change's DMs, one per member told, and its summary in the channel.
      const added: string[] = [...counts.keys()].filter((id) => !before.has(id));
      assert.equal(added.filter((id) => id.startsWith('plan-change ')).length, notice.told.length, added.join('\n'));
      assert.equal(added.filter((id) => id.startsWith('plan-change-summary ')).length, 1, added.join('\n'));
    }

    const runs = await collectHistories(server.client, workflowId, 'change kill');
    assert.deepEqual(workflowTaskFailures(runs, { allow: KILLED_WORKERS_TASK }), [], 'no workflow task failed');
    console.log(
      `      ${REPEATS} kills, told on the restarted worker ${recoveries.map((s) => s.toFixed(1)).join(', ')} s ` +
        `after the kill; ${worker.starts} worker starts; ${elapsed(started)}`,
    );
  });
});
