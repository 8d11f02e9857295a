/**
 * One-off jobs (the old scripts) as short workflows on the worker, so they use the worker's secrets, run the same
 * activities as the role workflow, finish even if the operator's terminal closes, and show in the Web UI.
 *
 * Each job computes a preview (the `preview` query), waits for the operator's `confirm` (or `cancel`, or gives up
 * after 15 minutes without changing anything), then works in small chunks so that `progress` moves.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  log,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
} from '@temporalio/workflow';
import type { createActivities, RoleEvent } from '../activities';
import { findMember, memberById, sortMembers } from '../domain/members';
import { planTurns } from '../domain/rotation';
import { alignToHandoverDate, followingHandoverDate, handoverDateOf, parseIsoDate } from '../domain/schedule';
import type { IsoDate, Member, Turn } from '../domain/types';
import type { RoleRuntimeConfig } from '../shared';
import {
  cancelJobUpdate,
  confirmJobUpdate,
  JOB_CONFIRM_TIMEOUT_MS,
  MAX_JOB_TURNS,
  jobPreviewQuery,
  jobProgressQuery,
  type CreateEventsJob,
  type CreateStandupJob,
  type DeleteEventsJob,
  type JobInput,
  type JobPhase,
  type JobPreview,
  type JobProgress,
  type JobResult,
  type PlannedTurn,
} from './jobs-shared';

type Activities = ReturnType<typeof createActivities>;

const { roleSettings } = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds' });

// The preview is read while an operator waits: a few minutes of retries, then the job fails with the reason.
const reading = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '3 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});
// Confirmed work may outlive the operator's terminal: retried for an hour through rate limits and outages.
const writing = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes' },
});

/** Events written or deleted per activity call: small enough for a moving progress bar. */
const CHUNK = 5;

export async function jobWorkflow(input: JobInput): Promise<JobResult> {
  let phase: JobPhase = 'preparing';
  let shown: JobPreview | null = null;
  let done = 0;
  let total = 0;
  let decision: 'confirm' | 'cancel' | null = null;
  const progress = (): JobProgress => ({ phase, done, total });

  setHandler(jobPreviewQuery, () => shown, {
    description: 'What the job would do (null while it is still reading Slack or the calendar).',
  });
  setHandler(jobProgressQuery, progress, {
    description: 'The phase and how many units of work are done of the total.',
  });
  const decide = (choice: 'confirm' | 'cancel') => () => {
    decision = choice;
    phase = choice === 'confirm' ? 'working' : 'cancelled';
    return progress();
  };
  const awaitingConfirmation = () => {
    if (phase !== 'awaiting-confirmation') {
      throw ApplicationFailure.nonRetryable(`The job is ${phase}: there is nothing to confirm or cancel.`);
    }
  };
  setHandler(confirmJobUpdate, decide('confirm'), {
    validator: awaitingConfirmation,
    description: 'Go ahead with the previewed changes.',
  });
  setHandler(cancelJobUpdate, decide('cancel'), {
    validator: awaitingConfirmation,
    description: 'End the job without changing anything.',
  });

  /** Shows the preview and waits for the operator; true when they confirmed. */
  const confirmed = async (ready: JobPreview, units: number, what: string): Promise<boolean> => {
    shown = ready;
    total = units;
    if (units === 0) {
      phase = 'nothing-to-do';
      return false;
    }
    phase = 'awaiting-confirmation';
    setCurrentDetails(`Waiting for the operator to confirm: ${what}.`);
    if (!(await condition(() => decision !== null, JOB_CONFIRM_TIMEOUT_MS))) {
      phase = 'expired';
      setCurrentDetails('Nobody confirmed within 15 minutes: nothing was changed.');
      log.info('job expired without confirmation', { kind: input.kind });
      return false;
    }
    if (decision === 'cancel') setCurrentDetails('Cancelled by the operator: nothing was changed.');
    return decision === 'confirm';
  };
  const outcome = () => (phase === 'working' ? 'done' : (phase as 'nothing-to-do' | 'cancelled' | 'expired'));
  const report = (doneNow: number, what: string) => {
    done = doneNow;
    setCurrentDetails(`${what}: ${done} of ${total} done.`);
  };

  switch (input.kind) {
    case 'list-members': {
      const members = await reading.lookupMembers(input.usergroup);
      shown = { kind: 'list-members', usergroup: input.usergroup, members };
      phase = 'done';
      return { kind: 'list-members', outcome: 'done', members };
    }

    case 'role-settings': {
      phase = 'done';
      try {
        return { kind: 'role-settings', outcome: 'done', config: await roleSettings(input.role), error: null };
      } catch (err) {
        // An unknown role is an answer, not a failed job: the CLI says it as a usage error.
        const cause = err instanceof ActivityFailure ? err.cause : err;
        if (!(cause instanceof ApplicationFailure) || cause.type !== 'ConfigError') throw err;
        return { kind: 'role-settings', outcome: 'done', config: null, error: cause.message };
      }
    }

    case 'create-standup': {
      const config = await roleSettings(input.role);
      const ready = standupPreview(input, config);
      const who = `point the ${config.role.standup.name} standup at ${input.incoming.name}`;
      if (!(await confirmed(ready, 1, who))) {
        return { kind: 'create-standup', outcome: outcome(), standupId: null, action: null };
      }
      const result = await writing.upsertStandup({
        role: input.role,
        incoming: input.incoming,
        buddy: input.buddy,
        standupId: input.standupId ?? null,
      });
      report(1, 'Standup');
      phase = 'done';
      return { kind: 'create-standup', outcome: 'done', standupId: result.standupId, action: result.action };
    }

    case 'create-next-event':
    case 'create-bulk-events': {
      const config = await roleSettings(input.role);
      const ready = await eventsPreview(input, config);
      const pending = ready.turns.filter((turn) => turn.action !== 'exists');
      const unchanged = ready.turns.length - pending.length;
      const what = `write ${pending.length} ${config.role.title} event(s)`;
      const result = { kind: input.kind, created: 0, repaired: 0, unchanged };
      if (!(await confirmed(ready, pending.length, what))) return { ...result, outcome: outcome() };
      for (let i = 0; i < pending.length; i += CHUNK) {
        const turns: Turn[] = pending.slice(i, i + CHUNK).map(({ member, start, end }) => ({ member, start, end }));
        const chunk = await writing.ensureCalendarTurns({ role: input.role, turns });
        result.created += chunk.created;
        result.repaired += chunk.repaired;
        result.unchanged += chunk.unchanged;
        report(done + turns.length, 'Calendar events');
      }
      phase = 'done';
      return { ...result, outcome: 'done' };
    }

    case 'delete-bulk-events': {
      const config = await roleSettings(input.role);
      const ready = await deletePreview(input, config);
      const events = ready.events;
      const result = { kind: 'delete-bulk-events' as const, deleted: 0, alreadyGone: 0 };
      const what = `delete ${events.length} ${config.role.title} event(s) from ${ready.from}`;
      if (!(await confirmed(ready, events.length, what))) return { ...result, outcome: outcome() };
      // The activity deletes everything from a date on, so go backwards a chunk at a time: each call then deletes
      // one chunk (the later ones are gone already) and progress moves.
      for (const from of chunkStartsLatestFirst(events)) {
        const chunk = await writing.deleteCalendarEvents({ role: input.role, from });
        result.deleted += chunk.deleted;
        result.alreadyGone += chunk.alreadyGone;
        report(events.filter((event) => event.start >= from).length, 'Deleting events');
      }
      phase = 'done';
      return { ...result, outcome: 'done' };
    }
  }
}

