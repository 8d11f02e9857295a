import { ApplicationFailure } from '@temporalio/workflow';

/** A domain error names the problem; as a non-retryable failure it rejects the update with that sentence. */
export function asRequestFailure(err: unknown): Error {
  if (err instanceof Error && (err.name === 'RotationError' || err.name === 'ConfigError')) {
    const code = (err as Error & { code?: string }).code ?? err.name;
    return ApplicationFailure.create({ message: err.message, type: code, nonRetryable: true });
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** The sentence an activity failure carries (its cause's, for an ActivityFailure). */
export function describeFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : err.message;
}

/** Before start-up: the query that cannot be answered yet says so (the CLI waits and asks again). */
export function notReady(): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    'The rotation is starting (reading its configuration and the Slack group): try again in a moment.',
    'NotReady',
  );
}
