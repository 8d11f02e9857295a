/** Exit codes the operators' scripts rely on (docs/contracts.md). */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
/** Ctrl-C (128 + SIGINT), as shells report a command stopped by it. */
export const EXIT_INTERRUPTED = 130;

/** An error the CLI prints as one sentence (no stack trace) before exiting with `exitCode`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILED,
  ) {
    super(message);
  }
}

/** Bad usage: wrong arguments, unknown role or member, a date that is not a date. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
  }
}
