/**
 * The operator's operations on a running rotation, one row each: the signal and the update that carry it, what the
 * Temporal UI says about it, and what it does. The role workflow registers every handler from this table
 * (workflows/role/handlers.ts); the CLI and the tests send operations by looking them up here.
 *
 * Two kinds of rows:
 * - a **change** applies a pure function to the workflow's state at once (`apply`); a bad request throws a
 *   `RotationError`, which refuses the update and turns a signal into a warning;
 * - a **step** hands the request to the main loop, which carries it out with activities (a handover, a read of the
 *   Slack group); the update answers once the loop has done it.
 *
 * Adding an operation: a signal and an update in shared.ts, a row here, the domain function it applies, a CLI line.
 * Imported by workflow code: no I/O, no Node built-ins.
 */
import { ApplicationFailure, type SignalDefinition, type UpdateDefinition } from '@temporalio/common';
import {
  acknowledge,
  acknowledgeProblem,
  resumeAcknowledgement,
  suspendAcknowledgement,
  type Acknowledgement,
} from './domain/acknowledgement';
import { RotationError } from './domain/errors';
import { notAHandoverDate } from './domain/handover';
import { findMember } from './domain/members';
import { formatTurnDate } from './domain/planChanges';
import { override, pause, resume, skip, swap } from './domain/rotation';
import { alignToHandoverDate, parseIsoDate } from './domain/schedule';
import type { IsoDate } from './domain/types';
import {
  acknowledgeSignal,
  acknowledgeUpdate,
  type ChangeOptions,
  handoverNowSignal,
  handoverNowUpdate,
  overrideSignal,
  overrideUpdate,
  pauseSignal,
  pauseUpdate,
  refreshMembersSignal,
  refreshMembersUpdate,
  resumeSignal,
  resumeUpdate,
  skipSignal,
  skipUpdate,
  swapSignal,
  swapUpdate,
  type AcknowledgeRequest,
  type HandoverNowRequest,
  type OverrideRequest,
  type RoleRuntimeConfig,
  type RoleStateView,
  type RoleWorkflowState,
  type SkipRequest,
  type SwapRequest,
} from './shared';

/** What an operation may read besides the state and the request. */
export interface OperationContext {
  /** The role's name, e.g. `support-triager`. */
  role: string;
  config: RoleRuntimeConfig;
  /** Today in the role's time zone, on the rotation's clock. */
  readonly today: IsoDate;
  /** The handover date the rotation waits for. */
  readonly pending: IsoDate;
  /** The rotation's time now (ms; the sandbox's simulated clock included). */
  readonly now: number;
}

interface Messages<R> {
  signal: SignalDefinition<[R]> | SignalDefinition<[R?]> | SignalDefinition<[]>;
  update: UpdateDefinition<RoleStateView, [R]> | UpdateDefinition<RoleStateView, []>;
  /** What the Temporal UI shows for the update (and, with "unvalidated", for the signal). */
  description: string;
}

export interface ChangeOperation<R = unknown> extends Messages<R> {
  kind: 'change';
  /** The workflow state after the request; throws a `RotationError` saying why it cannot be done. */
  apply(state: RoleWorkflowState, request: R, context: OperationContext): RoleWorkflowState;
  /**
   * Why the plan changed, in words for the people whose turns it moved ("an operator skipped Dan's next turn"), for
   * a request `apply` took (`state` is the one it applied to).
   */
  reason(state: RoleWorkflowState, request: R): string;
}

/** Whether a change was made with `quiet` (`--quiet`): recorded, but nobody is told (shared.ts `ChangeOptions`). */
export function isQuiet(request: unknown): boolean {
  return typeof request === 'object' && request !== null && (request as ChangeOptions).quiet === true;
}

/** A member a request names, as the rotation knows them (the name people read), or the reference as given. */
function named(state: RoleWorkflowState, ref: string): string {
  try {
    return findMember(state.rotation.members, ref).name;
  } catch {
    return ref.trim();
  }
}

/** The main loop's steps that an operator can ask for. */
export type RequestedStep = 'handover' | 'refresh';

