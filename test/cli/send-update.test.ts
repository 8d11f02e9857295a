/** The CLI sends an update again when it reached a run that was just continuing as new (the update was not applied). */
import assert from 'node:assert/strict';
import { ServiceError } from '@temporalio/client';
import { isRunEndingRefusal, sendUpdate } from '../../src/client/session';

function grpcError(code: number, details: string): ServiceError {
  const cause = Object.assign(new Error(`${code} ${details}`), { code, details });
  return new ServiceError(`Unexpected error while making gRPC request: ${details}`, { cause });
}

describe('sendUpdate: an update that reaches a run while it continues as new', () => {
  const closing = () => grpcError(9, 'workflow execution already completed: continued as new');

  it('recognises the refusals of an ending run, and nothing else', () => {
    assert.ok(isRunEndingRefusal(closing()));
    assert.ok(isRunEndingRefusal(grpcError(9, 'Workflow Update was rejected: workflow task failure')));
    assert.ok(!isRunEndingRefusal(grpcError(14, 'unavailable')), 'the server being down is another error');
    assert.ok(!isRunEndingRefusal(grpcError(9, 'namespace is not active')));
    assert.ok(!isRunEndingRefusal(new Error('continued as new')), 'only the server says so');
  });

  it('sends it again until the new run takes it', async () => {
    let calls = 0;
    const result = await sendUpdate(
      () => {
        calls += 1;
        return calls < 3 ? Promise.reject(closing()) : Promise.resolve('applied');
      },
      5_000,
      1,
    );
    assert.equal(result, 'applied');
    assert.equal(calls, 3);
  });

  it('gives up after its window, and never resends another failure', async () => {
    let calls = 0;
    await assert.rejects(
      sendUpdate(
        () => {
          calls += 1;
          return Promise.reject(closing());
        },
        20,
        5,
      ),
      /continued as new/,
    );
    assert.ok(calls >= 2);
    calls = 0;
    const refused = new Error('The rotation refused the override');
    await assert.rejects(
      sendUpdate(() => {
        calls += 1;
        return Promise.reject(refused);
      }),
      (err) => err === refused,
    );
    assert.equal(calls, 1);
  });
});
