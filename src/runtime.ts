/**
 * The worker process's Temporal runtime, installed once before any connection: its logs and its metrics.
 *
 * - Logs: JSON lines when stdout is not a terminal (a container, systemd: log collectors parse them), readable text
 *   lines on a terminal; `TEAM_ROLES_LOG_FORMAT=json|text` chooses, `TEAM_ROLES_LOG_LEVEL` (TRACE, DEBUG, INFO, WARN,
 *   ERROR; default INFO) filters. The Rust core's own warnings are forwarded into the same stream.
 * - Metrics: with `TEMPORAL_METRICS_BIND=host:port` the runtime serves Prometheus metrics at
 *   `http://host:port/metrics`: Temporal's (polls, task latencies, slots) and the product's counters
 *   (src/activities/metrics.ts, handovers in the role workflow). Unset, no port is opened.
 */
import { DefaultLogger, makeTelemetryFilterString, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const satisfies readonly LogLevel[];

export interface ObservabilityOptions {
  /** `host:port` of the Prometheus endpoint; none when undefined. */
  metricsBind?: string;
  logLevel: LogLevel;
  logFormat: 'json' | 'text';
}

/** Thrown for a setting that cannot be used; the message names the variable. */
export class ObservabilityConfigError extends Error {
  override readonly name = 'ObservabilityConfigError';
}

/** The settings from the environment, checked so that a typo is named at start rather than ignored. */
export function observabilityFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  stdoutIsTerminal = process.stdout.isTTY === true,
): ObservabilityOptions {
  const level = (env.TEAM_ROLES_LOG_LEVEL?.trim() || 'INFO').toUpperCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ObservabilityConfigError(
      `TEAM_ROLES_LOG_LEVEL=${env.TEAM_ROLES_LOG_LEVEL} is not a log level: use one of ${LOG_LEVELS.join(', ')}.`,
    );
  }
  const format = env.TEAM_ROLES_LOG_FORMAT?.trim().toLowerCase() || (stdoutIsTerminal ? 'text' : 'json');
  if (format !== 'json' && format !== 'text') {
    throw new ObservabilityConfigError(`TEAM_ROLES_LOG_FORMAT=${env.TEAM_ROLES_LOG_FORMAT} must be json or text.`);
  }
  const metricsBind = env.TEMPORAL_METRICS_BIND?.trim() || undefined;
  if (metricsBind !== undefined) checkBindAddress(metricsBind, 'TEMPORAL_METRICS_BIND');
  return { metricsBind, logLevel: level as LogLevel, logFormat: format };
}

/** `host:port` (IPv4, a name, or `[IPv6]`) with a port from 1 to 65535. */
export function checkBindAddress(value: string, name: string): void {
  const match = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d+)$/.exec(value);
  const port = match ? Number(match[2]) : NaN;
  if (!match || !(port >= 1 && port <= 65_535)) {
    throw new ObservabilityConfigError(
      `${name}=${value} is not host:port (for example 127.0.0.1:9464, or 0.0.0.0:9464 inside a container).`,
    );
  }
}

export interface InstallOptions extends ObservabilityOptions {
  /** Where log lines go (default stdout). */
  write?: (line: string) => void;
  /** Entries to leave out (the sandbox hides the worker's start-up chatter). */
  skip?: (entry: LogEntry) => boolean;
}

/** Installs the runtime; call once, before creating connections or workers. */
export function installRuntime(options: InstallOptions): void {
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const format = options.logFormat === 'json' ? jsonLogLine : textLogLine;
  Runtime.install({
    logger: new DefaultLogger(options.logLevel, (entry) => {
      if (options.skip?.(entry)) return;
      write(`${format(entry)}\n`);
    }),
    telemetryOptions: {
      // The core's own logs (connection trouble, poll errors) into the same stream: its warnings and errors, and
      // everything at DEBUG and TRACE (at INFO it describes its own start-up and shutdown).
      logging: { filter: makeTelemetryFilterString({ core: coreLevel(options.logLevel) }), forward: {} },
      ...(options.metricsBind ? { metrics: { prometheus: { bindAddress: options.metricsBind } } } : {}),
    },
  });
}

function coreLevel(level: LogLevel): LogLevel {
  return level === 'TRACE' || level === 'DEBUG' || level === 'ERROR' ? level : 'WARN';
}

/** One JSON object per line: time, level, message, then the entry's metadata (workflow, activity, role, ...). */
export function jsonLogLine(entry: LogEntry): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  return JSON.stringify({ time, level: entry.level, message: entry.message, ...entry.meta }, (_key, value: unknown) => {
    if (typeof value === 'bigint') return value.toString();
    // An Error's fields are not enumerable: without this it would print as {}.
    if (value instanceof Error) return { name: value.name, message: value.message };
    return value;
  });
}

// Temporal's own context on every entry (task tokens, run IDs, queue): kept in JSON, noise on a terminal.
const CONTEXT_KEYS = new Set([
  'sdkComponent',
  'taskQueue',
  'namespace',
  'taskToken',
  'isLocal',
  'activityId',
  'workflowRunId',
  'workflowType',
  'runId',
]);

/** One line per entry: time, level, what happened, and the facts that matter (`key=value`). */
export function textLogLine(entry: LogEntry): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString().slice(11, 19);
  const facts = Object.entries(entry.meta ?? {})
    .filter(([key, value]) => !CONTEXT_KEYS.has(key) && !(key === 'attempt' && value === 1) && value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return [time, entry.level.padEnd(5), entry.message, ...facts].join(' ');
}
