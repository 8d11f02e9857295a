/**
 * The on-duty user group (`onDutyUsergroup`, e.g. @support-triager-on-duty, the handle people page): kept equal to who
 * serves now. Read first (one usergroups.list) and left alone when already right; created when missing, re-enabled
 * when disabled, then given its members with usergroups.users.update.
 *
 * The group is a convenience, never a reason to stop the rotation: what no retry can fix (the token lacks
 * usergroups:write, the workspace lets only admins edit user groups, a free plan) comes back as a warning sentence
 * for the workflow's state, not as a failure. The user-group methods are Slack's Tier 2 (about 20 calls a minute per
 * workspace), counted per app across every role on the worker: they all take from one request budget.
 */
import type { WebClient } from '@slack/web-api';
import { ApplicationFailure } from '@temporalio/common';
import type { Member, RoleConfig, Settings } from '../domain/config';
import { activityCancellationSignal, activityLog } from './context';
import { FailureType, nonRetryable, requireRole } from './errors';
import { countRateLimitWait } from './metrics';
import { RequestBudget } from './request-budget';
import { slackFailure } from './slack';
import { missingScopeSentence, slackPlatformError } from './slack-scopes';
import { retryTransient } from './transient';

/** Slack's Tier 2: "20+ per minute"; the budget keeps to the documented floor. */
export const SLACK_TIER2_PER_MINUTE = 20;

/** One budget for a worker's Tier 2 Slack calls (share it with any other Tier 2 caller, e.g. the member lookup). */
export function slackTier2Budget(requestsPerMinute = SLACK_TIER2_PER_MINUTE): RequestBudget {
  return new RequestBudget({
    limit: requestsPerMinute,
    windowMs: 60_000,
    onWait: () => countRateLimitWait('slack', 'budget'),
  });
}

export interface OnDutyGroupDeps {
  settings: Settings;
  slack: WebClient;
  /** Shared by every Tier 2 call of the worker; a new one (20 a minute) when absent. */
  budget?: RequestBudget;
}

export interface SyncOnDutyGroupInput {
  role: string;
  /** Who serves now: incoming and current with two slots, the one member with one. */
  members: Member[];
}

export interface SyncOnDutyGroupResult {
  /** The group's handle, or null when the role keeps none. */
  handle: string | null;
  /**
   * off: the role names no group; unchanged: already right; updated / created: set now; not-kept: could not be set
   * (`warning` says why).
   */
  action: 'off' | 'unchanged' | 'updated' | 'created' | 'not-kept';
  /** The group's members afterwards (as far as known). */
  userIds: string[];
  /** One sentence for the workflow's state when the group could not be kept; null otherwise. */
  warning: string | null;
}

interface SlackUsergroup {
  id?: string;
  handle?: string;
  name?: string;
  date_delete?: number;
  users?: string[];
}

/** A Slack refusal no retry can fix, carried to the warning. */
class NotKept extends Error {}

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a);
  return set.size === new Set(b).size && b.every((id) => set.has(id));
}

