/**
 * The prepare step in one activity: read the Slack group, decide who the notice names (with the same pure
 * functions the workflow uses), then, all at once, point the Geekbot standup at them, top the calendar up and post
 * the notice in Slack (the channel's post, a DM to the incoming member and one to the buddy), each only when its
 * service is on for the role (`roleServices`). With the calendar on and a role that reads absences, who would be
 * named is checked for an absence first (src/activities/absence-check.ts) and skipped when away for most of their
 * turn; both are told by direct message when the role's Slack messages are on.
 * The standup, the calendar and the messages are read while Slack answers the lookup (reads only: nothing is written
 * before the member is known; the messages' DMs are opened and their idempotency keys searched for the member the
 * rotation names already), so the writes follow the Slack answer directly: three round trips in a row, with or
 * without the messages.
 *
 * One activity rather than three saves a workflow task and two activity dispatches between the Slack answer and
 * the Geekbot and Calendar calls (see BENCHMARKS.md), and keeps the year's turns out of the workflow history: the
 * activity works them out from the rotation. The workflow stays the judge: it applies the members returned here to
 * its own state and prepares again if the notice no longer matches (an operator change in the meantime). A retry
 * posts nothing twice: every message is looked for by its key before it is posted (src/activities/slack-messages.ts).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { AbsenceCheck } from '../domain/absenceCheck';
import type { Settings } from '../domain/config';
import { RotationError } from '../domain/errors';
import { roleServices, type ServicePlan } from '../domain/services';
import { messageFacts, type MessageFacts } from '../domain/messages';
import { calendarTurns, handoverNotice, turnsFingerprint } from '../domain/notice';
import { refreshMembers, type RotationState } from '../domain/rotation';
import type { IsoDate, Member, Turn } from '../domain/types';
import { absenceChecker, skippedForMessages, type AbsenceCheckDeps } from './absence-check';
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
  /**
   * Check the absences of who the notice names first (a role with `absences`), skipping those away for most of
   * their turn. Set by runs that apply the skips returned (`absences`) to their own state; older runs never ask.
   */
  checkAbsences?: boolean;
}

export interface PrepareHandoverResult {
  /** The Slack group as read now, or null when reading it failed for good (`refreshError` says why). */
  members: Member[] | null;
  refreshError: string | null;
  /**
   * Who the notice named, or null when nobody could be named (`failures` says why); `outgoingId`: who its channel
   * post says rotates off (today's current member; absent in results from before it was returned).
   */
  named: { memberId: string; buddyId: string | null; outgoingId?: string | null } | null;
  standupId: number | null;
  calendar: EnsureTurnsResult | null;
  /** The fingerprint of the turns the calendar was given (`turnsFingerprint`), written or not. */
  turns?: string;
  /** Failures no retry can fix (bad token, missing permission...), one sentence each; empty when all was done. */
  failures: string[];
  /**
   * The absence check, when asked for and the role reads absences: the members skipped (the workflow applies the same
   * skips with `skipForAbsence`) and what was found; null otherwise. `named` already names who stands in.
   */
  absences?: AbsenceCheck | null;
  /** What did not stop the notice but operators should know (an absence message Slack refused), one sentence each. */
  warnings?: string[];
}

/**
 * The services' steps (`createSlackService`, `createGeekbotService`, `createCalendarService`,
 * `createAbsenceService`, `createSlackMessagesService`); Geekbot's, the calendar's and the absences' are null when
 * the service is off on this worker.
 */
export interface PrepareDeps extends AbsenceCheckDeps {
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
  messages: Pick<
    ReturnType<typeof createSlackMessagesService>,
    'readMessages' | 'sendMessages' | 'sendAbsenceMessages'
  >;
}

/**
 * A service's write once the member is known: what its read primed, or null for a service that is off. A read that
 * failed for good fails its write the same way (reported as the step's failure); the other writes go ahead.
 */
function write<A, W>(primed: PromiseSettledResult<((arg: A) => Promise<W>) | null>, arg: A): Promise<W | null> {
  if (primed.status === 'rejected') return Promise.reject(primed.reason as Error);
  return primed.value ? primed.value(arg) : Promise.resolve(null);
}

