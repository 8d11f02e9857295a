/**
 * Outside APIs misbehaving for a whole year: 30 % of all Slack, Geekbot and Calendar calls are answered with a 429
 * and Retry-After, a 500, a dropped connection or a stall. A fault-free twin runs the same year on the same
 * time-skipping server (so both see the same dates); the faulty one must hand over every week on time and end
 * with the same calendar, standup and history.
 *
 * Stalls: the first FAULTS_LONG_STALLS (default 1) lasts the full 10 s; the rest FAULTS_STALL_MS (default 200 ms),
 * shortened to keep the run short. The time-skipping server does not skip time while an activity runs, so every
 * stall costs its wall time (some 200 stalls a year). The clients' timeouts are 30 s, so a short and a 10 s stall
 * both end as a slow success; FAULTS_STALL_MS=10000 runs every stall as the issue words it (about 40 minutes).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { buildActivityDeps } from '../../src/activities/deps';
import { DEFAULT_SETTINGS, parseSettings } from '../../src/domain/config';
import { sortMembers } from '../../src/domain/members';
import { startTimeSkippingServer } from '../../src/servers/environments';
import { planQuery, stateQuery, type RoleStateView } from '../../src/shared';
import type { roleWorkflow } from '../../src/workflows';
import { seededRandom, type FaultOptions, type ScriptedFault } from '../../src/sandbox/http';
import { DEMO_MANAGER, DEMO_TEAM, startSandbox, type Sandbox } from '../../src/sandbox/sandbox';
import { checkRole, fakesOf } from './invariants';
import {
  elapsed,
  startServer,
  untilNext,
  withoutAcknowledgements,
  workflowBundle,
  workflowTaskFailures,
} from '../support';
import { captureRuntimeLogs, collectHistories, rememberSecrets } from './support';

const FAULT_RATE = 0.3;
const STALL_MS = Number(process.env.FAULTS_STALL_MS ?? 200);
const LONG_STALLS = Number(process.env.FAULTS_LONG_STALLS ?? 1);
const LONG_STALL_MS = 10_000;
const WEEKS = 52;
const ROLE = 'support-triager';

interface Bed {
  name: string;
  sandbox: Sandbox;
  worker: Worker;
  taskQueue: string;
  workflowId: string;
  stalls: { count: number };
}

/** 30 % of calls fail, a quarter each: stall (scripted, so the call still succeeds late), drop, 429, 500. */
function flakyFaults(seed: number, stalls: { count: number }): FaultOptions {
  const each = FAULT_RATE / 4;
  const random = seededRandom(seed * 7919);
  const otherwise = each / (1 - each); // the random faults roll only for calls that were not stalled
  const stall: ScriptedFault = {
    match: () => {
      const stalled = random() < each;
      if (stalled) {
        stalls.count += 1;
        stall.latencyMs = stalls.count <= LONG_STALLS ? LONG_STALL_MS : STALL_MS; // read right after the match
      }
      return stalled;
    },
    kind: 'none',
    times: Number.MAX_SAFE_INTEGER,
  };
  return {
    seed,
    rateLimitRate: otherwise,
    serverErrorRate: otherwise,
    dropRate: otherwise,
    // Slack's shortest Retry-After: each 429 costs its wall time (the clients wait it out inside the activity).
    retryAfterSeconds: 1,
    script: [stall],
  };
}