export function createOnDutyGroupService({ settings, slack, budget = slackTier2Budget() }: OnDutyGroupDeps) {
  /** Every user-group call: within the shared budget, tried again quickly after a passing failure, classified. */
  function tier2<T>(method: string, handle: string, call: () => Promise<T>): Promise<T> {
    return retryTransient(async () => {
      await budget.take(activityCancellationSignal());
      try {
        return await call();
      } catch (err) {
        throw classify(err, method, handle);
      }
    });
  }

  function classify(err: unknown, method: string, handle: string): unknown {
    const error = slackPlatformError(err);
    if (!error) return slackFailure(err, method);
    const group = `the on-duty group @${handle}`;
    switch (error.code) {
      case 'missing_scope':
        return new NotKept(`${cap(group)} is not kept: ${missingScopeSentence(method, error)}`);
      case 'permission_denied':
      case 'no_permission':
        return new NotKept(
          `Slack refused to change ${group} (${error.code}): the workspace restricts who may edit user groups, and ` +
            'a bot token may only when everyone may. An owner or admin can allow it under Workspace settings → ' +
            'Permissions → User Groups.',
        );
      case 'plan_upgrade_required':
      case 'paid_teams_only':
        return new NotKept(`${cap(group)} is not kept: user groups need a paid Slack plan (${error.code}).`);
      case 'name_already_exists':
        return new NotKept(
          `Slack could not create ${group}: another user group already has its name (name_already_exists). ` +
            'Rename that group, or choose another onDutyUsergroup.',
        );
      case 'handle_already_exists':
        return new NotKept(
          `Slack could not create ${group}: a person or a channel already uses the handle (handle_already_exists). ` +
            'Choose another onDutyUsergroup.',
        );
      case 'invalid_users':
      case 'invalid_user':
      case 'failed_for_some_users':
        return new NotKept(`Slack refused the members of ${group} (${error.code}): are they all in this workspace?`);
      default: {
        const classified = slackFailure(err, method);
        if (classified instanceof ApplicationFailure && !classified.nonRetryable) return classified;
        return new NotKept(`${cap(group)} is not kept: Slack ${method} failed (${error.code}).`);
      }
    }
  }

  async function findGroup(handle: string): Promise<SlackUsergroup | undefined> {
    const listed = await tier2('usergroups.list', handle, () =>
      slack.usergroups.list({ include_users: true, include_disabled: true }),
    );
    return ((listed.usergroups ?? []) as SlackUsergroup[]).find((group) => group.handle === handle);
  }

  async function createGroup(role: RoleConfig, handle: string): Promise<SlackUsergroup> {
    const name = `${role.title} on duty`;
    try {
      const created = await tier2('usergroups.create', handle, () =>
        slack.usergroups.create({
          name,
          handle,
          description: `Who serves as ${role.title} now; kept by team-roles at every handover.`,
        }),
      );
      return created.usergroup ?? {};
    } catch (err) {
      // An earlier attempt may have created it just before its answer was lost: then it is there now.
      const again = await findGroup(handle);
      if (again) return again;
      throw err;
    }
  }

  /** Sets the role's on-duty group to `members` (see the module comment); never fails for a refusal. */
  async function syncOnDutyGroup(input: SyncOnDutyGroupInput): Promise<SyncOnDutyGroupResult> {
    const role = requireRole(settings, input.role);
    const handle = role.onDutyUsergroup;
    if (!handle) return { handle: null, action: 'off', userIds: [], warning: null };
    if (!Array.isArray(input.members)) {
      throw nonRetryable(FailureType.InvalidInput, 'syncOnDutyGroup needs the members who serve now.');
    }
    const wanted = [...new Set(input.members.map((member) => member.id).filter(Boolean))];
    if (wanted.length === 0) {
      return {
        handle,
        action: 'not-kept',
        userIds: [],
        warning: `Nobody serves ${input.role} now, and Slack cannot empty a user group: @${handle} is left as it is.`,
      };
    }
    let existing: SlackUsergroup | undefined;
    try {
      existing = await findGroup(handle);
      if (existing?.id && !existing.date_delete && sameMembers(existing.users ?? [], wanted)) {
        return { handle, action: 'unchanged', userIds: existing.users ?? [], warning: null };
      }
      const created = !existing;
      const group = existing ?? (await createGroup(role, handle));
      const id = group.id;
      if (!id) throw new NotKept(`Slack gave no ID for the on-duty group @${handle}.`);
      if (group.date_delete) {
        await tier2('usergroups.enable', handle, () => slack.usergroups.enable({ usergroup: id }));
      }
      const updated = await tier2('usergroups.users.update', handle, () =>
        slack.usergroups.users.update({ usergroup: id, users: wanted.join(',') }),
      );
      const userIds = (updated.usergroup?.users ?? wanted).slice();
      activityLog.info('On-duty group set', { role: input.role, handle, members: userIds, created });
      return { handle, action: created ? 'created' : 'updated', userIds, warning: null };
    } catch (err) {
      if (!(err instanceof NotKept)) throw err;
      activityLog.warn('On-duty group not kept', { role: input.role, handle, warning: err.message });
      return { handle, action: 'not-kept', userIds: existing?.users ?? [], warning: err.message };
    }
  }

  return { syncOnDutyGroup, budget, activities: { syncOnDutyGroup } };
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
