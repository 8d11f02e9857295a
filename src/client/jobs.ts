/**
 * Running a one-off job on the worker (see src/workflows/jobs.ts): start it, wait for its preview, show it, ask,
 * confirm or cancel, and follow its progress through the `progress` query until it returns its result.
 */
import { randomUUID } from 'node:crypto';
import { confirm } from '@inquirer/prompts';
import type { WorkflowHandle } from '@temporalio/client';
import { SingleBar } from 'cli-progress';
import { TASK_QUEUE } from '../shared';
import { jobRole, jobTexts, teamRoleAttribute } from '../starts';
import {
  cancelJobUpdate,
  confirmJobUpdate,
  jobPreviewQuery,
  jobProgressQuery,
  jobWorkflowId,
  type JobInput,
  type JobPreview,
  type JobResult,
} from '../workflows/jobs-shared';
import type { jobWorkflow } from '../workflows/jobs';
import { CliError, EXIT_INTERRUPTED, UsageError } from './errors';
import { failureError } from './failures';
import { out, printJson, warn } from './output';
import { requireWorker, sleep, type Session } from './session';
import { inWebUi, webUiSuffix } from './webui';

export interface ConfirmOptions {
  /** Go ahead without asking. */
  yes?: boolean;
  /** Show the preview, change nothing. */
  dryRun?: boolean;
  json?: boolean;
}

export interface JobView<K extends JobInput['kind']> {
  /** The preview as tables and sentences for a person. */
  render(preview: Extract<JobPreview, { kind: K }>): string;
  /** The yes/no question, e.g. "Create 52 events in the calendar?" */
  question(preview: Extract<JobPreview, { kind: K }>): string;
  /** One line saying what happened. */
  summary(result: Extract<JobResult, { kind: K }>): string;
  /** Extra warnings the CLI knows of (e.g. a running rotation that rewrites the calendar). */
  notes?(preview: Extract<JobPreview, { kind: K }>): string[];
}

/** How long the CLI waits for a job's preview before giving up on it. */
const PREVIEW_TIMEOUT_MS = 5 * 60_000;
const POLL_MS = 200;

/**
 * Refuses, before anything starts, to ask a question nobody can answer: prompts need a terminal on stdin.
 * Called first by every command that asks for confirmation.
 */