function standupPreview(input: CreateStandupJob, config: RoleRuntimeConfig): JobPreview {
  const { standup } = config.role;
  const warnings =
    input.buddy === null && config.role.slots === 2
      ? ['Nobody is current: the question names no buddy ("nobody").']
      : [];
  return {
    kind: 'create-standup',
    role: input.role,
    title: config.role.title,
    standup: { name: standup.name, channel: standup.channel, days: [...standup.days], time: standup.time },
    incoming: input.incoming,
    buddy: input.buddy,
    warnings,
  };
}

/** The turns to write and what each does to the calendar, as the old create-bulk/next-event scripts chose them. */
async function eventsPreview(
  input: CreateEventsJob,
  config: RoleRuntimeConfig,
): Promise<Extract<JobPreview, { kind: 'create-next-event' | 'create-bulk-events' }>> {
  const role = config.role;
  const today = handoverDateOf(role, config.timeZone, new Date());
  const count = input.kind === 'create-next-event' ? 1 : (input.count ?? (role.cadence === 'weekly' ? 52 : 12));
  if (!Number.isInteger(count) || count < 1 || count > MAX_JOB_TURNS) {
    throw ApplicationFailure.create({
      type: 'invalid-request',
      message: `The number of events must be a whole number from 1 to ${MAX_JOB_TURNS} (got ${count}).`,
      nonRetryable: true,
    });
  }
  const members = sortMembers(await reading.lookupMembers(role.usergroup));
  const warnings: string[] = [];
  let first: IsoDate;
  let after: Member | null;
  let basis: string;
  let existing: RoleEvent[];

  if (input.start) {
    const date = requestDate(input.start.date);
    first = alignToHandoverDate(role, date);
    if (first !== date) {
      warnings.push(`${date} is not a handover date: starting on the next one, ${first}.`);
    }
    if (input.start.after !== undefined) {
      // The old scripts' `-m`: the member serving now; the first turn goes to the member after them.
      after = requestMember(members, input.start.after, role.usergroup);
      basis = `starting ${first} after ${after.name}, who serves now`;
    } else {
      const member = requestMember(members, input.start.member, role.usergroup);
      // The first turn goes to the member after `after`: so `after` is the one just before `member` in order.
      const at = members.findIndex((m) => m.id === member.id);
      after = members[(at - 1 + members.length) % members.length] ?? null;
      basis = `starting ${first} with ${member.name}, as asked`;
    }
    existing = await reading.listCalendarEvents({ role: input.role, from: first });
  } else {
    existing = await reading.listCalendarEvents({ role: input.role, from: today });
    const last = existing.at(-1);
    if (last) {
      after = memberOfEvent(last, members);
      first = alignToHandoverDate(role, followingHandoverDate(role, last.start));
      basis = `continuing after the last event, "${last.summary}" starting ${last.start}`;
    } else if (input.fallback) {
      after = input.fallback.after;
      first = alignToHandoverDate(role, requestDate(input.fallback.from) > today ? input.fallback.from : today);
      basis = `no events from ${today} on: continuing the running rotation${after ? ` after ${after.name}` : ''}`;
    } else {
      after = null;
      first = alignToHandoverDate(role, today);
      basis = `no events from ${today} on and no running rotation: starting with the first member`;
    }
  }

  let turns: Turn[];
  try {
    turns = planTurns(role, members, after, first, count);
  } catch (err) {
    throw requestFailure(err);
  }
  const ours = new Map(existing.filter((event) => !event.legacy).map((event) => [event.start, event]));
  const legacy = new Set(existing.filter((event) => event.legacy).map((event) => event.start));
  const planned = turns.map((turn): PlannedTurn => {
    const event = ours.get(turn.start);
    if (!event) return { ...turn, action: 'create' };
    const same =
      event.memberId === turn.member.id &&
      event.end === turn.end &&
      event.summary === `${role.title}: ${turn.member.name}`;
    return same ? { ...turn, action: 'exists' } : { ...turn, action: 'update', was: event.memberName };
  });
  const besideLegacy = planned.filter((turn) => turn.action === 'create' && legacy.has(turn.start)).length;
  if (besideLegacy > 0) {
    warnings.push(
      `${besideLegacy} new event(s) start on the same day as an event made by the old scripts: ` +
        'remove those first with delete-bulk-events if they are the same turns.',
    );
  }
  // Say who takes the first turn, so an operator used to either meaning of `-m` sees which one applied.
  const firstMember = planned[0]?.member;
  if (firstMember && input.start?.after !== undefined) basis += `: ${firstMember.name} takes the first event`;
  return { kind: input.kind, role: input.role, title: role.title, basis, turns: planned, warnings };
}

