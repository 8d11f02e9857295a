/**
 * Bad input: a malformed team-roles.json, an unknown role or member, an invalid configuration file, a missing
 * secret, a Slack group that became empty or was deleted. Each must end in a clear error, and the running rotation's
 * state must be unchanged.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { buildActivityDeps } from '../../src/activities/deps';
import { DEFAULT_SETTINGS, parseSettings } from '../../src/domain/config';
import { startDevServer } from '../../src/servers/environments';
import {
  handoverNowUpdate,
  overrideSignal,
  overrideUpdate,
  refreshMembersSignal,
  refreshMembersUpdate,
  roleWorkflowId,
  skipUpdate,
  stateQuery,
  swapUpdate,
  TASK_QUEUE,
  type RoleStateView,
} from '../../src/shared';
import type { roleWorkflow } from '../../src/workflows';
import { DEMO_MANAGER, DEMO_TEAM, startSandbox, type Sandbox } from '../../src/sandbox/sandbox';
import { type Exit, ROOT, startServer, stateOf, tempDir, workflowBundle, workflowTaskFailures } from '../support';
import { captureRuntimeLogs, collectHistories, evidence, faultWorker, recordLog, rememberSecrets } from './support';

const ROLE = 'support-triager';

/** The parts of the state an operator would notice changing. */
function rotationOf(state: RoleStateView) {
  const { incoming, current, next, members, history, paused, lastHandoverKey, nextHandoverAt, standupId } = state;
  return { incoming, current, next, members, history, paused, lastHandoverKey, nextHandoverAt, standupId };
}

/** The operator CLI from source: `tsx src/client/cli.ts ...`. */
function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/client/cli.ts', ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    evidence.processes += 1;
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('close', (code, signal) => {
      recordLog(`team-roles ${args.join(' ')}`, output);
      resolve({ code, signal, output });
    });
  });
}

