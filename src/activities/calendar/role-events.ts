/**
 * A role's events: ours, found by their private `teamRole` property, and the old scripts' (legacy) ones, which have
 * no properties and are found by the words of their summary ("Support Steward: Ava").
 */
import type { RoleConfig } from '../../domain/config';
import { toRoleEvent, type RoleEvent } from './events';
import type { CalendarRequests } from './requests';

/** The role's events ending after `from`, oldest first: ours by private property, plus legacy ones by summary. */
export async function listRoleEvents(
  calendar: CalendarRequests,
  roleName: string,
  role: RoleConfig,
  from: string,
  signal: AbortSignal | undefined,
): Promise<RoleEvent[]> {
  const timeMin = `${from}T00:00:00Z`;
  const titles = [role.title, ...role.legacyTitles];
  const what = `listing ${roleName} events`;
  const [ours, ...byTitle] = await Promise.all([
    calendar.listPages(what, { timeMin, privateExtendedProperty: [`teamRole=${roleName}`] }, signal),
    ...titles.map((title) => calendar.listPages(what, { timeMin, q: title }, signal)),
  ]);
  const events = new Map<string, RoleEvent>();
  for (const event of ours ?? []) {
    if (event.id) events.set(event.id, toRoleEvent(event, titles, false));
  }
  for (const event of byTitle.flat()) {
    if (!event.id || events.has(event.id)) continue;
    const teamRole = event.extendedProperties?.private?.teamRole;
    if (teamRole !== undefined) continue; // another role's event (or ours, already listed)
    if (!titles.some((title) => event.summary?.startsWith(`${title}: `))) continue;
    events.set(event.id, toRoleEvent(event, titles, true));
  }
  return [...events.values()].sort((a, b) => a.start.localeCompare(b.start) || a.id.localeCompare(b.id));
}
