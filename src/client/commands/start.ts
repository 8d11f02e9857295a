import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import {
  findMember,
  parseTeamRolesFile,
  seedFromTeamRolesFile,
  type Member,
  type TeamRolesFileRole,
} from '../../domain';
import { roleWorkflowId, type HandoverMode, type RoleWorkflowInput } from '../../shared';
import { roleWorkflowStart } from '../../starts';
import type { roleWorkflow } from '../../workflows/role';
import { UsageError } from '../errors';
import { runJob } from '../jobs';
import { memberText, out, printJson, stateText, warn } from '../output';
import { roleOf, type RoleContext } from '../roles';
import { readState, requireWorker, withSession, type Session } from '../session';
import { webUiSuffix } from '../webui';
import { examples, usage, type JsonOption } from './common';

interface StartOptions extends JsonOption {
  incoming?: string;
  current?: string;
  standupManager?: string;
  import?: string;
  mode?: string;
}

const FILE_ROLES: readonly string[] = ['support-triager', 'meeting-facilitator'] satisfies TeamRolesFileRole[];

/** `team-roles start <role>`: the long-lived rotation workflow, seeded from names or an old team-roles.json. */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .summary("Start a role's rotation")
    .description(
      "Start a role's rotation (its long-lived workflow). An already running rotation is reported, not started twice.",
    )
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--incoming <name>', 'who serves as incoming now (Slack display name or ID)')
    .option('--current <name>', 'who serves as current now (Slack display name or ID)')
    .option('--standup-manager <name>', "check the Geekbot key owner's name against Slack and the configuration")
    .option('--import <file>', 'take who serves from an old team-roles.json instead')
    .addOption(
      new Option('--mode <mode>', 'timer: the workflow hands over on its own; schedule: a Temporal Schedule does')
        .choices(['timer', 'schedule'])
        .default('timer'),
    )
    .option('--json', 'print { started, workflowId, state } as JSON')
    .addHelpText(
      'after',
      "\nThe role and its settings are the worker's (its TEAM_ROLES_CONFIG): this machine needs only Temporal access.\n" +
        'Names are resolved to Slack IDs through the worker (a list-members job), as populate-current-roles did.\n' +
        examples(
          'team-roles start support-triager --incoming Ben --current Ava --standup-manager "Morgan Manager"',
          'team-roles start support-triager --import team-roles.json',
        ),
    )
    .action(async (roleName: string, opts: StartOptions) => {
      if (opts.import && (opts.incoming || opts.current || opts.standupManager)) {
        throw new UsageError(
          '--import takes who serves from the file: leave out --incoming, --current and --standup-manager.',
        );
      }
      // A file that is not a team-roles.json is refused before anything else.
      const imported = opts.import ? readImport(opts.import, roleName) : undefined;
      await withSession(async (session) => {
        const handle = session.client.workflow.getHandle(roleWorkflowId(roleName));
        const description = await handle.describe().catch((err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return null;
          throw err;
        });
        if (description?.status.name === 'RUNNING') {
          return alreadyRunning(session, await roleOf(session, roleName), opts, description.startTime);
        }
        await requireWorker(session);
        // The worker's configuration of the role (an unknown role is refused here, naming the known ones).
        const ctx = await roleOf(session, roleName);
        if (ctx.role.slots === 1 && opts.incoming) {
          throw new UsageError(
            `${roleName} has one slot: name who serves with --current (there is no incoming member).`,
          );
        }
        if (!ctx.role.enabled)
          warn(`${roleName} is disabled in the worker's configuration (enabled: false); starting it as asked.`);
        const seed = imported?.seed ?? (await resolveSeed(session, ctx, opts));
        const manager = imported
          ? imported.manager
          : opts.standupManager
            ? await resolveManager(session, ctx, opts.standupManager)
            : undefined;
        if (manager !== undefined) checkStandupManager(ctx, manager);

        const input: RoleWorkflowInput = { role: roleName, mode: opts.mode as HandoverMode, seed };
        try {
          await session.client.workflow.start<typeof roleWorkflow>(
            'roleWorkflow',
            roleWorkflowStart(input, ctx.role, ctx.timeZone),
          );
        } catch (err) {
          // Started by someone else between the check and now.
          if (err instanceof WorkflowExecutionAlreadyStartedError) return alreadyRunning(session, ctx, opts, null);
          throw err;
        }
        const state = await readState(session, handle, 60_000);
        if (opts.json) return printJson({ started: true, workflowId: handle.workflowId, state });
        out(`Started ${handle.workflowId}${webUiSuffix(session.webUi, (ui) => ui.workflow(handle.workflowId))}.`);
        out(stateText(state, ctx.role.title, ctx.role.slots, ctx.timeZone));
      }, roleName);
    });
}

