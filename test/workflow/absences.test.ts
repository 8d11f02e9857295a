/**
 * The absence check before the notice (issue 17) in the role workflow, on the local dev server: a member out of
 * office for most of their coming turn is skipped before they are told, the next member is named, both are told, and
 * the plan, the state and the fairness ledger show it; a member away a few days is named with those days; a read
 * that fails never skips anyone.
 *
 * Each rotation starts with its notice already due (test/support/clock.ts: the handover three days ahead, the notice
 * 96 hours before it), in schedule mode so no timer hands over while a test runs; Dan incoming and Chloe current, so
 * the notice names Ella, and Finn would stand in. Ella's absences are placed on the working days of that turn.
 */
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { turnWorkingDays } from '../../src/domain/absences';
import { initialState } from '../../src/domain/rotation';
import { addDays } from '../../src/domain/schedule';
import { startDevServer } from '../../src/servers/environments';
import {
  fairnessQuery,
  handoverNowUpdate,
  planQuery,
  type RoleStateView,
  type RoleWorkflowInput,
  type RoleWorkflowState,
} from '../../src/shared';
import type { roleWorkflow } from '../../src/workflows';
import type { SandboxOutOfOffice } from '../../src/sandbox/sandbox';
import {
  byName,
  recordHistory,
  roleBed,
  roleTiming,
  rotationNow,
  runHistories,
  startServer,
  startingStateAt,
  stateOf,
  testSettings,
  waitFor,
  workflowTaskFailures,
  type RoleBed,
  type RoleBedOptions,
} from '../support';

const ROLE = 'support-triager';
const CHANNEL = 'C0SUPPORT1';
const SEED = { incoming: 'Dan', current: 'Chloe' };

