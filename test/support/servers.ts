/** Starting the Temporal servers in tests and benchmarks. */
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
