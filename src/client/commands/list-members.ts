import type { Command } from 'commander';
import { ApplicationFailure } from '@temporalio/common';
import { createSlackActivities, createSlackClient } from '../../activities/slack';
import { FailureType } from '../../activities/errors';
import type { Member } from '../../domain/config';
import { loadSecret, SecretError, type Env } from '../../secrets';
import { CliError, UsageError } from '../errors';

export interface ListMembersIo {
  env?: Env;
  stdout?: { write(text: string): unknown };
}

/**
 * `team-roles list-members <usergroup>`: the old list-members script. Prints `{ "display name": "U…" }` in rotation
 * order. Calls Slack directly with SLACK_BOT_TOKEN for now (a later issue routes it through the worker).
 */
export function registerListMembersCommand(program: Command, io: ListMembersIo = {}): void {
  program
    .command('list-members')
    .description('List the members of a Slack user group and their Slack IDs, as { "display name": "U…" }.')
    .argument('<usergroup>', 'the Slack user group handle, e.g. support-triagers')
    .option('--json', 'print compact JSON for machines')
    .addHelpText(
      'after',
      '\nNeeds SLACK_BOT_TOKEN (scopes usergroups:read, users:read) or secrets/slack_bot_token.json.\n' +
        'Example:\n  $ npx team-roles list-members support-triagers',
    )
    .action(async (usergroup: string, opts: { json?: boolean }) => {
      const env = io.env ?? process.env;
      const stdout = io.stdout ?? process.stdout;
      let token: string;
      try {
        token = await loadSecret('slackBotToken', env);
      } catch (err) {
        if (err instanceof SecretError) throw new CliError(err.message);
        throw err;
      }
      const slack = createSlackClient({ token, apiUrl: env.SLACK_API_URL?.trim() || undefined });
      let members: Member[];
      try {
        members = await createSlackActivities({ slack }).lookupMembers(usergroup);
      } catch (err) {
        if (err instanceof ApplicationFailure) {
          if (err.type === FailureType.SlackUsergroupNotFound || err.type === FailureType.InvalidInput) {
            throw new UsageError(err.message);
          }
          throw new CliError(err.message);
        }
        throw err;
      }
      const byName = membersByName(members);
      stdout.write(opts.json ? `${JSON.stringify(byName)}\n` : `${alignedJson(byName)}\n`);
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
