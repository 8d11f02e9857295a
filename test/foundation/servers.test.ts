import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startDevServer, startTimeSkippingServer } from '../../src/servers/environments';
import { BinaryNotFoundError, resolveTemporalCli, resolveTestServer } from '../../src/servers/binaries';
import { spawnUntilReady } from '../../src/servers/process';
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

    it('skips time on env.sleep', async () => {
      assert.equal(env.supportsTimeSkipping, true);
      const before = await env.currentTimeMs();
      const started = Date.now();
      await env.sleep('3 days');
      const skipped = (await env.currentTimeMs()) - before;
      assert.ok(skipped >= 3 * 86_400_000, `skipped ${skipped} ms`);
      assert.ok(Date.now() - started < 5_000);
    });
  });

  describe('time-skipping test server process', function () {
    this.timeout(120_000);
    let dir: string;
    before(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'team-roles-servers-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    /** An executable shell script in the temporary folder. */
    const script = (name: string, body: string): string => {
      const file = path.join(dir, name);
      writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
      return file;
    };

    it('kills the whole server at teardown, even a JVM that its launcher starts as a child', async () => {
      const launcher = (await resolveTestServer({ sdkDownload: false })).path!;
      // No `exec`: the JVM is the launcher's child, which killing the launcher alone would leave behind.
      const wrapper = script('forking-test-server', `"${launcher}" "$@"\nexit $?`);
      const env = await startTimeSkippingServer({ resolve: { env: { TEMPORAL_TEST_SERVER_PATH: wrapper } } });
      const port = env.address.split(':')[1]!;
      try {
        assert.equal((await processesMatching(`TestServer ${port}`)).length, 1, 'one JVM on the port');
        const before = await env.currentTimeMs();
        await env.sleep('1 day');
        assert.ok((await env.currentTimeMs()) - before >= 86_400_000);
      } finally {
        await env.teardown();
      }
      assert.deepEqual(await processesMatching(`TestServer ${port}`), [], 'no JVM left');
      assert.deepEqual(await processesMatching(wrapper), [], 'no launcher left');
    });

    it('reports the last stderr lines of a server that exits before it answers', async () => {
      const broken = script('broken-test-server', 'echo "first line" >&2\necho "java: not found" >&2\nexit 3');
      await assert.rejects(
        startTimeSkippingServer({ resolve: { env: { TEMPORAL_TEST_SERVER_PATH: broken } } }),
        (err: Error) => {
          assert.match(
            err.message,
            /broken-test-server \(env\) did not start: .*exited before it was ready \(exit code 3\)/,
          );
          assert.match(err.message, /Last lines of its stderr:\nfirst line\njava: not found$/);
          return true;
        },
      );
    });

    it('stops waiting when the JVM reports a failed start, rather than after two minutes', async () => {
      const marker = `${randomUUID().slice(0, 8)}`;
      const failing = script(
        `failing-test-server-${marker}`,
        'echo \'Exception in thread "main" java.lang.IllegalStateException: no\' >&2\nexec sleep 600',
      );
      const started = Date.now();
      await assert.rejects(
        startTimeSkippingServer({ resolve: { env: { TEMPORAL_TEST_SERVER_PATH: failing } } }),
        /failed to start\nLast lines of its stderr:\nException in thread "main" java\.lang\.IllegalStateException: no$/,
      );
      assert.ok(Date.now() - started < 10_000, `gave up after ${Date.now() - started} ms`);
      assert.deepEqual(await processesMatching('sleep 600'), [], 'the process was killed');
    });

    it('gives up on a server that never answers, with the last error and stderr, and kills it', async () => {
      await assert.rejects(
        spawnUntilReady({
          label: 'a silent server',
          file: script('silent-server', 'echo "starting" >&2\nexec sleep 601'),
          args: [],
          address: '127.0.0.1:1',
          probe: () => Promise.reject(new Error('connection refused')),
          processGroup: true,
          stopSignal: 'SIGKILL',
          timeoutMs: 1_500,
        }),
        /^ServerStartError: a silent server did not answer at 127\.0\.0\.1:1 within 2 s \(connection refused\)\nLast lines of its stderr:\nstarting$/,
      );
      assert.deepEqual(await processesMatching('sleep 601'), [], 'the process was killed');
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

/** Running processes whose command line contains `text`. */
async function processesMatching(text: string): Promise<string[]> {
  const { stdout } = await run('ps', ['-eww', '-o', 'pid=,args=']);
  return stdout.split('\n').filter((line) => line.includes(text));
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
};
