import assert from 'node:assert/strict';
import { RequestBudget } from '../../src/activities/request-budget';

/** A budget on a hand-driven clock: sleeping moves the clock, so the test sees exactly when each request starts. */
function manualBudget(limit: number, windowMs: number) {
  let now = 0;
  const sleeps: number[] = [];
  const budget = new RequestBudget({
    limit,
    windowMs,
    now: () => now,
    sleep: (ms) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  });
  return { budget, sleeps, advance: (ms: number) => (now += ms), time: () => now };
}

describe('RequestBudget (sliding window, as Google counts its per-user quota)', () => {
  it('lets requests through at once while under the limit', async () => {
    const { budget, sleeps } = manualBudget(3, 60_000);
    for (let i = 0; i < 3; i++) await budget.take();
    assert.deepEqual(sleeps, []);
    assert.equal(budget.inWindow, 3);
  });

  it('makes the next request wait until the oldest leaves the window', async () => {
    const { budget, sleeps, advance, time } = manualBudget(2, 60_000);
    await budget.take(); // t=0
    advance(10_000);
    await budget.take(); // t=10s
    await budget.take(); // waits for t=60s
    assert.deepEqual(sleeps, [50_000]);
    assert.equal(time(), 60_000);
    await budget.take(); // the one of t=10s leaves at t=70s
    assert.deepEqual(sleeps, [50_000, 10_000]);
    assert.equal(budget.inWindow, 2);
  });

  it('never lets more than the limit start in any window (600 requests, 500 per minute)', async () => {
    const { budget, time } = manualBudget(500, 60_000);
    const starts: number[] = [];
    for (let i = 0; i < 600; i++) {
      await budget.take();
      starts.push(time());
    }
    for (const [i, start] of starts.entries()) {
      const inWindow = starts.filter((other, j) => j <= i && other > start - 60_000).length;
      assert.ok(inWindow <= 500, `request ${i}: ${inWindow} in the minute before it`);
    }
    assert.equal(starts[499], 0);
    assert.equal(starts[500], 60_000);
  });

  it('stops waiting when the activity is cancelled', async () => {
    const budget = new RequestBudget({ limit: 1, windowMs: 60_000 });
    await budget.take();
    const controller = new AbortController();
    const waiting = budget.take(controller.signal);
    const reason = new Error('cancelled by Temporal');
    controller.abort(reason);
    await assert.rejects(waiting, (err) => err === reason);
  });

  it('refuses a limit below 1', () => {
    assert.throws(() => new RequestBudget({ limit: 0, windowMs: 1000 }), RangeError);
  });
});
