/**
 * The acknowledgement's outside half (the rules are src/domain/acknowledgement.ts): whether the member the notice
 * names has answered, the reminder DM and the escalation post, and `watchAcknowledgement`, one long-running activity
 * that checks every `pollMinutes` and returns at the first of: an answer, the reminder sent, the escalation sent,
 * the handover reached.
 *
 * Where an answer is looked for, and what each check costs:
 * - the DM with the member: one `conversations.history` from the notice on (with metadata, so only this
 *   handover's notice and reminder count): a reaction on either (any, or one of `acknowledgement.reactions`), a
 *   thread reply to either, or any message the member wrote in the DM since;
 * - the notice's channel post: one `reactions.get` (its reactions, and the thread's summary: who replied);
 * - Geekbot, when on: one `GET /v1/reports` for the standup and the member after the notice.
 * `conversations.replies` is called only when a thread's summary cannot rule the member out (a thread with more
 * repliers than Slack lists) or to learn when they replied. So a check is 2 Slack calls and 1 Geekbot call.
 *
 * A source that cannot be read (429, 5xx, timeout, missing scope) makes the check incomplete; no reminder or
 * escalation follows from an incomplete check (the domain's "could not check"). A message held back that way is told
 * to the rotation once per stretch of such checks (`acknowledgementHeld`), so its state says so while it lasts. The messages go out through the
 * Slack messages service, once per idempotency key (kinds `ack-reminder`, `ack-escalation`), so a retry after a lost
 * answer finds the first one. The watch heartbeats its progress and resumes from it on a retry; it is cancellable.
 */
import type { WebClient } from '@slack/web-api';
import { ApplicationFailure } from '@temporalio/common';
import {
  acknowledgementPlan,
  decide,
  dueAction,
  isWatched,
  markEscalated,
  markReminded,
  nextDueAt,
  observeCheck,
  type AckAction,
  type AckCheck,
  type AckPlan,
  type AckVia,
  type Acknowledgement,
  type CheckHeld,
  type MessageRef,
  type NoticeRefs,
  type WatchOutcome,
} from '../domain/acknowledgement';
import { clockNow, realDuration, realInstant, type ClockAnchor } from '../domain/clock';
import { roleTimeZone, type RoleConfig, type Settings } from '../domain/config';
import { planAckMessage, type AckMessageKind } from '../domain/messages';
import { handoverKey } from '../domain/schedule';
import { formatInstant } from '../domain/templates';
import type { IsoDate, Member } from '../domain/types';
import {
  activityCancellationSignal,
  activityHeartbeatTimeoutMs,
  activityLog,
  heartbeatProgress,
  lastHeartbeatDetails,
  sleepUnlessCancelled,
} from './context';
import { FailureType, nonRetryable, requireIsoDate, requireRole } from './errors';
import { geekbotFailure, type GeekbotClient } from './geekbot';
import { slackFailure } from './slack';
import { createSlackMessagesService, NOTICE_EVENT_TYPE, outgoingMessage } from './slack-messages';
import { missingScopeFailure, slackPlatformError } from './slack-scopes';
import { retryTransient } from './transient';
import type { ReminderNotice } from '../shared';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Pages of a DM's history read at most in one check (a DM holds a few messages since the notice). */
const MAX_DM_PAGES = 5;

export type { MessageRef, NoticeRefs };

export const SOURCE_ORDER = ['slack-dm', 'slack-post', 'geekbot'] as const;
export type AckSource = (typeof SOURCE_ORDER)[number];

export interface SourceResult {
  source: AckSource;
  /** off: not configured (or nothing to answer on); could-not-check: reading it failed (`cause` says how). */
  state: 'answered' | 'no-answer' | 'could-not-check' | 'off';
  answer?: { via: AckVia; atMs: number };
  cause?: string;
}

/** A check's result: the domain's `AckCheck`, with the verdict and each source's part in it. */
export interface AckCheckResult extends AckCheck {
  outcome: 'acknowledged' | 'not-yet' | 'could-not-check';
  sources: SourceResult[];
}

