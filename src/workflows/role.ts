/**
 * One long-lived workflow per role (`team-roles/<role>`): sleeps until the next prepare or handover,
 * calls the Slack, Geekbot and Calendar activities, and applies the pure rotation functions from
 * ../domain. Operators change it through signals and updates; dashboards read it through queries.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities, PrepareHandoverResult } from '../activities';
import { anchorClock, clockNow, realDuration } from '../domain/clock';
import { findMember } from '../domain/members';
import { calendarTurnCount, handoverNotice, rotationForPrepare } from '../domain/notice';
import {
  applyHandover,
  initialState,
  override,
  pause,
  planFromState,
  refreshMembers,
  resume,
  skip,
  swap,
  upcomingMember,
  type RotationState,
} from '../domain/rotation';
import {
  alignToHandoverDate,
  followingHandoverDate,
  handoverDateOf,
  handoverInstant,
  handoverKey,
  nextHandoverAfter,
  parseIsoDate,
  prepareInstant,
  turnEnd,
} from '../domain/schedule';
import type { IsoDate, Member } from '../domain/types';
import {
  CurrentMemberAttribute,
  handoverNowSignal,
  handoverNowUpdate,
  IncomingMemberAttribute,
  NextHandoverAtAttribute,
  overrideSignal,
  overrideUpdate,
  pauseSignal,
  pauseUpdate,
  planQuery,
  refreshMembersSignal,
  refreshMembersUpdate,
  resumeSignal,
  resumeUpdate,
  skipSignal,
  skipUpdate,
  stateQuery,
  swapSignal,
  swapUpdate,
  TeamRoleAttribute,
  type HandoverNowRequest,
  type RoleRuntimeConfig,
  type RoleStateView,
  type RoleWorkflowInput,
  type RoleWorkflowState,
} from '../shared';

type Activities = ReturnType<typeof createActivities>;

const { roleSettings } = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds' });

// Outside services: retried with backoff for hours (rate limits, outages); non-retryable failures
// (bad token, unknown group) come back at once and are recorded in the state for operators.
const { lookupMembers } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '6 hours',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});
// The prepare step may take a while (a first year of calendar events, rate limits): it heartbeats its progress.
const { prepareHandover } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  scheduleToCloseTimeout: '6 hours',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** How long to wait before retrying a prepare step whose activities failed for good. */
const PREPARE_RETRY_MS = 60 * 60 * 1000;

