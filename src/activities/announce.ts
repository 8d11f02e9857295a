/**
 * The handover told in Slack (issue 14): the channel's short post and the on-duty group set to who serves now, at
 * once, in one call that the role workflow makes as a local activity right after it handed over (one marker event
 * in the history). Both halves are idempotent, so a worker that dies midway runs it again whole: the post is found
 * by its key (src/activities/slack-messages.ts), the group is read before it is changed (src/activities/on-duty-group.ts).
 * What no retry can fix (the bot not in the channel, no usergroups:write, a workspace that restricts user groups) is
 * a warning sentence for the workflow's state; the rotation goes on.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { MessageFacts } from '../domain/messages';
import type { Member } from '../domain/types';
import { FailureType, nonRetryable } from './errors';
import type { createOnDutyGroupService, SyncOnDutyGroupResult } from './on-duty-group';
import type { createSlackMessagesService, SendMessagesResult } from './slack-messages';

export interface AnnounceHandoverInput {
  role: string;
  /** The facts of the handover just done, as the rotation stood before it (`messageFacts`). */
  facts: MessageFacts;
  /** Who serves now, after the handover: incoming and current with two slots, the one member with one. */
  serving: Member[];
}

export interface AnnounceHandoverResult {
  /** The post: posted, updated, unchanged; null when the role's messages are off or it could not be sent. */
  post: 'posted' | 'updated' | 'unchanged' | null;
  /** What was done to the on-duty group (`off` when the role keeps none). */
  onDutyGroup: SyncOnDutyGroupResult['action'];
  /** Sentences for the state's warnings; empty when all was done. */
  warnings: string[];
}

export interface AnnounceDeps {
  messages: Pick<ReturnType<typeof createSlackMessagesService>, 'sendMessages'>;
  onDuty: Pick<ReturnType<typeof createOnDutyGroupService>, 'syncOnDutyGroup'>;
}

function isRetryable(err: unknown): boolean {
  return !(err instanceof ApplicationFailure && err.nonRetryable);
}

export function createAnnounceService({ messages, onDuty }: AnnounceDeps) {
  async function announceHandover(input: AnnounceHandoverInput): Promise<AnnounceHandoverResult> {
    if (!input?.facts?.incoming?.id || !Array.isArray(input.serving)) {
      throw nonRetryable(FailureType.InvalidInput, 'announceHandover needs the handover facts and who serves now.');
    }
    const [sent, group] = await Promise.allSettled([
      messages.sendMessages(input.role, 'handover', input.facts),
      onDuty.syncOnDutyGroup({ role: input.role, members: input.serving }),
    ]);
    for (const outcome of [sent, group]) {
      if (outcome.status === 'rejected' && isRetryable(outcome.reason)) throw outcome.reason;
    }
    const warnings: string[] = [];
    const post = postOf(sent, warnings);
    if (group.status === 'rejected') warnings.push(sentence(group.reason));
    else if (group.value.warning) warnings.push(group.value.warning);
    return { post, onDutyGroup: group.status === 'fulfilled' ? group.value.action : 'not-kept', warnings };
  }

  return { announceHandover, activities: { announceHandover } };
}

function postOf(sent: PromiseSettledResult<SendMessagesResult>, warnings: string[]): AnnounceHandoverResult['post'] {
  if (sent.status === 'rejected') {
    warnings.push(`slack: ${sentence(sent.reason)}`);
    return null;
  }
  warnings.push(...sent.value.failures);
  return sent.value.delivered[0]?.action ?? null;
}

function sentence(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