/** The messages' facts for the rotation as given, or null when it names nobody (an empty rotation). */
function factsOrNull(rotation: RotationState, date: IsoDate): MessageFacts | null {
  try {
    return messageFacts(rotation, date);
  } catch {
    return null;
  }
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
    // token, unknown group) keeps the members the rotation had, as the workflow does. The absences of who the notice
    // would name and of who would stand in are read meanwhile (from the rotation as it came; the group as read now
    // may name someone else, read after it).
    const running = input.rotation.history.filter((turn) => turn.end > date).map((turn) => turn.start);
    const from = [date, ...running].sort()[0] as string;
    const on = roleServices(deps.services, role);
    const standupSteps = on.standup ? deps.standup : null;
    const calendarSteps = on.calendar ? deps.calendar : null;
    const messages = on.slackMessages ? deps.messages : null;
    const checker = on.calendar ? absenceChecker(deps, input, date) : null;
    // The messages are read for the members the rotation names now (the DMs opened, the keys searched); a read the
    // lookup or an absence makes stale (it names someone else) is made again at the write.
    const expected = messages ? factsOrNull(input.rotation, date) : null;
    // Each read of a service that is on resolves to its write, primed with what was read; off, to null.
    const [lookup, standupWrite, calendarWrite, messagesWrite, firstAbsences] = await Promise.allSettled([
      deps.lookupMembers(role.usergroup),
      standupSteps
        ?.findStandup(input.role, input.standupId)
        .then((existing) => (notify: UpsertStandupInput) => standupSteps.writeStandup(notify, existing)) ?? null,
      calendarSteps
        ?.readTurnEvents(input.role, from)
        .then((events) => (turns: Turn[]) => calendarSteps.ensureTurns({ role: input.role, turns }, events)) ?? null,
      messages &&
        (expected ? messages.readMessages(input.role, 'notice', expected) : Promise.resolve(null)).then(
          (reads) => (facts: MessageFacts) => messages.sendMessages(input.role, 'notice', facts, reads),
        ),
      checker?.readFirst() ?? Promise.resolve(),
    ]);
    for (const outcome of [lookup, standupWrite, calendarWrite, messagesWrite, firstAbsences]) {
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

    // Who is away for most of their turn is skipped before anyone is told; a read that failed skips nobody.
    let absenceCheck: AbsenceCheck | null = null;
    const warnings: string[] = [];
    if (checker && firstAbsences.status === 'rejected') warnings.push(`absences: ${message(firstAbsences.reason)}`);
    else if (checker) {
      try {
        ({ rotation, check: absenceCheck } = await checker.resolve(rotation));
      } catch (err) {
        if (!(err instanceof RotationError)) throw err; // nobody to name: handoverNotice says so below
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
        absences: null,
        warnings,
      };
    }

    const notify = { role: input.role, incoming: notice.member, buddy: notice.buddy, standupId: input.standupId };
    const facts = messageFacts(rotation, date);
    const [standup, calendar, sent, told] = await Promise.allSettled([
      write(standupWrite, notify),
      write(calendarWrite, turns),
      write(messagesWrite, facts),
      messages && absenceCheck?.skipped.length
        ? messages.sendAbsenceMessages(input.role, facts, skippedForMessages(absenceCheck))
        : Promise.resolve({ failures: [] }),
    ]);
    for (const outcome of [standup, calendar, sent, told]) {
      if (outcome.status === 'rejected' && isRetryable(outcome.reason)) throw outcome.reason;
    }
    const failures: string[] = [];
    if (standup.status === 'rejected') failures.push(`standup: ${message(standup.reason)}`);
    if (calendar.status === 'rejected') failures.push(`calendar: ${message(calendar.reason)}`);
    // The messages service already says "slack: …" for each message no retry can send; the others went out.
    if (sent.status === 'rejected') failures.push(`slack: ${message(sent.reason)}`);
    else if (sent.value) failures.push(...sent.value.failures);
    // The state tells operators of a skip in any case: a direct message Slack refused is a warning, not a failure.
    if (told.status === 'rejected') warnings.push(`absence messages: ${message(told.reason)}`);
    else warnings.push(...told.value.failures);
    const named = {
      memberId: notice.member.id,
      buddyId: notice.buddy?.id ?? null,
      outgoingId: facts.outgoing?.id ?? null,
    };
    activityLog.info('Prepared the handover notice', { role: input.role, date, next: named.memberId, failures });
    return {
      members,
      refreshError,
      named,
      standupId: standup.status === 'fulfilled' && standup.value ? standup.value.standupId : input.standupId,
      calendar: calendar.status === 'fulfilled' ? calendar.value : null,
      turns: turnsFingerprint(turns),
      failures,
      absences: absenceCheck,
      warnings,
    };
  }

  return { prepareHandover, activities: { prepareHandover } };
}
