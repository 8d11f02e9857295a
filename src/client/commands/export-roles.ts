import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { toTeamRolesFile } from '../../domain';
import { CliError } from '../errors';
import { memberText, out, printJson, warn } from '../output';
import { rotationIfRunning, teamSettings } from '../roles';
import { withSession } from '../session';
import { examples, type JsonOption } from './common';

/** `team-roles export-roles`: the old team-roles.json, from the running rotations. */
export function registerExportRolesCommand(program: Command): void {
  program
    .command('export-roles')
    .summary('Write the old team-roles.json')
    .description("Write the old scripts' team-roles.json from the running rotations (who serves each role now).")
    .option('--out <file>', 'write to this file instead of printing')
    .option('--json', "print the file as JSON in the CLI's --json style (2-space indent)")
    .addHelpText(
      'after',
      "\nstandup_manager comes from the worker's configuration (as the running rotation reports it);\n" +
        'meeting_facilitator is included when that rotation is running. As the old file after its weekly run, it\n' +
        'names who serves now (not who takes over at the next handover).\n' +
        examples('team-roles export-roles --out team-roles.json'),
    )
    .action(async (opts: JsonOption & { out?: string }) => {
      await withSession(async (session) => {
        const triagerRun = await rotationIfRunning(session, 'support-triager');
        const facilitatorRun = await rotationIfRunning(session, 'meeting-facilitator');
        const triager = triagerRun?.state ?? null;
        const facilitator = facilitatorRun?.state ?? null;
        if (!triager && !facilitator) {
          throw new CliError(
            'No rotation is running, so there is nothing to export: start one with `team-roles start support-triager`.',
          );
        }
        if (!triager)
          warn('the support-triager rotation is not running: its incoming and current are written as null.');
        // The worker's setting, as the rotation recorded it; runs from before it was recorded: this machine's.
        const manager = (triagerRun ?? facilitatorRun)?.ctx.config.standupManager;
        const file = toTeamRolesFile({
          standupManager: manager !== undefined ? manager : teamSettings().standupManager,
          supportTriager: triager,
          ...(facilitator ? { meetingFacilitator: facilitator } : {}),
        });
        if (opts.json && !opts.out) return printJson(file);
        // The old file's own layout (4-space indent), as the old scripts wrote it.
        const text = JSON.stringify(file, null, 4);
        if (!opts.out) return out(text);
        try {
          writeFileSync(opts.out, `${text}\n`);
        } catch (err) {
          throw new CliError(
            `Cannot write ${opts.out} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): choose another --out path.`,
          );
        }
        if (opts.json) return printJson({ out: opts.out, file });
        const who = triager
          ? `support-triager incoming ${memberText(triager.incoming)}, current ${memberText(triager.current)}`
          : 'support-triager not running';
        out(`Wrote ${opts.out} (${who}).`);
      });
    });
}
