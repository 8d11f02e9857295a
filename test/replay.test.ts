/**
 * Replays the histories of real runs (test/histories/*.json, recorded with RECORD_HISTORIES=1 by the workflow
 * tests) against today's workflow code, so that a change that is not deterministic fails here rather than in a
 * running rotation. A change that must alter the commands of existing runs goes behind `patched()`.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { HISTORIES_DIR, loadHistory, workflowBundle } from './support';

/** Histories that must stay: each covers a path of the workflow the others do not. */
const EXPECTED = [
  'support-triager-year', // a year of timer handovers on the time-skipping server
  'support-triager-operator-updates', // overrides, skips, swaps, pause, leavers and joiners by update
  'support-triager-signals', // the same by signal, bad signals ignored
  'support-triager-repeat-trigger', // a second trigger for a handover key
  'support-triager-changes-during-prepare', // override, skip and pause arriving while a notice goes out
  'support-triager-empty-group', // no members at the start, then members joining
  'support-triager-continued-signals-second-run', // a run started by continue-as-new, signals around its end
  'support-triager-continued-updates-second-run', // the same with updates
  'schedule-test-started-by-schedule', // started by signal-with-start from the schedule, schedule mode
  'support-triager-worker-killed', // a prepare step whose calendar activity was retried after a worker died
  'support-triager-slack', // Slack messages and an on-duty group: the announcement after each handover, group syncs
  'support-triager-absence-skip', // patched('absence-check'): an out-of-office member skipped before the notice
  'support-triager-change-notices', // change notices on: a skip and a swap told in one batch
  'support-triager-acknowledgement', // acknowledgements on: answered, reminded, escalated, by update
  'ack-reaction-and-update', // patched('ack-watch-result-after-stop'): a stopped watch's answer still applied
  'ack-sources-down', // Slack and Geekbot down for the window: acknowledgementHeld, "could not check"
];

describe('replay of recorded histories', function () {
  this.timeout(120_000);
  const names = readdirSync(HISTORIES_DIR)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort();

  it('has the recorded histories', () => {
    assert.deepEqual(
      EXPECTED.filter((name) => !names.includes(name)),
      [],
      'missing histories: record them with RECORD_HISTORIES=1 npm run test:file -- test/workflow/*.test.ts',
    );
  });

  it('replays every recorded history with the current workflow code', async () => {
    const bundle = await workflowBundle();
    const histories = names.map((name) => ({ workflowId: name, history: loadHistory(name) }));
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    assert.deepEqual(failures, []);
  });

  it('notices a history the code would not produce (the replay really checks)', async () => {
    // The first activity of the year, read as some other activity: the code schedules lookupMembers instead.
    const history = loadHistory('support-triager-year');
    const activityType = history.events.find((e) => e.activityTaskScheduledEventAttributes?.activityType)
      ?.activityTaskScheduledEventAttributes?.activityType;
    assert.equal(activityType?.name, 'lookupMembers');
    activityType.name = 'upsertStandup';
    await assert.rejects(
      Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, 'tampered'),
      (err: Error) => err.name === 'DeterminismViolationError',
    );
  });
});
