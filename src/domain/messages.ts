/**
 * What the role says in Slack at the notice and at the handover: which messages, to whom, in which words (the role's
 * templates, or the defaults below), and their Block Kit form within Slack's limits. Pure: the Slack messages
 * service (src/activities/slack-messages.ts) delivers what this plans.
 */
import type { MessageTemplateName, RoleConfig } from './config';
import { handoverNotice } from './notice';
import type { RotationState } from './rotation';
import { turnEnd } from './schedule';
import { formatDay, formatLastDay, personValues, renderTemplate } from './templates';
import type { IsoDate, Member } from './types';

/** Each message's kind; with the handover key (and the recipient of a DM) it makes the message's idempotency key. */
export const MESSAGE_KINDS = [
  'notice-channel',
  'notice-incoming',
  'notice-buddy',
  'handover-channel',
  'ack-reminder',
  'ack-escalation',
  'absence-skipped',
  'absence-cover',
] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];
/**
 * The messages of change notices (issue 16), worded by src/domain/changeNotices.ts rather than templates: a direct
 * message to a member whose turns moved, the operators' summary in the channel, a correction of a notice.
 */
export const CHANGE_MESSAGE_KINDS = ['plan-change', 'plan-change-summary', 'notice-correction'] as const;
export type ChangeMessageKind = (typeof CHANGE_MESSAGE_KINDS)[number];
/** The acknowledgement's messages (src/domain/acknowledgement.ts): a reminder DM, then one post in the channel. */
export type AckMessageKind = Extract<MessageKind, 'ack-reminder' | 'ack-escalation'>;
/** The absence check's messages (src/domain/absenceCheck.ts): DMs to the member skipped and to who is named instead. */
export type AbsenceMessageKind = Extract<MessageKind, 'absence-skipped' | 'absence-cover'>;
export type MessagePhase = 'notice' | 'handover';

const TEMPLATE_OF: Readonly<Record<MessageKind, MessageTemplateName>> = {
  'notice-channel': 'noticeChannel',
  'notice-incoming': 'noticeIncoming',
  'notice-buddy': 'noticeBuddy',
  'handover-channel': 'handoverChannel',
  'ack-reminder': 'ackReminder',
  'ack-escalation': 'ackEscalation',
  'absence-skipped': 'absenceSkipped',
  'absence-cover': 'absenceCover',
};

/** The configuration name of a kind's template (`roles.<role>.slack.templates.<name>`). */
export function templateNameOf(kind: MessageKind): MessageTemplateName {
  return TEMPLATE_OF[kind];
}

/** Who the messages of one handover are about. */
export interface MessageFacts {
  /** The handover date: the incoming member's first day. */
  date: IsoDate;
  incoming: Member;
  /** With two slots, who serves alongside the incoming member (today's incoming); otherwise null. */
  buddy: Member | null;
  /** Who rotates off at the handover (today's current), or null at the very start. */
  outgoing: Member | null;
  /** The incoming member's away days over their turn (`describeAwayDays`), when the absence check found some. */
  awayDays?: string | null;
}

export interface PlannedMessage {
  kind: MessageKind;
  /** The channel ID for a channel post; null for a direct message to `recipient`. */
  channel: string | null;
  recipient: Member | null;
  /** Slack mrkdwn, mentions as <@U…>. */
  text: string;
}

/** The facts of the handover on `date` as the rotation stands before it (the same at the notice and at the handover). */
export function messageFacts(rotation: RotationState, date: IsoDate): MessageFacts {
  const notice = handoverNotice(rotation, date);
  return { date, incoming: notice.member, buddy: notice.buddy, outgoing: rotation.current };
}

/** The absence check's direct messages read the same with one slot or two. */
const ABSENCE_TEMPLATES = {
  absenceSkipped:
    'Hi {skipped}! Your calendar shows you out of office on {awayDays}, much of your *{role}* turn from {start}, so ' +
    '{incomingMention} takes that turn instead. You keep your place and serve at the next turn you can.',
  absenceCover:
    'Hi {incoming}! {skippedMention} is out of office for much of the *{role}* turn from {start}, so you take it ' +
    'instead, until {end}.',
};

