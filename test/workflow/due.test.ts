/** The main loop's one decision (src/workflows/role/due.ts): which step is due now, or until when to rest. Pure. */
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, parseSettings } from '../../src/domain/config';
import { sortMembers } from '../../src/domain/members';
import { calendarTurnCount, calendarTurns, turnsFingerprint } from '../../src/domain/notice';
import { initialState, planFromState, skip, upcomingMember } from '../../src/domain/rotation';
import { handoverKey } from '../../src/domain/schedule';
import { DEMO_TEAM } from '../../src/sandbox/sandbox';
import type { RoleRuntimeConfig, RoleWorkflowState } from '../../src/shared';
import { nextDue, type Moment } from '../../src/workflows/role/due';

const HOUR = 3_600_000;
const settings = parseSettings(DEFAULT_SETTINGS);
const config: RoleRuntimeConfig = {
  role: settings.roles['support-triager']!,
  timeZone: 'UTC',
  historyLimit: 104,
  handoversPerRun: 4,
  calendarHorizonMonths: 12,
};
/** A Wednesday 10:00 UTC handover, its notice 48 hours before. */
const handoverAt = Date.parse('2027-03-03T10:00:00Z');
const noticeAt = handoverAt - 48 * HOUR;

const team = sortMembers(DEMO_TEAM);

function moment(overrides: Partial<Moment> & { paused?: boolean; prepared?: boolean } = {}): Moment {
  const rotation = { ...initialState('support-triager', 2, team, { incoming: team[1], current: team[0] }) };
  rotation.paused = overrides.paused ?? false;
  const key = handoverKey('support-triager', '2027-03-03');
  const next = upcomingMember(rotation, '2027-03-03').member;
  const state: RoleWorkflowState = {
    rotation,
    standupId: null,
    prepared: overrides.prepared ? { key, memberId: next.id, buddyId: rotation.incoming!.id } : null,
    nextHandoverAt: new Date(handoverAt).toISOString(),
    warnings: [],
    lastError: null,
    handoversDone: 0,
  };
  const { paused: _paused, prepared: _prepared, ...rest } = overrides;
  return {
    now: noticeAt - HOUR,
    config,
    state,
    mode: 'timer',
    refreshRequested: false,
    handoverRequested: false,
    prepareRetryAt: 0,
    onDutySetFor: null,
    noticeFollowsChanges: () => true,
    withdrawalFollowsServing: () => true,
    ...rest,
  };
}

