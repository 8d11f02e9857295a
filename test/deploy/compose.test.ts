// No Docker engine runs here: the compose file and the Dockerfile are checked by parsing them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

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

  it('publishes the frontend and UI ports and wires services by name', () => {
    assert.deepEqual(services.temporal!.ports, ['7233:7233']);
    assert.deepEqual(services['temporal-ui']!.ports, ['8080:8080']);
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

  it('passes secrets at run time, never in the image', () => {
    const env = services.worker!.environment!;
    for (const name of ['SLACK_BOT_TOKEN', 'GEEKBOT_API_KEY', 'CALENDAR_ID']) {
      assert.match(env[name]!, new RegExp(`^\\$\\{${name}:\\?`), `${name} comes from the environment and is required`);
    }
    assert.equal(env.GOOGLE_APPLICATION_CREDENTIALS, '/run/secrets/gcp_service_account');
    assert.deepEqual(services.worker!.secrets, ['gcp_service_account']);
    assert.ok(compose.secrets?.gcp_service_account?.file);
  });
});

describe('deployment: Dockerfile', () => {
  const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  const dockerignore = readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n');

  it('is multi-stage, ships production dependencies only and runs as non-root', () => {
    assert.equal(dockerfile.match(/^FROM /gm)?.length, 2);
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