export function requireAnswerable(command: string, options: ConfirmOptions, dryRunFlag = true): void {
  if (options.yes || options.dryRun || process.stdin.isTTY) return;
  const alternative = dryRunFlag ? ', or --dry-run to only see what it would do' : '';
  throw new UsageError(
    `${command} asks for confirmation but stdin is not a terminal: pass --yes to go ahead${alternative}.`,
  );
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Starts a job and returns its result once it ends; with `view`, previews, asks and follows progress. */
export async function runJob<K extends JobInput['kind']>(
  session: Session,
  input: Extract<JobInput, { kind: K }>,
  subject: string,
  view: JobView<K> | null,
  options: ConfirmOptions = {},
): Promise<Extract<JobResult, { kind: K }>> {
  await requireWorker(session);
  const role = jobRole(input);
  const handle = await session.client.workflow.start<typeof jobWorkflow>('jobWorkflow', {
    workflowId: jobWorkflowId(input.kind, subject, randomUUID()),
    taskQueue: TASK_QUEUE,
    args: [input],
    ...(role ? { typedSearchAttributes: teamRoleAttribute(role) } : {}),
    ...jobTexts(input),
  });
  let settled: Settled<JobResult> | undefined;
  const finished = handle.result().then(
    (value) => (settled = { ok: true, value }),
    (error: unknown) => (settled = { ok: false, error }),
  );
  const where = inWebUi(session.webUi, (ui) => ui.workflow(handle.workflowId, handle.firstExecutionRunId));
  const result = async (): Promise<Extract<JobResult, { kind: K }>> => {
    const end = await finished;
    if (!end.ok) {
      const failure = failureError(end.error, `The ${input.kind} job failed: `);
      throw new CliError(`${failure.message} (${handle.workflowId}, ${where})`, failure.exitCode);
    }
    return end.value as Extract<JobResult, { kind: K }>;
  };
  if (!view) return result();

  // Ctrl-C before the operator confirmed: the job is cancelled, so it changes nothing and does not wait 15 minutes.
  const stopBeforeConfirm = onInterrupt(async () => {
    await cancel(handle);
    process.stderr.write('\nInterrupted: the job was cancelled, nothing was changed.\n');
  });
  let preview: JobPreview | null;
  let answer: boolean;
  try {
    preview = await waitForPreview(handle, () => settled, result, where);
    if (!preview) return await result(); // it ended before showing one (it failed: result() throws)
    const shown = preview as Extract<JobPreview, { kind: K }>;
    if (!options.json) {
      out(view.render(shown));
      for (const note of view.notes?.(shown) ?? []) warn(note);
    }
    const progress = await handle.query(jobProgressQuery);
    if (progress.phase === 'nothing-to-do' || progress.total === 0) {
      return report(await result(), shown, view, options, handle.workflowId);
    }
    if (options.dryRun) {
      await cancel(handle);
      if (options.json) printJson({ workflowId: handle.workflowId, preview: shown, result: null, dryRun: true });
      else out('Dry run: nothing was changed.');
      return await result();
    }
    try {
      answer = options.yes === true || (await ask(view.question(shown), 'the job was cancelled, nothing was changed'));
    } catch (err) {
      await cancel(handle);
      throw err;
    }
    if (!answer) {
      await cancel(handle);
      if (options.json) printJson({ workflowId: handle.workflowId, preview: shown, result: await result() });
      else out('Nothing was changed.');
      return await result();
    }
  } finally {
    stopBeforeConfirm();
  }
  const shown = preview as Extract<JobPreview, { kind: K }>;
  try {
    await handle.executeUpdate(confirmJobUpdate);
  } catch (err) {
    const phase = await handle
      .query(jobProgressQuery)
      .then((p) => p.phase)
      .catch(() => null);
    if (phase === 'expired') throw expired();
    throw failureError(err, 'Could not confirm the job: ');
  }
  const suffix = webUiSuffix(session.webUi, (ui) => ui.workflow(handle.workflowId, handle.firstExecutionRunId));
  const announcement = options.json ? null : `Job ${handle.workflowId} runs on the worker${suffix}.\n`;
  await followProgress(handle, () => settled !== undefined, options.json === true, where, announcement);
  return report(await result(), shown, view, options, handle.workflowId);
}

/**
 * Runs `handler` on Ctrl-C (SIGINT), then exits with 130, the code for "interrupted". Returns the function that
 * removes it again.
 */
export function onInterrupt(handler: () => Promise<void> | void): () => void {
  const listener = () => {
    void Promise.resolve()
      .then(handler)
      .catch(() => undefined)
      .finally(() => process.exit(EXIT_INTERRUPTED));
  };
  process.once('SIGINT', listener);
  return () => process.removeListener('SIGINT', listener);
}

async function waitForPreview(
  handle: WorkflowHandle,
  settled: () => Settled<JobResult> | undefined,
  result: () => Promise<unknown>,
  where: string,
): Promise<JobPreview | null> {
  const deadline = Date.now() + PREVIEW_TIMEOUT_MS;
  for (;;) {
    if (settled()?.ok === false) await result(); // throws the failure
    const preview = await handle.query(jobPreviewQuery);
    if (preview) return preview;
    if (settled()) return null;
    if (Date.now() > deadline) {
      await handle.terminate('the team-roles CLI gave up waiting for the preview');
      throw new CliError(
        `The job ${handle.workflowId} showed no preview within ${PREVIEW_TIMEOUT_MS / 60_000} minutes (Slack or Google not answering?) and was stopped: check the worker's log and the job ${where}, then try again.`,
      );
    }
    await sleep(POLL_MS);
  }
}

/** A yes/no question on the terminal (stderr), "no" by default. Ctrl-C is "no" and exits 130 (interrupted). */
export async function ask(message: string, onInterrupted = 'nothing was changed'): Promise<boolean> {
  try {
    return await confirm({ message, default: false }, { output: process.stderr });
  } catch (err) {
    // The prompt reads the terminal raw, so Ctrl-C reaches it as a key rather than as SIGINT.
    if ((err as Error).name === 'ExitPromptError')
      throw new CliError(`Interrupted: ${onInterrupted}.`, EXIT_INTERRUPTED);
    throw err;
  }
}

async function cancel(handle: WorkflowHandle): Promise<void> {
  try {
    await handle.executeUpdate(cancelJobUpdate);
  } catch {
    // It ended by itself meanwhile (expired): nothing to cancel, nothing changed.
  }
}

/** A progress bar on a terminal (stderr); on Ctrl-C the CLI stops following (exit 130) but the job carries on. */
async function followProgress(
  handle: WorkflowHandle,
  ended: () => boolean,
  quiet: boolean,
  where: string,
  /** Printed once Ctrl-C stops the following (not the process as a whole): a user may press it right after. */
  announcement: string | null,
): Promise<void> {
  const bar =
    !quiet && process.stderr.isTTY
      ? new SingleBar({
          format: '{bar} {value}/{total} {phase}',
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: false,
        })
      : null;
  const stopFollowing = onInterrupt(() => {
    bar?.stop();
    process.stderr.write(
      `\nStopped following. The job goes on on the worker: see ${handle.workflowId} ${where}, or wait for it with \`temporal workflow result --workflow-id ${handle.workflowId}\`.\n`,
    );
  });
  if (announcement) process.stderr.write(announcement);
  try {
    let started = false;
    while (!ended()) {
      try {
        const progress = await handle.query(jobProgressQuery);
        if (bar && !started) {
          bar.start(progress.total, progress.done, { phase: progress.phase });
          started = true;
        }
        bar?.update(progress.done, { phase: progress.phase });
      } catch {
        // Ended between the check and the query: the loop ends.
      }
      await sleep(POLL_MS);
    }
    if (bar && started) bar.update(bar.getTotal(), { phase: 'done' });
    bar?.stop();
  } finally {
    stopFollowing();
  }
}

function report<K extends JobInput['kind']>(
  result: Extract<JobResult, { kind: K }>,
  preview: Extract<JobPreview, { kind: K }>,
  view: JobView<K>,
  options: ConfirmOptions,
  workflowId: string,
): Extract<JobResult, { kind: K }> {
  if (options.json) printJson({ workflowId, preview, result });
  else out(view.summary(result));
  if (result.outcome === 'expired') throw expired();
  return result;
}

function expired(): CliError {
  return new CliError(
    'Nobody confirmed the job within 15 minutes, so it ended without changing anything: run the command again.',
  );
}
