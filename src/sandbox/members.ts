/**
 * Someone joins or leaves a sandbox Slack user group, as a workspace admin would do it in Slack: what the sandbox
 * page's User groups panel does (src/sandbox/page.ts). A newcomer becomes a Slack user of the fake workspace with an
 * ID in the demo team's style (`U0HUGO0001`), an e-mail address and a calendar the worker may read (`setGroup`). The
 * rotations see the change when they next read the group, as with the real Slack.
 */
import type { Member } from '../domain/types';
import type { FakeSlack, FakeSlackUsergroup } from './slack';

/** Longer names than this are refused (Slack allows 80; the page's lists stay readable). */
export const MAX_MEMBER_NAME_LENGTH = 40;

/** Letters (any script), digits, spaces, dots, apostrophes and hyphens: nothing Slack's mrkdwn would read as markup. */
const MEMBER_NAME = /^[\p{L}\p{N} .'-]+$/u;

/** A refused join or leave: the message tells the page's user what to change. */
export class MembershipError extends Error {
  override readonly name = 'MembershipError';
}

/** What a join or leave needs of the sandbox: its fake Slack, and the way it adds people (`Sandbox.setGroup`). */
export interface GroupMembership {
  slack: FakeSlack;
  setGroup(handle: string, members: Member[]): void;
}

export interface MembershipChange {
  kind: 'joined' | 'left';
  /** The group's handle, without "@". */
  group: string;
  member: Member;
}

/** Adds the person called `name` to the group: the workspace's user of that name, else a new one. */
export function joinGroup(sandbox: GroupMembership, handle: string, name: string): MembershipChange {
  const group = editableGroup(sandbox.slack, handle);
  const wanted = name.trim().replace(/\s+/g, ' ');
  if (!wanted) throw new MembershipError('Give the new member a name.');
  if (wanted.length > MAX_MEMBER_NAME_LENGTH) {
    throw new MembershipError(`A name of at most ${MAX_MEMBER_NAME_LENGTH} characters, please.`);
  }
  if (!MEMBER_NAME.test(wanted)) {
    throw new MembershipError('A name may have letters, digits, spaces, dots, apostrophes and hyphens only.');
  }
  const members = groupMembers(sandbox.slack, group);
  // Someone who left, or who is in another group, joins as themselves: one Slack user per name.
  const known = Object.values(sandbox.slack.state.users).find(
    (user) => !user.deleted && !user.is_bot && sameName(nameOf(sandbox.slack, user.id), wanted),
  );
  if (known && group.users.includes(known.id)) {
    throw new MembershipError(`${nameOf(sandbox.slack, known.id)} is already in @${group.handle}.`);
  }
  const member: Member = known
    ? { id: known.id, name: nameOf(sandbox.slack, known.id) }
    : { id: newUserId(wanted, new Set(Object.keys(sandbox.slack.state.users))), name: wanted };
  sandbox.setGroup(group.handle, [...members, member]);
  return { kind: 'joined', group: group.handle, member };
}

/** Takes the member with Slack ID `memberId` out of the group (they stay a user of the workspace). */
export function leaveGroup(sandbox: GroupMembership, handle: string, memberId: string): MembershipChange {
  const group = editableGroup(sandbox.slack, handle);
  const members = groupMembers(sandbox.slack, group);
  const member = members.find((m) => m.id === memberId);
  if (!member) throw new MembershipError(`No member ${memberId} in @${group.handle}.`);
  // Slack cannot empty a group either (usergroups.users.update refuses): it would be disabled instead.
  if (members.length === 1) throw new MembershipError(`${member.name} is the last member of @${group.handle}.`);
  sandbox.setGroup(
    group.handle,
    members.filter((m) => m.id !== memberId),
  );
  return { kind: 'left', group: group.handle, member };
}

/** Whether people join and leave the group by hand: not the groups the worker keeps itself (the on-duty group). */
export function isEditableGroup(slack: FakeSlack, group: FakeSlackUsergroup): boolean {
  return group.created_by !== slack.state.bot.userId;
}

function editableGroup(slack: FakeSlack, handle: string): FakeSlackUsergroup {
  const wanted = handle.trim().replace(/^@/, '');
  const group = slack.state.usergroups.find((g) => g.handle === wanted);
  if (!group) throw new MembershipError(`No user group @${wanted || '?'} in the sandbox.`);
  if (!isEditableGroup(slack, group)) {
    throw new MembershipError(`@${group.handle} is kept by team-roles itself (who is on duty): change a role's group.`);
  }
  return group;
}

/** The group's members with their names as Slack shows them. */
export function groupMembers(slack: FakeSlack, group: FakeSlackUsergroup): Member[] {
  return group.users.map((id) => ({ id, name: nameOf(slack, id) }));
}

/** As Slack shows the person: the display name, else the real name. */
export function nameOf(slack: FakeSlack, id: string): string {
  const user = slack.state.users[id];
  return user?.profile.display_name || user?.real_name || id;
}

function sameName(a: string, b: string): boolean {
  return a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;
}

/** `U0HUGO0001`: ten characters like the demo team's IDs, from the name's first letters, unique in the workspace. */
export function newUserId(name: string, taken: ReadonlySet<string>): string {
  const letters = name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9]/g, '')
    .toUpperCase()
    .slice(0, 5);
  const prefix = `U0${letters || 'USER'}`;
  for (let n = 1; ; n++) {
    const id = `${prefix}${String(n).padStart(10 - prefix.length, '0')}`;
    if (!taken.has(id)) return id;
  }
}
