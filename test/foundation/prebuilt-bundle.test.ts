/**
 * `npm run build` bundles the workflows next to the compiled worker; `npm start` loads that bundle rather than
 * bundling at every start. The bundle must run the same workflow code: a recorded history replays on it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { writeWorkflowBundle } from '../../src/bundle-workflows';
import { workflowSource } from '../../src/worker';
import { loadHistory } from '../support';

describe('prebuilt workflow bundle', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(tmpdir(), 'team-roles-bundle-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is built from the workflow code and replays a recorded year with it', async () => {
    const codePath = await writeWorkflowBundle(path.join(dir, 'workflow-bundle.js'));
    assert.ok(statSync(codePath).size > 10_000);
    await Worker.runReplayHistory({ workflowBundle: { codePath } }, loadHistory('support-triager-year'), 'year');
  });

  it('is used only by the compiled worker: run from source, the worker bundles its TypeScript at start', () => {
    const source = workflowSource(path.join(dir, 'workflow-bundle.js'));
    assert.ok('workflowsPath' in source, 'from source: no prebuilt bundle, even when one exists');
    assert.match(source.workflowsPath, /src[\\/]workflows[\\/]index\.ts$/);
  });
});