async function alreadyRunning(
  session: Session,
  ctx: RoleContext,
  opts: StartOptions,
  since: Date | null,
): Promise<void> {
  const handle = session.client.workflow.getHandle(roleWorkflowId(ctx.name));
  await requireWorker(session);
  const state = await readState(session, handle);
  if (opts.json) return printJson({ started: false, workflowId: handle.workflowId, state });
  out(
    `The ${ctx.name} rotation is already running (${handle.workflowId}${since ? `, started ${since.toISOString()}` : ''}): nothing was started.`,
  );
  if (opts.incoming || opts.current || opts.import) {
    warn(
      `who serves was not changed: use \`team-roles override ${ctx.name} --incoming NAME --current NAME\` for that.`,
    );
  }
  out(stateText(state, ctx.role.title, ctx.role.slots, ctx.timeZone));
}

/** The group's members through a list-members job on the worker (which holds the Slack token). */
async function groupMembers(session: Session, usergroup: string): Promise<Member[]> {
  return (await runJob(session, { kind: 'list-members', usergroup }, usergroup, null)).members;
}

async function resolveSeed(
  session: Session,
  ctx: RoleContext,
  opts: StartOptions,
): Promise<RoleWorkflowInput['seed'] | undefined> {
  if (!opts.incoming && !opts.current) return undefined;
  const members = await groupMembers(session, ctx.role.usergroup);
  const hint = `\`team-roles list-members ${ctx.role.usergroup}\` lists the group`;
  const resolve = (name: string | undefined) => (name ? usage(() => findMember(members, name, hint)) : null);
  const incoming = resolve(opts.incoming);
  const current = resolve(opts.current);
  if (incoming && current && incoming.id === current.id && members.length >= 2) {
    throw new UsageError(`${memberText(incoming)} cannot be both incoming and current.`);
  }
  return { incoming, current };
}

/**
 * The standup manager by name: the worker's configured one, else someone in the role's group (as the old script
 * looked them up in its USERGROUP_NAMES).
 */
async function resolveManager(session: Session, ctx: RoleContext, name: string): Promise<Member> {
  const configured = ctx.config.standupManager;
  if (configured) {
    try {
      return findMember([configured], name);
    } catch {
      // someone else: look them up in Slack
    }
  }
  const members = await groupMembers(session, ctx.role.usergroup);
  const known = configured && !members.some((m) => m.id === configured.id) ? [configured, ...members] : members;
  return usage(() => findMember(known, name, `\`team-roles list-members ${ctx.role.usergroup}\` lists the group`));
}

/** The standup manager is the worker's setting (the Geekbot key is theirs): say so when it differs. */
function checkStandupManager(ctx: RoleContext, manager: Member | null): void {
  const configured = ctx.config.standupManager ?? null;
  if (manager && configured?.id === manager.id) return;
  const wanted = manager ? JSON.stringify({ id: manager.id, name: manager.name }) : 'null';
  warn(
    `the standup manager is part of the worker's configuration, not of the rotation (now ${memberText(configured)}): ` +
      `set "standupManager": ${wanted} in the worker's TEAM_ROLES_CONFIG file, with GEEKBOT_API_KEY being their key.`,
  );
}

function readImport(file: string, roleName: string): { seed: RoleWorkflowInput['seed']; manager: Member | null } {
  if (!FILE_ROLES.includes(roleName)) {
    throw new UsageError(
      `team-roles.json records only ${FILE_ROLES.join(' and ')}: start ${roleName} with --incoming/--current.`,
    );
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `Cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): give the path of a team-roles.json.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not JSON (${(err as Error).message}): give the path of a team-roles.json.`);
  }
  const parsed = usage(() => parseTeamRolesFile(json));
  const seed = seedFromTeamRolesFile(parsed, roleName as TeamRolesFileRole);
  const manager = parsed.standup_manager ? { id: parsed.standup_manager.id, name: parsed.standup_manager.name } : null;
  return { seed, manager };
}
