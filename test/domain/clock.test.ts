import assert from 'node:assert/strict';
import { anchorClock, clockNow, FAST_TIME_SCALE, realDuration } from '../../src/domain/clock';

const REAL = Date.parse('2026-12-01T12:00:00Z');
const MINUTE = 60_000;
const WEEK = 7 * 24 * 60 * MINUTE;

describe('clock: real time, or the sandbox fast mode simulated time', () => {
  it('is the real time when there is no anchor', () => {
    assert.equal(clockNow(null, REAL), REAL);
    assert.equal(clockNow(undefined, REAL + 5), REAL + 5);
    assert.equal(realDuration(null, 1234), 1234);
    assert.equal(realDuration(undefined, 0), 1, 'a timer is never zero');
  });

  it('real time that never ran faster needs no anchor (nothing is added to the workflow state)', () => {
    assert.equal(anchorClock(null, 1, REAL), null);
    assert.equal(anchorClock(undefined, undefined, REAL), null);
  });

  it('fast mode: a simulated week passes in a real minute', () => {
    const anchor = anchorClock(null, FAST_TIME_SCALE, REAL);
    assert.deepEqual(anchor, { realMs: REAL, virtualMs: REAL, scale: FAST_TIME_SCALE });
    assert.equal(clockNow(anchor, REAL), REAL, 'starts at the real time');
    assert.equal(clockNow(anchor, REAL + MINUTE), REAL + WEEK);
    assert.equal(realDuration(anchor, WEEK), MINUTE);
    assert.equal(realDuration(anchor, 1), 1, 'rounded up, never zero');
  });

  it('keeps its anchor while the scale stays (continue-as-new carries it on)', () => {
    const anchor = anchorClock(null, 100, REAL)!;
    assert.equal(anchorClock(anchor, 100, REAL + 10 * MINUTE), anchor);
  });

  it('a changed scale re-anchors at the simulated time reached: it never goes back', () => {
    const fast = anchorClock(null, FAST_TIME_SCALE, REAL)!;
    const later = REAL + 3 * MINUTE; // three simulated weeks on
    const slow = anchorClock(fast, 1, later)!;
    assert.deepEqual(slow, { realMs: later, virtualMs: REAL + 3 * WEEK, scale: 1 });
    assert.equal(clockNow(slow, later + MINUTE), REAL + 3 * WEEK + MINUTE, 'then runs at real speed');
    assert.equal(realDuration(slow, MINUTE), MINUTE);
  });

  it('tests only: a shift starts the clock as if it were another day, then runs at real speed', () => {
    const shift = 3 * 24 * 60 * MINUTE + 7 * MINUTE;
    const anchor = anchorClock(null, 1, REAL, shift)!;
    assert.deepEqual(anchor, { realMs: REAL, virtualMs: REAL + shift, scale: 1 });
    assert.equal(clockNow(anchor, REAL + MINUTE), REAL + shift + MINUTE);
    assert.equal(realDuration(anchor, MINUTE), MINUTE);
    assert.equal(anchorClock(anchor, 1, REAL + MINUTE, shift), anchor, 'kept across continue-as-new');
    assert.equal(
      anchorClock(anchor, 1, REAL + MINUTE),
      anchor,
      'a later run without the shift keeps the dates reached',
    );
    const fast = anchorClock(null, FAST_TIME_SCALE, REAL, shift)!;
    assert.equal(clockNow(fast, REAL + MINUTE), REAL + shift + WEEK, 'fast mode from the shifted time');
    assert.throws(() => anchorClock(null, 1, REAL, Number.NaN), /finite/);
  });

  it('refuses a scale below 1', () => {
    assert.throws(() => anchorClock(null, 0.5, REAL), /at least 1/);
    assert.throws(() => anchorClock(null, Number.NaN, REAL), /at least 1/);
  });
});
