/**
 * Secrets for the outside services, read by the worker (and the list-members command) only: never passed as
 * workflow or activity arguments, never logged, never part of an error message.
 *
 * Each secret comes from its environment variable or, failing that, from a sops-encrypted JSON file in the
 * secrets folder (`TEAM_ROLES_SECRETS_DIR`, default ./secrets) as the old scripts kept them. A file there without
 * a top-level `sops` key is refused: it is plaintext and may have been committed.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createPrivateKey } from 'node:crypto';
import type { SecretPresence, ServiceState } from './domain/services';

export type Env = Record<string, string | undefined>;

export class SecretError extends Error {
  override readonly name = 'SecretError';
}

interface SecretSpec {
  /** The environment variable that holds the value (for the service account: the key file's path). */
  env: string;
  /** The file under the secrets folder. */
  file: string;
  /** The field of the decrypted JSON holding the value; undefined when the whole file is the value. */
  field?: string;
  /** What to get, for the missing-secret message. */
  hint: string;
}

export const SECRET_SPECS = {
  slackBotToken: {
    env: 'SLACK_BOT_TOKEN',
    file: 'slack_bot_token.json',
    field: 'slack_bot_token',
    hint: 'the bot token (xoxb-…) of a Slack app with the usergroups:read and users:read scopes',
  },
  geekbotApiKey: {
    env: 'GEEKBOT_API_KEY',
    file: 'geekbot_api_token.json',
    field: 'geekbot_api_token',
    hint: "the standup manager's personal Geekbot API key",
  },
  googleServiceAccount: {
    env: 'GOOGLE_APPLICATION_CREDENTIALS',
    file: 'gcp_service_account.json',
    hint: 'the path of a Google service-account key file (JSON) allowed to edit the calendar',
  },
  calendarId: {
    env: 'CALENDAR_ID',
    file: 'calendar_id.json',
    field: 'calendar_id',
    hint: 'the ID of the Google Calendar that holds the rotation (e.g. …@group.calendar.google.com)',
  },
} as const satisfies Record<string, SecretSpec>;

export type SecretName = keyof typeof SECRET_SPECS;

export interface ServiceAccountCredentials {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  project_id?: string;
}

export interface Secrets {
  slackBotToken: string;
  geekbotApiKey: string;
  googleServiceAccount: ServiceAccountCredentials;
  calendarId: string;
}

export function secretsDir(env: Env): string {
  return path.resolve(env.TEAM_ROLES_SECRETS_DIR || 'secrets');
}

/**
 * One string secret (not the service account), or a SecretError naming the variable to set. Looked for in its
 * variable (`SLACK_BOT_TOKEN`), then in the file its `_FILE` variable names (`SLACK_BOT_TOKEN_FILE`, as Docker and
 * compose secrets are mounted: the file holds the value, or is a sops-encrypted JSON document with the field), then
 * in the secrets folder.
 */
export async function loadSecret(name: Exclude<SecretName, 'googleServiceAccount'>, env: Env): Promise<string> {
  const spec: SecretSpec = SECRET_SPECS[name];
  const fromEnv = env[spec.env]?.trim();
  if (fromEnv) return fromEnv;
  const named = env[`${spec.env}_FILE`]?.trim();
  if (named) return readValueFile(named, spec, env);
  const file = path.join(secretsDir(env), spec.file);
  const content = await readSecretsFile(file, env);
  if (content === undefined) throw missing(spec, env);
  return pickField(content, spec, file);
}

/** The service-account key: from the file GOOGLE_APPLICATION_CREDENTIALS names, or secrets/gcp_service_account.json. */
export async function loadServiceAccount(env: Env): Promise<ServiceAccountCredentials> {
  const spec: SecretSpec = SECRET_SPECS.googleServiceAccount;
  const keyPath = env[spec.env]?.trim();
  let content: unknown;
  let source: string;
  if (keyPath) {
    source = `${spec.env} (${keyPath})`;
    let text: string;
    try {
      text = await readFile(keyPath, 'utf8');
    } catch (err) {
      throw new SecretError(
        `${spec.env} names ${keyPath}, which cannot be read (${(err as NodeJS.ErrnoException).code}).`,
      );
    }
    content = parseJson(text, source);
    // The key file may itself be sops-encrypted; decrypt it like the secrets folder's files.
    if (isSopsDocument(content)) content = await sopsDecrypt(keyPath, env);
  } else {
    const file = path.join(secretsDir(env), spec.file);
    source = file;
    content = await readSecretsFile(file, env);
    if (content === undefined) throw missing(spec, env);
  }
  return checkServiceAccount(content, source);
}

