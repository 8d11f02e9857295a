/** Deleting a role's events from a date on (ours and the old scripts'): the `delete-bulk-events` job. */
import { activityCancellationSignal, activityLog } from '../context';
import { requireIsoDate, requireRole } from '../errors';
import type { RoleEvent } from './events';
import { statusOf } from './failures';
import type { CalendarRequests } from './requests';
import { listRoleEvents } from './role-events';

export interface DeleteEventsResult {
  deleted: number;
  alreadyGone: number;
}

/** Deletes the role's events (ours and legacy) that start on or after `from`; one already gone counts as such. */
export async function deleteRoleEvents(
  calendar: CalendarRequests,
  input: { role: string; from: string },
): Promise<DeleteEventsResult> {
  const { api, calendarId } = calendar;
  const role = requireRole(calendar.settings, input.role);
  const from = requireIsoDate(input.from, 'from');
  const signal = activityCancellationSignal();
  let events: RoleEvent[];
  try {
    events = (await listRoleEvents(calendar, input.role, role, from, signal)).filter((event) => event.start >= from);
  } catch (err) {
    throw calendar.failure(err, `listing ${input.role} events`);
  }
  const outcomes = await calendar.forEachBounded(events, async (event): Promise<keyof DeleteEventsResult> => {
    const what = `deleting the ${input.role} event of ${event.start}`;
    try {
      const eventId = event.id;
      await calendar.request(what, () => api.events.delete({ calendarId, eventId }, { signal }), signal);
      return 'deleted';
    } catch (err) {
      const status = statusOf(err);
      if (status === 410 || status === 404) return 'alreadyGone';
      throw calendar.failure(err, what);
    }
  });
  const result: DeleteEventsResult = { deleted: 0, alreadyGone: 0 };
  for (const outcome of outcomes) result[outcome] += 1;
  activityLog.info('Calendar events deleted', { role: input.role, from, ...result });
  return result;
}
