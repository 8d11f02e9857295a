/**
 * Every message the role workflow takes, registered from the operations table (src/operations.ts): a signal and a
 * validated update per operation, then the two queries. Registered before start-up, so that nothing sent while the
 * rotation reads its configuration and the Slack group finds no handler.
 */
import { setHandler } from '@temporalio/workflow';
import { OPERATION_LIST, signalDescription } from '../../operations';
import {
  acknowledgementHeldSignal,
  acknowledgementRemindedSignal,
  configQuery,
  fairnessQuery,
  historyQuery,
  planQuery,
  stateQuery,
} from '../../shared';
import type { Rotation } from './rotation';

export function registerHandlers(rotation: Rotation): void {
  // Signals first, then updates: the order in which messages buffered before start-up are delivered.
  for (const operation of OPERATION_LIST) {
    setHandler(operation.signal, (request?: unknown) => rotation.signal(operation, request), {
      description: signalDescription(operation),
    });
  }
  setHandler(acknowledgementRemindedSignal, (notice) => rotation.acknowledgementReminded(notice), {
    description: "Sent by the rotation's own acknowledgement watch once the reminder went out (not for operators).",
  });
  setHandler(acknowledgementHeldSignal, (held) => rotation.acknowledgementHeld(held), {
    description:
      "Sent by the rotation's own acknowledgement watch when it holds a reminder or escalation back because Slack " +
      'or Geekbot could not be read (not for operators).',
  });
  for (const operation of OPERATION_LIST) {
    setHandler(operation.update, (request?: unknown) => rotation.update(operation, request), {
      validator: (request?: unknown) => rotation.validate(operation, request),
      description: operation.description,
    });
  }
  setHandler(stateQuery, () => rotation.view(), {
    description: 'Who is incoming, current and next, when the next prepare and handover are, members and history.',
  });
  setHandler(planQuery, (count) => rotation.plan(count), {
    description:
      'The next N turns (default 10) as {member, start, end}, honouring skips and swaps; skipped: [{member, reason}] ' +
      "for the members a turn passes over; away: the days the absence check found the coming turn's member away.",
  });
  setHandler(fairnessQuery, () => rotation.fairness(), {
    description:
      'Per member: turns served, turns skipped (absence, operator, left), their equal share of the turns since they ' +
      'joined and the balance (share − served; positive: turns owed). Members in the group first, most owed first.',
  });
  setHandler(historyQuery, () => rotation.history(), {
    description: 'Who served when, and the changes of the plan (who, why) with the notices sent about them.',
  });
  setHandler(configQuery, () => rotation.runtimeConfig(), {
    description: "The role's configuration as this run uses it (cadence, handover time and zone, group); no secrets.",
  });
}
