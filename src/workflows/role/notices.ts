/**
 * What the role workflow keeps about its notices and its plan (issue 16): the rules' settings from the
 * configuration, the schedule the plan was made with (to tell a configuration change that moves dates), and what
 * the people named for a handover were told. Pure; no Temporal import.
 */
import { roleRules } from '../../domain/roleRules';
import type { RotationSettings } from '../../domain/rotation';
import { followingHandoverDate, type RoleSchedule } from '../../domain/schedule';
import type { IsoDate } from '../../domain/types';
import type { NoticeRecord, PlanBasis, RoleRuntimeConfig, RoleWorkflowState } from '../../shared';
import { pendingHandover } from './due';

/** The roster and fairness rules' settings of the role as configured (`freezeWeeks` counted in turns). */
export function rotationSettings(config: Pick<RoleRuntimeConfig, 'role'>): RotationSettings {
  const rules = roleRules(config.role);
  return { freezeTurns: rules.frozenTurns, fairness: rules.fairness };
}

/** The part of a role's schedule the plan's dates come from, in a fixed shape (so two compare as JSON). */
function scheduleOf(role: RoleSchedule): RoleSchedule {
  return role.cadence === 'weekly'
    ? {
        cadence: 'weekly',
        handoverWeekday: role.handoverWeekday,
        handoverTime: role.handoverTime,
        slots: role.slots,
        prepareLeadHours: role.prepareLeadHours,
      }
    : {
        cadence: 'monthly',
        handoverDayOfMonth: role.handoverDayOfMonth,
        handoverTime: role.handoverTime,
        slots: role.slots,
        prepareLeadHours: role.prepareLeadHours,
      };
}

export function planBasisOf(
  config: Pick<RoleRuntimeConfig, 'role' | 'timeZone'>,
  settings: RotationSettings,
): PlanBasis {
  return { role: scheduleOf(config.role), timeZone: config.timeZone, ...settings };
}

/** What changed between two bases that moves dates, in words ("handover day Wed → Thu"); empty when nothing did. */
export function basisChanges(before: PlanBasis, after: PlanBasis): string[] {
  const changes: string[] = [];
  type Value = string | number | undefined;
  const note = (what: string, was: Value, now: Value) => {
    if (was !== now) changes.push(`${what} ${was ?? '—'} → ${now ?? '—'}`);
  };
  const field = (role: RoleSchedule, name: 'handoverWeekday' | 'handoverDayOfMonth'): Value =>
    (role as Partial<Record<typeof name, string | number>>)[name];
  note('cadence', before.role.cadence, after.role.cadence);
  note('handover day', field(before.role, 'handoverWeekday'), field(after.role, 'handoverWeekday'));
  note('handover day of the month', field(before.role, 'handoverDayOfMonth'), field(after.role, 'handoverDayOfMonth'));
  note('handover time', before.role.handoverTime, after.role.handoverTime);
  note('time zone', before.timeZone, after.timeZone);
  note('frozen window (turns)', before.freezeTurns, after.freezeTurns);
  note('fairness', before.fairness, after.fairness);
  return changes;
}

/**
 * The record of a notice after the prepare step named `named` for `key`: the member taking over and their buddy are
 * told so; for another handover the record starts afresh.
 */
export function toldOf(
  record: NoticeRecord | null | undefined,
  key: string,
  named: { memberId: string; buddyId: string | null },
): NoticeRecord {
  const same = record?.key === key ? record : null;
  const told = { ...(same?.told ?? {}) };
  told[named.memberId] = 'incoming';
  if (named.buddyId && named.buddyId !== named.memberId) told[named.buddyId] = 'buddy';
  return { key, told, corrections: same?.corrections ?? 0, withdrawn: false };
}

/** The first handover date a join or leave may move: the roster rules' frozen window ends before it (null: no rules). */
export function frozenUntil(
  config: Pick<RoleRuntimeConfig, 'role' | 'timeZone'>,
  state: RoleWorkflowState,
): IsoDate | null {
  const rules = state.rotation.rules;
  if (!rules) return null;
  let date = pendingHandover(config, state).date;
  for (let i = 0; i < rules.freezeTurns; i++) date = followingHandoverDate(config.role, date);
  return date;
}
