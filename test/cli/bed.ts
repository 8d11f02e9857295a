/**
 * The CLI tests' bed: one real dev server, the fake Slack/Geekbot/Calendar, and an in-process worker on task queue
 * `team-roles` (as production), with the CLI spawned as a child process the way an operator runs it.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { startDevServer } from '../../src/servers/environments';
import type { Member, Settings } from '../../src/domain/config';
import { roleWorkflowId, TASK_QUEUE } from '../../src/shared';
import { createRoleWorker } from '../../src/worker';
import { DEMO_MANAGER, DEMO_TEAM, startSandbox, type Sandbox } from '../../src/sandbox/sandbox';
import { ROOT, startServer, testActivityDeps, testSettings, workflowBundle, type SettingsOverlay } from '../support';

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface CliBed {
  env: TestWorkflowEnvironment;
  sandbox: Sandbox;
  /** The worker's settings. The CLI's environment has none of them: it asks the rotation or the worker. */
  settings: Settings;
  /** A TEAM_ROLES_CONFIG for a CLI command that reads one (`plan`): the bed's overlay and `more`. */
  configFile(more?: SettingsOverlay): string;
  /** Starts `team-roles <args>` as cli() does, for a test that signals it (Ctrl-C) while it runs. */
  cliProcess(args: string[], extraEnv?: Record<string, string>): ChildProcess;
  /** Runs `team-roles <args>` against the bed's server; stdin is not a terminal. */
  cli(args: string[], extraEnv?: Record<string, string>): Promise<Outcome>;
  /** Runs it on a pseudo-terminal (`script`), typing `answer` once the yes/no question shows; null without `script`. */
  cliOnTerminal(args: string[], answer: string): Promise<Outcome> | null;
  /** Terminates the roles' workflows and empties the calendar and Geekbot, so each test starts clean. */
  reset(): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

/** The environment of a spawned CLI: none of the worker's secrets, no Temporal settings but the address. */
function cliEnv(address: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(TEMPORAL_|SLACK_|GEEKBOT_|GOOGLE_|CALENDAR_ID|TEAM_ROLES_)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, TEMPORAL_ADDRESS: address, NO_COLOR: '1', ...extra };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--require', 'tsx/cjs', 'src/client/cli.ts', ...args],
      { cwd: ROOT, env, timeout: 120_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr, ms: Date.now() - started }),
    );
  });
}

const SCRIPT = ['/usr/bin/script', '/bin/script'].find((file) => existsSync(file));

/** `script -qec CMD /dev/null` gives the CLI a terminal; what we write to its stdin is typed into it. */
function runOnTerminal(args: string[], answer: string, env: NodeJS.ProcessEnv): Promise<Outcome> | null {
  if (!SCRIPT) return null;
  const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, '--require', 'tsx/cjs', 'src/client/cli.ts', ...args].map(quote).join(' ');
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(SCRIPT, ['-qec', command, '/dev/null'], { cwd: ROOT, env });
    let stdout = '';
    let answered = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!answered && stdout.includes('(y/N)')) {
        answered = true;
        child.stdin.write(answer);
      }
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr, ms: Date.now() - started });
    });
  });
}

export interface CliBedOptions {
  /** The worker's configuration over the shipped one, as a TEAM_ROLES_CONFIG file would overlay it. */
  settings?: SettingsOverlay;
  /** More Slack user groups in the fake Slack. */
  groups?: Record<string, Member[]>;
}

export async function startCliBed(options: CliBedOptions = {}): Promise<CliBed> {
  const overlay = options.settings ?? {};
  const env = await startServer('the dev server', () => startDevServer({ resolve: { sdkDownload: false } }));
  const sandbox = await startSandbox({
    groups: { 'support-triagers': DEMO_TEAM, 'meeting-facilitators': DEMO_TEAM, ...options.groups },
    standupManager: DEMO_MANAGER,
  });
  const settings = testSettings(overlay);
  const deps = await testActivityDeps(sandbox, settings);
  let worker: Worker | null = await createRoleWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue: TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    deps: { ...deps, temporalClient: () => env.client },
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'team-roles-cli-bed-'));
  let files = 0;
  const configFile = (more: SettingsOverlay = {}): string => {
    const file = path.join(dir, `config-${++files}.json`);
    writeFileSync(file, JSON.stringify({ ...overlay, ...more }));
    return file;
  };
  const running = worker.run();

  const stopWorker = async () => {
    if (!worker) return;
    worker.shutdown();
    await running;
    worker = null;
  };

  return {
    env,
    sandbox,
    settings,
    configFile,
    cli: (args, extraEnv = {}) => runCli(args, cliEnv(env.address, extraEnv)),
    cliProcess: (args, extraEnv = {}) =>
      spawn(process.execPath, ['--require', 'tsx/cjs', 'src/client/cli.ts', ...args], {
        cwd: ROOT,
        env: cliEnv(env.address, extraEnv),
      }),
    cliOnTerminal: (args, answer) => runOnTerminal(args, answer, cliEnv(env.address, {})),
    async reset() {
      for (const role of Object.keys(settings.roles)) {
        try {
          await env.client.workflow.getHandle(roleWorkflowId(role)).terminate('test reset');
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      }
      for (const calendar of Object.values(sandbox.calendar.state.calendars)) calendar.events = {};
      sandbox.geekbot.state.standups.splice(0);
    },
    stopWorker,
    async close() {
      await stopWorker();
      await sandbox.close();
      await env.teardown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Lines of a cli-table3 table's body rows as trimmed cells. */
export function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('│'))
    .map((line) =>
      line
        .split('│')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
}

/** A two-column table (label, value) as a record. */
export function tableFields(text: string): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [label, value] of tableRows(text)) if (label !== undefined) record[label] = value ?? '';
  return record;
}

/** Success: exit 0. */
export function assertOk(outcome: Outcome): void {
  assert.equal(outcome.code, 0, `exit ${outcome.code}\nstdout: ${outcome.stdout}\nstderr: ${outcome.stderr}`);
}

/** A failed command: the exit code, nothing on stdout, one line on stderr matching `pattern`. */
export function assertError(outcome: Outcome, code: 1 | 2, pattern: RegExp): void {
  assert.equal(outcome.code, code, `exit ${outcome.code}\nstdout: ${outcome.stdout}\nstderr: ${outcome.stderr}`);
  assert.equal(outcome.stdout, '', outcome.stdout);
  const lines = outcome.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, outcome.stderr);
  assert.match(lines[0] ?? '', /^team-roles: /);
  assert.match(outcome.stderr, pattern);
}
