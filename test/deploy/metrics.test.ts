/**
 * `curl localhost:<port>/metrics` against the sandbox worker of `npm run dev -- --metrics 127.0.0.1:<port>`: Temporal's
 * metrics and the product's counters, on ports chosen freely (several runs can coexist). `npm run dev -- --help`
 * prints the options.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../cli/bed';

const ROOT = path.resolve(__dirname, '..', '..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** The environment of `npm run dev` with no credentials (so: the sandbox) and no Temporal settings. */
function devEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(TEMPORAL_(ADDRESS|NAMESPACE|METRICS_BIND)|SLACK_|GEEKBOT_|GOOGLE_|CALENDAR_ID|TEAM_ROLES_)/.test(key))
      continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: '1' };
}

function dev(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--require', 'tsx/cjs', 'scripts/dev.ts', ...args], { cwd: ROOT, env: devEnv() });
}

async function metrics(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(response.status, 200);
  return response.text();
}

describe('npm run dev: the worker’s Prometheus metrics', function () {
  this.timeout(300_000);
  let child: ChildProcess | undefined;
  let dataDir: string;
  let output = '';

  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'team-roles-metrics-'));
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('close', resolve));
      child.kill('SIGINT');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('--help prints the dev options instead of failing', async () => {
    const help = dev(['--help']);
    let text = '';
    help.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const code = await new Promise((resolve) => help.on('close', resolve));
    assert.equal(code, 0, text);
    assert.match(text, /^Usage: npm run dev -- \[options\]/);
    assert.match(text, /--metrics <host:port>/);
  });

  it('serves Temporal’s metrics and the product’s counters at --metrics, on ports of our choosing', async () => {
    const [port, uiPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
    child = dev([
      '--port',
      String(port),
      '--ui-port',
      String(uiPort),
      '--metrics',
      `127.0.0.1:${metricsPort}`,
      '--data',
      dataDir,
      '--sandbox',
    ]);
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm run dev did not start:\n${output}`)), 240_000);
      const check = () => {
        if (output.includes('Ctrl-C stops everything.')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child!.stdout!.on('data', check);
      child!.once('close', (code) => reject(new Error(`npm run dev exited (${code}):\n${output}`)));
    });
    assert.match(output, new RegExp(`Metrics: +http://127\\.0\\.0\\.1:${metricsPort}/metrics`));

    // A handover through the CLI: a notice goes out (Geekbot, the sandbox's) and the rotation turns.
    const handover = await runCli(['handover-now', 'support-triager', '--json'], {
      ...devEnv(),
      TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    });
    assert.equal(handover.code, 0, handover.stderr);

    let text = '';
    for (let i = 0; i < 50; i++) {
      text = await metrics(metricsPort);
      if (/^team_roles_handovers/m.test(text)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Temporal's own: the worker's polls and tasks.
    assert.match(text, /^temporal_workflow_task_queue_poll_succeed\{/m);
    assert.match(text, /^temporal_activity_execution_latency/m);
    // The product's counters.
    assert.match(text, /^team_roles_handovers(_total)?\{[^}]*role="support-triager"[^}]*\} 1$/m);
    assert.match(text, /^team_roles_notices_sent(_total)?\{[^}]*role="support-triager"/m);
  });
});
