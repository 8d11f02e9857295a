import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { toTeamRolesFile } from '../../domain';
import { CliError } from '../errors';
import { memberText, out, warn } from '../output';
import { stateIfRunning, teamSettings, withSession } from '../session';
import { examples, type JsonOption } from './common';

/** `team-roles export-roles`: the old team-roles.json, from the running rotations. */
export function registerExportRolesCommand(program: Command): void {
  program
    .command('export-roles')
    .summary('Write the old team-roles.json')
    .description("Write the old scripts' team-roles.json from the running rotations (who serves each role now).")
    .option('--out <file>', 'write to this file instead of printing')
    .option('--json', 'print compact JSON on one line')
    .addHelpText(
      'after',
      "\nstandup_manager comes from this machine's configuration (TEAM_ROLES_CONFIG); meeting_facilitator is included\n" +
        'when that rotation is running.\n' +
        examples('team-roles export-roles --out team-roles.json'),
    )
    .action(async (opts: JsonOption & { out?: string }) => {
      const settings = teamSettings();
      await withSession(async (session) => {
        const triager = settings.roles['support-triager'] ? await stateIfRunning(session, 'support-triager') : null;
        const facilitator = settings.roles['meeting-facilitator']
          ? await stateIfRunning(session, 'meeting-facilitator')
          : null;
        if (!triager && !facilitator) {
          throw new CliError(
            'No rotation is running, so there is nothing to export: start one with `team-roles start support-triager`.',
          );
        }
        if (!triager)
          warn('the support-triager rotation is not running: its incoming and current are written as null.');
        const file = toTeamRolesFile({
          standupManager: settings.standupManager,
          supportTriager: triager,
          ...(facilitator ? { meetingFacilitator: facilitator } : {}),
        });
        const text = opts.json ? JSON.stringify(file) : JSON.stringify(file, null, 4);
        if (!opts.out) return out(text);
        try {
          writeFileSync(opts.out, `${text}\n`);
        } catch (err) {
          throw new CliError(
            `Cannot write ${opts.out} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): choose another --out path.`,
          );
        }
        const who = triager
          ? `support-triager incoming ${memberText(triager.incoming)}, current ${memberText(triager.current)}`
          : 'support-triager not running';
        out(`Wrote ${opts.out} (${who}).`);
      });
    });
}
