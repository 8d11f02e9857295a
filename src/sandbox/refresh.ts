/**
 * The sandbox's side of someone joining or leaving a group on the sandbox page: the rotations that read the group
 * read it again at once, as an operator's `team-roles refresh-members` would have them, rather than at their own next
 * refresh (before the next notice: days ahead in real time). What they answer is what the page tells its user.
 */
import type { Client } from '@temporalio/client';
import { instantText } from '../client/output';
import { roleTimeZone, type Settings } from '../domain/config';
import { refreshMembersUpdate, roleWorkflowId, stateQuery } from '../shared';
import type { MembershipChange } from './members';

/** How long the page waits for a rotation to read its group again. */
const REFRESH_TIMEOUT_MS = 15_000;

/**
 * Has each enabled role whose Slack group `change` changed read it again (the `refreshMembers` update), and says for
 * the sandbox page what happens next: whose turns move, when they are told, and the operators' summary.
 */
export async function tellRotations(
  client: Client,
  settings: Settings,
  change: MembershipChange,
  workflowIdOf: (role: string) => string = roleWorkflowId,
): Promise<string> {
  const roles = Object.entries(settings.roles).filter(
    ([, config]) => config.enabled && config.usergroup.replace(/^@/, '') === change.group,
  );
  if (roles.length === 0) return `No enabled role rotates @${change.group}: nobody's turns move.`;
  const answers = await Promise.all(
    roles.map(async ([role, config]) => {
      const handle = client.workflow.getHandle(workflowIdOf(role));
      try {
        return await client.withDeadline(Date.now() + REFRESH_TIMEOUT_MS, async () => {
          const before = (await handle.query(stateQuery)).changes.at(-1);
          const state = await handle.executeUpdate(refreshMembersUpdate);
          const since = before
            ? state.changes.findIndex((entry) => JSON.stringify(entry) === JSON.stringify(before))
            : -1;
          const affected = state.changes
            .slice(since + 1)
            .flatMap((entry) => (entry.kind === 'change' ? entry.affected : []));
          const read = `The ${config.title} rotation read @${change.group} again`;
          if (affected.length === 0) return `${read}: no member's turns move.`;
          const moved = `${read}: it moves the turns of ${[...new Set(affected)].join(', ')}.`;
          const pending = state.pendingChanges;
          if (!pending?.summary) return moved;
          const timeZone = roleTimeZone(settings, config);
          const when =
            (state.timeScale ?? 1) > 1
              ? `in a moment (at ${instantText(pending.toldAt, timeZone, state.timeScale)} on the fast clock)`
              : `at ${instantText(pending.toldAt, timeZone)}`;
          return `${moved} Each is told by direct message ${when}; the operators' summary:\n${pending.summary}`;
        });
      } catch (err) {
        return (
          `The ${config.title} rotation could not read @${change.group} again (${(err as Error).message}): it does ` +
          `before its next notice, or run \`npx team-roles refresh-members ${role}\` (TEMPORAL_ADDRESS as printed).`
        );
      }
    }),
  );
  return answers.join('\n');
}
