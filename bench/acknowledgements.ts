/**
 * Section 7: what the handover acknowledgement costs (issue 15). One role on the dev server with acknowledgements
 * on and the product's defaults (reminder 24 h after the notice, escalation 12 h later, a check every 5 minutes),
 * on a fast clock. After a warm-up turn, three: the member reacts to the notice DM at once, answers the Geekbot
 * standup after the reminder, never answers. Per turn: calls to Slack and Geekbot by method (those of the
 * acknowledgement apart), history events, and how long a reaction takes to show. On a fast clock the watch checks
 * at most once a real second, fewer times than in real time: the real-time calls are the calls of one check, as
 * measured, times the checks the hours watched hold at the configured interval.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import type { RecordedRequest } from '../src/sandbox/http';
import type { Sandbox } from '../src/sandbox/sandbox';
import { stateQuery, type RoleStateView } from '../src/shared';
import type { roleWorkflow } from '../src/workflows';
import {
  ACK_CHANNEL,
  type HistoryEvent,
  type RunHistory,
  costPerHandover,
  roleBed,
  rotationNow,
  runHistories,
  waitFor,
  weekdayOf,
  weekTakes,
} from '../test/support';
import { progress, ROLE } from './common';
import { table, type Goal, type Section } from './section';

const LEAD_HOURS = 48;
/** The defaults: the reminder 24 h after the notice, the escalation 12 h after the reminder. */
const ESCALATION_AFTER_NOTICE_MS = (24 + 12) * 3_600_000;
/** When each answer comes in real life, in hours after the notice: before the second check; at the reminder; never. */
const NOMINAL_ANSWER_HOURS = [0, 24, 36] as const;
const ANSWERS = ['reacts to the DM at once', 'answers the standup after the reminder', 'never answers'] as const;
type Answer = (typeof ANSWERS)[number];

export interface AckTurn {
  member: string;
  answer: Answer;
  status: string;
  /** Calls from this turn's notice to the next one's, by `service method` (e.g. `slack reactions.get`). */
  calls: Record<string, number>;
  /** Of those, the acknowledgement's: its reads and its reminder and escalation posts. */
  ackCalls: { slack: number; geekbot: number };
  /** The same in real time: a check every pollMinutes over the hours watched, each making this run's calls. */
  realTime: { checks: number; slack: number; geekbot: number };
  /** The simulated hours the acknowledgement was watched (notice to answer, or to the escalation). */
  watchedHours: number;
  /** Checks on this clock (one `reactions.get` on the notice DM each). */
  checks: number;
  historyEvents: number;
  ackEvents: number;
  eventsByType: Record<string, number>;
}

export interface AckResult {
  timeScale: number;
  pollMinutes: number;
  turns: AckTurn[];
  /** Real ms from the reaction until the `state` query showed it acknowledged, and what that is in simulated time. */
  reactionToState: { realMs: number; simulatedMinutes: number };
}

/** Real ms of a history event (the server's clock: this machine's). */
function eventMs(event: HistoryEvent): number {
  const time = event.eventTime;
  return Number(time?.seconds ?? 0) * 1000 + Math.floor((time?.nanos ?? 0) / 1e6);
}

/** Each watch activity's span, from its scheduling to its completion, in order: the calls made then are its own. */
function watchWindows(runs: readonly RunHistory[]): Array<{ from: number; to: number }> {
  const windows: Array<{ from: number; to: number }> = [];
  for (const { events } of runs) {
    for (const event of events) {
      if (event.activityTaskScheduledEventAttributes?.activityType?.name !== 'watchAcknowledgement') continue;
      const id = Number(event.eventId);
      const end = events.find(
        (e) =>
          Number(
            (
              e.activityTaskCompletedEventAttributes ??
              e.activityTaskFailedEventAttributes ??
              e.activityTaskCanceledEventAttributes
            )?.scheduledEventId ?? -1,
          ) === id,
      );
      windows.push({ from: eventMs(event), to: end ? eventMs(end) : Infinity });
    }
  }
  return windows;
}

function callName(service: 'slack' | 'geekbot', r: RecordedRequest): string {
  return service === 'slack'
    ? `slack ${r.path.split('/').pop()}`
    : `geekbot ${r.method} ${r.path.replace(/\d+/g, 'N')}`;
}