/** The secrets of the services that are on; null for a service that is off. */
export interface ServiceSecrets {
  slackBotToken: string;
  geekbotApiKey: string | null;
  googleServiceAccount: ServiceAccountCredentials | null;
  calendarId: string | null;
}

/**
 * Which optional secrets can be found, without reading them: the variable is set or the secrets-folder file exists
 * (`calendarIdFallback` is `settings.calendarId`). What `planServices` (src/domain/services.ts) decides from.
 */
export function secretPresence(env: Env, options: { calendarIdFallback?: string } = {}): SecretPresence {
  const found = (spec: SecretSpec) =>
    Boolean(env[spec.env]?.trim()) ||
    Boolean(env[`${spec.env}_FILE`]?.trim()) ||
    existsSync(path.join(secretsDir(env), spec.file));
  return {
    geekbotApiKey: found(SECRET_SPECS.geekbotApiKey),
    googleServiceAccount: found(SECRET_SPECS.googleServiceAccount),
    calendarId: found(SECRET_SPECS.calendarId) || Boolean(options.calendarIdFallback),
  };
}

/**
 * The Slack token and the secrets of the services that are on. A service that is on but lacks a secret is an error
 * saying why it is on, so it can be configured or turned off; all problems are reported at once. The environment
 * wins for CALENDAR_ID, then `calendarIdFallback` (settings.calendarId), then the file.
 */
export async function loadServiceSecrets(
  env: Env,
  services: { geekbot: ServiceState; calendar: ServiceState },
  options: { calendarIdFallback?: string } = {},
): Promise<ServiceSecrets> {
  const because = (service: string, state: ServiceState) => (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    throw new SecretError(state.why ? `${message} (${service} is on: ${state.why})` : message);
  };
  const off = Promise.resolve(null);
  const settled = await Promise.allSettled([
    loadSecret('slackBotToken', env),
    services.geekbot.on ? loadSecret('geekbotApiKey', env).catch(because('Geekbot', services.geekbot)) : off,
    services.calendar.on ? loadServiceAccount(env).catch(because('the calendar', services.calendar)) : off,
    !services.calendar.on
      ? off
      : env.CALENDAR_ID?.trim() || env.CALENDAR_ID_FILE?.trim() || !options.calendarIdFallback
        ? loadSecret('calendarId', env).catch(because('the calendar', services.calendar))
        : Promise.resolve(options.calendarIdFallback),
  ]);
  const problems = settled.flatMap((result) =>
    result.status === 'rejected'
      ? [result.reason instanceof Error ? result.reason.message : String(result.reason)]
      : [],
  );
  if (problems.length > 0) throw new SecretError(problems.join('\n'));
  const [slackBotToken, geekbotApiKey, googleServiceAccount, calendarId] = settled.map(
    (result) => (result as PromiseFulfilledResult<unknown>).value,
  );
  return {
    slackBotToken: slackBotToken as string,
    geekbotApiKey: geekbotApiKey as string | null,
    googleServiceAccount: googleServiceAccount as ServiceAccountCredentials | null,
    calendarId: calendarId as string | null,
  };
}

/**
 * Every secret, all services on (what the worker needed before services were optional). All missing ones are
 * reported at once. `calendarIdFallback` is `settings.calendarId`, used when CALENDAR_ID is unset.
 */
export async function loadSecrets(env: Env, options: { calendarIdFallback?: string } = {}): Promise<Secrets> {
  const on: ServiceState = { on: true, why: '' };
  return (await loadServiceSecrets(env, { geekbot: on, calendar: on }, options)) as Secrets;
}

function missing(spec: SecretSpec, env: Env): SecretError {
  const file = path.join(env.TEAM_ROLES_SECRETS_DIR || 'secrets', spec.file);
  const fileVariable = spec.field ? `, ${spec.env}_FILE to a file holding it` : '';
  return new SecretError(
    `Missing secret: set ${spec.env} to ${spec.hint}${fileVariable}, or provide the sops-encrypted ${file} ` +
      '(folder: TEAM_ROLES_SECRETS_DIR, default ./secrets).',
  );
}

