/**
 * The absences service through the real clients (@slack/web-api, @googleapis/calendar with google-auth-library's
 * JWT) against the fake Slack and the fake Google Calendar: out-of-office events read as the member (a token
 * exchange with `sub`), the team absences calendar read as the service account, and every way a read fails.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  createAbsenceService,
  createCalendarFactory,
  OUT_OF_OFFICE_SCOPE,
  type AbsenceDeps,
} from '../../src/activities/absences';
import type { ServiceAccountKey } from '../../src/activities/calendar';
import { RequestBudget } from '../../src/activities/request-budget';
import { createSlackClient } from '../../src/activities/slack';
import { absenceDecision, describeAwayDays } from '../../src/domain/absences';
import { DEFAULT_SETTINGS, type Member, type RoleConfigInput, type Settings } from '../../src/domain/config';
import { startFakeCalendar, type FakeCalendarServer } from '../../src/sandbox/calendar';
import { DEMO_MANAGER, DEMO_TEAM, demoOutOfOffice, startSandbox, type Sandbox } from '../../src/sandbox/sandbox';
import { FAKE_SLACK_SCOPES, startFakeSlack, type FakeSlack } from '../../src/sandbox/slack';
import { testServiceAccount, testSettings, type TestServiceAccount } from './helpers';

const ROLE = 'support-triager';
const ANN: Member = { id: 'U0ANN', name: 'Ann' };
const ANNABEL: Member = { id: 'U0ANNABEL', name: 'Annabel' };
const BOB: Member = { id: 'U0BOB', name: 'Bob' };
const EMAIL: Record<string, string> = {
  [ANN.id]: 'ann@example.test',
  [ANNABEL.id]: 'annabel@example.test',
  [BOB.id]: 'bob@example.test',
};
const TEAM_CALENDAR = 'team-absences@group.calendar.google.com';
/** Wednesday to Wednesday: working days 8-10, 13-17, 20-21 January, ten in all. */
const TURN = { start: '2025-01-08', end: '2025-01-22' };

function settingsWith(role: Partial<RoleConfigInput>): Settings {
  const shipped = DEFAULT_SETTINGS.roles[ROLE] as RoleConfigInput;
  return testSettings({ roles: { [ROLE]: { ...shipped, ...role } as RoleConfigInput } });
}

