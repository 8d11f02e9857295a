import assert from 'node:assert/strict';
import { CancelledFailure } from '@temporalio/common';
import { createCalendarActivities, createCalendarClient, eventIdFor } from '../../src/activities/calendar';
import { FailureType } from '../../src/activities/errors';
import type { Member, Settings } from '../../src/domain/config';
import type { Turn } from '../../src/domain/types';
import { startFakeCalendar, type FakeCalendarServer } from '../../src/sandbox/calendar';
import {
  activityEnvironment,
  expectFailure,
  printable,
  testServiceAccount,
  testSettings,
  type TestServiceAccount,
} from './helpers';

const ALICE: Member = { id: 'U0ALICE', name: 'alice' };
const BOB: Member = { id: 'U0BOB', name: 'Bob Brown' };
const CAROL: Member = { id: 'U0CAROL', name: 'carol' };
const DAVE: Member = { id: 'U0DAVE', name: 'dave' };

/** Weekly Support Triager turns from a Wednesday, each two weeks long (two overlapping slots). */
function weeklyTurns(firstStart: string, members: Member[], count = members.length): Turn[] {
  const day = 24 * 3600 * 1000;
  const first = Date.parse(`${firstStart}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => ({
    member: members[i % members.length] as Member,
    start: new Date(first + i * 7 * day).toISOString().slice(0, 10),
    end: new Date(first + (i * 7 + 14) * day).toISOString().slice(0, 10),
  }));
}

describe('Calendar activities against the fake Google Calendar', function () {
  this.timeout(20_000);
  let account: TestServiceAccount;
  let fake: FakeCalendarServer;
  let settings: Settings;

  before(() => {
    account = testServiceAccount();
  });
  beforeEach(async () => {
    fake = await startFakeCalendar({ verifyKey: account.publicKeyPem });
    settings = testSettings();
  });
  afterEach(() => fake.close());

  const activities = (options: { calendarId?: string; concurrency?: number; key?: TestServiceAccount['key'] } = {}) =>
    createCalendarActivities({
      settings,
      calendar: createCalendarClient({
        credentials: options.key ?? account.key,
        rootUrl: fake.url,
        selfSignedJwt: true,
      }),
      calendarId: options.calendarId ?? fake.calendarId,
      serviceAccountEmail: account.key.client_email,
      concurrency: options.concurrency,
    });

  const turns = weeklyTurns('2025-01-08', [ALICE, BOB, CAROL, DAVE]);
  const count = (method: string) => fake.requests.filter((r) => r.method === method).length;

  describe('ensureCalendarTurns', () => {
    it('creates one all-day event per turn, with a derived ID and private properties', async () => {
      const result = await activities().ensureCalendarTurns({ role: 'support-triager', turns });
      assert.deepEqual(result, { created: 4, repaired: 0, unchanged: 0 });
      assert.equal(count('POST'), 4);

      const event = fake.state.calendars[fake.calendarId]?.events[eventIdFor('support-triager', '2025-01-15')];
      assert.ok(event);
      assert.equal(event.summary, 'Support Triager: Bob Brown');
      assert.deepEqual(event.start, { date: '2025-01-15' });
      assert.deepEqual(event.end, { date: '2025-01-29' });
      assert.equal(event.status, 'confirmed');
      assert.deepEqual(event.extendedProperties?.private, {
        teamRole: 'support-triager',
        memberId: 'U0BOB',
        turnStart: '2025-01-15',
      });
      // A self-signed JWT carrying the calendar scope, verified by the fake against the test public key.
      assert.match(String(fake.requests[0]?.headers.authorization), /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    });

    it('a second run changes nothing: one list call, no insert, no update', async () => {
      await activities().ensureCalendarTurns({ role: 'support-triager', turns });
      fake.clearRequests();
      const result = await activities().ensureCalendarTurns({ role: 'support-triager', turns });
      assert.deepEqual(result, { created: 0, repaired: 0, unchanged: 4 });
      assert.deepEqual(fake.calls(), ['GET /events']);
      const query = fake.requests[0]?.query;
      assert.equal(query?.privateExtendedProperty, 'teamRole=support-triager');
      assert.equal(query?.showDeleted, 'true');
    });

    it('repairs drift: another member, other dates, a deleted (cancelled) event', async () => {
      await activities().ensureCalendarTurns({ role: 'support-triager', turns });
      const events = fake.state.calendars[fake.calendarId]!.events;
      const [t0, t1, t2] = turns.map((t) => eventIdFor('support-triager', t.start));
      events[t0!]!.summary = 'Support Triager: someone else';
      events[t0!]!.extendedProperties = {
        private: { teamRole: 'support-triager', memberId: 'U0OTHER', turnStart: '2025-01-08' },
      };
      events[t0!]!.description = 'notes a person added';
      events[t1!]!.end = { date: '2025-01-30' };
      events[t2!]!.status = 'cancelled';

      fake.clearRequests();
      const result = await activities().ensureCalendarTurns({ role: 'support-triager', turns });
      assert.deepEqual(result, { created: 0, repaired: 3, unchanged: 1 });
      assert.equal(count('PUT'), 3);
      assert.equal(count('POST'), 0);
      assert.equal(events[t0!]!.summary, 'Support Triager: alice');
      assert.equal(events[t0!]!.extendedProperties?.private?.memberId, 'U0ALICE');
      assert.equal(events[t0!]!.description, 'notes a person added', 'other fields are kept');
      assert.deepEqual(events[t1!]!.end, { date: '2025-01-29' });
      assert.equal(events[t2!]!.status, 'confirmed', 'a deleted turn is restored');
    });

    it('an existing event that the listing missed answers 409 on insert, and is read and repaired', async () => {
      // Same ID, but no properties (say, made by hand): the property filter does not list it.
      fake.seedEvent({
        id: eventIdFor('support-triager', turns[0]!.start),
        summary: 'Support Triager: ?',
        start: '2025-01-08',
        end: '2025-01-22',
      });
      const result = await activities().ensureCalendarTurns({ role: 'support-triager', turns: turns.slice(0, 1) });
      assert.deepEqual(result, { created: 0, repaired: 1, unchanged: 0 });
      assert.deepEqual(fake.calls().slice(1), [
        'POST /events',
        `GET /events/${eventIdFor('support-triager', '2025-01-08')}`,
        `PUT /events/${eventIdFor('support-triager', '2025-01-08')}`,
      ]);
      assert.equal(fake.requests[1]?.status, 409);
    });

    it('keeps at most `concurrency` requests in flight, yet overlaps them', async () => {
      fake.faults = { latencyMs: 25 };
      const many = weeklyTurns('2025-01-08', [ALICE, BOB, CAROL, DAVE], 16);
      const result = await activities({ concurrency: 5 }).ensureCalendarTurns({ role: 'support-triager', turns: many });
      assert.equal(result.created, 16);
      assert.ok(fake.maxInFlight <= 5, `max in flight ${fake.maxInFlight}`);
      assert.ok(fake.maxInFlight > 1);
    });

    it('heartbeats its progress', async () => {
      const { env, heartbeats } = activityEnvironment();
      await env.run(activities().ensureCalendarTurns, { role: 'support-triager', turns });
      assert.deepEqual(heartbeats[0], { done: 0, total: 4 });
      assert.deepEqual(heartbeats.at(-1), { done: 4, total: 4 });
      assert.equal(heartbeats.length, 5);
    });

    it('stops when cancelled: no new requests start, and the activity ends as cancelled', async () => {
      fake.faults = { latencyMs: 60 };
      const { env } = activityEnvironment();
      const many = weeklyTurns('2025-01-08', [ALICE, BOB, CAROL, DAVE], 20);
      env.on('heartbeat', (details: { done: number }) => {
        if (details.done === 2) env.cancel();
      });
      const outcome = await env
        .run(activities({ concurrency: 2 }).ensureCalendarTurns, { role: 'support-triager', turns: many })
        .catch((err: unknown) => err);
      assert.ok(outcome instanceof CancelledFailure, `expected CancelledFailure, got ${String(outcome)}`);
      await new Promise((resolve) => setTimeout(resolve, 150)); // anything still queued would have started by now
      assert.ok(count('POST') <= 4, `inserts after cancellation: ${count('POST')}`);
      assert.ok(fake.events().length < 20);
    });

    it('rejects bad turns and unknown roles for good', async () => {
      await expectFailure(activities().ensureCalendarTurns({ role: 'nope', turns }), {
        type: FailureType.UnknownRole,
        nonRetryable: true,
      });
      await expectFailure(
        activities().ensureCalendarTurns({
          role: 'support-triager',
          turns: [{ member: ALICE, start: '2025-01-08', end: '2025-01-01' }],
        }),
        { type: FailureType.InvalidInput, nonRetryable: true },
      );
      await expectFailure(
        activities().ensureCalendarTurns({
          role: 'support-triager',
          turns: [{ member: ALICE, start: '2025-02-30', end: '2025-03-10' }],
        }),
        { type: FailureType.InvalidInput, nonRetryable: true },
      );
      assert.equal(fake.requests.length, 0);
      assert.deepEqual(await activities().ensureCalendarTurns({ role: 'support-triager', turns: [] }), {
        created: 0,
        repaired: 0,
        unchanged: 0,
      });
    });
  });

  describe('listCalendarEvents', () => {
    it('lists ours by property and old ones by summary (legacy), paging through results', async () => {
      await fake.close();
      fake = await startFakeCalendar({ verifyKey: account.publicKeyPem, maxPageSize: 2 });
      await activities().ensureCalendarTurns({ role: 'support-triager', turns });
      fake.seedEvent({ summary: 'Support Steward: Erin', start: '2024-12-25', end: '2025-01-08' });
      fake.seedEvent({ summary: 'Support Triager: Frank', start: '2024-12-18', end: '2025-01-01' }); // ended before `from`
      fake.seedEvent({ summary: 'Support Triager: Gina', start: '2025-01-01', end: '2025-01-15' });
      fake.seedEvent({ summary: 'Meeting Facilitator: Hal', start: '2025-01-01', end: '2025-02-01' });
      fake.seedEvent({ summary: 'Support Triager review meeting', start: '2025-01-10', end: '2025-01-11' });
      fake.seedEvent({ summary: 'Support Steward: Ivy', start: '2025-01-22', end: '2025-02-05', status: 'cancelled' });
      fake.clearRequests();

      const events = await activities().listCalendarEvents({ role: 'support-triager', from: '2025-01-02' });
      assert.deepEqual(
        events.map((e) => [e.start, e.end, e.memberName, e.memberId, e.legacy, e.status]),
        [
          ['2024-12-25', '2025-01-08', 'Erin', null, true, 'confirmed'],
          ['2025-01-01', '2025-01-15', 'Gina', null, true, 'confirmed'],
          ['2025-01-08', '2025-01-22', 'alice', 'U0ALICE', false, 'confirmed'],
          ['2025-01-15', '2025-01-29', 'Bob Brown', 'U0BOB', false, 'confirmed'],
          ['2025-01-22', '2025-02-05', 'carol', 'U0CAROL', false, 'confirmed'],
          ['2025-01-29', '2025-02-12', 'dave', 'U0DAVE', false, 'confirmed'],
        ],
      );
      assert.equal(events[2]?.id, eventIdFor('support-triager', '2025-01-08'));
      assert.equal(events[2]?.summary, 'Support Triager: alice');
      assert.ok(
        fake.requests.some((r) => typeof r.query.pageToken === 'string'),
        'followed nextPageToken',
      );
      assert.ok(fake.requests.every((r) => r.query.timeMin === '2025-01-02T00:00:00Z'));
    });

    it('rejects a bad date for good', async () => {
      await expectFailure(activities().listCalendarEvents({ role: 'support-triager', from: 'next week' }), {
        type: FailureType.InvalidInput,
        nonRetryable: true,
      });
    });
  });

  describe('deleteCalendarEvents', () => {
    it('deletes the role’s events (ours and legacy) starting on or after the date; a second run finds none', async () => {
      await activities().ensureCalendarTurns({ role: 'support-triager', turns });
      fake.seedEvent({ summary: 'Support Steward: Erin', start: '2025-02-05', end: '2025-02-19' });
      fake.seedEvent({ summary: 'Meeting Facilitator: Hal', start: '2025-02-01', end: '2025-03-01' });

      const result = await activities().deleteCalendarEvents({ role: 'support-triager', from: '2025-01-15' });
      assert.deepEqual(result, { deleted: 4, alreadyGone: 0 });
      const remaining = fake
        .events()
        .filter((e) => e.status !== 'cancelled')
        .map((e) => e.summary);
      assert.deepEqual(remaining.sort(), ['Meeting Facilitator: Hal', 'Support Triager: alice']);

      assert.deepEqual(await activities().deleteCalendarEvents({ role: 'support-triager', from: '2025-01-15' }), {
        deleted: 0,
        alreadyGone: 0,
      });
    });

    it('410 Gone and 404 count as already gone', async () => {
      await activities().ensureCalendarTurns({ role: 'support-triager', turns });
      fake.faults = {
        script: [
          { match: 'DELETE', kind: 'serverError', status: 410, reason: 'deleted' },
          { match: 'DELETE', kind: 'serverError', status: 404, reason: 'notFound' },
        ],
      };
      const result = await activities({ concurrency: 1 }).deleteCalendarEvents({
        role: 'support-triager',
        from: '2025-01-01',
      });
      assert.deepEqual(result, { deleted: 2, alreadyGone: 2 });
    });

    it('the real 410: deleting an event twice', async () => {
      await activities().ensureCalendarTurns({ role: 'support-triager', turns: turns.slice(0, 1) });
      const id = eventIdFor('support-triager', turns[0]!.start);
      const api = createCalendarClient({ credentials: account.key, rootUrl: fake.url, selfSignedJwt: true });
      await api.events.delete({ calendarId: fake.calendarId, eventId: id });
      const again = await api.events
        .delete({ calendarId: fake.calendarId, eventId: id })
        .catch((err: { status?: number }) => err);
      assert.equal((again as { status?: number }).status, 410);
    });
  });

  describe('errors', () => {
    const ensure = (acts = activities()) => acts.ensureCalendarTurns({ role: 'support-triager', turns });

    it('429 and 403 rate-limit reasons are retryable, after Retry-After', async () => {
      fake.faults = { script: [{ kind: 'rateLimit', retryAfterSeconds: 4 }] };
      await expectFailure(ensure(), { type: FailureType.RateLimited, nonRetryable: false, nextRetryDelay: 4000 });
      fake.faults = {
        script: [
          { match: 'POST', kind: 'rateLimit', status: 403, reason: 'userRateLimitExceeded', retryAfterSeconds: 5 },
        ],
      };
      await expectFailure(ensure(), {
        type: FailureType.RateLimited,
        nonRetryable: false,
        nextRetryDelay: 5000,
        message: /userRateLimitExceeded/,
      });
      // Without Retry-After it is tried again within the attempt (twice), then left to Temporal.
      fake.faults = {
        script: [{ match: 'POST', kind: 'rateLimit', status: 403, reason: 'rateLimitExceeded', times: 3 }],
      };
      await expectFailure(ensure(), { type: FailureType.RateLimited, nonRetryable: false });
    });

    it('a calendar shared read-only is forbidden for good, naming CALENDAR_ID and the service account', async () => {
      fake.state.calendars[fake.calendarId]!.access = 'reader';
      const failure = await expectFailure(ensure(), {
        type: FailureType.CalendarForbidden,
        nonRetryable: true,
        message: /requiredAccessLevel.*CALENDAR_ID.*team-roles-test@fake-project\.iam\.gserviceaccount\.com/,
      });
      assert.ok(failure.message.includes(fake.calendarId));
    });

    it('credentials Google does not accept fail for good (401)', async () => {
      const stranger = testServiceAccount(); // signed with a key the fake does not know
      await expectFailure(ensure(activities({ key: stranger.key })), {
        type: FailureType.CalendarAuth,
        nonRetryable: true,
        message: /GOOGLE_APPLICATION_CREDENTIALS.*auth\/calendar/,
      });
    });

    it('an unknown calendar fails for good, naming CALENDAR_ID', async () => {
      await expectFailure(
        activities({ calendarId: 'missing@group.calendar.google.com' }).listCalendarEvents({
          role: 'support-triager',
          from: '2025-01-01',
        }),
        {
          type: FailureType.CalendarNotFound,
          nonRetryable: true,
          message: /missing@group\.calendar\.google\.com.*CALENDAR_ID/,
        },
      );
    });

    it('5xx and dropped connections that persist are retryable (tried three times within the attempt)', async () => {
      fake.faults = { script: [{ kind: 'serverError', status: 503, times: 3 }] };
      await expectFailure(ensure(), { type: FailureType.ServiceUnavailable, nonRetryable: false, message: /503/ });
      assert.equal(fake.requests.length, 3, 'the list, tried three times');
      fake.faults = { script: [{ kind: 'drop', times: 3 }] };
      await expectFailure(ensure(), { type: FailureType.ServiceUnavailable, nonRetryable: false });
    });

    it('a passing failure of one call is tried again at once, not the whole attempt', async () => {
      fake.faults = {
        script: [
          { match: 'POST', kind: 'serverError', status: 500 },
          { match: 'POST', kind: 'rateLimit', retryAfterSeconds: 1 },
          { match: 'POST', kind: 'drop' },
        ],
      };
      const result = await ensure();
      assert.deepEqual(result, { created: turns.length, repaired: 0, unchanged: 0 });
      assert.equal(fake.requests.filter((r) => r.method === 'GET').length, 1, 'listed once');
      assert.equal(fake.requests.filter((r) => r.method === 'POST').length, turns.length + 3);
      const starts = fake.events().map((e) => e.start.date);
      assert.equal(new Set(starts).size, turns.length, 'no duplicate event (inserts carry their event IDs)');
    });

    it('converges under seeded random faults when retried, as Temporal would', async () => {
      fake.faults = { seed: 7, rateLimitRate: 0.15, serverErrorRate: 0.1, dropRate: 0.05, retryAfterSeconds: 0 };
      const many = weeklyTurns('2025-01-08', [ALICE, BOB, CAROL, DAVE], 12);
      let result;
      for (let attempt = 1; attempt <= 50 && !result; attempt++) {
        try {
          result = await activities().ensureCalendarTurns({ role: 'support-triager', turns: many });
        } catch (err) {
          assert.equal((err as { nonRetryable?: boolean }).nonRetryable, false, String(err));
        }
      }
      assert.ok(result, 'converged');
      fake.faults = {};
      assert.deepEqual(await activities().ensureCalendarTurns({ role: 'support-triager', turns: many }), {
        created: 0,
        repaired: 0,
        unchanged: 12,
      });
      assert.equal(fake.events().length, 12, 'no duplicates');
    });

    it('never puts the bearer token or the private key in logs or failures', async () => {
      const { env, logs } = activityEnvironment();
      await env.run(activities().ensureCalendarTurns, { role: 'support-triager', turns });
      fake.state.calendars[fake.calendarId]!.access = 'reader';
      const failure = await env
        .run(activities().deleteCalendarEvents, { role: 'support-triager', from: '2025-01-01' })
        .catch((e: unknown) => e);
      const bearer = String(fake.requests[0]?.headers.authorization).replace(/^Bearer /, '');
      const everything = printable({ logs, failure });
      assert.ok(!everything.includes(bearer));
      assert.ok(!everything.includes(account.key.private_key.split('\n')[1] as string));
    });
  });
});

describe('eventIdFor', () => {
  it('is base32hex, 5–1024 characters, and differs by role and date', () => {
    const id = eventIdFor('support-triager', '2025-01-08');
    assert.match(id, /^[a-v0-9]{5,1024}$/);
    assert.equal(eventIdFor('support-triager', '2025-01-08'), id);
    assert.notEqual(eventIdFor('support-triager', '2025-01-15'), id);
    assert.notEqual(eventIdFor('meeting-facilitator', '2025-01-08'), id);
  });
});

describe('printable', () => {
  it('shows errors fully (so the leak checks above see everything)', () => {
    assert.match(printable(new Error('boom')), /boom/);
  });
});