describe('role workflow: the absence check before the notice (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let bed: RoleBed | undefined;

  before(async () => {
    env = await startServer('the dev server', () => startDevServer({ resolve: { sdkDownload: false } }));
  });
  after(async () => {
    await env?.teardown();
  });
  afterEach(async () => {
    await bed?.close();
    bed = undefined;
  });

  /** The pending handover's date and its turn's working days, as the rotation will compute them. */
  function comingTurn(): { date: string; workingDays: string[] } {
    const state = startingStateAt(testSettings(bedSettings()), ROLE, SEED, new Date(rotationNow()));
    const date = (state.nextHandoverAt ?? '').slice(0, 10);
    return { date, workingDays: turnWorkingDays({ start: date, end: addDays(date, 14) }) };
  }
  const bedSettings = () => ({
    roles: { [ROLE]: { ...roleTiming('prepare due'), absences: { outOfOffice: true }, slack: { channel: CHANNEL } } },
  });

  /** Ella away (all day) on these working days of her coming turn. */
  const ellaAway = (days: string[]): SandboxOutOfOffice[] =>
    days.map((day) => ({ memberId: byName('Ella').id, start: day, end: addDays(day, 1) }));

  /**
   * Runs `body` with a fresh rotation whose notice names Ella (Dan incoming, Chloe current), under the roster and
   * fairness rules (`fairness`), once the prepare step that is due at start has run.
   */
  async function withRotation(
    options: RoleBedOptions & { before?: (bed: RoleBed) => void },
    body: (handle: WorkflowHandle<typeof roleWorkflow>, state: RoleStateView) => Promise<void> | void,
  ): Promise<void> {
    const made = await roleBed(env, {
      settings: bedSettings(),
      channels: [{ id: CHANNEL, name: 'support-freshdesk' }],
      ...options,
    });
    bed = made;
    options.before?.(made);
    const start = startingStateAt(made.settings, ROLE, SEED, new Date(rotationNow()));
    const state: RoleWorkflowState = {
      ...start,
      rotation: initialState(ROLE, 2, start.rotation.members, start.rotation, { freezeTurns: 2, fairness: 'cycle' }),
    };
    const input: RoleWorkflowInput = { role: ROLE, mode: 'schedule', state };
    const worker = await made.worker();
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start<typeof roleWorkflow>('roleWorkflow', {
        workflowId: made.workflowId,
        taskQueue: made.taskQueue,
        args: [input],
      });
      const prepared = await waitFor('the notice', async () => {
        const view = await stateOf(handle);
        return view.absences ? view : undefined;
      });
      await body(handle, prepared);
      const runs = await runHistories(env.client, made.workflowId);
      assert.deepEqual(workflowTaskFailures(runs), [], 'no workflow task failed');
    });
  }

  const dmsTo = (name: string) => {
    const sandbox = (bed as RoleBed).sandbox;
    return Object.values(sandbox.slack.state.channels)
      .filter((c) => c.is_im && c.user === byName(name).id)
      .flatMap((c) => sandbox.slack.messagesIn(c.id))
      .map((m) => String(m.metadata?.event_payload?.message_kind));
  };
  const standupUsers = () => ((bed as RoleBed).sandbox.geekbot.state.standups[0]?.users ?? []).map((u) => u.id).sort();

  it('an out-of-office week: skipped before the notice, the next member named, both told, the plan shows it', async () => {
    const { date, workingDays } = comingTurn();
    await withRotation({ outOfOffice: ellaAway(workingDays.slice(0, 5)) }, async (handle, state) => {
      assert.deepEqual(
        state.absences?.skipped.map((m) => m.name),
        ['Ella'],
      );
      assert.equal(state.next?.name, 'Finn', 'Finn is named instead');
      assert.ok(
        state.warnings.some((w) =>
          w.startsWith(
            `Ella (U0ELLA0005) is away for 50% of the turn starting ${date} (${state.absences?.findings[0]?.awayDays}): ` +
              'skipped for that turn, Finn (U0FINN0006) is named instead',
          ),
        ),
        state.warnings.join('\n'),
      );
      assert.deepEqual(standupUsers(), [byName('Finn').id, byName('Morgan Manager').id].sort(), 'the standup: Finn');
      assert.deepEqual(dmsTo('Ella'), ['absence-skipped']);
      // Finn gets the notice as every incoming member does, and the cover message saying why it is them.
      assert.deepEqual(dmsTo('Finn'), ['notice-incoming', 'absence-cover']);

      const plan = await handle.query(planQuery, 3);
      assert.deepEqual(
        plan.map((t) => [t.member.name, t.start, t.skipped?.map((s) => [s.member.name, s.reason, Boolean(s.away)])]),
        [
          ['Finn', date, [['Ella', 'absence', true]]],
          ['Ella', addDays(date, 7), undefined],
          ['Grace', addDays(date, 14), undefined],
        ],
        'Ella keeps her place: she serves the turn after',
      );

      const after = await handle.executeUpdate(handoverNowUpdate, { args: [{}] });
      assert.deepEqual([after.incoming?.name, after.current?.name], ['Finn', 'Dan']);
      assert.equal(dmsTo('Ella').length + dmsTo('Finn').length, 3, 'each told once (Finn: the notice and the cover)');
      const fairness = await handle.query(fairnessQuery);
      const ella = fairness.members.find((r) => r.member.name === 'Ella');
      assert.equal(fairness.kept, true);
      assert.deepEqual(ella?.skipped, { absence: 1, operator: 0, left: 0, total: 1 });
      assert.ok((ella?.balance ?? 0) > 0, 'Ella owes the turn she was skipped for');
      await recordHistory(handle, 'support-triager-absence-skip');
    });
  });

  it('away two days: named, and the state and the plan say which days', async () => {
    const { date, workingDays } = comingTurn();
    await withRotation({ outOfOffice: ellaAway(workingDays.slice(0, 2)) }, async (handle, state) => {
      assert.equal(state.next?.name, 'Ella');
      assert.deepEqual(state.absences?.skipped, []);
      const away = state.absences?.findings[0]?.awayDays ?? '';
      assert.match(away, /^\w{3} \d+ \w{3}, \w{3} \d+ \w{3}$/);
      assert.ok(
        state.warnings.includes(
          `Ella (U0ELLA0005) is away during the turn starting ${date}: ${away} (below ` +
            'the skip threshold; the notice says so).',
        ),
        state.warnings.join('\n'),
      );
      const [first] = await handle.query(planQuery, 1);
      assert.deepEqual([first?.member.name, first?.away], ['Ella', away]);
      assert.deepEqual(standupUsers(), [byName('Ella').id, byName('Morgan Manager').id].sort());
      assert.deepEqual(
        [...dmsTo('Ella'), ...dmsTo('Finn')].filter((k) => k.startsWith('absence')),
        [],
      );
    });
  });

  it('a read that fails never skips: no delegation, or the Calendar API answering 500', async () => {
    const { workingDays } = comingTurn();
    const whole = ellaAway(workingDays); // away the whole turn: only a failed read keeps her named
    const failures: [Parameters<typeof withRotation>[0], RegExp][] = [
      [
        {
          outOfOffice: whole,
          // A workspace whose admin never granted the delegation (taken away before the rotation reads).
          before: (made) => made.sandbox.calendar.withholdDelegation(made.sandbox.emails[byName('Ella').id]!),
        },
        /no domain-wide delegation for ella@example\.test/,
      ],
      [
        {
          outOfOffice: whole,
          faults: {
            calendar: {
              script: [{ match: 'GET /calendar/v3/calendars/primary/events', kind: 'serverError', times: 1000 }],
            },
          },
        },
        /Calendar API unavailable \(HTTP 500\)/,
      ],
    ];
    for (const [options, cause] of failures) {
      await withRotation(options, (_handle, state) => {
        assert.equal(state.next?.name, 'Ella', `${cause}: named as planned`);
        assert.deepEqual(state.absences?.skipped, []);
        assert.equal(state.absences?.findings[0]?.kind, 'unknown');
        assert.ok(
          state.warnings.some((w) => /could not be read, so they were not skipped/.test(w) && cause.test(w)),
          state.warnings.join('\n'),
        );
        assert.deepEqual(standupUsers(), [byName('Ella').id, byName('Morgan Manager').id].sort(), 'the notice');
      });
      await bed?.close();
      bed = undefined;
    }
  });
});
