/**
 * The absence check inside the prepare step (issue 17): reads the absences of who the notice would name over their
 * coming turn, and of who would stand in, while Slack answers the member lookup; then decides on the rotation as the
 * group has it now (src/domain/absenceCheck.ts), reading whoever that names and was not read yet. The absences
 * service never fails on a read that cannot be made (it reports the cause), so the check never stops a notice and a
 * failed read never skips anyone.
 */
import {
  absenceCandidates,
  absenceFinding,
  resolveAbsences,
  type AbsenceCheck,
  type AbsenceFinding,
} from '../domain/absenceCheck';
import type { Settings } from '../domain/config';
import type { SkippedForAbsence } from '../domain/messages';
import { roleRules } from '../domain/roleRules';
import type { RotationState } from '../domain/rotation';
import { turnEnd } from '../domain/schedule';
import type { IsoDate, Member } from '../domain/types';
import type { AbsenceQuery, MemberAbsences } from './absences';
import { requireRole } from './errors';

export interface AbsenceCheckDeps {
  settings: Settings;
  /** The absences service's steps (`createAbsenceService`); null when the calendar is off: no absences are read. */
  absences: { readAbsences: (query: AbsenceQuery) => Promise<MemberAbsences[]> } | null;
}

/** One prepare step's check: `readFirst` alongside the lookup, then `resolve` on the refreshed rotation. */
export interface AbsenceChecker {
  readFirst(): Promise<void>;
  resolve(rotation: RotationState): Promise<{ rotation: RotationState; check: AbsenceCheck }>;
}

/**
 * The check for the notice of the handover on `date`, or null when it is not asked for (`checkAbsences`: runs that
 * apply the skips), the role reads no absences, or this worker cannot read them.
 */
export function absenceChecker(
  deps: AbsenceCheckDeps,
  input: { role: string; rotation: RotationState; checkAbsences?: boolean },
  date: IsoDate,
): AbsenceChecker | null {
  const role = requireRole(deps.settings, input.role);
  const read = deps.absences?.readAbsences;
  if (input.checkAbsences !== true || !read || roleRules(role).absences === null) return null;
  const turn = { start: date, end: turnEnd(role, date) };
  const findings = new Map<string, AbsenceFinding>();

  async function readMembers(members: readonly Member[], roster: Member[]): Promise<void> {
    const wanted = members.filter((m) => !findings.has(m.id));
    if (wanted.length === 0 || !read) return;
    const results = await read({ role: input.role, turn, members: wanted, roster });
    for (const member of wanted) {
      const result = results.find((r) => r.memberId === member.id);
      const decision = result?.decision ?? { kind: 'unknown' as const, failures: ['absences: not read'] };
      findings.set(member.id, absenceFinding(member, decision));
    }
  }

  return {
    async readFirst() {
      let first: Member[];
      try {
        first = absenceCandidates(input.rotation, date);
      } catch {
        return; // nobody to name yet: the group as read now decides
      }
      await readMembers(first, input.rotation.members);
    },
    async resolve(rotation) {
      let resolution = resolveAbsences(rotation, date, findings);
      // Each round reads the next two in line; there are at most as many members to pass over as the group has.
      for (let round = 0; resolution.unread.length > 0 && round <= rotation.members.length; round++) {
        await readMembers(resolution.unread, rotation.members);
        resolution = resolveAbsences(rotation, date, findings);
      }
      const involved = [...resolution.skipped, resolution.named];
      const check: AbsenceCheck = {
        date,
        skipped: resolution.skipped,
        findings: involved.flatMap((m) => findings.get(m.id) ?? []),
        namedDespiteAbsence: resolution.namedDespiteAbsence,
      };
      return { rotation: resolution.rotation, check };
    },
  };
}

/** The members skipped, with their away days, as their messages say them. */
export function skippedForMessages(check: AbsenceCheck): SkippedForAbsence[] {
  return check.skipped.map((member) => ({
    member,
    awayDays: check.findings.find((f) => f.member.id === member.id)?.awayDays ?? null,
  }));
}

/** The named member's away days over their turn, for the notice's {awayDays}; null when none are known. */
export function namedAwayDays(check: AbsenceCheck | null, named: Member): string | null {
  return check?.findings.find((f) => f.member.id === named.id)?.awayDays ?? null;
}
