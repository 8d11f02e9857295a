/**
 * Plumbing shared by the fault scenarios: the workflow bundle, real worker processes that can be SIGKILLed, free
 * ports, the histories of every run of a workflow, and the evidence (histories, worker logs) that the secrets
 * scenario checks at the end of the suite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { stateQuery, type RoleStateView } from '../../src/shared';
import type { Sandbox } from '../../src/sandbox/sandbox';

export const ROOT = path.resolve(__dirname, '..', '..');
export const EventType = temporal.api.enums.v1.EventType;
export type History = temporal.api.history.v1.IHistory;

// ---------------------------------------------------------------------------------------------------------------
// Evidence for the secrets scenario: every history fetched and every log line written, scanned as it comes in
// against every test secret known so far (a secret is known before any worker can use it).
// ---------------------------------------------------------------------------------------------------------------

export interface Leak {
  source: string;
  what: string;
  excerpt: string;
}

interface Secret {
  label: string;
  value: string;
}

/** A signed JWT (the Calendar client's bearer token): a live credential in its own right. */
const JWT = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{16,}/;

export const evidence = {
  secrets: [] as Secret[],
  leaks: [] as Leak[],
  histories: 0,
  historyEvents: 0,
  historyBytes: 0,
  logLines: 0,
  logBytes: 0,
  processes: 0,
};

/** Registers a sandbox's tokens and key (and their base64 forms) as secrets that must never show up. */
export function rememberSecrets(sandbox: Sandbox): void {
  for (const [i, value] of sandbox.secrets.entries()) {
    const label = ['Slack bot token', 'Geekbot API key', 'service-account private key'][i] ?? `secret ${i}`;
    evidence.secrets.push({ label, value });
    evidence.secrets.push({ label: `${label} (base64)`, value: Buffer.from(value).toString('base64') });
  }
}

/** Scans `text` for every known secret and for signed JWTs; returns the leaks found (also recorded). */
export function scanForSecrets(source: string, text: string): Leak[] {
  const found = findSecrets(source, text);
  evidence.leaks.push(...found);
  return found;
}

/** The secrets (and signed JWTs) in `text`, without recording them. */
export function findSecrets(source: string, text: string): Leak[] {
  const found: Leak[] = [];
  for (const secret of evidence.secrets) {
    const at = text.indexOf(secret.value);
    if (at >= 0) found.push({ source, what: secret.label, excerpt: mask(text, at, secret.value.length) });
  }
  const jwt = JWT.exec(text);
  if (jwt) found.push({ source, what: 'a signed JWT (bearer token)', excerpt: mask(text, jwt.index, jwt[0].length) });
  return found;
}

function mask(text: string, at: number, length: number): string {
  const before = text.slice(Math.max(0, at - 60), at);
  const after = text.slice(at + length, at + length + 60);
  return `${before}<${length} secret characters>${after}`.replace(/\s+/g, ' ');
}

/** Histories carry payloads as bytes: render them as text (UTF-8 and base64) so a secret inside cannot hide. */
export function historyText(history: History): string {
  const parts: string[] = [];
  const walk = (value: unknown, depth: number): void => {
    if (value === null || value === undefined || depth > 64) return;
    if (value instanceof Uint8Array) {
      const bytes = Buffer.from(value);
      parts.push(bytes.toString('utf8'), bytes.toString('base64'));
    } else if (Array.isArray(value)) {
      for (const item of value) walk(item, depth + 1);
    } else if (typeof value === 'object') {
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        parts.push(key);
        walk(item, depth + 1);
      }
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      parts.push(String(value));
    } else if (typeof value === 'bigint') {
      parts.push(value.toString());
    }
  };
  walk(history, 0);
  return parts.join('\n');
}

export function recordHistory(source: string, history: History): void {
  const text = historyText(history);
  evidence.histories += 1;
  evidence.historyEvents += history.events?.length ?? 0;
  evidence.historyBytes += text.length;
  scanForSecrets(`history of ${source}`, text);
}

export function recordLog(source: string, text: string): void {
  if (text === '') return;
  evidence.logLines += text.split('\n').length;
  evidence.logBytes += text.length;
  scanForSecrets(source, text);
}

/**
 * Captures everything the in-process workers log (every level, with metadata) by wrapping the Runtime's logger,
 * which test/setup.ts installed. The fault scenarios make activities fail by the hundred, so only errors are
 * printed (FAULTS_VERBOSE=1 prints what setup.ts would).
 */
let capturing = false;
export function captureRuntimeLogs(): void {
  if (capturing) return;
  capturing = true;
  const logger = Runtime.instance().logger;
  const original = logger.log.bind(logger);
  logger.log = (level, message, meta) => {
    recordLog('in-process worker log', `${level} ${message} ${safeJson(meta)}`);
    if (level === 'ERROR' || process.env.FAULTS_VERBOSE) original(level, message, meta);
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, item: unknown) =>
      item instanceof Uint8Array ? Buffer.from(item).toString('utf8') : typeof item === 'bigint' ? String(item) : item,
    );
  } catch {
    return String(value);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Histories
// ---------------------------------------------------------------------------------------------------------------

/** The histories of every run of `workflowId`, latest first, following continue-as-new back to the first run. */
export async function runHistories(client: Client, workflowId: string): Promise<History[]> {
  const histories: History[] = [];
  let runId: string | undefined;
  for (;;) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    histories.push(history);
    const previous = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    if (!previous) return histories;
    runId = previous;
  }
}

