/**
 * The old scripts' `team-roles.json`, for import and export (docs/contracts.md):
 * `{ standup_manager, meeting_facilitator?, support_triager: { incoming, current } }`, each member `{name, id}` or null.
 * The snake_case keys are that file's and stay exactly so.
 */
import { z } from 'zod';
import { RotationError } from './errors';
import type { RotationState } from './rotation';
import type { Member } from './types';

const fileMemberSchema = z
  .object({ name: z.string(), id: z.string().min(1, 'a Slack user ID is required') })
  .nullable();

export const teamRolesFileSchema = z.object({
  standup_manager: fileMemberSchema,
  meeting_facilitator: fileMemberSchema.optional(),
  support_triager: z.object({ incoming: fileMemberSchema, current: fileMemberSchema }),
});
export type TeamRolesFile = z.infer<typeof teamRolesFileSchema>;
export type TeamRolesFileMember = z.infer<typeof fileMemberSchema>;

/** The roles the old file records, by their names here. */
export type TeamRolesFileRole = 'support-triager' | 'meeting-facilitator';

/** Validates a parsed `team-roles.json`; the error names each bad field, e.g. `support_triager.incoming.id`. */
export function parseTeamRolesFile(json: unknown): TeamRolesFile {
  const result = teamRolesFileSchema.safeParse(json);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new RotationError('invalid-request', `Invalid team-roles.json: ${problems.join('; ')}`);
}

function toMember(member: TeamRolesFileMember | undefined): Member | null {
  return member ? { id: member.id, name: member.name } : null;
}

function toFileMember(member: Member | null | undefined): TeamRolesFileMember {
  return member ? { name: member.name, id: member.id } : null;
}

/** Who serves a role according to the file: a seed for `initialState`. */
export function seedFromTeamRolesFile(
  file: TeamRolesFile,
  role: TeamRolesFileRole,
): { incoming: Member | null; current: Member | null } {
  if (role === 'meeting-facilitator') return { incoming: null, current: toMember(file.meeting_facilitator) };
  return { incoming: toMember(file.support_triager.incoming), current: toMember(file.support_triager.current) };
}

/** The file for the standup manager and the two roles' states (a missing meeting facilitator is left out). */
export function toTeamRolesFile(input: {
  standupManager: Member | null;
  supportTriager: Pick<RotationState, 'incoming' | 'current'> | null;
  meetingFacilitator?: Pick<RotationState, 'current'> | null;
}): TeamRolesFile {
  return {
    standup_manager: toFileMember(input.standupManager),
    ...(input.meetingFacilitator !== undefined && {
      meeting_facilitator: toFileMember(input.meetingFacilitator?.current),
    }),
    support_triager: {
      incoming: toFileMember(input.supportTriager?.incoming),
      current: toFileMember(input.supportTriager?.current),
    },
  };
}
