/**
 * Finds (or builds) the two official Temporal server binaries this project runs against:
 *
 * - the Temporal CLI (`temporal server start-dev`: server, SQLite, Web UI), built from Temporal's
 *   source modules on the Go module proxy;
 * - the Java time-skipping test server (`io.temporal.testserver.TestServer`) from Maven Central,
 *   started through a small `exec java` launcher.
 *
 * Order for each: explicit environment variable, PATH, the project's cache folder, building it from
 * the registry, and last the SDK's own download (which works on an internet-connected machine).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { EphemeralServerExecutable } from '@temporalio/testing';

/** Newest CLI release `go install` can build: from v1.6.0 its go.mod carries a `replace` directive. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEST_SERVER_ARTIFACT = 'io.temporal:temporal-test-server';
export const TEST_SERVER_VERSION = '1.32.0';
/** Bump when the launcher or its pom changes, so caches are rebuilt. */
const TEST_SERVER_LAUNCHER_REVISION = 2;

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const DEFAULT_CACHE_DIR = path.join(PROJECT_ROOT, '.cache', 'temporal');

export type BinarySource = 'env' | 'PATH' | 'cache' | 'built' | 'sdk-download';

export interface ResolvedBinary {
  /** What to hand to `TestWorkflowEnvironment` (`server.executable`). */
  executable: EphemeralServerExecutable;
  /** Absolute path when one is known (always, except for the SDK download). */
  path?: string;
  source: BinarySource;
  /** Every step tried, in order, for error messages. */
  tried: string[];
}

export class BinaryNotFoundError extends Error {
  override readonly name = 'BinaryNotFoundError';
}

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  cacheDir?: string;
  /** Build from the registry when nothing is found (default true). */
  build?: boolean;
  /** Fall back to the SDK's own download as a last resort (default true). */
  sdkDownload?: boolean;
  log?: (message: string) => void;
}

interface BinarySpec {
  label: string;
  envVar: 'TEMPORAL_CLI_PATH' | 'TEMPORAL_TEST_SERVER_PATH';
  commandName: string;
  cachedPath: (cacheDir: string) => string;
  build: (cacheDir: string, log: (message: string) => void, env: NodeJS.ProcessEnv) => Promise<void>;
}

const defaultLog = (message: string): void => {
  process.stderr.write(`[team-roles servers] ${message}\n`);
};

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Runs a build step, echoing a heartbeat so a long first build does not look hung. */
function run(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; log: (m: string) => void },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const heartbeat = setInterval(() => {
      options.log(`  still running ${command} (${Math.round((Date.now() - started) / 1000)} s)...`);
    }, 30_000);
    child.on('error', (err) => {
      clearInterval(heartbeat);
      reject(new Error(`could not run ${command}: ${err.message}`));
    });
    child.on('close', (code) => {
      clearInterval(heartbeat);
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output.trim()}`));
    });
  });
}

const temporalCli: BinarySpec = {
  label: `Temporal CLI ${TEMPORAL_CLI_VERSION}`,
  envVar: 'TEMPORAL_CLI_PATH',
  commandName: 'temporal',
  cachedPath: (cacheDir) => path.join(cacheDir, `cli-${TEMPORAL_CLI_VERSION}`, 'temporal'),
  async build(cacheDir, log, env) {
    const target = path.join(cacheDir, `cli-${TEMPORAL_CLI_VERSION}`);
    const staging = `${target}.partial-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    log(`building the Temporal CLI with \`go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}\``);
    log('  (first build: several minutes and about 1.5 GB of Go module and build cache; later runs reuse it)');
    await run('go', ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
      env: { ...env, GOBIN: staging, GOFLAGS: [env.GOFLAGS, '-buildvcs=false'].filter(Boolean).join(' ') },
      log,
    });
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
  },
};