function isAckPost(r: RecordedRequest): boolean {
  return r.path.endsWith('/chat.postMessage') && /ack-(reminder|escalation)/.test(JSON.stringify(r.body ?? null));
}

/** The notice DM of `handoverKey` to `memberId` in the fake Slack. */
function noticeDm(sandbox: Sandbox, handoverKey: string, memberId: string) {
  for (const channel of Object.values(sandbox.slack.state.channels)) {
    for (const message of channel.messages) {
      const payload = message.metadata?.event_payload;
      if (
        payload?.message_kind === 'notice-incoming' &&
        payload.handover_key === handoverKey &&
        payload.recipient === memberId
      )
        return { channel: channel.id, ts: message.ts };
    }
  }
  return undefined;
}

export async function runAcknowledgementSection(env: TestWorkflowEnvironment, weekMs: number): Promise<AckResult> {
  const timeScale = weekTakes(weekMs);
  // The first handover 3 to 4 days ahead at 10:00, so the first notice (48 h before it) comes within two days.
  const handover = DateTime.fromMillis(rotationNow(), { zone: 'UTC' }).plus({ days: 3 });
  const bed = await roleBed(env, {
    settings: {
      timeScale,
      // No continue-as-new among the turns measured (it adds its own events to one turn: section 5 counts them).
      handoversPerRun: 52,
      roles: {
        [ROLE]: {
          handoverWeekday: weekdayOf(handover.toMillis()),
          handoverTime: '10:00',
          prepareLeadHours: LEAD_HOURS,
          slack: { channel: ACK_CHANNEL.id },
        },
      },
    },
    channels: [ACK_CHANNEL],
    outOfOffice: [],
    acknowledgements: true,
  });
  const worker = await bed.worker();
  const running = worker.run();
  try {
    const pollMinutes = bed.settings.roles[ROLE]!.acknowledgement.pollMinutes;
    const handle: WorkflowHandle<typeof roleWorkflow> = await env.client.workflow.start<typeof roleWorkflow>(
      'roleWorkflow',
      {
        workflowId: bed.workflowId,
        taskQueue: bed.taskQueue,
        args: [{ role: ROLE, seed: { incoming: 'Ben', current: 'Ava' } }],
      },
    );
    // Turn 0 warms up (answered at once, not counted: a run's first turn also records its patch markers); turns 1
    // to 3 answer as ANSWERS says.
    const keys: string[] = [];
    const reacted = new Set<string>();
    let reaction: { at: number; shownAt?: number } | undefined;
    let answered = false;
    const final = await waitFor(
      'a warm-up turn, three measured turns and the next notice',
      async (): Promise<RoleStateView | false> => {
        const view = await handle.query(stateQuery);
        const ack = view.acknowledgement;
        if (!ack) return false;
        if (!keys.includes(ack.handoverKey)) keys.push(ack.handoverKey);
        const turn = keys.indexOf(ack.handoverKey);
        if (turn <= 1 && !reacted.has(ack.handoverKey)) {
          const dm = noticeDm(bed.sandbox, ack.handoverKey, ack.member.id);
          if (dm) {
            bed.sandbox.slack.addReaction(dm.channel, dm.ts, 'white_check_mark', ack.member.id);
            reacted.add(ack.handoverKey);
            if (turn === 1) reaction = { at: performance.now() };
          }
        }
        if (turn === 1 && reaction && !reaction.shownAt && ack.status === 'acknowledged')
          reaction.shownAt = performance.now();
        if (turn === 2 && ack.status === 'reminded' && !answered) {
          bed.sandbox.geekbot.answerAs(ack.member.id, view.standupId!, 'ok, on it');
          answered = true;
        }
        return keys.length > ANSWERS.length + 1 && view;
      },
      { timeoutMs: 20 * weekMs, intervalMs: 10 },
    );
    const runs = await runHistories(env.client, bed.workflowId);
    const costs = costPerHandover(runs);
    const watches = watchWindows(runs);
    // A turn's calls: from its notice's DM to the next notice's (the prepare step's own calls included, by method).
    const noticeStarts = bed.sandbox.slack.requests
      .filter((r) => r.path.endsWith('/chat.postMessage') && JSON.stringify(r.body ?? null).includes('notice-incoming'))
      .map((r) => r.startedAt);
    const turns = ANSWERS.map((answer, measured): AckTurn => {
      const i = measured + 1;
      const [from, to] = [noticeStarts[i] ?? Infinity, noticeStarts[i + 1] ?? Infinity];
      const within = (r: RecordedRequest) => r.startedAt >= from && r.startedAt < to;
      const calls: Record<string, number> = {};
      const reads = { slack: 0, geekbot: 0 };
      let posts = 0;
      const watch = watches[i] ?? { from: Infinity, to: Infinity };
      for (const service of ['slack', 'geekbot'] as const) {
        for (const r of bed.sandbox[service].requests.filter(within)) {
          const name = callName(service, r);
          calls[name] = (calls[name] ?? 0) + 1;
          if (isAckPost(r)) posts++;
          else if (r.startedAt >= watch.from && r.startedAt <= watch.to) reads[service]++;
        }
      }
      const record = final.history.find((t) => `${ROLE}@${t.start}` === keys[i]);
      const ack = record?.acknowledgement;
      // Watched from the notice (48 h before the 10:00 handover) to the answer, or to the escalation 36 h after it.
      const noticeAt = Date.parse(`${record?.start ?? ''}T10:00:00Z`) - LEAD_HOURS * 3_600_000;
      const watchedMs = ack?.at ? Date.parse(ack.at) - noticeAt : ack?.escalated ? ESCALATION_AFTER_NOTICE_MS : NaN;
      const checks = bed.sandbox.slack.requests.filter(
        (r) => r.path.endsWith('/reactions.get') && r.startedAt >= watch.from && r.startedAt <= watch.to,
      ).length;
      const watchedHours = Number.isFinite(watchedMs) ? watchedMs / 3_600_000 : NaN;
      // In real time a check comes every pollMinutes (on this clock at most one a second: minPollMs): the check at
      // the notice, those until the answer comes (NOMINAL_ANSWER_HOURS), and the one that finds it.
      const realChecks = 2 + Math.floor(((NOMINAL_ANSWER_HOURS[measured] ?? 0) * 60) / pollMinutes);
      const perCheck = (n: number) => (checks > 0 ? n / checks : 0);
      return {
        member: record?.member.name ?? '?',
        answer,
        status: !ack
          ? 'none'
          : ack.acknowledged
            ? `acknowledged (${ack.via})`
            : ack.escalated
              ? 'escalated'
              : 'reminded',
        calls,
        ackCalls: { slack: reads.slack + posts, geekbot: reads.geekbot },
        realTime: {
          checks: realChecks,
          slack: Math.round(perCheck(reads.slack) * realChecks) + posts,
          geekbot: Math.round(perCheck(reads.geekbot) * realChecks),
        },
        watchedHours,
        checks,
        historyEvents: costs[i]?.events ?? NaN,
        ackEvents: costs[i]?.acknowledgement ?? NaN,
        eventsByType: costs[i]?.byType ?? {},
      };
    });
    const realMs = reaction?.shownAt !== undefined ? reaction.shownAt - reaction.at : NaN;
    const result: AckResult = {
      timeScale,
      pollMinutes,
      turns,
      reactionToState: { realMs, simulatedMinutes: (realMs * timeScale) / 60_000 },
    };
    progress(
      `acknowledgements: ${turns.map((t) => `${t.answer}: ${t.ackCalls.slack}+${t.ackCalls.geekbot} calls, ${t.checks} checks, ${t.watchedHours.toFixed(1)} h, ${t.historyEvents} events ${JSON.stringify(t.eventsByType)}`).join('; ')}`,
    );
    return result;
  } finally {
    worker.shutdown();
    await running;
    await bed.close();
  }
}