/** The `watchAcknowledgement` activity's input: small (the texts and contacts are made here). */
export interface WatchAcknowledgementInput {
  role: string;
  /** The handover date the notice is for. */
  date: IsoDate;
  /** The workflow's record, pending or reminded. */
  acknowledgement: Acknowledgement;
  /** Who serves alongside the member (mentioned in the escalation), and who rotates off (for the templates). */
  buddy: Member | null;
  outgoing: Member | null;
  /** The role's Geekbot standup, or null (then Geekbot is not read). */
  standupId: number | null;
  /** The rotation's clock (the sandbox's fast mode), or null for real time. */
  clock: ClockAnchor | null;
  /** The notice's messages as an earlier watch found them (spares the search). */
  refs?: NoticeRefs | null;
}

/** What `watchAcknowledgement` returns: the outcome for the workflow's record, and what to pass to the next watch. */
export interface WatchAcknowledgementResult extends WatchOutcome {
  refs: NoticeRefs | null;
  /** Checks made (over all attempts). */
  checks: number;
  /** Sentences for the state's warnings: a message no retry can send, a source that keeps failing. */
  warnings: string[];
}

/**
 * The watch's line to the rotation that runs it (src/activities/temporal.ts, through the worker's Temporal client).
 * With it the watch goes on after the reminder and tells the workflow by a signal (4 history events instead of the
 * 6 of a return and a new watch), and asks the workflow before each message whether it still wants it: the
 * workflow's own changes (an operator's `ack`, a pause, someone else named) reach a watch only at a heartbeat.
 */
export interface AckWorkflowLink {
  /** Whether the rotation still wants `action` for the record; throws when the rotation cannot be asked. */
  confirm(record: Acknowledgement, action: AckAction): Promise<boolean>;
  /** Tells the rotation that the reminder went out. */
  reminded(notice: ReminderNotice): Promise<void>;
  /** Tells the rotation that a message is due but held back: the sources could not be read. */
  held(notice: CheckHeld): Promise<void>;
}

/** What the watch heartbeats, and a retry resumes from. */
interface WatchProgress {
  memberId: string;
  handoverKey: string;
  record: Acknowledgement;
  refs: NoticeRefs | null;
  checks: number;
  /** Set once the escalation (or, without a link, the reminder) went out: a retry returns it instead of checking. */
  sent: { outcome: 'reminded' | 'escalated'; at: string; warnings: string[] } | null;
  /** The reminder this watch sent and went on after; `told` once the workflow has had the signal. */
  reminder?: (ReminderNotice & { told: boolean }) | null;
  /** The hold the workflow was last told of (`action@since`): each stretch of failed checks is told once. */
  heldTold?: string | null;
}

