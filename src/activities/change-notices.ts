/**
 * Change notices (issue 16): the direct messages to the members whose turns a coalesced change moved, the operators'
 * summary in the role's channel, and the corrections of a notice that no longer names who takes over (the standup
 * pointed back at who keeps serving, the channel post edited, a message to each person no longer up). Every message
 * goes through the Slack messages service with its idempotency key (message metadata `team_roles_notice`), so a
 * retry after a worker died between Slack's answer and Temporal's record of it posts nothing twice. The workflow
 * words the change messages (src/domain/changeNotices.ts): the input carries texts, not plans.
 */
import { noticeCorrectionKey, noticeCorrectionText, pausedNoticeText, type NoticeFacts } from '../domain/changeNotices';
import type { Settings } from '../domain/config';
import { handoverKey } from '../domain/schedule';
import type { IsoDate, Member } from '../domain/types';
import type { NoticeRecord } from '../shared';
import { activityLog, whileHeartbeating } from './context';
import { FailureType, nonRetryable, requireIsoDate, requireRole } from './errors';
import type { FoundStandup, UpsertStandupInput, UpsertStandupResult } from './geekbot';
import type { createSlackMessagesService, OutgoingMessage } from './slack-messages';

export interface SendChangeNoticesInput {
  role: string;
  /** One direct message per member told: its key (`changeNoticeKey`), the member's Slack ID and the words. */
  messages: { key: string; recipient: string; text: string }[];
  /** The operators' summary for the role's channel (`changeSummaryKey`); null when it stays in the CLI output. */
  summary: { key: string; text: string } | null;
}

export interface SendChangeNoticesResult {
  /** Messages now in Slack as they should be (posted, corrected, or already there). */
  delivered: number;
  /** Messages no retry can send, one sentence each. */
  failures: string[];
  /** Why nothing was sent (the role's messages are off), or null. */
  skipped: string | null;
}

export interface WithdrawNoticeInput {
  role: string;
  /** The handover the notice was for. */
  date: IsoDate;
  /** Who keeps serving while paused (the standup names them again), and their buddy (two slots). */
  serving: Member;
  buddy: Member | null;
  standupId: number | null;
  /** What the people named for that handover were told (null: nobody was messaged). */
  told: NoticeRecord | null;
}

export interface WithdrawNoticeResult {
  standupId: number | null;
  /** The record after the withdrawal: everyone told is now "off", and the correction counted. */
  told: NoticeRecord;
  failures: string[];
}

type Messages = Pick<ReturnType<typeof createSlackMessagesService>, 'deliver' | 'deliverAll' | 'findMessage'>;

