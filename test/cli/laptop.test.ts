/**
 * Every operator command from a laptop that has only TEMPORAL_ADDRESS: no TEAM_ROLES_CONFIG, no secrets. The worker's
 * configuration defines a role of its own, the Release Captain, handing over on Thursdays at 09:30 in Auckland (a
 * zone whose Thursday morning is Wednesday evening in UTC), so anything the CLI took from its own defaults (UTC, the
 * shipped roles, Wednesday 10:00) would show.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import { DEFAULT_SETTINGS, type RoleConfigInput } from '../../src/domain/config';
import { DEMO_MANAGER, DEMO_TEAM } from '../../src/sandbox/sandbox';
import {
  roleWorkflowId,
  TeamRoleAttribute,
  type FairnessView,
  type PlanTurn,
  type RoleStateView,
} from '../../src/shared';
import type { JobPreview, JobResult } from '../../src/workflows/jobs-shared';
import { assertError, assertOk, startCliBed, tableFields, tableRows, type CliBed } from './bed';

const ROLE = 'release-captain';
const ZONE = 'Pacific/Auckland';
const CAPTAINS = DEMO_TEAM.slice(0, 4); // Ava, Ben, Chloe, Dan

const RELEASE_CAPTAIN: RoleConfigInput = {
  title: 'Release Captain',
  enabled: true,
  cadence: 'weekly',
  handoverWeekday: 'Thu',
  handoverTime: '09:30',
  timeZone: ZONE,
  slots: 2,
  usergroup: 'release-captains',
  prepareLeadHours: 24,
  standup: {
    name: 'ReleaseCaptain',
    channel: '#releases',
    days: ['Thu'],
    time: '09:30:00',
    timezone: 'user_local',
    waitTime: 10,
    questionTemplate: 'Hi {incomingMention}! You are {role} from today; your buddy is {buddyMention}.',
  },
};

/** Thursday 09:30 in Auckland, whatever the UTC date. */
function assertCaptainHandover(iso: string): void {
  const at = DateTime.fromISO(iso, { zone: ZONE });
  assert.deepEqual([at.weekday, at.hour, at.minute], [4, 9, 30], `${iso} is ${at.toISO()}`);
}

type Events = 'create-next-event' | 'create-bulk-events';

interface JobJson<K extends JobResult['kind']> {
  workflowId: string;
  preview: Extract<JobPreview, { kind: K }>;
  result: Extract<JobResult, { kind: K }> | null;
}

