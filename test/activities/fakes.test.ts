/** The fakes' own wire behaviour, spoken to with plain fetch (no client library smoothing things over). */
import assert from 'node:assert/strict';
import { seededRandom } from '../../src/sandbox/http';
import { startFakeCalendar } from '../../src/sandbox/calendar';
import { startFakeGeekbot } from '../../src/sandbox/geekbot';
import { startFakeSlack } from '../../src/sandbox/slack';

describe('fake services', () => {
  it('seeded faults repeat exactly; scripted faults apply `times` times to matching calls', async () => {
    const a = seededRandom(5);
    const b = seededRandom(5);
    assert.deepEqual([a(), a(), a()], [b(), b(), b()]);

    const slack = await startFakeSlack({ users: [{ id: 'U1', displayName: 'one' }] });
    try {
      const call = async () =>
        (
          await fetch(`${slack.url}users.info?user=U1`, { headers: { authorization: `Bearer ${slack.token}` } }).catch(
            () => ({ status: 'dropped' }),
          )
        ).status;
      slack.faults = {
        script: [{ match: 'users.info', kind: 'rateLimit', times: 2, retryAfterSeconds: 9 }, { kind: 'drop' }],
      };
      assert.deepEqual([await call(), await call(), await call(), await call()], [429, 429, 'dropped', 200]);
      assert.equal(slack.requests[0]?.fault, 'rateLimit');

      slack.faults = { seed: 3, rateLimitRate: 0.5 };
      const first: unknown[] = [];
      for (let i = 0; i < 8; i++) first.push(await call());
      slack.faults = { seed: 3, rateLimitRate: 0.5 };
      const second: unknown[] = [];
      for (let i = 0; i < 8; i++) second.push(await call());
      assert.deepEqual(first, second);
      assert.ok(first.includes(429) && first.includes(200));
    } finally {
      await slack.close();
    }
  });

  it('Slack: form and JSON bodies, token in the body, ok:false errors', async () => {
    const slack = await startFakeSlack({ users: [{ id: 'U1', displayName: 'one' }] });
    try {
      const form = await fetch(`${slack.url}users.info`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: slack.token, user: 'U1' }),
      });
      assert.equal(((await form.json()) as { user: { id: string } }).user.id, 'U1');
      const json = await fetch(`${slack.url}users.info`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${slack.token}` },
        body: JSON.stringify({ user: 'U404' }),
      });
      assert.deepEqual(await json.json(), { ok: false, error: 'user_not_found' });
      const anonymous = await fetch(`${slack.url}auth.test`, { method: 'POST' });
      assert.deepEqual(await anonymous.json(), { ok: false, error: 'not_authed' });
    } finally {
      await slack.close();
    }
  });

  it('Geekbot: a key lists only its owner’s standups, and validates writes like Geekbot', async () => {
    const geekbot = await startFakeGeekbot({ owner: 'U0OWNER' });
    try {
      geekbot.seedStandup({ name: 'Mine', users: ['U0OWNER'], questions: ['?'] });
      geekbot.seedStandup({ name: 'Theirs', users: ['U0OTHER'], questions: ['?'], master: 'U0OTHER' });
      const headers = { authorization: geekbot.apiKey, 'content-type': 'application/json' };
      const list = (await (await fetch(`${geekbot.url}/v1/standups`, { headers })).json()) as Array<{ name: string }>;
      assert.deepEqual(
        list.map((s) => s.name),
        ['Mine'],
      );
      const bad = await fetch(`${geekbot.url}/v1/standups`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'x', channel: '#c' }),
      });
      assert.equal(bad.status, 400);
      assert.deepEqual(await bad.json(), { error: 'time amd days must be set' });
      const unauthorized = await fetch(`${geekbot.url}/v1/standups`, {
        headers: { authorization: `Bearer ${geekbot.apiKey}` },
      });
      assert.equal(unauthorized.status, 401);
    } finally {
      await geekbot.close();
    }
  });

  it('Calendar: pages, timeMin bounds the end, q matches words, cancelled events hidden unless showDeleted', async () => {
    const calendar = await startFakeCalendar({ maxPageSize: 2 });
    const token = ['{"alg":"none"}', JSON.stringify({ scope: 'https://www.googleapis.com/auth/calendar' }), 'sig']
      .map((part, i) => (i < 2 ? Buffer.from(part).toString('base64url') : part))
      .join('.');
    try {
      calendar.seedEvent({ summary: 'Support Triager: a', start: '2025-01-01', end: '2025-01-15' });
      calendar.seedEvent({ summary: 'Support Triager: b', start: '2025-01-08', end: '2025-01-22' });
      calendar.seedEvent({
        summary: 'Support Triager: c',
        start: '2025-01-15',
        end: '2025-01-29',
        status: 'cancelled',
      });
      calendar.seedEvent({ summary: 'Lunch', start: '2025-01-20', end: '2025-01-21' });
      const base = `${calendar.url}calendar/v3/calendars/${encodeURIComponent(calendar.calendarId)}/events`;
      const get = async (query: string) =>
        (await (await fetch(`${base}?${query}`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
          items: Array<{ summary: string }>;
          nextPageToken?: string;
        };

      const page1 = await get('timeMin=2025-01-15T00:00:00Z&q=support%20triager&maxResults=10');
      assert.deepEqual(
        page1.items.map((e) => e.summary),
        ['Support Triager: b'],
      );
      const withDeleted = await get('timeMin=2025-01-15T00:00:00Z&q=triager&showDeleted=true');
      assert.deepEqual(
        withDeleted.items.map((e) => e.summary),
        ['Support Triager: b', 'Support Triager: c'],
      );
      const first = await get('');
      assert.equal(first.items.length, 2);
      assert.ok(first.nextPageToken);
      const second = await get(`pageToken=${first.nextPageToken}`);
      assert.deepEqual(
        second.items.map((e) => e.summary),
        ['Lunch'],
      );
      assert.equal(second.nextPageToken, undefined);

      const denied = await fetch(base);
      assert.equal(denied.status, 401);
    } finally {
      await calendar.close();
    }
  });
});
