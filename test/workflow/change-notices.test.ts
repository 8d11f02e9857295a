/**
 * Change notices (issue 16) on the local dev server: an operator's skip, swap or override tells exactly the members
 * whose turn dates moved, once, in one direct message each for changes close together, with before → after; a join
 * (on the sandbox page, as `npm run dev` serves it) moves no turn inside the frozen window; a pause after the notice went out points the standup back at who keeps
 * serving; `quiet` tells nobody. The quiet period is a few seconds here (`coalesceMinutes`), the handover three days
 * ahead (test/support/clock.ts), so nothing but the test's own messages happens while it runs.
 */
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { calendarTurnCount } from '../../src/domain/notice';
import type { Turn } from '../../src/domain/types';
import { startSandboxPage } from '../../src/sandbox/page';
import { tellRotations } from '../../src/sandbox/refresh';
import { DEMO_MANAGER, DEMO_TEAM } from '../../src/sandbox/sandbox';
import { startDevServer } from '../../src/servers/environments';
import {
  handoverNowUpdate,
  overrideUpdate,
  pauseUpdate,
  planQuery,
  refreshMembersUpdate,
  skipUpdate,
  swapUpdate,
  type RoleStateView,
} from '../../src/shared';
import type { roleWorkflow } from '../../src/workflows';
import {
  byName,
  recordHistory,
  roleBed,
  roleTiming,
  runHistories,
  startServer,
  stateOf,
  waitFor,
  workflowTaskFailures,
  type PreparePhase,
  type RoleBed,
} from '../support';

const CHANNEL = 'C0SUPPORT1';
/** Three seconds of quiet close a batch. */
const COALESCE_MINUTES = 0.05;
const QUIET_PERIOD_MS = COALESCE_MINUTES * 60_000;

