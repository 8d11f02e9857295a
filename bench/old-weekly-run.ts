/**
 * The old Python scripts' weekly run, replayed call for call over real HTTP, one call after another: the role
 * update (Slack `usergroups.list`, `usergroups.users.list`, one `users.info` per member, a Calendar list), the
 * calendar job (the same four steps again), then the Geekbot standup (list, patch) and one Calendar insert.
 * For N members that is 2N + 9 sequential calls. Plain `fetch`, as the scripts used plain `requests`.
 */
import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CALENDAR_SCOPE } from '../src/activities/calendar';

export interface OldRunTarget {
  slackUrl: string;
  slackToken: string;
  geekbotUrl: string;
  geekbotKey: string;
  calendarRootUrl: string;
  calendarId: string;
  /** A bearer token the calendar accepts (see `calendarBearer`). */
  calendarToken: string;
  usergroup: string;
  standupName: string;
  /** What the standup is patched to say. */
  standup: { users: string[]; question: string; waitMinutes: number };
  /** The one event inserted: the turn that starts this week. */
  event: { summary: string; start: string; end: string };
}

export interface OldRunResult {
  calls: number;
  /** ID of the inserted event, so the caller can remove it again. */
  insertedEventId: string;
}

/** A signed service-account JWT with the calendar scope, as a Google client library would send. */
export function calendarBearer(keyFile: string): string {
  const key = JSON.parse(readFileSync(keyFile, 'utf8')) as {
    client_email: string;
    private_key: string;
    private_key_id?: string;
  };
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT', kid: key.private_key_id })}.${encode({
    iss: key.client_email,
    sub: key.client_email,
    scope: CALENDAR_SCOPE,
    iat: now,
    exp: now + 3600,
  })}`;
  const signature = createSign('RSA-SHA256').update(unsigned).sign(key.private_key).toString('base64url');
  return `${unsigned}.${signature}`;
}

export async function oldWeeklyRun(target: OldRunTarget): Promise<OldRunResult> {
  let calls = 0;

  async function call<T>(url: string, init: RequestInit, what: string): Promise<T> {
    calls++;
    const response = await fetch(url, init);
    const text = await response.text();
    if (!response.ok) throw new Error(`old run: ${what} answered HTTP ${response.status}: ${text.slice(0, 200)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async function slack<T>(method: string, params: Record<string, string> = {}): Promise<T> {
    const body = await call<{ ok: boolean; error?: string } & T>(
      `${target.slackUrl}${method}`,
      {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${target.slackToken}`,
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams(params).toString(),
      },
      `Slack ${method}`,
    );
    if (!body.ok) throw new Error(`old run: Slack ${method} failed: ${body.error}`);
    return body;
  }

  const eventsUrl = `${target.calendarRootUrl.replace(/\/$/, '')}/calendar/v3/calendars/${encodeURIComponent(
    target.calendarId,
  )}/events`;
  const calendarHeaders = { Authorization: `Bearer ${target.calendarToken}`, 'Content-Type': 'application/json' };

  /** The members' names, then the calendar's upcoming events: what both the role update and the calendar job read. */
  async function readGroupAndCalendar(): Promise<void> {
    const { usergroups } = await slack<{ usergroups: Array<{ id: string; handle: string }> }>('usergroups.list');
    const group = usergroups.find((candidate) => candidate.handle === target.usergroup);
    if (!group) throw new Error(`old run: no user group ${target.usergroup}`);
    const { users } = await slack<{ users: string[] }>('usergroups.users.list', { usergroup: group.id });
    for (const user of users) await slack('users.info', { user });
    const query = new URLSearchParams({
      timeMin: new Date().toISOString(),
      singleEvents: 'true',
      orderBy: 'startTime',
      maxResults: '250',
    });
    await call(`${eventsUrl}?${query.toString()}`, { headers: calendarHeaders }, 'Calendar list');
  }

  await readGroupAndCalendar(); // the role update
  await readGroupAndCalendar(); // the calendar job

  const geekbotHeaders = { Authorization: target.geekbotKey, 'Content-Type': 'application/json' };
  const standups = await call<Array<{ id: number; name: string }>>(
    `${target.geekbotUrl}/v1/standups`,
    { headers: geekbotHeaders },
    'Geekbot list',
  );
  const standup = standups.find((candidate) => candidate.name === target.standupName);
  if (!standup) throw new Error(`old run: no standup ${target.standupName}`);
  await call(
    `${target.geekbotUrl}/v1/standups/${standup.id}`,
    {
      method: 'PATCH',
      headers: geekbotHeaders,
      body: JSON.stringify({
        users: target.standup.users,
        wait_time: target.standup.waitMinutes,
        sync_channel_members: false,
        personalized: false,
        questions: [{ question: target.standup.question }],
      }),
    },
    'Geekbot patch',
  );

  const inserted = await call<{ id: string }>(
    eventsUrl,
    {
      method: 'POST',
      headers: calendarHeaders,
      body: JSON.stringify({
        summary: target.event.summary,
        start: { date: target.event.start },
        end: { date: target.event.end },
      }),
    },
    'Calendar insert',
  );
  return { calls, insertedEventId: inserted.id };
}
