/**
 * What only the fault scenarios need on top of test/support: the evidence (histories, worker logs) that the secrets
 * scenario checks at the end of the suite, gathered as the other scenarios run.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime } from '@temporalio/worker';
import type { Sandbox } from '../../src/sandbox/sandbox';
import {
  runHistories,
  workerEnvironment,
  workflowBundleFile,
  WorkerProcess,
  type RunHistory,
  type WorkerProcessOptions,
} from '../support';

type History = temporal.api.history.v1.IHistory;

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

function recordHistoryEvidence(source: string, history: History): void {
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

/** Fetches, records (for the secrets scenario) and returns the histories of all runs of `workflowId`, oldest first. */
export async function collectHistories(client: Client, workflowId: string, source: string): Promise<RunHistory[]> {
  const runs = await runHistories(client, workflowId);
  for (const [i, run] of runs.entries()) recordHistoryEvidence(`${source} run ${i + 1}`, run);
  return runs;
}

/** The worker as a process of its own (test/support), its output kept as evidence for the secrets scenario. */
export function faultWorker(name: string, env: NodeJS.ProcessEnv, options: WorkerProcessOptions = {}): WorkerProcess {
  return new WorkerProcess(name, env, {
    ...options,
    onExit: (exit) => {
      evidence.processes += 1;
      recordLog(`output of worker process ${name}`, exit.output);
    },
  });
}

/**
 * A scenario's worker process against `server` and the sandbox, as an operator runs `npm start`: the sandbox's
 * environment, a TEAM_ROLES_CONFIG file and a TEAM_ROLES_SECRETS_DIR, the workflows from the tests' bundle file.
 */
export async function sandboxWorker(
  name: string,
  server: Pick<TestWorkflowEnvironment, 'address' | 'namespace'>,
  sandbox: Pick<Sandbox, 'env'>,
  files: { config: string; secretsDir: string },
): Promise<WorkerProcess> {
  const env = workerEnvironment(server, sandbox, {
    TEAM_ROLES_CONFIG: files.config,
    TEAM_ROLES_SECRETS_DIR: files.secretsDir,
  });
  return faultWorker(name, env, { bundleFile: await workflowBundleFile() });
}
