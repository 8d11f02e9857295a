/**
 * Histories of a workflow ID across its runs, the workflow tasks that failed in them, and the saved histories the
 * replay test reads (test/histories/).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import * as proto from '@temporalio/proto';

export const EventType = proto.temporal.api.enums.v1.EventType;
export type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

/** One run of a workflow ID and its events. */
export interface RunHistory {
  runId: string;
  events: HistoryEvent[];
}

/**
 * Every run of `workflowId`, **oldest first** (the first run, then each one it continued as new into, the latest
 * last): fetched from the latest run back along `continuedExecutionRunId`.
 */
export async function runHistories(client: Client, workflowId: string): Promise<RunHistory[]> {
  const runs: RunHistory[] = [];
  let runId: string | null | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  while (runId) {
    const history: proto.temporal.api.history.v1.IHistory = await client.workflow
      .getHandle(workflowId, runId)
      .fetchHistory();
    const events: HistoryEvent[] = history.events ?? [];
    runs.unshift({ runId, events });
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
  }
  return runs;
}

export function countEvents(runs: readonly RunHistory[], type: proto.temporal.api.enums.v1.EventType): number {
  return runs.reduce((n, run) => n + run.events.filter((e) => e.eventType === type).length, 0);
}

/**
 * The server refusing a completion because new messages arrived meanwhile (e.g. a signal racing a continue-as-new):
 * Temporal's protocol, not a failure of the workflow code. Pass it as `allow` where such races are expected.
 */
export const SERVER_REFUSALS = /: WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_(COMMAND|UPDATE)(:|$)/;

const { WorkflowTaskFailedCause, TimeoutType } = proto.temporal.api.enums.v1;

/**
 * Workflow tasks that failed (with their cause and message) or timed out while running (start-to-close) in `runs`,
 * one a line: `run <id> event <n>: <CAUSE>: <message>` or `run <id> event <n>: timed out (start-to-close)`. Lines
 * matching one of `allow` are left out.
 */
export function workflowTaskFailures(
  runs: readonly RunHistory[],
  { allow = [] }: { allow?: RegExp | RegExp[] } = {},
): string[] {
  const allowed = Array.isArray(allow) ? allow : [allow];
  const failures: string[] = [];
  for (const run of runs) {
    for (const event of run.events) {
      const where = `run ${run.runId} event ${String(event.eventId)}`;
      const failed = event.workflowTaskFailedEventAttributes;
      if (failed) {
        const cause = WorkflowTaskFailedCause[failed.cause ?? 0] ?? String(failed.cause);
        failures.push(`${where}: ${cause}${failed.failure?.message ? `: ${failed.failure.message}` : ''}`);
      }
      const timedOut = event.workflowTaskTimedOutEventAttributes;
      if (timedOut && timedOut.timeoutType === TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE) {
        failures.push(`${where}: timed out (start-to-close)`);
      }
    }
  }
  return failures.filter((line) => !allowed.some((pattern) => pattern.test(line)));
}

/** Where the replay test finds the recorded histories. */
export const HISTORIES_DIR = path.join(__dirname, '..', 'histories');

/**
 * With RECORD_HISTORIES=1, saves a history under test/histories/ for the replay test: the history message as JSON
 * (protobufjs `toJSON`: enums by name, 64-bit numbers and bytes as strings), read back with `loadHistory`.
 * (`historyToJSON`/`historyFromJSON` from @temporalio/common would give the temporal CLI's format, but they fail in
 * this install: @temporalio/common and @temporalio/proto each carry their own copy of protobufjs.)
 */
export function saveHistory(name: string, history: proto.temporal.api.history.v1.IHistory): void {
  if (!process.env.RECORD_HISTORIES) return;
  const message = proto.temporal.api.history.v1.History.fromObject(history);
  writeFileSync(path.join(HISTORIES_DIR, `${name}.json`), `${JSON.stringify(message)}\n`);
}

/** A history saved by `saveHistory`. */
export function loadHistory(name: string): proto.temporal.api.history.v1.History {
  const json: unknown = JSON.parse(readFileSync(path.join(HISTORIES_DIR, `${name}.json`), 'utf8'));
  return proto.temporal.api.history.v1.History.fromObject(json as Record<string, unknown>);
}

/** With RECORD_HISTORIES=1, saves the run's history (see `saveHistory`). */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  saveHistory(name, await handle.fetchHistory());
}