export interface StepOperation<R = unknown> extends Messages<R> {
  kind: 'step';
  step: RequestedStep;
  /** Reads the request as sent; throws on a malformed one (refused by update, a warning by signal). */
  read?(request: R | undefined): void;
  /** Refuses a request the step would not carry out (the update's validator, once the rotation has started). */
  check?(state: RoleWorkflowState, request: R | undefined, context: OperationContext): void;
  /** Throws when the step did not do what the update asked, so the update reports it. */
  outcome?(state: RoleWorkflowState): void;
}

export type Operation<R = unknown> = ChangeOperation<R> | StepOperation<R>;

function optionalDate(text: string | undefined): IsoDate | undefined {
  return text === undefined ? undefined : parseIsoDate(text);
}

/** The state with its acknowledgement record changed (none there: unchanged, as in runs from before them). */
function withAcknowledgement(
  state: RoleWorkflowState,
  change: (record: Acknowledgement) => Acknowledgement,
): RoleWorkflowState {
  return state.acknowledgement ? { ...state, acknowledgement: change(state.acknowledgement) } : state;
}

/**
 * `acknowledge`: the member the notice names (`member`), or an operator on their behalf (`onBehalf`), confirms.
 * Refused, with the state unchanged, when acknowledgements are off, nothing is pending (no notice yet, or its
 * handover has passed), or the member is not the one the notice names.
 */
function applyAcknowledge(
  state: RoleWorkflowState,
  request: AcknowledgeRequest | undefined,
  context: OperationContext,
): RoleWorkflowState {
  if (!context.config.acknowledgementOn) {
    throw new RotationError(
      'nothing-pending',
      `Acknowledgements are off for ${context.role} (acknowledgement.enabled, or neither Slack messages nor Geekbot on).`,
    );
  }
  const held = state.acknowledgement ?? null;
  // A record whose handover has come asks for nothing any more (its turn's history says how it ended).
  const record = held && (held.status === 'acknowledged' || context.now < Date.parse(held.handoverAt)) ? held : null;
  const member = request?.member ? findMember(state.rotation.members, request.member) : null;
  const onBehalf = request?.onBehalf === true;
  const problem = acknowledgeProblem(record, { member, onBehalf });
  if (problem || !record) {
    throw new RotationError(
      record ? 'invalid-request' : 'nothing-pending',
      problem ?? 'No acknowledgement is pending.',
    );
  }
  return {
    ...state,
    acknowledgement: acknowledge(record, { via: onBehalf ? 'operator' : 'member', atMs: context.now }),
  };
}

