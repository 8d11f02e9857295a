import type { Command } from 'commander';
import type { FairnessRow } from '../../domain/fairness';
import { fairnessQuery, type FairnessView } from '../../shared';
import { memberText, out, paint, printJson, table } from '../output';
import { runningRotation } from '../roles';
import { queryWhenReady, withSession } from '../session';
import { examples, type JsonOption } from './common';

/** `team-roles fairness <role>`: per member, turns served, skipped (and why) and the balance against an equal share. */
export function registerFairnessCommand(program: Command): void {
  program
    .command('fairness')
    .summary('Turns served, skipped and owed per member')
    .description(
      "Show the rotation's fairness ledger: per member, the turns served, the turns skipped (absence, operator, " +
        'left), their equal share of the turns since they joined, and the balance (share − served: positive, the ' +
        'turns they owe; negative, turns served beyond their share).',
    )
    .argument('<role>', 'role name, e.g. support-triager')
    .option('--json', "print the workflow's `fairness` query result: { role, fairness, kept, members: [...] }")
    .addHelpText(
      'after',
      '\nUnder `fairness: balance` the next turn goes to the most owed member who can take it; under `cycle` (the\n' +
        'default) the rotation order decides and the ledger only keeps the books.\n' +
        examples('team-roles fairness support-triager', 'team-roles fairness support-triager --json'),
    )
    .action(async (roleName: string, opts: JsonOption) => {
      await withSession(async (session) => {
        const { handle, ctx } = await runningRotation(session, roleName);
        const view = await queryWhenReady(session, handle, fairnessQuery);
        if (opts.json) printJson(view);
        else out(fairnessText(view, ctx.role.title));
      }, roleName);
    });
}

/** The human view of the `fairness` query. */
export function fairnessText(view: FairnessView, title: string): string {
  const how =
    view.fairness === 'balance'
      ? 'fairness: balance (the most owed member who can take a turn goes first)'
      : 'fairness: cycle (rotation order; the ledger keeps the books)';
  const head = `${paint(title, 'bold')} (${view.role}): ${how}.`;
  if (!view.kept) {
    return `${head}\nNo ledger yet: this rotation runs under the old rules, which keep no fairness books.\n`;
  }
  if (view.members.length === 0) return `${head}\nNo members in the ledger yet.\n`;
  const rows = view.members.map((row) => [
    memberText(row.member),
    row.served,
    skippedText(row),
    row.share.toFixed(2),
    balanceText(row.balance),
    row.present ? (row.since ? `since ${row.since}` : 'not served yet') : `left ${row.leftOn ?? ''}`.trim(),
  ]);
  return `${head}\n${table(['Member', 'Served', 'Skipped', 'Share', 'Balance', 'In the rotation'], rows)}\n`;
}

function skippedText(row: FairnessRow): string {
  const { absence, operator, left, total } = row.skipped;
  if (total === 0) return '0';
  const reasons = Object.entries({ absence, operator, left })
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason} ${n}`);
  return `${total} (${reasons.join(', ')})`;
}

function balanceText(balance: number): string {
  if (balance > 0) return `+${balance.toFixed(2)} owes`;
  if (balance < 0) return `${balance.toFixed(2)} ahead`;
  return '0.00 even';
}
