/**
 * The operator chaos test's commands: random operator messages (fast-check), valid and invalid, sent by update or
 * by signal, on their own or while a handover runs.
 */
import fc from 'fast-check';
import { sortMembers } from '../../../src/domain/members';
import { addDays } from '../../../src/domain/schedule';
import type { IsoDate } from '../../../src/domain/types';
import { DEMO_MANAGER, DEMO_TEAM } from '../../../src/sandbox/sandbox';
import type { OverrideRequest, SkipRequest, SwapRequest } from '../../../src/shared';

/** Which date a handoverNow names, resolved against the model when the command runs (`Oracle.date`). */
export type DateChoice = 'pending' | 'pending-explicit' | 'done' | 'off-day' | { malformed: string };

export type Message =
  | { op: 'override'; request: OverrideRequest }
  | { op: 'skip'; request: SkipRequest }
  | { op: 'swap'; request: SwapRequest }
  | { op: 'pause' }
  | { op: 'resume' }
  | { op: 'refreshMembers' }
  | { op: 'handoverNow'; date: DateChoice };

export interface Command {
  message: Message;
  via: 'update' | 'signal';
}

export type Step =
  | { kind: 'between'; command: Command }
  /** A handoverNow update and, while it runs, other commands after small delays. */
  | { kind: 'during'; others: { command: Command; delayMs: number }[] };

export const team = sortMembers(DEMO_TEAM);

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

/** The message with its placeholder dates resolved against `today`. */
export function concrete(message: Message, today: IsoDate): Message {
  return message.op === 'skip' ? { op: 'skip', request: resolveSkip(message.request, today) } : message;
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

/** One property run: a few steps, each on its own or during a handover. */
export const sequence = (maxSteps = 3): fc.Arbitrary<Step[]> => fc.array(step, { minLength: 1, maxLength: maxSteps });
