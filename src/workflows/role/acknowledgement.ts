/**
 * The handover acknowledgement in the rotation (the rules: src/domain/acknowledgement.ts; the watch activity that
 * reads the answers and sends the reminder and the escalation: src/activities/acknowledgements.ts).
 *
 * When a notice goes out, a record starts for the member it names, and one watch runs beside the main loop, in its
 * own cancellation scope, until the member answers, the escalation has gone out or the handover comes; the reminder
 * in between reaches the workflow as the watch's `acknowledgementReminded` signal, and a reminder or escalation held
 * back because Slack or Geekbot could not be read as its `acknowledgementHeld` signal (once per such stretch). Nothing
 * here wakes the main loop (which would start its timer again): a watch costs its 6 history events, each signal 4,
 * the `HandoverAcknowledged` upsert at the notice and at the answer 1 each.
 *
 * Which watch should run is decided in one place (`wanted`): the record is waiting (pending or reminded), not
 * paused, before its handover, and the rotation would still name its member. The handlers only stop a watch that is
 * no longer wanted (an operator's `ack`, a pause, someone else named); the main loop starts one (after the notice,
 * at start-up, after a resume).
 */
import { CancellationScope, condition, isCancellation, log } from '@temporalio/workflow';
import type { WatchAcknowledgementResult } from '../../activities';
import {
  acknowledgementWarning,
  applyCheckHeld,
  applyReminderSent,
  applyWatchOutcome,
  nameForNotice,
  needsWatch,
  withTurnAcknowledgement,
  type Acknowledgement,
  type CheckHeld,
} from '../../domain/acknowledgement';
import { handoverInstant } from '../../domain/schedule';
import type { IsoDate, Member } from '../../domain/types';
import type { ReminderNotice } from '../../shared';
import { watchAcknowledgementFor } from './activities';
import { noticeNamesNext } from './due';
import { describeFailure } from './errors';
import { patches } from './patches';
import type { Rotation } from './rotation';

interface Watch {
  /** The record it watches: `handoverKey/memberId`. */
  of: string;
  handoverAtMs: number;
  scope: CancellationScope;
  /** Its result still counts after it was stopped (`patches.ackWatchResultAfterStop`). */
  resultAfterStop: boolean;
  /** Stopped: no longer the rotation's watch, its cancellation on its way. */
  stopped?: boolean;
}

const identity = (record: Acknowledgement): string => `${record.handoverKey}/${record.member.id}`;

export class Acknowledgements {
  private watch: Watch | undefined;
  /** A watch that failed for good is not started again for the same record in this run (a warning says why). */
  private failedFor: string | undefined;

  constructor(private readonly rotation: Rotation) {}

  /** Whether this rotation asks for acknowledgements; in a run that does, the patch's marker goes in here. */
  private get on(): boolean {
    return this.rotation.config.acknowledgementOn === true && patches.handoverAcknowledgement();
  }

  private get record(): Acknowledgement | null {
    return this.rotation.state.acknowledgement ?? null;
  }

  /**
   * The notice for `date` went out naming `memberId`: their record starts, replacing (cancelling) one for another
   * member; the same member's record stays as it is. The watch starts when the main loop next looks (`reconcile`):
   * in the same workflow task, or never when a handover follows at once.
   */
  noticeSent(date: IsoDate, key: string, memberId: string): void {
    if (!this.on) return;
    const { state, config } = this.rotation;
    const member: Member = state.rotation.members.find((m) => m.id === memberId) ?? { id: memberId, name: memberId };
    const handoverAtMs = handoverInstant(config.role, config.timeZone, date).getTime();
    const start = { member, handoverKey: key, noticeAtMs: this.rotation.now(), handoverAtMs };
    const { record, cancelled } = nameForNotice(this.record, start, config.role);
    if (record === this.record) return;
    if (cancelled)
      log.info('acknowledgement cancelled', { key, member: cancelled.member.id, reason: cancelled.reason });
    this.stop();
    state.acknowledgement = record;
    state.ackRefs = null;
    log.info('acknowledgement pending', { key, member: member.id, deadline: record.deadline });
    this.rotation.showVisibility();
  }

  /** The handover happened: the turn the record was for records whether and how it was acknowledged. */
  handedOver(): void {
    const record = this.record;
    if (!record || !this.on) return;
    const { state } = this.rotation;
    state.rotation = { ...state.rotation, history: withTurnAcknowledgement(state.rotation.history, record) };
  }

  /** The watch's signal: the reminder went out (nothing else changes; the main loop sleeps on). */
  reminded(notice: ReminderNotice): void {
    const record = this.record;
    if (!record) return;
    this.rotation.state.acknowledgement = applyReminderSent(record, notice);
    for (const warning of notice.warnings) this.rotation.warn(warning);
    log.info('acknowledgement reminded', { key: notice.handoverKey, member: notice.memberId });
  }