export async function roleWorkflow(input: RoleWorkflowInput): Promise<void> {
  const mode = input.mode ?? 'timer';
  // Set by start-up below. Handlers are registered first, so that no query, signal or update sent
  // while the workflow reads its configuration and the Slack group finds no handler.
  // eslint-disable-next-line prefer-const -- assigned once, after the handlers that close over it
  let config!: RoleRuntimeConfig;
  // eslint-disable-next-line prefer-const -- as above
  let state!: RoleWorkflowState;
  let ready = false;
  const untilReady: (() => void)[] = [];

  // Work the handlers hand to the main loop: it alone calls activities, one step at a time.
  const handoverRequests: HandoverNowRequest[] = [];
  let refreshRequested = false;
  let requestsFinished = 0;
  let requestsQueued = 0;
  let wake = false;
  let prepareRetryAt = 0;
  // Set just before continue-as-new. A signal that still reaches this run afterwards would be missing from the new
  // run's input: that happens when the server refuses the completion because of the signal but the worker is not
  // made to replay (as with the time-skipping test server). Failing the workflow task then makes the worker replay
  // the history, in which the signal comes before the continue-as-new. With Temporal's server this never happens.
  let continuing = false;
  const notContinuing = (name: string): void => {
    if (continuing) throw new Error(`${name} signal reached a run that is continuing as new: replaying to take it.`);
  };

  const pending = () => pendingHandover(config, state);
  /** Any other date than the role's handover dates would move the whole rotation to another weekday (or day). */
  const notAHandoverDate = (date: IsoDate): string =>
    `${date} is not a handover date of ${input.role} (the next one is ${pending().date}).`;
  const view = (): RoleStateView => {
    if (!ready) {
      throw ApplicationFailure.nonRetryable(
        'The rotation is starting (reading its configuration and the Slack group): try again in a moment.',
        'NotReady',
      );
    }
    return stateView(input.role, config, state, mode);
  };

  /** Applies an operator change to the rotation; a `RotationError` becomes a clear, non-retryable failure. */
  const change = (apply: (rotation: RotationState) => RotationState): RotationState => {
    try {
      return apply(state.rotation);
    } catch (err) {
      throw asRequestFailure(err);
    }
  };
  // The rotation's time: the wall clock, or the sandbox's fast simulated clock (domain/clock.ts).
  const now = (): number => clockNow(state.clock, Date.now());
  const today = (): IsoDate => handoverDateOf(config.role, config.timeZone, new Date(now()));
  const operations = {
    override: (req: Parameters<typeof override>[1]) => change((r) => override(r, req)),
    skip: (req: Parameters<typeof skip>[1]) =>
      change((r) => skip(r, { ...req, from: optionalDate(req.from), to: optionalDate(req.to) }, today())),
    swap: (req: Parameters<typeof swap>[1]) => change((r) => swap(r, req, today())),
    pause: () => change(pause),
    resume: () => change(resume),
  };

  // Signals: fire-and-forget. A bad request cannot be refused, so it is logged and kept as a warning.
  const signal =
    <A extends unknown[]>(name: string, op: (...args: A) => RotationState) =>
    (...args: A): void => {
      notContinuing(name);
      if (!ready) {
        untilReady.push(() => signal(name, op)(...args));
        return;
      }
      try {
        state.rotation = op(...args);
        wake = true;
        updateVisibility(config, state);
      } catch (err) {
        const message = `${name} signal ignored: ${(err as Error).message}`;
        log.warn(message, { role: input.role });
        rememberWarning(state, message);
      }
    };
  setHandler(overrideSignal, signal('override', operations.override), {
    description: 'Set who is incoming and/or current now (unvalidated: a bad request is kept as a warning).',
  });
  setHandler(skipSignal, signal('skip', operations.skip), {
    description: "Skip a member's turns within a date range, or their next turn (unvalidated).",
  });
  setHandler(swapSignal, signal('swap', operations.swap), {
    description: 'Two members exchange their next turns (unvalidated).',
  });
  setHandler(pauseSignal, signal('pause', operations.pause), { description: 'Stop handovers until resumed.' });
  setHandler(resumeSignal, signal('resume', operations.resume), { description: 'Resume handovers.' });
  setHandler(
    handoverNowSignal,
    (request) => {
      notContinuing('handoverNow');
      try {
        optionalDate(request?.date);
      } catch (err) {
        log.warn('handoverNow signal ignored', { error: (err as Error).message });
        const warning = `handoverNow signal ignored: ${(err as Error).message}`;
        // While the rotation starts (e.g. just after continue-as-new) the state does not exist yet: keep it for then.
        if (ready) rememberWarning(state, warning);
        else untilReady.push(() => rememberWarning(state, warning));
        return;
      }
      handoverRequests.push(request ?? {});
      requestsQueued++;
      wake = true;
    },
    { description: 'Hand over now (or for the given handover date); a date already handed over changes nothing.' },
  );
  setHandler(
    refreshMembersSignal,
    () => {
      notContinuing('refreshMembers');
      refreshRequested = true;
      wake = true;
    },
    { description: 'Read the Slack user group again now.' },
  );

  // Updates: validated first (a rejected update leaves no trace in history), then applied.
  const update =
    <A extends unknown[]>(op: (...args: A) => RotationState) =>
    async (...args: A): Promise<RoleStateView> => {
      await condition(() => ready);
      state.rotation = op(...args);
      wake = true;
      updateVisibility(config, state);
      return view();
    };
  const validator =
    <A extends unknown[]>(op: (...args: A) => RotationState) =>
    (...args: A): void => {
      if (ready) op(...args); // before start-up, the handler validates once the state exists
    };
  setHandler(overrideUpdate, update(operations.override), {
    validator: validator(operations.override),
    description: 'Set who is incoming and/or current now.',
  });
  setHandler(skipUpdate, update(operations.skip), {
    validator: validator(operations.skip),
    description: "Skip a member's turns within a date range, or their next turn.",
  });
  setHandler(swapUpdate, update(operations.swap), {
    validator: validator(operations.swap),
    description: 'Two members exchange their next turns.',
  });
  setHandler(pauseUpdate, update(operations.pause), {
    validator: validator(operations.pause),
    description: 'Stop handovers until resumed.',
  });
  setHandler(resumeUpdate, update(operations.resume), {
    validator: validator(operations.resume),
    description: 'Resume handovers.',
  });
  const validateHandoverNow = (request?: HandoverNowRequest): void => {
    if (ready && state.rotation.paused) {
      throw ApplicationFailure.nonRetryable('The rotation is paused: resume it first.');
    }
    const date = optionalDate(request?.date);
    if (ready && date !== undefined && alignToHandoverDate(config.role, date) !== date) {
      throw ApplicationFailure.create({
        type: 'invalid-date',
        nonRetryable: true,
        message: notAHandoverDate(date),
      });
    }
  };
  setHandler(
    handoverNowUpdate,
    async (request?: HandoverNowRequest) => {
      // One that arrived while the rotation was starting (e.g. just after continue-as-new) could not be validated
      // against the state yet: validate it now, so a paused rotation refuses it as at any other time.
      if (!ready && patched('validate-handover-updates-at-start')) {
        await condition(() => ready);
        validateHandoverNow(request);
      }
      const ticket = ++requestsQueued;
      handoverRequests.push(request ?? {});
      wake = true;
      await condition(() => requestsFinished >= ticket);
      return view();
    },
    {
      validator: validateHandoverNow,
      description: 'Hand over now (or for the given handover date); a date already handed over changes nothing.',
    },
  );
  setHandler(
    refreshMembersUpdate,
    async () => {
      refreshRequested = true;
      wake = true;
      await condition(() => !refreshRequested);
      if (state.lastError?.startsWith('refresh:')) throw ApplicationFailure.nonRetryable(state.lastError);
      return view();
    },
    { description: 'Read the Slack user group again now.' },
  );
  setHandler(stateQuery, view, {
    description: 'Who is incoming, current and next, when the next prepare and handover are, members and history.',
  });
  setHandler(
    planQuery,
    (count = 10) => {
      if (!ready) return view().history; // throws NotReady
      try {
        return planFromState(config.role, state.rotation, pending().date, Math.max(1, Math.min(count, 520)));
      } catch {
        return [];
      }
    },
    { description: 'The next N turns (default 10) as {member, start, end}, honouring skips and swaps.' },
  );

  config = await roleSettings(input.role);
  state = input.state ?? (await startingState(input, config));
  const clock = anchorClock(state.clock, config.timeScale, Date.now(), config.testClockShiftMs);
  if (clock) state.clock = clock; // real time (no anchor) adds nothing to the state
  state.nextHandoverAt ??= nextHandoverAfter(config.role, config.timeZone, new Date(now())).toISOString();
  const role = config.role;
  ready = true;
  for (const deferred of untilReady.splice(0)) deferred();
  updateVisibility(config, state);

  /** Applies a read of the Slack group; an empty group or a failed lookup keeps the members the rotation had. */
  const applyLookup = (lookup: { members: Member[] } | { error: unknown }): void => {
    try {
      if ('error' in lookup) throw lookup.error;
      const result = refreshMembers(state.rotation, lookup.members);
      state.rotation = result.state;
      for (const warning of result.warnings) rememberWarning(state, warning);
      if (result.joined.length || result.left.length) {
        log.info('members changed', { joined: result.joined.length, left: result.left.length });
      }
      if (state.lastError?.startsWith('refresh:')) state.lastError = null;
    } catch (err) {
      state.lastError = `refresh: ${describeFailure(err)}`;
      log.warn('member refresh failed; keeping the previous members', { error: state.lastError });
    }
  };
  const refresh = async (): Promise<void> => {
    try {
      applyLookup({ members: await lookupMembers(role.usergroup) });
    } catch (err) {
      applyLookup({ error: err });
    }
  };

  /** Notice and calendar for the handover on `date`: who comes next, their buddy, and a year of turns. */
  const prepare = async (date: IsoDate, key: string): Promise<boolean> => {
    const failed = (failures: string[]): false => {
      state.lastError = `prepare ${key}: ${failures.join('; ')}`;
      log.warn('prepare step failed; it will be retried', { key, error: state.lastError });
      prepareRetryAt = now() + PREPARE_RETRY_MS;
      return false;
    };
    // One activity reads the group, names the member and writes the notice and the calendar (activities/prepare.ts).
    let result: PrepareHandoverResult;
    try {
      result = await prepareHandover({
        role: input.role,
        date,
        rotation: rotationForPrepare(state.rotation, date),
        standupId: state.standupId,
        turnCount: calendarTurnCount(role, config.calendarHorizonMonths),
      });
    } catch (err) {
      return failed([describeFailure(err)]);
    }
    applyLookup(result.members ? { members: result.members } : { error: new Error(result.refreshError ?? '') });
    if (result.standupId !== null) state.standupId = result.standupId;
    if (!result.named || result.failures.length) return failed(result.failures);
    try {
      for (const warning of handoverNotice(state.rotation, date).warnings) rememberWarning(state, warning);
    } catch {
      // The loop's `isPrepared` finds the rotation changed meanwhile and prepares again.
    }
    state.prepared = { key, ...result.named };
    if (state.lastError?.startsWith('prepare')) state.lastError = null;
    log.info('prepared handover', { key, next: result.named.memberId });
    return true;
  };

  const handover = async (date: IsoDate): Promise<void> => {
    const key = handoverKey(input.role, date);
    if (alignToHandoverDate(role, date) !== date && patched('handover-dates-only')) {
      rememberWarning(state, `handover ${key} not done: ${notAHandoverDate(date)}`);
      return;
    }
    const lastStart = state.rotation.history.at(-1)?.start;
    if (key === state.rotation.lastHandoverKey || (lastStart !== undefined && date <= lastStart)) {
      log.info('handover already done; nothing to change', { key });
      return;
    }
    if (state.rotation.paused) {
      rememberWarning(state, `handover ${key} not done: the rotation is paused`);
      return;
    }
    const followingAt = handoverInstant(role, config.timeZone, followingHandoverDate(role, date));
    // Re-prepare when the notice names someone else (an operator change since, or one that arrived while the notice
    // was going out), unless that week is already over or the prepare step failed (it is recorded in lastError).
    // Runs from before the patch prepared once only.
    while (!isPrepared(state, date, key) && now() < followingAt.getTime()) {
      if (!(await prepare(date, key)) || !patched('reprepare-until-notice-matches')) break;
    }
    // A pause that arrived while the notice was going out stops this handover as well.
    if (state.rotation.paused && patched('no-handover-when-paused-during-prepare')) {
      rememberWarning(state, `handover ${key} not done: the rotation is paused`);
      return;
    }
    let result: ReturnType<typeof applyHandover>;
    try {
      result = applyHandover(state.rotation, { start: date, end: turnEnd(role, date) }, key, config.historyLimit);
    } catch (err) {
      if (!(err instanceof Error && err.name === 'RotationError')) throw err;
      // Nobody can take the turn (an empty group): say so and wait for the next handover instead of failing the task.
      rememberWarning(state, `handover ${key} not done: ${err.message}`);
      if (date >= pending().date) state.nextHandoverAt = followingAt.toISOString();
      updateVisibility(config, state);
      return;
    }
    state.rotation = result.state;
    for (const warning of result.warnings) rememberWarning(state, warning);
    state.handoversDone++;
    if (date >= pending().date) state.nextHandoverAt = followingAt.toISOString();
    log.info('handed over', { key, incoming: state.rotation.incoming?.id, current: state.rotation.current?.id });
    updateVisibility(config, state);
  };

  for (;;) {
    const { date, at, key } = pending();
    const prepareAt = prepareInstant(role, at).getTime();
    const timeNow = now();

    if (refreshRequested) {
      await refresh();
      refreshRequested = false;
      updateVisibility(config, state);
      continue;
    }
    const request = handoverRequests.shift();
    if (request) {
      await handover(request.date ? parseIsoDate(request.date) : date);
      requestsFinished++;
      continue;
    }
    if (state.rotation.paused) {
      if (timeNow >= at.getTime()) {
        rememberWarning(state, `no handover on ${date}: the rotation was paused`);
        state.nextHandoverAt = nextHandoverAfter(role, config.timeZone, at).toISOString();
        updateVisibility(config, state);
        continue;
      }
    } else {
      if (timeNow >= prepareAt && timeNow >= prepareRetryAt && !isPrepared(state, date, key)) {
        await prepare(date, key);
        continue;
      }
      if (mode === 'timer' && timeNow >= at.getTime()) {
        await handover(date);
        continue;
      }
    }

    if (state.handoversDone >= config.handoversPerRun || workflowInfo().continueAsNewSuggested) {
      await condition(() => allHandlersFinished() && handoverRequests.length === 0 && !refreshRequested);
      continuing = true;
      await continueAsNew<typeof roleWorkflow>({ role: input.role, mode, state: { ...state, handoversDone: 0 } });
    }

    const wakeAt = nextWake(timeNow, { prepareAt: Math.max(prepareAt, prepareRetryAt), at: at.getTime() }, state, mode);
    wake = false;
    if (wakeAt === undefined) await condition(() => wake);
    else await condition(() => wake, realDuration(state.clock, wakeAt - timeNow));
  }
}

