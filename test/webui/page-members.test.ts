/**
 * Joining and leaving the sandbox's Slack groups on the sandbox page (POST /usergroups/join and /usergroups/leave),
 * against the page server and the sandbox's fakes over HTTP: what the fake Slack then answers the worker, what the
 * page shows, and the page's refusals with their messages. No browser: the page's script is only checked to parse.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Script } from 'node:vm';
import { createSlackClient, createSlackService } from '../../src/activities/slack';
import type { Client } from '@temporalio/client';
import { DEFAULT_SETTINGS, parseSettings } from '../../src/domain/config';
import type { MembershipChange } from '../../src/sandbox/members';
import { tellRotations } from '../../src/sandbox/refresh';
import { startSandboxPage, type SandboxPage, type SandboxView } from '../../src/sandbox/page';
import { DEMO_MANAGER, DEMO_TEAM, startSandbox, type Sandbox } from '../../src/sandbox/sandbox';
import { slackUsergroup } from '../../src/sandbox/slack';

const [AVA, BEN] = DEMO_TEAM as [(typeof DEMO_TEAM)[0], (typeof DEMO_TEAM)[0]];
const GROUP = 'support-triagers';
const ON_DUTY = 'support-triager-on-duty';

interface Answer {
  status: number;
  body: { message?: string; next?: string | null; error?: string };
}

describe('the sandbox page: joining and leaving a group', function () {
  this.timeout(30_000);
  let sandbox: Sandbox;
  let page: SandboxPage;
  const told: MembershipChange[] = [];

  beforeEach(async () => {
    told.length = 0;
    sandbox = await startSandbox({ groups: { [GROUP]: DEMO_TEAM, solo: [BEN] }, standupManager: DEMO_MANAGER });
    // A group the worker made itself (the on-duty group): not for joining by hand.
    const onDuty = slackUsergroup({ handle: ON_DUTY, users: [AVA.id, BEN.id], id: 'S0ONDUTY01' });
    sandbox.slack.state.usergroups.push({ ...onDuty, created_by: sandbox.slack.state.bot.userId });
    page = await startSandboxPage({
      ...sandbox,
      onMembersChanged: (change) => {
        told.push(change);
        return Promise.resolve(`told the rotations of @${change.group}`);
      },
    });
  });
  afterEach(async () => {
    await page?.close();
    await sandbox?.close();
  });

  async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(new URL(path, page.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Answer['body'] };
  }
  async function view(): Promise<SandboxView> {
    return (await (await fetch(new URL('/view.json', page.url))).json()) as SandboxView;
  }
  async function groupOf(handle: string) {
    const group = (await view()).usergroups.find((g) => g.handle === handle);
    assert.ok(group, `the page shows @${handle}`);
    return group;
  }
  /** Who the worker finds in the group, through the fake Slack's API as the product reads it. */
  function lookup(handle: string) {
    const slack = createSlackClient({ token: sandbox.slack.token, apiUrl: sandbox.slack.url });
    return createSlackService({ slack }).lookupMembers(handle);
  }

  it('a join makes a Slack user in the demo style, puts them in the group and tells the rotations', async () => {
    const answer = await post('/usergroups/join', { group: GROUP, name: '  Hugo  ' });
    assert.deepEqual(answer, {
      status: 200,
      body: { message: 'Hugo joined @support-triagers.', next: 'told the rotations of @support-triagers' },
    });
    const hugo = { id: 'U0HUGO0001', name: 'Hugo' };
    assert.deepEqual(told, [{ kind: 'joined', group: GROUP, member: hugo }]);
    const group = await groupOf(GROUP);
    assert.equal(group.editable, true);
    assert.equal(group.members.at(-1), 'Hugo');
    assert.equal(group.memberIds.at(-1), hugo.id);
    // A whole person of the workspace: the worker finds them by name, mails them, reads their calendar.
    assert.ok((await lookup(GROUP)).some((m) => m.id === hugo.id && m.name === 'Hugo'));
    assert.equal(sandbox.slack.state.users[hugo.id]?.profile.email, 'hugo@example.test');
    assert.equal(sandbox.emails[hugo.id], 'hugo@example.test');

    // A second Hugo elsewhere is the same person; one with the same first letters gets the next ID.
    assert.equal((await post('/usergroups/join', { group: 'solo', name: 'hugo' })).status, 200);
    assert.deepEqual((await groupOf('solo')).memberIds, [BEN.id, hugo.id]);
    await post('/usergroups/join', { group: GROUP, name: 'Hugo Jr' });
    assert.equal((await groupOf(GROUP)).memberIds.at(-1), 'U0HUGOJ001');
  });

  it('a leave takes the member out of the group only; they join again as themselves', async () => {
    const answer = await post('/usergroups/leave', { group: GROUP, member: AVA.id });
    assert.deepEqual(answer, {
      status: 200,
      body: { message: 'Ava left @support-triagers.', next: 'told the rotations of @support-triagers' },
    });
    assert.deepEqual(told, [{ kind: 'left', group: GROUP, member: AVA }]);
    assert.ok(!(await groupOf(GROUP)).memberIds.includes(AVA.id));
    assert.ok(!(await lookup(GROUP)).some((m) => m.id === AVA.id));
    assert.ok(sandbox.slack.state.users[AVA.id], 'still a user of the workspace');

    assert.equal((await post('/usergroups/join', { group: GROUP, name: 'ava' })).status, 200);
    assert.equal((await groupOf(GROUP)).memberIds.at(-1), AVA.id);
    assert.equal(Object.keys(sandbox.slack.state.users).filter((id) => id.startsWith('U0AVA')).length, 1);
  });

  it('refuses bad joins and leaves with a message, and changes nothing', async () => {
    const before = JSON.stringify(sandbox.slack.state.usergroups);
    const refusals: Array<[string, unknown, number, RegExp]> = [
      ['/usergroups/join', { group: GROUP, name: '' }, 400, /^Give the new member a name\.$/],
      ['/usergroups/join', { group: GROUP, name: '   ' }, 400, /^Give the new member a name\.$/],
      ['/usergroups/join', { group: GROUP }, 400, /^Give the new member a name\.$/],
      ['/usergroups/join', { group: GROUP, name: 'x'.repeat(41) }, 400, /at most 40 characters/],
      ['/usergroups/join', { group: GROUP, name: '<!here>' }, 400, /letters, digits, spaces/],
      ['/usergroups/join', { group: GROUP, name: 'ben' }, 400, /^Ben is already in @support-triagers\.$/],
      ['/usergroups/join', { group: 'nope', name: 'Hugo' }, 400, /^No user group @nope in the sandbox\.$/],
      ['/usergroups/join', { group: ON_DUTY, name: 'Hugo' }, 400, /kept by team-roles itself/],
      ['/usergroups/leave', { group: GROUP, member: 'U0NOBODY99' }, 400, /^No member U0NOBODY99 in @support-triagers/],
      ['/usergroups/leave', { group: 'solo', member: BEN.id }, 400, /^Ben is the last member of @solo\.$/],
      ['/usergroups/leave', { group: ON_DUTY, member: AVA.id }, 400, /kept by team-roles itself/],
      ['/usergroups/join', '{"group":', 400, /^Not a JSON object/],
      ['/usergroups/join', '["Hugo"]', 400, /^Not a JSON object/],
      ['/usergroups/join', JSON.stringify({ group: GROUP, name: 'x'.repeat(5000) }), 400, /more than 4096 bytes/],
    ];
    for (const [path, body, status, error] of refusals) {
      const answer = await post(path, body);
      assert.equal(answer.status, status, `${path} ${JSON.stringify(body)}`);
      assert.match(answer.body.error ?? '', error);
    }
    // Only JSON (a form from another site cannot send that without CORS), only under the loopback names.
    assert.equal((await post('/usergroups/join', 'group=x&name=y', { 'content-type': 'text/plain' })).status, 415);
    assert.equal(await postWithHost(page, 'evil.example:80'), 403);
    assert.equal(JSON.stringify(sandbox.slack.state.usergroups), before, 'no group changed');
    assert.deepEqual(told, []);
    // Other methods and paths are still refused as before.
    assert.equal((await fetch(new URL('/view.json', page.url), { method: 'POST' })).status, 405);
    assert.equal((await fetch(new URL('/usergroups/join', page.url))).status, 404);
  });

  it('a page without a way to add people only shows', async () => {
    const readOnly = await startSandboxPage({ slack: sandbox.slack });
    try {
      const response = await fetch(new URL('/usergroups/join', readOnly.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ group: GROUP, name: 'Hugo' }),
      });
      assert.equal(response.status, 405);
      assert.match(((await response.json()) as { error: string }).error, /only shows/);
    } finally {
      await readOnly.close();
    }
  });

  it("serves the join form, and the page's script parses", async () => {
    const html = await (await fetch(page.url)).text();
    assert.match(html, /<form id="join-form"/);
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1];
    assert.ok(script);
    assert.doesNotThrow(() => new Script(script), 'compiles (not run)');
  });
});

