/**
 * Turns what Temporal throws into one sentence that says what to do, with the exit code the operators' scripts
 * rely on: 2 when their input was wrong (unknown member, bad date), 1 when the operation failed.
 */
import {
  QueryNotRegisteredError,
  ServiceError,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import {
  ApplicationFailure,
  NamespaceNotFoundError,
  TemporalFailure,
  TimeoutFailure,
  WorkflowNotFoundError,
} from '@temporalio/common';
import { CliError, EXIT_FAILED, EXIT_USAGE } from './errors';

/** Failure types that mean the operator asked for something impossible (domain `RotationError` codes and kin). */
const USAGE_FAILURES = new Set([
  'unknown-member',
  'ambiguous-member',
  'same-member',
  'invalid-date',
  'invalid-range',
  'invalid-request',
  'ConfigError',
  'UnknownRole',
  'InvalidInput',
  'SlackUsergroupNotFound',
]);

/** The innermost failure of a chain (workflow failed → activity failed → application failure). */
export function rootFailure(err: unknown): Error {
  let current = err instanceof Error ? err : new Error(String(err));
  while (current.cause instanceof TemporalFailure) current = current.cause;
  return current;
}

/** An ApplicationFailure (or a chain ending in one) as a CLI error with the right exit code. */
export function failureError(err: unknown, prefix = ''): CliError {
  const root = rootFailure(err);
  if (root instanceof TimeoutFailure) {
    return new CliError(
      `${prefix}an outside service (Slack, Geekbot or Google Calendar) did not answer in time: check the worker's log, then try again.`,
    );
  }
  const type = root instanceof ApplicationFailure ? root.type : undefined;
  const code = type && USAGE_FAILURES.has(type) ? EXIT_USAGE : EXIT_FAILED;
  return new CliError(`${prefix}${root.message}`, code);
}

export interface FailureContext {
  /** The role whose workflow the command talked to. */
  role?: string;
  /** The Temporal address and namespace, for messages about the connection. */
  address: string;
  namespace: string;
  /** What the command waited for, for a timeout message ("the support-triager rotation"). */
  waitedFor?: string;
}

/** The role's rotation is not running (never started, or its last run ended). */
export class NotRunningError extends CliError {
  constructor(
    readonly role: string,
    message = `The ${role} rotation is not running: start it with \`team-roles start ${role}\`.`,
  ) {
    super(message);
  }
}

export function notRunning(role: string): CliError {
  return new NotRunningError(role);
}

/** Any error from a command, explained; a CliError passes through. */
export function explain(err: unknown, context: FailureContext): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof WorkflowNotFoundError && context.role) return notRunning(context.role);
  if (err instanceof WorkflowUpdateFailedError) return failureError(err.cause ?? err);
  if (err instanceof WorkflowFailedError) return failureError(err.cause ?? err);
  if (err instanceof ApplicationFailure || err instanceof TemporalFailure) return failureError(err);
  if (err instanceof NamespaceNotFoundError) {
    return new CliError(
      `Namespace "${err.namespace}" does not exist at ${context.address}: set TEMPORAL_NAMESPACE (or the profile's namespace) to an existing one.`,
    );
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpc(err, 4 /* DEADLINE_EXCEEDED */)) {
    return new CliError(
      `No answer from ${context.waitedFor ?? 'the workflow'} in time: check that a team-roles worker is running (\`npm start\`) on task queue team-roles; what was sent is still processed when it comes back.`,
    );
  }
  if (isGrpc(err, 7 /* PERMISSION_DENIED */) || isGrpc(err, 16 /* UNAUTHENTICATED */)) {
    return new CliError(
      `Temporal at ${context.address} refused the request (${(err as Error).message}): check TEMPORAL_API_KEY or the TLS client certificate, and TEMPORAL_NAMESPACE (${context.namespace}).`,
    );
  }
  if (err instanceof QueryNotRegisteredError) return new CliError(err.message.replace(/^.*?: /, ''));
  return new CliError(err instanceof Error ? err.message : String(err));
}

function isGrpc(err: unknown, code: number): boolean {
  if (err instanceof ServiceError) return (err.cause as { code?: number } | undefined)?.code === code;
  return (err as { code?: unknown } | null)?.code === code;
}