export interface AckServiceDeps {
  settings: Settings;
  slack: WebClient;
  /** Null when Geekbot is off. */
  geekbot: GeekbotClient | null;
  /** The worker's Slack messages service (shares its DM cache); made here when absent. */
  messages?: ReturnType<typeof createSlackMessagesService>;
  /** The real time (ms). */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The fewest real ms between two checks (default 1 s: what the fast sandbox's checks come down to). */
  minPollMs?: number;
  /** The most real ms between two heartbeats while waiting (default 20 s, and at most a third of the heartbeat timeout). */
  heartbeatEveryMs?: number;
  /** The line to the rotation (absent: the watch returns at the reminder, and sends without asking). */
  workflow?: AckWorkflowLink;
}

interface SlackThreadMessage {
  ts?: string;
  user?: string;
  bot_id?: string;
  subtype?: string;
  thread_ts?: string;
  reply_count?: number;
  reply_users?: string[];
  reply_users_count?: number;
  reactions?: Array<{ name?: string; users?: string[] }>;
  metadata?: {
    event_type?: string;
    event_payload?: { handover_key?: string; message_kind?: string; recipient?: string };
  };
}

const tsMs = (ts: string): number => Math.round(Number(ts) * 1000);

/** Whether a reaction counts: any when no set is configured, else its base name (skin tone aside) is in the set. */
export function reactionCounts(name: string, allowed: readonly string[]): boolean {
  return allowed.length === 0 || allowed.includes(name.split('::')[0] ?? name);
}

function earliest(answers: Array<{ via: AckVia; atMs: number } | null | undefined>) {
  return answers.reduce<{ via: AckVia; atMs: number } | null>(
    (best, answer) => (answer && (!best || answer.atMs < best.atMs) ? answer : best),
    null,
  );
}

/** A read's failure as the sentence a check records; a cancellation of the activity is rethrown. */
function readProblem(err: unknown, what: string): string {
  const signal = activityCancellationSignal();
  if (signal?.aborted) throw signal.reason;
  return `${what}: ${err instanceof Error ? err.message : String(err)}`;
}

export function createAckService({
  settings,
  slack,
  geekbot,
  messages = createSlackMessagesService({ settings, slack }),
  now = Date.now,
  sleep = sleepUnlessCancelled,
  minPollMs = 1_000,
  heartbeatEveryMs = 20_000,
  workflow,
}: AckServiceDeps) {
  const plan = (role: RoleConfig): AckPlan => acknowledgementPlan(settings, role, { geekbot: geekbot !== null });
  /** How far back the notice's messages are searched: over the prepare lead and a day (a corrected notice is older). */
  const reach = (role: RoleConfig): number => role.prepareLeadHours * HOUR_MS + DAY_MS;

  /** One Slack read, tried again quickly on a passing failure, classified. */
  const slackRead = <T>(method: string, call: () => Promise<T>): Promise<T> =>
    retryTransient(async () => {
      try {
        return await call();
      } catch (err) {
        const platform = slackPlatformError(err);
        throw platform?.code === 'missing_scope' ? missingScopeFailure(method, platform) : slackFailure(err, method);
      }
    });

  /** The notice DM to the member and the notice's channel post, by their keys; null for one not (yet) there. */
  async function findNotice(roleName: string, date: IsoDate, member: Member): Promise<NoticeRefs> {
    const role = requireRole(settings, roleName);
    if (!role.slack?.enabled) return { dm: null, post: null };
    const key = handoverKey(roleName, date);
    const oldestMs = now() - reach(role);
    const [dm, post] = await Promise.all([
      messages.findMessage({ handoverKey: key, kind: 'notice-incoming', recipient: member.id }, null, oldestMs),
      messages.findMessage({ handoverKey: key, kind: 'notice-channel', recipient: null }, role.slack.channel, oldestMs),
    ]);
    return {
      dm: dm.found ? { channel: dm.channel, ts: dm.found.ts } : null,
      post: post.found ? { channel: post.channel, ts: post.found.ts } : null,
    };
  }

  /** The member's thread reply to `message`, from the thread's summary or (when it cannot say) the thread itself. */
  async function threadReply(
    channel: string,
    message: SlackThreadMessage,
    member: Member,
    anchor: ClockAnchor | null,
  ): Promise<{ via: AckVia; atMs: number } | null> {
    if (!message.ts || !message.reply_count) return null;
    const listed = message.reply_users;
    const complete = Array.isArray(listed) && (message.reply_users_count ?? listed.length) <= listed.length;
    if (complete && !listed.includes(member.id)) return null;
    const parent = message.ts;
    const thread = await slackRead('conversations.replies', () =>
      slack.conversations.replies({ channel, ts: parent, limit: 200 }),
    );
    const reply = ((thread.messages ?? []) as SlackThreadMessage[]).find(
      (m) => m.ts && m.ts !== parent && m.user === member.id && !m.bot_id,
    );
    return reply?.ts ? { via: 'slack-reply', atMs: clockNow(anchor, tsMs(reply.ts)) } : null;
  }

  /** An answer on one of our messages: a reaction that counts (seen now), or a thread reply. */
  async function answerOn(
    channel: string,
    message: SlackThreadMessage,
    member: Member,
    reactions: readonly string[],
    anchor: ClockAnchor | null,
  ): Promise<{ via: AckVia; atMs: number } | null> {
    const reacted = (message.reactions ?? []).some(
      (r) => typeof r.name === 'string' && reactionCounts(r.name, reactions) && (r.users ?? []).includes(member.id),
    );
    const seenNow = clockNow(anchor, now());
    return earliest([
      reacted ? { via: 'slack-reaction', atMs: seenNow } : null,
      await threadReply(channel, message, member, anchor),
    ]);
  }

  /** The DM since the notice: reactions and thread replies on this handover's notice and reminder, and messages. */
  async function checkDm(
    ref: MessageRef,
    key: string,
    member: Member,
    reactions: readonly string[],
    anchor: ClockAnchor | null,
  ): Promise<{ via: AckVia; atMs: number } | null> {
    const found: Array<{ via: AckVia; atMs: number } | null> = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_DM_PAGES; page++) {
      const after = cursor;
      const history = await slackRead('conversations.history', () =>
        slack.conversations.history({
          channel: ref.channel,
          oldest: ref.ts,
          inclusive: true,
          include_all_metadata: true,
          limit: 100,
          ...(after ? { cursor: after } : {}),
        }),
      );
      for (const message of (history.messages ?? []) as SlackThreadMessage[]) {
        const payload = message.metadata?.event_type === NOTICE_EVENT_TYPE ? message.metadata.event_payload : undefined;
        const ours =
          payload?.handover_key === key &&
          payload.recipient === member.id &&
          (payload.message_kind === 'notice-incoming' || payload.message_kind === 'ack-reminder');
        if (ours) found.push(await answerOn(ref.channel, message, member, reactions, anchor));
        else if (
          message.user === member.id &&
          !message.bot_id &&
          !message.subtype &&
          message.ts &&
          Number(message.ts) > Number(ref.ts)
        ) {
          found.push({ via: 'slack-reply', atMs: clockNow(anchor, tsMs(message.ts)) });
        }
      }
      cursor = (history.has_more !== false && history.response_metadata?.next_cursor) || undefined;
      if (!cursor) break;
    }
    return earliest(found);
  }

