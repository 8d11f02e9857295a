/**
 * The rotation commands as an operator runs them: `team-roles` as a child process against a real dev server, a
 * worker on task queue team-roles and the fake Slack, Geekbot and Calendar. Each test checks the output, the exit
 * code and the resulting state (queried from the workflow or read from the fakes). The support triager hands over
 * three days from now with its notice a day before (test/support/clock.ts): the rotations the CLI starts run on
 * their timers, and nothing is due by the clock while the tests run.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/common';
import { roleWorkflowId, stateQuery, TeamRoleAttribute, type RoleStateView } from '../../src/shared';
import { DEMO_MANAGER, DEMO_TEAM } from '../../src/sandbox/sandbox';
import { roleTiming, weekdayOf } from '../support';
import { assertError, assertOk, startCliBed, tableFields, tableRows, type CliBed } from './bed';

const ROLE = 'support-triager';
const TIMING = roleTiming('prepare not yet due');
const byName = (name: string) => DEMO_TEAM.find((m) => m.name === name)!;

describe('team-roles rotation commands (CLI against the dev server)', function () {
  this.timeout(120_000);
  let bed: CliBed;
  let dir: string;
  /** A TEAM_ROLES_CONFIG for the CLI naming the same standup manager as the worker's configuration. */
  let config: Record<string, string>;

  before(async function () {
    this.timeout(300_000);
    bed = await startCliBed({ settings: { roles: { [ROLE]: TIMING } } });
    dir = mkdtempSync(path.join(tmpdir(), 'team-roles-cli-'));
    config = { TEAM_ROLES_CONFIG: bed.configFile({ standupManager: DEMO_MANAGER }) };
  });
  after(async () => {
    await bed?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const handle = () => bed.env.client.workflow.getHandle(roleWorkflowId(ROLE));
  const state = () => handle().query(stateQuery);

  describe('start', () => {
    before(() => bed.reset());

    it('resolves --incoming/--current through Slack (a job on the worker) and starts the rotation', async () => {
      const outcome = await bed.cli(
        ['start', ROLE, '--incoming', 'ben', '--current', 'U0AVA00001', '--standup-manager', 'Morgan Manager'],
        config,
      );
      assertOk(outcome);
      assert.match(outcome.stdout, /^Started team-roles\/support-triager\.\n/);
      assert.equal(outcome.stderr, '', 'the standup manager matches the configuration: no warning');
      const rows = tableFields(outcome.stdout);
      assert.equal(rows.Incoming, 'Ben (U0BEN00002)');
      assert.equal(rows.Current, 'Ava (U0AVA00001)');
      assert.equal(rows.Next, 'Chloe (U0CHLOE003)');

      const now = await state();
      assert.deepEqual(now.incoming, byName('Ben'));
      assert.deepEqual(now.current, byName('Ava'));
      const description = await handle().describe();
      assert.equal(description.status.name, 'RUNNING');
      assert.equal(description.typedSearchAttributes.get(TeamRoleAttribute), ROLE);
      // The names were resolved by a list-members job, visible as a workflow of its own.
      const jobs = bed.env.client.workflow.list({ query: `WorkflowType = 'jobWorkflow'` });
      const ids: string[] = [];
      for await (const job of jobs) ids.push(job.workflowId);
      assert.ok(
        ids.some((id) => id.startsWith('team-roles/jobs/list-members/support-triagers/')),
        ids.join(),
      );
    });

    it('a second start reports the running rotation and starts nothing', async () => {
      const before = await handle().describe();
      const outcome = await bed.cli(['start', ROLE, '--incoming', 'Dan'], config);
      assertOk(outcome);
      assert.match(
        outcome.stdout,
        /already running \(team-roles\/support-triager, started .*\): nothing was started\./,
      );
      assert.match(outcome.stderr, /who serves was not changed: use `team-roles override/);
      assert.equal((await handle().describe()).runId, before.runId);
      assert.deepEqual((await state()).incoming, byName('Ben'));

      const json = await bed.cli(['start', ROLE, '--json'], config);
      assertOk(json);
      const parsed = JSON.parse(json.stdout) as { started: boolean; workflowId: string; state: RoleStateView };
      assert.equal(parsed.started, false);
      assert.equal(parsed.workflowId, 'team-roles/support-triager');
    });
  });

  describe('reading', () => {
    it('status prints who serves and when; --json prints the state query result', async () => {
      const [human, json] = await Promise.all([bed.cli(['status', ROLE]), bed.cli(['status', ROLE, '--json'])]);
      assertOk(human);
      assert.match(human.stdout, /^Support Triager \(support-triager\): running, handovers on the workflow's timer\./);
      const rows = tableFields(human.stdout);
      assert.equal(rows.Incoming, 'Ben (U0BEN00002)');
      assert.match(
        rows['Next handover'] ?? '',
        new RegExp(`^\\d{4}-\\d\\d-\\d\\d 10:00 UTC, ${TIMING.handoverWeekday}`),
      );
      assert.equal(rows.Paused, 'no');
      assert.equal(rows['Members (7)'], 'Ava, Ben, Chloe, Dan, Ella, Finn, Grace');
      // Which outside services the run's worker has on (the bed configures all but the Slack messages and group).
      assert.equal(rows.Services, 'slack members on, geekbot on, slack messages off, on-duty group off, calendar on');

      assertOk(json);
      assert.deepEqual(JSON.parse(json.stdout), await state());
    });

    it('status without a role summarises every configured role', async () => {
      const [human, json] = await Promise.all([bed.cli(['status']), bed.cli(['status', '--json'])]);
      assertOk(human);
      const rows = tableRows(human.stdout);
      assert.deepEqual(rows[0]?.slice(0, 5), ['Role', 'Status', 'Incoming', 'Current', 'Next']);
      assert.deepEqual(rows[1]?.slice(0, 5), [
        ROLE,
        'running',
        'Ben (U0BEN00002)',
        'Ava (U0AVA00001)',
        'Chloe (U0CHLOE003)',
      ]);
      assert.deepEqual(rows[2]?.slice(0, 2), ['meeting-facilitator', 'not running']);
      const parsed = JSON.parse(json.stdout) as Record<string, RoleStateView | null>;
      assert.equal(parsed['meeting-facilitator'], null);
      assert.deepEqual(parsed[ROLE]?.incoming, byName('Ben'));
    });
  });

  describe('changes (updates)', () => {
    it('override sets who serves; an unknown member is refused with close matches and changes nothing', async () => {
      const [bad, badCurrent] = await Promise.all([
        bed.cli(['override', ROLE, '--incoming', 'Bne']),
        bed.cli(['override', ROLE, '--current', 'Nobody At All']),
      ]);
      assertError(bad, 2, /refused the override: No member "Bne" .*Did you mean Ben \(U0BEN00002\)\?/);
      assertError(badCurrent, 2, /No member "Nobody At All"/);
      assert.deepEqual((await state()).incoming, byName('Ben'));

      const good = await bed.cli(['override', ROLE, '--incoming', 'Dan', '--json']);
      assertOk(good);
      const view = JSON.parse(good.stdout) as RoleStateView;
      assert.deepEqual(view.incoming, byName('Dan'));
      assert.deepEqual((await state()).incoming, byName('Dan'));
      assert.deepEqual((await state()).next, byName('Ella'));

      assertError(await bed.cli(['override', ROLE]), 2, /override needs --incoming NAME and\/or --current NAME/);
    });

    it('skip: --next, a date range; bad dates and mixed forms are usage errors that change nothing', async () => {
      const [notADate, both, neither, past] = await Promise.all([
        bed.cli(['skip', ROLE, 'Ella', '--from', '2030-02-30']),
        bed.cli(['skip', ROLE, 'Ella', '--from', '2030-02-01', '--next']),
        bed.cli(['skip', ROLE, 'Ella']),
        bed.cli(['skip', ROLE, 'Ella', '--from', '2020-01-01', '--to', '2020-01-31']),
      ]);
      assertError(notADate, 2, /--from: "2030-02-30" is not a date \(expected YYYY-MM-DD/);
      assertError(both, 2, /either --from\/--to dates or --next, not both/);
      assertError(neither, 2, /skip needs --from DATE --to DATE, or --next/);
      assertError(past, 2, /refused the skip of Ella: Skip range 2020-01-01\.\.2020-01-31 is in the past/);
      assert.deepEqual((await state()).next, byName('Ella'));

      const next = await bed.cli(['skip', ROLE, 'Ella', '--next']);
      assertOk(next);
      assert.match(next.stdout, /^Done: the skip of Ella\./);
      assert.deepEqual((await state()).next, byName('Finn'), 'Ella skips her next turn: Finn is next');

      assertOk(await bed.cli(['skip', ROLE, 'Grace', '--from', '2030-01-01', '--to', '2030-01-31']));
    });

    it('swap: two members exchange their next turns; a second swap for them is refused', async () => {
      const outcome = await bed.cli(['swap', ROLE, 'Finn', 'Chloe']);
      assertOk(outcome);
      assert.deepEqual((await state()).next, byName('Chloe'), "Chloe takes Finn's turn");
      assertError(await bed.cli(['swap', ROLE, 'Finn', 'Chloe']), 2, /already have a pending swap/);
      assertError(await bed.cli(['swap', ROLE, 'Finn', 'Fin']), 2, /No member "Fin".*Did you mean Finn/);
    });

    it('pause and resume; handover-now on a paused rotation is refused (exit 1)', async () => {
      const paused = await bed.cli(['pause', ROLE]);
      assertOk(paused);
      assert.equal(tableFields(paused.stdout).Paused, 'yes');
      assert.equal((await state()).paused, true);
      assertError(
        await bed.cli(['handover-now', ROLE]),
        1,
        /refused the handover: The rotation is paused: resume it first\./,
      );
      assertOk(await bed.cli(['resume', ROLE]));
      assert.equal((await state()).paused, false);
    });

    it('handover-now: incoming becomes current, the standup greets the new incoming, the calendar holds the turns', async () => {
      const before = await state();
      const outcome = await bed.cli(['handover-now', ROLE, '--json']);
      assertOk(outcome);
      const after = JSON.parse(outcome.stdout) as RoleStateView;
      assert.deepEqual(after.current, before.incoming);
      assert.deepEqual(after.incoming, before.next);
      assert.deepEqual(await state(), after);

      const [standup] = bed.sandbox.geekbot.state.standups;
      assert.ok(standup, 'a standup was created');
      assert.deepEqual(standup.users.map((u) => u.id).sort(), [after.incoming!.id, DEMO_MANAGER.id].sort());
      const events = bed.sandbox.calendar.events().filter((e) => e.start.date === after.history.at(-1)?.start);
      assert.equal(events[0]?.summary, `Support Triager: ${after.incoming!.name}`);

      assertError(await bed.cli(['handover-now', ROLE, '--date', 'next week']), 2, /--date: "next week" is not a date/);
    });

    it('refresh-members picks up someone who joined the Slack group', async () => {
      const hana = { id: 'U0HANA0008', name: 'Hana' };
      bed.sandbox.setGroup('support-triagers', [...DEMO_TEAM, hana]);
      try {
        const outcome = await bed.cli(['refresh-members', ROLE, '--json']);
        assertOk(outcome);
        assert.ok((JSON.parse(outcome.stdout) as RoleStateView).members.some((m) => m.id === hana.id));
        assert.ok((await state()).members.some((m) => m.id === hana.id));
      } finally {
        bed.sandbox.setGroup('support-triagers', DEMO_TEAM);
        assertOk(await bed.cli(['refresh-members', ROLE]));
      }
    });

    it('history lists who served when', async () => {
      const [human, json] = await Promise.all([bed.cli(['history', ROLE]), bed.cli(['history', ROLE, '--json'])]);
      assertOk(human);
      const turns = (await state()).history;
      assert.deepEqual(JSON.parse(json.stdout), turns);
      assert.equal(turns.length, 1);
      const rows = tableRows(human.stdout);
      assert.deepEqual(rows[1], [
        '1',
        `${turns[0]!.member.name} (${turns[0]!.member.id})`,
        turns[0]!.start,
        turns[0]!.end,
        // Acknowledgements are on for the role: nobody answered the notice of that turn.
        'no',
      ]);
      assert.equal(turns[0]!.acknowledgement?.acknowledged, false);
      assertError(await bed.cli(['history', ROLE, '--limit', 'all']), 2, /--limit must be a whole number/);
    });
  });

  describe('export and import', () => {
    it('export-roles writes the old team-roles.json from the running rotation', async () => {
      const file = path.join(dir, 'team-roles.json');
      const outcome = await bed.cli(['export-roles', '--out', file], config);
      assertOk(outcome);
      assert.match(outcome.stdout, /^Wrote .*team-roles\.json \(support-triager incoming /);
      const now = await state();
      assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {
        standup_manager: { name: DEMO_MANAGER.name, id: DEMO_MANAGER.id },
        support_triager: {
          incoming: { name: now.incoming!.name, id: now.incoming!.id },
          current: { name: now.current!.name, id: now.current!.id },
        },
      });
      const printed = await bed.cli(['export-roles', '--json'], config);
      assertOk(printed);
      assert.deepEqual(JSON.parse(printed.stdout), JSON.parse(readFileSync(file, 'utf8')));
    });

    it('start --import seeds from team-roles.json, keeping a member who has left the group', async () => {
      await bed.reset();
      const file = path.join(dir, 'import.json');
      const zed = { name: 'Zed', id: 'U0ZED00009' };
      writeFileSync(
        file,
        JSON.stringify({
          standup_manager: { name: DEMO_MANAGER.name, id: DEMO_MANAGER.id },
          meeting_facilitator: null,
          support_triager: { incoming: { name: 'Dan', id: 'U0DAN00004' }, current: zed },
        }),
      );
      const mixed = await bed.cli(['start', ROLE, '--import', file, '--incoming', 'Ben']);
      assertError(mixed, 2, /--import takes who serves from the file/);
      const broken = path.join(dir, 'broken.json');
      writeFileSync(broken, JSON.stringify({ support_triager: { incoming: { name: 'x' } } }));
      assertError(
        await bed.cli(['start', ROLE, '--import', broken]),
        2,
        /Invalid team-roles\.json: .*support_triager\.incoming\.id/,
      );

      const outcome = await bed.cli(['start', ROLE, '--import', file], config);
      assertOk(outcome);
      const now = await state();
      assert.deepEqual(now.incoming, byName('Dan'));
      assert.deepEqual(now.current, zed);
    });
  });

  describe('schedule', () => {
    interface ScheduleJson {
      scheduleId: string;
      paused: boolean;
      note: string | null;
      nextActionTimes: string[];
      recentActions: { workflowId: string }[];
    }
    const describeJson = async (): Promise<ScheduleJson> => {
      const outcome = await bed.cli(['schedule', 'describe', ROLE, '--json']);
      assertOk(outcome);
      return JSON.parse(outcome.stdout) as ScheduleJson;
    };

    it('create, describe (next handovers), pause, unpause, trigger, delete', async () => {
      const created = await bed.cli(['schedule', 'create', ROLE]);
      assertOk(created);
      assert.match(created.stdout, /^Created schedule team-roles\/support-triager\/handover\./);
      assert.equal(tableFields(created.stdout)['Fires'], `every ${TIMING.handoverWeekday} at 10:00 (UTC)`);
      const again = await bed.cli(['schedule', 'create', ROLE]);
      assertOk(again);
      assert.match(again.stdout, /already exists: nothing was created/);

      const described = await describeJson();
      assert.equal(described.scheduleId, 'team-roles/support-triager/handover');
      assert.equal(described.paused, false);
      assert.ok(described.nextActionTimes.length >= 5);
      for (const time of described.nextActionTimes) {
        assert.equal(weekdayOf(time), TIMING.handoverWeekday, time);
        assert.equal(new Date(time).getUTCHours(), 10, time);
      }

      // A change with --json prints the schedule as describe --json does, after the change.
      const pausing = await bed.cli(['schedule', 'pause', ROLE, '--note', 'team offsite', '--json']);
      assertOk(pausing);
      assert.deepEqual(JSON.parse(pausing.stdout), await describeJson());
      const paused = await describeJson();
      assert.deepEqual([paused.paused, paused.note], [true, 'team offsite']);
      assertOk(await bed.cli(['schedule', 'unpause', ROLE]));
      assert.equal((await describeJson()).paused, false);

      const triggered = await bed.cli(['schedule', 'trigger', ROLE]);
      assertOk(triggered);
      assert.match(triggered.stdout, /Triggered schedule team-roles\/support-triager\/handover/);
      let recent: ScheduleJson['recentActions'] = [];
      for (let i = 0; i < 50 && recent.length === 0; i++) {
        recent = (await describeJson()).recentActions;
        if (recent.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.match(recent[0]?.workflowId ?? '', /^team-roles\/support-triager\/handover/);

      // Deleting asks first: without a terminal it needs --yes; on one, the default answer keeps the schedule.
      assertError(await bed.cli(['schedule', 'delete', ROLE]), 2, /schedule delete asks for confirmation .*--yes/);
      const kept = bed.cliOnTerminal(['schedule', 'delete', ROLE], '\r');
      if (kept) {
        const outcome = await kept;
        assert.equal(outcome.code, 0, outcome.stdout);
        assert.match(outcome.stdout, /Nothing was deleted\./);
        assert.equal((await describeJson()).scheduleId, 'team-roles/support-triager/handover');
      }
      const deleted = await bed.cli(['schedule', 'delete', ROLE, '--yes', '--json']);
      assertOk(deleted);
      assert.deepEqual(JSON.parse(deleted.stdout), {
        scheduleId: 'team-roles/support-triager/handover',
        deleted: true,
      });
      assertError(
        await bed.cli(['schedule', 'describe', ROLE]),
        1,
        /There is no handover schedule for support-triager .*create it with `team-roles schedule create support-triager`\./,
      );
    });
  });

  describe('bad input and a missing rotation or server', () => {
    it('an unknown role: exit 2 listing the roles, for every command', async () => {
      const commands = [
        ['start', 'support-steward'],
        ['status', 'support-steward'],
        ['override', 'support-steward', '--incoming', 'Ben'],
        ['skip', 'support-steward', 'Ben', '--next'],
        ['history', 'support-steward'],
        ['create-standup', 'support-steward', '--yes'],
        ['create-bulk-events', 'support-steward', '--yes'],
        ['schedule', 'describe', 'support-steward'],
      ];
      const outcomes = await Promise.all(commands.map((args) => bed.cli(args)));
      for (const outcome of outcomes) {
        assertError(outcome, 2, /Unknown role "support-steward"\. Known roles: support-triager, meeting-facilitator\./);
      }
    });

    it('an unknown member at start: exit 2 with close matches, and nothing is started', async () => {
      await bed.reset();
      assertError(
        await bed.cli(['start', ROLE, '--incoming', 'Chleo']),
        2,
        /No member "Chleo" .*Did you mean Chloe \(U0CHLOE003\)\?.*team-roles list-members support-triagers/,
      );
      assertError(
        await bed.cli(['start', ROLE, '--mode', 'cron']),
        2,
        /option '--mode <mode>' argument 'cron' is invalid\. Allowed choices are timer, schedule\./,
      );
      const description = await handle()
        .describe()
        .catch((err: unknown) => err);
      assert.ok(
        description instanceof WorkflowNotFoundError ||
          (description as { status: { name: string } }).status.name !== 'RUNNING',
      );
    });

    it('a rotation that is not running: the commands say to start it (exit 1)', async () => {
      const outcomes = await Promise.all([
        bed.cli(['status', ROLE]),
        bed.cli(['override', ROLE, '--incoming', 'Ben']),
        bed.cli(['history', ROLE, '--json']),
        bed.cli(['create-standup', ROLE, '--yes']),
      ]);
      for (const outcome of outcomes) {
        assertError(
          outcome,
          1,
          /The support-triager rotation is not running.*start it with `team-roles start support-triager`\./,
        );
      }
      assertError(await bed.cli(['export-roles']), 1, /No rotation is running.*team-roles start support-triager/);
    });

    it('no server: exit 1 naming the address and how to set it', async () => {
      const unreachable = { TEMPORAL_ADDRESS: '127.0.0.1:1' };
      const outcomes = await Promise.all([
        bed.cli(['status', ROLE], unreachable),
        bed.cli(['start', ROLE, '--incoming', 'Ben'], unreachable),
        bed.cli(['list-members', 'support-triagers'], unreachable),
      ]);
      for (const outcome of outcomes) {
        assertError(outcome, 1, /Cannot reach Temporal at 127\.0\.0\.1:1 \(namespace default\).*set TEMPORAL_ADDRESS/);
      }
    });
  });
});