export interface ChangeNoticeDeps {
  settings: Settings;
  messages: Messages;
  /** Geekbot's steps; null when Geekbot is off on this worker. */
  standup: {
    findStandup(role: string, standupId: number | null): Promise<FoundStandup>;
    writeStandup(input: UpsertStandupInput, existing: FoundStandup): Promise<UpsertStandupResult>;
  } | null;
  now?: () => number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

function failureSentence(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function requireText(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw nonRetryable(FailureType.InvalidInput, `${what} is empty.`);
  return value;
}

export function createChangeNoticeService({ settings, messages, standup, now = Date.now }: ChangeNoticeDeps) {
  /** The direct messages and the summary of one coalesced change, each exactly once. */
  async function sendChangeNotices(input: SendChangeNoticesInput): Promise<SendChangeNoticesResult> {
    const role = requireRole(settings, input.role);
    if (!Array.isArray(input.messages)) {
      throw nonRetryable(FailureType.InvalidInput, 'sendChangeNotices needs the list of messages.');
    }
    if (!role.slack?.enabled) {
      return { delivered: 0, failures: [], skipped: `Slack messages are off for ${input.role} (no slack block).` };
    }
    const outgoing: OutgoingMessage[] = input.messages.map((m) => ({
      key: { handoverKey: requireText(m.key, 'a change message key'), kind: 'plan-change', recipient: m.recipient },
      channel: null,
      text: requireText(m.text, 'a change message'),
    }));
    if (input.summary) {
      outgoing.push({
        key: {
          handoverKey: requireText(input.summary.key, 'the summary key'),
          kind: 'plan-change-summary',
          recipient: null,
        },
        channel: role.slack.channel,
        text: requireText(input.summary.text, 'the summary'),
        channelPath: `roles.${input.role}.slack.channel`,
      });
    }
    const result = await messages.deliverAll(outgoing);
    activityLog.info('Change notices delivered', {
      role: input.role,
      actions: result.delivered.map((d) => `${d.kind}:${d.action}`),
      failures: result.failures.length,
    });
    return { delivered: result.delivered.length, failures: result.failures, skipped: null };
  }

  /**
   * Paused after the notice went out: the standup names who keeps serving again, the channel's notice post says the
   * handover is on hold, and each member the notice named is told it does not happen for now (a new message, so it
   * reaches them). Idempotent: the standup write is a no-op when done, the messages are found by their keys.
   */
  async function withdrawNotice(input: WithdrawNoticeInput): Promise<WithdrawNoticeResult> {
    const role = requireRole(settings, input.role);
    const date = requireIsoDate(input.date, 'date');
    if (!input.serving?.id) throw nonRetryable(FailureType.InvalidInput, 'withdrawNotice needs the serving member.');
    const key = handoverKey(input.role, date);
    const failures: string[] = [];
    const slack = role.slack?.enabled ? role.slack : null;
    const told = input.told?.key === key ? input.told : null;
    const recipients = Object.entries(told?.told ?? {})
      .filter(([, status]) => status !== 'off')
      .map(([id]) => id);
    const corrections = (told?.corrections ?? 0) + (slack && recipients.length > 0 ? 1 : 0);
    const facts: NoticeFacts = {
      roleTitle: role.title,
      date,
      incoming: input.serving,
      buddy: input.buddy ?? null,
      paused: true,
    };

    const pointBack = async (): Promise<number | null> => {
      if (!standup) return input.standupId;
      const notify = {
        role: input.role,
        incoming: input.serving,
        buddy: input.buddy ?? null,
        standupId: input.standupId,
      };
      const written = await standup.writeStandup(notify, await standup.findStandup(input.role, input.standupId));
      return written.standupId;
    };
    const correct = async (): Promise<string[]> => {
      if (!slack) return [];
      // The channel's notice post, edited in place if it went out (one the notice never posted stays unposted).
      const post = {
        key: { handoverKey: key, kind: 'notice-channel' as const, recipient: null },
        channel: slack.channel,
      };
      const reach = role.prepareLeadHours * HOUR_MS + DAY_MS;
      const read = await messages.findMessage(post.key, post.channel, now() - reach);
      const edits: Promise<unknown>[] = [];
      if (read.found) {
        const text = pausedNoticeText(facts);
        edits.push(messages.deliver({ ...post, text, channelPath: `roles.${input.role}.slack.channel` }, { read }));
      }
      const dms: OutgoingMessage[] = recipients.map((recipient) => ({
        key: { handoverKey: noticeCorrectionKey(key, corrections), kind: 'notice-correction', recipient },
        channel: null,
        text: noticeCorrectionText(facts, 'off', { id: recipient, name: recipient }),
      }));
      const [edited, sent] = await Promise.allSettled([Promise.all(edits), messages.deliverAll(dms)]);
      if (edited.status === 'rejected') throw edited.reason;
      if (sent.status === 'rejected') throw sent.reason;
      return sent.value.failures;
    };
    const [pointed, corrected] = await Promise.allSettled([pointBack(), correct()]);
    for (const outcome of [pointed, corrected]) {
      if (outcome.status === 'rejected') {
        const reason: unknown = outcome.reason;
        if (!(reason instanceof Error && 'nonRetryable' in reason && reason.nonRetryable)) throw reason;
        failures.push(failureSentence(reason));
      }
    }
    if (corrected.status === 'fulfilled') failures.push(...corrected.value);
    activityLog.info('Withdrew the notice while paused', { role: input.role, date, told: recipients.length, failures });
    return {
      standupId: pointed.status === 'fulfilled' ? pointed.value : input.standupId,
      told: {
        key,
        told: Object.fromEntries(Object.keys(told?.told ?? {}).map((id) => [id, 'off' as const])),
        corrections,
        withdrawn: true,
      },
      failures,
    };
  }

  return {
    sendChangeNotices,
    withdrawNotice,
    activities: {
      sendChangeNotices: (input: SendChangeNoticesInput) => whileHeartbeating(() => sendChangeNotices(input)),
      withdrawNotice: (input: WithdrawNoticeInput) => whileHeartbeating(() => withdrawNotice(input)),
    },
  };
}