export function countEvents(histories: History[], type: temporal.api.enums.v1.EventType): number {
  return histories.reduce((n, h) => n + (h.events ?? []).filter((e) => e.eventType === type).length, 0);
}

/** Fetches, records (for the secrets scenario) and returns the histories of all runs of `workflowId`. */
export async function collectHistories(client: Client, workflowId: string, source: string): Promise<History[]> {
  const histories = await runHistories(client, workflowId);
  for (const [i, history] of histories.entries()) recordHistory(`${source} run ${histories.length - i}`, history);
  return histories;
}

/** Failed workflow tasks, with their cause and message, for an assertion message. */
export function workflowTaskFailures(histories: History[]): string[] {
  return histories.flatMap((h) =>
    (h.events ?? [])
      .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
      .map((e) => {
        const a = e.workflowTaskFailedEventAttributes;
        const cause = temporal.api.enums.v1.WorkflowTaskFailedCause[a?.cause ?? 0] ?? String(a?.cause);
        return `event ${String(e.eventId)}: ${cause}${a?.failure?.message ? `: ${a.failure.message}` : ''}`;
      }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The workflow bundle and small helpers
// ---------------------------------------------------------------------------------------------------------------

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The product's workflows, bundled once per test process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) },
  });
  return bundle;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts a server, trying again on failure: the SDK gives the Java test server 5 s to come up, which a JVM on a
 * busy 2-core machine sometimes misses.
 */
export async function startServer<T>(what: string, start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= attempts) throw err;
      console.log(`      ${what} did not start (${(err as Error).message.split('\n')[0]}); trying again`);
    }
  }
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs` with `what`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 60_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await sleep(intervalMs);
  }
}

/** The `state` query, retried while the workflow is starting or no worker answers yet. */
export function stateOf(handle: WorkflowHandle, timeoutMs = 120_000): Promise<RoleStateView> {
  return waitFor('the state query', () => handle.query(stateQuery), { timeoutMs, intervalMs: 200 });
}

/** A TCP port that is free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A temporary folder removed by `cleanup()`. */
export function tempDir(prefix: string): { dir: string; file(name: string, content: string): string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `team-roles-${prefix}-`));
  return {
    dir,
    file(name, content) {
      const file = path.join(dir, name);
      writeFileSync(file, content);
      return file;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function elapsed(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

// ---------------------------------------------------------------------------------------------------------------
// The production worker as a child process: `node_modules/.bin/tsx src/worker.ts`
// ---------------------------------------------------------------------------------------------------------------

const running = new Set<ChildProcess>();

// Safety net: a failing test must not leave a worker behind. Each worker leads its own process group (tsx runs
// the real worker as its child), so the whole group is killed, by its id.
process.once('exit', () => {
  for (const child of running) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

export class WorkerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<Exit> | undefined;
  /** Everything the current process wrote to stdout and stderr. */
  output = '';
  starts = 0;
  kills = 0;

  constructor(
    readonly name: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns the worker and resolves once it polls (or rejects with its output if it exits first). */
  async start(timeoutMs = 240_000): Promise<void> {
    if (this.alive) throw new Error(`${this.name}: already running`);
    const exit = this.spawn();
    const polling = waitFor(`${this.name} to poll its task queue`, () => this.output.includes('worker polling'), {
      timeoutMs,
      intervalMs: 50,
    });
    const result = await Promise.race([polling.then(() => undefined), exit]);
    if (result !== undefined) {
      throw new Error(
        `${this.name} exited before polling (code ${result.code}, signal ${result.signal}):\n${tail(result.output)}`,
      );
    }
    this.starts += 1;
  }

  /** Runs the worker to its exit (for configurations that must make it fail at start). */
  async runToExit(timeoutMs = 120_000): Promise<Exit> {
    const exit = this.spawn();
    const timer = sleep(timeoutMs).then(() => 'timeout' as const);
    const result = await Promise.race([exit, timer]);
    if (result === 'timeout') {
      await this.kill();
      throw new Error(`${this.name} was still running after ${timeoutMs} ms:\n${tail(this.output)}`);
    }
    return result;
  }

  /** SIGKILL to the worker's process group (tsx and the worker it runs), then waits for the exit. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child?.pid || !this.alive) return;
    this.kills += 1;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
    await this.exited;
  }

  private spawn(): Promise<Exit> {
    this.output = '';
    const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/worker.ts'], {
      cwd: ROOT,
      env: this.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    running.add(child);
    evidence.processes += 1;
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    this.exited = new Promise<Exit>((resolve) => {
      child.once('close', (code, signal) => {
        running.delete(child);
        recordLog(`output of worker process ${this.name}`, this.output);
        resolve({ code, signal, output: this.output });
      });
    });
    return this.exited;
  }
}

function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}
