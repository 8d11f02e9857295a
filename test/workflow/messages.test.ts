/**
 * The role workflow's messages on the local dev server (updates wait for their result there; they do not skip time
 * on the time-skipping server). Handovers are triggered with `handoverNow`, one week after another, and their
 * effects checked in the fakes: who is incoming and current, the Geekbot standup and the calendar.
 *
 * The rotations run in real time, so each test places the handover relative to now (test/support/clock.ts): three
 * days ahead with its notice 24 hours before it, so nothing is due while the test runs and every prepare step
 * happens because a message asked for it; one test starts with the notice already due on purpose.
 */
import assert from 'node:assert/strict';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { sortMembers } from '../../src/domain/members';
import { initialState } from '../../src/domain/rotation';
import { addDays, nextHandoverAfter } from '../../src/domain/schedule';
import { startDevServer } from '../../src/servers/environments';
import {
  CurrentMemberAttribute,
  handoverNowSignal,
  handoverNowUpdate,
  IncomingMemberAttribute,
  NextHandoverAtAttribute,
  overrideSignal,
  overrideUpdate,
  pauseSignal,
  pauseUpdate,
  planQuery,
  refreshMembersUpdate,
  resumeSignal,
  resumeUpdate,
  skipSignal,
  skipUpdate,
  stateQuery,
  swapSignal,
  swapUpdate,
  TeamRoleAttribute,
  type RoleStateView,
  type RoleWorkflowInput,
} from '../../src/shared';
import type { roleWorkflow } from '../../src/workflows';
import { DEMO_MANAGER, DEMO_TEAM } from '../../src/sandbox/sandbox';
import {
  byName,
  recordHistory,
  roleBed,
  roleTiming,
  rotationNow,
  runHistories,
  startServer,
  stateOf,
  waitFor,
  weekdayOf,
  workflowTaskFailures,
  type PreparePhase,
  type RoleBed,
} from '../support';

const DAY_MS = 86_400_000;

