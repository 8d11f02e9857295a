/**
 * The prepare step in one activity: read the Slack group, decide who the notice names (with the same pure
 * functions the workflow uses), then point the Geekbot standup at them and top the calendar up, both at once (each
 * only when its service is on for the worker: `roleServices`).
 * The standup and the calendar are read while Slack answers (reads only: nothing is written before the member is
 * known), so the writes follow the Slack answer directly: three round trips in a row instead of four.
 *
 * One activity rather than three saves a workflow task and two activity dispatches between the Slack answer and
 * the Geekbot and Calendar calls (see BENCHMARKS.md), and keeps the year's turns out of the workflow history: the
 * activity works them out from the rotation. The workflow stays the judge: it applies the members returned here to
 * its own state and prepares again if the notice no longer matches (an operator change in the meantime).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Settings } from '../domain/config';
import { roleServices, type ServicePlan } from '../domain/services';
import { calendarTurns, handoverNotice, turnsFingerprint } from '../domain/notice';
import { refreshMembers, type RotationState } from '../domain/rotation';
import type { IsoDate, Member, Turn } from '../domain/types';
import type { EnsureTurnsResult, TurnEvents } from './calendar';
import { activityLog } from './context';
import { FailureType, nonRetryable, requireIsoDate, requireRole } from './errors';
import type { FoundStandup, UpsertStandupInput, UpsertStandupResult } from './geekbot';
import type { createSlackMessagesService } from './slack-messages';

export interface PrepareHandoverInput {
  role: string;
  /** The handover date the notice is for. */
  date: IsoDate;
  /** The rotation as the workflow holds it (`rotationForPrepare`: only the turns still running at `date`). */
  rotation: RotationState;
  standupId: number | null;
  /** Turns the calendar holds ahead (`calendarTurnCount`). */
  turnCount: number;
}

export interface PrepareHandoverResult {
  /** The Slack group as read now, or null when reading it failed for good (`refreshError` says why). */
  members: Member[] | null;
  refreshError: string | null;
  /** Who the notice named, or null when nobody could be named (`failures` says why). */
  named: { memberId: string; buddyId: string | null } | null;
  standupId: number | null;
  calendar: EnsureTurnsResult | null;
  /** The fingerprint of the turns the calendar was given (`turnsFingerprint`), written or not. */
  turns?: string;
  /** Failures no retry can fix (bad token, missing permission...), one sentence each; empty when all was done. */
  failures: string[];
}

/**
 * The services' steps (`createSlackService`, `createGeekbotService`, `createCalendarService`,
 * `createSlackMessagesService`); Geekbot's and the calendar's are null when the service is off on this worker.
 */
export interface PrepareDeps {
  settings: Settings;
  /** Which services are on (`planServices`): the step skips what is off. */
  services: ServicePlan;
  lookupMembers(usergroup: string): Promise<Member[]>;
  standup: {
    findStandup(role: string, standupId: number | null): Promise<FoundStandup>;
    writeStandup(input: UpsertStandupInput, existing: FoundStandup): Promise<UpsertStandupResult>;
  } | null;
  calendar: {
    readTurnEvents(role: string, from: string): Promise<TurnEvents>;
    ensureTurns(
      input: { role: string; turns: ReturnType<typeof calendarTurns> },
      read?: TurnEvents,
    ): Promise<EnsureTurnsResult>;
  } | null;
  messages: Pick<ReturnType<typeof createSlackMessagesService>, 'readMessages' | 'sendMessages'>;
}

/**
 * A service's write once the member is known: what its read primed, or null for a service that is off. A read that
 * failed for good fails its write the same way (reported as the step's failure); the other writes go ahead.
 */
function write<A, W>(primed: PromiseSettledResult<((arg: A) => Promise<W>) | null>, arg: A): Promise<W | null> {
  if (primed.status === 'rejected') return Promise.reject(primed.reason as Error);
  return primed.value ? primed.value(arg) : Promise.resolve(null);
}

