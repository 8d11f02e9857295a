// Loaded by mocha before any test (see .mocharc.json): keep the Temporal worker quiet unless a test fails.
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('WARN') });
