import { ApplicationFailure } from '@temporalio/common';
import { acknowledgementPlan } from '../domain/acknowledgement';
import { ConfigError, getRole, roleTimeZone, type Settings } from '../domain/config';
import type { ServicePlan } from '../domain/services';
import type { RoleRuntimeConfig } from '../shared';

/**
 * The role's configuration as the worker loaded it. A local activity, so the workflow records it in
 * history once per run (replay-safe) and a changed configuration takes effect at the next run.
 * `testClockShiftMs` comes from the tests' own worker set-up only (`ActivityDeps`), never from the environment or
 * the configuration file, so no deployment can shift its rotations' clock. `services` is the worker's plan of the outside
 * services, recorded with the configuration so that the CLI (`status`), which reads no configuration, can show it.
 */
export function createSettingsService({
  settings,
  services,
  testClockShiftMs = 0,
  geekbot,
}: {
  settings: Settings;
  services: ServicePlan;
  testClockShiftMs?: number;
  /** Whether the worker reaches Geekbot (an acknowledgement may then be read from the standup's reports). */
  geekbot: boolean;
}) {
  return {
    activities: {
      // eslint-disable-next-line @typescript-eslint/require-await -- activities are async by contract
      async roleSettings(role: string): Promise<RoleRuntimeConfig> {
        try {
          const config = getRole(settings, role);
          return {
            role: config,
            timeZone: roleTimeZone(settings, config),
            historyLimit: settings.historyLimit,
            handoversPerRun: settings.handoversPerRun,
            calendarHorizonMonths: settings.calendarHorizonMonths,
            timeScale: settings.timeScale,
            standupManager: settings.standupManager,
            services,
            acknowledgementOn: acknowledgementPlan(settings, config, { geekbot }).on,
            // Only when set: the recorded configuration of every other run stays as it was.
            ...(testClockShiftMs !== 0 ? { testClockShiftMs } : {}),
          };
        } catch (err) {
          if (err instanceof ConfigError) throw ApplicationFailure.nonRetryable(err.message, 'ConfigError');
          throw err;
        }
      },
    },
  };
}
