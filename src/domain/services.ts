/**
 * Which outside services the worker uses, and why. Slack (the members) is required; Geekbot, the Slack messages, the
 * on-duty group and the calendar are each on when configured and off otherwise, so a team without Geekbot or a
 * Google calendar runs with Slack alone. A service that is configured but lacks its secret is a start-up error
 * (src/secrets.ts `loadServiceSecrets`), never silently off. Pure: the secrets' presence is passed in.
 */
import type { RoleConfig, Settings } from './config';

/** Whether each optional service's secret can be found (its variable is set, or its secrets file exists). */
export interface SecretPresence {
  geekbotApiKey: boolean;
  googleServiceAccount: boolean;
  calendarId: boolean;
}

export interface ServiceState {
  on: boolean;
  /** Why, in a few words: what configures it, or what is missing. */
  why: string;
}

export interface ServicePlan {
  slackMembers: ServiceState;
  geekbot: ServiceState;
  slackMessages: ServiceState;
  onDutyGroup: ServiceState;
  calendar: ServiceState;
}

export const SERVICE_LABELS: Readonly<Record<keyof ServicePlan, string>> = {
  slackMembers: 'slack members',
  geekbot: 'geekbot',
  slackMessages: 'slack messages',
  onDutyGroup: 'on-duty group',
  calendar: 'calendar',
};

export function planServices(settings: Settings, secrets: SecretPresence): ServicePlan {
  const roles = Object.entries(settings.roles);
  const messaging = roles.filter(([, role]) => role.slack?.enabled);
  const onDuty = roles.filter(([, role]) => role.onDutyUsergroup);
  const calendarBy = [
    secrets.calendarId ? 'CALENDAR_ID' : null,
    !secrets.calendarId && settings.calendarId ? 'calendarId' : null,
    secrets.googleServiceAccount ? 'GOOGLE_APPLICATION_CREDENTIALS' : null,
  ].filter((name): name is string => name !== null);
  return {
    slackMembers: { on: true, why: 'required' },
    geekbot: secrets.geekbotApiKey
      ? { on: true, why: 'GEEKBOT_API_KEY' }
      : settings.standupManager
        ? { on: true, why: 'standupManager is set' }
        : { on: false, why: 'no GEEKBOT_API_KEY' },
    slackMessages:
      messaging.length > 0
        ? { on: true, why: messaging.map(([name, role]) => `${name} → ${role.slack?.channel}`).join(', ') }
        : {
            on: false,
            why: roles.some(([, role]) => role.slack) ? 'slack.enabled is false' : 'no role has a slack block',
          },
    onDutyGroup:
      onDuty.length > 0
        ? { on: true, why: onDuty.map(([name, role]) => `${name} → @${role.onDutyUsergroup}`).join(', ') }
        : { on: false, why: 'no role sets onDutyUsergroup' },
    calendar:
      calendarBy.length > 0
        ? { on: true, why: calendarBy.join(', ') }
        : { on: false, why: 'no CALENDAR_ID or GOOGLE_APPLICATION_CREDENTIALS' },
  };
}

/** The worker's one start-up line, e.g. "Services: slack members: on (required); geekbot: off (no GEEKBOT_API_KEY); …". */
export function describeServices(plan: ServicePlan): string {
  const parts = (Object.keys(SERVICE_LABELS) as (keyof ServicePlan)[]).map(
    (name) => `${SERVICE_LABELS[name]}: ${plan[name].on ? 'on' : 'off'} (${plan[name].why})`,
  );
  return `Services: ${parts.join('; ')}`;
}

/** What the role's steps do under this plan: the prepare step and the handover skip what is off. */
export function roleServices(
  plan: ServicePlan,
  role: Pick<RoleConfig, 'slack' | 'onDutyUsergroup'>,
): { standup: boolean; calendar: boolean; slackMessages: boolean; onDutyGroup: boolean } {
  return {
    standup: plan.geekbot.on,
    calendar: plan.calendar.on,
    slackMessages: Boolean(role.slack?.enabled),
    onDutyGroup: Boolean(role.onDutyUsergroup),
  };
}
