/**
 * The compose healthcheck, run as compose runs it (`node lib/health.js`, here from its source through tsx), against a
 * real worker: healthy while the worker polls, unhealthy once it stops (shut down) or its server is gone.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { parse } from 'yaml';
import { buildActivityDeps } from '../../src/activities/deps';
import { startDevServer } from '../../src/servers/environments';
import { createRoleWorker } from '../../src/worker';
import { keepHealthFile } from '../../src/worker-health';
import { roleBed, workflowBundle, type RoleBed } from '../support';

const ROOT = path.resolve(__dirname, '..', '..');

/** The compose file's healthcheck command, with lib/<x>.js run from src/<x>.ts (no build needed). */
function healthcheckCommand(): string[] {
  const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: { worker: { healthcheck: { test: string[] } } };
  };
  const [kind, node, script, ...rest] = compose.services.worker.healthcheck.test;
  assert.equal(kind, 'CMD');
  assert.equal(node, 'node');
  const source = script!.replace(/^lib\/(.*)\.js$/, 'src/$1.ts');
  return ['--require', 'tsx/cjs', source, ...rest];
}

function runHealthcheck(file: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      healthcheckCommand(),
      { cwd: ROOT, env: { ...process.env, TEAM_ROLES_HEALTH_FILE: file, TEAM_ROLES_HEALTH_MAX_AGE: '5' } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('worker health: the compose healthcheck against a real worker', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let bed: RoleBed;
  let dir: string;

  before(async () => {
    env = await startDevServer({ resolve: { sdkDownload: false } });
    bed = await roleBed(env);
    dir = mkdtempSync(path.join(tmpdir(), 'team-roles-health-'));
  });
  after(async () => {
    await bed?.close();
    await env?.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const startWatched = async (file: string) => {
    const worker: Worker = await bed.worker();
    const running = worker.run();
    const health = keepHealthFile(worker, env.nativeConnection, { file, intervalMs: 250 });
    return { worker, running, health };
  };

  it('passes while the worker polls and fails once it is shut down', async () => {
    const file = path.join(dir, 'shutdown.json');
    assert.equal((await runHealthcheck(file)).code, 1, 'no heartbeat before the worker starts');
    const { worker, running, health } = await startWatched(file);
    await until('the healthcheck passes', async () => (await runHealthcheck(file)).code === 0);
    const healthy = await runHealthcheck(file);
    assert.match(healthy.output, /^healthy: .* polls test-.* in default \(last poll seen /);

    worker.shutdown();
    await running;
    await until('the healthcheck fails', async () => (await runHealthcheck(file)).code === 1, 10_000);
    assert.match((await runHealthcheck(file)).output, /^unhealthy: no heartbeat at /);
    await health.stop();
  });

  it('fails when the server the worker polls goes away', async () => {
    // A server of its own, and a connection of the worker's own: stopping the server leaves the worker trying.
    const server = await startDevServer({ resolve: { sdkDownload: false } });
    const connection = await NativeConnection.connect({ address: server.address });
    const worker = await createRoleWorker({
      connection,
      namespace: 'default',
      taskQueue: 'health-test',
      workflowBundle: await workflowBundle(),
      deps: await buildActivityDeps(bed.sandbox.env, bed.settings),
    });
    const running = worker.run();
    const file = path.join(dir, 'server-gone.json');
    const health = keepHealthFile(worker, connection, { file, intervalMs: 250 });
    try {
      await until('the healthcheck passes', async () => (await runHealthcheck(file)).code === 0);
      await server.teardown();
      await until('the healthcheck fails', async () => (await runHealthcheck(file)).code === 1, 20_000);
    } finally {
      await health.stop();
      worker.shutdown();
      await running.catch(() => undefined);
      await connection.close();
    }
  });
});
