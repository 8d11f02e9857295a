/**
 * Runs a Temporal server process for as long as its test environment lives: waits (up to two minutes) until it
 * answers, and kills it when it fails to start, at teardown, and when this process exits or is interrupted, so that
 * no server is left behind.
 *
 * The SDK's own launcher gives a server about 5 s to open its port; a cold JVM or a new SQLite file on a busy
 * 2-core machine can take longer than that, hence this.
 */
import { spawn } from 'node:child_process';

export interface ServerProcessOptions {
  /** Names the server in messages, e.g. `temporal server start-dev`. */
  label: string;
  file: string;
  args: string[];
  /** Where it will answer, for messages. */
  address: string;
  /** Resolves once the server answers; throws while it does not (yet), or an {@link UnusableServerError}. */
  probe: () => Promise<void>;
  /**
   * Runs the server in a process group of its own and signals the whole group: nothing survives even when the
   * file is a launcher that starts the server as a child rather than `exec`-ing it. Such a group does not get
   * the terminal's Ctrl-C or hang-up, so it is also killed when SIGINT, SIGTERM or SIGHUP ends this process.
   */
  processGroup?: boolean;
  /** SIGTERM (default) lets the server shut down cleanly, with SIGKILL after 10 s; SIGKILL when there is nothing to save. */
  stopSignal?: 'SIGTERM' | 'SIGKILL';
  /** Output meaning the server will never answer though it keeps running (a JVM outlives an exception in `main`). */
  fatalOutput?: RegExp;
  timeoutMs?: number;
}

export interface ServerProcess {
  readonly pid: number;
  stop(): Promise<void>;
}

/** The server failed to start; `output` holds the last lines of its stderr. */
export class ServerStartError extends Error {
  override readonly name = 'ServerStartError';
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(output ? `${message}\nLast lines of its stderr:\n${output}` : message);
  }
}

/** Thrown by a probe when what answers is not the expected server: waiting longer will not help. */
export class UnusableServerError extends Error {
  override readonly name = 'UnusableServerError';
}

const STDERR_LINES = 15;

/** Starts the server and waits until `probe` succeeds; on any failure the server is stopped before this throws. */
export async function spawnUntilReady(options: ServerProcessOptions): Promise<ServerProcess> {
  const { label, address, processGroup = false, stopSignal = 'SIGTERM', timeoutMs = 120_000 } = options;
  const child = spawn(options.file, options.args, { stdio: ['ignore', 'ignore', 'pipe'], detached: processGroup });
  // Settles when waiting for an answer is pointless: the server exited or reported a failed start.
  let giveUp!: () => void;
  const gaveUp = new Promise<void>((resolve) => (giveUp = resolve));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8000);
    if (options.fatalOutput?.test(stderr)) giveUp();
  });
  let exited = false;
  let exitDetail = '';
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      exitDetail = signal ? `killed by ${signal}` : `exit code ${code}`;
      resolve();
      giveUp();
    });
    child.once('error', (err) => {
      // Could not be started at all (no `exit` follows), or could not be signalled (ignored: `exit` follows).
      if (child.pid !== undefined) return;
      exited = true;
      exitDetail = err.message;
      resolve();
      giveUp();
    });
  });

  const signal = (name: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      if (processGroup) process.kill(-child.pid, name);
      else if (!exited) child.kill(name);
    } catch {
      // ESRCH: already gone.
    }
  };
  const untrack = track({ kill: () => signal('SIGKILL'), onSignal: processGroup });
  const stop = async (): Promise<void> => {
    untrack();
    if (!exited) {
      signal(stopSignal);
      const timer = setTimeout(() => signal('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    }
    // Whatever else is left in the group (a launcher's child) goes with the server.
    if (processGroup) signal('SIGKILL');
  };
  // `exit` can come before the last of stderr: `close` comes after it (unless something else still holds the pipe).
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const fail = async (message: string): Promise<never> => {
    await stop();
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1_000))]);
    throw new ServerStartError(message, lastLines(stderr, STDERR_LINES));
  };

  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer yet';
  for (;;) {
    if (exited) return fail(`${label} exited before it was ready (${exitDetail})`);
    if (options.fatalOutput?.test(stderr)) return fail(`${label} failed to start`);
    try {
      // Stop probing as soon as the server gives up: a probe can take seconds to time out.
      if (await Promise.race([options.probe().then(() => true), gaveUp.then(() => false)])) {
        return { pid: child.pid!, stop };
      }
      continue;
    } catch (err) {
      if (err instanceof UnusableServerError) return fail(err.message);
      lastError = (err as Error).message;
    }
    if (Date.now() > deadline) {
      return fail(`${label} did not answer at ${address} within ${Math.round(timeoutMs / 1000)} s (${lastError})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

interface Tracked {
  /** Synchronous: runs in an `exit` listener. */
  kill: () => void;
  /** Also kill it when SIGINT, SIGTERM or SIGHUP ends this process. */
  onSignal: boolean;
}

/** Servers still running: one set of listeners for all, installed only while they are needed. */
const running = new Set<Tracked>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let listening = { exit: false, signals: false };

function killAll(): void {
  for (const server of running) server.kill();
}

/**
 * Only when this is the signal's one listener, i.e. when the signal would have ended the process without an `exit`
 * event: kill the servers, then give the signal its default action back. Another listener (the Temporal worker
 * runtime shuts its workers down gracefully on SIGINT, SIGTERM, SIGQUIT, SIGUSR2) owns the shutdown, during which
 * the workers still need their server: teardown or the `exit` listener stops it afterwards.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  for (const server of running) if (server.onSignal) server.kill();
  for (const name of SIGNALS) process.removeListener(name, onSignal);
  listening = { ...listening, signals: false };
  process.kill(process.pid, signal);
}

function listen(): void {
  const wanted = { exit: running.size > 0, signals: [...running].some((server) => server.onSignal) };
  if (wanted.exit !== listening.exit) {
    if (wanted.exit) process.on('exit', killAll);
    else process.removeListener('exit', killAll);
  }
  if (wanted.signals !== listening.signals) {
    for (const name of SIGNALS) {
      // First in line, to see whether others listen before any of them stops listening (the runtime does at once).
      if (wanted.signals) process.prependListener(name, onSignal);
      else process.removeListener(name, onSignal);
    }
  }
  listening = wanted;
}

function track(server: Tracked): () => void {
  running.add(server);
  listen();
  return () => {
    if (running.delete(server)) listen();
  };
}
