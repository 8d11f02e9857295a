/**
 * A rotation's clock. Normally it is the wall clock. In the sandbox's fast mode (`timeScale` > 1) it is a
 * simulated clock running `scale` times faster, so a newcomer sees weekly handovers every minute through the
 * same code path: the workflow reads the time from here and divides its timers by the scale. Tests can also
 * shift it, to run as if it were another day and hour (`testShiftMs` below).
 *
 * The anchor pins the simulated time to the real time once; it travels with the workflow's state across
 * continue-as-new, so the simulated time never jumps back. Pure: callers pass the real time in.
 */

/** Simulated time `virtualMs` was real time `realMs`; since then it runs `scale` times as fast. */
export interface ClockAnchor {
  realMs: number;
  virtualMs: number;
  scale: number;
}

/** A week of simulated time per real minute: the sandbox's `--fast`. */
export const FAST_TIME_SCALE = 7 * 24 * 60;

/** The rotation's time now; the real time itself when there is no anchor. */
export function clockNow(anchor: ClockAnchor | null | undefined, realNowMs: number): number {
  if (!anchor) return realNowMs;
  return anchor.virtualMs + (realNowMs - anchor.realMs) * anchor.scale;
}

/** How long in real time a simulated duration takes (at least 1 ms, so a timer is never zero). */
export function realDuration(anchor: ClockAnchor | null | undefined, durationMs: number): number {
  const scale = anchor?.scale ?? 1;
  return Math.max(1, scale === 1 ? durationMs : Math.ceil(durationMs / scale));
}

/**
 * The anchor for a run whose configuration asks for `scale`: unchanged when it already runs at that scale,
 * none for real time that never ran faster, otherwise a new anchor at the current simulated time (so
 * switching fast mode off keeps the simulated dates reached rather than going back in time).
 *
 * `testShiftMs` is for tests only (`TEAM_ROLES_TEST_NOW`, see test/support/clock.ts): a rotation without an anchor
 * starts its clock that far from the real time, so a test can run as if it were any day and hour. Nothing in
 * `npm start` or `npm run dev` sets it; an anchor already there is kept as it is.
 */
export function anchorClock(
  anchor: ClockAnchor | null | undefined,
  scale: number | undefined,
  realNowMs: number,
  testShiftMs = 0,
): ClockAnchor | null {
  const wanted = scale ?? 1;
  if (!Number.isFinite(wanted) || wanted < 1) throw new RangeError(`time scale must be at least 1, got ${wanted}`);
  if (!Number.isFinite(testShiftMs)) throw new RangeError(`test clock shift must be finite, got ${testShiftMs}`);
  if (!anchor) {
    if (wanted === 1 && testShiftMs === 0) return null;
    return { realMs: realNowMs, virtualMs: realNowMs + testShiftMs, scale: wanted };
  }
  if (anchor.scale === wanted) return anchor;
  return { realMs: realNowMs, virtualMs: clockNow(anchor, realNowMs), scale: wanted };
}

/**
 * The real time at which the rotation's clock shows `virtualMs` (the inverse of `clockNow`): what an outside
 * service's timestamps (a Slack message's ts, a Geekbot report's time) are compared with in fast mode.
 */
export function realInstant(anchor: ClockAnchor | null | undefined, virtualMs: number): number {
  if (!anchor) return virtualMs;
  return anchor.realMs + (virtualMs - anchor.virtualMs) / anchor.scale;
}
