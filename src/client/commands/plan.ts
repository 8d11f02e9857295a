import type { Command } from 'commander';
import Table from 'cli-table3';
import {
  findMember,
  parseIsoDate,
  planTurns,
  RotationError,
  type Member,
  type RoleConfig,
  type Turn,
} from '../../domain';
import { planQuery, type PlanTurn } from '../../shared';
import { UsageError } from '../errors';
import { memberText, out, printJson, table } from '../output';
import { localRoleContext, runningRotation } from '../roles';
import { readState, withSession } from '../session';

interface PlanOptions {
  members?: string;
  after?: string;
  from?: string;
  count?: string;
  json?: boolean;
}

const EXAMPLE = `
Without --members: the running rotation's plan (its \`plan\` query), with its skips and the absences its last
absence check found. With --members: offline, from that member list and this machine's configuration; members are
given by display name (offline, the name is also the ID) or as Name=SlackID, and --after names the member of the
latest turn (the first planned turn goes to the member after them).

Examples:
  $ npx team-roles plan support-triager --count 6
  $ npx team-roles plan support-triager --members "Person A,Person B,Person C" --after "Person B" --from 2023-03-29 --count 3 --json`;

/** `team-roles plan <role>`: the running rotation's coming turns, or turns computed offline from a member list. */
export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .summary('Coming turns: the rotation’s, or offline')
    .description(
      "Show who takes the coming turns of a role: the running rotation's plan with its skips and known absences, or " +
        "offline with --members (no Slack, no Temporal; the role from this machine's TEAM_ROLES_CONFIG).",
    )
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--members <list>', 'offline: comma-separated members in the group: "Name" or "Name=U123"')
    .option('--after <member>', 'offline: the member of the latest turn (default: the first member starts)')
    .option('--from <date>', 'offline: from the first handover on/after this date, YYYY-MM-DD (default: today, UTC)')
    .option('--count <n>', 'number of turns (default: a year, 52 weekly or 12 monthly)')
    .option('--json', 'print the turns as a JSON array of {member: {id, name}, start, end} (online: skipped, away)')
    .addHelpText('after', EXAMPLE)
    .action(async (roleName: string, opts: PlanOptions) => {
      if (opts.members === undefined) return rotationPlan(roleName, opts);
      // Offline, so the role comes from this machine's configuration (the shipped roles, or TEAM_ROLES_CONFIG).
      const role = localRoleContext(roleName).role;
      const members = parseMembers(opts.members);
      const afterRef = opts.after;
      const after =
        afterRef === undefined
          ? null
          : usage(() => findMember(members, afterRef, 'the members are those given with --members'));
      const from = usage(() => parseIsoDate(opts.from ?? new Date().toISOString().slice(0, 10)));
      const count = parseCount(opts.count, role);
      const turns = usage(() => planTurns(role, members, after, from, count));
      if (opts.json) printJson(turns);
      else process.stdout.write(renderTable(roleName, role, turns));
    });
}

/** The running rotation's plan: its `plan` query, with the members each turn passes over and the known absences. */
async function rotationPlan(roleName: string, opts: PlanOptions): Promise<void> {
  const offlineOnly = (['after', 'from'] as const).filter((flag) => opts[flag] !== undefined);
  if (offlineOnly.length > 0) {
    throw new UsageError(
      `--${offlineOnly.join(' and --')} plan offline: give the group with --members too (the running rotation's ` +
        'plan starts at its next handover)',
    );
  }
  await withSession(async (session) => {
    const { handle, ctx } = await runningRotation(session, roleName);
    const count = Math.min(parseCount(opts.count, ctx.role), 520);
    await readState(session, handle); // waits while the rotation starts
    const turns = await handle.query(planQuery, count);
    if (opts.json) return printJson(turns);
    const rows = turns.map((turn, i) => [i + 1, memberText(turn.member), turn.start, turn.end, notesOf(turn)]);
    out(`${planHeading(roleName, ctx.role)}\n${table(['#', 'Member', 'Start', 'End (exclusive)', 'Notes'], rows)}`);
  }, roleName);
}

/** What a turn of the rotation's plan says besides who serves: away days, and whom it passes over and why. */
function notesOf(turn: PlanTurn): string {
  const notes: string[] = [];
  if (turn.away) notes.push(`away ${turn.away}`);
  for (const skipped of turn.skipped ?? []) {
    const why = skipped.reason === 'absence' ? `away${skipped.away ? ` ${skipped.away}` : ''}` : skipped.reason;
    notes.push(`instead of ${skipped.member.name || skipped.member.id} (${why})`);
  }
  return notes.join('; ') || '-';
}

/** Runs a domain call; its `RotationError` is the operator's mistake, reported as a usage error. */
function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof RotationError) throw new UsageError(err.message);
    throw err;
  }
}

/** "Name" or "Name=U123", comma-separated. Offline, a member without an ID has their name as ID. */
export function parseMembers(list: string): Member[] {
  const members: Member[] = [];
  for (const entry of list.split(',').map((e) => e.trim())) {
    if (!entry) continue;
    const eq = entry.lastIndexOf('=');
    const name = (eq >= 0 ? entry.slice(0, eq) : entry).trim();
    const id = eq >= 0 ? entry.slice(eq + 1).trim() : name;
    if (!name || !id) throw new UsageError(`--members: "${entry}" is not "Name" or "Name=U123"`);
    const folded = name.toLocaleLowerCase('en-US');
    if (members.some((m) => m.id === id || (eq < 0 && m.name.toLocaleLowerCase('en-US') === folded))) {
      throw new UsageError(`--members lists "${entry}" twice (add Slack IDs as Name=U123 to tell namesakes apart)`);
    }
    members.push({ id, name });
  }
  if (members.length === 0) throw new UsageError('--members is empty: give at least one member');
  return members;
}

function parseCount(text: string | undefined, role: RoleConfig): number {
  if (text === undefined) return role.cadence === 'weekly' ? 52 : 12;
  const count = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!(count >= 1 && count <= 10_000))
    throw new UsageError(`--count must be a whole number from 1 to 10000 (got "${text}")`);
  return count;
}

function renderTable(roleName: string, role: RoleConfig, turns: Turn[]): string {
  const table = new Table({
    head: ['#', 'Member', 'Start', 'End (exclusive)'],
    style: { head: [], border: [], compact: true },
  });
  turns.forEach((turn, i) => table.push([i + 1, turn.member.name, turn.start, turn.end]));
  return `${planHeading(roleName, role)}\n${table.toString()}\n`;
}

/** "Support Triager (support-triager): handover every Wed at 10:00; each turn lasts 2 weeks." */
function planHeading(roleName: string, role: RoleConfig): string {
  const [when, unit] =
    role.cadence === 'weekly'
      ? [`every ${role.handoverWeekday}`, 'week']
      : [`on day ${role.handoverDayOfMonth} of each month`, 'month'];
  const length = `${role.slots} ${unit}${role.slots === 1 ? '' : 's'}`;
  return `${role.title} (${roleName}): handover ${when} at ${role.handoverTime}; each turn lasts ${length}.`;
}
