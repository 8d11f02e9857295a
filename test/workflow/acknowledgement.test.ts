/**
 * The handover acknowledgement wired into the role workflow, on the dev server: the notice opens a record for the
 * member it names, one watch activity reads the answers beside the main loop, the reminder reaches the workflow as a
 * signal, the escalation comes back as the watch's result, the turn's history and the `HandoverAcknowledged`
 * search attribute show how it went. A simulated week takes 10 s, so four handovers take under a minute; what each
 * costs in history events is measured here (BENCHMARKS.md).
 */
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { AckStatus, TurnAcknowledgement } from '../../src/domain/acknowledgement';
import { handoverKey } from '../../src/domain/schedule';
import { startDevServer } from '../../src/servers/environments';
import {
  acknowledgeUpdate,
  HandoverAcknowledgedAttribute,
  pauseUpdate,
  skipUpdate,
  resumeUpdate,
  stateQuery,
  type RoleStateView,
} from '../../src/shared';
import type { roleWorkflow } from '../../src/workflows';
import {
  ACK_CHANNEL,
  ackMessages,
  ackRole,
  postNotice,
  byName,
  costPerHandover,
  roleBed,
  runHistories,
  saveHistory,
  SERVER_REFUSALS,
  startServer,
  waitFor,
  weekTakes,
  workflowTaskFailures,
  type RoleBed,
} from '../support';

const ROLE = 'support-triager';
const SCALE = weekTakes(10_000);

/** How each member named in turn answers (Ben is incoming and Ava current at the start: Chloe comes next). */
const ANSWERS = {
  Chloe: 'at once (Geekbot)',
  Dan: 'never',
  Ella: 'after the reminder (Geekbot)',
  Finn: 'at once (team-roles ack)',
} as const;
type Named = keyof typeof ANSWERS;

