/**
 * Loads the team's configuration: the shipped defaults (both roles), overlaid by an optional JSON file
 * (`TEAM_ROLES_CONFIG`), validated so a bad field is named before the worker starts.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, DEFAULT_SETTINGS, parseSettings, type Settings, type SettingsInput } from './domain/config';

type RoleOverlay = Record<string, unknown> & {
  standup?: Record<string, unknown>;
  slack?: Record<string, unknown> & { templates?: Record<string, unknown> };
  acknowledgement?: Record<string, unknown>;
};

/** A role's `slack` block merged field by field, its templates too; absent when neither side has one. */
function mergeSlack(from: RoleOverlay['slack'], to: RoleOverlay['slack']): RoleOverlay['slack'] {
  if (!from || !to || typeof to !== 'object') return to ?? from;
  return { ...from, ...to, templates: { ...from.templates, ...(to.templates ?? {}) } };
}

/**
 * Roles merge field by field (and their `standup`, `slack` and `acknowledgement` blocks too), so a file can change one
 * setting of a role.
 */
export function mergeSettings(base: SettingsInput, overlay: Record<string, unknown>): unknown {
  const baseRoles = base.roles as Record<string, RoleOverlay>;
  const overlayRoles = (overlay.roles ?? {}) as Record<string, RoleOverlay | null>;
  const roles: Record<string, unknown> = {};
  for (const name of new Set([...Object.keys(baseRoles), ...Object.keys(overlayRoles)])) {
    const from = baseRoles[name];
    const to = overlayRoles[name];
    if (to === null) continue; // `"role": null` removes a shipped role
    if (!from || !to || typeof to !== 'object') {
      roles[name] = to ?? from;
      continue;
    }
    const slack = mergeSlack(from.slack, to.slack);
    const acknowledgement =
      from.acknowledgement && to.acknowledgement && typeof to.acknowledgement === 'object'
        ? { ...from.acknowledgement, ...to.acknowledgement }
        : (to.acknowledgement ?? from.acknowledgement);
    roles[name] = {
      ...from,
      ...to,
      standup: { ...from.standup, ...(to.standup ?? {}) },
      ...(slack === undefined ? {} : { slack }),
      ...(acknowledgement === undefined ? {} : { acknowledgement }),
    };
  }
  return { ...base, ...overlay, roles };
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const file = env.TEAM_ROLES_CONFIG;
  let overlay: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(
        `Cannot read TEAM_ROLES_CONFIG=${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    try {
      overlay = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`TEAM_ROLES_CONFIG=${file} is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof overlay !== 'object' || overlay === null || Array.isArray(overlay)) {
      throw new ConfigError(`TEAM_ROLES_CONFIG=${file} must hold a JSON object`);
    }
  }
  const merged = mergeSettings(DEFAULT_SETTINGS, overlay) as Record<string, unknown>;
  if (env.TEAM_ROLES_TIME_ZONE) merged.timeZone = env.TEAM_ROLES_TIME_ZONE;
  return parseSettings(merged);
}
