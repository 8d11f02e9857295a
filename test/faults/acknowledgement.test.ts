/**
 * The handover acknowledgement under faults, at the workflow level: one dev server, one sandbox, the real worker,
 * and nine rotations at once on a fast clock (a simulated week in two minutes: an hour is 0.7 s), each a role of its
 * own with its own members, channel and standup, so their messages and the faults aimed at them never mix.
 *
 * - **Killed** (`support-triager` and `ack-killed-after`, on a worker *process* SIGKILLed twice): each kill comes just
 *   before one rotation's post reaches Slack's store (the fake holds that post until the worker is dead, then drops
 *   it unstored) and right after Slack answered the other's, first for the reminder, then for the escalation.
 *   Temporal retries each watch after its heartbeat timeout (10 s on a fast clock); the retry resumes from its last
 *   heartbeat, makes the post that never got stored and finds the one that did by its idempotency key.
 * - On an in-process worker (the same activities and clients, its own task queue): **answer first** (the member
 *   answers while the check woken at the deadline is reading: no reminder), **reminder first** (the member reacts the
 *   moment the reminder is stored: one reminder, no escalation), **two channels** (a reaction and a Geekbot report at
 *   once: one record, via the earlier), **reaction and update** (the `acknowledge` update lands while the check that
 *   saw the reaction is finishing: the reaction is the earlier), **sources down** (every read for the member fails for
 *   the whole window with 429s, 500s, drops and one hang: nothing is sent, the state says "could not check" while it
 *   lasts and the turn records it, the handover goes on), **override** (an operator names someone else during the
 *   window) and **silent** (never answers: one reminder, one escalation).
 *
 * Every rotation: at most one reminder and one escalation per turn, none after an answer, no workflow task failure
 * (but the killed worker's own timed-out task), and its turn's history record as expected. The calls each kind of
 * turn costs Slack and Geekbot, and the history events per handover, are printed for BENCHMARKS.md.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { DateTime } from 'luxon';
import { createActivities, type WatchAcknowledgementInput } from '../../src/activities';
import { clockNow, realInstant, type ClockAnchor } from '../../src/domain/clock';
import { DEFAULT_SETTINGS, type RoleConfigInput } from '../../src/domain/config';
import type { TurnAcknowledgement } from '../../src/domain/acknowledgement';
import type { Member, Turn } from '../../src/domain/types';
import type { FakeRequest, RecordedRequest, ScriptedFault } from '../../src/sandbox/http';
import { DEMO_MANAGER, DEMO_TEAM, startSandbox, type Sandbox } from '../../src/sandbox/sandbox';
import type { FakeSlackMessage } from '../../src/sandbox/slack';
import { startDevServer } from '../../src/servers/environments';
import {
  acknowledgeUpdate,
  overrideUpdate,
  roleWorkflowId,
  stateQuery,
  TASK_QUEUE,
  type RoleStateView,
} from '../../src/shared';
import type { roleWorkflow } from '../../src/workflows';
import {
  ACK_CHANNEL,
  ackMessages,
  byName,
  costPerHandover,
  rotationNow,
  saveHistory,
  SERVER_REFUSALS,
  startServer,
  tempDir,
  testActivityDeps,
  testSettings,
  waitFor,
  weekTakes,
  weekdayOf,
  workflowBundle,
  workflowTaskFailures,
  type RunHistory,
  type SettingsOverlay,
  type WorkerProcess,
} from '../support';
import { captureRuntimeLogs, collectHistories, rememberSecrets, sandboxWorker } from './support';

const SCALE = weekTakes(120_000);
const HOUR_MS = 3_600_000;
/** A workflow task the killed worker held times out and is retried: that is not a failure. */
const KILLED_WORKERS_TASK = /timed out \(start-to-close\)/;
/** The shipped role, on the worker process that is killed: its members are the demo team (the notice names Chloe). */
const KILLED_ROLE = 'support-triager';

type AckKind = 'ack-reminder' | 'ack-escalation';

/** One rotation of the run: its role, members (seeded B incoming, A current: the notice names C) and timing. */
interface Scenario {
  role: string;
  /** Upper-case letters for its Slack IDs and names. */
  tag: string;
  /** From the start, in simulated hours: the handover (the notice an hour after the start), the two deadlines. */
  handoverHours: number;
  ackWithinHours: number;
  escalateAfterHours: number;
}

const scenario = (role: string, tag: string, handoverHours: number, ackWithinHours: number, escalateAfter: number) =>
  ({ role, tag, handoverHours, ackWithinHours, escalateAfterHours: escalateAfter }) satisfies Scenario;

/**
 * The two killed rotations (on the worker process): the reminder 6 h (4 s) after the notice, the escalation 30 h
 * (21 s) after that, far enough for the retry after the first kill (a heartbeat timeout of 10 s, a backoff, a
 * worker start); the handover 90 h (64 s) after the start, well after the retry that follows the second kill.
 */
