/**
 * Slack messages, each posted exactly once although activities are retried. Every message carries an idempotency
 * key in its metadata (event type `team_roles_notice`, payload: the handover key, the message kind and, for a DM, the
 * recipient); before posting, the conversation's recent history is searched for that key. A worker that dies between
 * Slack's answer and Temporal's record of it posts nothing the second time: the search finds the first post.
 * A message whose words changed since (the notice after an operator's override) is corrected in place with
 * chat.update. Direct messages go to the conversation conversations.open returns for the person.
 */
import { createHash } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import { ApplicationFailure } from '@temporalio/common';
import type { RoleConfig, Settings } from '../domain/config';
import {
  messageContent,
  planAbsenceMessages,
  planMessages,
  templateNameOf,
  type ChangeMessageKind,
  type MessageFacts,
  type MessageKind,
  type MessagePhase,
  type PlannedMessage,
  type SkippedForAbsence,
} from '../domain/messages';
import { handoverKey } from '../domain/schedule';
import type { Member } from '../domain/types';
import { activityLog } from './context';
import { FailureType, nonRetryable, requireIsoDate, requireRole } from './errors';
import { slackFailure } from './slack';
import { missingScopeFailure, slackPlatformError } from './slack-scopes';
import { retryTransient } from './transient';

/** The metadata event type of every message the worker posts (a name operators and other apps rely on). */
export const NOTICE_EVENT_TYPE = 'team_roles_notice';

/** What makes a message unique: one per handover, kind and (for a DM) recipient. */
export interface MessageKey {
  /**
   * `handoverKey(role, date)`, e.g. "support-triager@2026-12-09"; for a change notice its own key
   * (`changeNoticeKey`, e.g. "support-triager:plan-change:1796000000000:U0DAN00004").
   */
  handoverKey: string;
  kind: MessageKind | ChangeMessageKind;
  /** The user ID a DM goes to; null for a channel post. */
  recipient: string | null;
}

/** The metadata payload: snake_case, as Slack's own examples write it. */
interface NoticePayload {
  handover_key: string;
  message_kind: string;
  recipient?: string;
  /** A hash of what the message says, so a changed text is corrected and an unchanged one left alone. */
  content_hash: string;
}

export interface OutgoingMessage {
  key: MessageKey;
  /** The channel ID for a channel post; null for a DM to `key.recipient`. */
  channel: string | null;
  /** Slack mrkdwn; sent as Block Kit sections with this as the plain-text fallback. */
  text: string;
  /** Where the text's words come from, named in a failure Slack gives because of them. */
  templatePath?: string;
  /** Where the channel is configured, named in a failure about the channel. */
  channelPath?: string;
}

export interface Delivery {
  kind: MessageKind | ChangeMessageKind;
  recipient: string | null;
  channel: string;
  ts: string;
  /** posted: new; updated: corrected in place; unchanged: already there as it should be. */
  action: 'posted' | 'updated' | 'unchanged';
}

export interface SendMessagesResult {
  delivered: Delivery[];
  /** Messages no retry can send (bot not in the channel, a scope missing…), one sentence each. */
  failures: string[];
  /** Why nothing was sent (the role's messages are off), or null. */
  skipped: string | null;
}

/** The `sendRoleMessages` activity's input: small, so the history stays small (the texts are made here). */
export interface SendRoleMessagesInput {
  role: string;
  phase: MessagePhase;
  /** The handover date. */
  date: string;
  incoming: Member;
  buddy: Member | null;
  outgoing: Member | null;
}

/** Where one message goes and what is there already, read ahead of the write (see `readMessages`). */
export interface MessageRead {
  channel: string;
  found: { ts: string; contentHash: string | null } | null;
}

/** The reads of one phase of one handover, by message: what `sendMessages` uses instead of reading again. */
export interface MessageReads {
  handoverKey: string;
  byMessage: Map<string, MessageRead>;
}

