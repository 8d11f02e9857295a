/**
 * Operator chaos: thousands of random sequences (fast-check) of signals and updates, valid and invalid, between and
 * during handovers, against a few long-lived role workflows on the dev server.
 *
 * The oracle is the rotation engine itself (src/domain): a model state is advanced with the same pure functions,
 * so every update must be accepted or rejected exactly as the model says, with the model's reason, and the
 * workflow's state must equal the model's after every step. Commands sent while a handover runs can be processed
 * in any order relative to it and to each other: the model keeps every order consistent with what was observed.
 * A signal cannot be refused: an invalid one must leave the state alone and add a warning with the reason.
 * At the end, over every run (the workflows continue as new every 8 handovers): no workflow task failed in the
 * workflow's code, none timed out; the server's own refusals of a completion because messages arrived meanwhile
 * (UnhandledCommand, Temporal's mechanism for them) are counted and reported. An update the server refuses that way
 * is sent again, as a client must. After one settling handover, the calendar and standup agree with the rotation.
 *
 * FAULTS_CHAOS_SEQUENCES (default 2000) sets the number of sequences, spread over FAULTS_CHAOS_ROLES (default 4)
 * workflows; FAULTS_CHAOS_SEED replays a run.
 */
import assert from 'node:assert/strict';
import { ServiceError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import fc from 'fast-check';
import { createActivities } from '../../src/activities';
import { buildActivityDeps } from '../../src/activities/deps';
import { DEFAULT_SETTINGS, parseSettings, type RoleConfig, type SettingsInput } from '../../src/domain/config';
import { sortMembers } from '../../src/domain/members';
import {
  applyHandover,
  initialState,
  override,
  pause,
  resume,
  skip,
  swap,
  upcomingMember,
  type RotationState,
} from '../../src/domain/rotation';
import {
  addDays,
  alignToHandoverDate,
  followingHandoverDate,
  handoverDateOf,
  handoverKey,
  parseIsoDate,
  turnEnd,
} from '../../src/domain/schedule';
import type { IsoDate, Member } from '../../src/domain/types';
import { startDevServer } from '../../src/servers/environments';
import {
  handoverNowSignal,
  handoverNowUpdate,
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
  TASK_QUEUE,
  type OverrideRequest,
  type RoleStateView,
  type SkipRequest,
  type SwapRequest,
} from '../../src/shared';
import type { roleWorkflow } from '../../src/workflows';
import { DEMO_MANAGER, DEMO_TEAM, startSandbox, type Sandbox } from '../../src/sandbox/sandbox';
import { checkRole, fakesOf } from './invariants';
import {
  countEvents,
  elapsed,
  EventType,
  runHistories,
  sleep,
  startServer,
  stateOf,
  waitFor,
  workflowBundle,
  workflowTaskFailures,
} from '../support';
import { captureRuntimeLogs, collectHistories, rememberSecrets } from './support';

const SEQUENCES = Number(process.env.FAULTS_CHAOS_SEQUENCES ?? 2000);
const ROLES = Number(process.env.FAULTS_CHAOS_ROLES ?? 4);
const SEED = process.env.FAULTS_CHAOS_SEED ? Number(process.env.FAULTS_CHAOS_SEED) : Date.now() % 1_000_000;
const HANDOVERS_PER_RUN = 8;
const HISTORY_LIMIT = 104;
const TIME_ZONE = 'UTC';
/**
 * The server refuses a workflow task's completion when messages arrived while the task ran and the completion
 * closes the run (continue-as-new) or leaves an update unhandled; the worker runs the task again with them. That is
 * Temporal's own mechanism, recorded as WorkflowTaskFailed with these causes: no error in the workflow's code.
 */
const SERVER_REFUSALS = /: WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_(COMMAND|UPDATE)(:|$)/;
/** A message that never comes back means a workflow task that keeps failing. */
const MESSAGE_TIMEOUT_MS = 60_000;

// ---------------------------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------------------------

type DateChoice = 'pending' | 'pending-explicit' | 'done' | 'off-day' | { malformed: string };

type Message =
  | { op: 'override'; request: OverrideRequest }
  | { op: 'skip'; request: SkipRequest }
  | { op: 'swap'; request: SwapRequest }
  | { op: 'pause' }
  | { op: 'resume' }
  | { op: 'refreshMembers' }
  | { op: 'handoverNow'; date: DateChoice };

interface Command {
  message: Message;
  via: 'update' | 'signal';
}

type Step =
  | { kind: 'between'; command: Command }
  /** A handoverNow update and, while it runs, other commands after small delays. */
  | { kind: 'during'; others: { command: Command; delayMs: number }[] };

const team = sortMembers(DEMO_TEAM);
const memberRef: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...team.map((m) => m.name)) },
  { weight: 2, arbitrary: fc.constantFrom(...team.map((m) => m.id)) },
  { weight: 1, arbitrary: fc.constantFrom(...team.map((m) => ` ${m.name.toUpperCase()} `)) },
  { weight: 2, arbitrary: fc.constantFrom('Zed', 'Avaa', 'U0NOBODY', '', '   ', DEMO_MANAGER.name, 'ava ben') },
);
/** Skip dates: around today (past ones are refused), or not dates at all. */
const skipDate: fc.Arbitrary<{ offset: number } | { text: string }> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -21, max: 120 }).map((offset) => ({ offset })) },
  { weight: 1, arbitrary: fc.constantFrom('2026-02-30', 'next week', '', '2027-1-5').map((text) => ({ text })) },
);
const malformed = fc.constantFrom('2026-13-01', 'soon', '2027-02-29', '20261209', '', ' 2026-12-09');
const dateChoice: fc.Arbitrary<DateChoice> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<DateChoice>('pending') },
  { weight: 2, arbitrary: fc.constant<DateChoice>('pending-explicit') },
  { weight: 2, arbitrary: fc.constant<DateChoice>('done') },
  { weight: 1, arbitrary: fc.constant<DateChoice>('off-day') },
  { weight: 1, arbitrary: malformed.map((text): DateChoice => ({ malformed: text })) },
);

