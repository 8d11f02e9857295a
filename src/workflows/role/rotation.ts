/**
 * The rotation as an entity: the state it carries across continue-as-new (one plain object), what this run keeps
 * beside it (the inbox of work the handlers hand to the main loop), and the operator's operations applied to it.
 * Handlers never call activities: they change the state at once (a change), or queue a step for the main loop.
 */
import { allHandlersFinished, condition, log, workflowInfo } from '@temporalio/workflow';
import type { CheckHeld } from '../../domain/acknowledgement';
import { clockNow, realDuration } from '../../domain/clock';
import { addToBatch, affectedNames, appendChangeLog, changeNoticeSettings } from '../../domain/changeNotices';
import { fairnessTable } from '../../domain/fairness';
import { sameMember } from '../../domain/members';
import { calendarTurnCount } from '../../domain/notice';
import { comparePlans, type PlanChange } from '../../domain/planChanges';
import { roleRules } from '../../domain/roleRules';
import { planFromState, planWithSkips } from '../../domain/rotation';
import { handoverDateOf, type RoleSchedule } from '../../domain/schedule';
import type { IsoDate, Turn } from '../../domain/types';
import { isQuiet, type Operation, type OperationContext, type RequestedStep } from '../../operations';
import type {
  FairnessView,
  HandoverMode,
  HandoverNowRequest,
  PlanTurn,
  RoleHistoryView,
  ReminderNotice,
  RoleRuntimeConfig,
  RoleStateView,
  RoleWorkflowInput,
  RoleWorkflowState,
} from '../../shared';
import { Acknowledgements } from './acknowledgement';
import { nextDue, pendingHandover, type Due, type PendingHandover } from './due';
import { asRequestFailure, notReady } from './errors';
import { patches } from './patches';
import { stateView, updateVisibility } from './visibility';

/** Work the handlers hand to the main loop, which alone calls activities, one step at a time. */
class Inbox {
  readonly handovers: HandoverNowRequest[] = [];
  refresh = false;
  /** Handover requests queued and carried out so far; an update waits for its own. */
  queued = 0;
  finished = 0;
  /** Set by every message: the main loop looks again at what is due. */
  wake = false;

  /** Queues `step`; the returned condition holds once the main loop has carried it out. */
  add(step: RequestedStep, request: HandoverNowRequest): () => boolean {
    this.wake = true;
    if (step === 'refresh') {
      this.refresh = true;
      return () => !this.refresh;
    }
    this.handovers.push(request);
    const ticket = ++this.queued;
    return () => this.finished >= ticket;
  }

  get empty(): boolean {
    return this.handovers.length === 0 && !this.refresh;
  }
}

const MAX_WARNINGS = 20;

export class Rotation {
  readonly mode: HandoverMode;
  readonly inbox = new Inbox();
  /** The acknowledgement of the latest notice and its watch. */
  readonly acks = new Acknowledgements(this);
  /** Set once start-up has read the configuration and the starting state. */
  private started: { config: RoleRuntimeConfig; state: RoleWorkflowState } | undefined;
  /** Signals that came before the state existed, applied once it does. */
  private readonly untilReady: (() => void)[] = [];
  /** A prepare step that failed for good is tried again from then on (rotation time). */
  prepareRetryAt = 0;
  /** The step the main loop runs now, or null while it rests (the `state` query's `busy`). */
  busy: string | null = null;
  /**
   * Whom this run last set (or tried to set) the role's on-duty group to, by Slack ID; null until it did. Kept per
   * run, so each run puts the group right once at its start (also after a hand edit in Slack).
   */
  onDutySetFor: string[] | null = null;
  /**
   * Set just before continue-as-new. A signal that still reaches this run afterwards would be missing from the new
   * run's input: that happens when the server refuses the completion because of the signal but the worker is not made
   * to replay (as with the time-skipping test server). Failing the workflow task then makes the worker replay the
   * history, in which the signal comes before the continue-as-new. With Temporal's server this never happens.
   */
  private continuing = false;

