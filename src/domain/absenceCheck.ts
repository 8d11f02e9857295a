/**
 * The absence check before a notice (issue 17): who the notice names once the members away for most of their coming
 * turn are skipped, and what the rotation's warnings say about it. Pure, so the prepare activity (which reads the
 * calendars and decides) and the workflow (which applies the same skips to its own state) reach the same rotation.
 *
 * - The check walks down the rotation from the member the notice would name: one whose absences cover at least the
 *   role's `absenceSkipThreshold` of the turn's working days is skipped for that turn with the rotation's own skip
 *   (`skip` with reason `absence`, for that one date: they keep their place and serve at the next turn they can), and
 *   the member the rotation names then is checked in turn.
 * - It reads two members at a time: the one named and the one who would stand in, so one skip needs no second read.
 * - A member whose absences could not be read (`unknown`) is never skipped; neither is the last member who could take
 *   the turn (a skip that would only bring the turn back to someone already passed over changes nothing).
 */
import type { AbsenceDecision } from './absences';
import { describeAwayDays } from './absences';
import { memberLabel, sameMember } from './members';
import { skip, upcomingMember, type RotationState } from './rotation';
import type { IsoDate, Member } from './types';

/** What the check found for one member, small enough for the workflow history. */
export interface AbsenceFinding {
  member: Member;
  kind: AbsenceDecision['kind'];
  /** The away working days in words (`describeAwayDays`); null when none were found (or nothing could be read). */
  awayDays: string | null;
  /** The share of the turn's working days the absences cover, 0..1; null when nothing could be read. */
  coverage: number | null;
  /** The sources that could not be read, one sentence each ("out of office: no domain-wide delegation …"). */
  failures: string[];
}

export function absenceFinding(member: Member, decision: AbsenceDecision): AbsenceFinding {
  if (decision.kind === 'unknown') {
    return { member, kind: 'unknown', awayDays: null, coverage: null, failures: decision.failures };
  }
  const { away, fraction } = decision.coverage;
  return {
    member,
    kind: decision.kind,
    awayDays: away.length > 0 ? describeAwayDays(away) : null,
    coverage: Math.round(fraction * 1000) / 1000,
    failures: decision.failures,
  };
}

/** Skips `member` for the turn starting on `date` because they are away: the rotation's skip, reason `absence`. */
export function skipForAbsence(rotation: RotationState, member: Member, date: IsoDate): RotationState {
  // `date` as "today": the skip is for that turn alone, and the workflow and the activity must get the same state.
  return skip(rotation, { member: member.id, from: date, to: date, reason: 'absence' }, date);
}

/**
 * The members to read for the notice on `date`: who it names, and who would stand in were they skipped (so that a
 * skip needs no second read). Throws the rotation's error when nobody can be named.
 */
export function absenceCandidates(rotation: RotationState, date: IsoDate): Member[] {
  const named = upcomingMember(rotation, date).member;
  let standIn: Member;
  try {
    standIn = upcomingMember(skipForAbsence(rotation, named, date), date).member;
  } catch {
    return [named]; // not a member the rotation can skip (e.g. a seeded member no longer in the group)
  }
  return sameMember(standIn, named) ? [named] : [named, standIn];
}

export interface AbsenceResolution {
  /** The rotation with the absence skips applied. */
  rotation: RotationState;
  /** Who the notice names now. */
  named: Member;
  /** The members skipped for an absence, in order: the first was due the turn, each next one stood in for them. */
  skipped: Member[];
  /** Away for enough of the turn to be skipped, but nobody else could take it: named anyway; else null. */
  namedDespiteAbsence: Member | null;
  /** Members whose absences are needed before the check can decide (read them, then resolve again); empty: decided. */
  unread: Member[];
}

/** Walks down the rotation from who the notice names, skipping those whose finding is `skip`, as the top says. */
export function resolveAbsences(
  rotation: RotationState,
  date: IsoDate,
  findings: ReadonlyMap<string, AbsenceFinding>,
): AbsenceResolution {
  let state = rotation;
  const skipped: Member[] = [];
  const decided = (named: Member, namedDespiteAbsence: Member | null = null): AbsenceResolution => ({
    rotation: state,
    named,
    skipped,
    namedDespiteAbsence,
    unread: [],
  });
  for (;;) {
    const named = upcomingMember(state, date).member;
    const finding = findings.get(named.id);
    if (!finding) return { ...decided(named), unread: absenceCandidates(state, date) };
    if (finding.kind !== 'skip') return decided(named);
    let next: RotationState;
    try {
      next = skipForAbsence(state, named, date);
    } catch {
      return decided(named, named);
    }
    const standIn = upcomingMember(next, date).member;
    // Everyone else who could take the turn is skipped already: the rotation would fall back on one of them.
    if (sameMember(standIn, named) || skipped.some((m) => sameMember(m, standIn))) return decided(named, named);
    state = next;
    skipped.push(named);
  }
}

/** What the prepare step's absence check reports to the workflow: the skips to apply and what was found. */
export interface AbsenceCheck {
  /** The handover date the check was for. */
  date: IsoDate;
  /** The members skipped, in order (apply each with `skipForAbsence`). */
  skipped: Member[];
  /** The findings for the members skipped and for the one named, in that order. */
  findings: AbsenceFinding[];
  /** The member named although away (nobody else could take the turn), or null. */
  namedDespiteAbsence: Member | null;
}

const percent = (share: number | null) => `${Math.round((share ?? 0) * 100)}%`;

/**
 * The rotation's warnings for a check (operators read them in `team-roles status`): each skip and who took the turn,
 * the named member's away days, and every read that failed, naming its cause. `named` is who the notice names.
 */
export function absenceWarnings(check: AbsenceCheck, named: Member): string[] {
  const warnings: string[] = [];
  const turn = `the turn starting ${check.date}`;
  check.skipped.forEach((member, i) => {
    const finding = check.findings.find((f) => sameMember(f.member, member));
    const standIn = check.skipped[i + 1] ?? named;
    warnings.push(
      `${memberLabel(member)} is away for ${percent(finding?.coverage ?? null)} of ${turn}` +
        `${finding?.awayDays ? ` (${finding.awayDays})` : ''}: skipped for that turn, ${memberLabel(standIn)} is ` +
        'named instead; they keep their place and serve at the next turn they can.',
    );
  });
  const namedFinding = check.findings.find((f) => sameMember(f.member, named));
  if (check.namedDespiteAbsence) {
    warnings.push(
      `${memberLabel(named)} is away for ${percent(namedFinding?.coverage ?? null)} of ${turn} but nobody else can ` +
        'take it: they stay named.',
    );
  } else if (namedFinding?.kind === 'away' && namedFinding.awayDays) {
    warnings.push(
      `${memberLabel(named)} is away during ${turn}: ${namedFinding.awayDays} (below the skip threshold; the notice ` +
        'says so).',
    );
  }
  for (const finding of check.findings) {
    if (finding.failures.length === 0) continue;
    const what =
      finding.kind === 'unknown'
        ? 'could not be read, so they were not skipped'
        : 'could be read only in part (the source that was read decided)';
    warnings.push(
      `The absences of ${memberLabel(finding.member)} for ${turn} ${what}: ${finding.failures.join('; ')}.`,
    );
  }
  return warnings;
}
