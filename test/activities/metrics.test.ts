/** The product's counters, recorded through the activity's metric meter (the worker's Prometheus endpoint). */
import assert from 'node:assert/strict';
import {
  noopMetricMeter,
  type MetricCounter,
  type MetricGauge,
  type MetricHistogram,
  type MetricMeter,
  type MetricTags,
} from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { FailureType, nonRetryable, retryable } from '../../src/activities/errors';
import { countNoticeSent, METRICS } from '../../src/activities/metrics';
import { RequestBudget } from '../../src/activities/request-budget';
import { retryTransient } from '../../src/activities/transient';

/** A meter that records what the counters were given. */
function recordingMeter(): { meter: MetricMeter; added: { name: string; value: number; tags: MetricTags }[] } {
  const added: { name: string; value: number; tags: MetricTags }[] = [];
  const meter: MetricMeter = {
    createCounter: (name: string): MetricCounter => ({
      name,
      kind: 'counter',
      valueType: 'int',
      unit: undefined,
      description: undefined,
      add: (value: number, tags: MetricTags = {}) => added.push({ name, value, tags }),
      withTags: () => meter.createCounter(name),
    }),
    createHistogram: (name: string): MetricHistogram => noopMetricMeter.createHistogram(name),
    createGauge: (name: string): MetricGauge => noopMetricMeter.createGauge(name),
    createUpDownCounter: (name: string) => noopMetricMeter.createUpDownCounter(name),
    withTags: () => meter,
  };
  return { meter, added };
}

/** Our labels only: the activity context adds its own (namespace, task queue, activity type). */
function ours(tags: MetricTags): MetricTags {
  const keys = ['service', 'kind', 'source', 'role', 'action'];
  return Object.fromEntries(Object.entries(tags).filter(([key]) => keys.includes(key)));
}

describe('product metrics', () => {
  const sleep = () => Promise.resolve();

  it('counts each failed outside call by service and kind, and each rate-limit wait', async () => {
    const { meter, added } = recordingMeter();
    const env = new MockActivityEnvironment(undefined, { metricMeter: meter });
    const failures = [
      retryable(FailureType.RateLimited, '429', 100),
      retryable(FailureType.ServiceUnavailable, '503'),
      Object.assign(new Error('conflict'), { status: 409 }),
    ];
    let calls = 0;
    const call = () => (calls < failures.length ? Promise.reject(failures[calls++]!) : Promise.resolve('ok'));
    await env.run(() => retryTransient(call, { sleep, service: 'geekbot' }).catch(() => undefined));
    await env.run(() =>
      retryTransient(() => Promise.reject(nonRetryable(FailureType.SlackAuth, 'invalid_auth')), {
        service: 'slack',
      }).catch(() => undefined),
    );
    assert.deepEqual(
      added.map((a) => [a.name, ours(a.tags)]),
      [
        [METRICS.apiFailures.name, { service: 'geekbot', kind: 'RateLimited' }],
        [METRICS.rateLimitWaits.name, { service: 'geekbot', source: 'retry_after' }],
        [METRICS.apiFailures.name, { service: 'geekbot', kind: 'ServiceUnavailable' }],
        // An error the service module left unclassified is counted by its HTTP status.
        [METRICS.apiFailures.name, { service: 'geekbot', kind: 'http_409' }],
        [METRICS.apiFailures.name, { service: 'slack', kind: 'SlackAuth' }],
      ],
    );
    assert.equal(calls, 3, "the third try used up the quick retries: the rest is Temporal's to retry");
  });

  it('counts the calendar budget’s waits and the notices sent', async () => {
    const { meter, added } = recordingMeter();
    const env = new MockActivityEnvironment(undefined, { metricMeter: meter });
    let now = 0;
    const budget = new RequestBudget({
      limit: 1,
      windowMs: 1_000,
      now: () => now,
      sleep: (ms) => {
        now += ms;
        return Promise.resolve();
      },
      onWait: () => added.push({ name: 'wait', value: 1, tags: {} }),
    });
    await budget.take();
    await budget.take();
    await env.run(() => Promise.resolve(countNoticeSent('support-triager', 'updated')));
    assert.deepEqual(
      added.map((a) => [a.name, ours(a.tags)]),
      [
        ['wait', {}],
        [METRICS.noticesSent.name, { role: 'support-triager', action: 'updated' }],
      ],
    );
  });

  it('counts nothing outside an activity (the services called directly, unit tests)', () => {
    assert.doesNotThrow(() => countNoticeSent('support-triager', 'created'));
  });
});
