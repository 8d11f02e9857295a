import { RotationError } from './errors';
import type { Member } from './types';

/** Rotation order: display name, case-insensitive, then Slack ID (identity is always the ID). */
export function compareMembers(a: Member, b: Member): number {
  const byName = a.name.toLocaleLowerCase('en-US').localeCompare(b.name.toLocaleLowerCase('en-US'), 'en-US');
  if (byName !== 0) return byName;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** A sorted copy with duplicate IDs removed (the first occurrence wins). */
export function sortMembers(members: readonly Member[]): Member[] {
  const seen = new Set<string>();
  const unique = members.filter((m) => (seen.has(m.id) ? false : (seen.add(m.id), true)));
  return unique.sort(compareMembers);
}

/** Same person: compared by Slack ID only, never by name. */
export function sameMember(a: Member | null | undefined, b: Member | null | undefined): boolean {
  return a != null && b != null && a.id === b.id;
}

/** The member with this Slack ID, if they are in the list. */
export function memberById(members: readonly Member[], id: string): Member | undefined {
  return members.find((m) => m.id === id);
}

/** `Name (U123)`: how members are named in messages (just the ID when there is no other name). */
export function memberLabel(member: Member): string {
  return member.name && member.name !== member.id ? `${member.name} (${member.id})` : member.id;
}

/** How an "unknown member" message tells the operator where to see the members. */
const DEFAULT_SEE_MEMBERS = "the role's state (the `state` query) lists its members";

/**
 * Resolves a reference typed by an operator: a Slack ID, or a display name matched exactly but case-insensitively.
 * Never matches a name substring (that is how the old scripts once made one person both incoming and current).
 */
export function findMember(members: readonly Member[], ref: string, seeMembers = DEFAULT_SEE_MEMBERS): Member {
  const wanted = ref.trim();
  const byId = members.find((m) => m.id === wanted);
  if (byId) return byId;
  const folded = fold(wanted);
  const byName = members.filter((m) => fold(m.name) === folded);
  const [only] = byName;
  if (only && byName.length === 1) return only;
  if (byName.length > 1) {
    const ids = sortMembers(byName).map((m) => m.id);
    throw new RotationError(
      'ambiguous-member',
      `"${wanted}" is ambiguous: ${byName.length} members have that name (${ids.join(', ')}); use the Slack ID instead.`,
    );
  }
  const close = closeMatches(members, wanted);
  const suggestion = close.length > 0 ? ` Did you mean ${close.map(memberLabel).join(', ')}?` : '';
  const group = members.length === 0 ? ' The group has no members.' : '';
  throw new RotationError(
    'unknown-member',
    `No member "${wanted}" (give a Slack ID or the exact display name).${suggestion}${group} Hint: ${seeMembers}.`,
  );
}

function fold(text: string): string {
  return text.trim().toLocaleLowerCase('en-US');
}

/** Members whose name or ID contains the reference (or the other way round) or is a few edits away, closest first. */
export function closeMatches(members: readonly Member[], ref: string, limit = 5): Member[] {
  const wanted = fold(ref);
  if (!wanted) return [];
  const threshold = Math.max(2, Math.floor(wanted.length / 3));
  const scored: { member: Member; score: number }[] = [];
  for (const member of members) {
    const name = fold(member.name);
    const id = fold(member.id);
    const contains = (name && (name.includes(wanted) || wanted.includes(name))) || id.includes(wanted);
    const distance = Math.min(editDistance(wanted, name), editDistance(wanted, id));
    if (contains || distance <= threshold) scored.push({ member, score: contains ? 0 : distance });
  }
  scored.sort((a, b) => a.score - b.score || compareMembers(a.member, b.member));
  return scored.slice(0, limit).map((s) => s.member);
}

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, substitution));
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}