export interface SlackMessagesDeps {
  settings: Settings;
  slack: WebClient;
  /** How far back the key is searched for a repeat (default a day). A notice's corrections search further. */
  lookbackMs?: number;
  /** conversations.history page size (default 200, Slack's recommendation). */
  pageSize?: number;
  now?: () => number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

interface HistoryMessage {
  ts?: string;
  metadata?: { event_type?: string; event_payload?: Partial<NoticePayload> };
}

function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function matchesKey(message: HistoryMessage, key: MessageKey): boolean {
  const metadata = message.metadata;
  if (metadata?.event_type !== NOTICE_EVENT_TYPE) return false;
  const payload = metadata.event_payload ?? {};
  return (
    payload.handover_key === key.handoverKey &&
    payload.message_kind === key.kind &&
    (payload.recipient ?? null) === key.recipient
  );
}

/** One message's place in a phase: its kind and recipient. */
function slotOf(key: MessageKey): string {
  return `${key.kind}:${key.recipient ?? ''}`;
}

function describe(key: MessageKey): string {
  return `the ${key.kind} message of ${key.handoverKey}${key.recipient ? ` to ${key.recipient}` : ''}`;
}

/**
 * Classifies a failure of one message's Slack call; what no retry can fix says what to do, in the operator's terms.
 * Everything else (rate limits, outages, a bad token) is classified as for every Slack call (activities/slack.ts).
 */
function messageFailure(err: unknown, method: string, message: OutgoingMessage, channel: string | null): unknown {
  if (err instanceof ApplicationFailure) return err;
  const error = slackPlatformError(err);
  if (!error) return slackFailure(err, method);
  const where = channel ?? message.channel ?? 'the direct message';
  const configured = message.channelPath ? ` (${message.channelPath})` : '';
  const details = { service: 'slack', method, error: error.code, channel: where, kind: message.key.kind };
  switch (error.code) {
    case 'not_in_channel':
      return nonRetryable(
        FailureType.SlackNotInChannel,
        `The Slack bot is not in channel ${where}${configured}: invite it with /invite @team-roles in that channel ` +
          '(or the name the app has in your workspace).',
        details,
      );
    case 'channel_not_found':
      return nonRetryable(
        FailureType.SlackChannelNotFound,
        `Slack has no channel ${where}${configured} that the bot can see: check the channel ID (channel details → ` +
          'About → Channel ID); a private channel must invite the bot first.',
        details,
      );
    case 'is_archived':
      return nonRetryable(
        FailureType.SlackApiError,
        `Slack channel ${where}${configured} is archived: unarchive it or configure another channel.`,
        details,
      );
    case 'missing_scope':
      return missingScopeFailure(method, error);
    case 'msg_too_long':
    case 'msg_blocks_too_long':
    case 'invalid_blocks':
    case 'no_text': {
      const why = error.errors?.length ? `: ${error.errors.join('; ')}` : '';
      return nonRetryable(
        FailureType.SlackMessageRejected,
        `Slack refused ${describe(message.key)} (${error.code}${why}). Shorten or fix ` +
          `${message.templatePath ?? 'its template'}.`,
        details,
      );
    }
    case 'user_not_found':
    case 'user_disabled':
    case 'cannot_dm_bot':
      return nonRetryable(
        FailureType.SlackApiError,
        `Slack cannot open a direct message with ${message.key.recipient ?? 'the recipient'} (${error.code}).`,
        details,
      );
    default:
      return slackFailure(err, method);
  }
}

function failureSentence(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isRetryable(err: unknown): boolean {
  return !(err instanceof ApplicationFailure && err.nonRetryable);
}

/** A planned message as the service sends it: keyed, with the configuration paths a failure names. */
export function outgoingMessage(
  roleName: string,
  role: RoleConfig,
  date: string,
  message: PlannedMessage,
): OutgoingMessage {
  return {
    key: { handoverKey: handoverKey(roleName, date), kind: message.kind, recipient: message.recipient?.id ?? null },
    channel: message.channel,
    text: message.text,
    templatePath: `roles.${roleName}.slack.templates.${templateNameOf(message.kind)}`,
    ...(role.slack ? { channelPath: `roles.${roleName}.slack.channel` } : {}),
  };
}

export function createSlackMessagesService({
  settings,
  slack,
  lookbackMs = DAY_MS,
  pageSize = 200,
  now = Date.now,
}: SlackMessagesDeps) {
  /** Slack keeps one DM conversation per person: its ID never changes, so it is looked up once per worker. */
  const directChannels = new Map<string, string>();

  async function directChannel(message: OutgoingMessage): Promise<string> {
    const user = message.key.recipient;
    if (!user)
      throw nonRetryable(FailureType.InvalidInput, `${describe(message.key)} has neither channel nor recipient.`);
    const known = directChannels.get(user);
    if (known) return known;
    try {
      const opened = await slack.conversations.open({ users: user });
      const id = opened.channel?.id;
      if (!id) throw nonRetryable(FailureType.SlackApiError, `Slack opened no conversation with ${user}.`);
      directChannels.set(user, id);
      return id;
    } catch (err) {
      throw messageFailure(err, 'conversations.open', message, null);
    }
  }

  /** The message with this key posted since `oldestMs` (newest first, page by page), or null. */
  async function findByKey(
    channel: string,
    key: MessageKey,
    oldestMs: number,
  ): Promise<{ ts: string; contentHash: string | null } | null> {
    let cursor: string | undefined;
    do {
      const page = await slack.conversations.history({
        channel,
        oldest: (oldestMs / 1000).toFixed(6),
        include_all_metadata: true,
        limit: pageSize,
        ...(cursor ? { cursor } : {}),
      });
      for (const message of (page.messages ?? []) as HistoryMessage[]) {
        if (message.ts && matchesKey(message, key)) {
          return { ts: message.ts, contentHash: message.metadata?.event_payload?.content_hash ?? null };
        }
      }
      cursor = (page.has_more !== false && page.response_metadata?.next_cursor) || undefined;
    } while (cursor);
    return null;
  }

  /** Where a message goes (a DM is opened) and the message already there with its key, if any. */
  async function readMessage(message: OutgoingMessage, oldestMs: number): Promise<MessageRead> {
    const channel = message.channel ?? (await directChannel(message));
    try {
      return { channel, found: await findByKey(channel, message.key, oldestMs) };
    } catch (err) {
      throw messageFailure(err, 'conversations.history', message, channel);
    }
  }

  /**
   * Makes the conversation hold this message once: posts it when no message has its key, corrects it in place when
   * its words changed, and leaves it alone otherwise. The search precedes every post, so repeating the whole call
   * (here after a passing failure, or Temporal's retry of the activity) never posts twice. `read` is a
   * `readMessage` made just before: the first try writes at once; a try after a failure reads again, since the
   * failed post may have landed.
   */
  function deliver(
    message: OutgoingMessage,
    options: { lookbackMs?: number; read?: MessageRead } = {},
  ): Promise<Delivery> {
    const { key } = message;
    const content = messageContent(message.text);
    const hash = contentHash(content.text);
    const metadata = {
      event_type: NOTICE_EVENT_TYPE,
      event_payload: {
        handover_key: key.handoverKey,
        message_kind: key.kind,
        ...(key.recipient ? { recipient: key.recipient } : {}),
        content_hash: hash,
      },
    };
    let read = options.read;
    return retryTransient(async () => {
      const known = read;
      read = undefined;
      const channel = known?.channel ?? message.channel ?? (await directChannel(message));
      const done = (ts: string, action: Delivery['action']): Delivery => ({
        kind: key.kind,
        recipient: key.recipient,
        channel,
        ts,
        action,
      });
      let method = 'conversations.history';
      try {
        const found = known ? known.found : await findByKey(channel, key, now() - (options.lookbackMs ?? lookbackMs));
        if (found && found.contentHash === hash) return done(found.ts, 'unchanged');
        if (found) {
          method = 'chat.update';
          await slack.chat.update({ channel, ts: found.ts, ...content, metadata });
          return done(found.ts, 'updated');
        }
        method = 'chat.postMessage';
        const posted = await slack.chat.postMessage({
          channel,
          ...content,
          metadata,
          unfurl_links: false,
          unfurl_media: false,
        });
        return done(posted.ts ?? '', 'posted');
      } catch (err) {
        throw messageFailure(err, method, message, channel);
      }
    });
  }

  /**
   * Delivers messages at once. A failure worth retrying fails the whole call (Temporal retries it; what was delivered
   * is found by its key and left alone); one no retry can fix is reported as a sentence and the rest go out.
   */
  async function deliverAll(
    messages: readonly OutgoingMessage[],
    options: { lookbackMs?: number; reads?: MessageReads } = {},
  ): Promise<Omit<SendMessagesResult, 'skipped'>> {
    const readFor = (message: OutgoingMessage) =>
      options.reads?.handoverKey === message.key.handoverKey
        ? options.reads.byMessage.get(slotOf(message.key))
        : undefined;
    const outcomes = await Promise.allSettled(
      messages.map((message) => deliver(message, { lookbackMs: options.lookbackMs, read: readFor(message) })),
    );
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected' && isRetryable(outcome.reason)) throw outcome.reason;
    }
    const delivered: Delivery[] = [];
    const failures: string[] = [];
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') delivered.push(outcome.value);
      else failures.push(`slack: ${failureSentence(outcome.reason)}`);
    }
    return { delivered, failures };
  }