function operatorMessage(withHandover: boolean): fc.Arbitrary<Message> {
  const messages: fc.WeightedArbitrary<Message>[] = [
    {
      weight: 3,
      arbitrary: fc
        .record({ incoming: memberRef, current: memberRef }, { requiredKeys: [] })
        .map((request): Message => ({ op: 'override', request })),
    },
    {
      weight: 3,
      arbitrary: fc
        .record({
          member: memberRef,
          next: fc.option(fc.boolean(), { nil: undefined }),
          from: fc.option(skipDate, { nil: undefined }),
          to: fc.option(skipDate, { nil: undefined }),
        })
        .map(({ member, next, from, to }): Message => ({ op: 'skip', request: skipRequest(member, next, from, to) })),
    },
    {
      weight: 3,
      arbitrary: fc
        .record({ first: memberRef, second: memberRef })
        .map((request): Message => ({ op: 'swap', request })),
    },
    { weight: 2, arbitrary: fc.constant<Message>({ op: 'pause' }) },
    { weight: 3, arbitrary: fc.constant<Message>({ op: 'resume' }) },
    { weight: 1, arbitrary: fc.constant<Message>({ op: 'refreshMembers' }) },
  ];
  if (withHandover) {
    messages.push({ weight: 4, arbitrary: dateChoice.map((date): Message => ({ op: 'handoverNow', date })) });
  }
  return fc.oneof(...messages);
}

/** Placeholder dates are resolved against today when the command runs (see `resolveSkip`). */
function skipRequest(
  member: string,
  next: boolean | undefined,
  from: { offset: number } | { text: string } | undefined,
  to: { offset: number } | { text: string } | undefined,
): SkipRequest {
  const encode = (d: typeof from) =>
    d === undefined ? undefined : 'text' in d ? `text:${d.text}` : `offset:${d.offset}`;
  return {
    member,
    ...(next === undefined ? {} : { next }),
    ...(from === undefined ? {} : { from: encode(from) }),
    ...(to === undefined ? {} : { to: encode(to) }),
  };
}

function resolveSkip(request: SkipRequest, today: IsoDate): SkipRequest {
  const decode = (value: string | undefined) => {
    if (value === undefined) return undefined;
    if (value.startsWith('text:')) return value.slice(5);
    return addDays(today, Number(value.slice(7)));
  };
  const resolved: SkipRequest = { member: request.member };
  if (request.next !== undefined) resolved.next = request.next;
  const from = decode(request.from);
  const to = decode(request.to);
  if (from !== undefined) resolved.from = from;
  if (to !== undefined) resolved.to = to;
  return resolved;
}

