/** Shared fixtures for the domain tests: the shipped roles and a few members. */
import { DEFAULT_SETTINGS, getRole, parseSettings, type Member, type RoleConfig } from '../../src/domain';

const settings = parseSettings(DEFAULT_SETTINGS);

export type WeeklyRole = Extract<RoleConfig, { cadence: 'weekly' }>;
export type MonthlyRole = Extract<RoleConfig, { cadence: 'monthly' }>;

function weekly(role: RoleConfig): WeeklyRole {
  if (role.cadence !== 'weekly') throw new Error('expected a weekly role');
  return role;
}
function monthly(role: RoleConfig): MonthlyRole {
  if (role.cadence !== 'monthly') throw new Error('expected a monthly role');
  return role;
}

/** Weekly, Wednesdays 10:00, two slots, 48 h lead. */
export const TRIAGER = weekly(getRole(settings, 'support-triager'));
/** Monthly, day 1 at 10:00, one slot, 96 h lead. */
export const FACILITATOR = monthly(getRole(settings, 'meeting-facilitator'));

export function member(letter: string): Member {
  return { id: `U${letter}`, name: `Person ${letter}` };
}

/** Person A … Person G (IDs UA … UG). */
export const SEVEN: Member[] = [...'ABCDEFG'].map(member);

/** The first letter after "Person " of each member: compact sequences for assertions. */
export function letters(members: readonly Member[]): string {
  return members.map((m) => m.name.replace('Person ', '')).join(' ');
}

/** Freezes a value and everything in it, so a function that mutates its input throws in a test. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
