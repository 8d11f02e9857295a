/**
 * The per-role settings of the roster, fairness and absence rules, with their defaults. Zod-free (config.ts holds
 * the schema), so workflow code can import it without zod in its bundle.
 */
import type { RoleConfig } from './config';

/** Weeks ahead in which a join or leave moves no turn. */
export const DEFAULT_FREEZE_WEEKS = 2;
/** Share of a turn's working days an absence must cover for the member to be skipped. */
export const DEFAULT_ABSENCE_SKIP_THRESHOLD = 0.5;

export const FAIRNESS_MODES = ['cycle', 'balance'] as const;
/** `cycle`: plain rotation order (the behaviour before fairness existed); `balance`: the most owed member first. */
export type Fairness = (typeof FAIRNESS_MODES)[number];

/** Where a role reads its members' absences from. */
export interface AbsenceSources {
  /** The member's own out-of-office events (primary calendar, domain-wide delegation). */
  outOfOffice: boolean;
  /** A shared team absences calendar whose events name the member; null when not used. */
  teamCalendarId: string | null;
}

/** A role's rules with every default filled in. */
export interface RoleRules {
  freezeWeeks: number;
  /** The frozen window as the rotation engine counts it: turns (see `frozenTurnCount`). */
  frozenTurns: number;
  fairness: Fairness;
  absenceSkipThreshold: number;
  /** null: the role reads no absences (the default). */
  absences: AbsenceSources | null;
}

type RuleFields = 'cadence' | 'freezeWeeks' | 'fairness' | 'absenceSkipThreshold' | 'absences';

/**
 * The role's rules, defaults filled in. Configurations recorded in older workflow histories lack these fields:
 * they get the defaults too.
 */
export function roleRules(role: Pick<RoleConfig, RuleFields>): RoleRules {
  const freezeWeeks = role.freezeWeeks ?? DEFAULT_FREEZE_WEEKS;
  const sources = role.absences;
  return {
    freezeWeeks,
    frozenTurns: frozenTurnCount(role.cadence, freezeWeeks),
    fairness: role.fairness ?? 'cycle',
    absenceSkipThreshold: role.absenceSkipThreshold ?? DEFAULT_ABSENCE_SKIP_THRESHOLD,
    absences: sources
      ? { outOfOffice: sources.outOfOffice ?? false, teamCalendarId: sources.teamCalendarId ?? null }
      : null,
  };
}

/**
 * How many turns the frozen window holds: weekly roles freeze `freezeWeeks` turns (one handover a week); monthly
 * roles freeze one turn per started four weeks (⌈freezeWeeks / 4⌉), so the default 2 weeks freezes the next month's
 * turn, whose notice goes out days before it starts, and 0 freezes nothing.
 */
export function frozenTurnCount(cadence: RoleConfig['cadence'], freezeWeeks: number): number {
  const weeks = Math.max(0, Math.floor(freezeWeeks));
  return cadence === 'weekly' ? weeks : Math.ceil(weeks / 4);
}
