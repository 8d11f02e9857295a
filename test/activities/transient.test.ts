import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, nonRetryable, retryable } from '../../src/activities/errors';
import { retryTransient } from '../../src/activities/transient';

/** A call failing with `failures` in turn, then answering. */
function flaky(failures: Error[]) {
  let calls = 0;
  const call = () => {
    calls += 1;
    const failure = failures[calls - 1];
    return failure ? Promise.reject(failure) : Promise.resolve('answer');
  };
  return { call, calls: () => calls };
}

describe('retryTransient: quick retries of one outside call inside an activity attempt', () => {
  const pauses: number[] = [];
  const sleep = (ms: number) => {
    pauses.push(ms);
    return Promise.resolve();
  };
  beforeEach(() => (pauses.length = 0));
  const outage = () => retryable(FailureType.ServiceUnavailable, 'HTTP 503');

  it('tries a call that failed in a way Temporal would retry again, and returns its answer', async () => {
    const target = flaky([outage(), outage()]);
    assert.equal(await retryTransient(target.call, { sleep }), 'answer');
    assert.equal(target.calls(), 3);
    assert.equal(pauses.length, 2);
    assert.ok(pauses[0]! >= 100 && pauses[0]! <= 300 && pauses[1]! >= 200 && pauses[1]! <= 600, String(pauses));
  });

  it('waits as long as the service asked (Retry-After), when that is short', async () => {
    const target = flaky([retryable(FailureType.RateLimited, '429', 1_000)]);
    assert.equal(await retryTransient(target.call, { sleep }), 'answer');
    assert.deepEqual(pauses, [1_000]);
  });

  it('leaves a long Retry-After, a persisting outage and a final failure to Temporal', async () => {
    const long = retryable(FailureType.RateLimited, '429', 30_000);
    await assert.rejects(retryTransient(flaky([long]).call, { sleep }), (err) => err === long);
    const persisting = flaky([outage(), outage(), outage(), outage()]);
    await assert.rejects(retryTransient(persisting.call, { sleep }), ApplicationFailure);
    assert.equal(persisting.calls(), 3, 'three tries, then the activity attempt fails');
    const final = nonRetryable(FailureType.SlackAuth, 'invalid_auth');
    const once = flaky([final]);
    await assert.rejects(retryTransient(once.call, { sleep }), (err) => err === final);
    assert.equal(once.calls(), 1);
    const unclassified = flaky([new Error('a bug')]);
    await assert.rejects(retryTransient(unclassified.call, { sleep }), /a bug/);
    assert.equal(unclassified.calls(), 1, 'only classified failures are tried again');
  });

  it('tries a call that may have taken effect again only after a rate limit', async () => {
    const dropped = flaky([outage()]);
    await assert.rejects(retryTransient(dropped.call, { sleep, idempotent: false }), ApplicationFailure);
    assert.equal(dropped.calls(), 1, 'a POST whose answer was lost is not sent twice');
    const limited = flaky([retryable(FailureType.RateLimited, '429', 500)]);
    assert.equal(await retryTransient(limited.call, { sleep, idempotent: false }), 'answer');
  });
});
