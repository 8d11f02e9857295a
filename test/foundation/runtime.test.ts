/** The worker's runtime settings (src/runtime.ts): checked at start, JSON logs off a terminal. */
import assert from 'node:assert/strict';
import type { LogEntry } from '@temporalio/worker';
import { jsonLogLine, observabilityFromEnv, textLogLine } from '../../src/runtime';

describe('worker runtime settings', () => {
  it('logs JSON off a terminal and text on one, INFO by default, metrics only when asked', () => {
    assert.deepEqual(observabilityFromEnv({}, false), { metricsBind: undefined, logLevel: 'INFO', logFormat: 'json' });
    assert.deepEqual(observabilityFromEnv({}, true), { metricsBind: undefined, logLevel: 'INFO', logFormat: 'text' });
    assert.deepEqual(
      observabilityFromEnv(
        { TEMPORAL_METRICS_BIND: '0.0.0.0:9464', TEAM_ROLES_LOG_LEVEL: 'debug', TEAM_ROLES_LOG_FORMAT: 'text' },
        false,
      ),
      { metricsBind: '0.0.0.0:9464', logLevel: 'DEBUG', logFormat: 'text' },
    );
    assert.equal(observabilityFromEnv({ TEMPORAL_METRICS_BIND: '[::1]:9464' }, false).metricsBind, '[::1]:9464');
  });

  it('names a setting it cannot use', () => {
    assert.throws(
      () => observabilityFromEnv({ TEAM_ROLES_LOG_LEVEL: 'LOUD' }),
      /TEAM_ROLES_LOG_LEVEL=LOUD .* TRACE, DEBUG/,
    );
    assert.throws(
      () => observabilityFromEnv({ TEAM_ROLES_LOG_FORMAT: 'xml' }),
      /TEAM_ROLES_LOG_FORMAT=xml must be json or text/,
    );
    for (const bind of ['9464', 'localhost', '0.0.0.0:99999', 'host:port']) {
      assert.throws(
        () => observabilityFromEnv({ TEMPORAL_METRICS_BIND: bind }),
        /TEMPORAL_METRICS_BIND=.* is not host:port/,
      );
    }
  });

  it('writes one JSON object per entry, with its metadata; text keeps the facts that matter', () => {
    const entry: LogEntry = {
      level: 'WARN',
      message: 'prepare step failed',
      timestampNanos: 1_796_000_000_000_000_000n,
      meta: { role: 'support-triager', taskQueue: 'team-roles', error: new Error('HTTP 503'), count: 3n },
    };
    assert.deepEqual(JSON.parse(jsonLogLine(entry)), {
      time: '2026-11-30T00:53:20.000Z',
      level: 'WARN',
      message: 'prepare step failed',
      role: 'support-triager',
      taskQueue: 'team-roles',
      error: { name: 'Error', message: 'HTTP 503' },
      count: '3',
    });
    assert.equal(
      textLogLine({ ...entry, meta: { role: 'support-triager', taskQueue: 'team-roles' } }),
      '00:53:20 WARN  prepare step failed role=support-triager',
    );
  });
});