/** Section 7 of BENCHMARKS.md. */
export const acknowledgementSection: Section<AckResult> = {
  number: '7',
  title: () => 'The handover acknowledgement: calls and history per turn',
  run: ({ quick, withDevServer }) => withDevServer((dev) => runAcknowledgementSection(dev, quick ? 30_000 : 40_000)),
  render(r) {
    const methods = [...new Set(r.turns.flatMap((t) => Object.keys(t.calls)))].sort();
    return [
      table(
        ['', ...r.turns.map((t) => `${t.member}: ${t.answer}`)],
        [
          ['outcome', ...r.turns.map((t) => t.status)],
          [
            'hours watched (simulated), checks on this clock',
            ...r.turns.map((t) => `${t.watchedHours.toFixed(1)} h, ${t.checks}`),
          ],
          [
            'the acknowledgement’s calls on this clock: Slack + Geekbot',
            ...r.turns.map((t) => `${t.ackCalls.slack} + ${t.ackCalls.geekbot}`),
          ],
          [
            `**the same in real time (a check every ${r.pollMinutes} min)**`,
            ...r.turns.map((t) => `**${t.realTime.slack} + ${t.realTime.geekbot}** (${t.realTime.checks} checks)`),
          ],
          [
            'history events, notice to notice (of them the acknowledgement’s)',
            ...r.turns.map((t) => `${t.historyEvents} (${t.ackEvents})`),
          ],
          ...methods.map((m) => [`\`${m}\``, ...r.turns.map((t) => String(t.calls[m] ?? 0))]),
        ],
      ),
      '',
      `A reaction on the notice DM showed in the \`state\` query **${Math.round(r.reactionToState.realMs)} ms** later on ` +
        `this clock (${r.reactionToState.simulatedMinutes.toFixed(1)} simulated minutes): in real time a reaction shows ` +
        `within the check interval (${r.pollMinutes} minutes, \`acknowledgement.pollMinutes\`) plus one check's calls.`,
      '',
      'How: one role on the dev server with acknowledgements on and their defaults (the reminder 24 h after the',
      `notice, the escalation 12 h after that, a check every ${r.pollMinutes} minutes), the notice 48 h before each`,
      `handover, on a simulated clock ${Math.round(r.timeScale)} times real time (a week in ${Math.round((7 * 24 * 3_600_000) / r.timeScale / 1000)} s),`,
      "after one warm-up turn (a run records its patch markers once). The calls are the fakes' request logs from one",
      "notice DM to the next, the prepare step's own included; the acknowledgement's are its reads (`reactions.get` and",
      "`conversations.replies` on the DM and the channel post, the DM history, Geekbot's reports) and its reminder and",
      'escalation posts. On this clock the watch checks at most once a real second (`minPollMs`), so it checks fewer',
      'times than in real time; the real-time row is the measured calls per check times the checks of real time (an',
      'answer before the second check; one at the first check after the reminder, 24 h on; none, checked until the',
      'escalation 36 h on), plus the posts. A watch stops at the first answer, and at the escalation. History',
      'events from one prepare activity to the next (`costPerHandover`): the watch is one activity that heartbeats,',
      'which writes no history while it waits; the reminder reaches the workflow as one signal (4 events: the signal',
      'and its workflow task). A run continues as new every `handoversPerRun` handovers (default 4), which adds its',
      'own events to that turn (section 5); this section runs without it.',
      '',
    ];
  },
  goals(r): Goal[] {
    const worst = Math.max(...r.turns.map((t) => t.historyEvents));
    return [
      {
        section: '7',
        goal: 'under 30 history events per handover with acknowledgements on',
        measured: `${r.turns.map((t) => t.historyEvents).join(' / ')} (${r.turns.map((t) => t.answer).join(' / ')})`,
        met: worst < 30,
      },
    ];
  },
  limits(r) {
    const over = r.turns.filter((t) => t.historyEvents >= 30);
    if (over.length === 0) return [];
    return over.map((t) => {
      const types = Object.entries(t.eventsByType)
        .map(([type, n]) => `${n} ${type.replace('EVENT_TYPE_', '').toLowerCase()}`)
        .join(', ');
      return (
        `7: the turn that ${t.answer} takes ${t.historyEvents} events (${types}). Each workflow task is 3 events; ` +
        'the reminder adds one task (its signal) to the four every turn has (prepare timer, notice, answer or ' +
        'escalation, handover): fewer would need the state to learn of the reminder without a signal.'
      );
    });
  },
};