/** The table. Keys are the operation names (also the signal and update names, shared/CONTRACTS.md). */
export const OPERATIONS = {
  override: {
    kind: 'change',
    signal: overrideSignal,
    update: overrideUpdate,
    description: 'Set who is incoming and/or current now.',
    apply: (state, request, _context) => ({ ...state, rotation: override(state.rotation, request) }),
    reason: (state, request) => {
      const set = [
        ...(request.incoming?.trim() ? [`incoming to ${named(state, request.incoming)}`] : []),
        ...(request.current?.trim() ? [`current to ${named(state, request.current)}`] : []),
      ];
      return `an operator set ${set.join(' and ')}`;
    },
  } satisfies ChangeOperation<OverrideRequest>,

  skip: {
    kind: 'change',
    signal: skipSignal,
    update: skipUpdate,
    description: "Skip a member's turns within a date range, or their next turn.",
    apply: (state, request, context) => {
      const dates = { from: optionalDate(request.from), to: optionalDate(request.to) };
      return { ...state, rotation: skip(state.rotation, { ...request, ...dates }, context.today) };
    },
    reason: (state, request) => {
      const who = named(state, request.member);
      if (request.next) return `an operator skipped ${who}'s next turn`;
      const from = request.from ? formatTurnDate(request.from) : 'today';
      const to = request.to ? formatTurnDate(request.to) : null;
      return `an operator skipped ${who} ${to && to !== from ? `from ${from} to ${to}` : `on ${from}`}`;
    },
  } satisfies ChangeOperation<SkipRequest>,

  swap: {
    kind: 'change',
    signal: swapSignal,
    update: swapUpdate,
    description: 'Two members exchange their next turns.',
    apply: (state, request, context) => ({ ...state, rotation: swap(state.rotation, request, context.today) }),
    reason: (state, request) =>
      `an operator swapped the next turns of ${named(state, request.first)} and ${named(state, request.second)}`,
  } satisfies ChangeOperation<SwapRequest>,

  pause: {
    kind: 'change',
    signal: pauseSignal,
    update: pauseUpdate,
    description: 'Stop handovers until resumed.',
    // Where the plan its people were told starts: the resume tells them how far the pause moved their turns.
    apply: (state, request, context) =>
      withAcknowledgement(
        {
          ...state,
          rotation: pause(state.rotation),
          pause:
            state.rotation.paused && state.pause ? state.pause : { from: context.pending, quiet: isQuiet(request) },
        },
        (record) => suspendAcknowledgement(record, context.now),
      ),
    reason: () => 'an operator paused the rotation',
  } satisfies ChangeOperation<ChangeOptions | undefined>,

  resume: {
    kind: 'change',
    signal: resumeSignal,
    update: resumeUpdate,
    description: 'Resume handovers.',
    apply: (state, _request, context) =>
      withAcknowledgement({ ...state, rotation: resume(state.rotation), pause: null }, (record) =>
        resumeAcknowledgement(record, context.now, context.config.role),
      ),
    reason: (state) =>
      state.pause && state.rotation.paused
        ? `the rotation was paused from the handover of ${formatTurnDate(state.pause.from)} until an operator resumed it`
        : 'an operator resumed the rotation',
  } satisfies ChangeOperation<ChangeOptions | undefined>,

  acknowledge: {
    kind: 'change',
    signal: acknowledgeSignal,
    update: acknowledgeUpdate,
    description:
      'The member the notice names confirms the coming handover ({member}), or an operator does for them ({onBehalf: true}).',
    apply: applyAcknowledge,
    // It moves no turn, so nobody is told of it as a change of the plan.
    reason: () => 'the notice was acknowledged',
  } satisfies ChangeOperation<AcknowledgeRequest>,

  handoverNow: {
    kind: 'step',
    step: 'handover',
    signal: handoverNowSignal,
    update: handoverNowUpdate,
    description: 'Hand over now (or for the given handover date); a date already handed over changes nothing.',
    read: (request) => {
      optionalDate(request?.date);
    },
    // A paused rotation, or another day than a handover day, would hand over nothing (workflows/role/steps.ts).
    check: (state, request, context) => {
      if (state.rotation.paused) throw ApplicationFailure.nonRetryable('The rotation is paused: resume it first.');
      const date = optionalDate(request?.date);
      if (date !== undefined && alignToHandoverDate(context.config.role, date) !== date) {
        throw ApplicationFailure.create({
          type: 'invalid-date',
          nonRetryable: true,
          message: notAHandoverDate(context.role, date, context.pending),
        });
      }
    },
  } satisfies StepOperation<HandoverNowRequest>,

  refreshMembers: {
    kind: 'step',
    step: 'refresh',
    signal: refreshMembersSignal,
    update: refreshMembersUpdate,
    description: 'Read the Slack user group again now.',
    outcome: (state) => {
      if (state.lastError?.startsWith('refresh:')) throw ApplicationFailure.nonRetryable(state.lastError);
    },
  } satisfies StepOperation<undefined>,
} as const;

export type OperationName = keyof typeof OPERATIONS;

/** Every operation, for registering their handlers in one loop. */
export const OPERATION_LIST: readonly (Operation & { name: OperationName })[] = Object.entries(OPERATIONS).map(
  ([name, operation]) => ({ ...operation, name: name as OperationName }),
);

/** The signal's description: the update's, and that a bad request cannot be refused. */
export function signalDescription(operation: Operation): string {
  return operation.kind === 'change'
    ? `${operation.description.replace(/\.$/, '')} (unvalidated: a bad request is kept as a warning).`
    : operation.description;
}

type UpdateArgs<N extends OperationName> =
  (typeof OPERATIONS)[N]['update'] extends UpdateDefinition<RoleStateView, infer Args> ? Args : never;

/** The request an operation takes; `undefined` for one that takes none (pause, resume, refreshMembers). */
export type OperationRequest<N extends OperationName> = UpdateArgs<N> extends [infer R] ? R : undefined;