describe('role workflow: change notices (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let bed: RoleBed;

  before(async () => {
    env = await startServer('the dev server', () => startDevServer({ resolve: { sdkDownload: false } }));
  });
  after(async () => {
    await env?.teardown();
  });
  afterEach(async () => {
    await bed?.close();
  });

  async function withRotation(
    phase: PreparePhase,
    body: (handle: WorkflowHandle<typeof roleWorkflow>) => Promise<void>,
    options: { record?: string; calendarHorizonMonths?: number } = {},
  ): Promise<void> {
    bed = await roleBed(env, {
      channels: [{ name: 'support', id: CHANNEL }],
      settings: {
        ...(options.calendarHorizonMonths ? { calendarHorizonMonths: options.calendarHorizonMonths } : {}),
        roles: {
          'support-triager': {
            ...roleTiming(phase),
            slack: { channel: CHANNEL },
            changeNotices: { coalesceMinutes: COALESCE_MINUTES },
          },
        },
      },
    });
    const worker = await bed.worker();
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start<typeof roleWorkflow>('roleWorkflow', {
        workflowId: bed.workflowId,
        taskQueue: bed.taskQueue,
        args: [{ role: 'support-triager', mode: 'schedule', seed: { incoming: 'Ben', current: 'Ava' } }],
      });
      await stateOf(handle);
      await body(handle);
      const runs = await runHistories(env.client, bed.workflowId);
      assert.deepEqual(workflowTaskFailures(runs), [], 'no workflow task failed');
      if (options.record) await recordHistory(handle, options.record);
    });
  }

  /** The turns the change notices compare: the calendar's horizon from the pending handover. */
  async function plan(handle: WorkflowHandle<typeof roleWorkflow>): Promise<Turn[]> {
    const role = bed.settings.roles['support-triager']!;
    return handle.query(planQuery, calendarTurnCount(role, bed.settings.calendarHorizonMonths));
  }

  /** Each member's turn dates, by Slack ID. */
  function datesOf(turns: Turn[]): Map<string, string> {
    const dates = new Map<string, string[]>();
    for (const turn of turns) dates.set(turn.member.id, [...(dates.get(turn.member.id) ?? []), turn.start]);
    return new Map([...dates].map(([id, list]) => [id, list.join(',')]));
  }

  /** The members whose dates differ between two plans (the oracle the workflow's notices must match). */
  function movedBetween(before: Turn[], after: Turn[]): string[] {
    const [b, a] = [datesOf(before), datesOf(after)];
    return DEMO_TEAM.map((m) => m.id).filter((id) => (b.get(id) ?? '') !== (a.get(id) ?? ''));
  }

  /** Direct messages of `kind` the bot sent, by recipient. */
  function dms(kind: string): Map<string, string[]> {
    const found = new Map<string, string[]>();
    for (const member of DEMO_TEAM) {
      const channel = bed.sandbox.slack.dmWith(member.id);
      if (!channel) continue;
      const texts = bed.sandbox.slack
        .messagesIn(channel.id)
        .filter((m) => m.metadata?.event_payload?.message_kind === kind)
        .map((m) => m.text ?? '');
      if (texts.length) found.set(member.id, texts);
    }
    return found;
  }

  const noticesSent = (state: RoleStateView) => state.changes.filter((c) => c.kind === 'notice').length;

  it('tells exactly the members whose dates moved, once, coalesced, with before → after', async () => {
    await withRotation(
      'prepare not yet due',
      async (handle) => {
        const before = await plan(handle);
        // Two operations within the quiet period: one batch, one DM per member they moved.
        await handle.executeUpdate(skipUpdate, { args: [{ member: 'Dan', next: true }] });
        await handle.executeUpdate(swapUpdate, { args: [{ first: 'Finn', second: 'Grace' }] });
        const after = await plan(handle);
        const moved = movedBetween(before, after);
        assert.ok(moved.length >= 3, `the changes move several members (${moved.join(', ')})`);
        assert.ok(moved.length < DEMO_TEAM.length, 'but not everyone');

        const state = await waitFor('the batch told', async () => {
          const s = await stateOf(handle);
          return noticesSent(s) === 1 ? s : undefined;
        });
        const sent = dms('plan-change');
        assert.deepEqual([...sent.keys()].sort(), [...moved].sort(), 'exactly the members whose dates moved');
        for (const [id, texts] of sent) {
          assert.equal(texts.length, 1, `one DM for ${id}`);
          assert.match(texts[0]!, /^Your Support Triager turns changed: .+ → .+\. Why: /, `before → after for ${id}`);
        }
        const dan = sent.get(byName('Dan').id)![0]!;
        assert.match(dan, /skipped Dan's next turn/);
        const summary = bed.sandbox.slack
          .messagesIn(CHANNEL)
          .filter((m) => m.metadata?.event_payload?.message_kind === 'plan-change-summary');
        assert.equal(summary.length, 1, 'one summary in the channel');
        const changes = state.changes.filter((c) => c.kind === 'change');
        assert.equal(changes.length, 2, 'each change in the log');

        // Nothing more after another quiet period: the batch was told once.
        await new Promise((resolve) => setTimeout(resolve, 2 * QUIET_PERIOD_MS));
        assert.equal(noticesSent(await stateOf(handle)), 1);
        assert.deepEqual(
          [...dms('plan-change').values()].map((t) => t.length),
          [...sent.values()].map(() => 1),
        );
      },
      { record: 'support-triager-change-notices' },
    );
  });

  it('costs no history event per handover without a change, one batch of events with one', async () => {
    await withRotation('prepare not yet due', async (handle) => {
      // Every run's events (a run continues as new after `handoversPerRun`, 4), as the budget counts them.
      const events = async () =>
        (await runHistories(env.client, bed.workflowId)).reduce((n, run) => n + run.events.length, 0);
      const HANDOVERS = 4;
      const atStart = await events();
      for (let i = 0; i < HANDOVERS; i++) await handle.executeUpdate(handoverNowUpdate, { args: [{}] });
      const plain = ((await events()) - atStart) / HANDOVERS;
      const beforeChanges = await events();
      for (let i = 0; i < HANDOVERS; i++) {
        const { next, changes } = await stateOf(handle);
        const told = changes.filter((c) => c.kind === 'notice').length;
        await handle.executeUpdate(skipUpdate, { args: [{ member: next!.id, next: true }] });
        await waitFor('the skip told', async () => noticesSent(await stateOf(handle)) > told || undefined);
        await handle.executeUpdate(handoverNowUpdate, { args: [{}] });
      }
      const withChange = ((await events()) - beforeChanges) / HANDOVERS;
      console.log(`history events per handover: ${plain} without a change, ${withChange} with a told skip`);
      assert.ok(plain < 30, `under the budget of 30 events per handover (${plain})`);
      // The skip itself (its update, a workflow task, the search attributes, the loop's timer restarted: 8) and the
      // batch told once its quiet period is over (the timer, two workflow tasks, sendChangeNotices: 11), plus the
      // patches' markers once per run.
      assert.ok(withChange - plain <= 24, `a told change costs the operation and one batch (${withChange - plain})`);
      const runs = await runHistories(env.client, bed.workflowId);
      const told = runs
        .flatMap((run) => run.events)
        .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendChangeNotices');
      assert.equal(told.length, HANDOVERS, 'one sendChangeNotices per skip, none for a plain handover');
    });
  });

  it('a quiet override is recorded and tells nobody', async () => {
    await withRotation('prepare not yet due', async (handle) => {
      const before = await plan(handle);
      await handle.executeUpdate(overrideUpdate, { args: [{ incoming: 'Chloe', quiet: true }] });
      assert.ok(movedBetween(before, await plan(handle)).length > 0);
      await new Promise((resolve) => setTimeout(resolve, 3 * QUIET_PERIOD_MS));
      const state = await stateOf(handle);
      const [change] = state.changes;
      assert.ok(change?.kind === 'change' && change.quiet === true, 'the change is logged as quiet');
      assert.equal(noticesSent(state), 0);
      assert.equal(state.pendingChanges, null, 'no batch waits');
      assert.equal(dms('plan-change').size, 0, 'no DM');
    });
  });

  it('a join moves no turn inside the frozen window; the new member hears when their first turn is', async () => {
    await withRotation('prepare not yet due', async (handle) => {
      const before = await plan(handle);
      // Hugo joins on the sandbox page, which has the rotation read the group at once, as `npm run dev` does.
      const page = await startSandboxPage({
        ...bed.sandbox,
        onMembersChanged: (change) => tellRotations(env.client, bed.settings, change, () => bed.workflowId),
      });
      let joined: { message?: string; next?: string | null };
      try {
        const response = await fetch(new URL('/usergroups/join', page.url), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ group: 'support-triagers', name: 'Hugo' }),
        });
        assert.equal(response.status, 200);
        joined = (await response.json()) as typeof joined;
      } finally {
        await page.close();
      }
      const newcomer = { id: 'U0HUGO0001', name: 'Hugo' };
      assert.equal(joined.message, 'Hugo joined @support-triagers.');
      assert.match(
        joined.next ?? '',
        /^The Support Triager rotation read @support-triagers again: it moves the turns of .*Hugo/,
      );
      assert.match(joined.next ?? '', /Turns starting before .+ stay as planned \(the frozen window\)\.$/);
      const after = await plan(handle);
      const state = await stateOf(handle);
      const frozen = 2; // freezeWeeks' default, in weekly turns
      assert.deepEqual(
        after.slice(0, frozen).map((t) => [t.member.id, t.start]),
        before.slice(0, frozen).map((t) => [t.member.id, t.start]),
        'the turns of the frozen window stay',
      );
      const first = after.find((t) => t.member.id === newcomer.id);
      assert.ok(first && first.start >= after[frozen]!.start, 'the newcomer serves after the frozen window');
      assert.ok(state.members.some((m) => m.id === newcomer.id));
      await waitFor('the join told', async () => noticesSent(await stateOf(handle)) === 1 || undefined);
      const channel = bed.sandbox.slack.dmWith(newcomer.id);
      const texts = channel ? bed.sandbox.slack.messagesIn(channel.id).map((m) => m.text ?? '') : [];
      assert.equal(texts.length, 1);
      assert.match(texts[0]!, /^You joined the Support Triager rotation: your first turn starts /);
      const summary = bed.sandbox.slack
        .messagesIn(CHANNEL)
        .filter((m) => m.metadata?.event_payload?.message_kind === 'plan-change-summary');
      assert.equal(summary.length, 1);
      assert.match(summary[0]!.text, /Turns starting before .+ stay as planned \(the frozen window\)\./);
    });
  });

  it('a newcomer whose first turn lies beyond the plan hears they joined; nobody else is told', async () => {
    // A month of calendar turns (5) for seven members: behind everyone, the newcomer's first turn is the tenth.
    await withRotation(
      'prepare not yet due',
      async (handle) => {
        const before = await plan(handle);
        const newcomer = { id: 'U0HUGO0008', name: 'Hugo' };
        bed.sandbox.setGroup('support-triagers', [...DEMO_TEAM, newcomer]);
        await handle.executeUpdate(refreshMembersUpdate);
        const after = await plan(handle);
        assert.deepEqual(after, before, 'no turn within the plan moved');
        await waitFor('the join told', async () => noticesSent(await stateOf(handle)) === 1 || undefined);
        const channel = bed.sandbox.slack.dmWith(newcomer.id);
        const texts = channel ? bed.sandbox.slack.messagesIn(channel.id).map((m) => m.text ?? '') : [];
        assert.deepEqual(texts.length, 1, 'one DM to the newcomer');
        assert.match(texts[0]!, /^You joined the Support Triager rotation: your first turn starts after \d+ \w+/);
        assert.deepEqual([...dms('plan-change').keys()], [], 'nobody in the group told');
        const summary = (await stateOf(handle)).changes.find((c) => c.kind === 'notice');
        assert.match(summary?.kind === 'notice' ? summary.summary : '', /Hugo \(U0HUGO0008\) joined: first turn after/);
      },
      { calendarHorizonMonths: 1, record: 'support-triager-join-beyond-plan' },
    );
  });

  it('a pause after the notice went out points the standup back at who keeps serving', async () => {
    await withRotation('prepare due', async (handle) => {
      // The notice goes out at once (prepare due): Chloe takes over, Ben her buddy.
      await waitFor(
        'the notice out',
        async () => (await stateOf(handle)).notice?.incoming?.name === 'Chloe' || undefined,
      );
      const named = () => bed.sandbox.geekbot.state.standups[0]!.users.map((u) => u.id).sort();
      assert.deepEqual(named(), [byName('Chloe').id, DEMO_MANAGER.id].sort());

      await handle.executeUpdate(pauseUpdate);
      const state = await waitFor('the notice withdrawn', async () => {
        const s = await stateOf(handle);
        return s.notice?.withdrawn ? s : undefined;
      });
      assert.deepEqual(named(), [byName('Ben').id, DEMO_MANAGER.id].sort(), 'the standup names Ben again');
      const question = bed.sandbox.geekbot.state.standups[0]!.questions[0]?.text ?? '';
      assert.match(question, new RegExp(`<@${byName('Ben').id}>`));
      assert.doesNotMatch(question, new RegExp(`<@${byName('Chloe').id}>`), 'the notice no longer names Chloe');
      const corrections = dms('notice-correction');
      assert.deepEqual(corrections.get(byName('Chloe').id)?.length, 1, 'Chloe hears she is not up after all');
      assert.match(corrections.get(byName('Chloe').id)![0]!, /paused/);
      assert.ok(state.changes.some((c) => c.kind === 'correction'));
    });
  });

  it('an override of the current member after the notice went out edits the post to say who rotates off', async () => {
    await withRotation('prepare due', async (handle) => {
      // Chloe takes over with Ben; Ava, current now, rotates off.
      await waitFor(
        'the notice out',
        async () => (await stateOf(handle)).notice?.incoming?.name === 'Chloe' || undefined,
      );
      const posts = () =>
        bed.sandbox.slack
          .messagesIn(CHANNEL)
          .filter((m) => m.metadata?.event_payload?.message_kind === 'notice-channel');
      assert.match(posts()[0]!.text, new RegExp(`<@${byName('Ava').id}> rotates off`));

      // Dan serves as current instead of Ava: still Chloe and Ben at the handover, but Dan rotates off then.
      await handle.executeUpdate(overrideUpdate, { args: [{ current: 'Dan' }] });
      await waitFor('the post edited', async () => {
        const s = await stateOf(handle);
        return s.busy === null && posts()[0]!.text.includes(`<@${byName('Dan').id}> rotates off`) ? s : undefined;
      });
      assert.equal(posts().length, 1, 'the one notice post, edited in place');
      const state = await stateOf(handle);
      assert.equal(state.notice?.incoming?.name, 'Chloe');
      assert.equal(state.notice?.buddy?.name, 'Ben');
      assert.equal(dms('notice-incoming').get(byName('Chloe').id)?.length, 1, 'Chloe was told once');
    });
  });

  it('an override while paused after the notice went out points the withdrawn notice at who serves now', async () => {
    await withRotation('prepare due', async (handle) => {
      await waitFor(
        'the notice out',
        async () => (await stateOf(handle)).notice?.incoming?.name === 'Chloe' || undefined,
      );
      await handle.executeUpdate(pauseUpdate);
      await waitFor('the notice withdrawn', async () => (await stateOf(handle)).notice?.withdrawn || undefined);
      const standup = () => bed.sandbox.geekbot.state.standups[0]!;
      assert.deepEqual(
        standup()
          .users.map((u) => u.id)
          .sort(),
        [byName('Ben').id, DEMO_MANAGER.id].sort(),
      );

      // Dan serves instead of Ben while the rotation is paused: the standup and the post must name him, not Ben.
      await handle.executeUpdate(overrideUpdate, { args: [{ incoming: 'Dan' }] });
      const state = await waitFor('the withdrawn notice names Dan', async () => {
        const s = await stateOf(handle);
        return s.notice?.incoming?.name === 'Dan' && s.busy === null ? s : undefined;
      });
      assert.equal(state.notice?.withdrawn, true);
      assert.equal(state.notice?.buddy?.name, 'Ava');
      assert.deepEqual(
        standup()
          .users.map((u) => u.id)
          .sort(),
        [byName('Dan').id, DEMO_MANAGER.id].sort(),
      );
      const question = standup().questions[0]?.text ?? '';
      assert.match(question, new RegExp(`<@${byName('Dan').id}>`));
      assert.match(question, new RegExp(`<@${byName('Ava').id}>`), 'with Ava, who serves with him, as buddy');
      assert.doesNotMatch(question, new RegExp(`<@${byName('Ben').id}>`));
      const posts = bed.sandbox.slack
        .messagesIn(CHANNEL)
        .filter((m) => m.metadata?.event_payload?.message_kind === 'notice-channel');
      assert.equal(posts.length, 1, 'the one notice post, edited in place');
      assert.match(posts[0]!.text, new RegExp(`on hold: .*<@${byName('Dan').id}> keeps serving`));
      const withdrawals = state.changes.filter((c) => c.kind === 'correction');
      assert.equal(withdrawals.length, 2, 'withdrawn at the pause, and pointed at Dan after the override');
    });
  });
});
