/**
 * The one-off jobs (the old scripts) as an operator runs them: the CLI starts a short workflow on the worker, shows
 * its preview, asks (or takes --yes / --dry-run) and follows its progress. Checked end to end against the dev server
 * and the fakes: output, exit code, and what the fake Calendar and Geekbot hold afterwards.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { roleWorkflowId, TASK_QUEUE } from '../../src/shared';
import type { jobWorkflow } from '../../src/workflows';
import {
  cancelJobUpdate,
  jobPreviewQuery,
  jobWorkflowId,
  type JobPreview,
  type JobResult,
} from '../../src/workflows/jobs-shared';
import type { FakeCalendarEvent } from '../../src/sandbox/calendar';
import { DEMO_MANAGER } from '../../src/sandbox/sandbox';
import { rotationNow, startingStateAt, stateOf } from '../support';
import { assertError, assertOk, startCliBed, tableFields, tableRows, type CliBed } from './bed';

const ROLE = 'support-triager';

type Events = 'create-next-event' | 'create-bulk-events';

interface JobJson<K extends JobResult['kind']> {
  workflowId: string;
  preview: Extract<JobPreview, { kind: K }>;
  result: Extract<JobResult, { kind: K }> | null;
}

describe('team-roles jobs (CLI against the dev server)', function () {
  this.timeout(120_000);
  let bed: CliBed;

  before(async function () {
    this.timeout(300_000);
    bed = await startCliBed();
    await bed.reset();
  });
  after(() => bed?.close());

  /** The role's live events starting within [from, to], as "start member" lines. */
  const events = (from: string, to = '9999') =>
    bed.sandbox.calendar
      .events()
      .filter(
        (e: FakeCalendarEvent) =>
          e.status !== 'cancelled' && (e.start.date ?? '') >= from && (e.start.date ?? '') <= to,
      )
      .map((e) => `${e.start.date} ${e.end.date} ${e.summary}`)
      .sort();

  describe('list-members', () => {
    it('lists the group through the worker: a table, or --json as the old script printed it', async () => {
      const [human, json, unknown] = await Promise.all([
        bed.cli(['list-members', 'support-triagers']),
        bed.cli(['list-members', 'support-triagers', '--json']),
        bed.cli(['list-members', 'support-triager']),
      ]);
      assertOk(human);
      assert.deepEqual(tableRows(human.stdout).slice(1, 3), [
        ['1', 'Ava', 'U0AVA00001'],
        ['2', 'Ben', 'U0BEN00002'],
      ]);
      assertOk(json);
      // The old script's dictionary (display name to Slack ID, in order), as the CLI prints every --json document.
      assert.equal(
        json.stdout,
        `${JSON.stringify({ Ava: 'U0AVA00001', Ben: 'U0BEN00002', Chloe: 'U0CHLOE003', Dan: 'U0DAN00004', Ella: 'U0ELLA0005', Finn: 'U0FINN0006', Grace: 'U0GRACE007' }, null, 2)}\n`,
      );
      assertError(
        unknown,
        2,
        /No Slack user group with handle "support-triager"\. Existing handles: meeting-facilitators, support-triagers\./,
      );
    });
  });

  describe('create-bulk-events', () => {
    it('-d/-m --dry-run shows the events (aligned to a Wednesday, with a warning) and changes nothing', async () => {
      const outcome = await bed.cli([
        'create-bulk-events',
        ROLE,
        '-n',
        '4',
        '-d',
        '2030-01-01',
        '--first',
        'Ben',
        '--dry-run',
      ]);
      assertOk(outcome);
      assert.match(outcome.stdout, /starting 2030-01-02 with Ben, as asked:/);
      // The old scripts' -m is who serves now: the same events start with the member after Ben.
      const old = await bed.cli(['create-bulk-events', ROLE, '-n', '2', '-d', '2030-01-01', '-m', 'Ben', '--dry-run']);
      assertOk(old);
      assert.match(old.stdout, /starting 2030-01-02 after Ben, who serves now: Chloe takes the first event:/);
      assert.deepEqual(tableRows(old.stdout).slice(1), [
        ['1', 'Chloe (U0CHLOE003)', '2030-01-02', '2030-01-16', 'create'],
        ['2', 'Dan (U0DAN00004)', '2030-01-09', '2030-01-23', 'create'],
      ]);
      assertError(
        await bed.cli(['create-bulk-events', ROLE, '-d', '2030-01-01', '-m', 'Ben', '--first', 'Chloe', '--dry-run']),
        2,
        /-m\/--team-member \(who serves now\) and --first \(who takes the first event\) say the same thing two ways/,
      );
      assert.deepEqual(tableRows(outcome.stdout).slice(1), [
        ['1', 'Ben (U0BEN00002)', '2030-01-02', '2030-01-16', 'create'],
        ['2', 'Chloe (U0CHLOE003)', '2030-01-09', '2030-01-23', 'create'],
        ['3', 'Dan (U0DAN00004)', '2030-01-16', '2030-01-30', 'create'],
        ['4', 'Ella (U0ELLA0005)', '2030-01-23', '2030-02-06', 'create'],
      ]);
      assert.match(
        outcome.stdout,
        /warning: 2030-01-01 is not a handover date: starting on the next one, 2030-01-02\./,
      );
      assert.match(outcome.stdout, /Dry run: nothing was changed\.\n$/);
      assert.deepEqual(events('2030'), []);
    });

    it('--yes creates them; a second run creates nothing twice; another member replaces them in place', async () => {
      const args = ['create-bulk-events', ROLE, '-n', '4', '-d', '2030-01-02', '--first', 'Ben', '--yes'];
      const first = await bed.cli([...args, '--json']);
      assertOk(first);
      const job = JSON.parse(first.stdout) as JobJson<Events>;
      assert.deepEqual(job.result, {
        kind: 'create-bulk-events',
        outcome: 'done',
        created: 4,
        repaired: 0,
        unchanged: 0,
      });
      assert.deepEqual(events('2030'), [
        '2030-01-02 2030-01-16 Support Triager: Ben',
        '2030-01-09 2030-01-23 Support Triager: Chloe',
        '2030-01-16 2030-01-30 Support Triager: Dan',
        '2030-01-23 2030-02-06 Support Triager: Ella',
      ]);
      // The job ran on the worker as a workflow of its own, and completed with that result.
      assert.match(job.workflowId, /^team-roles\/jobs\/create-bulk-events\/support-triager\/[0-9a-f-]{36}$/);
      const jobHandle = bed.env.client.workflow.getHandle(job.workflowId);
      assert.equal((await jobHandle.describe()).status.name, 'COMPLETED');
      assert.deepEqual(await jobHandle.result(), job.result);

      const second = await bed.cli(args);
      assertOk(second);
      assert.deepEqual(
        tableRows(second.stdout)
          .slice(1)
          .map((row) => row[4]),
        ['already there', 'already there', 'already there', 'already there'],
      );
      assert.match(second.stdout, /All 4 event\(s\) are already in the calendar: nothing to do\.\n$/);
      assert.equal(events('2030').length, 4);

      const replaced = await bed.cli([
        'create-bulk-events',
        ROLE,
        '-n',
        '2',
        '-d',
        '2030-01-02',
        '--first',
        'Dan',
        '--yes',
      ]);
      assertOk(replaced);
      assert.deepEqual(
        tableRows(replaced.stdout)
          .slice(1)
          .map((row) => row[4]),
        ['replace Ben', 'replace Chloe'],
      );
      assert.match(replaced.stdout, /Created 0 event\(s\), updated 2, 0 already there\.\n$/);
      assert.deepEqual(events('2030').slice(0, 2), [
        '2030-01-02 2030-01-16 Support Triager: Dan',
        '2030-01-09 2030-01-23 Support Triager: Ella',
      ]);
    });

    it('without -d/-m continues after the last event; create-next-event adds the one after', async () => {
      const outcome = await bed.cli(['create-bulk-events', ROLE, '-n', '2', '--yes', '--json']);
      assertOk(outcome);
      const job = JSON.parse(outcome.stdout) as JobJson<Events>;
      assert.match(job.preview.basis, /continuing after the last event, "Support Triager: Ella" starting 2030-01-23/);
      assert.deepEqual(
        job.preview.turns.map((t) => `${t.start} ${t.member.name}`),
        ['2030-01-30 Finn', '2030-02-06 Grace'],
      );
      const next = await bed.cli(['create-next-event', ROLE, '--yes']);
      assertOk(next);
      assert.match(next.stdout, /Created 1 event\(s\), updated 0, 0 already there\./);
      assert.deepEqual(events('2030-01-30'), [
        '2030-01-30 2030-02-13 Support Triager: Finn',
        '2030-02-06 2030-02-20 Support Triager: Grace',
        '2030-02-13 2030-02-27 Support Triager: Ava',
      ]);
    });

    it("defaults to a year's worth: 52 weekly events (with progress), 12 monthly ones", async () => {
      const [weekly, monthly] = await Promise.all([
        bed.cli(['create-bulk-events', ROLE, '-d', '2034-01-04', '--first', 'Ava', '--yes', '--json']),
        bed.cli([
          'create-bulk-events',
          'meeting-facilitator',
          '-d',
          '2034-01-15',
          '--first',
          'Ava',
          '--dry-run',
          '--json',
        ]),
      ]);
      assertOk(weekly);
      const job = JSON.parse(weekly.stdout) as JobJson<Events>;
      assert.equal(job.preview.turns.length, 52);
      assert.equal(job.result?.created, 52);
      assert.equal(events('2034-01-01', '2034-12-31').length, 52);
      assertOk(monthly);
      const plan = JSON.parse(monthly.stdout) as JobJson<Events>;
      assert.equal(plan.preview.turns.length, 12);
      assert.equal(plan.preview.turns[0]?.start, '2034-02-01', 'moved to the handover day (the 1st)');
      assert.equal(plan.result, null);
    });

    it('with no events and no running rotation it starts from today with the first member', async () => {
      await bed.reset();
      const today = new Date().toISOString().slice(0, 10);
      const outcome = await bed.cli(['create-bulk-events', ROLE, '-n', '1', '--dry-run', '--json']);
      assertOk(outcome);
      const job = JSON.parse(outcome.stdout) as JobJson<Events>;
      const [turn] = job.preview.turns;
      assert.equal(turn?.member.name, 'Ava');
      assert.ok(turn.start >= today && new Date(`${turn.start}T00:00:00Z`).getUTCDay() === 3, turn.start);
      assert.match(job.preview.basis, /no running rotation: starting with the first member/);
      assert.deepEqual(events('0000'), []);
    });
  });

  describe('delete-bulk-events', () => {
    it("shows what it would delete, deletes from the date on only (old scripts' events too), then nothing", async () => {
      assertOk(await bed.cli(['create-bulk-events', ROLE, '-n', '5', '-d', '2031-01-01', '--first', 'Ava', '--yes']));
      bed.sandbox.calendar.seedEvent({ summary: 'Support Steward: Ben', start: '2031-03-05', end: '2031-03-19' });
      const before = events('2031');
      assert.equal(before.length, 6);

      const dry = await bed.cli(['delete-bulk-events', ROLE, '-d', '2031-01-20', '--dry-run']);
      assertOk(dry);
      assert.deepEqual(
        tableRows(dry.stdout)
          .slice(1)
          .map((row) => `${row[2]} ${row[1]} ${row[4]}`),
        [
          '2031-01-22 Support Triager: Dan team-roles',
          '2031-01-29 Support Triager: Ella team-roles',
          '2031-03-05 Support Steward: Ben old scripts',
        ],
      );
      assert.deepEqual(events('2031'), before);

      const done = await bed.cli(['delete-bulk-events', ROLE, '-d', '2031-01-20', '--yes']);
      assertOk(done);
      assert.match(done.stdout, /Deleted 3 event\(s\)\.\n$/);
      assert.deepEqual(events('2031'), before.slice(0, 3));

      const again = await bed.cli(['delete-bulk-events', ROLE, '-d', '2031-01-20', '--yes']);
      assertOk(again);
      assert.match(again.stdout, /none\.\nNothing to delete\.\n$/);
    });
  });

  describe('bad input changes nothing', () => {
    it('-d without -m, a date that is not a date, a bad count, an unknown member: exit 2', async () => {
      const before = events('0000');
      const outcomes = await Promise.all([
        bed.cli(['create-bulk-events', ROLE, '-d', '2032-01-07', '--yes']),
        bed.cli(['create-bulk-events', ROLE, '-m', 'Ben', '--yes']),
        bed.cli(['create-bulk-events', ROLE, '-d', '2032-13-07', '-m', 'Ben', '--yes']),
        bed.cli(['create-bulk-events', ROLE, '-n', '0', '--yes']),
        bed.cli(['create-bulk-events', ROLE, '-d', '2032-01-07', '-m', 'Bne', '--yes']),
        bed.cli(['delete-bulk-events', ROLE, '-d', 'yesterday', '--yes']),
      ]);
      const [noMember, noDate, notADate, zero, unknown, deleteDate] = outcomes;
      assertError(noMember, 2, /-d\/--date and -m\/--team-member \(or --first\) go together: give both/);
      assertError(noDate, 2, /-d\/--date and -m\/--team-member \(or --first\) go together/);
      assertError(notADate, 2, /--date: "2032-13-07" is not a date \(expected YYYY-MM-DD/);
      assertError(zero, 2, /--n-events must be a whole number from 1 to 520 \(got "0"\)/);
      assertError(
        unknown,
        2,
        /The create-bulk-events job failed: No member "Bne" .*Did you mean Ben \(U0BEN00002\)\?.*team-roles list-members support-triagers/,
      );
      assertError(deleteDate, 2, /--date: "yesterday" is not a date/);
      assert.deepEqual(events('0000'), before);
    });

    it('without --yes on a non-terminal: refuses (exit 2) before starting anything, saying to pass --yes or --dry-run', async () => {
      const before = events('0000');
      const outcomes = await Promise.all([
        bed.cli(['create-bulk-events', ROLE, '-n', '1']),
        bed.cli(['create-next-event', ROLE]),
        bed.cli(['delete-bulk-events', ROLE]),
        bed.cli(['create-standup', ROLE]),
      ]);
      for (const outcome of outcomes) {
        assertError(
          outcome,
          2,
          /asks for confirmation but stdin is not a terminal: pass --yes to go ahead, or --dry-run/,
        );
      }
      assert.deepEqual(events('0000'), before);
    });
  });

  describe('on a terminal', () => {
    it('asks, "no" by default: Enter changes nothing, "y" goes ahead with a progress bar', async function () {
      const args = ['create-bulk-events', ROLE, '-n', '3', '-d', '2035-01-03', '--first', 'Ava'];
      const declined = bed.cliOnTerminal(args, '\r');
      if (!declined) return this.skip(); // no `script` on this machine
      const no = await declined;
      assert.equal(no.code, 0, no.stdout);
      assert.match(no.stdout, /Write 3 event\(s\) to the calendar\? \(y\/N\)/);
      assert.match(no.stdout, /Nothing was changed\./);
      assert.deepEqual(events('2035'), []);

      const yes = await bed.cliOnTerminal(args, 'y\r')!;
      assert.equal(yes.code, 0, yes.stdout);
      assert.match(yes.stdout, /3\/3/, 'the progress bar reached the total');
      assert.match(yes.stdout, /Created 3 event\(s\), updated 0, 0 already there\./);
      assert.equal(events('2035').length, 3);
    });
  });

  describe('the job workflow', () => {
    it('waits for confirm: cancel ends it without changes', async () => {
      const handle = await bed.env.client.workflow.start<typeof jobWorkflow>('jobWorkflow', {
        workflowId: jobWorkflowId('create-bulk-events', ROLE, randomUUID()),
        taskQueue: TASK_QUEUE,
        args: [{ kind: 'create-bulk-events', role: ROLE, count: 2, start: { date: '2036-01-02', member: 'Ava' } }],
      });
      let preview: JobPreview | null = null;
      for (let i = 0; i < 100 && !preview; i++) {
        preview = await handle.query(jobPreviewQuery);
        if (!preview) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(preview?.kind, 'create-bulk-events');
      await handle.executeUpdate(cancelJobUpdate);
      const result = await handle.result();
      assert.deepEqual(result, {
        kind: 'create-bulk-events',
        outcome: 'cancelled',
        created: 0,
        repaired: 0,
        unchanged: 0,
      });
      assert.deepEqual(events('2036'), []);
    });
  });

  describe('create-standup', () => {
    it('needs a running rotation, then points the standup at whom the last notice named, as the old script did', async () => {
      await bed.reset();
      assertError(await bed.cli(['create-standup', ROLE, '--yes']), 1, /not running: start it with `team-roles start/);

      // Its next handover more than a week ahead: the rotation's own notice is not due, so it leaves the standup alone.
      const inAWeek = new Date(rotationNow() + 7 * 86_400_000);
      const rotation = await bed.env.client.workflow.start('roleWorkflow', {
        workflowId: roleWorkflowId(ROLE),
        taskQueue: TASK_QUEUE,
        args: [
          { role: ROLE, state: startingStateAt(bed.settings, ROLE, { incoming: 'Ben', current: 'Ava' }, inAWeek) },
        ],
      });
      const state = await stateOf(rotation);
      // Relative to now, not to the day of the week: after the prepare instant the notice for the next handover is
      // out (it names Chloe, buddy Ben); before it, the standup still greets Ben (buddy Ava).
      const noticeOut = rotationNow() >= Date.parse(state.nextPrepareAt);
      const [greets, buddy] = noticeOut ? ['Chloe', 'Ben'] : ['Ben', 'Ava'];
      const ids: Record<string, string> = { Ava: 'U0AVA00001', Ben: 'U0BEN00002', Chloe: 'U0CHLOE003' };
      const dry = await bed.cli(['create-standup', ROLE, '--dry-run']);
      assertOk(dry);
      const shown = tableFields(dry.stdout);
      assert.equal(shown.Greets, `${greets} (${ids[greets]})`);
      assert.equal(shown.Buddy, `${buddy} (${ids[buddy]})`);
      assert.equal(shown.Channel, '#support-freshdesk');

      const outcome = await bed.cli(['create-standup', ROLE, '--yes']);
      assertOk(outcome);
      // After the prepare instant the rotation itself has pointed the standup at Chloe already.
      assert.match(outcome.stdout, new RegExp(`Standup #\\d+ (created|updated|unchanged) for ${greets}\\.\n$`));
      const standup = bed.sandbox.geekbot.state.standups.find((s) => s.name === 'SupportTriager');
      assert.ok(standup);
      assert.deepEqual(standup.users.map((u) => u.id).sort(), [ids[greets], DEMO_MANAGER.id].sort());
      assert.match(standup.questions[0]!.text, new RegExp(`<@${ids[greets]}>`));
      assert.match(standup.questions[0]!.text, new RegExp(`<@${ids[buddy]}>`));
      await rotation.terminate('test done');
    });
  });
});
