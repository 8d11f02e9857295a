/**
 * `npm run test:any-day`: the date-sensitive tests (every file that runs a rotation in real time or on the
 * time-skipping server) as if it were each day of the week at several hours, through TEAM_ROLES_TEST_NOW (see
 * test/support/clock.ts), one mocha run per instant. Prints a table of the results and writes it to
 * test-artifacts/any-day.md.
 *
 *   npm run test:any-day                                   7 days x the default hours, the default files
 *   npm run test:any-day -- --hours 09:55,23:55            other hours (UTC)
 *   npm run test:any-day -- test/workflow/messages.test.ts  other files
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DateTime } from 'luxon';
import { ROOT, TEST_NOW_VARIABLE } from './support';

/** Just before and after the shipped 10:00 handover time, and just before midnight (the next day's date). */
const DEFAULT_HOURS = '09:55,10:05,23:55';

/**
 * The files whose tests start rotations. test/workflow/schedule.test.ts is not among them: its rotations follow
 * Temporal Schedules, which fire on the server's real clock, so it runs on the real clock whatever the shift.
 */
const DEFAULT_FILES = [
  'test/workflow/messages.test.ts',
  'test/workflow/continue-as-new.test.ts',
  'test/workflow/year.test.ts',
  'test/workflow/fast-clock.test.ts',
  'test/workflow/worker-crash.test.ts',
  'test/webui/webui.test.ts',
  'test/cli/rotation.test.ts',
  'test/cli/jobs.test.ts',
];

interface MochaJson {
  stats: { passes: number; failures: number; pending: number; duration: number };
  failures: { fullTitle: string; err: { message?: string } }[];
}

function main(): void {
  const { values, positionals } = parseArgs({
    options: { hours: { type: 'string', default: DEFAULT_HOURS } },
    allowPositionals: true,
  });
  const files = positionals.length ? positionals : DEFAULT_FILES;
  const hours = values.hours.split(',').map((h) => h.trim());
  const out = path.join(ROOT, 'test-artifacts');
  mkdirSync(out, { recursive: true });
  const today = DateTime.utc().startOf('day');
  const rows: string[] = [];
  let failed = 0;
  // The next seven days: each weekday once, every instant ahead of the real time.
  for (let day = 1; day <= 7; day++) {
    for (const hour of hours) {
      const [h = 0, m = 0] = hour.split(':').map(Number);
      const at = today.plus({ days: day }).set({ hour: h, minute: m });
      const iso = at.toISO({ suppressMilliseconds: true });
      const report = path.join(out, `any-day-${iso.replace(/[:]/g, '')}.json`);
      process.stderr.write(`[any-day] ${iso} (${at.toFormat('ccc HH:mm')}): ${files.length} files...\n`);
      const started = Date.now();
      const run = spawnSync(
        process.execPath,
        [
          path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js'),
          '--no-config',
          '-r',
          'tsx/cjs',
          '-r',
          'test/setup.ts',
          '--timeout',
          '600000',
          '--exit',
          '--reporter',
          'json',
          '--reporter-option',
          `output=${report}`,
          ...files,
        ],
        { cwd: ROOT, env: { ...process.env, [TEST_NOW_VARIABLE]: iso }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const seconds = Math.round((Date.now() - started) / 1000);
      let result: MochaJson | undefined;
      try {
        result = JSON.parse(readFileSync(report, 'utf8')) as MochaJson;
        rmSync(report);
      } catch {
        result = undefined;
      }
      const failures = result?.failures.map((f) => `${f.fullTitle}: ${(f.err.message ?? '').split('\n')[0]}`) ?? [
        `mocha exited ${run.status}: ${run.stderr.toString().trim().split('\n').slice(-3).join(' / ')}`,
      ];
      if (failures.length) failed++;
      const row = [
        at.toFormat('ccc'),
        `${at.toFormat('HH:mm')} UTC (${iso.slice(0, 10)})`,
        String(result?.stats.passes ?? 0),
        String(result?.stats.failures ?? '—'),
        `${seconds} s`,
        failures.join('; ').replace(/\|/g, '\\|') || '',
      ];
      rows.push(`| ${row.join(' | ')} |`);
      process.stderr.write(`[any-day] ${rows.at(-1)}\n`);
    }
  }
  const table = [
    `Date-sensitive tests as if it were each day and hour (TEAM_ROLES_TEST_NOW), run ${DateTime.utc().toISO()}:`,
    `${files.join(', ')}`,
    '',
    '| day | as if it were | passing | failing | time | failures |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
  writeFileSync(path.join(out, 'any-day.md'), table);
  process.stdout.write(table);
  process.exitCode = failed ? 1 : 0;
}

main();