/** A failure Temporal should retry (the whole step: every call in it is idempotent). */
function isRetryable(err: unknown): boolean {
  return !(err instanceof ApplicationFailure && err.nonRetryable);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The prepare step, built over the other services' steps. */
export function createPrepareService(deps: PrepareDeps) {
  /** Reads the group, then writes the notice and the calendar for the handover on `input.date`. */
  async function prepareHandover(input: PrepareHandoverInput): Promise<PrepareHandoverResult> {
    const role = requireRole(deps.settings, input.role);
    const date = requireIsoDate(input.date, 'date');
    if (!input.rotation || !Array.isArray(input.rotation.members)) {
      throw nonRetryable(FailureType.InvalidInput, 'prepareHandover needs the rotation state.');
    }

    // Reads only, all at once. An outage is retried (nothing was written yet); a lookup that cannot work (bad
    // token, unknown group) keeps the members the rotation had, as the workflow does.
    const running = input.rotation.history.filter((turn) => turn.end > date).map((turn) => turn.start);
    const from = [date, ...running].sort()[0] as string;
    const on = roleServices(deps.services, role);
    const standupSteps = on.standup ? deps.standup : null;
    const calendarSteps = on.calendar ? deps.calendar : null;
    // Each read of a service that is on resolves to its write, primed with what was read; off, to null.
    const [lookup, standupWrite, calendarWrite] = await Promise.allSettled([
      deps.lookupMembers(role.usergroup),
      standupSteps
        ?.findStandup(input.role, input.standupId)
        .then((existing) => (notify: UpsertStandupInput) => standupSteps.writeStandup(notify, existing)) ?? null,
      calendarSteps
        ?.readTurnEvents(input.role, from)
        .then((events) => (turns: Turn[]) => calendarSteps.ensureTurns({ role: input.role, turns }, events)) ?? null,
    ]);
    for (const outcome of [lookup, standupWrite, calendarWrite]) {
      if (outcome.status === 'rejected' && isRetryable(outcome.reason)) throw outcome.reason;
    }
    let members: Member[] | null = null;
    let refreshError: string | null = null;
    let rotation = input.rotation;
    if (lookup.status === 'fulfilled') members = lookup.value;
    else refreshError = message(lookup.reason);
    if (members) {
      try {
        // The same frozen window as the workflow's own refresh after this step (both from `date`).
        rotation = refreshMembers(rotation, members, { role, nextHandover: date }).state;
      } catch {
        // An empty group: the workflow records why and keeps the previous members; so does the notice.
      }
    }

    let notice: ReturnType<typeof handoverNotice>;
    let turns: ReturnType<typeof calendarTurns>;
    try {
      notice = handoverNotice(rotation, date);
      turns = calendarTurns(role, rotation, date, input.turnCount);
    } catch (err) {
      // Nobody to name: the group has had no members since the rotation started.
      return {
        members,
        refreshError,
        named: null,
        standupId: input.standupId,
        calendar: null,
        failures: [message(err)],
      };
    }

    const notify = { role: input.role, incoming: notice.member, buddy: notice.buddy, standupId: input.standupId };
    const [standup, calendar] = await Promise.allSettled([write(standupWrite, notify), write(calendarWrite, turns)]);
    for (const outcome of [standup, calendar]) {
      if (outcome.status === 'rejected' && isRetryable(outcome.reason)) throw outcome.reason;
    }
    const failures: string[] = [];
    if (standup.status === 'rejected') failures.push(`standup: ${message(standup.reason)}`);
    if (calendar.status === 'rejected') failures.push(`calendar: ${message(calendar.reason)}`);
    const named = { memberId: notice.member.id, buddyId: notice.buddy?.id ?? null };
    activityLog.info('Prepared the handover notice', { role: input.role, date, next: named.memberId, failures });
    return {
      members,
      refreshError,
      named,
      standupId: standup.status === 'fulfilled' && standup.value ? standup.value.standupId : input.standupId,
      calendar: calendar.status === 'fulfilled' ? calendar.value : null,
      turns: turnsFingerprint(turns),
      failures,
    };
  }
  return { prepareHandover, activities: { prepareHandover } };
}
