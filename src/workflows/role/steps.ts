/**
 * The main loop's steps, each a small method over the rotation: start up, read the Slack group, prepare the notice,
 * hand over. They call the activities and apply the pure domain functions; only the main loop runs them, one at a time.
 */
import { log, metricMeter } from '@temporalio/workflow';
import type { PrepareHandoverResult } from '../../activities';
import { anchorClock, clockNow } from '../../domain/clock';
import { decideHandover, goesToNotice, type HandoverDecision, type HandoverRules } from '../../domain/handover';
import { findMember } from '../../domain/members';
import { calendarTurnCount, handoverNotice, rotationForPrepare } from '../../domain/notice';
import { initialState, refreshMembers } from '../../domain/rotation';
import {
  followingHandoverDate,
  handoverInstant,
  nextHandoverAfter,
  parseIsoDate,
  type RoleSchedule,
} from '../../domain/schedule';
import type { IsoDate, Member } from '../../domain/types';
import type { RoleRuntimeConfig, RoleWorkflowInput, RoleWorkflowState } from '../../shared';
import { lookupMembers, prepareHandover, roleSettings } from './activities';
import { isPrepared, type PendingHandover } from './due';
import { asRequestFailure, describeFailure } from './errors';
import { patches } from './patches';
import type { Rotation } from './rotation';

/** How long to wait before retrying a prepare step whose activities failed for good. */
const PREPARE_RETRY_MS = 60 * 60 * 1000;

export class Steps {
  constructor(private readonly rotation: Rotation) {}

  private get role(): RoleSchedule & RoleRuntimeConfig['role'] {
    return this.rotation.config.role;
  }

  /** Reads the configuration and the starting state (the Slack group for a new rotation), then begins. */
  async startUp(): Promise<void> {
    const { input } = this.rotation;
    const config = await roleSettings(input.role);
    const state = input.state ?? (await startingState(input, config));
    const clock = anchorClock(state.clock, config.timeScale, Date.now(), config.testClockShiftMs);
    if (clock) state.clock = clock; // real time (no anchor) adds nothing to the state
    const now = new Date(clockNow(state.clock, Date.now()));
    state.nextHandoverAt ??= nextHandoverAfter(config.role, config.timeZone, now).toISOString();
    this.rotation.begin(config, state);
  }

  /** An operator asked to read the Slack group again. */
  async refresh(): Promise<void> {
    try {
      this.applyLookup({ members: await lookupMembers(this.role.usergroup) });
    } catch (err) {
      this.applyLookup({ error: err });
    }
    this.rotation.inbox.refresh = false;
    this.rotation.showVisibility();
  }

  /** The oldest handover an operator (or the schedule) asked for: its date, or the pending one. */
  async requestedHandover(pending: PendingHandover): Promise<void> {
    const { inbox } = this.rotation;
    const request = inbox.handovers.shift() ?? {};
    await this.handover(request.date ? parseIsoDate(request.date) : pending.date);
    inbox.finished++;
  }

  /** The handover time came while paused: no handover, and the rotation waits for the next date. */
  passPausedHandover(pending: PendingHandover): void {
    const { config, state } = this.rotation;
    this.rotation.warn(`no handover on ${pending.date}: the rotation was paused`);
    state.nextHandoverAt = nextHandoverAfter(this.role, config.timeZone, pending.at).toISOString();
    this.rotation.showVisibility();
  }

  /** Notice and calendar for the handover on `date`: who comes next, their buddy, and a year of turns. */
  async prepare({ date, key }: Pick<PendingHandover, 'date' | 'key'>): Promise<boolean> {
    const { rotation } = this;
    // One activity reads the group, names the member and writes the notice and the calendar (activities/prepare.ts).
    const result = await this.callPrepare(date);
    if ('failed' in result) return this.prepareFailed(key, [result.failed]);
    const { state } = rotation;
    this.applyLookup(result.members ? { members: result.members } : { error: new Error(result.refreshError ?? '') });
    if (result.standupId !== null) state.standupId = result.standupId;
    if (!result.named || result.failures.length) return this.prepareFailed(key, result.failures);
    try {
      for (const warning of handoverNotice(state.rotation, date).warnings) rotation.warn(warning);
    } catch {
      // The handover's `isPrepared` finds the rotation changed meanwhile and prepares again.
    }
    state.prepared = { key, ...result.named };
    rotation.acks.noticeSent(date, key, result.named.memberId);
    if (state.lastError?.startsWith('prepare')) state.lastError = null;
    log.info('prepared handover', { key, next: result.named.memberId });
    return true;
  }