  /** The role's planned messages as the service sends them: keyed, with the configuration paths to name. */
  function outgoing(roleName: string, role: RoleConfig, date: string, planned: PlannedMessage[]): OutgoingMessage[] {
    return planned.map((message) => outgoingMessage(roleName, role, date, message));
  }

  /** The phase's messages for the role, keyed, and how far back their keys are searched; null when off. */
  function phaseMessages(
    roleName: string,
    phase: MessagePhase,
    facts: MessageFacts,
  ): { messages: OutgoingMessage[]; lookbackMs: number } | null {
    const role = requireRole(settings, roleName);
    const date = requireIsoDate(facts.date, 'date');
    if (!role.slack?.enabled) return null;
    const planned = planMessages(role, settings.calendarUrl, phase, facts);
    // A notice may be corrected until the handover, so its search reaches back over the prepare lead as well.
    const reach = phase === 'notice' ? Math.max(lookbackMs, role.prepareLeadHours * 3_600_000 + DAY_MS) : lookbackMs;
    return { messages: outgoing(roleName, role, date, planned), lookbackMs: reach };
  }

  /**
   * The reads of `sendMessages`, done ahead (step for the prepare activity, while Slack answers the member lookup):
   * opens the DMs and searches each message's key, so the write that follows is one call per message. Reads only;
   * a failure worth retrying is thrown, one no retry fixes is left for the write to report.
   */
  async function readMessages(
    roleName: string,
    phase: MessagePhase,
    facts: MessageFacts,
  ): Promise<MessageReads | null> {
    const plan = phaseMessages(roleName, phase, facts);
    if (!plan) return null;
    const oldestMs = now() - plan.lookbackMs;
    const outcomes = await Promise.allSettled(
      plan.messages.map((message) => retryTransient(() => readMessage(message, oldestMs))),
    );
    const byMessage = new Map<string, MessageRead>();
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'rejected' && isRetryable(outcome.reason)) throw outcome.reason;
      if (outcome.status === 'fulfilled')
        byMessage.set(slotOf((plan.messages[i] as OutgoingMessage).key), outcome.value);
    });
    return { handoverKey: handoverKey(roleName, facts.date), byMessage };
  }

  /**
   * The messages of one phase of one handover (step for the prepare activity: `phase` "notice"; and for the
   * handover: "handover"). `reads` from `readMessages` spare the reads for the messages they cover (the same
   * recipients); any other message is read here.
   */
  async function sendMessages(
    roleName: string,
    phase: MessagePhase,
    facts: MessageFacts,
    reads?: MessageReads | null,
  ): Promise<SendMessagesResult> {
    const plan = phaseMessages(roleName, phase, facts);
    if (!plan) {
      return { delivered: [], failures: [], skipped: `Slack messages are off for ${roleName} (no slack block).` };
    }
    const result = await deliverAll(plan.messages, { lookbackMs: plan.lookbackMs, reads: reads ?? undefined });
    activityLog.info('Slack messages delivered', {
      role: roleName,
      phase,
      date: facts.date,
      actions: result.delivered.map((d) => `${d.kind}:${d.action}`),
      failures: result.failures.length,
    });
    return { ...result, skipped: null };
  }

  /**
   * The absence check's direct messages for the handover in `facts` (step for the prepare activity): to each member
   * skipped for an absence and to `facts.incoming`, named instead; exactly once each, keyed like the notice's.
   */
  async function sendAbsenceMessages(
    roleName: string,
    facts: MessageFacts,
    skipped: readonly SkippedForAbsence[],
  ): Promise<Omit<SendMessagesResult, 'skipped'>> {
    const role = requireRole(settings, roleName);
    const date = requireIsoDate(facts.date, 'date');
    const planned = planAbsenceMessages(role, settings.calendarUrl, facts, skipped);
    if (planned.length === 0) return { delivered: [], failures: [] };
    // Sent with the notice, so their keys are searched as far back as the notice's.
    const reach = Math.max(lookbackMs, role.prepareLeadHours * 3_600_000 + DAY_MS);
    const result = await deliverAll(outgoing(roleName, role, date, planned), { lookbackMs: reach });
    activityLog.info('Absence messages delivered', {
      role: roleName,
      date,
      actions: result.delivered.map((d) => `${d.kind}:${d.action}`),
      failures: result.failures.length,
    });
    return result;
  }

  const activities = {
    /** The messages of one phase of a handover, exactly once each (see `sendMessages`). */
    sendRoleMessages: (input: SendRoleMessagesInput): Promise<SendMessagesResult> => {
      if (!input?.incoming?.id)
        throw nonRetryable(FailureType.InvalidInput, 'sendRoleMessages needs the incoming member.');
      if (input.phase !== 'notice' && input.phase !== 'handover') {
        throw nonRetryable(
          FailureType.InvalidInput,
          `phase must be "notice" or "handover", got ${String(input.phase)}.`,
        );
      }
      return sendMessages(input.role, input.phase, {
        date: input.date,
        incoming: input.incoming,
        buddy: input.buddy ?? null,
        outgoing: input.outgoing ?? null,
      });
    },
  };

  /**
   * Where the message with this key is, if it was posted since `oldestMs`: in `channel`, or (null) in the DM with the
   * key's recipient. A read, for the acknowledgement's check of the notice (src/activities/acknowledgements.ts).
   */
  function findMessage(key: MessageKey, channel: string | null, oldestMs: number): Promise<MessageRead> {
    return retryTransient(() => readMessage({ key, channel, text: '' }, oldestMs));
  }

  return { deliver, deliverAll, findByKey, findMessage, readMessages, sendMessages, sendAbsenceMessages, activities };
}
