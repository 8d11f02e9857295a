/**
 * The product's own counters, through the SDK's metric meter: with `TEMPORAL_METRICS_BIND` set they appear on the
 * worker's Prometheus endpoint next to Temporal's (with the activity's namespace, task queue and type as labels).
 * Outside an activity (unit tests, the services called directly) they count nothing.
 *
 * Handovers are counted by the role workflow itself (its meter skips replays): see src/workflows/role.ts.
 */
import { asyncLocalStorage } from '@temporalio/activity';
import { ApplicationFailure, noopMetricMeter, type MetricCounter, type MetricMeter } from '@temporalio/common';

/** The outside services, as the counters' `service` label names them. */
export type Service = 'slack' | 'geekbot' | 'calendar';

export const METRICS = {
  noticesSent: {
    name: 'team_roles_notices_sent',
    description: 'Geekbot standups pointed at a member (a notice that goes out), by role and action',
  },
  apiFailures: {
    name: 'team_roles_api_failures',
    description: 'Failed calls to an outside service, by service and kind (the failure type, or http_<status>)',
  },
  rateLimitWaits: {
    name: 'team_roles_rate_limit_waits',
    description: "Waits for an outside service's rate limit, by service and source (retry_after, budget)",
  },
} as const;

const counters = new WeakMap<MetricMeter, Map<string, MetricCounter>>();

function counter(metric: (typeof METRICS)[keyof typeof METRICS]): MetricCounter {
  const meter = asyncLocalStorage.getStore()?.metricMeter ?? noopMetricMeter;
  let made = counters.get(meter);
  if (!made) counters.set(meter, (made = new Map<string, MetricCounter>()));
  let found = made.get(metric.name);
  if (!found) made.set(metric.name, (found = meter.createCounter(metric.name, undefined, metric.description)));
  return found;
}

/** A standup now greets a member (created or changed: the notice goes out). */
export function countNoticeSent(role: string, action: 'created' | 'updated'): void {
  counter(METRICS.noticesSent).add(1, { role, action });
}

/** One failed call to `service`, classified (an ApplicationFailure's type) or by its HTTP status. */
export function countApiFailure(service: Service, err: unknown): void {
  counter(METRICS.apiFailures).add(1, { service, kind: failureKind(err) });
}

/** A wait before calling `service` again because it (or our own budget for it) limits the rate. */
export function countRateLimitWait(service: Service, source: 'retry_after' | 'budget'): void {
  counter(METRICS.rateLimitWaits).add(1, { service, source });
}

function failureKind(err: unknown): string {
  if (err instanceof ApplicationFailure && err.type) return err.type;
  const status = (err as { status?: unknown; response?: { status?: unknown } } | null)?.status;
  const responseStatus = (err as { response?: { status?: unknown } } | null)?.response?.status;
  const code = typeof status === 'number' ? status : typeof responseStatus === 'number' ? responseStatus : undefined;
  return code !== undefined ? `http_${code}` : 'other';
}
