/**
 * `npm run dev`: the whole product on a fresh machine. Starts the Temporal dev server (SQLite under
 * data/, Web UI), the worker and the enabled role workflows. Without Slack/Geekbot/Google credentials
 * it runs in sandbox mode: the same local fakes the tests use, seeded with a demo team.
 * Ctrl-C stops everything; a second run resumes the same rotations from the SQLite file.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { buildActivityDeps } from '../src/activities/deps';
import type { ActivityDeps } from '../src/activities';
import { getRole, roleTimeZone, type Settings } from '../src/domain/config';
import { FAST_TIME_SCALE } from '../src/domain/clock';
import { PROJECT_ROOT } from '../src/servers/binaries';
import { startDevServer } from '../src/servers/environments';
import { loadSettings } from '../src/settings';
import { checkBindAddress, installRuntime, observabilityFromEnv } from '../src/runtime';
import { roleWorkflowId, type RoleWorkflowInput } from '../src/shared';
import type { Member } from '../src/domain/types';
import { groupMembers, isEditableGroup } from '../src/sandbox/members';
import { tellRotations } from '../src/sandbox/refresh';
import { roleWorkflowStart } from '../src/starts';
import { createRoleWorker } from '../src/worker';
import { startDemoAcknowledgers } from '../src/sandbox/acknowledgers';
import { DEMO_MANAGER, DEMO_SILENT_MEMBER, DEMO_TEAM, startSandbox, type Sandbox } from '../src/sandbox/sandbox';
import { startSandboxPage } from '../src/sandbox/page';
import type { FakeSlackChannel, FakeSlackUsergroup } from '../src/sandbox/slack';
import { describeServices } from '../src/domain/services';

const CREDENTIAL_VARIABLES = ['SLACK_BOT_TOKEN', 'GEEKBOT_API_KEY', 'GOOGLE_APPLICATION_CREDENTIALS'] as const;
const SANDBOX_CALENDAR_ID = 'team-roles-sandbox@group.calendar.google.com';
/**
 * How long after their notice DM the demo members react to it (real time). On the fast clock a second is almost three
 * simulated hours, and the first run's catch-up handover leaves about a second before its squeezed deadline: the
 * demo members must answer well within it, or the newcomer sees them escalated like the one who never answers.
 */
const DEMO_ACK_DELAY_MS = 200;
/** The demo team's channel, where the sandbox's support triager posts its notices. */
const SANDBOX_CHANNEL = { id: 'C0SUPPORT1', name: 'support-freshdesk' };

