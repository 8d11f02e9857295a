/**
 * What the rotation shows without changing: the `state` query's answer, and the search attributes and "current
 * details" that the Web UI and `temporal workflow list` show without running a query.
 */
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { batchDueAt, batchNotice, changeNoticeSettings } from '../../domain/changeNotices';
import { memberById } from '../../domain/members';
import { upcomingMember } from '../../domain/rotation';
import { zonedInstantText } from '../../domain/format';
import { handoverDateOf, prepareInstant } from '../../domain/schedule';
import { nextHandoverAt, pendingHandover } from './due';
import { frozenUntil } from './notices';
import type { Member } from '../../domain/types';
import { patches } from './patches';
import {
  CurrentMemberAttribute,
  HandoverAcknowledgedAttribute,
  IncomingMemberAttribute,
  NextHandoverAtAttribute,
  TeamRoleAttribute,
  type HandoverMode,
  type NoticeView,
  type RoleRuntimeConfig,
  type RoleStateView,
  type RoleWorkflowState,
} from '../../shared';

export function stateView(
  role: string,
  config: RoleRuntimeConfig,
  state: RoleWorkflowState,
  mode: HandoverMode,
  busy: string | null = null,
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
    ...(config.services ? { services: config.services } : {}),
    absences: state.absences ?? null,
    notice: noticeView(state, pendingHandover(config, state).key),
    changes: state.changeLog ?? [],
    pendingChanges: state.changeBatch
      ? {
          // On the rotation's clock, as nextHandoverAt.
          toldAt: new Date(batchDueAt(state.changeBatch, changeNoticeSettings(config.role))).toISOString(),
          // As a run from the patch tells it (tellEveryJoiner: a query cannot ask; older runs leave an unplaced
          // newcomer out of the DMs this lists).
          summary: batchNotice({ name: role, title: config.role.title }, state.changeBatch, {
            frozenUntil: frozenUntil(config, state),
            everyJoiner: true,
          }).summary,
        }
      : null,
    busy,
    acknowledgement: state.acknowledgement ?? null,
  };
}

/** The notice for the pending handover, from what was prepared (and withdrawn) for it; one for a handover done: none. */
function noticeView(state: RoleWorkflowState, pendingKey: string): NoticeView | null {
  const record = state.noticeRecord?.key === pendingKey ? state.noticeRecord : null;
  const prepared = state.prepared?.key === pendingKey ? state.prepared : null;
  const member = (id: string | null | undefined) =>
    id ? (memberById(state.rotation.members, id) ?? { id, name: id }) : null;
  if (record?.withdrawn) {
    // Whom the withdrawal pointed the standup at (records from before it was kept: who serves now).
    if (record.serving) {
      return {
        key: record.key,
        incoming: member(record.serving.memberId),
        buddy: member(record.serving.buddyId),
        withdrawn: true,
      };
    }
    const { rotation } = state;
    const serving = rotation.slots === 2 ? rotation.incoming : rotation.current;
    return {
      key: record.key,
      incoming: serving,
      buddy: rotation.slots === 2 ? rotation.current : null,
      withdrawn: true,
    };
  }
  if (!prepared) return null;
  return { key: prepared.key, incoming: member(prepared.memberId), buddy: member(prepared.buddyId), withdrawn: false };
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