const command = (withHandover: boolean): fc.Arbitrary<Command> =>
  fc.record({ message: operatorMessage(withHandover), via: fc.constantFrom<Command['via']>('update', 'signal') });

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: command(true).map((c): Step => ({ kind: 'between', command: c })) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.record({ command: command(false), delayMs: fc.integer({ min: 0, max: 60 }) }), {
        minLength: 1,
        maxLength: 3,
      })
      .map((others): Step => ({ kind: 'during', others })),
  },
);
const sequence = fc.array(step, { minLength: 1, maxLength: 3 });

// ---------------------------------------------------------------------------------------------------------------
// The model: the rotation engine's own functions, and when the next handover is
// ---------------------------------------------------------------------------------------------------------------

interface Model {
  rotation: RotationState;
  /** The pending handover date (the `nextHandoverAt` date). */
  pending: IsoDate;
  /** Handovers applied so far (not part of the workflow's state). */
  handovers: number;
}

/** An update's outcome; an accepted one carries the state it returned. */
type Outcome = { ok: true; view?: RoleStateView } | { ok: false; message: string };

const NOT_A_HANDOVER_DATE = /is not a handover date/;

class Oracle {
  constructor(
    readonly role: string,
    readonly config: RoleConfig,
  ) {}

  today(): IsoDate {
    return handoverDateOf(this.config, TIME_ZONE, new Date());
  }

  /** The concrete date a command names, resolved against a model. */
  date(choice: DateChoice, model: Model): string | undefined {
    if (choice === 'pending') return undefined;
    if (choice === 'pending-explicit') return model.pending;
    if (choice === 'done') return model.rotation.history.at(-1)?.start ?? model.pending;
    if (choice === 'off-day') return addDays(model.pending, 1);
    return choice.malformed;
  }

  /** An operator change (not handoverNow): the new rotation, or the reason it is refused. */
  change(model: Model, message: Message): { rotation: RotationState } | { error: string } {
    const today = this.today();
    try {
      switch (message.op) {
        case 'override':
          return { rotation: override(model.rotation, message.request) };
        case 'skip': {
          const request = message.request;
          const from = request.from === undefined ? undefined : parseIsoDate(request.from);
          const to = request.to === undefined ? undefined : parseIsoDate(request.to);
          return { rotation: skip(model.rotation, { ...request, from, to }, today) };
        }
        case 'swap':
          return { rotation: swap(model.rotation, message.request, today) };
        case 'pause':
          return { rotation: pause(model.rotation) };
        case 'resume':
          return { rotation: resume(model.rotation) };
        case 'refreshMembers':
          return { rotation: model.rotation };
        case 'handoverNow':
          throw new Error('handoverNow is not a change');
      }
    } catch (err) {
      if (err instanceof Error && err.name === 'RotationError') return { error: err.message };
      throw err;
    }
  }

  /** Why a handoverNow for `date` is refused before anything happens, if it is. */
  handoverRefusal(model: Model, date: string | undefined, via: Command['via']): string | undefined {
    if (via === 'update' && model.rotation.paused) return 'The rotation is paused: resume it first.';
    if (date === undefined) return undefined;
    try {
      parseIsoDate(date);
    } catch (err) {
      return (err as Error).message;
    }
    // Only the role's handover dates (Wednesdays here): another date would move the rotation to another weekday.
    if (alignToHandoverDate(this.config, date) !== date) return 'is not a handover date';
    return undefined;
  }

  /** Whether a handover for `date` starts (true), or changes nothing (already done, or paused: false). */
  handoverStarts(model: Model, date: IsoDate): boolean {
    const key = handoverKey(this.role, date);
    const lastStart = model.rotation.history.at(-1)?.start;
    if (key === model.rotation.lastHandoverKey || (lastStart !== undefined && date <= lastStart)) return false;
    return !model.rotation.paused;
  }

  /** The end of a started handover: the turn is applied unless a pause arrived meanwhile. */
  handoverApplies(model: Model, date: IsoDate): Model {
    if (model.rotation.paused) return model;
    const result = applyHandover(
      model.rotation,
      { start: date, end: turnEnd(this.config, date) },
      handoverKey(this.role, date),
      HISTORY_LIMIT,
    );
    return {
      rotation: result.state,
      pending: date >= model.pending ? followingHandoverDate(this.config, date) : model.pending,
      handovers: model.handovers + 1,
    };
  }

  /** The part of the `state` query the model predicts. */
  view(model: Model) {
    let next: Member | null = null;
    try {
      next = upcomingMember(model.rotation, model.pending).member;
    } catch {
      next = null;
    }
    const { incoming, current, paused, history, lastHandoverKey, members } = model.rotation;
    return { incoming, current, paused, history, lastHandoverKey, members, next, pending: model.pending };
  }
}