  /** The channel post: one reactions.get gives its reactions and its thread's summary. */
  async function checkPost(
    ref: MessageRef,
    member: Member,
    reactions: readonly string[],
    anchor: ClockAnchor | null,
  ): Promise<{ via: AckVia; atMs: number } | null> {
    const read = await slackRead('reactions.get', () =>
      slack.reactions.get({ channel: ref.channel, timestamp: ref.ts, full: true }),
    );
    const message = (read.message ?? {}) as SlackThreadMessage;
    return answerOn(ref.channel, { ...message, ts: message.ts ?? ref.ts }, member, reactions, anchor);
  }

  /** The member's standup report after the notice (Geekbot's timestamps are whole seconds). */
  async function checkGeekbot(
    client: GeekbotClient,
    standupId: number,
    member: Member,
    noticeRealMs: number,
    anchor: ClockAnchor | null,
  ): Promise<{ via: AckVia; atMs: number } | null> {
    const since = Math.floor(noticeRealMs / 1000);
    const reports = await retryTransient(async () => {
      try {
        // `after` one second early and the bound kept here: right whether Geekbot's `after` is inclusive or not.
        return await client.listReports({ standupId, userId: member.id, after: since - 1, limit: 20 });
      } catch (err) {
        throw geekbotFailure(err, settings);
      }
    });
    const mine = (Array.isArray(reports) ? reports : []).filter(
      (r) => typeof r.timestamp === 'number' && r.timestamp >= since && (r.member?.id ?? member.id) === member.id,
    );
    return earliest(mine.map((r) => ({ via: 'geekbot' as const, atMs: clockNow(anchor, r.timestamp * 1000) })));
  }

