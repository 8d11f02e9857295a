/**
 * The chaos test's model of a rotation. It is the product's own rules, not a copy: operator changes are applied by
 * the operations table's rows (src/operations.ts), handovers decided by `decideHandover` (src/domain/handover.ts),
 * exactly as the workflow does, so the workflow must agree with it on every outcome and every state.
 */
import type { RoleConfig } from '../../../src/domain/config';
import { decideHandover, goesToNotice, type HandoverDecision } from '../../../src/domain/handover';
import { planWithSkips, upcomingMember, type RotationState } from '../../../src/domain/rotation';
import { addDays, followingHandoverDate, handoverDateOf } from '../../../src/domain/schedule';
import type { IsoDate, Member, Turn } from '../../../src/domain/types';
import { OPERATIONS, type Operation, type OperationContext } from '../../../src/operations';
import type { RoleRuntimeConfig, RoleStateView, RoleWorkflowState } from '../../../src/shared';
import type { Command, DateChoice, Message } from './commands';

export interface Model {
  rotation: RotationState;
  /** The pending handover date (the `nextHandoverAt` date). */
  pending: IsoDate;
  /** Handovers applied so far (not part of the workflow's state). */
  handovers: number;
  /**
   * The handover date whose notice went out while a pause stopped the handover itself (a pause during the notice),
   * until the rotation resumes or hands over: the loop must then withdraw that notice (issue 16).
   */
  noticeOut?: IsoDate;
}

/** An update's outcome; an accepted one carries the state it returned. */
export type Outcome = { ok: true; view?: RoleStateView } | { ok: false; message: string };

/** The request a message carries, as the workflow receives it (`date`: a handoverNow's, resolved). */
export function requestOf(message: Message, date: string | undefined): unknown {
  if (message.op === 'handoverNow') return date === undefined ? {} : { date };
  return 'request' in message ? message.request : undefined;
}

export class Oracle {
  readonly config: RoleRuntimeConfig;

  constructor(
    readonly role: string,
    roleConfig: RoleConfig,
    settings: Pick<RoleRuntimeConfig, 'timeZone' | 'historyLimit' | 'handoversPerRun' | 'calendarHorizonMonths'>,
  ) {
    this.config = { role: roleConfig, ...settings };
  }

  today(): IsoDate {
    return handoverDateOf(this.config.role, this.config.timeZone, new Date());
  }

  /** The concrete date a command names, resolved against a model. */
  date(choice: DateChoice, model: Model): string | undefined {
    if (choice === 'pending') return undefined;
    if (choice === 'pending-explicit') return model.pending;
    if (choice === 'done') return model.rotation.history.at(-1)?.start ?? model.pending;
    if (choice === 'off-day') return addDays(model.pending, 1);
    return choice.malformed;
  }

  /** An operator change (not handoverNow) as its row applies it: the new rotation, or why it is refused. */
  change(model: Model, message: Message): { rotation: RotationState } | { error: string } {
    const operation: Operation = OPERATIONS[message.op];
    if (operation.kind !== 'change') return { rotation: model.rotation }; // refreshMembers: the group stays as it is
    try {
      const state = operation.apply(this.entity(model), requestOf(message, undefined), this.context(model));
      return { rotation: state.rotation };
    } catch (err) {
      return { error: rotationError(err) };
    }
  }

  /** Why a handoverNow is refused before anything happens: the update's validator, or a signal's own reading. */
  handoverRefusal(model: Model, date: string | undefined, via: Command['via']): string | undefined {
    const operation = OPERATIONS.handoverNow;
    const request = date === undefined ? {} : { date };
    try {
      if (via === 'update') operation.check(this.entity(model), request, this.context(model));
      else operation.read(request);
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** What the main loop decides for a handover on `date` (domain/handover.ts). */
  decide(model: Model, date: IsoDate): HandoverDecision {
    return decideHandover(model.rotation, date, {
      roleName: this.role,
      role: this.config.role,
      pending: model.pending,
      historyLimit: this.config.historyLimit,
    });
  }

  /** Whether a handover asked for now goes on to its notice (false: already done, paused, not a handover date). */
  handoverStarts(model: Model, date: IsoDate): boolean {
    return goesToNotice(this.decide(model, date));
  }

  /** The end of a started handover, decided again after the notice: a pause that came meanwhile stops it. */
  handoverApplies(model: Model, date: IsoDate): Model {
    const decision = this.decide(model, date);
    if (!decision.handOver) return decision.because === 'paused' ? { ...model, noticeOut: date } : model;
    return {
      rotation: decision.result.state,
      pending: date >= model.pending ? followingHandoverDate(this.config.role, date) : model.pending,
      handovers: model.handovers + 1,
    };
  }

  /** The rotation after an operator change; a resume ends the notice the pause left out (`noticeOut`). */
  changed(model: Model, rotation: RotationState): Model {
    const { noticeOut, ...rest } = model;
    return rotation.paused && noticeOut !== undefined ? { ...rest, rotation, noticeOut } : { ...rest, rotation };
  }

  /** The next `count` turns as the `plan` query gives them for the model's state (none when nobody can serve). */
  plan(model: Model, count: number): Turn[] {
    try {
      return planWithSkips(this.config.role, model.rotation, model.pending, count);
    } catch {
      return [];
    }
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

  /** The workflow state around the model's rotation (the rest does not enter the operations it applies). */
  private entity(model: Model): RoleWorkflowState {
    return {
      rotation: model.rotation,
      standupId: null,
      prepared: null,
      nextHandoverAt: null,
      warnings: [],
      lastError: null,
      handoversDone: 0,
    };
  }

  private context(model: Model): OperationContext {
    return { role: this.role, config: this.config, today: this.today(), pending: model.pending, now: Date.now() };
  }
}

function rotationError(err: unknown): string {
  if (err instanceof Error && err.name === 'RotationError') return err.message;
  throw err;
}

/** The part of the workflow's `state` answer the model predicts. */
export function observed(view: RoleStateView) {
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

export function sameOutcome(expected: Outcome, actual: Outcome): boolean {
  if (expected.ok || actual.ok) return expected.ok === actual.ok;
  return expected.message === actual.message;
}

export function describeOutcome(outcome: Outcome): string {
  return outcome.ok ? 'accepted' : `rejected: ${outcome.message}`;
}
