/** How the CLI explains what Temporal throws: one sentence, and exit code 2 only for the operator's mistakes. */
import assert from 'node:assert/strict';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import {
  ActivityFailure,
  ApplicationFailure,
  RetryState,
  TimeoutFailure,
  TimeoutType,
  WorkflowNotFoundError,
} from '@temporalio/common';
import { CliError, EXIT_FAILED, EXIT_USAGE } from '../../src/client/errors';
import { explain, failureError } from '../../src/client/failures';

const context = { address: 'localhost:7233', namespace: 'default', role: 'support-triager' };

describe('team-roles error messages', () => {
  it('a refused update: the validator reason, exit 2 for a wrong name, 1 otherwise', () => {
    const unknown = ApplicationFailure.create({
      message: 'No member "Bne".',
      type: 'unknown-member',
      nonRetryable: true,
    });
    const usage = explain(new WorkflowUpdateFailedError('Workflow Update failed', unknown), context);
    assert.equal(usage.exitCode, EXIT_USAGE);
    assert.equal(usage.message, 'No member "Bne".');

    const paused = ApplicationFailure.nonRetryable('The rotation is paused: resume it first.');
    const failed = explain(new WorkflowUpdateFailedError('Workflow Update failed', paused), context);
    assert.equal(failed.exitCode, EXIT_FAILED);
    assert.equal(failed.message, 'The rotation is paused: resume it first.');
  });

  it('a failed job: the activity failure inside, or a timeout in words', () => {
    const group = ApplicationFailure.create({ message: 'No Slack user group "x".', type: 'SlackUsergroupNotFound' });
    const activity = new ActivityFailure(
      'Activity task failed',
      'lookupMembers',
      '1',
      RetryState.NON_RETRYABLE_FAILURE,
      'w',
      group,
    );
    const job = failureError(new WorkflowFailedError('failed', activity, RetryState.NON_RETRYABLE_FAILURE), 'Job: ');
    assert.equal(job.exitCode, EXIT_USAGE);
    assert.equal(job.message, 'Job: No Slack user group "x".');

    const timeout = new TimeoutFailure('activity timeout', undefined, TimeoutType.SCHEDULE_TO_CLOSE);
    const slow = new ActivityFailure('Activity task failed', 'lookupMembers', '1', RetryState.TIMEOUT, 'w', timeout);
    const timedOut = failureError(slow, 'Job: ');
    assert.equal(timedOut.exitCode, EXIT_FAILED);
    assert.match(timedOut.message, /^Job: an outside service .* did not answer in time/);
  });

  it('a missing workflow says to start the rotation; a CliError passes through', () => {
    const missing = explain(new WorkflowNotFoundError('not found', 'team-roles/support-triager', undefined), context);
    assert.equal(missing.exitCode, EXIT_FAILED);
    assert.equal(
      missing.message,
      'The support-triager rotation is not running: start it with `team-roles start support-triager`.',
    );
    const own = new CliError('as is', 2);
    assert.equal(explain(own, context), own);
  });
});