describe('Absences service against the fake Slack and Google Calendar', function () {
  this.timeout(30_000);
  let account: TestServiceAccount;
  let slack: FakeSlack;
  let google: FakeCalendarServer;
  let budget: RequestBudget;

  before(() => {
    account = testServiceAccount();
  });
  beforeEach(async () => {
    slack = await startFakeSlack({
      users: [ANN, ANNABEL, BOB].map((m) => ({ id: m.id, displayName: m.name, email: EMAIL[m.id] })),
      scopes: FAKE_SLACK_SCOPES,
    });
    google = await startFakeCalendar({ verifyKey: account.publicKeyPem });
    google.state.calendars[TEAM_CALENDAR] = { id: TEAM_CALENDAR, summary: 'Absences', access: 'reader', events: {} };
    for (const email of Object.values(EMAIL)) google.grantDelegation(email);
    budget = new RequestBudget({ limit: 500, windowMs: 60_000 });
  });
  afterEach(() => Promise.all([slack.close(), google.close()]));

  const service = (settings: Settings, overrides: Partial<AbsenceDeps> = {}) =>
    createAbsenceService({
      settings,
      slack: createSlackClient({ token: slack.token, apiUrl: slack.url }),
      calendarFor: createCalendarFactory({ credentials: account.key, rootUrl: google.url, selfSignedJwt: true }),
      budget,
      serviceAccountEmail: account.key.client_email,
      retry: { baseDelayMs: 5 },
      ...overrides,
    });
  const calls = (call: string) => google.calls().filter((c) => c === call).length;
  const outOfOffice = settingsWith({ absences: { outOfOffice: true } });
  const teamOnly = settingsWith({ absences: { teamCalendarId: TEAM_CALENDAR } });
  const both = settingsWith({ absences: { outOfOffice: true, teamCalendarId: TEAM_CALENDAR } });

  it('an out-of-office week over the turn skips the member: their calendar read as them, a token per member', async () => {
    google.addOutOfOffice(EMAIL[ANN.id]!, { start: '2025-01-13T00:00:00Z', end: '2025-01-18T00:00:00Z' });
    const absences = service(outOfOffice);

    const [ann, bob] = await absences.readAbsences({ role: ROLE, turn: TURN, members: [ANN, BOB] });
    assert.deepEqual(ann?.reads, [
      {
        source: 'out of office',
        ok: true,
        absences: [{ kind: 'timed', start: '2025-01-13T00:00:00.000Z', end: '2025-01-18T00:00:00.000Z' }],
      },
    ]);
    // Five of the turn's ten working days: exactly the default threshold of 0.5.
    assert.equal(ann?.decision.kind, 'skip');
    assert.deepEqual(ann?.decision, absenceDecision(TURN, ann.reads, { threshold: 0.5, timeZone: 'UTC' }));
    assert.equal(bob?.decision.kind, 'clear');

    // users.info per member, one token exchange per member (sub = their address), one list each as them.
    assert.deepEqual(slack.calls(), ['users.info', 'users.info']);
    assert.equal(calls('POST /token'), 2);
    assert.equal(calls('GET /events'), 2);
    const subjects = google.requests
      .filter((r) => r.path === '/token')
      .map((r) => {
        const assertion = (r.body as { assertion: string }).assertion;
        return JSON.parse(Buffer.from(assertion.split('.')[1] as string, 'base64url').toString()) as Record<
          string,
          unknown
        >;
      });
    assert.deepEqual(subjects.map((claims) => [claims.sub, claims.scope]).sort(), [
      [EMAIL[ANN.id], OUT_OF_OFFICE_SCOPE],
      [EMAIL[BOB.id], OUT_OF_OFFICE_SCOPE],
    ]);
    const list = google.requests.find((r) => r.method === 'GET');
    assert.equal(list?.path, '/calendar/v3/calendars/primary/events');
    assert.equal(list?.query.eventTypes, 'outOfOffice');
    assert.equal(list?.query.singleEvents, 'true');
    // The turn's dates in the role's zone, a day wider each side.
    assert.deepEqual([list?.query.timeMin, list?.query.timeMax], ['2025-01-07T00:00:00Z', '2025-01-23T00:00:00Z']);
    // Only the Calendar API requests count against the per-minute budget, not the token exchanges.
    assert.equal(budget.inWindow, 2);

    // The tokens last an hour: the next read lists again without exchanging.
    google.clearRequests();
    await absences.readAbsences({ role: ROLE, turn: TURN, members: [ANN] });
    assert.deepEqual(google.calls(), ['GET /events']);
  });

  it('an absence below the threshold gives the away days; a lower threshold skips for the same days', async () => {
    google.addOutOfOffice(EMAIL[ANN.id]!, { start: '2025-01-15T09:00:00Z', end: '2025-01-15T13:00:00Z' });
    google.addOutOfOffice(EMAIL[ANN.id]!, { start: '2025-01-16', end: '2025-01-17' });
    google.addOutOfOffice(EMAIL[ANN.id]!, { start: '2025-01-27', end: '2025-01-31' }); // after the turn

    const [ann] = await service(outOfOffice).readAbsences({ role: ROLE, turn: TURN, members: [ANN] });
    assert.equal(ann?.decision.kind, 'away');
    assert.ok(ann.decision.kind === 'away');
    assert.deepEqual(ann.decision.coverage.away, [
      { date: '2025-01-15', covered: 0.5 },
      { date: '2025-01-16', covered: 1 },
    ]);
    assert.equal(describeAwayDays(ann.decision.coverage.away), 'Wed 15 Jan (part of the day), Thu 16 Jan');

    const lower = settingsWith({ absences: { outOfOffice: true }, absenceSkipThreshold: 0.15 });
    const [again] = await service(lower).readAbsences({ role: ROLE, turn: TURN, members: [ANN] });
    assert.equal(again?.decision.kind, 'skip');
  });

  it('no domain-wide delegation for the member is a failure naming the cause, never a skip', async () => {
    google.addOutOfOffice(EMAIL[ANN.id]!, { start: '2025-01-08', end: '2025-01-22' }); // away the whole turn
    google.withholdDelegation(EMAIL[ANN.id]!);

    const [ann] = await service(outOfOffice).readAbsences({ role: ROLE, turn: TURN, members: [ANN] });
    assert.equal(ann?.reads[0]?.ok, false);
    assert.equal(ann.decision.kind, 'unknown');
    assert.equal(ann.decision.failures.length, 1);
    assert.match(
      ann.decision.failures[0] ?? '',
      /^out of office: no domain-wide delegation for ann@example\.test: a Workspace admin grants the service account's client ID the https:\/\/www\.googleapis\.com\/auth\/calendar\.events\.readonly scope in the Admin console .*README/,
    );
    // Google's answer is final: no retry of the token request, no list.
    assert.deepEqual(google.calls(), ['POST /token']);

    // Beside a source that was read, the failure is reported and the read one decides.
    const [withTeam] = await service(both).readAbsences({ role: ROLE, turn: TURN, members: [ANN] });
    assert.equal(withTeam?.decision.kind, 'clear');
    assert.equal(withTeam.decision.failures.length, 1);
  });

  it('an unknown team calendar is a failure "calendar not found", read once', async () => {
    const missing = settingsWith({ absences: { teamCalendarId: 'gone@group.calendar.google.com' } });
    const [ann] = await service(missing).readAbsences({ role: ROLE, turn: TURN, members: [ANN] });
    assert.deepEqual(ann?.reads, [
      {
        source: 'team absences calendar',
        ok: false,
        reason:
          'calendar not found: gone@group.calendar.google.com (check absences.teamCalendarId, and share it with ' +
          `${account.key.client_email})`,
      },
    ]);
    assert.equal(ann.decision.kind, 'unknown');
    assert.equal(calls('GET /events'), 1);
  });

  it('Calendar API 5xx: tried again quickly, then reported as unavailable instead of failing the step', async () => {
    google.addOutOfOffice(EMAIL[ANN.id]!, { start: '2025-01-13T00:00:00Z', end: '2025-01-18T00:00:00Z' });
    const absences = service(outOfOffice);

    google.faults = { script: [{ match: '/events', kind: 'serverError', times: 2 }] };
    const [recovered] = await absences.readAbsences({ role: ROLE, turn: TURN, members: [ANN] });
    assert.equal(recovered?.decision.kind, 'skip');
    assert.equal(calls('GET /events'), 3);

    google.clearRequests();
    google.faults = { script: [{ match: '/events', kind: 'serverError', status: 503, times: 3 }] };
    const [down] = await absences.readAbsences({ role: ROLE, turn: TURN, members: [ANN] });
    assert.deepEqual(down?.reads, [
      { source: 'out of office', ok: false, reason: 'Calendar API unavailable (HTTP 503)' },
    ]);
    assert.equal(down.decision.kind, 'unknown'); // an outage never skips
    assert.equal(calls('GET /events'), 3);

    // A rate limit asking for longer than the quick retries wait is reported at once.
    google.clearRequests();
    google.faults = { script: [{ match: '/events', kind: 'rateLimit', retryAfterSeconds: 30 }] };
    const [limited] = await absences.readAbsences({ role: ROLE, turn: TURN, members: [ANN] });
    assert.equal(limited?.decision.failures[0], 'out of office: Calendar API rate-limited (rateLimitExceeded)');
    assert.equal(calls('GET /events'), 1);

    // The token endpoint down is reported too.
    google.faults = { script: [{ match: 'POST /token', kind: 'serverError', status: 503, times: 100 }] };
    google.clearRequests();
    const [noToken] = await absences.readAbsences({ role: ROLE, turn: TURN, members: [BOB] });
    assert.deepEqual(noToken?.decision.failures, ["out of office: Google's token endpoint unavailable (HTTP 503)"]);
    // Three tries in all: gaxios's own retries of the exchange are off, so they do not multiply the quick ones.
    assert.equal(calls('POST /token'), 3);
  });

  it('a team calendar event names a member by Slack ID, e-mail or exact display name only', async () => {
    const seed = (summary: string, start: string, attendees?: string[]) => {
      const event = google.seedEvent(
        { summary, start, end: start.replace(/\d\d$/, (d) => String(Number(d) + 1)) },
        TEAM_CALENDAR,
      );
      if (attendees) event.attendees = attendees.map((email) => ({ email }));
    };
    seed('Ann - holiday', '2025-01-08');
    seed('Annabel: away', '2025-01-09');
    seed('Annabel away', '2025-01-10'); // one part, not her name
    seed("Ann's leaving do", '2025-01-10');
    seed('Out: U0ANN', '2025-01-13');
    seed('Offsite', '2025-01-14', [EMAIL[ANN.id]!]);
    seed('Bob, Ann: conference', '2025-01-15');
    seed('annabel@example.test at the dentist', '2025-01-16');

    const results = await service(teamOnly).readAbsences({
      role: ROLE,
      turn: TURN,
      members: [ANN, ANNABEL],
      roster: [ANN, ANNABEL, BOB],
    });
    const days = (memberId: string) => {
      const read = results.find((r) => r.memberId === memberId)?.reads[0];
      return read?.ok ? read.absences.map((a) => a.start).sort() : read;
    };
    assert.deepEqual(days(ANN.id), ['2025-01-08', '2025-01-13', '2025-01-14', '2025-01-15']);
    assert.deepEqual(days(ANNABEL.id), ['2025-01-09', '2025-01-16']);
    // One list of the team calendar serves every member asked about.
    assert.equal(calls('GET /events'), 1);

    // Two members sharing a display name: the name names neither of them (their ID or address still does).
    const twin: Member = { id: 'U0ANN2', name: 'Ann' };
    const [first] = await service(teamOnly).readAbsences({
      role: ROLE,
      turn: TURN,
      members: [ANN],
      roster: [ANN, twin],
    });
    assert.deepEqual(first?.reads[0]?.ok && first.reads[0].absences.map((a) => a.start).sort(), [
      '2025-01-13',
      '2025-01-14',
    ]);
  });

  it('a missing e-mail address or users:read.email scope is a failure of the out-of-office read, never a skip', async () => {
    google.addOutOfOffice(EMAIL[ANN.id]!, { start: '2025-01-08', end: '2025-01-22' });
    google.seedEvent({ summary: 'Ann - holiday', start: '2025-01-08', end: '2025-01-22' }, TEAM_CALENDAR);

    slack.state.tokens[slack.token]!.scopes = FAKE_SLACK_SCOPES.filter((s) => s !== 'users:read.email');
    const [noScope] = await service(outOfOffice).readAbsences({ role: ROLE, turn: TURN, members: [ANN] });
    assert.equal(noScope?.decision.kind, 'unknown');
    assert.match(
      noScope.decision.failures[0] ?? '',
      /^out of office: no e-mail address for Ann: the Slack app lacks the users:read\.email scope/,
    );
    assert.equal(google.requests.length, 0);

    slack.state.tokens[slack.token]!.scopes = FAKE_SLACK_SCOPES;
    delete slack.state.users[ANN.id]!.profile.email;
    const [noEmail] = await service(both).readAbsences({ role: ROLE, turn: TURN, members: [ANN] });
    assert.deepEqual(noEmail?.reads[0], {
      source: 'out of office',
      ok: false,
      reason: 'no e-mail address for Ann in their Slack profile',
    });
    // The team calendar still names her by her display name, and decides.
    assert.equal(noEmail.decision.kind, 'skip');
    assert.deepEqual(noEmail.decision.failures, ['out of office: no e-mail address for Ann in their Slack profile']);
  });

  it('reads nothing for a role without absences; one client per subject, whatever its case', async () => {
    const none = service(settingsWith({}));
    assert.deepEqual(await none.readAbsences({ role: ROLE, turn: TURN, members: [ANN] }), []);
    assert.equal(slack.requests.length + google.requests.length, 0);

    const calendarFor = createCalendarFactory({ credentials: account.key, rootUrl: google.url, selfSignedJwt: true });
    assert.equal(calendarFor(), calendarFor(undefined));
    assert.equal(calendarFor('Ann@Example.test'), calendarFor('ann@example.test'));
    assert.notEqual(calendarFor('ann@example.test'), calendarFor());
  });
});