  /**
   * Whether the member has answered, each source on its own: acknowledged (the earliest answer found), not yet
   * (every source that is on was read), or could not check (a source failed; `problems` says which and why).
   */
  async function checkAcknowledgement(
    input: Pick<WatchAcknowledgementInput, 'role' | 'date' | 'acknowledgement' | 'standupId' | 'clock'>,
    refs: NoticeRefs | null,
  ): Promise<{ result: AckCheckResult; refs: NoticeRefs | null }> {
    const role = requireRole(settings, input.role);
    const { member } = input.acknowledgement;
    const key = handoverKey(input.role, input.date);
    const anchor = input.clock;
    const { reactions } = plan(role);
    const sources: SourceResult[] = [];
    let known = refs;

    const settle = async (source: AckSource, what: string, read: () => Promise<SourceResult>) => {
      try {
        sources.push(await read());
      } catch (err) {
        sources.push({ source, state: 'could-not-check', cause: readProblem(err, what) });
      }
    };
    const asResult = (source: AckSource, answer: { via: AckVia; atMs: number } | null): SourceResult =>
      answer ? { source, state: 'answered', answer } : { source, state: 'no-answer' };

    if (role.slack?.enabled) {
      // Found once and kept; a message not found yet (not sent yet, or never) is looked for again at the next check.
      if (!known?.dm || !known.post) {
        try {
          const found = await findNotice(input.role, input.date, member);
          known = { dm: known?.dm ?? found.dm, post: known?.post ?? found.post };
        } catch (err) {
          const cause = readProblem(err, 'Slack (finding the notice)');
          if (!known?.dm) sources.push({ source: 'slack-dm', state: 'could-not-check', cause });
          if (!known?.post) sources.push({ source: 'slack-post', state: 'could-not-check', cause });
        }
      }
      const { dm, post } = known ?? { dm: null, post: null };
      await Promise.all([
        dm
          ? settle('slack-dm', 'Slack (the notice DM)', async () =>
              asResult('slack-dm', await checkDm(dm, key, member, reactions, anchor)),
            )
          : undefined,
        post
          ? settle('slack-post', 'Slack (the channel post)', async () =>
              asResult('slack-post', await checkPost(post, member, reactions, anchor)),
            )
          : undefined,
      ]);
      for (const [source, ref] of [
        ['slack-dm', dm],
        ['slack-post', post],
      ] as const) {
        if (!ref && !sources.some((s) => s.source === source)) {
          sources.push({ source, state: 'off', cause: 'not posted (nothing to answer on)' });
        }
      }
    } else {
      sources.push({ source: 'slack-dm', state: 'off', cause: 'Slack messages are off' });
    }

    if (geekbot && input.standupId !== null) {
      const client = geekbot;
      const standupId = input.standupId;
      const noticeRealMs = known?.dm
        ? tsMs(known.dm.ts)
        : realInstant(anchor, Date.parse(input.acknowledgement.noticeAt));
      await settle('geekbot', 'Geekbot (standup reports)', async () =>
        asResult('geekbot', await checkGeekbot(client, standupId, member, noticeRealMs, anchor)),
      );
    } else {
      sources.push({ source: 'geekbot', state: 'off', cause: geekbot ? 'no standup ID' : 'Geekbot is off' });
    }

    sources.sort((a, b) => SOURCE_ORDER.indexOf(a.source) - SOURCE_ORDER.indexOf(b.source));
    const answer = earliest(sources.map((s) => s.answer));
    const problems = sources.filter((s) => s.state === 'could-not-check').map((s) => s.cause ?? s.source);
    const complete = problems.length === 0;
    return {
      result: {
        atMs: clockNow(anchor, now()),
        answer,
        complete,
        problems,
        outcome: answer ? 'acknowledged' : complete ? 'not-yet' : 'could-not-check',
        sources,
      },
      refs: known,
    };
  }

  /** The reminder DM or the escalation post, once per key; a refusal no retry fixes is a warning sentence. */
  async function sendAckMessage(
    input: WatchAcknowledgementInput,
    record: Acknowledgement,
    kind: AckMessageKind,
  ): Promise<string[]> {
    const role = requireRole(settings, input.role);
    const when = record.deadline ?? record.noticeAt;
    const planned = planAckMessage(
      role,
      settings.calendarUrl,
      kind,
      { date: input.date, incoming: record.member, buddy: input.buddy, outgoing: input.outgoing },
      { deadline: formatInstant(when, roleTimeZone(settings, role)), contacts: plan(role).contacts },
    );
    if (!planned) return [`${record.handoverKey}: the ${kind} was not sent: Slack messages are off.`];
    try {
      const delivery = await messages.deliver(outgoingMessage(input.role, role, input.date, planned), {
        lookbackMs: reach(role),
      });
      activityLog.info('Acknowledgement message delivered', { role: input.role, kind, action: delivery.action });
      return [];
    } catch (err) {
      if (!(err instanceof ApplicationFailure && err.nonRetryable)) throw err;
      return [`${record.handoverKey}: the ${kind} could not be sent: ${err.message}`];
    }
  }