describe('faults: bad input gives a clear error and leaves the running rotation alone (dev server)', function () {
  this.timeout(10 * 60_000);
  const dir = tempDir('bad-input');
  let env: TestWorkflowEnvironment;
  let sandbox: Sandbox;
  let worker: Worker;
  let running: Promise<void>;
  let handle: WorkflowHandle<typeof roleWorkflow>;
  let baseline: ReturnType<typeof rotationOf>;
  /** What a worker process or the CLI needs, without the secrets a case leaves out. */
  let childEnv: NodeJS.ProcessEnv;

  const unchanged = async (what: string) => {
    assert.deepEqual(
      rotationOf(await handle.query(stateQuery)),
      baseline,
      `${what}: the rotation's state is unchanged`,
    );
  };

  before(async () => {
    captureRuntimeLogs();
    env = await startServer('the dev server', () => startDevServer({ resolve: { sdkDownload: false } }));
    sandbox = await startSandbox({
      groups: { 'support-triagers': DEMO_TEAM, 'meeting-facilitators': DEMO_TEAM },
      standupManager: DEMO_MANAGER,
    });
    rememberSecrets(sandbox);
    const settings = parseSettings({ ...DEFAULT_SETTINGS, standupManager: DEMO_MANAGER });
    worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue: TASK_QUEUE,
      workflowBundle: await workflowBundle(),
      activities: createActivities(await buildActivityDeps(sandbox.env, settings)),
    });
    running = worker.run();
    handle = await env.client.workflow.start<typeof roleWorkflow>('roleWorkflow', {
      workflowId: roleWorkflowId(ROLE),
      taskQueue: TASK_QUEUE,
      args: [{ role: ROLE, seed: { incoming: 'Ben', current: 'Ava' } }],
    });
    await stateOf(handle);
    await handle.executeUpdate(handoverNowUpdate, { args: [{}] });
    baseline = rotationOf(await handle.query(stateQuery));
    childEnv = {
      ...process.env,
      ...sandbox.env,
      TEMPORAL_ADDRESS: env.address,
      TEAM_ROLES_CONFIG: dir.file('team-roles.config.json', JSON.stringify({ standupManager: DEMO_MANAGER })),
      TEAM_ROLES_SECRETS_DIR: dir.dir,
    };
  });

  after(async () => {
    if (env) {
      const histories = await collectHistories(env.client, roleWorkflowId(ROLE), 'bad-input').catch(() => []);
      assert.deepEqual(workflowTaskFailures(histories), [], 'no workflow task failed');
    }
    worker?.shutdown();
    await running;
    await sandbox?.close();
    await env?.teardown();
    dir.cleanup();
  });

  it('a malformed team-roles.json (`team-roles start --import`): exit 2 naming the problem, nothing started', async () => {
    const notJson = dir.file('not-json.json', '{ "support_triager": { "incoming": ');
    const wrongShape = dir.file(
      'wrong-shape.json',
      JSON.stringify({ standup_manager: null, support_triager: { incoming: { name: 'Ben' }, current: null } }),
    );
    const notJsonRun = await runCli(['start', ROLE, '--import', notJson], childEnv);
    assert.equal(notJsonRun.code, 2, notJsonRun.output);
    assert.match(notJsonRun.output, /not-json\.json is not JSON/);
    const shapeRun = await runCli(['start', ROLE, '--import', wrongShape], childEnv);
    assert.equal(shapeRun.code, 2, shapeRun.output);
    assert.match(shapeRun.output, /support_triager\.incoming\.id/);
    await unchanged('a malformed team-roles.json');
  });

  it('an unknown role: the CLI refuses it (exit 2), a workflow for it fails with the known roles, no signal lands', async () => {
    const cli = await runCli(['status', 'no-such-role'], childEnv);
    assert.equal(cli.code, 2, cli.output);
    assert.match(cli.output, /Unknown role "no-such-role"\. Known roles: .*support-triager/);

    const stray = await env.client.workflow.start<typeof roleWorkflow>('roleWorkflow', {
      workflowId: roleWorkflowId('no-such-role'),
      taskQueue: TASK_QUEUE,
      args: [{ role: 'no-such-role' }],
    });
    await assert.rejects(stray.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      const cause = err.cause as (Error & { cause?: Error }) | undefined;
      assert.match(`${cause?.message} ${cause?.cause?.message}`, /Unknown role "no-such-role"/);
      return true;
    });
    assert.deepEqual(workflowTaskFailures(await collectHistories(env.client, stray.workflowId, 'bad-input stray')), []);
    await assert.rejects(
      env.client.workflow.getHandle(roleWorkflowId('no-such-role-either')).signal(refreshMembersSignal),
      WorkflowNotFoundError,
    );
    await unchanged('an unknown role');
  });

  it('an unknown member: updates are rejected with the reason, a signal is ignored with a warning', async () => {
    const rejects = async (run: () => Promise<unknown>, reason: RegExp) =>
      assert.rejects(run(), (err: unknown) => {
        assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
        assert.match(err.cause?.message ?? '', reason);
        return true;
      });
    await rejects(
      () => handle.executeUpdate(overrideUpdate, { args: [{ incoming: 'Zed' }] }),
      /No member "Zed" \(give a Slack ID or the exact display name\)/,
    );
    await rejects(
      () => handle.executeUpdate(skipUpdate, { args: [{ member: 'Avaa', next: true }] }),
      /No member "Avaa".*Did you mean Ava \(U0AVA00001\)\?/,
    );
    await rejects(
      () => handle.executeUpdate(swapUpdate, { args: [{ first: 'Ben', second: 'U0NOBODY' }] }),
      /No member "U0NOBODY"/,
    );
    await handle.signal(overrideSignal, { current: 'Zed' });
    const state = await handle.query(stateQuery);
    assert.match(state.warnings.at(-1) ?? '', /^override signal ignored: No member "Zed"/);
    await unchanged('an unknown member');
  });

  it('an invalid configuration file: the worker exits 1 naming the file and the field', async () => {
    const cases: { name: string; content?: string; expect: RegExp }[] = [
      {
        name: 'not-json.config.json',
        content: '{ "roles": ',
        expect: /TEAM_ROLES_CONFIG=.*not-json\.config\.json is not valid JSON/,
      },
      {
        name: 'bad-field.config.json',
        content: JSON.stringify({ roles: { 'support-triager': { handoverTime: '25:00', slots: 3 } } }),
        expect: /Invalid team-roles configuration: .*roles\.support-triager\.handoverTime: expected HH:MM \(24-hour\)/,
      },
      { name: 'array.config.json', content: '[]', expect: /must hold a JSON object/ },
      { name: 'missing.config.json', expect: /Cannot read TEAM_ROLES_CONFIG=.*missing\.config\.json: ENOENT/ },
    ];
    for (const c of cases) {
      const file = c.content === undefined ? path.join(dir.dir, c.name) : dir.file(c.name, c.content);
      const exit = await faultWorker(`bad config ${c.name}`, {
        ...childEnv,
        TEAM_ROLES_CONFIG: file,
      }).runToExit();
      assert.equal(exit.code, 1, `${c.name}: exit code\n${exit.output}`);
      assert.match(exit.output, c.expect, c.name);
      assert.doesNotMatch(exit.output, /\n\s+at /, `${c.name}: a sentence, not a stack trace`);
    }
    await unchanged('an invalid configuration file');
  });

  it('a missing secret: the worker exits 1 naming every missing variable, and echoes none of the others', async () => {
    const env = { ...childEnv };
    delete env.SLACK_BOT_TOKEN;
    delete env.GEEKBOT_API_KEY;
    const exit = await faultWorker('missing secrets', env).runToExit();
    assert.equal(exit.code, 1, exit.output);
    assert.match(exit.output, /Missing secret: set SLACK_BOT_TOKEN to the bot token/);
    assert.match(exit.output, /Missing secret: set GEEKBOT_API_KEY to/);
    assert.doesNotMatch(exit.output, /CALENDAR_ID|GOOGLE_APPLICATION_CREDENTIALS/, 'only the missing ones are named');
    for (const secret of sandbox.secrets) assert.ok(!exit.output.includes(secret), 'no secret in the output');
    await unchanged('a missing secret');
  });

  it('a Slack group that became empty, or was deleted: the refresh is refused with the reason, members are kept', async () => {
    const refused = async (reason: RegExp) => {
      await assert.rejects(handle.executeUpdate(refreshMembersUpdate), (err: unknown) => {
        assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
        assert.match(err.cause?.message ?? '', reason);
        return true;
      });
      await unchanged('a failed refresh');
    };
    sandbox.setGroup('support-triagers', []);
    await refused(/^refresh: The support-triager group has no members: keeping the previous 7 member\(s\)\.$/);

    const groups = sandbox.slack.state.usergroups;
    const group = groups.splice(
      groups.findIndex((g) => g.handle === 'support-triagers'),
      1,
    )[0]!;
    await refused(
      /^refresh: No Slack user group with handle "support-triagers"\. Existing handles: meeting-facilitators\.$/,
    );
    assert.match((await handle.query(stateQuery)).lastError ?? '', /^refresh: No Slack user group/);

    // The group back: the next refresh clears the error and changes nothing else.
    groups.push({ ...group, users: DEMO_TEAM.map((m) => m.id) });
    await handle.executeUpdate(refreshMembersUpdate);
    assert.equal((await handle.query(stateQuery)).lastError, null);
    await unchanged('the group restored');
  });
});
