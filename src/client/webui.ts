/**
 * The Temporal Web UI's address, for messages that send the operator there. Known when TEMPORAL_UI_URL says it, for
 * Temporal Cloud (its UI is cloud.temporal.io), and for the default target: with no address set the CLI talks to
 * localhost:7233, where `npm run dev` (and the compose stack) serve the UI on http://localhost:8233.
 */
import type { TemporalSettings } from '../temporal';

export interface WebUi {
  /** e.g. http://localhost:8233 */
  base: string;
  /** A workflow's page (its history when the run is known). */
  workflow(workflowId: string, runId?: string): string;
  schedule(scheduleId: string): string;
}

export const DEV_WEB_UI = 'http://localhost:8233';

export function webUiOf(
  env: NodeJS.ProcessEnv,
  settings: Pick<TemporalSettings, 'address' | 'namespace'>,
): WebUi | null {
  const explicit = env.TEMPORAL_UI_URL?.trim();
  if (explicit) return webUi(explicit.replace(/\/+$/, ''), settings.namespace);
  if (/\.tmprl\.cloud(:\d+)?$/.test(settings.address)) return webUi('https://cloud.temporal.io', settings.namespace);
  const defaultTarget = !env.TEMPORAL_ADDRESS && !env.TEMPORAL_PROFILE && settings.address === 'localhost:7233';
  return defaultTarget ? webUi(DEV_WEB_UI, settings.namespace) : null;
}

function webUi(base: string, namespace: string): WebUi {
  const ns = `${base}/namespaces/${encodeURIComponent(namespace)}`;
  return {
    base,
    workflow: (workflowId, runId) =>
      `${ns}/workflows/${encodeURIComponent(workflowId)}${runId ? `/${encodeURIComponent(runId)}/history` : ''}`,
    schedule: (scheduleId) => `${ns}/schedules/${encodeURIComponent(scheduleId)}`,
  };
}

/** "in the Web UI (URL)" when the address is known, else "in the Web UI": for sentences that send people there. */
export function inWebUi(ui: WebUi | null, url: (ui: WebUi) => string): string {
  return ui ? `in the Web UI (${url(ui)})` : 'in the Web UI';
}

/** " (Web UI: URL)" when the address is known, else nothing: for sentences that only mention where to look. */
export function webUiSuffix(ui: WebUi | null, url: (ui: WebUi) => string): string {
  return ui ? ` (Web UI: ${url(ui)})` : '';
}