/** The handover the loop is waiting for. */
function pendingHandover(
  config: RoleRuntimeConfig,
  state: RoleWorkflowState,
): { date: IsoDate; at: Date; key: string } {
  const at = new Date(state.nextHandoverAt!);
  const date = handoverDateOf(config.role, config.timeZone, at);
  return { date, at, key: handoverKey(state.rotation.role, date) };
}

function isPrepared(state: RoleWorkflowState, date: IsoDate, key: string): boolean {
  if (state.prepared?.key !== key) return false;
  try {
    const next = upcomingMember(state.rotation, date).member;
    const buddy = state.rotation.slots === 2 ? state.rotation.incoming : null;
    return state.prepared.memberId === next.id && state.prepared.buddyId === (buddy?.id ?? null);
  } catch {
    return true; // no members: nothing to prepare
  }
}

function nextWake(
  now: number,
  times: { prepareAt: number; at: number },
  state: RoleWorkflowState,
  mode: RoleWorkflowInput['mode'],
): number | undefined {
  if (state.rotation.paused) return times.at;
  if (now < times.prepareAt) return times.prepareAt;
  return mode === 'schedule' ? undefined : times.at;
}

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
  let rotation: RotationState;
  try {
    rotation = initialState(input.role, config.role.slots, members, seed);
  } catch (err) {
    throw asRequestFailure(err);
  }
  return {
    rotation,
    standupId: null,
    prepared: null,
    nextHandoverAt: null,
    warnings: [],
    lastError: null,
    handoversDone: 0,
  };
}