  /** Hands over for `date` if the rules say so (domain/handover.ts), after making sure the notice matches. */
  async handover(date: IsoDate): Promise<void> {
    const { rotation } = this;
    let rules = this.handoverRules();
    let decision = decideHandover(rotation.state.rotation, date, rules);
    if (decision.handOver === false && decision.because === 'not-a-handover-date' && !patches.handoverDatesOnly()) {
      rules = { ...rules, anyDate: true };
      decision = decideHandover(rotation.state.rotation, date, rules);
    }
    if (decision.handOver === false && !goesToNotice(decision)) return this.notHandedOver(decision);

    const followingAt = handoverInstant(this.role, rotation.config.timeZone, followingHandoverDate(this.role, date));
    if (await this.prepareUntilNoticeMatches(date, decision.key, followingAt)) {
      decision = decideHandover(rotation.state.rotation, date, rules);
      // A pause that arrived while the notice was going out stops this handover as well.
      if (
        decision.handOver === false &&
        decision.because === 'paused' &&
        !patches.noHandoverWhenPausedDuringPrepare()
      ) {
        rules = { ...rules, evenIfPaused: true };
        decision = decideHandover(rotation.state.rotation, date, rules);
      }
    }
    if (decision.handOver === false) return this.notHandedOver(decision, date, followingAt);

    const { state } = rotation;
    state.rotation = decision.result.state;
    rotation.acks.handedOver();
    for (const warning of decision.result.warnings) rotation.warn(warning);
    state.handoversDone++;
    // Emitted through a sink, never while replaying: no command, so determinism is untouched.
    metricMeter
      .createCounter('team_roles_handovers', undefined, 'Handovers done, by role')
      .add(1, { role: rotation.input.role });
    if (date >= rotation.pending().date) state.nextHandoverAt = followingAt.toISOString();
    log.info('handed over', {
      key: decision.key,
      incoming: state.rotation.incoming?.id,
      current: state.rotation.current?.id,
    });
    rotation.showVisibility();
  }

  private handoverRules(): HandoverRules {
    const { rotation } = this;
    return {
      roleName: rotation.input.role,
      role: this.role,
      pending: rotation.pending().date,
      historyLimit: rotation.config.historyLimit,
    };
  }

  /**
   * Prepares again while the notice names someone else than the rotation would now (an operator change since, or one
   * that arrived while the notice was going out), unless that week is already over or the prepare step failed (it is
   * recorded in lastError). Runs from before the patch prepared once only. Says whether it prepared at all.
   */
  private async prepareUntilNoticeMatches(date: IsoDate, key: string, followingAt: Date): Promise<boolean> {
    const { rotation } = this;
    let prepared = false;
    while (!isPrepared(rotation.state, date, key) && rotation.now() < followingAt.getTime()) {
      prepared = true;
      if (!(await this.prepare({ date, key })) || !patches.reprepareUntilNoticeMatches()) break;
    }
    return prepared;
  }

  private notHandedOver(
    decision: Extract<HandoverDecision, { handOver: false }>,
    date?: IsoDate,
    followingAt?: Date,
  ): void {
    const { rotation } = this;
    if (decision.warning === null) {
      log.info('handover already done; nothing to change', { key: decision.key });
      return;
    }
    rotation.warn(decision.warning);
    if (decision.because !== 'nobody-can-serve' || date === undefined || followingAt === undefined) return;
    // Nobody can take the turn (an empty group): wait for the next handover instead of failing the task.
    if (date >= rotation.pending().date) rotation.state.nextHandoverAt = followingAt.toISOString();
    rotation.showVisibility();
  }

  private async callPrepare(date: IsoDate): Promise<PrepareHandoverResult | { failed: string }> {
    const { input, config, state } = this.rotation;
    try {
      return await prepareHandover({
        role: input.role,
        date,
        rotation: rotationForPrepare(state.rotation, date),
        standupId: state.standupId,
        turnCount: calendarTurnCount(config.role, config.calendarHorizonMonths),
      });
    } catch (err) {
      return { failed: describeFailure(err) };
    }
  }

  private prepareFailed(key: string, failures: string[]): false {
    const { rotation } = this;
    rotation.state.lastError = `prepare ${key}: ${failures.join('; ')}`;
    log.warn('prepare step failed; it will be retried', { key, error: rotation.state.lastError });
    rotation.prepareRetryAt = rotation.now() + PREPARE_RETRY_MS;
    return false;
  }

  /** Applies a read of the Slack group; an empty group or a failed lookup keeps the members the rotation had. */
  private applyLookup(lookup: { members: Member[] } | { error: unknown }): void {
    const { rotation } = this;
    const { state } = rotation;
    try {
      if ('error' in lookup) throw lookup.error;
      const result = refreshMembers(state.rotation, lookup.members);
      state.rotation = result.state;
      for (const warning of result.warnings) rotation.warn(warning);
      if (result.joined.length || result.left.length) {
        log.info('members changed', { joined: result.joined.length, left: result.left.length });
      }
      if (state.lastError?.startsWith('refresh:')) state.lastError = null;
    } catch (err) {
      state.lastError = `refresh: ${describeFailure(err)}`;
      log.warn('member refresh failed; keeping the previous members', { error: state.lastError });
    }
  }
}

/** A new rotation: the Slack group, and whoever the input names as serving now. */
async function startingState(input: RoleWorkflowInput, config: RoleRuntimeConfig): Promise<RoleWorkflowState> {
  const members = await lookupMembers(config.role.usergroup);
  const resolve = (ref: string | Member | null | undefined): Member | null => {
    if (ref === null || ref === undefined || ref === '') return null;
    if (typeof ref !== 'string') return ref;
    try {
      return findMember(members, ref);
    } catch (err) {
      throw asRequestFailure(err);
    }
  };
  const seed = { incoming: resolve(input.seed?.incoming), current: resolve(input.seed?.current) };
  try {
    return {
      rotation: initialState(input.role, config.role.slots, members, seed),
      standupId: null,
      prepared: null,
      nextHandoverAt: null,
      warnings: [],
      lastError: null,
      handoversDone: 0,
    };
  } catch (err) {
    throw asRequestFailure(err);
  }
}