/** The value in the file a `_FILE` variable names: the file's text, or the field of a sops-encrypted JSON file. */
async function readValueFile(file: string, spec: SecretSpec, env: Env): Promise<string> {
  const variable = `${spec.env}_FILE`;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new SecretError(`${variable} names ${file}, which cannot be read (${(err as NodeJS.ErrnoException).code}).`);
  }
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch {
    content = undefined; // not JSON: the whole file is the value
  }
  if (isSopsDocument(content)) return pickField(await sopsDecrypt(file, env), spec, file);
  const value = text.trim();
  if (!value) throw new SecretError(`${variable} names ${file}, which is empty.`);
  return value;
}

/** The decrypted content of a secrets-folder file, or undefined when there is no such file. */
async function readSecretsFile(file: string, env: Env): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SecretError(`Cannot read ${file} (${(err as NodeJS.ErrnoException).code}).`);
  }
  const content = parseJson(text, file);
  if (!isSopsDocument(content)) {
    throw new SecretError(
      `${file} is not sops-encrypted (it has no top-level "sops" key), so it is refused: a plaintext secret in the ` +
        'secrets folder may have been committed and leaked. Rotate the secret, then encrypt the file with sops ' +
        '(or pass the value through its environment variable instead).',
    );
  }
  return sopsDecrypt(file, env);
}

function isSopsDocument(content: unknown): boolean {
  return typeof content === 'object' && content !== null && !Array.isArray(content) && 'sops' in content;
}

/** JSON.parse without echoing the text: Node's parse errors quote the input, which may be a secret. */
function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new SecretError(`${source} is not valid JSON.`);
  }
}

/** `sops -d <file>`, run with the given environment (its PATH finds sops; its SOPS_* / cloud settings find the key). */
function sopsDecrypt(file: string, env: Env): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(
      'sops',
      ['--decrypt', '--output-type', 'json', file],
      { env: env, timeout: 60_000, maxBuffer: 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') {
            reject(
              new SecretError(
                `${file} is sops-encrypted but the sops binary was not found on PATH. Install sops ` +
                  '(https://github.com/getsops/sops), or set the secret through its environment variable.',
              ),
            );
          } else {
            // sops prints what went wrong (no key, bad MAC, ...) on stderr; it does not print the plaintext.
            const reason = stderr.trim().split('\n').slice(-3).join(' ').slice(0, 500);
            reject(new SecretError(`sops could not decrypt ${file}${reason ? `: ${reason}` : ''}.`));
          }
          return;
        }
        try {
          resolve(JSON.parse(stdout));
        } catch {
          reject(new SecretError(`sops decrypted ${file} but the result is not JSON.`));
        }
      },
    );
  });
}

function pickField(content: unknown, spec: SecretSpec, file: string): string {
  if (typeof content === 'object' && content !== null && spec.field) {
    const record = content as Record<string, unknown>;
    const value = record[spec.field];
    if (typeof value === 'string' && value.trim()) return value.trim();
  }
  throw new SecretError(`${file} has no "${spec.field}" string after decryption.`);
}

function checkServiceAccount(content: unknown, source: string): ServiceAccountCredentials {
  const key = content as Partial<Record<string, unknown>> | null;
  if (
    !key ||
    typeof key !== 'object' ||
    typeof key.client_email !== 'string' ||
    typeof key.private_key !== 'string' ||
    (key.type !== undefined && key.type !== 'service_account')
  ) {
    throw new SecretError(
      `${source} is not a Google service-account key (expected "type": "service_account" with client_email and private_key).`,
    );
  }
  try {
    createPrivateKey(key.private_key);
  } catch {
    throw new SecretError(`${source} has a private_key that is not a readable PEM private key.`);
  }
  return {
    client_email: key.client_email,
    private_key: key.private_key,
    ...(typeof key.private_key_id === 'string' ? { private_key_id: key.private_key_id } : {}),
    ...(typeof key.project_id === 'string' ? { project_id: key.project_id } : {}),
  };
}
