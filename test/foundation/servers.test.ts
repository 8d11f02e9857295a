import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startDevServer, startTimeSkippingServer } from '../../src/servers/environments';
import { BinaryNotFoundError, resolveTemporalCli, resolveTestServer } from '../../src/servers/binaries';
import type { sleeper } from '../workflows/sleeper';

const run = promisify(execFile);

describe('foundation: real Temporal servers', function () {
  let bundle: WorkflowBundleWithSourceMap;

  before(async function () {
    // The first run on a machine builds the Temporal CLI with Go (minutes).
    this.timeout(30 * 60_000);
    await resolveTemporalCli({ sdkDownload: false });
    await resolveTestServer({ sdkDownload: false });
    bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows/sleeper'), logger: quietLogger });
  });

  describe('time-skipping test server', function () {
    let env: TestWorkflowEnvironment;
    before(async function () {
      this.timeout(60_000);
      env = await startTimeSkippingServer({ resolve: { sdkDownload: false } });
    });
    after(async () => env?.teardown());

    it('sleeps 7 days in a few seconds of wall time and returns the result', async () => {
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue: 'foundation-ts',
        workflowBundle: bundle,
      });
      const started = Date.now();
      const result = await worker.runUntil(
        env.client.workflow.execute<typeof sleeper>('sleeper', {
          args: [7],
          workflowId: `sleeper-${randomUUID()}`,
          taskQueue: 'foundation-ts',
        }),
      );
      const wallMs = Date.now() - started;
      assert.equal(result.sleptDays, 7);
      assert.match(result.workflowId, /^sleeper-/);
      assert.ok(wallMs < 10_000, `7 simulated days took ${wallMs} ms of wall time`);
    });
  });

  describe('dev server (temporal server start-dev)', function () {
    let env: TestWorkflowEnvironment;
    before(async function () {
      this.timeout(60_000);
      env = await startDevServer({ resolve: { sdkDownload: false } });
    });
    after(async () => env?.teardown());

    it('starts a workflow that the client and `temporal workflow describe` both find', async () => {
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue: 'foundation-dev',
        workflowBundle: bundle,
      });
      const workflowId = `sleeper-${randomUUID()}`;
      await worker.runUntil(async () => {
        const handle = await env.client.workflow.start<typeof sleeper>('sleeper', {
          args: [1],
          workflowId,
          taskQueue: 'foundation-dev',
        });
        const description = await handle.describe();
        assert.equal(description.workflowId, workflowId);
        assert.equal(description.type, 'sleeper');
        assert.equal(description.status.name, 'RUNNING');

        const cli = await resolveTemporalCli({ sdkDownload: false });
        const { stdout } = await run(cli.path!, [
          'workflow',
          'describe',
          '--workflow-id',
          workflowId,
          '--address',
          env.address,
          '--output',
          'json',
        ]);
        const described = JSON.parse(stdout) as { workflowExecutionInfo: { execution: { workflowId: string } } };
        assert.equal(described.workflowExecutionInfo.execution.workflowId, workflowId);
        await handle.terminate('test finished');
      });
    });
  });

  describe('binary resolver', () => {
    it('names the variable and the problem when TEMPORAL_CLI_PATH does not exist', async () => {
      await assert.rejects(
        resolveTemporalCli({ env: { TEMPORAL_CLI_PATH: '/nonexistent/temporal', PATH: '' }, build: false }),
        (err: unknown) => {
          assert.ok(err instanceof BinaryNotFoundError);
          assert.match(err.message, /TEMPORAL_CLI_PATH=\/nonexistent\/temporal does not exist/);
          assert.doesNotMatch(err.message, /\n\s+at /, 'no stack trace in the message');
          return true;
        },
      );
    });

    it('lists everything it tried when nothing is found and building is off', async () => {
      await assert.rejects(
        resolveTestServer({ env: { PATH: '' }, cacheDir: '/nonexistent-cache', build: false, sdkDownload: false }),
        /TEMPORAL_TEST_SERVER_PATH \(not set\).*on PATH \(not found\).*cache .* \(empty\).*Set TEMPORAL_TEST_SERVER_PATH/,
      );
    });

    it('takes an explicit, existing path as is', async () => {
      const cli = await resolveTemporalCli({ sdkDownload: false });
      const again = await resolveTemporalCli({ env: { TEMPORAL_CLI_PATH: cli.path! } });
      assert.equal(again.source, 'env');
      assert.equal(again.path, cli.path);
    });
  });
});

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
};
