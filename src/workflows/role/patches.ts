/**
 * The role workflow's patches: each changed what running workflows do, so code written before it keeps its old
 * branch for the runs that started before it (and for the saved histories in test/histories that recorded them).
 *
 * Each `patched()` call is made exactly where the change takes effect, and only when it matters there (a call
 * records a marker in the history of a new run). To retire one: replace `patched` by `deprecatePatch` and drop the
 * old branch once no run that started before the patch is still open (every run ends at its continue-as-new, at most
 * `handoversPerRun` handovers later, so that is one run length after the deployment), then remove the call once no
 * run that called `deprecatePatch` is open either. The saved histories that take an old branch go at that point.
 */
import { patched } from '@temporalio/workflow';

export const patches = {
  /**
   * A handoverNow update that arrives while the run is starting (just after continue-as-new) waits for the state
   * and is then validated like any other, so a paused rotation refuses it. Older runs queued it unvalidated.
   * Introduced 2026-11-29 (a62ef12); deprecable one run length after that code is deployed.
   */
  validateHandoverUpdatesAtStart: (): boolean => patched('validate-handover-updates-at-start'),

  /**
   * Only the role's handover dates are handed over (another date would move the rotation to another weekday);
   * older runs handed over on any date asked for. Introduced 2026-11-29 (a62ef12); deprecable one run length later.
   */
  handoverDatesOnly: (): boolean => patched('handover-dates-only'),

  /**
   * A handover prepares again while the notice names someone else than the rotation now would (an operator change
   * during the notice); older runs prepared once. Introduced 2026-11-29 (a62ef12); deprecable one run length later.
   */
  reprepareUntilNoticeMatches: (): boolean => patched('reprepare-until-notice-matches'),

  /**
   * A pause that arrives while the notice goes out stops that handover too; older runs handed over anyway.
   * Introduced 2026-11-29 (a62ef12); deprecable one run length later.
   */
  noHandoverWhenPausedDuringPrepare: (): boolean => patched('no-handover-when-paused-during-prepare'),

  /**
   * The handover acknowledgement (issue 15): a watch activity between the notice and the handover, started and
   * cancelled beside the main loop, and the `HandoverAcknowledged` search attribute in every upsert. Called only for
   * a role whose recorded configuration has `acknowledgementOn` (runs from before it record none: they never reach
   * it). Introduced 2026-12 (wire-ack); deprecable one run length after that code is deployed.
   */
  handoverAcknowledgement: (): boolean => patched('handover-acknowledgement'),
};