const USAGE = `Usage: npm run dev -- [options]

The whole product on this machine: the Temporal dev server (SQLite under data/, Web UI), the worker and the enabled
roles' rotations. Without Slack, Geekbot and Google credentials it runs against local fakes (sandbox mode).

Options:
  --port <port>           Temporal frontend port (default 7233)
  --ui-port <port>        Web UI port (default 8233)
  --page-port <port>      the sandbox page: what the team sees in Slack, Geekbot and the calendar (default 8234)
  --metrics <host:port>   serve the worker's Prometheus metrics at http://<host:port>/metrics
                          (default: TEMPORAL_METRICS_BIND, else none), e.g. --metrics 127.0.0.1:9464
  --data <dir>            where the dev server keeps its state (default data/, data/fast/ with --fast)
  --sandbox               use the local fakes even when credentials are set
  --fast                  the sandbox on a simulated clock, a week per real minute (implies --sandbox)
  -h, --help              print this help

Logs: TEAM_ROLES_LOG_LEVEL (TRACE, DEBUG, INFO, WARN, ERROR; default INFO), TEAM_ROLES_LOG_FORMAT (text or json).`;

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '7233' },
        'ui-port': { type: 'string', default: '8233' },
        'page-port': { type: 'string', default: '8234' },
        metrics: { type: 'string' },
        data: { type: 'string' },
        sandbox: { type: 'boolean', default: false },
        fast: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  // Fast rotations keep their own SQLite file: their simulated dates run ahead of the normal sandbox's.
  const dataDir = path.resolve(values.data ?? path.join(PROJECT_ROOT, 'data', ...(values.fast ? ['fast'] : [])));
  mkdirSync(dataDir, { recursive: true });
  if (values.metrics) checkBindAddress(values.metrics, '--metrics');
  // The production worker's runtime (src/runtime.ts), readable text by default; the worker's own start-up chatter
  // (bundler stats) only as warnings.
  const observability = observabilityFromEnv(
    { ...process.env, ...(values.metrics ? { TEMPORAL_METRICS_BIND: values.metrics } : {}) },
    true,
  );
  installRuntime({
    ...observability,
    write: (line) => process.stdout.write(line),
    skip: (entry) => entry.meta?.sdkComponent === 'worker' && entry.level === 'INFO',
  });

  const secretsDir = process.env.TEAM_ROLES_SECRETS_DIR ?? path.join(PROJECT_ROOT, 'secrets');
  const hasCredentials = CREDENTIAL_VARIABLES.some((name) => process.env[name]) || existsSync(secretsDir);
  const sandboxMode = values.sandbox || values.fast || !hasCredentials;

  console.log('Starting the Temporal dev server (the first run builds it with Go: a few minutes)...');
  const env = await startDevServer({
    port: Number(values.port),
    uiPort: Number(values['ui-port']),
    dbFilename: path.join(dataDir, 'temporal.sqlite'),
  });

  let sandbox: Sandbox | undefined;
  let settings = loadSettings();
  // --fast: the same workflow code on a simulated clock, a week per minute (domain/clock.ts); fakes only.
  if (values.fast) settings = { ...settings, timeScale: FAST_TIME_SCALE };
  let deps: ActivityDeps;
  const stateFile = path.join(dataDir, 'sandbox-state.json');
  if (sandboxMode) {
    sandbox = await startSandbox({
      groups: { 'support-triagers': DEMO_TEAM, 'meeting-facilitators': DEMO_TEAM },
      standupManager: DEMO_MANAGER,
      keyDir: dataDir,
      calendarId: SANDBOX_CALENDAR_ID,
      channels: [SANDBOX_CHANNEL],
    });
    restoreSandbox(sandbox, stateFile);
    // The demo team acknowledges its notices (a reaction shortly after the DM), all but one member, who never does;
    // so do the people who join on the sandbox page.
    startDemoAcknowledgers(sandbox.slack, {
      members: (id) => id !== DEMO_SILENT_MEMBER.id,
      delayMs: DEMO_ACK_DELAY_MS,
    });
    settings = sandboxSettings(settings);
    deps = await buildActivityDeps(sandbox.env, settings);
  } else {
    deps = await buildActivityDeps(process.env, settings);
  }
  const services = describeServices(deps.services);
  // The page reads the fakes, so there is one only in sandbox mode.
  // Someone joining or leaving a group on the page: the rotations that read it read it again at once, as an operator's
  // `team-roles refresh-members` would have them, rather than at their own next refresh (days ahead in real time).
  const page = sandbox
    ? await startSandboxPage(
        { ...sandbox, onMembersChanged: (change) => tellRotations(env.client, settings, change) },
        Number(values['page-port']),
      )
    : undefined;

  const worker = await createRoleWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    deps: { ...deps, temporalClient: () => env.client },
  });

  const started = await startEnabledRoles(env.client, settings, sandboxMode);
  printBanner({
    sandboxMode,
    fast: values.fast,
    address: env.address,
    uiPort: values['ui-port'],
    pagePort: page?.port,
    services,
    started,
    dataDir,
    metrics: observability.metricsBind,
  });

  const saveTimer = sandbox ? setInterval(() => saveSandbox(sandbox, stateFile), 10_000) : undefined;
  try {
    // The worker stops on SIGINT/SIGTERM (Ctrl-C), finishing in-flight work first.
    await worker.run();
  } finally {
    if (saveTimer) clearInterval(saveTimer);
    await page?.close();
    if (sandbox) {
      saveSandbox(sandbox, stateFile);
      await sandbox.close();
    }
    await env.teardown();
    console.log('Stopped the worker and the Temporal dev server. `npm run dev` resumes from data/.');
  }
}

