/**
 * All three fakes started together, seeded with a team, plus the environment a worker reads to use
 * them (SLACK_API_URL, GEEKBOT_API_URL, GOOGLE_CALENDAR_API_URL, tokens, a throwaway service-account
 * key). Used by the workflow tests, the benchmarks and the credential-free `npm run dev` sandbox, so
 * all of them go through the same `buildActivityDeps` path as production.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Member } from '../../src/domain/types';
import { startFakeCalendar, type FakeCalendarServer } from './calendar';
import { startFakeGeekbot, type FakeGeekbot } from './geekbot';
import type { FaultOptions } from './http';
import { slackUser, startFakeSlack, type FakeSlack } from './slack';

export interface SandboxOptions {
  /** Slack user groups by handle, with their members. */
  groups: Record<string, Member[]>;
  /** Owner of the Geekbot key (always in every standup). */
  standupManager: Member;
  /** Where to write the throwaway service-account key; a temporary folder by default. */
  keyDir?: string;
  faults?: { slack?: FaultOptions; geekbot?: FaultOptions; calendar?: FaultOptions };
}

export interface Sandbox {
  slack: FakeSlack;
  geekbot: FakeGeekbot;
  calendar: FakeCalendarServer;
  /** What the worker needs in its environment to use the fakes. */
  env: Record<string, string>;
  /** Every token and key the fakes accept: must never appear in histories or logs. */
  secrets: string[];
  /** Replaces a group's members (someone joined or left the Slack group). */
  setGroup(handle: string, members: Member[]): void;
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const people = new Map<string, Member>([[options.standupManager.id, options.standupManager]]);
  for (const members of Object.values(options.groups)) for (const m of members) people.set(m.id, m);
  const users = [...people.values()].map((m) => ({ id: m.id, displayName: m.name, realName: m.name }));
  const usergroups = Object.entries(options.groups).map(([handle, members]) => ({
    handle,
    users: members.map((m) => m.id),
  }));

  const slack = await startFakeSlack({ users, usergroups, faults: options.faults?.slack });
  const geekbot = await startFakeGeekbot({ owner: options.standupManager.id, faults: options.faults?.geekbot });
  const calendar = await startFakeCalendar({ faults: options.faults?.calendar });

  const ownKeyDir = options.keyDir === undefined;
  const keyDir = options.keyDir ?? mkdtempSync(path.join(tmpdir(), 'team-roles-sandbox-'));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const keyFile = path.join(keyDir, 'sandbox-service-account.json');
  writeFileSync(
    keyFile,
    JSON.stringify({
      type: 'service_account',
      client_email: 'team-roles-sandbox@sandbox.iam.gserviceaccount.com',
      private_key: privateKeyPem,
      private_key_id: 'sandbox-key',
    }),
    { mode: 0o600 },
  );

  return {
    slack,
    geekbot,
    calendar,
    env: {
      SLACK_API_URL: slack.url,
      SLACK_BOT_TOKEN: slack.token,
      GEEKBOT_API_URL: geekbot.url,
      GEEKBOT_API_KEY: geekbot.apiKey,
      GOOGLE_CALENDAR_API_URL: calendar.url,
      GOOGLE_APPLICATION_CREDENTIALS: keyFile,
      CALENDAR_ID: calendar.calendarId,
    },
    secrets: [slack.token, geekbot.apiKey, privateKeyPem.split('\n')[1]!],
    setGroup(handle, members) {
      const group = slack.state.usergroups.find((g) => g.handle === handle);
      if (!group) throw new Error(`no sandbox group ${handle}`);
      for (const m of members) {
        slack.state.users[m.id] ??= slackUser({ id: m.id, displayName: m.name, realName: m.name }, slack.state.teamId);
      }
      group.users = members.map((m) => m.id);
    },
    async close() {
      await Promise.all([slack.close(), geekbot.close(), calendar.close()]);
      if (ownKeyDir) rmSync(keyDir, { recursive: true, force: true });
    },
  };
}

/** A small demo team for the sandbox and the tests. */
export const DEMO_MANAGER: Member = { id: 'U0MANAGER1', name: 'Morgan Manager' };
export const DEMO_TEAM: Member[] = [
  { id: 'U0AVA00001', name: 'Ava' },
  { id: 'U0BEN00002', name: 'Ben' },
  { id: 'U0CHLOE003', name: 'Chloe' },
  { id: 'U0DAN00004', name: 'Dan' },
  { id: 'U0ELLA0005', name: 'Ella' },
  { id: 'U0FINN0006', name: 'Finn' },
  { id: 'U0GRACE007', name: 'Grace' },
];