function observed(view: RoleStateView) {
  const { incoming, current, paused, history, lastHandoverKey, members, next } = view;
  return {
    incoming,
    current,
    paused,
    history,
    lastHandoverKey,
    members,
    next,
    pending: view.nextHandoverAt.slice(0, 10),
  };
}

function sameOutcome(expected: Outcome, actual: Outcome): boolean {
  if (expected.ok || actual.ok) return expected.ok === actual.ok;
  if (expected.message === 'is not a handover date') return NOT_A_HANDOVER_DATE.test(actual.message);
  return expected.message === actual.message;
}

function describeOutcome(outcome: Outcome): string {
  return outcome.ok ? 'accepted' : `rejected: ${outcome.message}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Talking to the workflow
// ---------------------------------------------------------------------------------------------------------------

interface Stats {
  sequences: number;
  steps: number;
  during: number;
  updatesAccepted: number;
  updatesRejected: number;
  signals: number;
  signalsIgnored: number;
  notReady: number;
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not complete in ${MESSAGE_TIMEOUT_MS} ms`)),
      MESSAGE_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Sends an update; a rejection must be an update failure carrying the reason. */
async function sendUpdate(handle: WorkflowHandle, message: Message, date: string | undefined): Promise<Outcome> {
  const run = (): Promise<RoleStateView> => {
    switch (message.op) {
      case 'override':
        return handle.executeUpdate(overrideUpdate, { args: [message.request] });
      case 'skip':
        return handle.executeUpdate(skipUpdate, { args: [message.request] });
      case 'swap':
        return handle.executeUpdate(swapUpdate, { args: [message.request] });
      case 'pause':
        return handle.executeUpdate(pauseUpdate);
      case 'resume':
        return handle.executeUpdate(resumeUpdate);
      case 'refreshMembers':
        return handle.executeUpdate(refreshMembersUpdate);
      case 'handoverNow':
        return handle.executeUpdate(handoverNowUpdate, { args: [date === undefined ? {} : { date }] });
    }
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return { ok: true, view: await withTimeout(run(), `the ${message.op} update`) };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const reason = err.cause?.message ?? '';
        assert.ok(reason.length > 0, `a rejected ${message.op} update gives its reason`);
        return { ok: false, message: reason };
      }
      // An update that reaches a run in the very workflow task that continues it as new is refused by the server
      // (nothing of it was applied); a client sends it again, and it reaches the new run.
      if (attempt < 20 && isRetryableUpdateError(err)) {
        retriedUpdates.count += 1;
        await sleep(50);
        continue;
      }
      throw err;
    }
  }
}

const retriedUpdates = { count: 0 };

function isRetryableUpdateError(err: unknown): boolean {
  const cause = (err as { cause?: { code?: number; details?: string } }).cause;
  const text = `${(err as Error).message} ${cause?.details ?? ''}`;
  return (
    err instanceof ServiceError &&
    (cause?.code === 9 /* FAILED_PRECONDITION */ || cause?.code === 5) /* NOT_FOUND */ &&
    /workflow task failure|continued as new|already completed|closing|not found/i.test(text)
  );
}

function sendSignal(handle: WorkflowHandle, message: Message, date: string | undefined): Promise<void> {
  switch (message.op) {
    case 'override':
      return handle.signal(overrideSignal, message.request);
    case 'skip':
      return handle.signal(skipSignal, message.request);
    case 'swap':
      return handle.signal(swapSignal, message.request);
    case 'pause':
      return handle.signal(pauseSignal);
    case 'resume':
      return handle.signal(resumeSignal);
    case 'refreshMembers':
      return handle.signal(refreshMembersSignal);
    case 'handoverNow':
      return handle.signal(handoverNowSignal, date === undefined ? {} : { date });
  }
}

/** The message with its placeholder dates resolved. */
function concrete(oracle: Oracle, message: Message): Message {
  return message.op === 'skip' ? { op: 'skip', request: resolveSkip(message.request, oracle.today()) } : message;
}

class Chaos {
  /** Every state the workflow may be in, given what was observed (usually one). */
  candidates: Model[];
  readonly stats: Stats = {
    sequences: 0,
    steps: 0,
    during: 0,
    updatesAccepted: 0,
    updatesRejected: 0,
    signals: 0,
    signalsIgnored: 0,
    notReady: 0,
  };
  private readonly trail: string[] = [];