  function progressFrom(input: WatchAcknowledgementInput): WatchProgress {
    const record = input.acknowledgement;
    const fresh: WatchProgress = {
      memberId: record.member.id,
      handoverKey: record.handoverKey,
      record,
      refs: input.refs ?? null,
      checks: 0,
      sent: null,
    };
    const saved = lastHeartbeatDetails() as Partial<WatchProgress> | undefined;
    if (saved?.memberId === fresh.memberId && saved.handoverKey === fresh.handoverKey && saved.record) {
      return { ...fresh, ...saved };
    }
    return fresh;
  }

  function result(
    progress: WatchProgress,
    outcome: WatchOutcome['outcome'],
    at: number,
    via: AckVia | null,
    warnings: string[],
  ) {
    const { record } = progress;
    return {
      memberId: progress.memberId,
      handoverKey: progress.handoverKey,
      outcome,
      at: new Date(at).toISOString(),
      via,
      checkFailures: record.checkFailures ?? 0,
      couldNotCheck: record.couldNotCheck ?? null,
      remindedAt: progress.reminder?.at ?? null,
      refs: progress.refs,
      checks: progress.checks,
      warnings,
    } satisfies WatchAcknowledgementResult;
  }

  /** The reminder went out and the watch goes on: the workflow is told (again, after a retry that had not told it). */
  async function tellReminded(progress: WatchProgress): Promise<void> {
    const reminder = progress.reminder;
    if (!workflow || !reminder || reminder.told) return;
    const { told: _told, ...notice } = reminder;
    await workflow.reminded(notice);
    progress.reminder = { ...reminder, told: true };
    heartbeatProgress({ ...progress });
  }

  /**
   * A message is due and the latest check could not read every source: the workflow hears of it once per stretch of
   * such checks (its state then says "could not check" and why). Not told, it is tried again at the next check; the
   * watch goes on either way.
   */
  async function tellHeld(progress: WatchProgress, atMs: number): Promise<void> {
    const { record } = progress;
    const held = record.couldNotCheck;
    const action = held ? dueAction(record, atMs) : null;
    if (!workflow || !held || !action) return;
    const told = `${action}@${held.since}`;
    if (progress.heldTold === told) return;
    try {
      await workflow.held({
        memberId: progress.memberId,
        handoverKey: progress.handoverKey,
        action,
        checkFailures: record.checkFailures ?? 0,
        couldNotCheck: held,
      });
      progress.heldTold = told;
    } catch (err) {
      activityLog.warn('Could not tell the rotation that a message is held back', {
        problem: readProblem(err, 'Temporal (signalling the rotation)'),
      });
    }
  }

  /**
   * Whether the rotation still wants the message (see `AckWorkflowLink`). One that cannot be asked holds the message
   * back like a source that cannot be read: the check counts as incomplete.
   */
  async function rotationWants(
    progress: WatchProgress,
    before: Acknowledgement,
    check: AckCheck,
    action: AckAction,
  ): Promise<boolean> {
    if (!workflow) return true;
    try {
      if (await workflow.confirm(progress.record, action)) return true;
      activityLog.info('The rotation no longer wants the message; waiting for its cancellation', { action });
    } catch (err) {
      // Taken as this check's failure (from the record before the check cleared an earlier one: `since` stays).
      const problem = readProblem(err, "Temporal (the rotation's state)");
      progress.record = observeCheck(before, { ...check, complete: false, problems: [problem] });
    }
    return false;
  }

