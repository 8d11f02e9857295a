/**
 * The Calendar API failing the absence check's out-of-office read (issue 17), on the local dev server: a member away
 * for their whole coming turn, whose out-of-office list Google answers with a 503 every time, or with a 403 (the
 * Calendar API refusing the read). Nobody is skipped: the notice goes out as planned (the standup and the calendar
 * name the member), the state warns with the cause, nobody gets an absence message, and the handover hands the turn
 * to that member. A 503 that passes within the quick retries reads the absence after all and skips as usual.
 *
 * The rotation starts with its notice due (Dan incoming, Chloe current: the notice names Ella, Finn would stand in),
 * in schedule mode so no timer hands over while the test runs.
 */
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { turnWorkingDays } from '../../src/domain/absences';
import { initialState } from '../../src/domain/rotation';
import { addDays } from '../../src/domain/schedule';
import type { ScriptedFault } from '../../src/sandbox/http';
import { startDevServer } from '../../src/servers/environments';
import { handoverNowUpdate, type RoleStateView, type RoleWorkflowInput } from '../../src/shared';
import type { roleWorkflow } from '../../src/workflows';
import {
  byName,
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
} from '../support';

const ROLE = 'support-triager';
const SEED = { incoming: 'Dan', current: 'Chloe' };
const OUT_OF_OFFICE_LIST = 'GET /calendar/v3/calendars/primary/events';
const settingsOverlay = {
  roles: {
    [ROLE]: { ...roleTiming('prepare due'), absences: { outOfOffice: true }, slack: { channel: 'C0SUPPORT1' } },
  },
};

describe('faults: the Calendar API failing the out-of-office read before the notice (dev server)', function () {
  this.timeout(60_000);
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

  /** The coming turn's date, and Ella away (all day) on every working day of it. */
  function ellaAwayAllTurn() {
    const state = startingStateAt(testSettings(settingsOverlay), ROLE, SEED, new Date(rotationNow()));
    const date = (state.nextHandoverAt ?? '').slice(0, 10);
    const days = turnWorkingDays({ start: date, end: addDays(date, 14) });
    return {
      date,
      outOfOffice: days.map((day) => ({ memberId: byName('Ella').id, start: day, end: addDays(day, 1) })),
    };
  }

  /**
   * A rotation whose notice names Ella, with the out-of-office list answering `fault`; `body` gets the state once
   * the prepare step has run, then the rotation hands over.
   */
  async function prepareWith(
    fault: ScriptedFault,
    body: (state: RoleStateView, date: string) => void,
  ): Promise<RoleStateView> {
    const { date, outOfOffice } = ellaAwayAllTurn();
    bed = await roleBed(env, {
      settings: settingsOverlay,
      channels: [{ id: 'C0SUPPORT1', name: 'support-freshdesk' }],
      outOfOffice,
      faults: { calendar: { script: [fault] } },
    });
    const made = bed;
    const start = startingStateAt(made.settings, ROLE, SEED, new Date(rotationNow()));
    const input: RoleWorkflowInput = {
      role: ROLE,
      mode: 'schedule',
      state: { ...start, rotation: initialState(ROLE, 2, start.rotation.members, start.rotation) },
    };
    const worker = await made.worker();
    return worker.runUntil(async () => {
      const handle = await env.client.workflow.start<typeof roleWorkflow>('roleWorkflow', {
        workflowId: made.workflowId,
        taskQueue: made.taskQueue,
        args: [input],
      });
      const prepared = await waitFor('the notice', async () => {
        const view = await stateOf(handle);
        return view.absences ? view : undefined;
      });
      const reads = made.sandbox.calendar.requests.filter((r) => `${r.method} ${r.path}` === OUT_OF_OFFICE_LIST);
      assert.ok(reads.length > 0 && reads.some((r) => r.fault), 'the out-of-office read was made and failed');
      body(prepared, date);
      const after = await handle.executeUpdate(handoverNowUpdate, { args: [{}] });
      const runs = await runHistories(env.client, made.workflowId);
      assert.deepEqual(workflowTaskFailures(runs), [], 'no workflow task failed');
      return after;
    });
  }

  const absenceMessages = () => {
    const slack = (bed as RoleBed).sandbox.slack;
    return Object.values(slack.state.channels)
      .filter((c) => c.is_im)
      .flatMap((c) => slack.messagesIn(c.id))
      .map((m) => String(m.metadata?.event_payload?.message_kind))
      .filter((kind) => kind.startsWith('absence'));
  };
  const standupUsers = () => ((bed as RoleBed).sandbox.geekbot.state.standups[0]?.users ?? []).map((u) => u.id).sort();
  const calendarSummaryOn = (date: string) =>
    (bed as RoleBed).sandbox.calendar.events().find((e) => e.start.date === date)?.summary;

  const persistent: [string, ScriptedFault, RegExp][] = [
    ['a 503 every time', { match: OUT_OF_OFFICE_LIST, kind: 'serverError', status: 503, times: 1000 }, /HTTP 503/],
    [
      'a 403 (the API refusing the read)',
      { match: OUT_OF_OFFICE_LIST, kind: 'serverError', status: 403, reason: 'forbidden', times: 1000 },
      /refused to read ella@example\.test's calendar \(forbidden/,
    ],
  ];
  for (const [what, fault, cause] of persistent) {
    it(`${what}: nobody is skipped, the notice goes out as planned with a warning naming the cause`, async () => {
      const after = await prepareWith(fault, (state, date) => {
        assert.equal(state.next?.name, 'Ella', 'named as planned');
        assert.deepEqual(state.absences?.skipped, []);
        assert.equal(state.absences?.findings[0]?.kind, 'unknown');
        assert.ok(
          state.warnings.some((w) => /could not be read, so they were not skipped/.test(w) && cause.test(w)),
          state.warnings.join('\n'),
        );
        assert.equal(state.lastError, null, 'the notice itself did not fail');
        assert.deepEqual(standupUsers(), [byName('Ella').id, byName('Morgan Manager').id].sort(), 'the standup');
        assert.equal(calendarSummaryOn(date), 'Support Triager: Ella', 'the calendar');
        assert.deepEqual(absenceMessages(), [], 'nobody told of a skip that did not happen');
      });
      assert.equal(after.incoming?.name, 'Ella', 'Ella takes the turn');
    });
  }

  it('a 503 that passes within the quick retries: the absence is read after all, and Ella is skipped', async () => {
    const fault: ScriptedFault = { match: OUT_OF_OFFICE_LIST, kind: 'serverError', status: 503, times: 1 };
    const after = await prepareWith(fault, (state) => {
      assert.deepEqual(
        state.absences?.skipped.map((m) => m.name),
        ['Ella'],
      );
      assert.equal(state.next?.name, 'Finn');
      assert.deepEqual(absenceMessages().sort(), ['absence-cover', 'absence-skipped']);
    });
    assert.equal(after.incoming?.name, 'Finn');
  });
});