/** The wording used where the role's configuration gives no template of its own. */
export function defaultTemplates(
  role: Pick<RoleConfig, 'slots'>,
  calendarUrl: string,
): Record<MessageTemplateName, string> {
  const calendar = calendarUrl ? ' The rotation is in the team calendar: {calendarUrl}' : '';
  if (role.slots === 2) {
    return {
      noticeChannel:
        '{incomingMention} takes over as {role} on {start} with {buddyMention}; {outgoingMention} rotates off.',
      noticeIncoming:
        'Hi {incoming}! You take over as *{role}* on {start}, until {end}. ' +
        `{buddyMention} serves with you as your buddy.${calendar}{awayNote}`,
      noticeBuddy:
        'Hi {buddy}! From {start} you are the {role} buddy of {incomingMention}, who takes over then ' +
        `(until {end}). Please help them get started.${calendar}`,
      handoverChannel:
        '{incomingMention} is now {role} with {buddyMention}, until {end}. Thank you, {outgoingMention}!',
      ackReminder: ACK_REMINDER,
      ackEscalation:
        '{incomingMention} has not confirmed taking over as {role} on {start} (asked for by {deadline}, and ' +
        'reminded since). {buddyMention} {contacts}: could you check in with them?',
      ...ABSENCE_TEMPLATES,
    };
  }
  return {
    noticeChannel: '{incomingMention} takes over as {role} on {start}; {outgoingMention} rotates off.',
    noticeIncoming: `Hi {incoming}! You take over as *{role}* on {start}, until {end}.${calendar}{awayNote}`,
    noticeBuddy: 'Hi {buddy}! From {start} {incomingMention} serves as {role}, until {end}.',
    handoverChannel: '{incomingMention} is now {role}, until {end}. Thank you, {outgoingMention}!',
    ackReminder: ACK_REMINDER,
    ackEscalation:
      '{incomingMention} has not confirmed taking over as {role} on {start} (asked for by {deadline}, and ' +
      'reminded since). {contacts}: could you check in with them?',
    ...ABSENCE_TEMPLATES,
  };
}

const ACK_REMINDER =
  'Hi {incoming}! You take over as *{role}* on {start}, until {end}, and we have not heard from you since the ' +
  'notice. Please confirm: react to this message or reply here.';

/** What the escalation's {contacts} says when nobody is configured (and there is no standup manager). */
export const NO_CONTACTS = 'the team';

/** Every placeholder's value for the messages of one handover. */
export function messageValues(role: RoleConfig, calendarUrl: string, facts: MessageFacts): Record<string, string> {
  return {
    ...personValues('incoming', facts.incoming),
    ...personValues('buddy', facts.buddy),
    ...personValues('outgoing', facts.outgoing),
    role: role.title,
    calendarUrl,
    start: formatDay(facts.date),
    end: formatLastDay(turnEnd(role, facts.date)),
    awayDays: facts.awayDays || 'none',
    awayNote: facts.awayDays ? ` Your calendar shows you away on ${facts.awayDays}.` : '',
  };
}

/**
 * The messages of one phase: at the notice a channel post, a DM to the incoming member and one to the buddy (two
 * slots, a buddy other than the incoming member); at the handover a channel post. None when the role has no
 * `slack` block or it is switched off.
 */
export function planMessages(
  role: RoleConfig,
  calendarUrl: string,
  phase: MessagePhase,
  facts: MessageFacts,
): PlannedMessage[] {
  const slack = role.slack;
  if (!slack || !slack.enabled) return [];
  const templates = { ...defaultTemplates(role, calendarUrl), ...definedOnly(slack.templates) };
  const values = messageValues(role, calendarUrl, facts);
  const message = (kind: MessageKind, recipient: Member | null): PlannedMessage => ({
    kind,
    channel: recipient ? null : slack.channel,
    recipient,
    text: renderTemplate(templates[TEMPLATE_OF[kind]], values),
  });
  if (phase === 'handover') return [message('handover-channel', null)];
  const planned = [message('notice-channel', null), message('notice-incoming', facts.incoming)];
  if (role.slots === 2 && facts.buddy && facts.buddy.id !== facts.incoming.id) {
    planned.push(message('notice-buddy', facts.buddy));
  }
  return planned;
}

/** What the acknowledgement's messages say besides the handover's facts. */
export interface AckMessageExtras {
  /** The acknowledgement's deadline as people read it (`formatInstant`). */
  deadline: string;
  /** Slack user IDs of the escalation contacts, mentioned as {contacts}. */
  contacts: readonly string[];
}

