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
import { UsageError } from '../errors';
import { printJson } from '../output';
import { localRoleContext } from '../roles';

interface PlanOptions {
  members?: string;
  after?: string;
  from?: string;
  count?: string;
  json?: boolean;
}

const EXAMPLE = `
Members are given by display name (offline, the name is also the ID) or as Name=SlackID.
--after names the member of the latest turn; the first planned turn goes to the member after them.

Example:
  $ npx team-roles plan support-triager --members "Person A,Person B,Person C" --after "Person B" --from 2023-03-29 --count 3 --json`;

/** `team-roles plan <role>`: the coming turns, computed offline from a member list. */
export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .summary('Coming turns, offline')
    .description(
      "Show who takes the coming turns of a role (offline: no Slack, no Temporal; the role from this machine's TEAM_ROLES_CONFIG).",
    )
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--members <list>', 'comma-separated members in the group: "Name" or "Name=U123"')
    .option('--after <member>', 'the member of the latest turn (default: the first member starts)')
    .option('--from <date>', 'plan from the first handover on/after this date, YYYY-MM-DD (default: today, UTC)')
    .option('--count <n>', 'number of turns (default: a year, 52 weekly or 12 monthly)')
    .option('--json', 'print the turns as a JSON array of {member: {id, name}, start, end}')
    .addHelpText('after', EXAMPLE)
    .action((roleName: string, opts: PlanOptions) => {
      // Offline, so the role comes from this machine's configuration (the shipped roles, or TEAM_ROLES_CONFIG).
      const role = localRoleContext(roleName).role;
      if (opts.members === undefined) {
        throw new UsageError(
          'pass the group with --members "Name,Name=U123,..." (reading it from Slack is not available yet)',
        );
      }
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
  const [when, unit] =
    role.cadence === 'weekly'
      ? [`every ${role.handoverWeekday}`, 'week']
      : [`on day ${role.handoverDayOfMonth} of each month`, 'month'];
  const length = `${role.slots} ${unit}${role.slots === 1 ? '' : 's'}`;
  return `${role.title} (${roleName}): handover ${when} at ${role.handoverTime}; each turn lasts ${length}.\n${table.toString()}\n`;
}