const testServer: BinarySpec = {
  label: `Temporal time-skipping test server ${TEST_SERVER_VERSION}`,
  envVar: 'TEMPORAL_TEST_SERVER_PATH',
  commandName: 'temporal-test-server',
  cachedPath: (cacheDir) =>
    path.join(cacheDir, `test-server-${TEST_SERVER_VERSION}-r${TEST_SERVER_LAUNCHER_REVISION}`, 'temporal-test-server'),
  async build(cacheDir, log, env) {
    const target = path.dirname(testServer.cachedPath(cacheDir));
    const staging = `${target}.partial-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const pom = path.join(staging, 'pom.xml');
    writeFileSync(pom, testServerPom());
    const classpathFile = path.join(staging, 'classpath.txt');
    log(`fetching ${TEST_SERVER_ARTIFACT}:${TEST_SERVER_VERSION} and its dependencies with Maven`);
    await run('mvn', ['-q', '-B', '-f', pom, 'dependency:build-classpath', `-Dmdep.outputFile=${classpathFile}`], {
      env,
      cwd: staging,
      log,
    });
    const classpath = readFileSync(classpathFile, 'utf8').trim();
    if (!classpath) throw new Error('Maven produced an empty classpath');
    // startTimeSkippingServer runs this as `<launcher> <port>` in a process group of its own and kills the group:
    // `exec` makes the JVM the launcher's own process, and the classpath is resolved here, once.
    const launcher = [
      '#!/bin/sh',
      `# ${TEST_SERVER_ARTIFACT}:${TEST_SERVER_VERSION}, classpath resolved at install time.`,
      `exec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -cp '${classpath}' io.temporal.testserver.TestServer "$@"`,
      '',
    ].join('\n');
    writeFileSync(path.join(staging, 'temporal-test-server'), launcher, { mode: 0o755 });
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
  },
};

function testServerPom(): string {
  const [groupId, artifactId] = TEST_SERVER_ARTIFACT.split(':');
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>team-roles.local</groupId>
  <artifactId>temporal-test-server-launcher</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>${groupId}</groupId>
      <artifactId>${artifactId}</artifactId>
      <version>${TEST_SERVER_VERSION}</version>
    </dependency>
    <!-- Binds the server's SLF4J 1.7 logging to nothing, instead of a warning at every start. -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-nop</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
</project>
`;
}

async function resolve(spec: BinarySpec, options: ResolveOptions): Promise<ResolvedBinary> {
  const env = options.env ?? process.env;
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  const log = options.log ?? defaultLog;
  const tried: string[] = [];
  const found = (p: string, source: BinarySource): ResolvedBinary => ({
    executable: { type: 'existing-path', path: p },
    path: p,
    source,
    tried,
  });

  const explicit = env[spec.envVar];
  if (explicit) {
    // An explicit choice is never silently replaced by something else.
    if (isExecutable(explicit)) return found(path.resolve(explicit), 'env');
    const why = existsSync(explicit) ? 'is not executable' : 'does not exist';
    throw new BinaryNotFoundError(
      `${spec.envVar}=${explicit} ${why}. Point ${spec.envVar} at the ${spec.label} binary, or unset it to let team-roles find or build one.`,
    );
  }
  tried.push(`${spec.envVar} (not set)`);

  const onPath = findOnPath(spec.commandName, env);
  if (onPath) return found(onPath, 'PATH');
  tried.push(`\`${spec.commandName}\` on PATH (not found)`);

  const cached = spec.cachedPath(cacheDir);
  if (isExecutable(cached)) return found(cached, 'cache');
  tried.push(`cache ${cached} (empty)`);

  if (options.build !== false) {
    try {
      const started = Date.now();
      await spec.build(cacheDir, log, env);
      log(`${spec.label} ready in ${Math.round((Date.now() - started) / 1000)} s: ${cached}`);
      if (isExecutable(cached)) return found(cached, 'built');
      tried.push(`building it (finished, but ${cached} is missing)`);
    } catch (err) {
      const reason = (err as Error).message.split('\n').slice(0, 6).join(' | ');
      tried.push(`building it from the registry (failed: ${reason})`);
      log(`could not build the ${spec.label}: ${reason}`);
    }
  } else {
    tried.push('building it (disabled)');
  }

  if (options.sdkDownload !== false) {
    tried.push("the Temporal SDK's own download (needs internet access)");
    return { executable: { type: 'cached-download' }, source: 'sdk-download', tried };
  }
  throw new BinaryNotFoundError(notFoundMessage(spec, tried));
}

function notFoundMessage(spec: BinarySpec, tried: string[]): string {
  return `No ${spec.label} found. Tried: ${tried.join('; ')}. Set ${spec.envVar} to an existing binary.`;
}

/** Builds the error for when a resolved server failed to start (or every route, including the SDK's download, failed). */
export function serverStartError(kind: 'cli' | 'test-server', resolved: ResolvedBinary, cause: unknown): Error {
  const spec = kind === 'cli' ? temporalCli : testServer;
  const detail = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
  if (resolved.path) {
    return new Error(`The ${spec.label} at ${resolved.path} (${resolved.source}) did not start: ${detail}`);
  }
  return new BinaryNotFoundError(`${notFoundMessage(spec, resolved.tried)} (last error: ${detail})`);
}

export function resolveTemporalCli(options: ResolveOptions = {}): Promise<ResolvedBinary> {
  return resolve(temporalCli, options);
}

export function resolveTestServer(options: ResolveOptions = {}): Promise<ResolvedBinary> {
  return resolve(testServer, options);
}