/**
 * The sandbox's settings: the demo manager owns the Geekbot key, and the support triager posts in the demo channel,
 * keeps an on-duty group and reads its members' out-of-office events before each notice (the demo's Ella is away a
 * week of her first turn), unless the configuration says otherwise.
 */
function sandboxSettings(settings: Settings): Settings {
  const roles = { ...settings.roles };
  const triager = roles['support-triager'];
  if (triager) {
    roles['support-triager'] = {
      ...triager,
      slack: triager.slack ?? { channel: SANDBOX_CHANNEL.id, enabled: true, templates: {} },
      onDutyUsergroup: triager.onDutyUsergroup ?? 'support-triager-on-duty',
      absences: triager.absences ?? { outOfOffice: true },
    };
  }
  return { ...settings, standupManager: settings.standupManager ?? DEMO_MANAGER, roles };
}

/** Starts each enabled role's workflow unless it is already running (then it is simply resumed). */
async function startEnabledRoles(
  client: import('@temporalio/client').Client,
  settings: Settings,
  sandboxMode: boolean,
): Promise<{ workflowId: string; resumed: boolean }[]> {
  const results: { workflowId: string; resumed: boolean }[] = [];
  for (const [role, config] of Object.entries(settings.roles)) {
    if (!config.enabled) continue;
    const workflowId = roleWorkflowId(role);
    const input: RoleWorkflowInput = {
      role,
      // The demo team starts mid-rotation so the first handover already shows incoming -> current.
      seed: sandboxMode && config.slots === 2 ? { incoming: DEMO_TEAM[1]!.id, current: DEMO_TEAM[0]!.id } : undefined,
    };
    try {
      await client.workflow.start(
        'roleWorkflow',
        roleWorkflowStart(input, getRole(settings, role), roleTimeZone(settings, config)),
      );
      results.push({ workflowId, resumed: false });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      results.push({ workflowId, resumed: true });
    }
  }
  return results;
}

function printBanner(info: {
  sandboxMode: boolean;
  fast: boolean;
  address: string;
  uiPort: string;
  pagePort: number | undefined;
  services: string;
  started: { workflowId: string; resumed: boolean }[];
  dataDir: string;
  metrics: string | undefined;
}): void {
  const lines = [
    '',
    info.sandboxMode
      ? 'SANDBOX MODE: no Slack, Geekbot or Google credentials found, so local fakes stand in for them,\n' +
        '  seeded with a demo team. Handovers, standups and calendar events happen for real against the fakes.\n' +
        '  To use the real services, set SLACK_BOT_TOKEN, GEEKBOT_API_KEY, GOOGLE_APPLICATION_CREDENTIALS and\n' +
        '  CALENDAR_ID (or put the secret files under secrets/) and run `npm run dev` again.\n' +
        `  Acknowledgements: the demo team reacts to each notice DM ${DEMO_ACK_DELAY_MS / 1000} s after it arrives, except\n` +
        `  ${DEMO_SILENT_MEMBER.name}, who never answers: a reminder DM, then an escalation post in the channel.`
      : 'Using the REAL Slack, Geekbot and Google Calendar services (credentials found).',
    ...(info.fast
      ? [
          '',
          'FAST: the rotations run on a simulated clock, one week per real minute: a handover every minute, the',
          '  notice about 17 seconds before it. Dates shown are simulated. `npm run dev` without --fast runs in real',
          '  time from its own data (data/ rather than data/fast/).',
        ]
      : ['', 'Tip: `npm run dev -- --fast` runs the sandbox a week per minute, to watch handovers happen.']),
    '',
    `Temporal frontend: ${info.address}   Web UI: http://localhost:${info.uiPort}` +
      (info.pagePort ? `   What the team sees: http://localhost:${info.pagePort}` : ''),
    info.services,
    `Metrics:           ${info.metrics ? `http://${info.metrics}/metrics` : 'off (--metrics 127.0.0.1:9464 to serve them)'}`,
    `State:             ${path.relative(process.cwd(), info.dataDir) || '.'}/temporal.sqlite (survives restarts)`,
    'Rotations:',
    ...info.started.map(({ workflowId, resumed }) => `  ${workflowId}  (${resumed ? 'resumed' : 'started'})`),
    ...((info.address !== 'localhost:7233' && info.address !== '127.0.0.1:7233') || info.uiPort !== '8233'
      ? ['', `For the CLI: export TEMPORAL_ADDRESS=${info.address} TEMPORAL_UI_URL=http://localhost:${info.uiPort}`]
      : []),
    '',
    'Try:',
    '  npx team-roles status support-triager',
    '  npx team-roles handover-now support-triager',
    '  npx team-roles history support-triager',
    '  npx team-roles plan support-triager --count 6',
    '  npx team-roles fairness support-triager',
    ...(info.pagePort
      ? [`  on http://localhost:${info.pagePort}, User groups: someone joins or leaves; the page says whose turns move`]
      : []),
    '',
    'Ctrl-C stops everything.',
    '',
  ];
  console.log(lines.join('\n'));
}