  constructor(readonly input: RoleWorkflowInput) {
    this.mode = input.mode ?? 'timer';
  }

  get ready(): boolean {
    return this.started !== undefined;
  }

  private get run(): { config: RoleRuntimeConfig; state: RoleWorkflowState } {
    if (!this.started) throw notReady();
    return this.started;
  }

  get config(): RoleRuntimeConfig {
    return this.run.config;
  }

  get state(): RoleWorkflowState {
    return this.run.state;
  }

  set state(state: RoleWorkflowState) {
    this.run.state = state;
  }

  /** The rotation starts: `adopt` takes the configuration, then signals that waited are applied, the search attributes set. */
  begin(config: RoleRuntimeConfig, state: RoleWorkflowState, adopt?: () => void): void {
    this.started = { config, state };
    adopt?.();
    for (const deferred of this.untilReady.splice(0)) deferred();
    this.showVisibility();
  }

  /** The rotation's time: the wall clock, or the sandbox's fast simulated clock (domain/clock.ts). */
  now(): number {
    return clockNow(this.state.clock, Date.now());
  }

  today(): IsoDate {
    return handoverDateOf(this.config.role, this.config.timeZone, new Date(this.now()));
  }

  pending(): PendingHandover {
    return pendingHandover(this.config, this.state);
  }

  due(): Due {
    return nextDue({
      now: this.now(),
      config: this.config,
      state: this.state,
      mode: this.mode,
      refreshRequested: this.inbox.refresh,
      handoverRequested: this.inbox.handovers.length > 0,
      prepareRetryAt: this.prepareRetryAt,
      onDutySetFor: this.onDutySetFor,
      noticeFollowsChanges: () => patches.noticeNamesWhoTakesOver(),
      withdrawalFollowsServing: () => patches.withdrawnNoticeFollowsServing(),
    });
  }

  /** Sleeps until `wakeAt`, or until a message wakes the rotation. */
  async rest({ now, wakeAt, until }: Extract<Due, { step: 'rest' }>): Promise<void> {
    this.inbox.wake = false;
    if (wakeAt === undefined) await condition(() => this.inbox.wake);
    else await condition(() => this.inbox.wake, realDuration(this.state.clock, wakeAt - now), { summary: until });
  }

  /** Continue as new after this many handovers, or when Temporal suggests it (a long history). */
  runIsLong(): boolean {
    return this.state.handoversDone >= this.config.handoversPerRun || workflowInfo().continueAsNewSuggested;
  }

  /** Waits until no handler runs and nothing is queued; from then on this run takes no signal. */
  async finishRun(): Promise<RoleWorkflowState> {
    await this.acks.settle();
    await condition(() => allHandlersFinished() && this.inbox.empty);
    this.continuing = true;
    return { ...this.state, handoversDone: 0 };
  }

  view(): RoleStateView {
    return stateView(this.input.role, this.config, this.state, this.mode, this.busy);
  }

  /** The `history` query: the turns served, and the plan's changes with the notices sent about them. */
  history(): RoleHistoryView {
    const { history } = this.view(); // throws NotReady while starting
    return { turns: history, changes: this.state.changeLog ?? [] };
  }

  /** The configuration this run uses (the `config` query); NotReady while starting, like the state. */
  runtimeConfig(): RoleRuntimeConfig {
    if (!this.ready) this.view(); // throws NotReady
    return this.config;
  }

  /**
   * The next `count` turns (default 10, at most 520) with the members each passes over and why, and the away days
   * the latest absence check found for the coming turn; none when nobody can serve.
   */
  plan(count = 10): PlanTurn[] {
    if (!this.ready) return this.view().history; // throws NotReady
    let turns: PlanTurn[];
    try {
      turns = planWithSkips(
        this.config.role,
        this.state.rotation,
        this.pending().date,
        Math.max(1, Math.min(count, 520)),
      );
    } catch {
      return [];
    }
    const check = this.state.absences;
    if (!check) return turns;
    const awayOf = (member: PlanTurn['member']) =>
      check.findings.find((f) => sameMember(f.member, member))?.awayDays ?? undefined;
    return turns.map((turn) => {
      if (turn.start !== check.date) return turn;
      const away = awayOf(turn.member);
      const skipped = turn.skipped?.map((s) => {
        const days = s.reason === 'absence' ? awayOf(s.member) : undefined;
        return days ? { ...s, away: days } : s;
      });
      return { ...turn, ...(skipped ? { skipped } : {}), ...(away ? { away } : {}) };
    });
  }