  constructor(
    readonly oracle: Oracle,
    readonly handle: WorkflowHandle<typeof roleWorkflow>,
    start: Model,
    /** The warnings of the last state seen. */
    private warnings: string[],
  ) {
    this.candidates = [start];
  }

  private note(line: string): void {
    this.trail.push(line);
    if (this.trail.length > 30) this.trail.shift();
  }

  private fail(message: string): never {
    throw new Error(`${this.oracle.role}: ${message}\n  recent steps:\n    ${this.trail.join('\n    ')}`);
  }

  /** The state query; right after continue-as-new the new run answers NotReady for a moment, as documented. */
  private async view(): Promise<RoleStateView> {
    for (let i = 0; ; i++) {
      try {
        return await withTimeout(this.handle.query(stateQuery), 'the state query');
      } catch (err) {
        if (i > 200 || !/starting/.test((err as Error).message)) throw err;
        this.stats.notReady += 1;
        await sleep(25);
      }
    }
  }

  private matches(model: Model, view: RoleStateView): boolean {
    return JSON.stringify(this.oracle.view(model)) === JSON.stringify(observed(view));
  }

  private keep(models: Model[], view: RoleStateView, what: string): void {
    const unique = new Map(models.map((m) => [JSON.stringify(m), m]));
    const consistent = [...unique.values()].filter((m) => this.matches(m, view));
    if (consistent.length === 0) {
      const expected = [...unique.values()].slice(0, 3).map((m) => JSON.stringify(this.oracle.view(m)));
      this.fail(
        `after ${what} the workflow's state matches no order of the messages.\n  workflow: ${JSON.stringify(observed(view))}\n` +
          `  model:    ${expected.join('\n  or:       ')}`,
      );
    }
    this.candidates = consistent.slice(0, 64);
    this.warnings = view.warnings;
  }

  async run(steps: Step[]): Promise<void> {
    this.stats.sequences += 1;
    for (const s of steps) {
      this.stats.steps += 1;
      if (s.kind === 'between') await this.between(s.command);
      else await this.during(s.others);
      // A refreshMembers signal leaves the main loop reading the Slack group for a moment; a handoverNow signal sent
      // then waits behind it and is handled with whatever pause state holds by then. Let the refresh finish (the
      // update returns when it has), so that the next step starts from a known state.
      const commands = s.kind === 'between' ? [s.command] : s.others.map((o) => o.command);
      if (commands.some((c) => c.via === 'signal' && c.message.op === 'refreshMembers')) {
        await sendUpdate(this.handle, { op: 'refreshMembers' }, undefined);
      }
    }
  }

