/**
 * What the rotation shows without changing: the `state` query's answer, and the search attributes and "current
 * details" that the Web UI and `temporal workflow list` show without running a query.
 */
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { upcomingMember } from '../../domain/rotation';
import { zonedInstantText } from '../../domain/format';
import { handoverDateOf, prepareInstant } from '../../domain/schedule';
import { nextHandoverAt } from './due';
import type { Member } from '../../domain/types';
import { patches } from './patches';
import {
  CurrentMemberAttribute,
  HandoverAcknowledgedAttribute,
  IncomingMemberAttribute,
  NextHandoverAtAttribute,
  TeamRoleAttribute,
  type HandoverMode,
  type RoleRuntimeConfig,
  type RoleStateView,
  type RoleWorkflowState,
} from '../../shared';

export function stateView(
  role: string,
  config: RoleRuntimeConfig,
  state: RoleWorkflowState,
  mode: HandoverMode,
): RoleStateView {
  const { rotation } = state;
  const at = nextHandoverAt(state);
  const date = handoverDateOf(config.role, config.timeZone, at);
  let next: Member | null = null;
  try {
    next = upcomingMember(rotation, date).member;
  } catch {
    next = null;
  }
  return {
    role,
    incoming: rotation.incoming,
    current: rotation.current,
    next,
    nextHandoverAt: at.toISOString(),
    nextPrepareAt: prepareInstant(config.role, at).toISOString(),
    paused: rotation.paused,
    members: rotation.members,
    history: rotation.history,
    mode,
    lastHandoverKey: rotation.lastHandoverKey,
    standupId: state.standupId,
    warnings: state.warnings,
    lastError: state.lastError,
    timeScale: state.clock?.scale ?? 1,
    acknowledgement: state.acknowledgement ?? null,
  };
}

/** `HandoverAcknowledged`: true once the named member answered, false while they have not; unset without a record. */
function handoverAcknowledged(state: RoleWorkflowState): boolean | null {
  const record = state.acknowledgement;
  if (!record || record.status === 'cancelled') return null;
  return record.status === 'acknowledged';
}

/** Search attributes and the Web UI's "current details": who serves, without running a query. */
export function updateVisibility(config: RoleRuntimeConfig, state: RoleWorkflowState): void {
  const { rotation } = state;
  upsertSearchAttributes([
    { key: TeamRoleAttribute, value: rotation.role },
    { key: IncomingMemberAttribute, value: rotation.incoming?.name ?? null },
    { key: CurrentMemberAttribute, value: rotation.current?.name ?? null },
    { key: NextHandoverAtAttribute, value: nextHandoverAt(state) },
    ...(config.acknowledgementOn && patches.handoverAcknowledgement()
      ? [{ key: HandoverAcknowledgedAttribute, value: handoverAcknowledged(state) }]
      : []),
  ]);
  const serving =
    rotation.slots === 2
      ? `incoming ${rotation.incoming?.name ?? 'nobody'}, current ${rotation.current?.name ?? 'nobody'}`
      : `${rotation.current?.name ?? 'nobody'} serving`;
  // In the role's zone, as its people read it (the search attribute NextHandoverAt keeps the instant).
  const when = rotation.paused
    ? 'paused'
    : `next handover ${zonedInstantText(nextHandoverAt(state).toISOString(), config.timeZone)}`;
  setCurrentDetails(`**${config.role.title}**: ${serving}; ${when}.`);
}