async function bed(env: TestWorkflowEnvironment, name: string, seed: number | undefined): Promise<Bed> {
  const stalls = { count: 0 };
  const faults = seed === undefined ? undefined : flakyFaults(seed, stalls);
  const sandbox = await startSandbox({
    groups: { 'support-triagers': DEMO_TEAM, 'meeting-facilitators': DEMO_TEAM },
    standupManager: DEMO_MANAGER,
    faults: faults && {
      slack: faults,
      geekbot: { ...faults, seed: seed! + 1 },
      calendar: { ...faults, seed: seed! + 2 },
    },
  });
  rememberSecrets(sandbox);
  // On the time-skipping server: without the acknowledgement watch (see withoutAcknowledgements).
  const settings = withoutAcknowledgements(parseSettings({ ...DEFAULT_SETTINGS, standupManager: DEMO_MANAGER }));
  const deps = await buildActivityDeps(sandbox.env, settings);
  const taskQueue = `faults-${name}-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities(deps),
  });
  return { name, sandbox, worker, taskQueue, workflowId: `team-roles/${ROLE}/${name}-${randomUUID()}`, stalls };
}

function faultCounts(sandbox: Sandbox): Record<string, number> {
  const counts: Record<string, number> = { calls: 0, rateLimit: 0, serverError: 0, drop: 0 };
  for (const request of [...sandbox.slack.requests, ...sandbox.geekbot.requests, ...sandbox.calendar.requests]) {
    counts.calls! += 1;
    if (request.fault) counts[request.fault] = (counts[request.fault] ?? 0) + 1;
  }
  return counts;
}

/** What must be equal between the faulty run and the fault-free one. */
function outcome(sandbox: Sandbox, state: RoleStateView) {
  return {
    history: state.history,
    incoming: state.incoming,
    current: state.current,
    calendar: sandbox.calendar
      .events()
      .map((e) => ({
        id: e.id,
        summary: e.summary,
        start: e.start,
        end: e.end,
        status: e.status,
        properties: e.extendedProperties?.private,
      }))
      .sort((a, b) => a.id.localeCompare(b.id)),
    standups: sandbox.geekbot.state.standups.map((s) => ({
      name: s.name,
      users: s.users.map((u) => u.id).sort(),
      questions: s.questions.map((q) => q.text),
    })),
  };
}

describe('faults: outside APIs misbehave for a year (time-skipping server)', function () {
  this.timeout(30 * 60_000);
  let env: TestWorkflowEnvironment;
  let clean: Bed;
  let flaky: Bed;

  before(async () => {
    captureRuntimeLogs();
    env = await startServer('the time-skipping server', () =>
      startTimeSkippingServer({ resolve: { sdkDownload: false } }),
    );
    clean = await bed(env, 'clean', undefined);
    flaky = await bed(env, 'flaky', 42);
  });
  after(async () => {
    for (const b of [clean, flaky]) {
      if (!b) continue;
      await collectHistories(env.client, b.workflowId, `flaky-apis ${b.name}`).catch(() => undefined);
      await b.sandbox.close();
    }
    await env?.teardown();
  });

  it(`hands over on time every week with ${FAULT_RATE * 100} % of calls failing; ends like the fault-free run`, async () => {
    const started = Date.now();
    const order = sortMembers(DEMO_TEAM);
    // Start on a Thursday noon (the server's clock moved there first): each week's notice and handover, the first
    // week's too, then fall inside the loop below, whatever day the suite runs.
    await env.sleep(untilNext('Thu', '12:00', await env.currentTimeMs()));
    await clean.worker.runUntil(
      flaky.worker.runUntil(async () => {
        const handles = new Map<Bed, WorkflowHandle<typeof roleWorkflow>>();
        for (const b of [clean, flaky]) {
          handles.set(
            b,
            await env.client.workflow.start<typeof roleWorkflow>('roleWorkflow', {
              workflowId: b.workflowId,
              taskQueue: b.taskQueue,
              args: [{ role: ROLE, seed: { incoming: 'Ben', current: 'Ava' } }],
            }),
          );
        }
        const query = (b: Bed) => handles.get(b)!.query(stateQuery);
        // The faulty twin reads the Slack group through the faults (1 + 7 calls that must all succeed in one attempt):
        // let time pass so the retries' backoff elapses, within the activity's 6 hours.
        const ready = async (b: Bed): Promise<RoleStateView> => {
          for (let i = 0; ; i++) {
            try {
              return await query(b);
            } catch (err) {
              if (i > 72 || !/starting/.test(`${(err as Error).message} ${String((err as Error).cause)}`)) throw err;
              await env.sleep(5 * 60_000);
            }
          }
        };
        let state = await ready(flaky);
        assert.equal((await ready(clean)).nextHandoverAt, state.nextHandoverAt);

        const dates: string[] = [];
        for (let week = 1; week <= WEEKS; week++) {
          const at = Date.parse(state.nextHandoverAt);
          const date = state.nextHandoverAt.slice(0, 10);

          // A minute before the handover the notice and the calendar are out: retries did not push them past it.
          await env.sleep(at - (await env.currentTimeMs()) - 60_000);
          for (const b of [clean, flaky]) {
            const before = await query(b);
            assert.equal(
              before.lastHandoverKey,
              dates.length ? `${ROLE}@${dates.at(-1)}` : null,
              `${b.name} week ${week}`,
            );
            assert.equal(before.lastError, null, `${b.name} week ${week}: ${before.lastError}`);
            const next = before.next!;
            const standup = b.sandbox.geekbot.state.standups[0];
            assert.ok(
              standup?.users.some((u) => u.id === next.id),
              `${b.name} week ${week}: standup ready for ${next.name}`,
            );
            const event = b.sandbox.calendar.events().find((e) => e.start.date === date && e.status !== 'cancelled');
            assert.equal(event?.extendedProperties?.private?.memberId, next.id, `${b.name} week ${week}: event ready`);
          }

          // Two minutes later both have handed over, exactly once, to the same people.
          await env.sleep(2 * 60_000);
          dates.push(date);
          const states = await Promise.all([query(clean), query(flaky)]);
          for (const s of states) {
            assert.equal(s.lastHandoverKey, `${ROLE}@${date}`, `week ${week}: handed over`);
            assert.deepEqual(s.current, order[week % order.length], `week ${week}: current`);
            assert.deepEqual(s.incoming, order[(week + 1) % order.length], `week ${week}: incoming`);
          }
          state = states[1]!;
          const plan = await handles.get(flaky)!.query(planQuery, 60);
          checkRole(
            { state, plan, ...fakesOf(flaky.sandbox) },
            {
              role: ROLE,
              title: 'Support Triager',
              standupName: 'SupportTriager',
              manager: DEMO_MANAGER,
              handoverDates: dates,
              settled: true,
            },
          );
        }

        const [cleanState, flakyState] = await Promise.all([query(clean), query(flaky)]);
        assert.deepEqual(outcome(flaky.sandbox, flakyState), outcome(clean.sandbox, cleanState));
        for (const b of [clean, flaky]) {
          const histories = await collectHistories(env.client, b.workflowId, `flaky-apis ${b.name}`);
          assert.deepEqual(workflowTaskFailures(histories), [], `${b.name}: no workflow task failed`);
        }
        const counts = faultCounts(flaky.sandbox);
        const faulty = counts.rateLimit! + counts.serverError! + counts.drop! + flaky.stalls.count;
        console.log(
          `      flaky year: ${counts.calls} calls, ${counts.rateLimit} × 429, ${counts.serverError} × 500, ` +
            `${counts.drop} dropped, ${flaky.stalls.count} stalled (${Math.min(LONG_STALLS, flaky.stalls.count)} × 10 s, ` +
            `the rest ${STALL_MS} ms) ` +
            `(${((100 * faulty) / counts.calls!).toFixed(1)} %); fault-free twin ${faultCounts(clean.sandbox).calls} calls; ` +
            `${elapsed(started)}`,
        );
        assert.ok(faulty / counts.calls! > 0.2, 'faults were injected');
      }),
    );
  });
});