describe("team-roles from an operator's laptop: only TEMPORAL_ADDRESS, a role defined on the worker alone", function () {
  this.timeout(180_000);
  let bed: CliBed;
  let dir: string;
  const json = async <T>(args: string[]): Promise<T> => {
    const outcome = await bed.cli([...args, '--json']);
    assertOk(outcome);
    return JSON.parse(outcome.stdout) as T;
  };

  before(async function () {
    this.timeout(300_000);
    bed = await startCliBed({
      settings: { roles: { ...DEFAULT_SETTINGS.roles, [ROLE]: RELEASE_CAPTAIN } },
      groups: { 'release-captains': CAPTAINS },
    });
    await bed.reset();
    dir = mkdtempSync(path.join(tmpdir(), 'team-roles-laptop-'));
  });
  after(async () => {
    await bed?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('starts the rotation with the worker’s settings and shows its times in its own zone', async () => {
    const started = await json<{ started: boolean; workflowId: string; state: RoleStateView }>([
      'start',
      ROLE,
      '--incoming',
      'Ben',
      '--current',
      'Ava',
      '--standup-manager',
      DEMO_MANAGER.name,
    ]);
    assert.equal(started.started, true);
    assert.equal(started.workflowId, roleWorkflowId(ROLE));
    assert.deepEqual([started.state.incoming?.name, started.state.current?.name], ['Ben', 'Ava']);
    assertCaptainHandover(started.state.nextHandoverAt);

    const status = await bed.cli(['status', ROLE]);
    assertOk(status);
    assert.match(status.stdout, /^Release Captain \(release-captain\): running/);
    assert.match(tableFields(status.stdout)['Next handover'] ?? '', /^\d{4}-\d{2}-\d{2} 09:30 Pacific\/Auckland, Thu /);

    // The Web UI tells what the workflow is and who serves, without a query.
    const handle = bed.env.client.workflow.getHandle(roleWorkflowId(ROLE));
    const description = await handle.describe();
    assert.equal(
      await description.staticSummary(),
      'Release Captain rotation (release-captain): handover every Thu at 09:30 (Pacific/Auckland)',
    );
    assert.match((await description.staticDetails()) ?? '', /Slack user group `release-captains`/);
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    assert.match(
      metadata.currentDetails ?? '',
      /^\*\*Release Captain\*\*: incoming Ben, current Ava; next handover Thu \d+ \w+ \d{4}, 09:30 Pacific\/Auckland\.$/,
    );
  });

  it('lists the running rotation among every role, found by its TeamRole attribute', async () => {
    let rows: string[][] = [];
    for (let i = 0; i < 50 && !rows.some((row) => row[0] === ROLE); i++) {
      const outcome = await bed.cli(['status']);
      assertOk(outcome);
      rows = tableRows(outcome.stdout);
      if (!rows.some((row) => row[0] === ROLE)) await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const row = rows.find((r) => r[0] === ROLE);
    assert.ok(row, 'release-captain is listed');
    assert.deepEqual(row.slice(1, 5), ['running', 'Ben (U0BEN00002)', 'Ava (U0AVA00001)', 'Chloe (U0CHLOE003)']);
    assert.match(row[5] ?? '', / 09:30 Pacific\/Auckland, Thu/);
    const all = await json<Record<string, RoleStateView | null>>(['status']);
    assert.equal(all[ROLE]?.role, ROLE);
    assert.equal(all['support-triager'], null);
  });

  it('changes who serves: override, swap, skip, pause, resume, handover-now, refresh-members, history', async () => {
    const overridden = await json<RoleStateView>(['override', ROLE, '--incoming', 'Chloe']);
    assert.equal(overridden.incoming?.name, 'Chloe');
    const swapped = await json<RoleStateView>(['swap', ROLE, 'Dan', 'Ben']);
    assert.equal(swapped.next?.name, 'Ben');
    const skipped = await json<RoleStateView>(['skip', ROLE, 'Ben', '--next']);
    assert.equal(skipped.next?.name, 'Dan');
    assert.equal((await json<RoleStateView>(['pause', ROLE])).paused, true);
    assert.equal((await json<RoleStateView>(['resume', ROLE])).paused, false);

    const handedOver = await json<RoleStateView>(['handover-now', ROLE]);
    assert.deepEqual([handedOver.incoming?.name, handedOver.current?.name], ['Dan', 'Chloe']);
    const turn = handedOver.history.at(-1);
    assert.ok(turn);
    // The handover date is the Thursday in Auckland (in UTC the instant is on the Wednesday).
    assert.equal(DateTime.fromISO(turn.start, { zone: ZONE }).weekday, 4, turn.start);
    assertCaptainHandover(handedOver.nextHandoverAt);

    const refreshed = await json<RoleStateView>(['refresh-members', ROLE]);
    assert.deepEqual(
      refreshed.members.map((m) => m.name),
      CAPTAINS.map((m) => m.name),
    );
    const history = await json<RoleStateView['history']>(['history', ROLE]);
    assert.equal(history.at(-1)?.member.name, 'Dan');
  });

  it('reads the rotation’s plan (with its skips) and its fairness ledger', async () => {
    // Ben skipped for his next turn: the plan says whom that turn passes over, and why.
    await json<RoleStateView>(['skip', ROLE, 'Ben', '--next']);
    const plan = await json<PlanTurn[]>(['plan', ROLE, '--count', '3']);
    assert.equal(plan.length, 3);
    const passing = plan.find((t) => t.skipped?.some((s) => s.member.name === 'Ben'));
    assert.ok(passing, `a turn passes Ben over: ${JSON.stringify(plan)}`);
    assert.equal(passing.skipped?.find((s) => s.member.name === 'Ben')?.reason, 'operator');
    assert.equal(DateTime.fromISO(plan[0]!.start, { zone: ZONE }).weekday, 4, 'turns start on Thursdays');
    const table = await bed.cli(['plan', ROLE, '--count', '3']);
    assertOk(table);
    assert.match(table.stdout, /^Release Captain \(release-captain\): handover every Thu at 09:30/);
    assert.match(table.stdout, /instead of Ben \(operator\)/);
    assertError(await bed.cli(['plan', ROLE, '--from', '2030-01-02']), 2, /--from plan offline: give the group/);

    const fairness = await json<FairnessView>(['fairness', ROLE]);
    assert.deepEqual([fairness.role, fairness.fairness], [ROLE, 'cycle']);
    const text = await bed.cli(['fairness', ROLE]);
    assertOk(text);
    assert.match(text.stdout, /^Release Captain \(release-captain\): fairness: cycle/);
    if (fairness.kept) {
      // Every captain has an account: served, skipped and balance per member.
      assert.deepEqual(fairness.members.map((r) => r.member.name).sort(), CAPTAINS.map((m) => m.name).sort());
      assert.deepEqual(tableRows(text.stdout)[0], [
        'Member',
        'Served',
        'Skipped',
        'Share',
        'Balance',
        'In the rotation',
      ]);
    } else {
      assert.deepEqual(fairness.members, []);
      assert.match(text.stdout, /No ledger yet: this rotation runs under the old rules/);
    }
  });

  it('runs the one-off jobs on the worker; each carries the TeamRole attribute and a summary', async () => {
    const members = await json<Record<string, string>>(['list-members', 'release-captains']);
    assert.deepEqual(Object.keys(members), ['Ava', 'Ben', 'Chloe', 'Dan']);

    const standup = await json<JobJson<'create-standup'>>(['create-standup', ROLE, '--yes']);
    assert.equal(standup.result?.outcome, 'done');
    assert.equal(standup.preview.title, 'Release Captain');
    assert.equal(standup.preview.standup.channel, '#releases');

    const next = await json<JobJson<Events>>(['create-next-event', ROLE, '--yes']);
    assert.equal(next.result?.outcome, 'done');
    assert.equal(DateTime.fromISO(next.preview.turns[0]!.start, { zone: ZONE }).weekday, 4);

    // The old scripts' -m: Ben serves now, so the first event is Chloe's; every event starts on a Thursday.
    const bulk = await json<JobJson<Events>>([
      'create-bulk-events',
      ROLE,
      '-n',
      '3',
      '-d',
      '2031-01-01',
      '-m',
      'Ben',
      '--yes',
    ]);
    assert.deepEqual(
      bulk.preview.turns.map((t) => [t.start, t.member.name]),
      [
        ['2031-01-02', 'Chloe'],
        ['2031-01-09', 'Dan'],
        ['2031-01-16', 'Ava'],
      ],
    );
    assert.deepEqual(
      bed.sandbox.calendar
        .events()
        .filter((e) => (e.start.date ?? '') >= '2031')
        .map((e) => `${e.start.date} ${e.summary}`)
        .sort(),
      ['2031-01-02 Release Captain: Chloe', '2031-01-09 Release Captain: Dan', '2031-01-16 Release Captain: Ava'],
    );
    const deleted = await json<JobJson<'delete-bulk-events'>>([
      'delete-bulk-events',
      ROLE,
      '-d',
      '2031-01-01',
      '--yes',
    ]);
    assert.equal(deleted.result?.outcome === 'done' ? deleted.result.deleted : -1, 3);

    const jobHandle = bed.env.client.workflow.getHandle(bulk.workflowId);
    const description = await jobHandle.describe();
    assert.equal(description.typedSearchAttributes.get(TeamRoleAttribute), ROLE);
    assert.equal(
      await description.staticSummary(),
      'Create 3 release-captain calendar events from 2031-01-01, after Ben (serving now)',
    );
  });

  it('builds the Schedule from the worker’s settings: Thursdays 09:30 in Auckland', async () => {
    interface ScheduleJson {
      scheduleId: string;
      created?: boolean;
      paused: boolean;
      timeZone: string | null;
      nextActionTimes: string[];
      recentActions: { workflowId: string }[];
    }
    const created = await json<ScheduleJson>(['schedule', 'create', ROLE]);
    assert.equal(created.created, true);
    assert.equal(created.timeZone, ZONE);
    for (const time of created.nextActionTimes) assertCaptainHandover(time);
    const described = await bed.cli(['schedule', 'describe', ROLE]);
    assertOk(described);
    assert.equal(tableFields(described.stdout)['Fires'], 'every Thu at 09:30 (Pacific/Auckland)');
    assert.equal((await json<ScheduleJson>(['schedule', 'pause', ROLE])).paused, true);
    assert.equal((await json<ScheduleJson>(['schedule', 'unpause', ROLE])).paused, false);

    await json<ScheduleJson>(['schedule', 'trigger', ROLE]);
    let recent: ScheduleJson['recentActions'] = [];
    for (let i = 0; i < 50 && recent.length === 0; i++) {
      recent = (await json<ScheduleJson>(['schedule', 'describe', ROLE])).recentActions;
      if (recent.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const run = await bed.env.client.workflow.getHandle(recent[0]!.workflowId).describe();
    assert.equal(run.typedSearchAttributes.get(TeamRoleAttribute), ROLE, 'the scheduled run filters by role');
    assert.equal(await run.staticSummary(), 'Scheduled Release Captain handover (release-captain)');

    assert.deepEqual(await json(['schedule', 'delete', ROLE, '--yes']), {
      scheduleId: 'team-roles/release-captain/handover',
      deleted: true,
    });
  });

  it('imports and exports the old team-roles.json; the standup manager is the worker’s', async () => {
    const file = path.join(dir, 'team-roles.json');
    writeFileSync(
      file,
      JSON.stringify({
        standup_manager: { name: DEMO_MANAGER.name, id: DEMO_MANAGER.id },
        support_triager: {
          incoming: { name: 'Ella', id: 'U0ELLA0005' },
          current: { name: 'Dan', id: 'U0DAN00004' },
        },
      }),
    );
    const started = await bed.cli(['start', 'support-triager', '--import', file]);
    assertOk(started);
    assert.equal(started.stderr, '', 'the standup manager matches the worker’s configuration: no warning');
    const exported = await json<Record<string, unknown>>(['export-roles']);
    assert.deepEqual(exported, {
      standup_manager: { name: DEMO_MANAGER.name, id: DEMO_MANAGER.id },
      support_triager: { incoming: { name: 'Ella', id: 'U0ELLA0005' }, current: { name: 'Dan', id: 'U0DAN00004' } },
    });
  });

  it('takes the connection as the temporal CLI does: --address, --env over TEMPORAL_ADDRESS, --namespace', async () => {
    const unreachable = { TEMPORAL_ADDRESS: '127.0.0.1:1' };
    assertOk(await bed.cli(['status', ROLE, '--address', bed.env.address], unreachable));
    const envFile = path.join(dir, 'temporal.yaml');
    writeFileSync(envFile, `env:\n    laptop:\n        address: ${bed.env.address}\n        namespace: default\n`);
    assertOk(await bed.cli(['--env', 'laptop', '--env-file', envFile, 'history', ROLE], unreachable));
    assertError(
      await bed.cli(['status', ROLE, '--env', 'nope', '--env-file', envFile]),
      2,
      /Environment "nope" not found in .*temporal\.yaml \(it has: laptop\)/,
    );
    assertError(await bed.cli(['status', ROLE, '--namespace', 'no-such-namespace']), 1, /no-such-namespace/);
  });

  it('plan stays offline: it knows only the roles of this machine’s configuration', async () => {
    assertError(
      await bed.cli(['plan', ROLE, '--members', 'Ava,Ben']),
      2,
      /Unknown role "release-captain"\. Known roles: support-triager, meeting-facilitator\./,
    );
    const withConfig = path.join(dir, 'config.json');
    writeFileSync(withConfig, JSON.stringify({ roles: { [ROLE]: RELEASE_CAPTAIN } }));
    const planned = await bed.cli(['plan', ROLE, '--members', 'Ava,Ben', '--count', '1', '--json'], {
      TEAM_ROLES_CONFIG: withConfig,
    });
    assertOk(planned);
  });

  it('Ctrl-C while following a job: exit 130, and the job goes on on the worker', async () => {
    const child = bed.cliProcess([
      'create-bulk-events',
      ROLE,
      '-n',
      '200',
      '-d',
      '2033-01-06',
      '--first',
      'Ava',
      '--yes',
    ]);
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the job never started following: ${stderr}`)), 60_000);
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/runs on the worker/.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    assert.match(
      stderr,
      /Stopped following\. The job goes on on the worker: see team-roles\/jobs\/create-bulk-events\//,
    );
    const workflowId = /see (team-roles\/jobs\/\S+)/.exec(stderr)?.[1];
    assert.ok(workflowId);
    const result = (await bed.env.client.workflow.getHandle(workflowId).result()) as JobResult;
    assert.equal(result.outcome, 'done', 'the job finished on the worker');
  });
});