  /** The watch's signal: it holds a message back because a check could not read the sources (the state says so). */
  held(held: CheckHeld): void {
    const record = this.record;
    if (!record) return;
    const next = applyCheckHeld(record, held);
    if (next === record) return;
    this.rotation.state.acknowledgement = next;
    const warning = acknowledgementWarning(next);
    if (warning) this.rotation.warn(warning);
    log.warn('acknowledgement held back: could not check', { key: held.handoverKey, action: held.action });
  }

  /** Starts the watch that is wanted and is not running, stops one that runs but is no longer wanted. */
  reconcile(): void {
    const record = this.stopUnlessWanted();
    if (record && !this.watch && this.failedFor !== identity(record)) this.start(record);
  }

  /**
   * Stops a watch that is no longer wanted (after an operator's change; starting is the main loop's). One whose
   * handover has come is left to return by itself: its result is the turn's last word (and a cancellation costs more).
   */
  stopUnlessWanted(): Acknowledgement | null {
    const record = this.wanted();
    const watch = this.watch;
    if (watch && watch.of !== (record && identity(record)) && this.rotation.now() < watch.handoverAtMs) this.stop();
    return record;
  }

  /**
   * Before continue-as-new: a watch for a handover still ahead is cancelled (the next run starts its own from the
   * state); one whose handover has come returns by itself. Either way the run waits until it has settled (a stopped
   * watch whose result still counts is not waited for: the next run's own watch reads the same answers).
   */
  async settle(): Promise<void> {
    const watch = this.watch;
    if (!watch) return;
    if (this.rotation.now() < watch.handoverAtMs) this.stop();
    await condition(() => this.watch === undefined);
  }

  /** The record a watch should run for now, or null. */
  private wanted(): Acknowledgement | null {
    const record = this.record;
    if (!record || !this.on || !needsWatch(record, this.rotation.now())) return null;
    const { state } = this.rotation;
    const pending = this.rotation.pending();
    if (record.handoverKey !== pending.key || state.prepared?.memberId !== record.member.id) return null;
    // Someone else would be named now (an operator's change): the next notice replaces the record.
    return noticeNamesNext(state, pending.date, pending.key) ? record : null;
  }

  private start(record: Acknowledgement): void {
    const { input, state } = this.rotation;
    const scope = new CancellationScope();
    const resultAfterStop = patches.ackWatchResultAfterStop();
    const watch: Watch = { of: identity(record), handoverAtMs: Date.parse(record.handoverAt), scope, resultAfterStop };
    const date = record.handoverKey.slice(record.handoverKey.lastIndexOf('@') + 1);
    const rotation = state.rotation;
    const watchAcknowledgement = watchAcknowledgementFor(state.clock, resultAfterStop);
    this.watch = watch;
    scope
      .run(() =>
        watchAcknowledgement({
          role: input.role,
          date,
          acknowledgement: record,
          buddy: rotation.slots === 2 ? rotation.incoming : null,
          outgoing: rotation.current,
          standupId: state.standupId,
          clock: state.clock ?? null,
          refs: state.ackRefs ?? null,
        }),
      )
      .then(
        (result) => this.returned(watch, result),
        (err: unknown) => this.failed(watch, err),
      );
  }

  /**
   * Cancels the running watch. One whose result still counts after it (`resultAfterStop`) stops being the rotation's
   * watch at once, so a new one can start beside it; when it ends, what it found or sent is applied if its record is
   * still the rotation's (an answer it saw just before an operator's `ack` is the earlier one). Older runs' watches
   * end with the cancellation (TRY_CANCEL) and their result is dropped.
   */
  private stop(): void {
    const watch = this.watch;
    if (!watch || !this.on) return;
    watch.scope.cancel();
    if (watch.resultAfterStop) {
      watch.stopped = true;
      this.watch = undefined;
    }
  }

  private done(watch: Watch): void {
    if (this.watch === watch) this.watch = undefined;
  }

  private returned(watch: Watch, result: WatchAcknowledgementResult): void {
    this.done(watch);
    const { rotation } = this;
    const record = this.record;
    if (!record || identity(record) !== watch.of) return; // replaced meanwhile: the result is stale
    const next = applyWatchOutcome(record, result);
    rotation.state.acknowledgement = next;
    if (result.refs) rotation.state.ackRefs = result.refs;
    for (const warning of result.warnings) rotation.warn(warning);
    const warning = acknowledgementWarning(next);
    if (warning) rotation.warn(warning);
    log.info('acknowledgement watch returned', {
      key: next.handoverKey,
      outcome: result.outcome,
      checks: result.checks,
    });
    this.handedOver(); // a turn already taken up shows the final word
    if (result.outcome === 'acknowledged') rotation.showVisibility();
    // A watch without its line to the workflow returns at the reminder: the next one watches for the escalation.
    if (result.outcome === 'reminded') this.reconcile();
    // A stopped watch's answer may leave a newer watch for the same record with nothing to wait for.
    else if (watch.stopped) this.stopUnlessWanted();
  }

  private failed(watch: Watch, err: unknown): void {
    this.done(watch);
    if (isCancellation(err) || watch.stopped) return;
    this.failedFor = watch.of;
    this.rotation.warn(`${watch.of.split('/')[0]}: the acknowledgement watch failed: ${describeFailure(err)}`);
  }
}
