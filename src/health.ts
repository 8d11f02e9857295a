/**
 * Worker health without a port (the worker never listens: see docs/production.md). While the worker runs and the
 * Temporal server reports a recent poll from it on task queue `team-roles`, the worker rewrites a small heartbeat
 * file every few seconds; when it stops polling (shut down, failed, or the server is gone) it removes the file or
 * stops refreshing it. `node lib/health.js` (the compose healthcheck) passes only while the file is fresh.
 *
 * The worker's side is ./worker-health.ts. This file loads nothing but Node built-ins, so the check starts fast.
 */
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** `TEAM_ROLES_HEALTH_FILE`, default `<tmp>/team-roles-worker.health.json`. */
export function healthFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.TEAM_ROLES_HEALTH_FILE?.trim() || path.join(tmpdir(), 'team-roles-worker.health.json');
}

export interface HealthBeat {
  /** When the worker last saw itself healthy (ISO-8601). */
  at: string;
  identity: string;
  namespace: string;
  taskQueue: string;
  /** When the server last saw a poll from this worker (ISO-8601). */
  lastPollAt: string;
}

/** Whether the heartbeat file says the worker polled within `maxAgeMs`, with a sentence saying why. */
export async function checkHealth(
  file = healthFile(),
  maxAgeMs = 60_000,
  now = Date.now(),
): Promise<{ healthy: boolean; message: string }> {
  let beat: HealthBeat;
  try {
    beat = JSON.parse(await readFile(file, 'utf8')) as HealthBeat;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      healthy: false,
      message:
        code === 'ENOENT'
          ? `unhealthy: no heartbeat at ${file} (the worker is not polling, or has not started)`
          : `unhealthy: cannot read ${file}: ${(err as Error).message}`,
    };
  }
  const age = now - Date.parse(beat.at);
  if (!(age <= maxAgeMs)) {
    return {
      healthy: false,
      message: `unhealthy: the last heartbeat is ${Math.round(age / 1000)} s old (limit ${maxAgeMs / 1000} s): the worker stopped polling`,
    };
  }
  return {
    healthy: true,
    message: `healthy: ${beat.identity} polls ${beat.taskQueue} in ${beat.namespace} (last poll seen ${beat.lastPollAt})`,
  };
}

/** `node lib/health.js [--max-age SECONDS]`: exit 0 when healthy, 1 when not (the compose healthcheck). */
async function main(argv: string[]): Promise<number> {
  const at = argv.indexOf('--max-age');
  const seconds = at >= 0 ? Number(argv[at + 1]) : Number(process.env.TEAM_ROLES_HEALTH_MAX_AGE ?? 60);
  if (!(seconds > 0)) {
    process.stderr.write('usage: node lib/health.js [--max-age SECONDS]\n');
    return 2;
  }
  const { healthy, message } = await checkHealth(healthFile(), seconds * 1000);
  (healthy ? process.stdout : process.stderr).write(`${message}\n`);
  return healthy ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`unhealthy: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
