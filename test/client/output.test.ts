/** The CLI's time texts: absolute in the role's zone, relative only when the rotation runs in real time. */
import assert from 'node:assert/strict';
import { DateTime } from 'luxon';
import { instantText } from '../../src/client/output';

describe('CLI output: instants', () => {
  const now = DateTime.fromISO('2026-12-02T09:00:00Z');

  it('in the role’s time zone, with the weekday and how far from now', () => {
    assert.equal(
      instantText('2026-12-09T10:00:00Z', 'Pacific/Auckland', 1, now),
      '2026-12-09 23:00 Pacific/Auckland, Wed (in 7 days)',
    );
  });

  it('a simulated clock (sandbox --fast): no relative part, which the real now would get wrong', () => {
    assert.equal(instantText('2026-12-24T13:02:00Z', 'UTC', 10080, now), '2026-12-24 13:02 UTC, Thu');
  });

  it('leaves what is not an instant as it is', () => {
    assert.equal(instantText('soon', 'UTC', 1, now), 'soon');
  });
});