function stateView(
  role: string,
  config: RoleRuntimeConfig,
  state: RoleWorkflowState,
  mode: RoleStateView['mode'],
): RoleStateView {
  const { rotation } = state;
  const at = new Date(state.nextHandoverAt!);
  const date = handoverDateOf(config.role, config.timeZone, at);
  let next: Member | null = null;
  try {
    next = upcomingMember(rotation, date).member;
  } catch {
    next = null;
  }
  return {
    role,
    incoming: rotation.incoming,
    current: rotation.current,
    next,
    nextHandoverAt: at.toISOString(),
    nextPrepareAt: prepareInstant(config.role, at).toISOString(),
    paused: rotation.paused,
    members: rotation.members,
    history: rotation.history,
    mode,
    lastHandoverKey: rotation.lastHandoverKey,
    standupId: state.standupId,
    warnings: state.warnings,
    lastError: state.lastError,
    timeScale: state.clock?.scale ?? 1,
  };
}

/** Search attributes and the Web UI's "current details": who serves, without running a query. */
function updateVisibility(config: RoleRuntimeConfig, state: RoleWorkflowState): void {
  const { rotation } = state;
  upsertSearchAttributes([
    { key: TeamRoleAttribute, value: rotation.role },
    { key: IncomingMemberAttribute, value: rotation.incoming?.name ?? null },
    { key: CurrentMemberAttribute, value: rotation.current?.name ?? null },
    { key: NextHandoverAtAttribute, value: new Date(state.nextHandoverAt!) },
  ]);
  const serving =
    rotation.slots === 2
      ? `incoming ${rotation.incoming?.name ?? 'nobody'}, current ${rotation.current?.name ?? 'nobody'}`
      : `${rotation.current?.name ?? 'nobody'} serving`;
  const when = rotation.paused ? 'paused' : `next handover ${state.nextHandoverAt} (${config.timeZone})`;
  setCurrentDetails(`**${config.role.title}**: ${serving}; ${when}.`);
}

const MAX_WARNINGS = 20;
function rememberWarning(state: RoleWorkflowState, warning: string): void {
  if (state.warnings.at(-1) === warning) return;
  state.warnings.push(warning);
  if (state.warnings.length > MAX_WARNINGS) state.warnings.splice(0, state.warnings.length - MAX_WARNINGS);
}

function optionalDate(text: string | undefined): IsoDate | undefined {
  if (text === undefined) return undefined;
  try {
    return parseIsoDate(text);
  } catch (err) {
    throw asRequestFailure(err);
  }
}

/** A domain error names the problem; as a non-retryable failure it rejects the update with that sentence. */
function asRequestFailure(err: unknown): Error {
  if (err instanceof Error && (err.name === 'RotationError' || err.name === 'ConfigError')) {
    const code = (err as Error & { code?: string }).code ?? err.name;
    return ApplicationFailure.create({ message: err.message, type: code, nonRetryable: true });
  }
  return err instanceof Error ? err : new Error(String(err));
}

function describeFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : err.message;
}