describe('role workflow: what is due (due.ts)', () => {
  it('rests until the notice, then prepares, then rests until the handover and hands over', () => {
    assert.deepEqual(nextDue(moment()), {
      step: 'rest',
      now: noticeAt - HOUR,
      wakeAt: noticeAt,
      until: 'until the notice for Wed 3 Mar',
    });
    assert.equal(nextDue(moment({ now: noticeAt })).step, 'prepare');
    assert.deepEqual(nextDue(moment({ now: noticeAt, prepared: true })), {
      step: 'rest',
      now: noticeAt,
      wakeAt: handoverAt,
      until: 'until the handover on Wed 3 Mar',
    });
    assert.equal(nextDue(moment({ now: handoverAt, prepared: true })).step, 'handover');
  });

  it('takes what operators asked for first: a refresh, then a requested handover', () => {
    const asked = { now: handoverAt, refreshRequested: true, handoverRequested: true };
    assert.equal(nextDue(moment(asked)).step, 'refresh');
    assert.equal(nextDue(moment({ ...asked, refreshRequested: false })).step, 'requested-handover');
  });

  it('in schedule mode prepares on its own but waits for the schedule to hand over', () => {
    assert.equal(nextDue(moment({ mode: 'schedule', now: noticeAt })).step, 'prepare');
    assert.deepEqual(nextDue(moment({ mode: 'schedule', now: handoverAt, prepared: true })), {
      step: 'rest',
      now: handoverAt,
      wakeAt: undefined,
      until: 'until the schedule asks for the handover of Wed 3 Mar',
    });
  });

  it('paused: no notice, and at the handover time it passes it', () => {
    assert.deepEqual(nextDue(moment({ paused: true, now: noticeAt })), {
      step: 'rest',
      now: noticeAt,
      wakeAt: handoverAt,
      until: 'until the handover time of Wed 3 Mar (paused: it passes)',
    });
    assert.equal(nextDue(moment({ paused: true, now: handoverAt })).step, 'pass-paused-handover');
  });

  it('prepares again when someone else rotates off than the notice says (when it recorded who)', () => {
    const at = (outgoingId: string | null | undefined) => {
      const m = moment({ now: noticeAt, prepared: true });
      if (outgoingId !== undefined) m.state.prepared = { ...m.state.prepared!, outgoingId };
      return nextDue(m).step;
    };
    const { current } = moment().state.rotation;
    assert.equal(at(current!.id), 'rest', 'the notice says who rotates off');
    assert.equal(at(team[3]!.id), 'prepare', 'someone else rotates off now');
    assert.equal(at(undefined), 'rest', 'a notice from before it was recorded');
  });

  it('paused with the notice withdrawn: points it again only when someone else serves now', () => {
    const key = handoverKey('support-triager', '2027-03-03');
    const withdrawn = (servingId: string | undefined, follows = true) => {
      const at = moment({ paused: true, now: noticeAt, withdrawalFollowsServing: () => follows });
      at.state.noticeRecord = {
        key,
        told: {},
        corrections: 1,
        withdrawn: true,
        ...(servingId ? { serving: { memberId: servingId, buddyId: at.state.rotation.current!.id } } : {}),
      };
      return nextDue(at).step;
    };
    const { incoming } = moment().state.rotation;
    assert.equal(withdrawn(incoming!.id), 'rest', 'the withdrawal names who serves: nothing to do');
    assert.equal(withdrawn(team[3]!.id), 'withdraw-notice', 'it names someone else: point it at who serves');
    assert.equal(withdrawn(team[3]!.id, false), 'rest', 'a run from before the patch leaves it');
    assert.equal(withdrawn(undefined), 'rest', 'a record that does not say whom it named is left');
  });

  it('a prepare step that failed for good waits for its retry time', () => {
    const retryAt = noticeAt + HOUR;
    assert.deepEqual(nextDue(moment({ now: noticeAt, prepareRetryAt: retryAt })), {
      step: 'rest',
      now: noticeAt,
      wakeAt: retryAt,
      until: 'until the notice for Wed 3 Mar is tried again',
    });
    assert.equal(nextDue(moment({ now: retryAt, prepareRetryAt: retryAt })).step, 'prepare');
  });

  it('prepares again when a later turn moved after the notice went out, not when nothing did', () => {
    const date = '2027-03-03';
    const count = calendarTurnCount(config.role, config.calendarHorizonMonths);
    const at = moment({ now: noticeAt, prepared: true });
    const { state } = at;
    state.prepared!.turns = turnsFingerprint(calendarTurns(config.role, state.rotation, date, count));
    assert.equal(nextDue(at).step, 'rest');

    // Skip the member of the tenth turn: the notice still names the same person, but the calendar is out of date.
    const tenth = planFromState(config.role, state.rotation, date, 10)[9]!;
    state.rotation = skip(state.rotation, { member: tenth.member.id, from: tenth.start }, date);
    assert.equal(upcomingMember(state.rotation, date).member.id, state.prepared!.memberId);
    assert.equal(nextDue(at).step, 'prepare');

    // Runs from before the fingerprint compare the notice only.
    delete state.prepared!.turns;
    assert.equal(nextDue(at).step, 'rest');
  });

  it('with an on-duty group: sets it once per run to who serves, and again when that changes', () => {
    const withGroup = { ...config, role: { ...config.role, onDutyUsergroup: 'triager-on-duty' } };
    const serving = [team[1]!.id, team[0]!.id];
    assert.deepEqual(nextDue(moment({ config: withGroup, now: noticeAt })), { step: 'sync-on-duty', serving });
    // Set for them (in either order): nothing more to do for the group; the notice is due.
    assert.equal(
      nextDue(moment({ config: withGroup, now: noticeAt, onDutySetFor: [...serving].reverse() })).step,
      'prepare',
    );
    // An override since: the group is set again, before anything but what operators asked for.
    assert.deepEqual(nextDue(moment({ config: withGroup, now: noticeAt, onDutySetFor: [team[1]!.id] })), {
      step: 'sync-on-duty',
      serving,
    });
    assert.equal(
      nextDue(moment({ config: withGroup, now: handoverAt, handoverRequested: true })).step,
      'requested-handover',
    );
    // Without a group, never.
    assert.equal(nextDue(moment({ now: noticeAt })).step, 'prepare');
  });
});
