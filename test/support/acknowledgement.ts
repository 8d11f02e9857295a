/**
 * The handover acknowledgement in tests: a role whose notice, deadline, escalation and handover come within seconds
 * on a fast clock, the acknowledgement's messages in the fake Slack, and what a handover costs in history events.
 */
import { DateTime } from 'luxon';
import type { Acknowledgement } from '../../src/domain/acknowledgement';
import { getRole, type RoleConfigInput } from '../../src/domain/config';
import type { MessageKind } from '../../src/domain/messages';
import { createSlackMessagesService, outgoingMessage } from '../../src/activities/slack-messages';
import type { Sandbox } from '../../src/sandbox/sandbox';
import type { FakeSlackMessage } from '../../src/sandbox/slack';
import { rotationNow, weekdayOf } from './clock';
import type { RoleBed } from './rotation';
import { testActivityDeps } from './rotation';
import { EventType, type HistoryEvent, type RunHistory } from './histories';

/** The role's channel for the notices and the escalation (`roleBed({ channels: [ACK_CHANNEL] })`). */
export const ACK_CHANNEL = { id: 'C0SUPPORT1', name: 'support-freshdesk' };

const WEEK_MS = 7 * 24 * 3_600_000;

/** The time scale at which a simulated week takes `realMs`. */
export function weekTakes(realMs: number): number {
  return WEEK_MS / realMs;
}

/**
 * A weekly role with Slack messages whose acknowledgement fits a fast clock: the notice 96 h before the handover,
 * the reminder due 24 h after the notice and the escalation 24 h after that (both within the first three quarters
 * of the notice's lead, so neither is squeezed), the first handover about six days ahead (the weekday before
 * today's, at 10:00 UTC), so the first notice comes after two simulated days. With a week in 10 s: the notice
 * about 3 s after the start, the reminder 1.4 s after it, the escalation 1.4 s later, the handover 2.9 s after that.
 */
export function ackRole(nowMs = rotationNow()): Partial<RoleConfigInput> {
  return {
    handoverWeekday: weekdayOf(DateTime.fromMillis(nowMs).minus({ days: 1 }).toMillis()),
    handoverTime: '10:00',
    prepareLeadHours: 96,
    ackWithinHours: 24,
    escalateAfterHours: 24,
    slack: { channel: ACK_CHANNEL.id },
  };
}

/** The acknowledgement's messages in the fake Slack (the reminder DMs, the escalation posts), oldest first. */
export function ackMessages(
  sandbox: Sandbox,
  kind: 'ack-reminder' | 'ack-escalation',
  filter: { memberId?: string; handoverKey?: string } = {},
): FakeSlackMessage[] {
  return Object.values(sandbox.slack.state.channels)
    .flatMap((channel) => channel.messages)
    .filter((message) => {
      const payload = message.metadata?.event_payload;
      return (
        payload?.message_kind === kind &&
        (filter.memberId === undefined || payload.recipient === filter.memberId) &&
        (filter.handoverKey === undefined || payload.handover_key === filter.handoverKey)
      );
    })
    .sort((a, b) => Number(a.ts) - Number(b.ts));
}

/** What one notice-to-notice stretch of a rotation's history holds: its handover and the events in it. */
export interface HandoverCost {
  /** All events from this notice's prepare activity to the next one's. */
  events: number;
  /**
   * The acknowledgement's share: the watch's events, the reminder's signal, the workflow tasks they alone caused,
   * and the `HandoverAcknowledged` upserts at the notice and at the answer (not an operator's `acknowledge` update).
   */
  acknowledgement: number;
  /** Event type → count, for a report. */
  byType: Record<string, number>;
}

const ACTIVITY_EVENTS = new Set([
  EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
  EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
  EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
  EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
  EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
  EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
]);

/** Events a workflow task's completion records (its commands and messages): never what causes the next task. */
const COMMAND_EVENTS = new Set([
  EventType.EVENT_TYPE_TIMER_STARTED,
  EventType.EVENT_TYPE_TIMER_CANCELED,
  EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
  EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
  EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
  EventType.EVENT_TYPE_MARKER_RECORDED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
]);

function scheduledIdOf(event: HistoryEvent): string | undefined {
  const id =
    event.activityTaskStartedEventAttributes?.scheduledEventId ??
    event.activityTaskCompletedEventAttributes?.scheduledEventId ??
    event.activityTaskFailedEventAttributes?.scheduledEventId ??
    event.activityTaskTimedOutEventAttributes?.scheduledEventId ??
    event.activityTaskCancelRequestedEventAttributes?.scheduledEventId ??
    event.activityTaskCanceledEventAttributes?.scheduledEventId;
  return id === undefined || id === null ? undefined : String(id);
}

