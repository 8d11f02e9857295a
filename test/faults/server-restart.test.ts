/**
 * The Temporal dev server is torn down and started again (same SQLite file, same port) at each point of a
 * handover, with the real worker process (`tsx src/worker.ts`) connected throughout: the rotation carries on.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { addDays } from '../../src/domain/schedule';
import { startDevServer } from '../../src/servers/environments';
import {
  handoverNowSignal,
  handoverNowUpdate,
  planQuery,
  roleWorkflowId,
  stateQuery,
  TASK_QUEUE,
} from '../../src/shared';
import type { roleWorkflow } from '../../src/workflows';
import type { FakeHttpServer } from '../../src/sandbox/http';
import { DEMO_MANAGER, DEMO_TEAM, startSandbox, type Sandbox } from '../../src/sandbox/sandbox';
import { checkRole, fakesOf } from './invariants';
import {
  elapsed,
  freePort,
  startServer,
  stateOf,
  tempDir,
  waitFor,
  workflowBundleFile,
  workflowTaskFailures,
  type WorkerProcess,
} from '../support';
import { collectHistories, faultWorker, rememberSecrets } from './support';

const ROLE = 'support-triager';
/** A workflow task the killed (or cut-off) worker held times out and is retried: that is not a failure. */
const KILLED_WORKERS_TASK = /timed out \(start-to-close\)/;
const HOLD_MS = 3000;

type Fake = Pick<FakeHttpServer, 'faults' | 'requests'>;

interface RestartPoint {
  name: string;
  /** The call held in flight (HOLD_MS) while the server restarts; none: restart right after the trigger. */
  hold?: { fake: (sandbox: Sandbox) => Fake; match: string };
}

const POINTS: RestartPoint[] = [
  { name: 'right after the handoverNow signal' },
  { name: 'while the Slack lookup is in flight', hold: { fake: (s) => s.slack, match: 'usergroups.list' } },
  { name: 'while the Geekbot upsert is in flight', hold: { fake: (s) => s.geekbot, match: 'PATCH /v1/standups' } },
  { name: 'while the calendar writes are in flight', hold: { fake: (s) => s.calendar, match: 'POST /calendar' } },
  { name: 'between two handovers' },
];

describe('faults: the Temporal dev server restarts during handovers (persistent SQLite file)', function () {
  this.timeout(30 * 60_000);
  const dir = tempDir('restart');
  let server: TestWorkflowEnvironment | undefined;
  let sandbox: Sandbox;
  let worker: WorkerProcess;
  const workflowId = roleWorkflowId(ROLE);

  after(async () => {
    await worker?.kill();
    if (server) await collectHistories(server.client, workflowId, 'server-restart').catch(() => []);
    await server?.teardown();
    await sandbox?.close();
    dir.cleanup();
  });

  it(`hands over exactly once across restarts at ${POINTS.length} points`, async () => {
    const started = Date.now();
    const port = await freePort();
    const dbFilename = path.join(dir.dir, 'temporal.db');
    const start = () =>
      startServer('the dev server', () => startDevServer({ port, dbFilename, resolve: { sdkDownload: false } }));
    server = await start();
    sandbox = await startSandbox({
      groups: { 'support-triagers': DEMO_TEAM, 'meeting-facilitators': DEMO_TEAM },
      standupManager: DEMO_MANAGER,
    });
    rememberSecrets(sandbox);
    // One run throughout (not the shipped four handovers per run): the restarts must not make the rotation start another.
    const config = dir.file('team-roles.json', JSON.stringify({ standupManager: DEMO_MANAGER, handoversPerRun: 52 }));
    worker = faultWorker(
      'restart',
      {
        ...process.env,
        ...sandbox.env,
        TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
        TEAM_ROLES_CONFIG: config,
        TEAM_ROLES_SECRETS_DIR: dir.dir,
      },
      { bundleFile: await workflowBundleFile() },
    );
    await worker.start();

    const client = () => server!.client;
    const handle = () => client().workflow.getHandle<typeof roleWorkflow>(workflowId);
    const { firstExecutionRunId } = await client().workflow.start<typeof roleWorkflow>('roleWorkflow', {
      workflowId,
      taskQueue: TASK_QUEUE,
      args: [{ role: ROLE, seed: { incoming: 'Ben', current: 'Ava' } }],
    });
    await stateOf(handle());
    const first = await handle().executeUpdate(handoverNowUpdate, { args: [{}] });
    const dates = [first.history.at(-1)!.start];
    const check = async () => {
      const state = await handle().query(stateQuery);
      const plan = await handle().query(planQuery, 60);
      checkRole(
        { state, plan, ...fakesOf(sandbox) },
        {
          role: ROLE,
          title: 'Support Triager',
          standupName: 'SupportTriager',
          manager: DEMO_MANAGER,
          handoverDates: dates,
          settled: true,
        },
      );
    };
    await check();

    for (const point of POINTS) {
      const date = addDays(dates.at(-1)!, 7);
      const key = `${ROLE}@${date}`;
      const fake = point.hold?.fake(sandbox);
      if (point.hold && fake) fake.faults = { script: [{ match: point.hold.match, kind: 'none', latencyMs: HOLD_MS }] };
      const mark = fake?.requests.length ?? 0;

      if (point.name !== 'between two handovers') await handle().signal(handoverNowSignal, { date });
      if (point.hold && fake) {
        await waitFor(
          `${point.hold.match} in flight`,
          () =>
            fake.requests
              .slice(mark)
              .some((r) => r.path && r.endedAt === undefined && `${r.method} ${r.path}`.includes(point.hold!.match)),
          {
            timeoutMs: 60_000,
            intervalMs: 5,
          },
        );
      }
      const down = Date.now();
      await server.teardown();
      server = undefined;
      server = await start();
      const downtime = elapsed(down);
      if (point.name === 'between two handovers') await handle().signal(handoverNowSignal, { date });

      await waitFor(
        `${key} after the restart ${point.name}`,
        async () => (await handle().query(stateQuery)).lastHandoverKey === key,
        {
          timeoutMs: 5 * 60_000,
          intervalMs: 250,
        },
      );
      if (fake) fake.faults = {};
      dates.push(date);
      console.log(`      restart ${point.name}: down ${downtime}; handed over ${elapsed(down)} after the teardown`);
      await check();
    }

    const description = await handle().describe();
    assert.equal(description.runId, firstExecutionRunId, 'the same run carried on');
    assert.equal(description.status.name, 'RUNNING');
    const histories = await collectHistories(client(), workflowId, 'server-restart');
    // A task the killed worker held times out; nothing may fail.
    assert.deepEqual(workflowTaskFailures(histories, { allow: KILLED_WORKERS_TASK }), [], 'no workflow task failed');
    console.log(`      ${POINTS.length} restarts: ${elapsed(started)}`);
  });
});
