/**
 * Role configuration: what makes a role (cadence, handover time, slots, Slack group, Geekbot standup,
 * calendar title), validated at load so a bad field is named before anything runs.
 * Pure: no I/O here; the worker reads files and environment and passes the parsed object in.
 */
import { z } from 'zod';
import {
  ABSENCE_PLACEHOLDERS,
  ACK_PLACEHOLDERS,
  MESSAGE_PLACEHOLDERS,
  STANDUP_PLACEHOLDERS,
  templateProblem,
} from './templates';
import { FAIRNESS_MODES } from './roleRules';

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const memberSchema = z.object({
  id: z.string().min(1, 'a Slack user ID is required'),
  name: z.string(),
});
export type Member = z.infer<typeof memberSchema>;

/** A template checked at load: known placeholders only, not over-long (src/domain/templates.ts). */
function template(allowed: readonly string[]) {
  return z.string().superRefine((text, ctx) => {
    const problem = templateProblem(text, allowed);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** A Slack user group handle, written with or without "@"; kept without it. */
const usergroupHandle = z
  .string()
  .regex(/^@?[a-z0-9][a-z0-9._-]{0,79}$/, 'expected a Slack user group handle such as "support-triager-on-duty"')
  .transform((handle) => handle.replace(/^@/, ''));

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
  questionTemplate: template(STANDUP_PLACEHOLDERS),
});
export type StandupConfig = z.infer<typeof standupSchema>;

/**
 * The role's messages in Slack. Templates left out take the defaults of src/domain/messages.ts; placeholders are the
 * standup's plus {outgoing}, {outgoingMention}, {start} and {end} (the incoming member's first and last day).
 */
export const slackMessagesSchema = z.object({
  /**
   * The channel's ID (Slack: channel details → About → Channel ID). An ID rather than a name: reading the channel's
   * history (the exactly-once check) takes an ID, and turning a name into one would need another scope.
   */
  channel: z
    .string()
    .regex(/^[CG][A-Z0-9]{6,}$/, 'expected a Slack channel ID such as "C0123456789" (channel details → About)'),
  enabled: z.boolean().default(true),
  templates: z
    .object({
      /** In the channel when the notice goes out. */
      noticeChannel: template(MESSAGE_PLACEHOLDERS).optional(),
      /** A direct message to the incoming member. */
      noticeIncoming: template(MESSAGE_PLACEHOLDERS).optional(),
      /** A direct message to the buddy (with two slots). */
      noticeBuddy: template(MESSAGE_PLACEHOLDERS).optional(),
      /** In the channel at the handover itself. */
      handoverChannel: template(MESSAGE_PLACEHOLDERS).optional(),
      /** A direct message to the incoming member who has not acknowledged by the deadline (also {deadline}). */
      ackReminder: template(ACK_PLACEHOLDERS).optional(),
      /** In the channel when they have not acknowledged after the reminder either (also {deadline}, {contacts}). */
      ackEscalation: template(ACK_PLACEHOLDERS).optional(),
      /** A direct message to the member skipped for an absence (also {skipped}, {skippedMention}). */
      absenceSkipped: template(ABSENCE_PLACEHOLDERS).optional(),
      /** A direct message to the member named instead of one skipped for an absence (also {skipped}, …). */
      absenceCover: template(ABSENCE_PLACEHOLDERS).optional(),
    })
    .default({}),
});
export type SlackMessagesConfig = z.infer<typeof slackMessagesSchema>;
export type MessageTemplateName = keyof SlackMessagesConfig['templates'];

/** A Slack emoji name, written with or without colons ("white_check_mark" or ":white_check_mark:"). */
const reactionName = z
  .string()
  .regex(/^:?[a-z0-9][a-z0-9_+'-]*:?$/, 'expected a Slack emoji name such as "white_check_mark"')
  .transform((name) => name.replace(/^:|:$/g, ''));

const slackUserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'expected a Slack user ID such as "U0123456789"');

/** Hours for the acknowledgement's deadlines: at least a quarter of an hour, at most the longest prepare lead. */
const ackHours = z
  .number()
  .min(0.25)
  .max(24 * 27);

/**
 * The handover acknowledgement (src/domain/acknowledgement.ts): the member the notice names confirms; without an
 * answer by `ackWithinHours` they get one reminder, and `escalateAfterHours` later one post in the role's channel.
 */
export const acknowledgementSchema = z.object({
  enabled: z.boolean().default(true),
  /** The reactions that count as an answer on the notice DM or the channel post; empty: any reaction. */
  reactions: z.array(reactionName).default([]),
  /** Slack user IDs mentioned in the escalation post besides the member and their buddy; absent: the standup manager. */
  escalationContacts: z.array(slackUserId).optional(),
  /**
   * Minutes between two checks of Slack and Geekbot, in the rotation's time (the sandbox's fast mode checks as
   * often as its floor of a second allows): the longest a reaction waits before the state shows it.
   */
  pollMinutes: z.number().min(1).max(60).default(5),
});
export type AcknowledgementConfig = z.infer<typeof acknowledgementSchema>;

/**
 * Where a role reads absences from before the notice goes out (issue 17). At least one source is named; without
 * this block the role reads no absences.
 */
export const absencesSchema = z
  .object({
    /**
     * The member's own out-of-office events (`events.list` with `eventTypes=outOfOffice` on their primary calendar,
     * through the service account with domain-wide delegation impersonating the member's Slack e-mail).
     */
    outOfOffice: z.boolean().optional(),
    /** A shared calendar whose events name the member by Slack ID, e-mail or exact display name. */
    teamCalendarId: z.string().min(1).optional(),
  })
  .strict()
  .refine((sources) => sources.outOfOffice === true || sources.teamCalendarId !== undefined, {
    message: 'name at least one source: "outOfOffice": true and/or a "teamCalendarId"',
  });

/**
 * The messages that tell people their turns moved (issue 16): changes within `coalesceMinutes` of each other are
 * told together, one direct message per affected member, plus one summary for the operators.
 */
export const changeNoticesSchema = z
  .object({
    /** Off: changes are still recorded in the history, nobody is messaged. */
    enabled: z.boolean().default(true),
    /** A quiet period: changes closer together than this are told in one message per person. */
    coalesceMinutes: z
      .number()
      .min(0)
      .max(24 * 60)
      .default(5),
    /** The operators' summary: in the role's Slack channel, or only in the CLI output and the history. */
    summary: z.enum(['channel', 'cli']).default('channel'),
  })
  .strict();
export type ChangeNoticesConfig = z.infer<typeof changeNoticesSchema>;

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
  /** A user group kept equal to who serves now (e.g. "support-triager-on-duty", the handle people page). */
  onDutyUsergroup: usergroupHandle.optional(),
  /** Posts in a channel and direct messages at the notice and the handover; off when absent. */
  slack: slackMessagesSchema.optional(),
  /** Hours after the notice by which the member should acknowledge (always before the handover). */
  ackWithinHours: ackHours.default(24),
  /** Hours after that deadline (and the reminder) before the escalation post (still before the handover). */
  escalateAfterHours: ackHours.default(12),
  acknowledgement: acknowledgementSchema.prefault({}),
  /**
   * Default 2. A join or leave in the Slack group moves no turn that starts within this many weeks: weekly roles
   * freeze that many turns, monthly roles one turn per started four weeks (see `frozenTurnCount`); 0 freezes none.
   */
  freezeWeeks: z.number().int().min(0).max(52).optional(),
  /**
   * Default `cycle`: members serve in rotation order (skipped members are served first when they can). `balance`:
   * of the members who can take a turn, the one who owes the most turns against an equal share takes it.
   */
  fairness: z.enum(FAIRNESS_MODES).optional(),
  /** Direct messages to the members whose turns a change moved, and a summary for the operators. */
  changeNotices: changeNoticesSchema.prefault({}),
  /** Default 0.5: an absence covering at least this share of a turn's working days skips the member for it. */
  absenceSkipThreshold: z.number().gt(0).max(1).optional(),
  absences: absencesSchema.optional(),
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

export const settingsSchema = z
  .object({
    /** Owner of the personal Geekbot API key; always a member of every standup. */
    standupManager: memberSchema.nullable(),
    /** Google Calendar that holds the rotation's events. */
    calendarId: z.string().min(1).optional(),
    /** Public link to the calendar, offered in standup questions. */
    calendarUrl: z.string().default(''),
    timeZone: ianaTimeZone,
    /**
     * Number of handovers a workflow run makes before continuing as new. Short: after a worker restart every
     * rotation replays its current run before it answers (1,000 rotations: about 40 s at 4, six minutes at 52;
     * BENCHMARKS.md section 6), and the configuration is read again at each run.
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
  })
  .superRefine((settings, ctx) => {
    // The on-duty group is overwritten at every handover: it must not be a rotation's member group, nor shared.
    const rotating = new Set(Object.values(settings.roles).map((role) => role.usergroup.replace(/^@/, '')));
    const owners = new Map<string, string>();
    for (const [name, role] of Object.entries(settings.roles)) {
      const handle = role.onDutyUsergroup;
      if (handle === undefined) continue;
      const path = ['roles', name, 'onDutyUsergroup'];
      if (rotating.has(handle)) {
        ctx.addIssue({ code: 'custom', path, message: `"${handle}" is a rotation's member group; name another group` });
      }
      const owner = owners.get(handle);
      if (owner)
        ctx.addIssue({ code: 'custom', path, message: `"${handle}" is already the on-duty group of ${owner}` });
      owners.set(handle, name);
    }
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