/**
 * The acknowledgement's events in one run: which events are its own (see `HandoverCost.acknowledgement`), by index.
 */
function acknowledgementEvents(events: readonly HistoryEvent[]): Set<number> {
  const own = new Set<number>();
  const activityNames = new Map<string, string>();
  /** The events since the last workflow task: what caused the next one. */
  let causes: number[] = [];
  /** What caused the workflow task whose commands follow. */
  let task: { causes: number[]; byPrepare: boolean } = { causes: [], byPrepare: false };
  events.forEach((event, i) => {
    const type = event.eventType ?? EventType.EVENT_TYPE_UNSPECIFIED;
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) activityNames.set(String(event.eventId), scheduled.activityType?.name ?? '');
    const activity = scheduled ? scheduled.activityType?.name : activityNames.get(scheduledIdOf(event) ?? '');
    const isWatch = (scheduled || ACTIVITY_EVENTS.has(type)) && activity === 'watchAcknowledgement';
    const isSignal = event.workflowExecutionSignaledEventAttributes?.signalName === 'acknowledgementReminded';
    if (isWatch || isSignal) own.add(i);
    if (type === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) {
      const byPrepare = causes.some(
        (j) =>
          events[j]?.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED &&
          activityNames.get(scheduledIdOf(events[j]) ?? '') === 'prepareHandover',
      );
      task = { causes, byPrepare };
      causes = [];
      if (task.causes.length > 0 && task.causes.every((j) => own.has(j))) own.add(i);
    } else if (
      type === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED ||
      type === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    ) {
      if (own.has(i - 1)) own.add(i);
    } else if (type === EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES) {
      // The notice's upsert (HandoverAcknowledged false) and the answer's (true); the handover's own is not ours.
      const ours = task.byPrepare || (task.causes.length > 0 && task.causes.every((j) => own.has(j)));
      if (ours) own.add(i);
    } else if (!COMMAND_EVENTS.has(type)) {
      causes.push(i);
    }
  });
  return own;
}

/**
 * The history of every run split at each notice (a `prepareHandover` activity scheduled): one stretch per
 * handover, from its notice to the next one, with the events in it and the acknowledgement's share. The run's own
 * start and end (continue-as-new) fall into the stretch they happen in.
 */
export function costPerHandover(runs: readonly RunHistory[]): HandoverCost[] {
  const costs: HandoverCost[] = [];
  let current: HandoverCost | undefined;
  for (const run of runs) {
    const own = acknowledgementEvents(run.events);
    run.events.forEach((event, i) => {
      if (event.activityTaskScheduledEventAttributes?.activityType?.name === 'prepareHandover') {
        current = { events: 0, acknowledgement: 0, byType: {} };
        costs.push(current);
      }
      if (!current) return;
      current.events += 1;
      if (own.has(i)) current.acknowledgement += 1;
      const name = EventType[event.eventType ?? 0] ?? String(event.eventType);
      current.byType[name] = (current.byType[name] ?? 0) + 1;
    });
  }
  return costs;
}

/**
 * Posts a notice's DM to the member and its channel post, keyed as the notice's own (the watch finds them by key), for
 * a member to answer on. The prepare activity posts them itself once the notice's Slack messages are wired (issue
 * 14); then this finds them by their keys and leaves them be. Returns where each is.
 */
export async function postNotice(
  bed: RoleBed,
  roleName: string,
  ack: Pick<Acknowledgement, 'handoverKey' | 'member'>,
): Promise<Record<'dm' | 'post', { channel: string; ts: string }>> {
  const deps = await testActivityDeps(bed.sandbox, bed.settings);
  const messages = createSlackMessagesService({ settings: bed.settings, slack: deps.slack });
  const role = getRole(bed.settings, roleName);
  const date = ack.handoverKey.slice(ack.handoverKey.indexOf('@') + 1);
  const send = async (kind: MessageKind, channel: string | null) => {
    const planned = { kind, channel, recipient: channel ? null : ack.member, text: `${ack.member.name} takes over` };
    const delivery = await messages.deliver(outgoingMessage(roleName, role, date, planned));
    return { channel: delivery.channel, ts: delivery.ts };
  };
  return { dm: await send('notice-incoming', null), post: await send('notice-channel', ACK_CHANNEL.id) };
}