  /**
   * Checks until the first of: an answer (acknowledged), the reminder or the escalation due and sent (reminded,
   * escalated), the handover reached (handover). Heartbeats at every check and while waiting; a retry resumes from
   * the last heartbeat (the notice's messages found, the checks counted, a message already sent).
   */
  async function watchAcknowledgement(input: WatchAcknowledgementInput): Promise<WatchAcknowledgementResult> {
    const role = requireRole(settings, input?.role);
    requireIsoDate(input.date, 'date');
    const start = input.acknowledgement;
    if (!start?.member?.id || !isWatched(start)) {
      throw nonRetryable(
        FailureType.InvalidInput,
        `watchAcknowledgement needs a pending or reminded acknowledgement, got ${String(start?.status)}.`,
      );
    }
    if (start.handoverKey !== handoverKey(input.role, input.date)) {
      throw nonRetryable(
        FailureType.InvalidInput,
        `The acknowledgement is for ${start.handoverKey}, not ${input.date}.`,
      );
    }
    const anchor = input.clock ?? null;
    const { on, why, pollMs, messages: canSend } = plan(role);
    if (!on) throw nonRetryable(FailureType.InvalidInput, `Acknowledgements are off for ${input.role}: ${why}.`);
    const handoverMs = Date.parse(start.handoverAt);
    const signal = activityCancellationSignal();
    const progress = progressFrom(input);
    if (progress.sent)
      return result(progress, progress.sent.outcome, Date.parse(progress.sent.at), null, progress.sent.warnings);

    const beatEveryMs = Math.min(heartbeatEveryMs, (activityHeartbeatTimeoutMs() ?? Infinity) / 3);

    for (;;) {
      await tellReminded(progress);
      const checkedAt = clockNow(anchor, now());
      if (checkedAt >= handoverMs) return result(progress, 'handover', checkedAt, null, []);
      const { result: check, refs } = await checkAcknowledgement(
        { ...input, acknowledgement: progress.record },
        progress.refs,
      );
      progress.refs = refs;
      progress.checks += 1;
      const before = progress.record;
      const decision = decide(before, check);
      progress.record = decision.record;
      if (check.answer) {
        heartbeatProgress({ ...progress });
        activityLog.info('Acknowledged', { role: input.role, via: check.answer.via, checks: progress.checks });
        return result(progress, 'acknowledged', check.answer.atMs, check.answer.via, []);
      }
      const action: AckAction | null = canSend ? decision.action : null;
      if (action && (await rotationWants(progress, before, check, action))) {
        const kind: AckMessageKind = action === 'remind' ? 'ack-reminder' : 'ack-escalation';
        const warnings = await sendAckMessage(input, progress.record, kind);
        const sentAt = clockNow(anchor, now());
        const at = new Date(sentAt).toISOString();
        if (action === 'remind' && workflow) {
          // Go on watching for an answer or the escalation; the workflow learns of the reminder by signal.
          progress.record = markReminded(progress.record, sentAt);
          progress.reminder = {
            memberId: progress.memberId,
            handoverKey: progress.handoverKey,
            at,
            warnings,
            told: false,
          };
          heartbeatProgress({ ...progress });
          continue;
        }
        const outcome = action === 'remind' ? 'reminded' : 'escalated';
        progress.record =
          action === 'remind' ? markReminded(progress.record, sentAt) : markEscalated(progress.record, sentAt);
        progress.sent = { outcome, at, warnings };
        heartbeatProgress({ ...progress });
        return result(progress, outcome, sentAt, null, warnings);
      }
      if (canSend) await tellHeld(progress, check.atMs);
      heartbeatProgress({ ...progress });

      // Until the next check: the poll interval (at least `minPollMs` of real time), or sooner when a message
      // becomes due or the handover comes.
      const nowRot = clockNow(anchor, now());
      const due = canSend ? nextDueAt(progress.record) : null;
      const waits = [Math.max(minPollMs, realDuration(anchor, pollMs)), realDuration(anchor, handoverMs - nowRot)];
      if (due !== null && due > nowRot) waits.push(realDuration(anchor, due - nowRot));
      let remaining = Math.max(1, Math.min(...waits));
      while (remaining > 0) {
        const step = Math.min(remaining, beatEveryMs);
        await sleep(step, signal);
        remaining -= step;
        heartbeatProgress({ ...progress });
      }
    }
  }

  return {
    findNotice,
    checkAcknowledgement,
    sendAckMessage,
    watchAcknowledgement,
    activities: { watchAcknowledgement },
  };
}
