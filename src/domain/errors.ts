/**
 * The one error the rotation engine throws for a request it cannot honour. `code` says what was wrong so the
 * workflow can turn it into an `ApplicationFailure` and the CLI into a usage error; `message` is one sentence
 * an operator can act on.
 */
export type RotationErrorCode =
  | 'unknown-member'
  | 'ambiguous-member'
  | 'empty-group'
  | 'same-member'
  | 'invalid-date'
  | 'invalid-range'
  | 'invalid-request'
  /** Nothing to act on (no acknowledgement pending): the request is fine, the rotation's state does not allow it. */
  | 'nothing-pending';

export class RotationError extends Error {
  override readonly name = 'RotationError';
  constructor(
    readonly code: RotationErrorCode,
    message: string,
  ) {
    super(message);
  }
}
