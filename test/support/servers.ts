/** Starting the Temporal servers in tests and benchmarks, and the workflow bundle their workers run. */
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

/**
 * Starts a server, trying again on failure (with a line saying so): a JVM or the CLI on a busy 2-core machine can
 * miss a start-up deadline.
 */
export async function startServer<T>(what: string, start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= attempts) throw err;
      console.log(`      ${what} did not start (${(err as Error).message.split('\n')[0]}); trying again`);
    }
  }
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The product's workflows (src/workflows), bundled once per process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) },
  });
  return bundle;
}

let bundleFile: Promise<string> | undefined;

/**
 * `workflowBundle()` written to a file once per process, for worker processes (`WorkerProcess`'s `bundleFile`): they
 * load it as the compiled `npm start` loads lib/workflow-bundle.js, instead of each bundling the TypeScript again
 * (about 5 s a start here under load).
 */
export function workflowBundleFile(): Promise<string> {
  bundleFile ??= workflowBundle().then(({ code }) => {
    const file = path.join(tmpdir(), `team-roles-workflow-bundle-${process.pid}.js`);
    writeFileSync(file, code);
    process.once('exit', () => rmSync(file, { force: true }));
    return file;
  });
  return bundleFile;
}
