/**
 * Role configuration: what makes a role (cadence, handover time, slots, Slack group, Geekbot standup,
 * calendar title), validated at load so a bad field is named before anything runs.
 * Pure: no I/O here; the worker reads files and environment and passes the parsed object in.
 */
import { z } from 'zod';

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const memberSchema = z.object({
  id: z.string().min(1, 'a Slack user ID is required'),
  name: z.string(),
});
export type Member = z.infer<typeof memberSchema>;

const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24-hour)');

const ianaTimeZone = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not an IANA time zone (for example "UTC" or "Europe/London")' },
);

export const standupSchema = z.object({
  /** The Geekbot standup's name: how the worker finds it again. */
  name: z.string().min(1),
  /** Broadcast channel, e.g. "#support-freshdesk". */
  channel: z.string().regex(/^#?[a-z0-9_-]+$/i, 'expected a Slack channel such as "#support-freshdesk"'),
  days: z.array(z.enum(WEEKDAYS)).min(1),
  /** Geekbot's time of day, "HH:MM:SS". */
  time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/, 'expected HH:MM:SS'),
  /** Geekbot time zone: "user_local" asks each member in their own time zone. */
  timezone: z.string().min(1),
  /** Minutes Geekbot waits for an answer. */
  waitTime: z.number().int().min(0),
  /**
   * The question the incoming member is asked. Placeholders: {incoming} (display name),
   * {incomingMention} (<@U…>), {buddy}, {buddyMention}, {role} (title), {calendarUrl}.
   */
  questionTemplate: z.string().min(1),
});
export type StandupConfig = z.infer<typeof standupSchema>;

const roleBase = z.object({
  /** Human title, also the calendar summary prefix: "<title>: <name>". */
  title: z.string().min(1),
  enabled: z.boolean(),
  /** HH:MM in `timeZone` at which the handover happens. */
  handoverTime: timeOfDay,
  timeZone: ianaTimeZone.optional(),
  /** Overlapping members: 2 = incoming + current (each serves two cadences), 1 = one person. */
  slots: z.union([z.literal(1), z.literal(2)]),
  /** Slack user group handle whose members rotate, e.g. "support-triagers". */
  usergroup: z.string().min(1),
  /** How long before the handover the notice goes out and the calendar is topped up. */
  prepareLeadHours: z
    .number()
    .min(0)
    .max(24 * 27),
  standup: standupSchema,
  /** Older summary titles still recognised as this role's events (e.g. "Support Steward"). */
  legacyTitles: z.array(z.string()).default([]),
});

export const weeklyRoleSchema = roleBase.extend({
  cadence: z.literal('weekly'),
  handoverWeekday: z.enum(WEEKDAYS),
});
export const monthlyRoleSchema = roleBase.extend({
  cadence: z.literal('monthly'),
  /** 1..28 so every month has it. */
  handoverDayOfMonth: z.number().int().min(1).max(28),
});
export const roleConfigSchema = z.discriminatedUnion('cadence', [weeklyRoleSchema, monthlyRoleSchema]);
export type RoleConfig = z.infer<typeof roleConfigSchema>;
export type RoleConfigInput = z.input<typeof roleConfigSchema>;

export const roleNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'role names are lowercase words joined by hyphens, e.g. "support-triager"');

export const settingsSchema = z.object({
  /** Owner of the personal Geekbot API key; always a member of every standup. */
  standupManager: memberSchema.nullable(),
  /** Google Calendar that holds the rotation's events. */
  calendarId: z.string().min(1).optional(),
  /** Public link to the calendar, offered in standup questions. */
  calendarUrl: z.string().default(''),
  timeZone: ianaTimeZone,
  /**
   * Number of handovers a workflow run makes before continuing as new. Short: after a worker restart every rotation
   * replays its current run before it answers (1,000 rotations: about 40 s at 4, six minutes at 52; BENCHMARKS.md
   * section 6), and the configuration is read again at each run.
   */
  handoversPerRun: z.number().int().min(1).max(500).default(4),
  /** How many turns the calendar always holds ahead (a year of weekly turns by default). */
  calendarHorizonMonths: z.number().int().min(1).max(36).default(12),
  historyLimit: z.number().int().min(1).max(1000).default(104),
  /**
   * Sandbox only: how many times faster than real time the rotations run (10080 = a simulated week per real
   * minute, what `npm run dev -- --fast` sets). 1 is real time; never set it against the real services.
   */
  timeScale: z.number().min(1).max(1_000_000).default(1),
  roles: z.record(roleNameSchema, roleConfigSchema),
});
export type Settings = z.infer<typeof settingsSchema>;
export type SettingsInput = z.input<typeof settingsSchema>;

export const SUPPORT_TRIAGER_QUESTION =
  'Hi {incomingMention}! It is your turn to serve as {role}, starting today for two weeks. ' +
  'Please watch the support ticket queue in Freshdesk and triage new tickets as they arrive. ' +
  "Reply 'ok' to acknowledge. If you will be away during your turn, please arrange cover with another team member. " +
  'Your support buddy for the first week is {buddyMention}.';

export const MEETING_FACILITATOR_QUESTION =
  'Hi {incomingMention}! It is your turn to serve as {role} this month. Please check the team calendar ({calendarUrl}) ' +
  "for the meetings you will facilitate. Reply 'ok' to acknowledge. If you will be away, please arrange cover with another team member.";

export const DEFAULT_SETTINGS: SettingsInput = {
  standupManager: null,
  timeZone: 'UTC',
  roles: {
    'support-triager': {
      title: 'Support Triager',
      enabled: true,
      cadence: 'weekly',
      handoverWeekday: 'Wed',
      handoverTime: '10:00',
      slots: 2,
      usergroup: 'support-triagers',
      prepareLeadHours: 48,
      legacyTitles: ['Support Steward'],
      standup: {
        name: 'SupportTriager',
        channel: '#support-freshdesk',
        days: ['Wed'],
        time: '10:00:00',
        timezone: 'user_local',
        waitTime: 10,
        questionTemplate: SUPPORT_TRIAGER_QUESTION,
      },
    },
    'meeting-facilitator': {
      title: 'Meeting Facilitator',
      enabled: false,
      cadence: 'monthly',
      handoverDayOfMonth: 1,
      handoverTime: '10:00',
      slots: 1,
      usergroup: 'meeting-facilitators',
      prepareLeadHours: 96,
      standup: {
        name: 'MeetingFacilitator',
        channel: '#team-updates',
        days: ['Mon'],
        time: '10:00:00',
        timezone: 'user_local',
        waitTime: 10,
        questionTemplate: MEETING_FACILITATOR_QUESTION,
      },
    },
  },
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Validates settings; the error names each bad field by its path, e.g. `roles.support-triager.handoverTime`. */
export function parseSettings(input: unknown): Settings {
  const result = settingsSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new ConfigError(`Invalid team-roles configuration: ${problems.join('; ')}`);
}

/** The role's time zone, falling back to the global default. */
export function roleTimeZone(settings: Pick<Settings, 'timeZone'>, role: RoleConfig): string {
  return role.timeZone ?? settings.timeZone;
}

export function getRole(settings: Settings, name: string): RoleConfig {
  const role = settings.roles[name];
  if (!role) {
    const known = Object.keys(settings.roles).join(', ') || '(none configured)';
    throw new ConfigError(`Unknown role "${name}". Known roles: ${known}.`);
  }
  return role;
}