const KILLED = scenario(KILLED_ROLE, '', 90, 6, 30);
const SCENARIOS = {
  killedAfter: scenario('ack-killed-after', 'KIL', 90, 6, 30),
  answerFirst: scenario('ack-answer-first', 'ANS', 40, 6, 24),
  reminderFirst: scenario('ack-reminder-first', 'REM', 40, 6, 24),
  twoChannels: scenario('ack-two-channels', 'TWO', 40, 6, 24),
  reactionAndUpdate: scenario('ack-reaction-update', 'UPD', 40, 6, 24),
  sourcesDown: scenario('ack-sources-down', 'DWN', 40, 6, 6),
  override: scenario('ack-override', 'OVR', 50, 8, 8),
  silent: scenario('ack-silent', 'SIL', 40, 6, 6),
};
type ScenarioName = keyof typeof SCENARIOS;
/** Saved for the replay test (RECORD_HISTORIES=1): the paths only these rotations take. */
const RECORDED: Partial<Record<ScenarioName, string>> = {
  reactionAndUpdate: 'ack-reaction-and-update', // a stopped watch's answer applied after the update
  sourcesDown: 'ack-sources-down', // the acknowledgementHeld signal, "could not check" at the handover
};
/** The rotations on the worker process that is killed; the others run on an in-process worker. */
const ON_KILLED_WORKER: ReadonlySet<ScenarioName> = new Set(['killedAfter']);

function membersOf(s: Scenario): Member[] {
  return ['A', 'B', 'C', 'D'].map((letter) => ({ id: `U0${s.tag}${letter}`, name: `${s.tag} ${letter}` }));
}
const member = (s: Scenario, letter: 'A' | 'B' | 'C' | 'D'): Member => membersOf(s)[letter.charCodeAt(0) - 65]!;
const channelOf = (s: Scenario) => ({ id: `C0${s.tag}CHAN`, name: `ack-${s.tag.toLowerCase()}` });
const groupOf = (s: Scenario) => `${s.role}-members`;

/** A weekly handover `hours` (simulated) from `nowMs`, on the minute, its notice an hour after `nowMs`. */
function timing(nowMs: number, s: Scenario) {
  const handover = DateTime.fromMillis(nowMs + s.handoverHours * HOUR_MS, { zone: 'UTC' })
    .startOf('minute')
    .plus({ minutes: 1 });
  return {
    handoverWeekday: weekdayOf(handover.toMillis()),
    handoverTime: handover.toFormat('HH:mm'),
    timeZone: 'UTC',
    prepareLeadHours: s.handoverHours - 1,
    ackWithinHours: s.ackWithinHours,
    escalateAfterHours: s.escalateAfterHours,
  };
}