describe('The sandbox demo: an out-of-office week for Ella, read through the same clients', function () {
  this.timeout(30_000);
  let sandbox: Sandbox;
  afterEach(() => sandbox?.close());

  it('Ella is away the second week of her first turn (the third notice), and every five weeks after, for good', async () => {
    // A Wednesday after the 10:00 handover: the first handover is 8 January, Ella's turn starts on the 22nd.
    sandbox = await startSandbox({
      groups: { 'support-triagers': DEMO_TEAM },
      standupManager: DEMO_MANAGER,
      now: new Date('2025-01-01T12:00:00Z'),
    });
    const key = JSON.parse(readFileSync(sandbox.env.GOOGLE_APPLICATION_CREDENTIALS!, 'utf8')) as ServiceAccountKey;
    const absences = createAbsenceService({
      settings: settingsWith({ absences: { outOfOffice: true } }),
      slack: createSlackClient({ token: sandbox.env.SLACK_BOT_TOKEN!, apiUrl: sandbox.env.SLACK_API_URL }),
      calendarFor: createCalendarFactory({
        credentials: key,
        rootUrl: sandbox.env.GOOGLE_CALENDAR_API_URL,
        selfSignedJwt: true,
      }),
      budget: new RequestBudget({ limit: 500, windowMs: 60_000 }),
    });
    const ella = DEMO_TEAM.find((m) => m.name === 'Ella')!;
    const decide = async (start: string) => {
      const end = new Date(Date.parse(`${start}T00:00:00Z`) + 14 * 24 * 3600 * 1000).toISOString().slice(0, 10);
      const [result] = await absences.readAbsences({ role: ROLE, turn: { start, end }, members: [ella] });
      return result?.decision.kind;
    };
    assert.equal(sandbox.emails[ella.id], 'ella@example.test');
    assert.equal(await decide('2025-01-22'), 'skip');
    assert.equal(await decide('2025-01-29'), 'away'); // named the week after: Wednesday to Friday away
    assert.equal(await decide('2025-02-12'), 'clear');
    // Five weeks on, and years on (the fast clock gets there in hours): the recurrence still meets her turns.
    assert.equal(await decide('2025-02-26'), 'skip');
    assert.equal(await decide(addWeeks('2025-01-22', 5 * 80)), 'skip');
    // Nobody else is away; every demo member's calendar can be read (delegation granted).
    const others = await absences.readAbsences({
      role: ROLE,
      turn: { start: '2025-01-22', end: '2025-02-05' },
      members: DEMO_TEAM.filter((m) => m.id !== ella.id),
    });
    assert.deepEqual(new Set(others.map((r) => r.decision.kind)), new Set(['clear']));
  });

  it('whatever the day, the demo week begins on a Monday 19 to 26 days ahead: in the next month', () => {
    const now = new Date();
    const week = demoOutOfOffice(now);
    const days = (Date.parse(week.start) - now.getTime()) / (24 * 3600 * 1000);
    assert.ok(days > 18 && days <= 26, `${week.start} is ${days.toFixed(1)} days after ${now.toISOString()}`);
    assert.equal(new Date(week.start).getUTCDay(), 1);
    assert.equal(Date.parse(week.end) - Date.parse(week.start), 5 * 24 * 3600 * 1000);
    // And for every hour of a fortnight, so no weekday or hour is special.
    for (let h = 0; h < 14 * 24; h++) {
      const at = new Date(Date.parse('2025-03-03T00:30:00Z') + h * 3600 * 1000);
      const ahead = (Date.parse(demoOutOfOffice(at).start) - at.getTime()) / (24 * 3600 * 1000);
      assert.ok(ahead > 18 && ahead <= 26, `${at.toISOString()}: ${ahead}`);
    }
  });
});

function addWeeks(date: string, weeks: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + weeks * 7 * 24 * 3600 * 1000).toISOString().slice(0, 10);
}