  /** The fairness table (served, skipped by reason, share and balance per member) of the rotation's ledger. */
  fairness(): FairnessView {
    if (!this.ready) this.view(); // throws NotReady
    const rules = this.state.rotation.rules;
    return {
      role: this.input.role,
      fairness: rules?.fairness ?? roleRules(this.config.role).fairness,
      kept: rules !== undefined,
      members: fairnessTable(rules?.ledger ?? []),
    };
  }

  showVisibility(): void {
    updateVisibility(this.config, this.state);
  }

  /** Keeps a warning for operators (the last 20; a repeat of the last one is not kept twice). */
  warn(warning: string): void {
    const { warnings } = this.state;
    if (warnings.at(-1) === warning) return;
    warnings.push(warning);
    if (warnings.length > MAX_WARNINGS) warnings.splice(0, warnings.length - MAX_WARNINGS);
  }

  // -------------------------------------------------------------------------------------------------------------
  // The operator's operations (operations.ts), as handlers.ts registers them
  // -------------------------------------------------------------------------------------------------------------

  /**
   * A signal is fire-and-forget: a bad request cannot be refused, so it is logged and kept as a warning. One that
   * comes while the rotation starts waits for the state (a change), or is queued at once (a step).
   */
  signal(operation: Operation & { name: string }, request: unknown): void {
    if (this.continuing) {
      throw new Error(`${operation.name} signal reached a run that is continuing as new: replaying to take it.`);
    }
    const ignored = (err: unknown) => {
      const warning = `${operation.name} signal ignored: ${(err as Error).message}`;
      log.warn(warning, { role: this.input.role });
      // While the rotation starts (e.g. just after continue-as-new) the state does not exist yet: keep it for then.
      if (this.ready) this.warn(warning);
      else this.untilReady.push(() => this.warn(warning));
    };
    if (operation.kind === 'change') {
      if (!this.ready) {
        this.untilReady.push(() => this.signal(operation, request));
        return;
      }
      try {
        this.change(operation, request);
      } catch (err) {
        ignored(err);
      }
      return;
    }
    try {
      operation.read?.(request);
    } catch (err) {
      ignored(asRequestFailure(err));
      return;
    }
    this.inbox.add(operation.step, request ?? {});
  }

  /** The acknowledgement watch's signal: the reminder went out (applied once the state exists; never wakes the loop). */
  acknowledgementReminded(notice: ReminderNotice): void {
    if (this.continuing) {
      throw new Error('acknowledgementReminded signal reached a run that is continuing as new: replaying to take it.');
    }
    if (this.ready) this.acks.reminded(notice);
    else this.untilReady.push(() => this.acks.reminded(notice));
  }

  /** The watch's signal: it holds a message back, the sources could not be read (applied as `reminded` is). */
  acknowledgementHeld(held: CheckHeld): void {
    if (this.continuing) {
      throw new Error('acknowledgementHeld signal reached a run that is continuing as new: replaying to take it.');
    }
    if (this.ready) this.acks.held(held);
    else this.untilReady.push(() => this.acks.held(held));
  }

  /** An update's validator: a rejected update leaves no trace in history. Before start-up the handler validates. */
  validate(operation: Operation, request: unknown): void {
    try {
      if (operation.kind === 'change') {
        if (this.ready) operation.apply(this.state, request, this.context());
      } else if (this.ready) operation.check?.(this.state, request, this.context());
      else operation.read?.(request);
    } catch (err) {
      throw asRequestFailure(err);
    }
  }