async function deletePreview(
  input: DeleteEventsJob,
  config: RoleRuntimeConfig,
): Promise<Extract<JobPreview, { kind: 'delete-bulk-events' }>> {
  const from =
    input.from === undefined ? handoverDateOf(config.role, config.timeZone, new Date()) : requestDate(input.from);
  const events = (await reading.listCalendarEvents({ role: input.role, from })).filter((event) => event.start >= from);
  const warnings = events.some((event) => event.legacy)
    ? ['Events made by the old scripts are recognised by their title and deleted too.']
    : [];
  return { kind: 'delete-bulk-events', role: input.role, title: config.role.title, from, events, warnings };
}

/** The start date of each chunk of `events` (sorted by start), latest first, without repeats. */
function chunkStartsLatestFirst(events: readonly RoleEvent[]): IsoDate[] {
  const starts: IsoDate[] = [];
  for (let i = 0; i < events.length; i += CHUNK) {
    const start = (events[i] as RoleEvent).start;
    if (!starts.includes(start)) starts.push(start);
  }
  return starts.reverse();
}

/** The member an event names: by Slack ID (our events), else by display name (the old scripts' events). */
function memberOfEvent(event: RoleEvent, members: readonly Member[]): Member | null {
  const byId = event.memberId ? memberById(members, event.memberId) : undefined;
  if (byId) return byId;
  const name = event.memberName ?? '';
  const byName = members.find((m) => m.name.toLocaleLowerCase('en-US') === name.toLocaleLowerCase('en-US'));
  if (byName) return byName;
  // Someone who has left: the rotation still continues after their place in the order.
  const id = event.memberId ?? name;
  return id ? { id, name: name || id } : null;
}

function requestDate(text: string): IsoDate {
  try {
    return parseIsoDate(text);
  } catch (err) {
    throw requestFailure(err);
  }
}

function requestMember(members: readonly Member[], ref: string, usergroup: string): Member {
  try {
    return findMember(members, ref, `\`team-roles list-members ${usergroup}\` lists them`);
  } catch (err) {
    throw requestFailure(err);
  }
}

/** A domain error is the operator's mistake: fail the job at once with its sentence and code as the type. */
function requestFailure(err: unknown): Error {
  if (err instanceof Error && err.name === 'RotationError') {
    const code = (err as Error & { code?: string }).code ?? err.name;
    return ApplicationFailure.create({ message: err.message, type: code, nonRetryable: true });
  }
  return err instanceof Error ? err : new Error(String(err));
}