interface SavedSandbox {
  standups?: Sandbox['geekbot']['state']['standups'];
  events?: Record<string, unknown>;
  /** Slack's channels and DMs with their messages, and the groups the worker made (the on-duty group). */
  slackChannels?: Record<string, FakeSlackChannel>;
  slackGroups?: FakeSlackUsergroup[];
  /** The members of the groups people join and leave on the page, by handle (the demo team's unless changed). */
  groupMembers?: Record<string, Member[]>;
}

/**
 * Standups, calendar events, Slack conversations and who is in the groups (people join and leave on the page) outlive
 * a restart, like the rotations in SQLite do.
 */
function restoreSandbox(sandbox: Sandbox, file: string): void {
  if (!existsSync(file)) return;
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedSandbox;
    if (saved.standups?.length) {
      const geekbot = sandbox.geekbot.state;
      geekbot.standups.push(...saved.standups);
      geekbot.nextStandupId = Math.max(...saved.standups.map((s) => s.id)) + 1;
      geekbot.nextQuestionId = Math.max(0, ...saved.standups.flatMap((s) => s.questions.map((q) => q.id))) + 1;
    }
    const calendar = sandbox.calendar.state.calendars[sandbox.calendar.calendarId];
    if (saved.events && calendar) Object.assign(calendar.events, saved.events);
    if (saved.slackChannels) Object.assign(sandbox.slack.state.channels, saved.slackChannels);
    const seeded = new Set(sandbox.slack.state.usergroups.map((group) => group.handle));
    sandbox.slack.state.usergroups.push(...(saved.slackGroups ?? []).filter((group) => !seeded.has(group.handle)));
    for (const [handle, members] of Object.entries(saved.groupMembers ?? {})) {
      if (seeded.has(handle) && members.length) sandbox.setGroup(handle, members);
    }
  } catch (err) {
    console.warn(`Ignoring unreadable ${file}: ${(err as Error).message}`);
  }
}

function saveSandbox(sandbox: Sandbox, file: string): void {
  const calendar = sandbox.calendar.state.calendars[sandbox.calendar.calendarId];
  const saved: SavedSandbox = {
    standups: sandbox.geekbot.state.standups,
    events: calendar?.events ?? {},
    slackChannels: sandbox.slack.state.channels,
    slackGroups: sandbox.slack.state.usergroups.filter((group) => group.created_by === sandbox.slack.state.bot.userId),
    groupMembers: Object.fromEntries(
      sandbox.slack.state.usergroups
        .filter((group) => isEditableGroup(sandbox.slack, group))
        .map((group) => [group.handle, groupMembers(sandbox.slack, group)]),
    ),
  };
  writeFileSync(file, JSON.stringify(saved));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
