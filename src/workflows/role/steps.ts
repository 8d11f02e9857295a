/**
 * The main loop's steps, each a small method over the rotation: start up, read the Slack group, prepare the notice,
 * hand over. They call the activities and apply the pure domain functions; only the main loop runs them, one at a time.
 */
import { log, metricMeter } from '@temporalio/workflow';
import type { PrepareHandoverResult } from '../../activities';
import { absenceWarnings, skipForAbsence, type AbsenceCheck } from '../../domain/absenceCheck';
import { anchorClock, clockNow } from '../../domain/clock';
import { decideHandover, goesToNotice, type HandoverDecision, type HandoverRules } from '../../domain/handover';
import { findMember } from '../../domain/members';
import { formatDay } from '../../domain/templates';
import { calendarTurnCount, handoverNotice, rotationForPrepare, servingWhilePaused } from '../../domain/notice';
import { messageFacts } from '../../domain/messages';
import { roleRules } from '../../domain/roleRules';
import {
  affectedNames,
  appendChangeLog,
  batchNotice,
  changeNoticeSettings,
  changeSummaryKey,
  rosterReason,
} from '../../domain/changeNotices';
import {
  configureRules,
  initialState,
  refreshMembers,
  servingMembers,
  upcomingMember,
  type RotationState,
} from '../../domain/rotation';
import {
  alignToHandoverDate,
  followingHandoverDate,
  handoverDateOf,
  handoverInstant,
  nextHandoverAfter,
  parseIsoDate,
  type RoleSchedule,
} from '../../domain/schedule';
import type { IsoDate, Member } from '../../domain/types';
import type { RoleRuntimeConfig, RoleWorkflowInput, RoleWorkflowState } from '../../shared';
import {
  announceHandover,
  lookupMembers,
  prepareHandover,
  roleSettings,
  sendChangeNotices,
  syncOnDutyGroup,
  withdrawNotice,
} from './activities';
import { isPrepared, type PendingHandover } from './due';
import { basisChanges, frozenUntil, planBasisOf, rotationSettings, toldOf } from './notices';
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
    // The configuration is read again at every run: it is taken before the messages that waited for the start.
    this.rotation.begin(config, state, () => this.adoptConfiguration());
  }

  /**
   * At a run's start: puts the rotation under the roster rules with this configuration's settings (a running
   * rotation adopts them as it stands), and tells whose turns a configuration changed since the last run moved.
   */
  private adoptConfiguration(): void {
    const { rotation } = this;
    const { config, state } = rotation;
    const before: RoleWorkflowState = { ...state };
    const settings = rotationSettings(config);
    const rules = state.rotation.rules;
    const differ = rules && (rules.freezeTurns !== settings.freezeTurns || rules.fairness !== settings.fairness);
    if (rules ? differ : patches.rosterRules()) state.rotation = configureRules(state.rotation, settings);

    const basis = planBasisOf(config, settings);
    const changed = state.planBasis ? basisChanges(state.planBasis, basis) : [];
    if (state.planBasis && changed.length > 0 && patches.changeNotices()) {
      const previous = { ...config, role: state.planBasis.role, timeZone: state.planBasis.timeZone };
      // A handover instant the new schedule does not have (another weekday or time) moves to its next one.
      const pendingAt = new Date(state.nextHandoverAt ?? 0);
      const pendingDate = handoverDateOf(config.role, config.timeZone, pendingAt);
      const onSchedule =
        alignToHandoverDate(config.role, pendingDate) === pendingDate &&
        handoverInstant(config.role, config.timeZone, pendingDate).getTime() === pendingAt.getTime();
      if (!onSchedule && pendingAt.getTime() > rotation.now()) {
        const now = new Date(rotation.now());
        state.nextHandoverAt = nextHandoverAfter(config.role, config.timeZone, now).toISOString();
      }
      rotation.recordChange({
        reason: `the configuration changed (${changed.join('; ')})`,
        before: rotation.planForNotices(before, previous),
        after: rotation.planForNotices(state),
      });
    }
    state.planBasis = basis;
  }

  /** An operator asked to read the Slack group again. */
  async refresh(): Promise<void> {
    try {
      const summary = `read the Slack group ${this.role.usergroup} again (an operator asked)`;
      this.applyLookup(
        { members: await lookupMembers.executeWithOptions({ summary }, [this.role.usergroup]) },
        this.rotation.pending().date,
      );
    } catch (err) {
      this.applyLookup({ error: err }, this.rotation.pending().date);
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
    // With the handover date the activity's own refresh used, so both place the frozen window alike.
    const lookup = result.members ? { members: result.members } : { error: new Error(result.refreshError ?? '') };
    this.applyLookup(lookup, date);
    if (result.standupId !== null) state.standupId = result.standupId;
    // The skips the absence check made are the rotation's now, whatever else failed: the people were told.
    if (result.absences) this.applyAbsences(result.absences);
    for (const warning of result.warnings ?? []) rotation.warn(warning);
    if (!result.named || result.failures.length) return this.prepareFailed(key, result.failures);
    try {
      for (const warning of handoverNotice(state.rotation, date).warnings) rotation.warn(warning);
    } catch {
      // The handover's `isPrepared` finds the rotation changed meanwhile and prepares again.
    }
    const { memberId, buddyId, outgoingId } = result.named;
    state.prepared = { key, memberId, buddyId };
    if (result.turns !== undefined && patches.reprepareWhenTurnsMove()) state.prepared.turns = result.turns;
    if (outgoingId !== undefined && patches.reprepareWhenOutgoingChanges()) state.prepared.outgoingId = outgoingId;
    // Who the notice's messages told what, so that a change corrects them (only where the role sends messages).
    if (rotation.config.role.slack?.enabled) state.noticeRecord = toldOf(state.noticeRecord, key, result.named);
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
    const before = state.rotation;
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
    await this.announce(before, date, decision.key);
  }

  /** The role's on-duty group set to who serves now: at a run's start, and after an override changed who serves. */
  async syncOnDuty(): Promise<void> {
    const { rotation } = this;
    const serving = servingMembers(rotation.state.rotation);
    // Remembered before the call: an override while it runs makes the group due again.
    rotation.onDutySetFor = serving.map((member) => member.id);
    if (!patches.announceHandover()) return;
    try {
      const summary = `set the on-duty group @${this.role.onDutyUsergroup} to who serves now`;
      const result = await syncOnDutyGroup.executeWithOptions({ summary }, [
        { role: rotation.input.role, members: serving },
      ]);
      if (result.warning) rotation.warn(result.warning);
    } catch (err) {
      rotation.warn(`on-duty group @${this.role.onDutyUsergroup} not set: ${describeFailure(err)}`);
    }
  }

  /**
   * The handover told in Slack, for a role with Slack messages or an on-duty group: the channel's post (in the words
   * of the rotation `before` it) and the group set to who serves now, in one local activity. What could not be done
   * is a warning; the rotation goes on.
   */
  private async announce(before: RotationState, date: IsoDate, key: string): Promise<void> {
    const { rotation, role } = this;
    if (!role.slack?.enabled && !role.onDutyUsergroup) return;
    if (!patches.announceHandover()) return;
    const serving = servingMembers(rotation.state.rotation);
    if (role.onDutyUsergroup) rotation.onDutySetFor = serving.map((member) => member.id);
    try {
      const summary = `tell the handover of ${formatDay(date)} in Slack`;
      const result = await announceHandover.executeWithOptions({ summary }, [
        { role: rotation.input.role, facts: messageFacts(before, date), serving },
      ]);
      for (const warning of result.warnings) rotation.warn(warning);
    } catch (err) {
      rotation.warn(`handover ${key} not told in Slack: ${describeFailure(err)}`);
    }
  }

  /** Tells the changes whose quiet period is over: a direct message to each member whose turns moved, a summary. */
  async tellChanges(): Promise<void> {
    const { rotation } = this;
    const { state, config, input } = rotation;
    const batch = state.changeBatch;
    state.changeBatch = null; // changes from now on open the next batch
    if (!batch) return;
    const settings = changeNoticeSettings(config.role);
    const options = { frozenUntil: frozenUntil(config, state) };
    let notice = batchNotice({ name: input.role, title: this.role.title }, batch, options);
    // A newcomer whose first turn lies beyond the plan (a large group) is told too, in runs from the patch on.
    const unplaced = batch.joined.some((m) => !notice.messages.some((message) => message.member.id === m.id));
    if (unplaced && patches.tellEveryJoiner()) {
      notice = batchNotice({ name: input.role, title: this.role.title }, batch, { ...options, everyJoiner: true });
    }
    if (notice.summary === null) return; // quiet changes only
    const told = affectedNames(notice.messages.map((m) => m.member));
    // After an activity the state may be another object (an operation replaced it meanwhile): read it again.
    const record = (summaryTo: 'channel' | 'cli' | 'off', failures: string[]) => {
      const { state } = rotation;
      state.changeLog = appendChangeLog(state.changeLog, {
        kind: 'notice',
        at: new Date(rotation.now()).toISOString(),
        told: summaryTo === 'off' ? [] : told,
        summary: notice.summary ?? '',
        summaryTo,
        ...(failures.length ? { failures } : {}),
      });
    };
    // Without Slack messages the summary is kept in the history only.
    if (!config.role.slack?.enabled) return record('off', []);
    let failures: string[];
    try {
      const result = await sendChangeNotices({
        role: input.role,
        messages: notice.messages.map((m) => ({ key: m.key, recipient: m.member.id, text: m.text })),
        summary:
          settings.summary === 'channel' ? { key: changeSummaryKey(input.role, batch), text: notice.summary } : null,
      });
      failures = result.failures;
    } catch (err) {
      failures = [describeFailure(err)];
    }
    const after = rotation.state;
    if (failures.length) {
      after.lastError = `change notice: ${failures.join('; ')}`;
      log.warn('change notices not all sent', { error: after.lastError });
    } else if (after.lastError?.startsWith('change notice')) after.lastError = null;
    record(settings.summary, failures);
    log.info('change notices sent', { role: input.role, told: told.length });
  }

  /**
   * Paused after the notice went out: the standup is pointed back at the member who keeps serving (buddy: the
   * current one) and the Slack notice is corrected (the channel post edited, a message to the member who is no
   * longer up). Again when an operator change while paused makes someone else serve (nobody left to message then:
   * the change notices tell whose turns it moved). Resumed, the notice goes out again when it is due.
   */
  async withdrawNotice({ date, key }: Pick<PendingHandover, 'date' | 'key'>): Promise<void> {
    const { rotation } = this;
    const { input } = rotation;
    let { state } = rotation;
    const { serving, buddy } = servingWhilePaused(state.rotation);
    if (!serving) {
      state.prepared = null; // nobody has served yet: nobody to point the standup at
      return;
    }
    let outcome: Awaited<ReturnType<typeof withdrawNotice>> | { failed: string };
    try {
      outcome = await withdrawNotice({
        role: input.role,
        date,
        serving,
        buddy,
        standupId: state.standupId,
        told: state.noticeRecord?.key === key ? state.noticeRecord : null,
      });
    } catch (err) {
      outcome = { failed: describeFailure(err) };
    }
    state = rotation.state; // an operation may have replaced it while the activity ran
    if ('failed' in outcome || outcome.failures.length) {
      const failures = 'failed' in outcome ? [outcome.failed] : outcome.failures;
      state.lastError = `withdraw ${key}: ${failures.join('; ')}`;
      rotation.prepareRetryAt = rotation.now() + PREPARE_RETRY_MS;
      log.warn('withdrawing the notice failed; it will be retried', { key, error: state.lastError });
      if ('failed' in outcome) return;
    } else if (state.lastError?.startsWith('withdraw')) state.lastError = null;
    if (outcome.standupId !== null) state.standupId = outcome.standupId;
    state.prepared = null;
    // Whom it points at, so that an operator change while paused that makes someone else serve points it again.
    state.noticeRecord = outcome.failures.length
      ? outcome.told
      : { ...outcome.told, serving: { memberId: serving.id, buddyId: buddy?.id ?? null } };
    const text = `notice for ${key} withdrawn: the rotation is paused; the standup names ${serving.name} again`;
    rotation.warn(text);
    state.changeLog = appendChangeLog(state.changeLog, {
      kind: 'correction',
      at: new Date(rotation.now()).toISOString(),
      text,
      ...(outcome.failures.length ? { failures: outcome.failures } : {}),
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
    while (!isPrepared(rotation.config, rotation.state, date, key) && rotation.now() < followingAt.getTime()) {
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

  /**
   * Applies the absence check's skips (the same `skipForAbsence` the activity applied to its copy, so the rotation
   * names whom the notice named) and keeps what it found for the `plan` and `state` queries, with warnings saying so.
   */
  private applyAbsences(check: AbsenceCheck): void {
    const { rotation } = this;
    const { state } = rotation;
    for (const member of check.skipped) {
      try {
        state.rotation = skipForAbsence(state.rotation, member, check.date);
      } catch (err) {
        rotation.warn(`${member.name} could not be skipped for their absence: ${describeFailure(err)}`);
      }
    }
    state.absences = check;
    try {
      const named = upcomingMember(state.rotation, check.date).member;
      for (const warning of absenceWarnings(check, named)) rotation.warn(warning);
    } catch {
      // Nobody to name: the prepare step's failure says so.
    }
  }

  /** Whether this prepare step asks for the absence check: a role with `absences`, in a run that applies its skips. */
  private checksAbsences(): boolean {
    return roleRules(this.role).absences !== null && patches.absenceCheck();
  }

  private async callPrepare(date: IsoDate): Promise<PrepareHandoverResult | { failed: string }> {
    const { input, config, state } = this.rotation;
    try {
      return await prepareHandover.executeWithOptions({ summary: `notice and calendar for ${formatDay(date)}` }, [
        {
          role: input.role,
          date,
          rotation: rotationForPrepare(state.rotation, date),
          standupId: state.standupId,
          turnCount: calendarTurnCount(config.role, config.calendarHorizonMonths),
          ...(this.checksAbsences() ? { checkAbsences: true } : {}),
        },
      ]);
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

  /**
   * Applies a read of the Slack group; an empty group or a failed lookup keeps the members the rotation had. Under
   * the roster rules the frozen window starts at `nextHandover` (the prepare activity's own refresh uses the same).
   */
  private applyLookup(lookup: { members: Member[] } | { error: unknown }, nextHandover: IsoDate): void {
    const { rotation } = this;
    const { state } = rotation;
    try {
      if ('error' in lookup) throw lookup.error;
      const before: RoleWorkflowState = { ...state };
      const result = refreshMembers(state.rotation, lookup.members, { role: this.role, nextHandover });
      state.rotation = result.state;
      for (const warning of result.warnings) rotation.warn(warning);
      const { joined, left } = result;
      if (joined.length || left.length) {
        log.info('members changed', { joined: joined.length, left: left.length });
        if (patches.changeNotices()) {
          const plans = { before: rotation.planForNotices(before), after: rotation.planForNotices(state) };
          rotation.recordChange({ reason: rosterReason(joined, left), ...plans, joined, left });
        }
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
  const { usergroup } = config.role;
  const members = await lookupMembers.executeWithOptions({ summary: `read the Slack group ${usergroup}` }, [usergroup]);
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
    const settings = patches.rosterRules() ? rotationSettings(config) : undefined;
    return {
      rotation: initialState(input.role, config.role.slots, members, seed, settings),
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
