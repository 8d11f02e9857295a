/** Shared test helpers for the activity tests: settings, a throwaway service-account key, log capture, failures. */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import {
  DEFAULT_SETTINGS,
  parseSettings,
  type Member,
  type Settings,
  type SettingsInput,
} from '../../src/domain/config';

export const MANAGER: Member = { id: 'U0MANAGER', name: 'manager' };

export function testSettings(overrides: Partial<SettingsInput> = {}): Settings {
  return parseSettings({
    ...DEFAULT_SETTINGS,
    standupManager: MANAGER,
    calendarUrl: 'https://calendar.example.test/team-roles',
    ...overrides,
  });
}

export interface TestServiceAccount {
  /** As in a service-account key file. */
  key: { type: 'service_account'; client_email: string; private_key: string; private_key_id: string };
  publicKeyPem: string;
}

/** A fresh RSA key pair per call: nothing real, nothing checked in. */
export function testServiceAccount(): TestServiceAccount {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    key: {
      type: 'service_account',
      client_email: 'team-roles-test@fake-project.iam.gserviceaccount.com',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      private_key_id: 'test-key-1',
    },
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** A MockActivityEnvironment whose logger records every entry, and the heartbeats it saw. */
export function activityEnvironment(): { env: MockActivityEnvironment; logs: LogEntry[]; heartbeats: unknown[] } {
  const logs: LogEntry[] = [];
  const heartbeats: unknown[] = [];
  const env = new MockActivityEnvironment(undefined, {
    logger: new DefaultLogger('TRACE', (entry) => logs.push(entry)),
  });
  env.on('heartbeat', (details: unknown) => heartbeats.push(details));
  return { env, logs, heartbeats };
}

/** `env.run` with the activity's own result type (MockActivityEnvironment.run cannot infer it). */
export async function runActivity<A extends unknown[], R>(
  env: MockActivityEnvironment,
  fn: (...args: A) => Promise<R>,
  ...args: A
): Promise<R> {
  const result: unknown = await env.run(fn, ...args);
  return result as R;
}

/** Everything a log or failure could show, as one string, to search for leaked secrets. */
export function printable(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v instanceof Error
      ? { ...v, name: v.name, message: v.message, stack: v.stack }
      : typeof v === 'bigint'
        ? String(v)
        : v,
  );
}

export interface ExpectedFailure {
  type: string;
  nonRetryable: boolean;
  message?: RegExp;
  nextRetryDelay?: number;
}

export async function expectFailure(promise: Promise<unknown>, expected: ExpectedFailure): Promise<ApplicationFailure> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(caught)}`);
  assert.equal(caught.type, expected.type, caught.message);
  assert.equal(caught.nonRetryable, expected.nonRetryable, `nonRetryable for: ${caught.message}`);
  if (expected.message) assert.match(caught.message, expected.message);
  if ('nextRetryDelay' in expected) assert.equal(caught.nextRetryDelay, expected.nextRetryDelay);
  return caught;
}