  /** An update, once validated: a change is applied at once, a step is queued and answered once done. */
  async update(operation: Operation, request: unknown): Promise<RoleStateView> {
    if (operation.kind === 'change') {
      await condition(() => this.ready);
      this.change(operation, request);
      return this.view();
    }
    // One that arrived while the rotation was starting (e.g. just after continue-as-new) could not be checked
    // against the state yet: check it now, so a paused rotation refuses it as at any other time.
    if (!this.ready && operation.check && patches.validateHandoverUpdatesAtStart()) {
      await condition(() => this.ready);
      this.validate(operation, request);
    }
    await condition(this.inbox.add(operation.step, request ?? {}));
    operation.outcome?.(this.state);
    return this.view();
  }

  private change(operation: Extract<Operation, { kind: 'change' }>, request: unknown): void {
    const before = this.state;
    try {
      this.state = operation.apply(before, request, this.context());
    } catch (err) {
      throw asRequestFailure(err);
    }
    if (patches.changeNotices()) {
      const plans = { before: this.planForNotices(before), after: this.planForNotices(this.state) };
      // The resume of a quiet pause tells nobody how far the pause moved their turns.
      const quietPause = before.pause?.quiet === true && before.rotation.paused && !this.state.rotation.paused;
      this.recordChange({ reason: operation.reason(before, request), ...plans }, isQuiet(request) || quietPause);
    }
    this.inbox.wake = true;
    // An operator's `ack`, a pause or someone else named: the watch stops (the woken main loop starts one again).
    this.acks.stopUnlessWanted();
    this.showVisibility();
  }

  // -------------------------------------------------------------------------------------------------------------
  // Changes of the plan (issue 16): recorded in the change log, and in the batch the loop tells
  // -------------------------------------------------------------------------------------------------------------

  /**
   * The turns a change is measured over: the calendar's horizon from the pending handover, or while paused from the
   * one it was paused at (the plan its people were last told); none when nobody can serve.
   */
  planForNotices(
    state: RoleWorkflowState,
    config: { role: RoleSchedule; timeZone: string; calendarHorizonMonths: number } = this.config,
  ): Turn[] {
    const from = state.rotation.paused && state.pause ? state.pause.from : pendingHandover(config, state).date;
    try {
      const count = calendarTurnCount(config.role, config.calendarHorizonMonths);
      return planFromState(config.role, state.rotation, from, count);
    } catch {
      return [];
    }
  }

  /**
   * Records a change of the plan: in the change log (why, whose turns it moved) and, when it moved anyone and the
   * role tells changes, in the open batch. The caller has checked the `change-notices` patch.
   */
  recordChange(change: Omit<PlanChange, 'at'>, quiet = false): void {
    const { state } = this;
    const at = this.now();
    let moved = comparePlans(change.before, change.after, change).changes.map((c) => c.member);
    // A newcomer with no turn in the plans (a group larger than the horizon's turns) is told too, from the patch on.
    const unplaced = (change.joined ?? []).filter(
      (m) => !moved.some((x) => sameMember(x, m)) && !(change.left ?? []).some((l) => sameMember(l, m)),
    );
    if (unplaced.length > 0 && patches.tellEveryJoiner()) moved = [...moved, ...unplaced];
    state.changeLog = appendChangeLog(state.changeLog, {
      kind: 'change',
      at: new Date(at).toISOString(),
      reason: change.reason,
      affected: affectedNames(moved),
      ...(quiet ? { quiet: true as const } : {}),
    });
    if (moved.length === 0 || !changeNoticeSettings(this.config.role).enabled) return;
    state.changeBatch = addToBatch(state.changeBatch ?? null, { ...change, at }, quiet);
    this.inbox.wake = true;
  }

  /** What an operation may read besides the state: `today` and `pending` are worked out only when asked for. */
  private context(): OperationContext {
    const today = () => this.today();
    const pending = () => this.pending().date;
    const now = () => this.now();
    return {
      role: this.input.role,
      config: this.config,
      get today() {
        return today();
      },
      get pending() {
        return pending();
      },
      get now() {
        return now();
      },
    };
  }
}
