// No Docker engine runs here: the compose file and the Dockerfile are checked by parsing them, and the namespace
// step's script runs for real against a dev server (it is the temporal CLI's, and so is the dev server).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { parse } from 'yaml';
import { resolveTemporalCli } from '../../src/servers/binaries';
import { startDevServer } from '../../src/servers/environments';
import { SEARCH_ATTRIBUTES } from '../../src/shared';
import { SHUTDOWN_GRACE_TIME } from '../../src/worker';

const root = path.resolve(__dirname, '..', '..');

interface ComposeService {
  image?: string;
  build?: unknown;
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: string[];
  secrets?: string[];
  command?: string[] | string;
  stop_grace_period?: string;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file: string }>;
}

describe('deployment: docker-compose.yml', () => {
  const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
  const services = compose.services;

  it('runs Temporal from its official images, on PostgreSQL, with the Web UI and the worker', () => {
    assert.deepEqual(Object.keys(services).sort(), [
      'postgresql',
      'temporal',
      'temporal-namespace',
      'temporal-schema',
      'temporal-ui',
      'worker',
    ]);
    assert.match(services.temporal!.image!, /^temporalio\/server:/);
    assert.match(services['temporal-schema']!.image!, /^temporalio\/admin-tools:/);
    assert.match(services['temporal-namespace']!.image!, /^temporalio\/admin-tools:/);
    assert.match(services['temporal-ui']!.image!, /^temporalio\/ui:/);
    assert.match(services.postgresql!.image!, /^postgres:\d+/);
    assert.equal(services.worker!.build, '.', 'the worker is built from this repository');
  });

  it('publishes the frontend, UI and metrics ports on the loopback only, and wires services by name', () => {
    assert.deepEqual(services.temporal!.ports, ['127.0.0.1:7233:7233']);
    // The dev server's UI address, so the CLI's default Web UI links fit both.
    assert.deepEqual(services['temporal-ui']!.ports, ['127.0.0.1:8233:8080']);
    assert.deepEqual(services.worker!.ports, ['127.0.0.1:${TEAM_ROLES_METRICS_PORT:-9464}:9464']);
    for (const [name, service] of Object.entries(services)) {
      for (const port of service.ports ?? []) {
        assert.match(
          port,
          /^127\.0\.0\.1:/,
          `${name} publishes ${port} beyond localhost (nothing there asks for credentials)`,
        );
      }
    }
    assert.equal(services.worker!.environment!.TEMPORAL_METRICS_BIND, '0.0.0.0:9464');
    assert.equal(services['temporal-ui']!.environment!.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.equal(services.worker!.environment!.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.equal(services.temporal!.environment!.POSTGRES_SEEDS, 'postgresql');
    assert.equal(services.temporal!.environment!.DB, 'postgres12');
  });

  it('starts each service after what it needs is healthy or done', () => {
    assert.equal(services['temporal-schema']!.depends_on!.postgresql!.condition, 'service_healthy');
    assert.equal(services.temporal!.depends_on!['temporal-schema']!.condition, 'service_completed_successfully');
    assert.equal(services['temporal-namespace']!.depends_on!.temporal!.condition, 'service_healthy');
    assert.equal(services['temporal-ui']!.depends_on!.temporal!.condition, 'service_healthy');
    assert.equal(services.worker!.depends_on!['temporal-namespace']!.condition, 'service_completed_successfully');
    for (const name of ['postgresql', 'temporal', 'temporal-ui', 'worker']) {
      assert.ok(services[name]!.healthcheck?.test.length, `${name} has a health check`);
    }
  });

  it('keeps PostgreSQL data in a named volume and sets up both schemas', () => {
    assert.ok(compose.volumes && 'postgresql-data' in compose.volumes);
    assert.ok(services.postgresql!.volumes!.includes('postgresql-data:/var/lib/postgresql/data'));
    const setup = String(services['temporal-schema']!.command);
    assert.match(setup, /temporal_visibility/);
    assert.match(setup, /update-schema/);
  });

  it('passes secrets at run time as files (compose secrets), never as environment values or in the image', () => {
    const env = services.worker!.environment!;
    assert.equal(env.SLACK_BOT_TOKEN_FILE, '/run/secrets/slack_bot_token');
    assert.equal(env.GEEKBOT_API_KEY_FILE, '/run/secrets/geekbot_api_key');
    assert.equal(env.GOOGLE_APPLICATION_CREDENTIALS, '/run/secrets/gcp_service_account');
    assert.equal(env.SLACK_BOT_TOKEN, undefined);
    assert.equal(env.GEEKBOT_API_KEY, undefined);
    assert.match(env.CALENDAR_ID!, /^\$\{CALENDAR_ID:\?/, 'CALENDAR_ID (not a secret) is required');
    assert.deepEqual(services.worker!.secrets, ['slack_bot_token', 'geekbot_api_key', 'gcp_service_account']);
    for (const name of services.worker!.secrets) assert.ok(compose.secrets?.[name]?.file, `secret ${name} is a file`);
  });

  it('stops the worker gently: stop_grace_period is longer than its shutdownGraceTime', () => {
    const grace = services.worker!.stop_grace_period;
    assert.ok(grace, 'stop_grace_period is set (compose waits 10 s by default, then kills)');
    const composeSeconds = Number(/^(\d+)s$/.exec(grace)?.[1]);
    const workerSeconds = Number(/^(\d+) seconds$/.exec(SHUTDOWN_GRACE_TIME)?.[1]);
    assert.ok(composeSeconds > workerSeconds, `${grace} > ${SHUTDOWN_GRACE_TIME}`);
  });

  it('checks the worker with the heartbeat check (no port), which fails when the worker stops polling', () => {
    assert.deepEqual(services.worker!.healthcheck!.test, ['CMD', 'node', 'lib/health.js']);
    // lib/health.js is built from src/health.ts (test/deploy/health.test.ts runs it against a worker).
    assert.ok(existsSync(path.join(root, 'src', 'health.ts')));
    assert.doesNotMatch(JSON.stringify(services.worker!.healthcheck), /process\.kill/);
  });

  it('creates the namespace and the search attributes declaratively, before the worker starts', () => {
    const script = String(services['temporal-namespace']!.command);
    const declared = /for attribute in ([^;]+);/.exec(script)?.[1]?.trim().split(/\s+/) ?? [];
    const names: Record<string, string> = { KEYWORD: 'Keyword', DATETIME: 'Datetime', BOOL: 'Bool' };
    const expected = SEARCH_ATTRIBUTES.map((key) => `${key.name}:${names[key.type]}`);
    assert.deepEqual(declared, expected);
    assert.match(script, /temporal operator search-attribute create/);
    assert.match(script, /temporal operator namespace create/);
  });
});

describe('deployment: Dockerfile', () => {
  const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  const dockerignore = readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n');

  it('is multi-stage on a Node LTS image, ships production dependencies only and runs as non-root', () => {
    const images = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]!);
    assert.equal(images.length, 3, 'sops, build, runtime');
    for (const image of images.filter((i) => i.startsWith('node:'))) {
      const major = Number(/^node:(\d+)/.exec(image)?.[1]);
      // Even majors are the LTS lines; 20 reached its end of life in April 2026.
      assert.ok(major >= 22 && major % 2 === 0, `${image} is a supported Node LTS line`);
    }
    assert.match(dockerfile, /go install github\.com\/getsops\/sops\/v3\/cmd\/sops@v\d+\.\d+\.\d+$/m);
    assert.match(dockerfile, /^COPY --from=sops \/out\/sops \/usr\/local\/bin\/sops$/m);
    assert.match(dockerfile, /^HEALTHCHECK .*CMD \["node", "lib\/health\.js"\]$/m);
    assert.match(dockerfile, /npm prune --omit=dev/);
    assert.match(dockerfile, /^USER node$/m);
    assert.match(dockerfile, /^CMD \["node", "lib\/worker.js"\]$/m);
  });

  it('never copies secrets or local state into the image', () => {
    assert.doesNotMatch(dockerfile, /COPY .*secrets/);
    for (const entry of ['secrets', '.env*', 'data', '.cache', 'node_modules']) {
      assert.ok(dockerignore.includes(entry), `.dockerignore lists ${entry}`);
    }
  });
});

describe('deployment: the namespace step, run against a dev server', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  before(async () => {
    env = await startDevServer({ resolve: { sdkDownload: false } });
  });
  after(() => env?.teardown());

  it('creates a namespace and its search attributes, and a second run changes nothing', async () => {
    const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
    // As compose hands it to the shell: `$$` is a literal `$`.
    const script = String(compose.services['temporal-namespace']!.command).replace(/\$\$/g, '$');
    const cli = (await resolveTemporalCli({ sdkDownload: false })).path!;
    const namespace = `compose-${Date.now()}`;
    const run = () =>
      promisify(execFile)('/bin/sh', ['-c', script], {
        env: {
          ...process.env,
          PATH: `${path.dirname(cli)}${path.delimiter}${process.env.PATH ?? ''}`,
          TEMPORAL_ADDRESS: env.address,
          TEMPORAL_NAMESPACE: namespace,
        },
      });
    await run();
    const again = await run();
    assert.match(again.stdout, /search attribute TeamRole exists/);
    const listed = await env.connection.operatorService.listSearchAttributes({ namespace });
    for (const key of SEARCH_ATTRIBUTES) {
      assert.ok(listed.customAttributes?.[key.name] !== undefined, `${key.name} in ${namespace}`);
    }
  });
});