/** A POST whose Host header names another site (what a DNS-rebinding page would send). */
function postWithHost(page: SandboxPage, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: page.port,
        method: 'POST',
        path: '/usergroups/join',
        headers: { host, 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ group: GROUP, name: 'Hugo' }));
  });
}

describe('the sandbox page: what it says after a join when no rotation can hear it', () => {
  const settings = parseSettings(DEFAULT_SETTINGS);
  const hugo: MembershipChange = { kind: 'joined', group: GROUP, member: { id: 'U0HUGO0001', name: 'Hugo' } };
  /** A client whose rotation is not running (the dev server was reset, or the role is off). */
  const noRotation = {
    withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn(),
    workflow: {
      getHandle: () => ({
        query: () => Promise.reject(new Error('workflow not found')),
        executeUpdate: () => Promise.reject(new Error('workflow not found')),
      }),
    },
  } as unknown as Client;

  it('names the CLI command that has the rotation read the group', async () => {
    const said = await tellRotations(noRotation, settings, hugo);
    assert.match(said, /^The Support Triager rotation could not read @support-triagers again \(workflow not found\)/);
    assert.match(said, /`npx team-roles refresh-members support-triager`/);
  });

  it('says that nobody moves when no enabled role rotates the group', async () => {
    const said = await tellRotations(noRotation, settings, { ...hugo, group: 'meeting-facilitators' });
    assert.equal(said, "No enabled role rotates @meeting-facilitators: nobody's turns move.");
  });
});
