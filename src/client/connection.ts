/**
 * The connection flags every command takes, as the `temporal` CLI has them: `--address`, `--namespace`, `--profile`
 * (a profile of the TOML file @temporalio/envconfig reads) and `--env` / `--env-file` (an environment of the
 * temporal CLI's older `temporal env` file). They become the TEMPORAL_* variables @temporalio/envconfig reads, with
 * the same precedence as `temporal` v1.5.1: a flag, then the `--env` environment, then the variables already set.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { UsageError } from './errors';

export interface ConnectionFlags {
  address?: string;
  namespace?: string;
  profile?: string;
  env?: string;
  envFile?: string;
}

/** `temporal env set` keys and the variables they stand for. */
const ENV_FILE_KEYS: Record<string, string> = {
  address: 'TEMPORAL_ADDRESS',
  namespace: 'TEMPORAL_NAMESPACE',
  'api-key': 'TEMPORAL_API_KEY',
  tls: 'TEMPORAL_TLS',
  'tls-cert-path': 'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'tls-key-path': 'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'tls-ca-path': 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'tls-cert-data': 'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'tls-key-data': 'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'tls-ca-data': 'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  'tls-server-name': 'TEMPORAL_TLS_SERVER_NAME',
  'tls-disable-host-verification': 'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION',
};

/** Where `temporal env` keeps its environments: `$HOME/.config/temporalio/temporal.yaml`. */
export function defaultEnvFile(env: NodeJS.ProcessEnv): string {
  return path.join(env.HOME || homedir(), '.config', 'temporalio', 'temporal.yaml');
}

/** The environment variables to connect with: `env` with the flags (and the `--env` environment) applied. */
export function connectionEnv(env: NodeJS.ProcessEnv, flags: ConnectionFlags): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = { ...env };
  const named = flags.env ?? env.TEMPORAL_ENV;
  const file = flags.envFile ?? defaultEnvFile(env);
  // As `temporal` does: the "default" environment applies when it exists; a named one must exist.
  if (named || existsSync(file)) {
    const values = envFileEnvironment(file, named ?? 'default', named !== undefined && named !== 'default');
    for (const [key, value] of Object.entries(values)) {
      const variable = ENV_FILE_KEYS[key];
      if (variable) result[variable] = value;
    }
  }
  if (flags.profile) result.TEMPORAL_PROFILE = flags.profile;
  if (flags.address) result.TEMPORAL_ADDRESS = flags.address;
  if (flags.namespace) result.TEMPORAL_NAMESPACE = flags.namespace;
  return result;
}

function envFileEnvironment(file: string, name: string, required: boolean): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (!required) return {};
    throw new UsageError(
      `--env ${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): create the environment with \`temporal env set --env ${name} -k address -v HOST:PORT\` or pass --env-file.`,
    );
  }
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not valid YAML: ${(err as Error).message}`);
  }
  const environments = (parsed as { env?: Record<string, unknown> } | null)?.env ?? {};
  const environment = environments[name];
  if (environment === undefined || environment === null) {
    if (!required) return {};
    const known = Object.keys(environments).join(', ') || 'none';
    throw new UsageError(`Environment "${name}" not found in ${file} (it has: ${known}).`);
  }
  if (typeof environment !== 'object' || Array.isArray(environment)) {
    throw new UsageError(`Environment "${name}" in ${file} is not a set of key: value pairs.`);
  }
  return Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, String(value)]));
}