  /** One command on its own: the outcome and the state must be exactly the model's. */
  private async between(cmd: Command): Promise<void> {
    const model = this.candidates[0]!;
    const message = concrete(this.oracle, cmd.message);
    const date = message.op === 'handoverNow' ? this.oracle.date(message.date, model) : undefined;
    const label = `${cmd.via} ${message.op} ${JSON.stringify(message.op === 'handoverNow' ? { date } : message)}`;
    this.note(label);

    // What the model expects, from each candidate state (they must all agree on the outcome to be useful).
    const next: Model[] = [];
    const expected: Outcome[] = [];
    const warnings: (string | undefined)[] = [];
    for (const m of this.candidates) {
      if (message.op === 'handoverNow') {
        const refusal = this.oracle.handoverRefusal(m, date, cmd.via);
        if (refusal) {
          expected.push({ ok: false, message: refusal });
          warnings.push(cmd.via === 'signal' ? refusal : undefined);
          next.push(m);
          continue;
        }
        const day = date ?? m.pending;
        expected.push({ ok: true });
        warnings.push(undefined);
        next.push(this.oracle.handoverStarts(m, day) ? this.oracle.handoverApplies(m, day) : m);
      } else {
        const result = this.oracle.change(m, message);
        if ('error' in result) {
          expected.push({ ok: false, message: result.error });
          warnings.push(`${message.op} signal ignored: ${result.error}`);
          next.push(m);
        } else {
          expected.push({ ok: true });
          warnings.push(undefined);
          next.push({ ...m, rotation: result.rotation });
        }
      }
    }

    if (cmd.via === 'update') {
      const actual = await sendUpdate(this.handle, message, date);
      if (actual.ok) this.stats.updatesAccepted += 1;
      else this.stats.updatesRejected += 1;
      const agreeing = next.filter((_, i) => sameOutcome(expected[i]!, actual));
      if (agreeing.length === 0) {
        this.fail(`${label} was ${describeOutcome(actual)}; the model says ${describeOutcome(expected[0]!)}`);
      }
      // An accepted update returns the state after it: that is what the model must match.
      this.keep(agreeing, actual.ok && actual.view ? actual.view : await this.view(), label);
      return;
    }

    this.stats.signals += 1;
    await sendSignal(this.handle, message, date);
    if (message.op === 'handoverNow' && expected[0]!.ok && !model.rotation.paused) {
      // Wait for the handover the signal asked for: an update for the same date changes nothing and returns after it.
      await sendUpdate(this.handle, { op: 'handoverNow', date: 'done' }, date ?? model.pending);
    }
    // A signal cannot be refused: an invalid one is ignored with a warning naming the reason. The warnings added since
    // the last state seen (a repeat of the last one is not added again) tell which candidate states are possible.
    const says = (warning: string, reason: string) =>
      reason === 'is not a handover date' ? NOT_A_HANDOVER_DATE.test(warning) : warning.endsWith(reason);
    let view = await this.view();
    if (message.op === 'handoverNow' && warnings[0] === 'is not a handover date') {
      // The date's weekday is checked when the main loop takes the request, which may be after a refresh it is
      // running: wait for the warning.
      for (
        let i = 0;
        i < 600 && !addedWarnings(this.warnings, view.warnings).some((w) => says(w, 'is not a handover date'));
        i++
      ) {
        await sleep(50);
        view = await this.view();
      }
    }
    const added = addedWarnings(this.warnings, view.warnings);
    const last = view.warnings.at(-1) ?? '';
    const possible = next.filter((_, i) => {
      const reason = warnings[i];
      if (reason !== undefined) return added.some((w) => says(w, reason)) || (added.length === 0 && says(last, reason));
      // Applied: no "ignored" warning for it (a handover still running may add warnings of its own).
      return !added.some((w) => w.startsWith(`${message.op} signal ignored:`));
    });
    if (warnings[0] !== undefined) this.stats.signalsIgnored += 1;
    if (possible.length === 0) {
      this.fail(
        `${label}: the model says ${warnings[0] === undefined ? 'it applies' : `it is ignored with "${warnings[0]}"`}; ` +
          `warnings added: ${JSON.stringify(added)}, the last is "${last}"`,
      );
    }
    this.keep(possible, view, label);
  }

  /** A handoverNow update and, while it runs, other commands: any order of them is allowed. */
  private async during(others: { command: Command; delayMs: number }[]): Promise<void> {
    this.stats.during += 1;
    const messages = others.map(({ command: c }) => ({ ...c, message: concrete(this.oracle, c.message) }));
    this.note(
      `during a handover: ${messages.map((c) => `${c.via} ${c.message.op} ${JSON.stringify(c.message)}`).join(' | ')}`,
    );

    const handover = sendUpdate(this.handle, { op: 'handoverNow', date: 'pending' }, undefined);
    const sent = messages.map(async (c, i) => {
      await sleep(others[i]!.delayMs);
      if (c.via === 'update') return sendUpdate(this.handle, c.message, undefined);
      this.stats.signals += 1;
      await sendSignal(this.handle, c.message, undefined);
      return undefined;
    });
    const [handoverOutcome, ...outcomes] = await Promise.all([handover, ...sent]);
    for (const o of [handoverOutcome, ...outcomes]) {
      if (o?.ok) this.stats.updatesAccepted += 1;
      else if (o) this.stats.updatesRejected += 1;
    }
    const view = await this.view();

    // Tokens: 'v' the handover's validation, 's' its start, 'a' its end; 0..n-1 the other messages.
    type Token = 'v' | 's' | 'a' | number;
    const tokens: Token[] = ['v', 's', 'a', ...messages.map((_, i) => i)];
    const results: Model[] = [];
    for (const order of permutations(tokens)) {
      if (!(order.indexOf('v') < order.indexOf('s') && order.indexOf('s') < order.indexOf('a'))) continue;
      for (const start of this.candidates) {
        let m = start;
        let consistent = true;
        let refused = false;
        let started = false;
        for (const token of order) {
          if (token === 'v') {
            const refusal = this.oracle.handoverRefusal(m, undefined, 'update');
            refused = refusal !== undefined;
            consistent = sameOutcome(refused ? { ok: false, message: refusal! } : { ok: true }, handoverOutcome);
          } else if (token === 's') {
            started = !refused && this.oracle.handoverStarts(m, m.pending);
          } else if (token === 'a') {
            if (started) m = this.oracle.handoverApplies(m, m.pending);
          } else {
            const result = this.oracle.change(m, messages[token]!.message);
            const outcome = outcomes[token];
            if (outcome) {
              const expected: Outcome = 'error' in result ? { ok: false, message: result.error } : { ok: true };
              consistent = sameOutcome(expected, outcome);
            }
            if ('rotation' in result) m = { ...m, rotation: result.rotation };
          }
          if (!consistent) break;
        }
        if (consistent) results.push(m);
      }
    }
    if (results.length === 0) {
      this.fail(
        `the outcomes (handover ${describeOutcome(handoverOutcome)}; ${outcomes
          .map((o, i) => `${messages[i]!.message.op} ${o ? describeOutcome(o) : 'signalled'}`)
          .join('; ')}) match no order of the messages`,
      );
    }
    this.keep(results, view, 'a handover with messages during it');
  }
}

