// Loaded by mocha before any test (see .mocharc.json): keep the Temporal worker quiet unless a test fails.
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { resolveTemporalCli, resolveTestServer } from '../src/servers/binaries';

Runtime.install({ logger: new DefaultLogger('WARN') });

/**
 * Root hook: find (or, on a fresh machine, build) both Temporal servers once before any test, with time for it: a
 * first `go install` of the CLI took 4-5 minutes here, longer than any one test's hook may wait.
 */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(20 * 60_000);
    await resolveTemporalCli({ sdkDownload: false });
    await resolveTestServer({ sdkDownload: false });
  },
};