describe('role workflow: the handover acknowledgement on a fast clock (dev server)', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let bed: RoleBed;
  let worker: Worker;
  let running: Promise<void>;

  before(async () => {
    env = await startServer('the dev server', () => startDevServer({ resolve: { sdkDownload: false } }));
  });
  // A bed per test: its own fake Slack, so one rotation never finds the other's messages by their keys.
  beforeEach(async () => {
    bed = await roleBed(env, {
      settings: { timeScale: SCALE, roles: { [ROLE]: ackRole() } },
      channels: [ACK_CHANNEL],
      acknowledgements: true,
    });
    worker = await bed.worker();
    running = worker.run();
  });
  afterEach(async () => {
    worker.shutdown();
    await running;
    await bed.close();
  });
  after(async () => {
    await env?.teardown();
  });

  /** Answers as `ANSWERS` says, once per notice; notes what the state and the search attribute showed meanwhile. */
  async function answerAsPlanned(handle: WorkflowHandle) {
    const answered = new Set<string>();
    const seen: Array<{ member: string; status: AckStatus; attribute: unknown }> = [];
    let polls = 0;
    const state = await waitFor(
      'four handovers',
      async (): Promise<RoleStateView | false> => {
        const view = await handle.query(stateQuery);
        const ack = view.acknowledgement;
        if (ack) {
          if (polls++ % 3 === 0) {
            const attributes = (await handle.describe()).typedSearchAttributes;
            seen.push({
              member: ack.member.name,
              status: ack.status,
              attribute: attributes.get(HandoverAcknowledgedAttribute),
            });
          }
          const how = ANSWERS[ack.member.name as Named];
          const due =
            how === 'at once (Geekbot)' || how === 'at once (team-roles ack)'
              ? ack.status === 'pending'
              : how === 'after the reminder (Geekbot)' && ack.status === 'reminded';
          if (how && due && !answered.has(ack.handoverKey)) {
            answered.add(ack.handoverKey);
            if (how === 'at once (team-roles ack)') {
              await handle.executeUpdate(acknowledgeUpdate, { args: [{ member: ack.member.name }] });
            } else {
              bed.sandbox.geekbot.answerAs(ack.member.id, view.standupId!, 'ok, on it');
            }
          }
        }
        return view.history.length >= 4 && view;
      },
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    return { state, seen };
  }

  it('answered at once, after the reminder, never, by update: one reminder and one escalation where due, the history says how', async () => {
    const handle = await env.client.workflow.start<typeof roleWorkflow>('roleWorkflow', {
      workflowId: bed.workflowId,
      taskQueue: bed.taskQueue,
      args: [{ role: ROLE, seed: { incoming: 'Ben', current: 'Ava' } }],
    });
    const { state, seen } = await answerAsPlanned(handle);
    const turns = state.history.slice(0, 4);
    assert.deepEqual(
      turns.map((turn) => turn.member.name),
      Object.keys(ANSWERS),
    );
    const expected: Record<Named, Omit<TurnAcknowledgement, 'at'>> = {
      Chloe: { acknowledged: true, via: 'geekbot', reminded: false, escalated: false, couldNotCheck: false },
      Dan: { acknowledged: false, via: null, reminded: true, escalated: true, couldNotCheck: false },
      Ella: { acknowledged: true, via: 'geekbot', reminded: true, escalated: false, couldNotCheck: false },
      Finn: { acknowledged: true, via: 'member', reminded: false, escalated: false, couldNotCheck: false },
    };
    for (const turn of turns) {
      const { at, ...how } = turn.acknowledgement ?? ({} as TurnAcknowledgement);
      assert.deepEqual(how, expected[turn.member.name as Named], `${turn.member.name}'s turn`);
      assert.equal(at === null, !how.acknowledged);
    }

    // Exactly one reminder and one escalation where they were due, none after an answer.
    for (const name of Object.keys(ANSWERS) as Named[]) {
      const member = byName(name);
      const reminders = ackMessages(bed.sandbox, 'ack-reminder', { memberId: member.id });
      const escalations = ackMessages(bed.sandbox, 'ack-escalation', { memberId: member.id });
      const turn = expected[name];
      assert.equal(reminders.length, turn.reminded ? 1 : 0, `${name}: reminders`);
      assert.equal(escalations.length, turn.escalated ? 1 : 0, `${name}: escalations`);
    }
    const [escalation] = ackMessages(bed.sandbox, 'ack-escalation');
    assert.match(escalation!.text, /^<@U0DAN00004> has not confirmed taking over as Support Triager/);
    assert.ok(state.warnings.some((w) => /Dan has not acknowledged the notice; reminded at .*escalated/.test(w)));

    // The search attribute followed: false while waiting, true once answered.
    const dan = seen.filter((s) => s.member === 'Dan');
    assert.ok(dan.length > 0, 'Dan was seen waiting');
    assert.deepEqual(
      dan.filter((s) => s.attribute !== false),
      [],
      'Dan never answered: false all along',
    );
    for (const s of seen) {
      if (s.status === 'acknowledged') assert.notEqual(s.attribute, false, `${s.member} acknowledged`);
    }
    assert.ok(
      seen.some((s) => s.status !== 'acknowledged' && s.attribute === false),
      'false while waiting',
    );
    assert.ok(
      seen.some((s) => s.attribute === true),
      'true once answered',
    );

    const runs = await runHistories(env.client, bed.workflowId);
    assert.deepEqual(workflowTaskFailures(runs, { allow: SERVER_REFUSALS }), []);
    const costs = costPerHandover(runs).slice(0, 4);
    console.log('      history events per handover (notice to notice), all / the acknowledgement’s:');
    for (const [i, cost] of costs.entries()) {
      const name = turns[i]!.member.name as Named;
      console.log(
        `        ${name}, ${ANSWERS[name]}: ${cost.events} / ${cost.acknowledgement}`,
        JSON.stringify(cost.byType),
      );
    }
    saveHistory('support-triager-acknowledgement', { events: runs[0]!.events });
  });
  it('a reaction on the DM, a thread reply on the channel post; skipping the named member starts one for the next; a pause suspends', async () => {
    const workflowId = bed.workflowId;
    const handle = await env.client.workflow.start<typeof roleWorkflow>('roleWorkflow', {
      workflowId,
      taskQueue: bed.taskQueue,
      args: [{ role: ROLE, seed: { incoming: 'Ben', current: 'Ava' } }],
    });
    const done = new Set<string>();
    const once = async (step: string, act: () => Promise<unknown> | void) => {
      if (done.has(step)) return;
      done.add(step);
      await act();
    };
    let notices = 0;
    let lastKey = '';
    let pausedView: RoleStateView | undefined;
    let reactedAt = 0;
    let reactionShown = 0;
    const state = await waitFor(
      'four handovers answered through Slack, a skip and a pause',
      async (): Promise<RoleStateView | false> => {
        const view = await handle.query(stateQuery);
        const ack = view.acknowledgement;
        if (ack && ack.handoverKey !== lastKey) {
          lastKey = ack.handoverKey;
          notices += 1;
        }
        if (ack?.via === 'slack-reaction' && reactedAt && !reactionShown) reactionShown = Date.now() - reactedAt;
        if (ack?.status === 'pending') {
          const name = ack.member.name;
          if (notices === 1) {
            await once('react', async () => {
              const { dm } = await postNotice(bed, ROLE, ack);
              bed.sandbox.slack.addReaction(dm.channel, dm.ts, 'thumbsup', ack.member.id);
              reactedAt = Date.now();
            });
          } else if (notices === 2) {
            await once('reply', async () => {
              const { post } = await postNotice(bed, ROLE, ack);
              bed.sandbox.slack.postAsUser(post.channel, ack.member.id, 'ok', post.ts);
            });
          } else if (notices === 3 && name === 'Ella') {
            await once('skip', () => handle.executeUpdate(skipUpdate, { args: [{ member: 'Ella', next: true }] }));
          } else if (notices === 3 && name === 'Finn') {
            await once('finn', () => handle.executeUpdate(acknowledgeUpdate, { args: [{ member: 'Finn' }] }));
          } else if (notices === 4 && !done.has('pause')) {
            await once('pause', () => handle.executeUpdate(pauseUpdate));
            // Longer than the reminder's delay (1.4 s): paused, nothing is sent.
            await new Promise((resolve) => setTimeout(resolve, 2_000));
            pausedView = await handle.query(stateQuery);
            await handle.executeUpdate(resumeUpdate);
            await handle.executeUpdate(acknowledgeUpdate, { args: [{ member: name }] });
          }
        }
        return view.history.length >= 4 && done.has('pause') && view;
      },
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    const turns = state.history.slice(0, 4);
    assert.deepEqual(
      turns.slice(0, 3).map((turn) => [turn.member.name, turn.acknowledgement?.via]),
      [
        ['Chloe', 'slack-reaction'],
        ['Dan', 'slack-reply'],
        ['Finn', 'member'],
      ],
    );
    console.log(`      a reaction showed in the state after ${reactionShown} ms (a check every second on this clock)`);
    const fourth = turns[3]!;
    assert.equal(fourth.acknowledgement?.via, 'member');
    assert.equal(fourth.acknowledgement?.reminded, false, 'nothing was due while paused');
    assert.equal(pausedView?.acknowledgement?.status, 'pending');
    assert.notEqual(pausedView?.acknowledgement?.pausedAt, null, 'the record is suspended while paused');
    // Ella was named, then skipped: her record was cancelled; nobody was reminded or escalated about.
    for (const kind of ['ack-reminder', 'ack-escalation'] as const) {
      const keys = new Set(turns.map((turn) => handoverKey(ROLE, turn.start)));
      const sent = ackMessages(bed.sandbox, kind).filter((m) =>
        keys.has(String(m.metadata?.event_payload?.handover_key)),
      );
      assert.deepEqual(sent, [], `no ${kind} in these four turns`);
    }
    const runs = await runHistories(env.client, workflowId);
    assert.deepEqual(workflowTaskFailures(runs, { allow: SERVER_REFUSALS }), []);
  });
});