/** The warnings `after` has that `before` had not (the list is capped, so its oldest may have dropped out). */
function addedWarnings(before: string[], after: string[]): string[] {
  for (let k = Math.min(before.length, after.length); k > 0; k--) {
    if (JSON.stringify(before.slice(before.length - k)) === JSON.stringify(after.slice(0, k))) return after.slice(k);
  }
  return after;
}

function* permutations<T>(items: T[]): Generator<T[]> {
  if (items.length <= 1) {
    yield [...items];
    return;
  }
  for (let i = 0; i < items.length; i++) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const tail of permutations(rest)) yield [items[i]!, ...tail];
  }
}

// ---------------------------------------------------------------------------------------------------------------

describe('faults: operator chaos, signals and updates between and during handovers (dev server)', function () {
  this.timeout(30 * 60_000);
  let env: TestWorkflowEnvironment;
  let sandbox: Sandbox;
  let worker: Worker;
  const roles = Array.from({ length: ROLES }, (_, i) => `chaos-${i + 1}`);
  const shipped = DEFAULT_SETTINGS.roles['support-triager']!;
  const settingsInput: SettingsInput = {
    ...DEFAULT_SETTINGS,
    standupManager: DEMO_MANAGER,
    handoversPerRun: HANDOVERS_PER_RUN,
    historyLimit: HISTORY_LIMIT,
    // Three months of calendar turns (13) instead of a year: operator changes rewrite every future event at the
    // next handover, and the messages, not the calendar's volume, are what this scenario is about.
    calendarHorizonMonths: 3,
    roles: Object.fromEntries(
      roles.map((role, i) => [
        role,
        { ...shipped, title: `Chaos Triager ${i + 1}`, standup: { ...shipped.standup, name: `ChaosTriager${i + 1}` } },
      ]),
    ),
  };
  const settings = parseSettings(settingsInput);

  before(async () => {
    captureRuntimeLogs();
    env = await startServer('the dev server', () => startDevServer({ resolve: { sdkDownload: false } }));
    sandbox = await startSandbox({
      groups: { 'support-triagers': DEMO_TEAM, 'meeting-facilitators': DEMO_TEAM },
      standupManager: DEMO_MANAGER,
      // A little latency so that messages land while a handover's activities run.
      faults: {
        geekbot: { latencyMs: { min: 5, max: 40 }, seed: 3 },
        calendar: { latencyMs: { min: 2, max: 20 }, seed: 4 },
      },
    });
    rememberSecrets(sandbox);
    worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue: TASK_QUEUE,
      workflowBundle: await workflowBundle(),
      activities: createActivities(await buildActivityDeps(sandbox.env, settings)),
    });
  });
  after(async () => {
    for (const role of roles) {
      await collectHistories(env.client, `team-roles/${role}`, `operator-chaos ${role}`).catch(() => undefined);
    }
    await sandbox?.close();
    await env?.teardown();
  });

  it(`${SEQUENCES} random sequences over ${ROLES} workflows: exact outcomes, no failed workflow task, invariants hold`, async () => {
    const started = Date.now();
    console.log(`      seed ${SEED} (FAULTS_CHAOS_SEED=${SEED} replays it)`);
    await worker.runUntil(async () => {
      const stop = { reason: undefined as unknown };
      const settled = await Promise.allSettled(
        roles.map(async (role, i) => {
          const oracle = new Oracle(role, settings.roles[role]!);
          const handle = await env.client.workflow.start<typeof roleWorkflow>('roleWorkflow', {
            workflowId: `team-roles/${role}`,
            taskQueue: TASK_QUEUE,
            args: [{ role, seed: { incoming: 'Ben', current: 'Ava' } }],
          });
          const first = await stateOf(handle);
          let model: Model = {
            rotation: initialState(role, 2, team, { incoming: team[1]!, current: team[0]! }),
            pending: first.nextHandoverAt.slice(0, 10),
            handovers: 0,
          };
          const afterFirst = await handle.executeUpdate(handoverNowUpdate, { args: [{}] });
          model = oracle.handoverApplies(model, model.pending);
          const runner = new Chaos(oracle, handle, model, afterFirst.warnings);
          const runs = Math.ceil(SEQUENCES / ROLES);
          try {
            await fc.assert(
              fc.asyncProperty(sequence, async (steps) => {
                if (stop.reason === undefined) await runner.run(steps);
              }),
              { numRuns: runs, seed: SEED + i, endOnFailure: true },
            );
          } catch (err) {
            stop.reason ??= err;
            throw err;
          }
          return runner;
        }),
      );
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) {
        for (const role of roles) {
          const failures = workflowTaskFailures(await runHistories(env.client, `team-roles/${role}`));
          if (failures.length)
            console.log(`      ${role}: failed workflow tasks:\n        ${failures.join('\n        ')}`);
        }
        throw failed.reason;
      }
      const chaos = settled.map((s) => (s as PromiseFulfilledResult<Chaos>).value);

      const totals = chaos.reduce(
        (sum, c) => {
          for (const [key, value] of Object.entries(c.stats)) sum[key as keyof Stats] += value;
          return sum;
        },
        {
          sequences: 0,
          steps: 0,
          during: 0,
          updatesAccepted: 0,
          updatesRejected: 0,
          signals: 0,
          signalsIgnored: 0,
          notReady: 0,
        },
      );
      let handovers = 0;
      let serverRefusals = 0;
      let runs = 0;
      for (const c of chaos) {
        // Settle: resume and hand over once more, so the last prepare step saw the rotation as it is now.
        await c.run([
          { kind: 'between', command: { message: { op: 'resume' }, via: 'update' } },
          { kind: 'between', command: { message: { op: 'handoverNow', date: 'pending' }, via: 'update' } },
        ]);
        // (The handover may have continued the workflow as new: the new run answers once it has started.)
        const state = await stateOf(c.handle);
        const plan = await waitFor('the plan query', () => c.handle.query(planQuery, 60));
        const index = roles.indexOf(c.oracle.role) + 1;
        checkRole(
          { state, plan, ...fakesOf(sandbox) },
          {
            role: c.oracle.role,
            title: `Chaos Triager ${index}`,
            standupName: `ChaosTriager${index}`,
            manager: DEMO_MANAGER,
            settled: true,
            distinctTurns: false,
            horizonTurns: 13,
          },
        );
        handovers += c.candidates[0]!.handovers;
        const histories = await collectHistories(
          env.client,
          `team-roles/${c.oracle.role}`,
          `operator-chaos ${c.oracle.role}`,
        );
        runs += histories.length;
        const failures = workflowTaskFailures(histories);
        const refused = failures.filter((f) => SERVER_REFUSALS.test(f));
        serverRefusals += refused.length;
        assert.deepEqual(
          failures.filter((f) => !SERVER_REFUSALS.test(f)),
          [],
          `${c.oracle.role}: no workflow task failed in the workflow's code`,
        );
        assert.equal(countEvents(histories, EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT), 0);
      }
      console.log(
        `      ${totals.sequences} sequences, ${totals.steps} steps (${totals.during} during a handover): ` +
          `${totals.updatesAccepted} updates accepted, ${totals.updatesRejected} rejected with their reason, ` +
          `${totals.signals} signals (${totals.signalsIgnored} ignored with a warning); ` +
          `${totals.notReady} state queries answered NotReady (a new run starting); ` +
          `${handovers} handovers, ${runs} workflow runs (continue-as-new every ${HANDOVERS_PER_RUN}); ` +
          `${serverRefusals} workflow task completions refused by the server for messages that arrived meanwhile ` +
          `(UnhandledCommand), ${retriedUpdates.count} updates sent again after such a refusal; ${elapsed(started)}`,
      );
    });
  });
});