/** Every role of the run, as the TEAM_ROLES_CONFIG file both workers read. */
function runSettings(nowMs: number): SettingsOverlay {
  const shipped = DEFAULT_SETTINGS.roles[KILLED_ROLE] as Extract<RoleConfigInput, { cadence: 'weekly' }>;
  const roles: Record<string, Partial<RoleConfigInput>> = {
    [KILLED_ROLE]: { ...timing(nowMs, KILLED), slack: { channel: ACK_CHANNEL.id } },
  };
  for (const s of Object.values(SCENARIOS)) {
    roles[s.role] = {
      ...shipped,
      title: `Ack ${s.tag}`,
      legacyTitles: [],
      usergroup: groupOf(s),
      standup: { ...shipped.standup, name: `Ack${s.tag}` },
      ...timing(nowMs, s),
      slack: { channel: channelOf(s).id },
    };
  }
  return { standupManager: DEMO_MANAGER, timeScale: SCALE, roles };
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the fakes' request logs
// ---------------------------------------------------------------------------------------------------------------

type Request = Pick<FakeRequest, 'path' | 'body'> & { query: FakeRequest['query'] | Record<string, unknown> };

function param(request: Request, name: string): unknown {
  const body = request.body && typeof request.body === 'object' ? (request.body as Record<string, unknown>) : {};
  const query = request.query instanceof URLSearchParams ? Object.fromEntries(request.query) : request.query;
  return body[name] ?? query[name];
}

/** The Slack method of a request to the fake (`/api/chat.postMessage` → `chat.postMessage`). */
const slackMethod = (request: Request): string => request.path.replace(/^\/api\//, '');

/** A chat.postMessage of `role`'s message of this kind (by the key in its metadata): `ack-reminder`, `notice-channel`... */
function isPost(request: Request, role: string, kind: string): boolean {
  if (slackMethod(request) !== 'chat.postMessage') return false;
  const metadata = param(request, 'metadata');
  try {
    const parsed = (typeof metadata === 'string' ? JSON.parse(metadata) : metadata) as {
      event_payload?: { message_kind?: string; handover_key?: string };
    };
    return (
      parsed?.event_payload?.message_kind === kind && Boolean(parsed.event_payload.handover_key?.startsWith(`${role}@`))
    );
  } catch {
    return false;
  }
}

/** The watch's read of the member's DM (a check: from the notice on, inclusive), not a search by key. */
function isDmCheck(request: Request, dm: string): boolean {
  const inclusive = param(request, 'inclusive');
  return (
    slackMethod(request) === 'conversations.history' &&
    param(request, 'channel') === dm &&
    (inclusive === true || inclusive === 'true')
  );
}

function isGeekbotReports(request: Request, memberId: string): boolean {
  return /^\/v1\/reports\/?$/.test(request.path) && param(request, 'user_id') === memberId;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/** The fakes' scripts, grown by the scenarios as they go (see `ScriptedFault.holdUntil`). */
function scriptOf(fake: Sandbox['slack'] | Sandbox['geekbot']): ScriptedFault[] {
  const script = fake.faults.script;
  if (!script) throw new Error('the sandbox was started without a fault script');
  return script;
}

/** Waits for a call that a scripted fault holds. */
function heldCall(fake: Sandbox['slack'] | Sandbox['geekbot'], what: string, matches: (r: RecordedRequest) => boolean) {
  return waitFor(what, () => fake.requests.find((r) => r.held === true && matches(r)), {
    timeoutMs: 60_000,
    intervalMs: 5,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the rotation
// ---------------------------------------------------------------------------------------------------------------

function pendingFor(handle: WorkflowHandle, who: Member): Promise<RoleStateView> {
  return waitFor(
    `${who.name}'s acknowledgement pending`,
    async () => {
      const view = await handle.query(stateQuery);
      const ack = view.acknowledgement;
      return ack?.member.id === who.id && ack.status === 'pending' && view;
    },
    { timeoutMs: 30_000, intervalMs: 20 },
  );
}

/** The turn `who` took up at the handover, once its acknowledgement is recorded (and `settled` holds for it). */
function turnOf(
  handle: WorkflowHandle,
  who: Member,
  settled: (ack: TurnAcknowledgement) => boolean = () => true,
): Promise<{ turn: Turn; view: RoleStateView }> {
  return waitFor(
    `${who.name}'s turn in the history`,
    async () => {
      const view = await handle.query(stateQuery);
      const turn = view.history.find((t) => t.member.id === who.id && t.acknowledgement);
      return turn?.acknowledgement && settled(turn.acknowledgement) && { turn, view };
    },
    { timeoutMs: 90_000, intervalMs: 100 },
  );
}

/** The first watch's input, from the history: the rotation's clock anchor is in it. */
async function firstWatch(handle: WorkflowHandle): Promise<WatchAcknowledgementInput> {
  return waitFor(
    'the first acknowledgement watch',
    async () => {
      const { events } = await handle.fetchHistory();
      const scheduled = (events ?? [])
        .map((e) => e.activityTaskScheduledEventAttributes)
        .find((a) => a?.activityType?.name === 'watchAcknowledgement');
      const payload = scheduled?.input?.payloads?.[0];
      return payload ? defaultPayloadConverter.fromPayload<WatchAcknowledgementInput>(payload) : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 20 },
  );
}

function anchorOf(watch: WatchAcknowledgementInput): ClockAnchor {
  if (!watch.clock) throw new Error('the rotation runs on the real clock: expected the fast one');
  return watch.clock;
}

/** The notice DM to `who` in the fake Slack. */
function noticeDm(sandbox: Sandbox, who: Member): { channel: string; message: FakeSlackMessage } {
  const dm = sandbox.slack.dmWith(who.id);
  const message = dm?.messages.find(
    (m) =>
      m.metadata?.event_payload?.message_kind === 'notice-incoming' && m.metadata.event_payload.recipient === who.id,
  );
  if (!dm || !message) throw new Error(`no notice DM to ${who.name}`);
  return { channel: dm.id, message };
}

const count = (sandbox: Sandbox, kind: AckKind, who: Member) => ackMessages(sandbox, kind, { memberId: who.id }).length;

// ---------------------------------------------------------------------------------------------------------------
// The calls a turn cost, from the fakes' request logs
// ---------------------------------------------------------------------------------------------------------------

interface TurnCalls {
  checks: number;
  slack: Record<string, number>;
  geekbot: number;
}

/**
 * The calls made for `who`'s acknowledgement from its notice to the handover: Slack calls on their DM and the
 * role's channel (a check reads the DM and the channel post; a message is a search by key and a post), Geekbot report
 * reads for them. A check is one `reactions.get` on the channel post.
 */
function turnCalls(sandbox: Sandbox, s: Scenario, who: Member, from: number, to: number): TurnCalls {
  const dm = sandbox.slack.dmWith(who.id)?.id;
  const channels = new Set([dm, channelOf(s).id]);
  const slack: Record<string, number> = {};
  for (const r of sandbox.slack.requests) {
    if (r.startedAt <= from || r.startedAt >= to || !channels.has(param(r, 'channel') as string)) continue;
    const method = slackMethod(r);
    const name =
      method === 'conversations.history'
        ? `conversations.history (${dm && isDmCheck(r, dm) ? 'check' : 'by key'})`
        : method;
    slack[name] = (slack[name] ?? 0) + 1;
  }
  const geekbot = sandbox.geekbot.requests.filter(
    (r) => r.startedAt > from && r.startedAt < to && isGeekbotReports(r, who.id),
  ).length;
  return { checks: slack['reactions.get'] ?? 0, slack, geekbot };
}

// ---------------------------------------------------------------------------------------------------------------

interface Outcome {
  turn: Turn;
  view: RoleStateView;
  notes: string[];
}

type Name = ScenarioName | 'killed';

describe('fault: the handover acknowledgement under kills, races and failing services (dev server, fast clock)', function () {
  this.timeout(180_000);
  let server: TestWorkflowEnvironment | undefined;
  let sandbox: Sandbox;
  let killable: WorkerProcess | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  const outcomes = new Map<Name, Promise<Outcome>>();
  const handles = new Map<Name, WorkflowHandle>();
  const histories = new Map<Name, RunHistory[]>();
  let started = Date.now();
  const at = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

  before(async function () {
    this.timeout(120_000);
    started = Date.now();
    captureRuntimeLogs();
    const dir = tempDir('ack-faults');
    server = await startServer('the dev server', () => startDevServer({ resolve: { sdkDownload: false } }));
    const groups: Record<string, Member[]> = { 'support-triagers': DEMO_TEAM, 'meeting-facilitators': DEMO_TEAM };
    for (const s of Object.values(SCENARIOS)) groups[groupOf(s)] = membersOf(s);
    sandbox = await startSandbox({
      groups,
      standupManager: DEMO_MANAGER,
      channels: [ACK_CHANNEL, ...Object.values(SCENARIOS).map(channelOf)],
      faults: { slack: { script: [] }, geekbot: { script: [] } },
    });
    rememberSecrets(sandbox);
    const overlay = runSettings(rotationNow());
    const config = dir.file('team-roles.json', JSON.stringify(overlay));

    // The worker that is killed: the real entry point, as a process, on the contract's task queue.
    killable = await sandboxWorker('ack kill', server, sandbox, { config, secretsDir: dir.dir });
    // The others: the same activities and clients in this process, on a queue of their own.
    const taskQueue = `ack-faults-${randomUUID()}`;
    const env = server;
    const deps = await testActivityDeps(sandbox, testSettings(overlay));
    worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createActivities({ ...deps, temporalClient: () => env.client }),
    });
    running = worker.run();
    await killable.start();

    const start = async (name: Name, s: Scenario, seed: { incoming: string; current: string }) => {
      const queue = name === 'killed' || ON_KILLED_WORKER.has(name) ? TASK_QUEUE : taskQueue;
      const handle = await env.client.workflow.start<typeof roleWorkflow>('roleWorkflow', {
        workflowId: roleWorkflowId(s.role),
        taskQueue: queue,
        args: [{ role: s.role, seed }],
      });
      handles.set(name, handle);
    };
    await start('killed', KILLED, { incoming: 'Ben', current: 'Ava' });
    for (const [name, s] of Object.entries(SCENARIOS) as Array<[ScenarioName, Scenario]>) {
      await start(name, s, { incoming: member(s, 'B').name, current: member(s, 'A').name });
    }
    const drive = (name: Name, run: (handle: WorkflowHandle) => Promise<Outcome>) => {
      const outcome = run(handles.get(name)!);
      outcome.catch(() => undefined); // awaited, and reported, by its own test
      outcomes.set(name, outcome);
    };
    drive('killed', killedScenario);
    drive('killedAfter', (handle) =>
      outcomes.get('killed')!.then(async () => ({
        ...(await turnOf(handle, member(SCENARIOS.killedAfter, 'C'))),
        notes: [],
      })),
    );
    drive('answerFirst', answerFirst);
    drive('reminderFirst', (handle) => answerAfterReminder(handle, SCENARIOS.reminderFirst));
    drive('twoChannels', twoChannels);
    drive('reactionAndUpdate', reactionAndUpdate);
    drive('sourcesDown', sourcesDown);
    drive('override', override);
    drive('silent', (handle) => neverAnswered(handle, SCENARIOS.silent));
  });

  after(async () => {
    await killable?.kill();
    worker?.shutdown();
    await running;
    await sandbox?.close();
    await server?.teardown();
  });

  // -------------------------------------------------------------------------------------------------------------
  // The drivers: each plays its members' part and returns the turn once the handover has recorded it.
  // -------------------------------------------------------------------------------------------------------------

  /**
   * Two kills, each just before one rotation's post and right after the other's: `support-triager`'s reminder (then
   * escalation) post is held by the fake Slack until the worker is dead and then dropped unstored, while
   * `ack-killed-after`'s is let through; the worker dies the moment Slack has answered that one.
   */
  async function killedScenario(handle: WorkflowHandle): Promise<Outcome> {
    const notes: string[] = [];
    const after = SCENARIOS.killedAfter.role;
    const gates = {
      'ack-reminder': { dead: deferred(), beforeHeld: deferred() },
      'ack-escalation': { dead: deferred(), beforeHeld: deferred() },
    };
    for (const kind of ['ack-reminder', 'ack-escalation'] as const) {
      scriptOf(sandbox.slack).push(
        { match: (r) => isPost(r, KILLED_ROLE, kind), kind: 'drop', holdUntil: gates[kind].dead.promise },
        { match: (r) => isPost(r, after, kind), kind: 'none', holdUntil: gates[kind].beforeHeld.promise },
      );
    }
    const answered = (role: string, kind: AckKind) =>
      sandbox.slack.requests.some((r) => isPost(r, role, kind) && r.endedAt !== undefined && r.status === 200);
    for (const kind of ['ack-reminder', 'ack-escalation'] as const) {
      await heldCall(sandbox.slack, `${KILLED_ROLE}'s ${kind} on its way`, (r) => isPost(r, KILLED_ROLE, kind));
      await heldCall(sandbox.slack, `${after}'s ${kind} on its way`, (r) => isPost(r, after, kind));
      gates[kind].beforeHeld.resolve();
      await waitFor(`Slack answering ${after}'s ${kind}`, () => answered(after, kind), {
        timeoutMs: 10_000,
        intervalMs: 2,
      });
      await killable!.kill();
      gates[kind].dead.resolve();
      notes.push(`at the ${kind} (${at()})`);
      await killable!.start();
    }
    return { ...(await turnOf(handle, byName('Chloe'))), notes };
  }

  /** The member answers in the DM while the check at the deadline (the one that would remind) is reading it. */
  async function answerFirst(handle: WorkflowHandle): Promise<Outcome> {
    const named = member(SCENARIOS.answerFirst, 'C');
    const view = await pendingFor(handle, named);
    const anchor = anchorOf(await firstWatch(handle));
    const deadlineReal = realInstant(anchor, Date.parse(view.acknowledgement!.deadline!));
    const { channel } = noticeDm(sandbox, named);
    const answered = deferred();
    // The check woken at the deadline reads from it on (one that came a hair before it would be held instead).
    scriptOf(sandbox.slack).push({
      match: (r) => isDmCheck(r, channel) && Date.now() >= deadlineReal - 5,
      kind: 'none',
      holdUntil: answered.promise,
    });
    const held = await heldCall(sandbox.slack, 'the check at the deadline', (r) => isDmCheck(r, channel));
    sandbox.slack.postAsUser(channel, named.id, 'ok, got it');
    answered.resolve();
    const notes = [`the check at the deadline read ${(held.startedAt - deadlineReal).toFixed(0)} ms after it`];
    return { ...(await turnOf(handle, named)), notes };
  }

  /** The member reacts on the reminder the moment Slack has stored it. */
  async function answerAfterReminder(handle: WorkflowHandle, s: Scenario): Promise<Outcome> {
    const named = member(s, 'C');
    await pendingFor(handle, named);
    const reminder = await waitFor(
      'the reminder',
      () => ackMessages(sandbox, 'ack-reminder', { memberId: named.id })[0],
      { timeoutMs: 30_000, intervalMs: 2 },
    );
    sandbox.slack.addReaction(sandbox.slack.dmWith(named.id)!.id, reminder.ts, 'white_check_mark', named.id);
    return { ...(await turnOf(handle, named)), notes: [] };
  }

  /** A reaction on the notice DM and a Geekbot report in the same instant. */
  async function twoChannels(handle: WorkflowHandle): Promise<Outcome> {
    const named = member(SCENARIOS.twoChannels, 'C');
    const view = await pendingFor(handle, named);
    const anchor = anchorOf(await firstWatch(handle));
    const { channel, message } = noticeDm(sandbox, named);
    const report = sandbox.geekbot.answerAs(named.id, view.standupId!, 'ok');
    sandbox.slack.addReaction(channel, message.ts, 'white_check_mark', named.id);
    // Geekbot's time (whole seconds; an answer is never before the notice) is before any check could see the reaction.
    const reportAt = Math.max(clockNow(anchor, report.timestamp * 1000), Date.parse(view.acknowledgement!.noticeAt));
    return { ...(await turnOf(handle, named)), notes: [new Date(reportAt).toISOString()] };
  }

  /**
   * A reaction on the notice DM; the check that saw it is held at its last read (Geekbot) while the member's
   * `acknowledge` update goes through; then the check finishes. The reaction, seen first, is the earlier answer.
   */
  async function reactionAndUpdate(handle: WorkflowHandle): Promise<Outcome> {
    const named = member(SCENARIOS.reactionAndUpdate, 'C');
    await pendingFor(handle, named);
    const { channel, message } = noticeDm(sandbox, named);
    const updated = deferred();
    const reactedAt = Date.now();
    const sawReaction = () =>
      sandbox.slack.requests.some((r) => isDmCheck(r, channel) && r.startedAt >= reactedAt && r.endedAt !== undefined);
    scriptOf(sandbox.geekbot).push({
      match: (r) => isGeekbotReports(r, named.id) && sawReaction(),
      kind: 'none',
      holdUntil: updated.promise,
    });
    sandbox.slack.addReaction(channel, message.ts, 'white_check_mark', named.id);
    await heldCall(sandbox.geekbot, 'the check that saw the reaction', (r) => isGeekbotReports(r, named.id));
    const byUpdate = await handle.executeUpdate(acknowledgeUpdate, { args: [{ member: named.id }] });
    updated.resolve();
    const notes = [`${byUpdate.acknowledgement?.via} at ${byUpdate.acknowledgement?.at}`];
    return { ...(await turnOf(handle, named, (t) => t.via !== 'member')), notes };
  }

  /** From the notice to the handover every read for the member fails: 429 + Retry-After, 500, drops, one hang. */
  async function sourcesDown(handle: WorkflowHandle): Promise<Outcome> {
    const s = SCENARIOS.sourcesDown;
    const named = member(s, 'C');
    await pendingFor(handle, named);
    const channels = new Set([sandbox.slack.dmWith(named.id)!.id, channelOf(s).id]);
    const reads = new Set(['conversations.history', 'conversations.replies', 'reactions.get']);
    let down = true;
    /** Fails every call `target` picks in turn with a 429 (Retry-After 1 s), a 500, a drop; the sixth hangs 12 s. */
    const failing = (target: (r: FakeRequest) => boolean, hang: boolean): ScriptedFault => {
      let calls = 0;
      const entry: ScriptedFault = {
        match: (r) => {
          if (!down || !target(r)) return false;
          calls += 1;
          const hangs = hang && calls === 6; // past the watch's heartbeat timeout (10 s): Temporal retries it
          Object.assign(entry, {
            kind: hangs ? 'drop' : (['rateLimit', 'serverError', 'drop'] as const)[calls % 3],
            latencyMs: hangs ? 12_000 : 0,
          });
          return true;
        },
        kind: 'none',
        retryAfterSeconds: 1,
        times: Number.MAX_SAFE_INTEGER,
      };
      return entry;
    };
    scriptOf(sandbox.slack).push(
      failing((r) => reads.has(slackMethod(r)) && channels.has(param(r, 'channel') as string), true),
    );
    scriptOf(sandbox.geekbot).push(failing((r) => isGeekbotReports(r, named.id), false));
    const failedFrom = Date.now();
    // Past the reminder's time, a failed check holds it back and the state says why (a check may hang meanwhile).
    const meanwhile = await waitFor(
      'the state showing the reminder held back',
      async () => {
        const view = await handle.query(stateQuery);
        return Boolean(view.acknowledgement?.couldNotCheck) && view;
      },
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    const outcome = await turnOf(handle, named, (t) => t.couldNotCheck);
    down = false;
    const failed = [...sandbox.slack.requests, ...sandbox.geekbot.requests].filter(
      (r) => r.startedAt >= failedFrom && r.fault !== undefined,
    ).length;
    const held = meanwhile.acknowledgement!;
    return {
      ...outcome,
      view: meanwhile,
      notes: [`${failed} failed reads`, held.status, held.deadline!, JSON.stringify(held.couldNotCheck ?? null)],
    };
  }

  /** During C's window an operator makes C serve now: the notice names D instead, who never answers. */
  async function override(handle: WorkflowHandle): Promise<Outcome> {
    const s = SCENARIOS.override;
    const [first, second] = [member(s, 'C'), member(s, 'D')];
    await pendingFor(handle, first);
    await new Promise((resolve) => setTimeout(resolve, 2 * (HOUR_MS / SCALE))); // two simulated hours of C's eight
    await handle.executeUpdate(overrideUpdate, { args: [{ incoming: first.id }] });
    await pendingFor(handle, second);
    return { ...(await turnOf(handle, second)), notes: [] };
  }

  async function neverAnswered(handle: WorkflowHandle, s: Scenario): Promise<Outcome> {
    return { ...(await turnOf(handle, member(s, 'C'))), notes: [] };
  }

  // -------------------------------------------------------------------------------------------------------------

  /** The scenario's outcome; its rotation's histories, with no workflow task failure. */
  async function outcomeOf(name: Name): Promise<Outcome> {
    const outcome = await outcomes.get(name)!;
    const runs = await collectHistories(server!.client, handles.get(name)!.workflowId, `ack ${name}`);
    histories.set(name, runs);
    const recorded = RECORDED[name as ScenarioName];
    if (recorded) saveHistory(recorded, { events: runs.flatMap((run) => run.events) });
    const killed = name === 'killed' || ON_KILLED_WORKER.has(name);
    // The in-process rotations take updates and signals mid-task: the server's refusals there are its protocol.
    const allow = killed ? [KILLED_WORKERS_TASK] : [SERVER_REFUSALS];
    assert.deepEqual(workflowTaskFailures(runs, { allow }), [], `${name}: workflow task failures`);
    return outcome;
  }

  const how = (turn: Turn) => {
    const { at: _at, ...rest } = turn.acknowledgement ?? ({} as TurnAcknowledgement);
    return rest;
  };
  const NOT_ANSWERED = { acknowledged: false, via: null, couldNotCheck: false };
  const ANSWERED = { acknowledged: true, reminded: false, escalated: false, couldNotCheck: false };

  it('the worker killed just before and right after the reminder and the escalation: one of each, in the turn', async () => {
    const killedBefore = await outcomeOf('killed');
    const killedAfter = await outcomeOf('killedAfter');
    const notes = killedBefore.notes.join(', ');
    for (const [{ turn }, who] of [
      [killedBefore, byName('Chloe')],
      [killedAfter, member(SCENARIOS.killedAfter, 'C')],
    ] as const) {
      assert.deepEqual(how(turn), { ...NOT_ANSWERED, reminded: true, escalated: true }, `${who.name} (kills ${notes})`);
      assert.equal(count(sandbox, 'ack-reminder', who), 1, `${who.name}: one reminder`);
      assert.equal(count(sandbox, 'ack-escalation', who), 1, `${who.name}: one escalation post`);
    }
    assert.equal(killable!.kills, 2);
    const retried: string[] = [];
    for (const kind of ['ack-reminder', 'ack-escalation'] as const) {
      const posts = sandbox.slack.requests.filter((r) => isPost(r, KILLED_ROLE, kind));
      assert.deepEqual(
        posts.map((r) => r.fault ?? r.status),
        ['drop', 200],
        `${kind}: the post on the wire at the kill never stored, the retry's stored`,
      );
      retried.push(`${(((posts[1]?.endedAt ?? 0) - started) / 1000).toFixed(1)} s`);
    }
    console.log(`      killed ${notes}; the retries posted at ${retried.join(', ')}; both turns at ${at()}`);
  });

  it('the answer as the deadline comes, answer first: acknowledged, no reminder', async () => {
    const { turn, notes } = await outcomeOf('answerFirst');
    const named = member(SCENARIOS.answerFirst, 'C');
    assert.deepEqual(how(turn), { ...ANSWERED, via: 'slack-reply' });
    assert.equal(count(sandbox, 'ack-reminder', named), 0);
    assert.equal(count(sandbox, 'ack-escalation', named), 0);
    console.log(`      ${notes.join('; ')}`);
  });

  it('the answer as the deadline comes, reminder first: acknowledged after one reminder, no escalation', async () => {
    const { turn } = await outcomeOf('reminderFirst');
    const named = member(SCENARIOS.reminderFirst, 'C');
    assert.deepEqual(how(turn), { ...ANSWERED, via: 'slack-reaction', reminded: true });
    assert.equal(count(sandbox, 'ack-reminder', named), 1);
    assert.equal(count(sandbox, 'ack-escalation', named), 0);
  });

  it('two channels at once (a reaction and a Geekbot report): one record, via the earlier, no reminder', async () => {
    const { turn, notes } = await outcomeOf('twoChannels');
    assert.deepEqual(how(turn), { ...ANSWERED, via: 'geekbot' });
    assert.equal(turn.acknowledgement?.at, notes[0], "at the report's time");
    assert.equal(count(sandbox, 'ack-reminder', member(SCENARIOS.twoChannels, 'C')), 0);
  });

  it('a reaction and the acknowledge update at once: one record, via the earlier (the reaction), no reminder', async () => {
    const { turn, view, notes } = await outcomeOf('reactionAndUpdate');
    assert.match(notes[0]!, /^member at /, 'the update answered first as far as the rotation knew');
    assert.equal(view.acknowledgement?.status, 'acknowledged');
    assert.deepEqual(how(turn), { ...ANSWERED, via: 'slack-reaction' });
    assert.ok(turn.acknowledgement!.at! < notes[0]!.slice('member at '.length), 'earlier than the update');
    assert.equal(count(sandbox, 'ack-reminder', member(SCENARIOS.reactionAndUpdate, 'C')), 0);
  });

  it('Slack and Geekbot failing for the whole window: nothing sent, "could not check" shown, the handover goes on', async () => {
    const { turn, view, notes } = await outcomeOf('sourcesDown');
    const [failed, status, deadline, held] = notes;
    const named = member(SCENARIOS.sourcesDown, 'C');
    // While it lasted (past the escalation's time): still pending, held since the deadline, a warning saying why.
    const couldNotCheck = JSON.parse(held!) as { since: string; problem: string } | null;
    assert.equal(status, 'pending');
    assert.ok(couldNotCheck && couldNotCheck.since > deadline!, `held since after the deadline: ${held}`);
    assert.match(couldNotCheck.problem, /Slack \(the notice DM\)|Slack \(the channel post\)|Geekbot/);
    assert.ok(
      view.warnings.some((w) => w.includes(`could not check whether ${named.name} acknowledged`)),
      `a warning says so: ${JSON.stringify(view.warnings)}`,
    );
    // At the handover: the turn records it; nothing went out.
    assert.deepEqual(how(turn), { ...NOT_ANSWERED, couldNotCheck: true, reminded: false, escalated: false });
    assert.equal(count(sandbox, 'ack-reminder', named), 0);
    assert.equal(count(sandbox, 'ack-escalation', named), 0);
    console.log(`      ${failed}; held: ${couldNotCheck.problem}`);
  });

  it('an override during the window: the record moves to the newly named member, the old one hears nothing more', async () => {
    const { turn } = await outcomeOf('override');
    const s = SCENARIOS.override;
    // C's watch was stopped at the override, before D's notice started D's own.
    const events = histories.get('override')!.flatMap((run) => run.events);
    const watches = events.flatMap((e, i) =>
      e.activityTaskScheduledEventAttributes?.activityType?.name === 'watchAcknowledgement' ? [i] : [],
    );
    const stopped = events.flatMap((e, i) => (e.activityTaskCancelRequestedEventAttributes ? [i] : []));
    assert.equal(watches.length, 2, 'a watch for C, then one for D');
    assert.deepEqual(stopped.length, 1, "C's watch stopped");
    assert.ok(watches[0]! < stopped[0]! && stopped[0]! < watches[1]!, "stopped before D's watch started");
    assert.deepEqual(how(turn), { ...NOT_ANSWERED, reminded: true, escalated: true });
    assert.equal(count(sandbox, 'ack-reminder', member(s, 'C')), 0, 'no reminder to the member no longer named');
    assert.equal(count(sandbox, 'ack-escalation', member(s, 'C')), 0);
    assert.equal(count(sandbox, 'ack-reminder', member(s, 'D')), 1);
    assert.equal(count(sandbox, 'ack-escalation', member(s, 'D')), 1);
  });

  it('never answered: one reminder, one escalation; the calls and history events per handover', async () => {
    const { turn } = await outcomeOf('silent');
    const named = member(SCENARIOS.silent, 'C');
    assert.deepEqual(how(turn), { ...NOT_ANSWERED, reminded: true, escalated: true });
    assert.equal(count(sandbox, 'ack-reminder', named), 1);
    assert.equal(count(sandbox, 'ack-escalation', named), 1);
    console.log(`      ${await costs()}`);
  });

  /**
   * What a turn answered at once, one answered after the reminder and one never answered cost: the calls from the
   * fakes' logs (from the notice's posts to the handover), and the history events from its notice on. Measured with a
   * check every real second (84 simulated minutes on this clock); projected to the default check every 5 minutes
   * with the default deadlines (24 h, then 12 h) by the checks that interval makes, at the measured calls per check.
   */
  async function costs(): Promise<string> {
    const POLL_MS = 5 * 60_000;
    const cases = [
      { name: 'twoChannels', label: 'at once', defaultChecks: null },
      { name: 'reminderFirst', label: 'after the reminder', defaultChecks: (24 * HOUR_MS) / POLL_MS + 3 },
      { name: 'silent', label: 'never', defaultChecks: (36 * HOUR_MS) / POLL_MS + 3 },
    ] as const;
    const parts: string[] = [];
    for (const c of cases) {
      const s = SCENARIOS[c.name];
      const handle = handles.get(c.name)!;
      const named = member(s, 'C');
      const anchor = anchorOf(await firstWatch(handle));
      const { acknowledgement } = await handle.query(stateQuery);
      const from = Math.max(
        ...sandbox.slack.requests
          .filter((r) => isPost(r, s.role, 'notice-incoming') || isPost(r, s.role, 'notice-channel'))
          .map((r) => r.endedAt ?? 0),
      );
      const calls = turnCalls(sandbox, s, named, from, realInstant(anchor, Date.parse(acknowledgement!.handoverAt)));
      const slackTotal = Object.values(calls.slack).reduce((a, b) => a + b, 0);
      const perCheck = (calls.slack['reactions.get']! + calls.slack['conversations.history (check)']!) / calls.checks;
      const checks = c.defaultChecks ?? calls.checks;
      const projectedSlack = Math.round(slackTotal + (checks - calls.checks) * perCheck);
      const projectedGeekbot = Math.round(calls.geekbot + (checks - calls.checks) * (calls.geekbot / calls.checks));
      const [cost] = costPerHandover(histories.get(c.name) ?? []);
      parts.push(
        `${c.label}: ${calls.checks} checks, Slack ${slackTotal} ${JSON.stringify(calls.slack)}, Geekbot ${calls.geekbot}` +
          ` (at 5-minute checks: ${checks} checks, Slack ${projectedSlack}, Geekbot ${projectedGeekbot});` +
          ` history events ${cost?.events} (the acknowledgement's ${cost?.acknowledgement})`,
      );
    }
    return `calls and history events per handover, acknowledgements on: ${parts.join(' | ')}`;
  }
});
