/**
 * `npm run build` (and `npm ci` through `prepare`): bundles the workflow code once, next to the compiled worker, so
 * `npm start` loads it instead of bundling at every start (BENCHMARKS.md section 4: about twice as fast to start
 * and about 125 MiB less memory). Run from lib/: it bundles lib/workflows, the code that was just compiled.
 *
 *   node lib/bundle-workflows.js [OUTPUT]     default lib/workflow-bundle.js
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

/** Where `npm run build` puts the bundle, and where the compiled worker looks for it. */
export const PREBUILT_BUNDLE = path.join(__dirname, 'workflow-bundle.js');

export async function writeWorkflowBundle(output = PREBUILT_BUNDLE): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows'),
    logger: {
      log() {},
      trace() {},
      debug() {},
      info() {},
      warn: (m: string) => console.warn(m),
      error: (m: string) => console.error(m),
    },
  });
  writeFileSync(output, code);
  return output;
}

if (require.main === module) {
  writeWorkflowBundle(process.argv[2] ? path.resolve(process.argv[2]) : undefined)
    .then((output) => console.log(`Bundled the workflows into ${path.relative(process.cwd(), output)}`))
    .catch((err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    });
}
