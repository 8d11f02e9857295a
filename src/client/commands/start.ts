import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import {
  findMember,
  parseTeamRolesFile,
  seedFromTeamRolesFile,
  type Member,
  type TeamRolesFileRole,
} from '../../domain';
import { roleWorkflowId, TASK_QUEUE, TeamRoleAttribute, type HandoverMode, type RoleWorkflowInput } from '../../shared';
import type { roleWorkflow } from '../../workflows/role';
import { UsageError } from '../errors';
import { runJob } from '../jobs';
import { memberText, out, printJson, stateText, warn } from '../output';
import { readState, requireWorker, roleContext, withSession, type RoleContext, type Session } from '../session';
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
    .option('--mode <mode>', 'timer: the workflow hands over on its own; schedule: a Temporal Schedule does', 'timer')
    .option('--json', 'print { started, workflowId, state } as JSON')
    .addHelpText(
      'after',
      '\nNames are resolved to Slack IDs through the worker (a list-members job), as populate-current-roles did.\n' +
        examples(
          'team-roles start support-triager --incoming Ben --current Ava --standup-manager "Morgan Manager"',
          'team-roles start support-triager --import team-roles.json',
        ),
    )
    .action(async (roleName: string, opts: StartOptions) => {
      const ctx = roleContext(roleName);
      if (opts.import && (opts.incoming || opts.current || opts.standupManager)) {
        throw new UsageError(
          '--import takes who serves from the file: leave out --incoming, --current and --standup-manager.',
        );
      }
      if (opts.mode !== 'timer' && opts.mode !== 'schedule') {
        throw new UsageError(`--mode must be timer or schedule (got "${opts.mode}").`);
      }
      if (ctx.role.slots === 1 && opts.incoming) {
        throw new UsageError(`${roleName} has one slot: name who serves with --current (there is no incoming member).`);
      }
      const imported = opts.import ? readImport(opts.import, ctx) : undefined;
      if (!ctx.role.enabled)
        warn(`${roleName} is disabled in the configuration (enabled: false); starting it as asked.`);

      await withSession(async (session) => {
        const handle = session.client.workflow.getHandle(roleWorkflowId(roleName));
        const description = await handle.describe().catch((err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return null;
          throw err;
        });
        if (description?.status.name === 'RUNNING') {
          return alreadyRunning(session, ctx, opts, description.startTime);
        }
        await requireWorker(session);
        const seed = imported?.seed ?? (await resolveSeed(session, ctx, opts));
        const manager = imported
          ? imported.manager
          : opts.standupManager
            ? await resolveManager(session, ctx, opts.standupManager)
            : undefined;
        if (manager !== undefined) checkStandupManager(ctx, manager);

        const input: RoleWorkflowInput = { role: roleName, mode: opts.mode as HandoverMode, seed };
        try {
          await session.client.workflow.start<typeof roleWorkflow>('roleWorkflow', {
            workflowId: roleWorkflowId(roleName),
            taskQueue: TASK_QUEUE,
            args: [input],
            typedSearchAttributes: [{ key: TeamRoleAttribute, value: roleName }],
          });
        } catch (err) {
          // Started by someone else between the check and now.
          if (err instanceof WorkflowExecutionAlreadyStartedError) return alreadyRunning(session, ctx, opts, null);
          throw err;
        }
        const state = await readState(session, handle, 60_000);
        if (opts.json) return printJson({ started: true, workflowId: handle.workflowId, state });
        out(`Started ${handle.workflowId}.`);
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
 * The standup manager by name: the configured one, else someone in the role's group or another configured role's
 * group (as the old script looked them up in its USERGROUP_NAMES).
 */
async function resolveManager(session: Session, ctx: RoleContext, name: string): Promise<Member> {
  const configured = ctx.settings.standupManager;
  if (configured) {
    try {
      return findMember([configured], name);
    } catch {
      // someone else: look them up in Slack
    }
  }
  const groups = [ctx.role.usergroup, ...Object.values(ctx.settings.roles).map((role) => role.usergroup)];
  const seen: Member[] = configured ? [configured] : [];
  for (const group of [...new Set(groups)]) {
    const members = await groupMembers(session, group);
    seen.push(...members.filter((m) => !seen.some((s) => s.id === m.id)));
    try {
      return findMember(members, name);
    } catch {
      // not in this group: try the next one
    }
  }
  return usage(() => findMember(seen, name, `\`team-roles list-members ${ctx.role.usergroup}\` lists the group`));
}

/** The standup manager is the worker's setting (the Geekbot key is theirs): say so when it differs. */
function checkStandupManager(ctx: RoleContext, manager: Member | null): void {
  const configured = ctx.settings.standupManager;
  if (manager && configured?.id === manager.id) return;
  const wanted = manager ? JSON.stringify({ id: manager.id, name: manager.name }) : 'null';
  warn(
    `the standup manager is part of the worker's configuration, not of the rotation (now ${memberText(configured)}): ` +
      `set "standupManager": ${wanted} in the worker's TEAM_ROLES_CONFIG file, with GEEKBOT_API_KEY being their key.`,
  );
}

function readImport(file: string, ctx: RoleContext): { seed: RoleWorkflowInput['seed']; manager: Member | null } {
  if (!FILE_ROLES.includes(ctx.name)) {
    throw new UsageError(
      `team-roles.json records only ${FILE_ROLES.join(' and ')}: start ${ctx.name} with --incoming/--current.`,
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
  const seed = seedFromTeamRolesFile(parsed, ctx.name as TeamRolesFileRole);
  const manager = parsed.standup_manager ? { id: parsed.standup_manager.id, name: parsed.standup_manager.name } : null;
  return { seed, manager };
}