/**
 * The acknowledgement's reminder (a DM to the member) or escalation (a post in the role's channel about the member;
 * the member is its `recipient`, so each member named for a handover has an escalation of their own). Null when the
 * role's Slack messages are off.
 */
export function planAckMessage(
  role: RoleConfig,
  calendarUrl: string,
  kind: AckMessageKind,
  facts: MessageFacts,
  extras: AckMessageExtras,
): PlannedMessage | null {
  const slack = role.slack;
  if (!slack || !slack.enabled) return null;
  const templates = { ...defaultTemplates(role, calendarUrl), ...definedOnly(slack.templates) };
  const values = {
    ...messageValues(role, calendarUrl, facts),
    deadline: extras.deadline,
    contacts: extras.contacts.length > 0 ? extras.contacts.map((id) => `<@${id}>`).join(' ') : NO_CONTACTS,
  };
  return {
    kind,
    channel: kind === 'ack-escalation' ? slack.channel : null,
    recipient: facts.incoming,
    text: renderTemplate(templates[TEMPLATE_OF[kind]], values),
  };
}

/** A member skipped for an absence, as their message needs them. */
export interface SkippedForAbsence {
  member: Member;
  /** Their away days over the turn (`describeAwayDays`). */
  awayDays: string | null;
}

/**
 * The absence check's direct messages for the handover in `facts` (whose incoming member is the one named instead):
 * one to each member skipped, and one to the member named, about the member whose turn it was. None when the role's
 * Slack messages are off or nobody was skipped.
 */
export function planAbsenceMessages(
  role: RoleConfig,
  calendarUrl: string,
  facts: MessageFacts,
  skipped: readonly SkippedForAbsence[],
): PlannedMessage[] {
  const slack = role.slack;
  const first = skipped[0];
  if (!slack || !slack.enabled || !first) return [];
  const templates = { ...defaultTemplates(role, calendarUrl), ...definedOnly(slack.templates) };
  const message = (kind: AbsenceMessageKind, recipient: Member, about: SkippedForAbsence): PlannedMessage => {
    const values = {
      ...messageValues(role, calendarUrl, { ...facts, awayDays: about.awayDays }),
      ...personValues('skipped', about.member),
    };
    return { kind, channel: null, recipient, text: renderTemplate(templates[TEMPLATE_OF[kind]], values) };
  };
  return [
    ...skipped.map((s) => message('absence-skipped', s.member, s)),
    message('absence-cover', facts.incoming, first),
  ];
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Slack's limits on one message (chat.postMessage): text, blocks, and one section block's text. */
export const SLACK_TEXT_LIMIT = 40_000;
export const SLACK_BLOCK_LIMIT = 50;
export const SLACK_SECTION_LIMIT = 3_000;

export interface SectionBlock {
  type: 'section';
  text: { type: 'mrkdwn'; text: string };
}

/**
 * A message's Block Kit form and its plain-text fallback (what notifications and screen readers show), both within
 * Slack's limits: the text is cut at 40,000 characters; the blocks are sections of at most 3,000 characters, split at
 * a line break or a space where possible, at most 50 of them.
 */
export function messageContent(text: string): { text: string; blocks: SectionBlock[] } {
  const fallback = cut(text, SLACK_TEXT_LIMIT);
  const sections: string[] = [];
  let rest = fallback;
  while (rest.length > 0 && sections.length < SLACK_BLOCK_LIMIT) {
    if (rest.length <= SLACK_SECTION_LIMIT) {
      sections.push(rest);
      break;
    }
    if (sections.length === SLACK_BLOCK_LIMIT - 1) {
      sections.push(cut(rest, SLACK_SECTION_LIMIT));
      break;
    }
    const window = rest.slice(0, SLACK_SECTION_LIMIT);
    const at = Math.max(window.lastIndexOf('\n'), window.lastIndexOf(' '));
    const split = at > SLACK_SECTION_LIMIT / 2 ? at : SLACK_SECTION_LIMIT;
    sections.push(rest.slice(0, split));
    rest = rest.slice(split).replace(/^[\n ]/, '');
  }
  return {
    text: fallback,
    blocks: sections.map((section) => ({ type: 'section', text: { type: 'mrkdwn', text: section } })),
  };
}

function cut(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}