describe('role workflow: operator messages (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let bed: RoleBed;

  before(async () => {
    env = await startServer('the dev server', () => startDevServer({ resolve: { sdkDownload: false } }));
  });
  after(async () => {
    await env?.teardown();
  });
  /** A bed whose support triager hands over three days from now, with its notice not yet due (or already due). */
  const bedFor = (phase: PreparePhase, options: Omit<Parameters<typeof roleBed>[1], 'settings'> = {}) =>
    roleBed(env, { ...options, settings: { roles: { 'support-triager': roleTiming(phase) } } });
  beforeEach(async () => {
    bed = await bedFor('prepare not yet due');
  });
  afterEach(async () => {
    await bed?.close();
  });

  /** Runs `body` with a worker and a fresh rotation seeded with incoming Ben and current Ava. */
  async function withRotation(
    body: (handle: WorkflowHandle<typeof roleWorkflow>, state: RoleStateView) => Promise<void>,
    input: Partial<RoleWorkflowInput> = {},
  ): Promise<void> {
    const worker = await bed.worker();
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start<typeof roleWorkflow>('roleWorkflow', {
        workflowId: bed.workflowId,
        taskQueue: bed.taskQueue,
        // Schedule mode: no handover from the real clock's timer while a test runs (prepare may still happen).
        args: [{ role: 'support-triager', mode: 'schedule', seed: { incoming: 'Ben', current: 'Ava' }, ...input }],
      });
      await body(handle, await stateOf(handle));
      const runs = await runHistories(env.client, bed.workflowId);
      assert.deepEqual(workflowTaskFailures(runs), [], 'no workflow task failed');
    });
  }

  /** The standup's participants (sorted IDs) and its question. */
  function standup(): { users: string[]; question: string } {
    const standups = bed.sandbox.geekbot.state.standups;
    assert.equal(standups.length, 1, 'one standup, updated in place');
    const only = standups[0]!;
    return { users: only.users.map((u) => u.id).sort(), question: only.questions[0]?.text ?? '' };
  }

  /** The handover just done put `incoming` and `current` in place, and the standup and calendar say so. */
  function assertHandedOver(state: RoleStateView, incoming: string, current: string, what: string): void {
    assert.equal(state.incoming?.name, incoming, `${what}: incoming`);
    assert.equal(state.current?.name, current, `${what}: current`);
    const turn = state.history.at(-1)!;
    assert.equal(turn.member.name, incoming, `${what}: the latest turn is the incoming member's`);
    assert.equal(state.lastHandoverKey, `support-triager@${turn.start}`);
    const { users, question } = standup();
    assert.deepEqual(users, [byName(incoming).id, DEMO_MANAGER.id].sort(), `${what}: standup participants`);
    assert.match(question, new RegExp(`<@${byName(incoming).id}>`), `${what}: the question greets the incoming`);
    assert.match(question, new RegExp(`<@${byName(current).id}>`), `${what}: the buddy is the current member`);
    const event = bed.sandbox.calendar.events().find((e) => e.start.date === turn.start && e.status !== 'cancelled');
    assert.equal(event?.summary, `Support Triager: ${incoming}`, `${what}: calendar event of ${turn.start}`);
  }

  it('answers the state and plan queries, describes its handlers and upserts its search attributes', async () => {
    await withRotation(async (handle, state) => {
      assert.equal(state.role, 'support-triager');
      assert.deepEqual([state.incoming?.name, state.current?.name, state.next?.name], ['Ben', 'Ava', 'Chloe']);
      assert.equal(state.paused, false);
      assert.deepEqual(
        state.members.map((m) => m.name),
        DEMO_TEAM.map((m) => m.name),
      );
      assert.deepEqual(state.history, []);
      const at = new Date(state.nextHandoverAt);
      const role = bed.settings.roles['support-triager']!;
      assert.ok(role.cadence === 'weekly');
      assert.ok(at.getTime() > rotationNow() + 2 * DAY_MS, 'the next handover is ahead');
      assert.ok(at.getTime() - rotationNow() <= 4 * DAY_MS, '...three days from now');
      assert.equal(weekdayOf(state.nextHandoverAt), role.handoverWeekday, `on the role's weekday`);
      assert.equal(state.nextHandoverAt.slice(11), '10:00:00.000Z');
      assert.equal(Date.parse(state.nextPrepareAt), at.getTime() - role.prepareLeadHours * 3_600_000);
      assert.deepEqual(bed.sandbox.geekbot.calls(), [], 'no notice before its time');

      const date = state.nextHandoverAt.slice(0, 10);
      const plan = await handle.query(planQuery, 4);
      assert.deepEqual(
        plan.map((t) => [t.member.name, t.start, t.end]),
        ['Chloe', 'Dan', 'Ella', 'Finn'].map((name, i) => [name, addDays(date, 7 * i), addDays(date, 7 * i + 14)]),
      );
      assert.equal((await handle.query(planQuery)).length, 10, 'ten turns by default');

      // Handlers carry descriptions (the Web UI shows them).
      const metadata: temporal.api.sdk.v1.IWorkflowMetadata = await handle.query(workflowMetadataQuery);
      const { definition } = metadata;
      const described = (defs: { name?: string | null; description?: string | null }[] | null | undefined) =>
        Object.fromEntries((defs ?? []).map((d): [string, boolean] => [d.name ?? '', Boolean(d.description)]));
      const queries = described(definition?.queryDefinitions);
      assert.equal(queries.state, true, 'state query described');
      assert.equal(queries.plan, true, 'plan query described');
      const updates = described(definition?.updateDefinitions);
      for (const name of ['override', 'skip', 'swap', 'pause', 'resume', 'handoverNow', 'refreshMembers']) {
        assert.equal(updates[name], true, `${name} update described`);
      }

      const attributes = async (expected: [string, string, string]) =>
        waitFor(`search attributes ${expected.join(', ')}`, async () => {
          const sa = (await handle.describe()).typedSearchAttributes;
          const seen = [
            sa.get(TeamRoleAttribute),
            sa.get(IncomingMemberAttribute),
            sa.get(CurrentMemberAttribute),
            sa.get(NextHandoverAtAttribute)?.toISOString(),
          ];
          return JSON.stringify(seen) === JSON.stringify(['support-triager', ...expected]) && seen;
        });
      await attributes(['Ben', 'Ava', state.nextHandoverAt]);

      const after = await handle.executeUpdate(handoverNowUpdate, { args: [{}] });
      assert.deepEqual([after.incoming?.name, after.current?.name, after.next?.name], ['Chloe', 'Ben', 'Dan']);
      assert.equal(after.nextHandoverAt, new Date(at.getTime() + 7 * DAY_MS).toISOString());
      await attributes(['Chloe', 'Ben', after.nextHandoverAt]);
      const details: temporal.api.sdk.v1.IWorkflowMetadata = await handle.query(workflowMetadataQuery);
      assert.match(details.currentDetails ?? '', /incoming Chloe, current Ben/);
    });
  });

  it('hands over once per handover key: a second trigger for the same date changes nothing', async () => {
    await withRotation(async (handle, before) => {
      const date = before.nextHandoverAt.slice(0, 10);
      const state = await handle.executeUpdate(handoverNowUpdate, { args: [{ date }] });
      assertHandedOver(state, 'Chloe', 'Ben', 'first trigger');
      assert.equal(state.lastHandoverKey, `support-triager@${date}`);
      assert.deepEqual(
        state.history.map(({ member, start, end }) => ({ member, start, end })),
        [{ member: byName('Chloe'), start: date, end: addDays(date, 14) }],
      );
      const calls = () => [bed.sandbox.geekbot.calls().length, bed.sandbox.calendar.calls().length];
      const callsAfterFirst = calls();
      assert.equal(bed.sandbox.geekbot.calls().filter((c) => c.startsWith('POST')).length, 1, 'standup created once');

      // The same date again, by update and by signal, and an older date: nothing changes, nothing is called.
      assert.deepEqual(await handle.executeUpdate(handoverNowUpdate, { args: [{ date }] }), state);
      await handle.signal(handoverNowSignal, { date });
      await handle.signal(handoverNowSignal, { date: addDays(date, -7) });
      assert.deepEqual(await handle.executeUpdate(handoverNowUpdate, { args: [{ date }] }), state);
      assert.deepEqual(await handle.query(stateQuery), state);
      assert.deepEqual(calls(), callsAfterFirst, 'no call to Slack, Geekbot or Calendar for a repeated key');
      await recordHistory(handle, 'support-triager-repeat-trigger');
    });
  });

  it('rejects an invalid update with a clear message and leaves the state untouched; a valid one returns it', async () => {
    await withRotation(async (handle) => {
      // Some history and a pending swap first, so that "untouched" covers more than the seed.
      await handle.executeUpdate(handoverNowUpdate, { args: [{}] });
      await handle.executeUpdate(swapUpdate, { args: [{ first: 'Ella', second: 'Grace' }] });
      const before = await handle.query(stateQuery);
      const plan = await handle.query(planQuery, 8);
      assert.deepEqual([before.incoming?.name, before.current?.name], ['Chloe', 'Ben']);

      const rejects = async (what: string, update: Promise<unknown>, message: RegExp) => {
        await assert.rejects(
          update,
          (err: unknown) => {
            assert.ok(err instanceof WorkflowUpdateFailedError, `${what}: WorkflowUpdateFailedError`);
            assert.ok(err.cause instanceof ApplicationFailure, `${what}: caused by an ApplicationFailure`);
            assert.match(err.cause.message, message, what);
            return true;
          },
          what,
        );
        assert.deepEqual(await handle.query(stateQuery), before, `${what}: state unchanged`);
        assert.deepEqual(await handle.query(planQuery, 8), plan, `${what}: plan unchanged`);
      };
      await rejects(
        'override with an unknown member',
        handle.executeUpdate(overrideUpdate, { args: [{ incoming: 'Zed' }] }),
        /No member "Zed"/,
      );
      await rejects(
        'override making incoming equal current',
        handle.executeUpdate(overrideUpdate, { args: [{ incoming: 'ben' }] }),
        /Ben \(U0BEN00002\) cannot be both incoming and current/,
      );
      await rejects('empty override', handle.executeUpdate(overrideUpdate, { args: [{}] }), /needs a member/);
      await rejects(
        'skip range in the past',
        handle.executeUpdate(skipUpdate, { args: [{ member: 'Dan', from: '2020-01-01', to: '2020-01-31' }] }),
        /Skip range 2020-01-01\.\.2020-01-31 is in the past/,
      );
      await rejects(
        'skip range ending before it starts',
        handle.executeUpdate(skipUpdate, { args: [{ member: 'Dan', from: '2999-02-01', to: '2999-01-01' }] }),
        /ends \(2999-01-01\) before it starts/,
      );
      await rejects(
        'skip of an unknown member',
        handle.executeUpdate(skipUpdate, { args: [{ member: 'U0NOBODY', next: true }] }),
        /No member "U0NOBODY"/,
      );
      await rejects(
        'skip with a bad date',
        handle.executeUpdate(skipUpdate, { args: [{ member: 'Dan', from: '2999-02-30' }] }),
        /not a date/,
      );
      await rejects(
        'swap with oneself',
        handle.executeUpdate(swapUpdate, { args: [{ first: 'Dan', second: 'U0DAN00004' }] }),
        /Cannot swap Dan \(U0DAN00004\) with themselves/,
      );
      await rejects(
        'a second swap for a member with one pending',
        handle.executeUpdate(swapUpdate, { args: [{ first: 'Dan', second: 'Grace' }] }),
        /already have a pending swap/,
      );
      await rejects(
        'handoverNow with a bad date',
        handle.executeUpdate(handoverNowUpdate, { args: [{ date: '2026-13-01' }] }),
        /not a date/,
      );

      // A rejected update leaves no trace in history: only the accepted ones are there.
      const accepted = (await handle.fetchHistory()).events?.filter(
        (e) => e.workflowExecutionUpdateAcceptedEventAttributes,
      );
      assert.equal(accepted?.length, 2, 'only the handover and the swap were accepted');

      // Paused: handoverNow is refused until resumed.
      const paused = await handle.executeUpdate(pauseUpdate);
      assert.equal(paused.paused, true);
      const pausedPlan = await handle.query(planQuery, 8);
      const pausedState = await handle.query(stateQuery);
      await assert.rejects(handle.executeUpdate(handoverNowUpdate, { args: [{}] }), (err: unknown) => {
        assert.ok(err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure);
        assert.match(err.cause.message, /paused: resume it first/);
        return true;
      });
      assert.deepEqual(await handle.query(stateQuery), pausedState);
      assert.deepEqual(await handle.query(planQuery, 8), pausedPlan);
      assert.equal((await handle.executeUpdate(resumeUpdate)).paused, false);

      // A valid update returns the new state, the same the query then answers.
      const overridden = await handle.executeUpdate(overrideUpdate, { args: [{ incoming: 'Finn' }] });
      assert.deepEqual([overridden.incoming?.name, overridden.current?.name], ['Finn', 'Ben']);
      assert.deepEqual(overridden, await handle.query(stateQuery));
      const skipped = await handle.executeUpdate(skipUpdate, { args: [{ member: 'Dan', from: '2999-01-01' }] });
      assert.deepEqual(skipped, await handle.query(stateQuery));
    });
  });

  it('applies overrides, skips, swaps, pause and membership changes across fifteen handovers', async () => {
    await withRotation(async (handle) => {
      const handover = async (incoming: string, current: string, what: string) => {
        const state = await handle.executeUpdate(handoverNowUpdate, { args: [{}] });
        assertHandedOver(state, incoming, current, what);
        return state;
      };
      let state = await handover('Chloe', 'Ben', 'H1');

      // Dan skips his next turn: Ella serves it, Dan the one after (he is owed it), then the order goes on.
      state = await handle.executeUpdate(skipUpdate, { args: [{ member: 'Dan', next: true }] });
      assert.equal(state.next?.name, 'Ella');
      await handover('Ella', 'Chloe', 'H2 (Dan skipped)');
      await handover('Dan', 'Ella', 'H3 (Dan owed)');
      state = await handover('Finn', 'Dan', 'H4');

      // Grace and Ava swap: Ava takes Grace's turn, Grace takes Ava's next one.
      state = await handle.executeUpdate(swapUpdate, { args: [{ first: 'Grace', second: 'Ava' }] });
      assert.equal(state.next?.name, 'Ava');
      await handover('Ava', 'Finn', 'H5 (swap)');
      state = await handover('Grace', 'Ava', 'H6 (swap returned)');

      // Ava (current) and Ben leave the Slack group: Ava finishes her turn, neither is assigned again. The next two
      // turns are frozen (freezeWeeks 2): Ben's (H7) goes to Dan, who gives up his own next place for it; Chloe's
      // (H8) stays as planned.
      bed.sandbox.setGroup(
        'support-triagers',
        DEMO_TEAM.filter((m) => !['Ava', 'Ben'].includes(m.name)),
      );
      state = await handover('Dan', 'Grace', "H7 (Ava and Ben left: Dan takes Ben's frozen turn)");
      assert.deepEqual(
        state.members.map((m) => m.name),
        ['Chloe', 'Dan', 'Ella', 'Finn', 'Grace'],
      );
      assert.ok(state.warnings.some((w) => /Ava \(U0AVA00001\) left the support-triager group/.test(w)));
      assert.ok(state.warnings.some((w) => /Ben \(U0BEN00002\) left .*: Dan \(U0DAN00004\) takes their turn/.test(w)));

      // Paused: a handover by signal does nothing (and says why); resumed, the rotation goes on.
      await handle.executeUpdate(pauseUpdate);
      const pausedKey = state.lastHandoverKey;
      await handle.signal(handoverNowSignal);
      state = await waitFor('the paused handover warning', async () => {
        const s = await handle.query(stateQuery);
        return s.warnings.some((w) => /not done: the rotation is paused/.test(w)) && s;
      });
      assert.equal(state.lastHandoverKey, pausedKey);
      assert.deepEqual([state.incoming?.name, state.current?.name], ['Dan', 'Grace']);
      await handle.executeUpdate(resumeUpdate);
      await handover('Chloe', 'Dan', 'H8 (frozen: as planned)');

      // Overrides: a new incoming (the order continues after them), then a new current.
      state = await handle.executeUpdate(overrideUpdate, { args: [{ incoming: 'Finn' }] });
      assert.deepEqual([state.incoming?.name, state.current?.name, state.next?.name], ['Finn', 'Dan', 'Grace']);
      await handover('Grace', 'Finn', 'H9 (after the override)');
      state = await handle.executeUpdate(overrideUpdate, { args: [{ current: 'Ella' }] });
      assert.deepEqual([state.incoming?.name, state.current?.name], ['Grace', 'Ella']);
      state = await handover('Chloe', 'Grace', 'H10 (wraps past the leavers)');

      // Dan is away for the next two handovers. His place comes at H11, but he served Ben's turn at H7 in its stead:
      // it passes to Ella, then Finn and Grace, and Dan serves when the cycle comes round to him again.
      const h11 = state.nextHandoverAt.slice(0, 10);
      await handle.executeUpdate(skipUpdate, { args: [{ member: 'Dan', from: h11, to: addDays(h11, 7) }] });
      await handover('Ella', 'Chloe', 'H11 (Dan away; his place already served at H7)');
      await handover('Finn', 'Ella', 'H12 (Dan still away)');
      await handover('Grace', 'Finn', 'H13');
      await handover('Chloe', 'Grace', 'H14');

      // Ben rejoins: a newcomer now, he enters the cycle behind everyone: after the frozen window's two turns, once
      // every member already there has served once more. Nobody's turn before his first one moves.
      bed.sandbox.setGroup(
        'support-triagers',
        DEMO_TEAM.filter((m) => m.name !== 'Ava'),
      );
      state = await handle.executeUpdate(refreshMembersUpdate);
      assert.equal(state.next?.name, 'Dan');
      const plan = await handle.query(planQuery, 8);
      assert.deepEqual(
        plan.map((t) => t.member.name),
        ['Dan', 'Ella', 'Finn', 'Grace', 'Chloe', 'Dan', 'Ella', 'Ben'],
        'the two frozen turns as planned, everyone once more, then Ben',
      );
      state = await handover('Dan', 'Chloe', 'H15 (Ben rejoined: the frozen window first)');

      // Ava never served again after leaving; every turn has exactly one event naming its member.
      assert.equal(state.history.length, 15);
      assert.ok(!state.history.slice(6).some((t) => t.member.name === 'Ava'));
      const events = bed.sandbox.calendar.events().filter((e) => e.status !== 'cancelled');
      const starts = events.map((e) => e.start.date);
      assert.equal(new Set(starts).size, starts.length, 'no two events for one turn');
      for (const turn of state.history) {
        const event = events.find((e) => e.start.date === turn.start);
        assert.equal(event?.summary, `Support Triager: ${turn.member.name}`, `event of ${turn.start}`);
        assert.equal(event?.end.date, turn.end);
      }
      await recordHistory(handle, 'support-triager-operator-updates');
    });
  });

  it('takes an override or a skip that arrives while a handover is being prepared', async () => {
    // Its first handover more than the 48-hour notice ahead, so that no notice goes out at start (whatever the day):
    // every notice here goes out while a handover asked for is being prepared.
    const role = bed.settings.roles['support-triager']!;
    const team = sortMembers(DEMO_TEAM);
    const later: Partial<RoleWorkflowInput> = {
      state: {
        rotation: initialState('support-triager', role.slots, team, {
          incoming: byName('Ben'),
          current: byName('Ava'),
        }),
        standupId: null,
        prepared: null,
        nextHandoverAt: nextHandoverAfter(role, bed.settings.timeZone, new Date(Date.now() + 3 * DAY_MS)).toISOString(),
        warnings: [],
        lastError: null,
        handoversDone: 0,
      },
    };
    await withRotation(async (handle) => {
      /** Asks for a handover and sends `message` while its prepare step runs: notice sent, calendar still writing. */
      const duringPrepare = async <T>(message: () => Promise<T>): Promise<RoleStateView> => {
        const geekbotBefore = bed.sandbox.geekbot.requests.length;
        const calendarBefore = bed.sandbox.calendar.requests.length;
        // The calendar's first write of this prepare step takes 600 ms; the message goes out meanwhile.
        bed.sandbox.calendar.faults = { script: [{ match: (r) => r.method !== 'GET', kind: 'none', latencyMs: 600 }] };
        const handover = handle.executeUpdate(handoverNowUpdate, { args: [{}] });
        await waitFor('the prepare step to be under way', () => {
          const noticeSent = bed.sandbox.geekbot.requests
            .slice(geekbotBefore)
            .some((r) => (r.method === 'PATCH' || r.method === 'POST') && r.status !== undefined);
          const calendarWriting = bed.sandbox.calendar.requests
            .slice(calendarBefore)
            .some((r) => r.method !== 'GET' && r.status === undefined);
          return noticeSent && calendarWriting;
        });
        await message();
        return handover;
      };

      // The notice named Chloe; Chloe skips while it goes out: Dan takes the turn and the standup is re-pointed.
      let state = await duringPrepare(() =>
        handle.executeUpdate(skipUpdate, { args: [{ member: 'Chloe', next: true }] }),
      );
      assertHandedOver(state, 'Dan', 'Ben', 'skip during prepare');

      // Chloe (owed her turn) is named next with buddy Dan; Grace becomes incoming meanwhile, so the buddy changes.
      state = await duringPrepare(() => handle.executeUpdate(overrideUpdate, { args: [{ incoming: 'Grace' }] }));
      assertHandedOver(state, 'Chloe', 'Grace', 'override during prepare');

      // A pause while a handover is prepared: the handover does not happen.
      const key = state.lastHandoverKey;
      state = await duringPrepare(() => handle.executeUpdate(pauseUpdate));
      assert.equal(state.lastHandoverKey, key, 'no handover while paused');
      assert.equal(state.paused, true);
      assert.ok(state.warnings.some((w) => /not done: the rotation is paused/.test(w)));
      await handle.executeUpdate(resumeUpdate);
      assertHandedOver(await handle.executeUpdate(handoverNowUpdate, { args: [{}] }), 'Ava', 'Chloe', 'after resume');
      await recordHistory(handle, 'support-triager-changes-during-prepare');
    }, later);
  });

  it('sends the notice at start when its time has passed, and hands over only at the handover', async () => {
    await bed.close();
    bed = await bedFor('prepare due');
    await withRotation(async (handle, start) => {
      // The prepare step runs by itself: the standup names Chloe (buddy Ben), the calendar holds a year of turns.
      const state = await waitFor('the notice sent at start', async () => {
        const s = await handle.query(stateQuery);
        return s.standupId !== null && s;
      });
      assert.ok(Date.parse(start.nextPrepareAt) < rotationNow(), 'the prepare instant had passed');
      assert.ok(Date.parse(state.nextHandoverAt) > rotationNow(), 'the handover is still ahead');
      assert.deepEqual([state.incoming?.name, state.current?.name, state.next?.name], ['Ben', 'Ava', 'Chloe']);
      assert.deepEqual(state.history, [], 'no handover yet');
      const { users, question } = standup();
      assert.deepEqual(users, [byName('Chloe').id, DEMO_MANAGER.id].sort());
      assert.match(question, new RegExp(`<@${byName('Chloe').id}>.*<@${byName('Ben').id}>`));
      const date = state.nextHandoverAt.slice(0, 10);
      const event = bed.sandbox.calendar.events().find((e) => e.start.date === date && e.status !== 'cancelled');
      assert.equal(event?.summary, 'Support Triager: Chloe');

      // Asked to hand over, the notice already out is not sent again.
      const calls = bed.sandbox.geekbot.calls().length;
      assertHandedOver(await handle.executeUpdate(handoverNowUpdate, { args: [{}] }), 'Chloe', 'Ben', 'handover');
      assert.equal(bed.sandbox.geekbot.calls().length, calls, 'the notice is not written twice');
    });
  });

  it('survives an empty Slack group: no handover and no failed task until members join', async () => {
    await bed.close();
    bed = await bedFor('prepare not yet due', { team: [] });
    await withRotation(
      async (handle, start) => {
        assert.deepEqual(start.members, []);
        assert.equal(start.next, null);
        const date = start.nextHandoverAt.slice(0, 10);
        let state = await handle.executeUpdate(handoverNowUpdate, { args: [{}] });
        assert.deepEqual(state.history, []);
        assert.equal(state.incoming, null);
        assert.ok(
          state.warnings.some((w) => w.includes(`handover support-triager@${date} not done`)),
          state.warnings.join('\n'),
        );
        assert.deepEqual(workflowTaskFailures(await runHistories(env.client, bed.workflowId)), []);

        // Members join the group: the next trigger reads the group again and hands over to the first of them.
        bed.sandbox.setGroup('support-triagers', DEMO_TEAM);
        state = await handle.executeUpdate(handoverNowUpdate, { args: [{}] });
        assert.equal(state.members.length, DEMO_TEAM.length);
        assert.equal(state.history.length, 1);
        assert.equal(state.incoming?.name, 'Ava');
        assert.equal(state.current, null);
        assert.deepEqual(standup().users, [byName('Ava').id, DEMO_MANAGER.id].sort());
        await recordHistory(handle, 'support-triager-empty-group');
      },
      { seed: undefined },
    );
  });

  it('takes the same operations as signals; a bad signal is ignored with a warning', async () => {
    await withRotation(async (handle, start) => {
      await handle.signal(overrideSignal, { incoming: 'Zed' });
      await handle.signal(swapSignal, { first: 'Dan', second: 'Dan' });
      await handle.signal(skipSignal, { member: 'Chloe', next: true });
      await handle.signal(swapSignal, { first: 'Dan', second: 'Finn' });
      await handle.signal(pauseSignal);
      await handle.signal(resumeSignal);
      await handle.signal(handoverNowSignal, { date: 'not-a-date' });
      await handle.signal(handoverNowSignal);
      const state = await waitFor('the signalled handover', async () => {
        const s = await handle.query(stateQuery);
        return s.history.length === 1 && s;
      });
      // Chloe skipped: her place goes to Dan, whose swap hands it to Finn.
      assertHandedOver(state, 'Finn', 'Ben', 'signals');
      assert.equal(state.paused, false);
      const warnings = state.warnings.join('\n');
      assert.match(warnings, /override signal ignored: No member "Zed"/);
      assert.match(warnings, /swap signal ignored: Cannot swap Dan \(U0DAN00004\) with themselves/);
      assert.match(warnings, /handoverNow signal ignored: "not-a-date" is not a date/);
      assert.deepEqual(state.members, start.members);
      await recordHistory(handle, 'support-triager-signals');
    });
  });
});
