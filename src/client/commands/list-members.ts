import type { Command } from 'commander';
import type { Member } from '../../domain/config';
import { runJob } from '../jobs';
import { out, table } from '../output';
import { withSession } from '../session';
import { examples, type JsonOption } from './common';

export interface ListMembersIo {
  /** Where the Temporal settings come from (default: the process environment). */
  env?: NodeJS.ProcessEnv;
  stdout?: { write(text: string): unknown };
}

/**
 * `team-roles list-members <usergroup>`: the old list-members script, as a job on the worker (which holds the Slack
 * token): the group's members in rotation order.
 */
export function registerListMembersCommand(program: Command, io: ListMembersIo = {}): void {
  program
    .command('list-members')
    .summary("A Slack group's members (job)")
    .description('List the members of a Slack user group and their Slack IDs, in rotation order (runs on the worker).')
    .argument('<usergroup>', 'the Slack user group handle, e.g. support-triagers')
    .option('--json', 'print { "display name": "U…" } in rotation order, the dictionary the old script printed')
    .addHelpText(
      'after',
      '\nThe worker reads Slack with its own SLACK_BOT_TOKEN: this machine needs only Temporal access.\n' +
        examples('team-roles list-members support-triagers', 'team-roles list-members support-triagers --json'),
    )
    .action(async (usergroup: string, opts: JsonOption) => {
      const print = (text: string) => (io.stdout ? io.stdout.write(`${text}\n`) : out(text));
      await withSession(
        async (session) => {
          const { members } = await runJob(session, { kind: 'list-members', usergroup }, usergroup, null);
          if (opts.json) return print(JSON.stringify(membersByName(members), null, 2));
          if (members.length === 0) return print(`The Slack user group ${usergroup} has no members.`);
          print(
            table(
              ['#', 'Name', 'Slack ID'],
              members.map((m, i) => [i + 1, m.name, m.id]),
            ),
          );
        },
        undefined,
        io.env,
      );
    });
}

/** `{ name: id }` in rotation order; two people with one display name both stay, as "name (ID)". */
export function membersByName(members: readonly Member[]): Record<string, string> {
  const counts = new Map<string, number>();
  for (const member of members) counts.set(member.name, (counts.get(member.name) ?? 0) + 1);
  const result: Record<string, string> = {};
  for (const member of members) {
    const key = (counts.get(member.name) ?? 0) > 1 ? `${member.name} (${member.id})` : member.name;
    result[key] = member.id;
  }
  return result;
}

/** Pretty JSON with the values lined up, still valid JSON. */
export function alignedJson(record: Record<string, string>): string {
  const entries = Object.entries(record).map(([key, value]) => [JSON.stringify(key), JSON.stringify(value)] as const);
  if (entries.length === 0) return '{}';
  const width = Math.max(...entries.map(([key]) => key.length));
  const lines = entries.map(
    ([key, value], i) => `  ${key}:${' '.repeat(width - key.length + 1)}${value}${i < entries.length - 1 ? ',' : ''}`,
  );
  return `{\n${lines.join('\n')}\n}`;
}
