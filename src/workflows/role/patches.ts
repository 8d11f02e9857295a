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
   * The prepare step records a fingerprint of the calendar's turns, and runs again when an operator change moves a
   * later turn after the notice went out (a pause during the notice, then a skip further on); older runs compared
   * only the member the notice names, so the calendar waited for the next handover's notice to be repaired.
   * Introduced 2026-12-02; deprecable one run length later.
   */
  reprepareWhenTurnsMove: (): boolean => patched('reprepare-when-turns-move'),

  /**
   * After a handover, one local activity posts the handover in the role's channel and sets its on-duty group; the
   * group is also set at a run's start and after an override. Asked only for a role with Slack messages or an
   * on-duty group (a role without either records nothing new). Older runs told nobody in Slack. Introduced
   * 2026-12-02 (issue 14); deprecable one run length after that code is deployed.
   */
  announceHandover: (): boolean => patched('announce-handover'),

  /**
   * The prepare step of a role with `absences` asks the activity for the absence check (`checkAbsences`) and applies
   * the skips it returns to the rotation; older runs never asked, so an activity never skips for a run that would not
   * apply it (its notice would then never match the rotation). Called only for roles with `absences`. Introduced
   * with issue 17; deprecable one run length after that code is deployed.
   */
  absenceCheck: (): boolean => patched('absence-check'),

  /**
   * Roster rules (issue 16): a new rotation starts under them, a running one adopts them at its next run start, so a
   * join or leave moves no turn in the frozen window (`freezeWeeks`). Called only where a state without rules would
   * get them. Introduced with change notices; deprecable one run length after that code is deployed.
   */
  rosterRules: (): boolean => patched('roster-rules'),

  /**
   * Plan changes are recorded and told (issue 16): a change that moves someone's turns opens or joins a batch, which
   * the loop tells once its quiet period is over (one more activity, only when a change happens). Called where a
   * change is recorded. Deprecable one run length after that code is deployed.
   */
  changeNotices: (): boolean => patched('change-notices'),

  /**
   * The notice names who really takes over (issue 16): paused after the notice went out, the loop points the
   * standup back at the member who keeps serving and corrects the messages; a notice that went out early (a
   * handover asked for, then stopped by a pause) is re-pointed as soon as it no longer matches, not only from its
   * prepare time on. Called only when one of those is due. Deprecable one run length after that code is deployed.
   */
  noticeNamesWhoTakesOver: (): boolean => patched('notice-names-who-takes-over'),

  /**
   * The prepare step records who the notice's channel post says rotates off, and runs again (editing the post) when
   * an operator change makes someone else rotate off (an override of the current member after the notice went out);
   * older runs compared only who takes over and their buddy, so the post named the wrong member rotating off.
   * Called where the prepare step records its notice. Deprecable one run length after that code is deployed.
   */
  reprepareWhenOutgoingChanges: (): boolean => patched('reprepare-when-outgoing-changes'),

  /**
   * A notice withdrawn by a pause follows who keeps serving: an operator change while paused (an override, a leave)
   * that makes someone else serve points the standup and the channel post at them, with one more withdrawNotice
   * activity. Older runs left them naming whoever served at the pause. Called only when that is due. Deprecable one
   * run length after that code is deployed.
   */
  withdrawnNoticeFollowsServing: (): boolean => patched('withdrawn-notice-follows-serving'),

  /**
   * The handover acknowledgement (issue 15): a watch activity between the notice and the handover, started and
   * cancelled beside the main loop, and the `HandoverAcknowledged` search attribute in every upsert. Called only for
   * a role whose recorded configuration has `acknowledgementOn` (runs from before it record none: they never reach
   * it). Introduced 2026-12 (wire-ack); deprecable one run length after that code is deployed.
   */
  handoverAcknowledgement: (): boolean => patched('handover-acknowledgement'),

  /**
   * A stopped acknowledgement watch still reports how it ended: one that found an answer (or sent a message) before
   * it learned of its cancellation has that applied, so a reaction seen just before an `acknowledge` update counts
   * as the earlier answer (the fault suite's "reaction and update at once"). Older runs dropped a stopped watch's
   * result. Called when a watch is started (the cancellation type is fixed then). Introduced 2026-12 (ack-faults);
   * deprecable one run length after that code is deployed.
   */
  ackWatchResultAfterStop: (): boolean => patched('ack-watch-result-after-stop'),

  /**
   * A member who joined hears so even when their first turn lies beyond the compared plans (a group larger than the
   * calendar horizon's turns: in a 50-member group with a year's plan, a newcomer behind everyone serves in week
   * 53). Older runs told only members with a turn in the plans, so such a newcomer heard nothing. Called only when a
   * change or the batch told has such a newcomer (the change then opens a batch although nobody's turns moved).
   * Introduced 2026-12-02 (issue 16); deprecable one run length after deployment.
   */
  tellEveryJoiner: (): boolean => patched('tell-every-joiner'),
};
