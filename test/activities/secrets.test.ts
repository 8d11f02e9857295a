import assert from 'node:assert/strict';
import { chmod, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  loadSecret,
  loadSecrets,
  loadServiceAccount,
  loadServiceSecrets,
  SecretError,
  secretPresence,
  type Env,
} from '../../src/secrets';
import { DEFAULT_SETTINGS, parseSettings } from '../../src/domain/config';
import { planServices } from '../../src/domain/services';
import { fakeGeekbotKey } from '../../src/sandbox/geekbot';
import { fakeSlackToken } from '../../src/sandbox/slack';
import { testServiceAccount } from './helpers';

/**
 * A stand-in for sops on PATH: "decrypts" values written as ENC[test:<base64>] and drops the sops block, or fails
 * like sops does when the file says so.
 */
const FAKE_SOPS = `#!/usr/bin/env node
const fs = require('node:fs');
const file = process.argv[process.argv.length - 1];
const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
if (doc.sops && doc.sops.fail) { process.stderr.write('Failed to get the data key required to decrypt the SOPS file.\\n'); process.exit(128); }
delete doc.sops;
const decrypt = (v) => typeof v === 'string' && v.startsWith('ENC[test:') ? Buffer.from(v.slice(9, -1), 'base64').toString('utf8')
  : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decrypt(x)])) : v;
process.stdout.write(JSON.stringify(decrypt(doc)));
`;

/** What sops would write: values encrypted (here: base64 in an ENC[test:…] wrapper) plus a `sops` block. */
function sopsFile(values: Record<string, unknown>, sops: Record<string, unknown> = { version: '3.9.0' }): string {
  const encrypt = (v: unknown): unknown =>
    typeof v === 'string'
      ? `ENC[test:${Buffer.from(v).toString('base64')}]`
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encrypt(x)]))
        : v;
  return JSON.stringify({ ...(encrypt(values) as object), sops });
}

describe('secrets', () => {
  let dir: string;
  let secretsDir: string;
  let binDir: string;
  let env: Env;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'team-roles-secrets-'));
    secretsDir = path.join(dir, 'secrets');
    binDir = path.join(dir, 'bin');
    await mkdir(secretsDir);
    await mkdir(binDir);
    await writeFile(path.join(binDir, 'sops'), FAKE_SOPS);
    await chmod(path.join(binDir, 'sops'), 0o755);
    env = { TEAM_ROLES_SECRETS_DIR: secretsDir, PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}` };
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reads a secret from its environment variable first', async () => {
    const token = fakeSlackToken();
    await writeFile(path.join(secretsDir, 'slack_bot_token.json'), sopsFile({ slack_bot_token: 'from-file' }));
    assert.equal(await loadSecret('slackBotToken', { ...env, SLACK_BOT_TOKEN: token }), token);
  });

  it('reads SLACK_BOT_TOKEN_FILE, GEEKBOT_API_KEY_FILE and CALENDAR_ID_FILE: a plain file, or a sops-encrypted one', async () => {
    const token = fakeSlackToken();
    const key = fakeGeekbotKey();
    // As compose mounts secrets: the value alone, with a trailing newline.
    await writeFile(path.join(dir, 'slack_bot_token'), `${token}\n`);
    await writeFile(path.join(dir, 'geekbot.json'), sopsFile({ geekbot_api_token: key }));
    await writeFile(path.join(dir, 'calendar_id'), 'cal@group.calendar.google.com');
    await writeFile(path.join(secretsDir, 'slack_bot_token.json'), sopsFile({ slack_bot_token: 'from-the-folder' }));
    const files = {
      ...env,
      SLACK_BOT_TOKEN_FILE: path.join(dir, 'slack_bot_token'),
      GEEKBOT_API_KEY_FILE: path.join(dir, 'geekbot.json'),
      CALENDAR_ID_FILE: path.join(dir, 'calendar_id'),
    };
    assert.equal(await loadSecret('slackBotToken', files), token, 'the _FILE variable wins over the secrets folder');
    assert.equal(await loadSecret('geekbotApiKey', files), key);
    assert.equal(await loadSecret('calendarId', files), 'cal@group.calendar.google.com');
    assert.equal(await loadSecret('slackBotToken', { ...files, SLACK_BOT_TOKEN: 'xoxb-env' }), 'xoxb-env');
    await writeFile(path.join(dir, 'empty'), '\n');
    await assert.rejects(loadSecret('slackBotToken', { ...env, SLACK_BOT_TOKEN_FILE: path.join(dir, 'empty') }), {
      message: /SLACK_BOT_TOKEN_FILE names .*empty, which is empty/,
    });
    await assert.rejects(loadSecret('slackBotToken', { ...env, SLACK_BOT_TOKEN_FILE: path.join(dir, 'nope') }), {
      message: /SLACK_BOT_TOKEN_FILE names .*nope, which cannot be read \(ENOENT\)/,
    });
  });

  it('decrypts a sops file in the secrets folder (the old scripts’ file names and fields)', async () => {
    const token = fakeSlackToken();
    const key = fakeGeekbotKey();
    await writeFile(path.join(secretsDir, 'slack_bot_token.json'), sopsFile({ slack_bot_token: token }));
    await writeFile(path.join(secretsDir, 'geekbot_api_token.json'), sopsFile({ geekbot_api_token: key }));
    await writeFile(
      path.join(secretsDir, 'calendar_id.json'),
      sopsFile({ calendar_id: 'cal@group.calendar.google.com' }),
    );
    const account = testServiceAccount();
    await writeFile(path.join(secretsDir, 'gcp_service_account.json'), sopsFile(account.key));

    const secrets = await loadSecrets(env);
    assert.equal(secrets.slackBotToken, token);
    assert.equal(secrets.geekbotApiKey, key);
    assert.equal(secrets.calendarId, 'cal@group.calendar.google.com');
    assert.equal(secrets.googleServiceAccount.client_email, account.key.client_email);
    assert.equal(secrets.googleServiceAccount.private_key, account.key.private_key);
  });

  it('refuses a plaintext file in the secrets folder without echoing it', async () => {
    const token = fakeSlackToken();
    await writeFile(path.join(secretsDir, 'slack_bot_token.json'), JSON.stringify({ slack_bot_token: token }));
    const err = await loadSecret('slackBotToken', env).catch((e: unknown) => e);
    assert.ok(err instanceof SecretError);
    assert.match(err.message, /not sops-encrypted.*refused.*leaked/);
    assert.ok(!err.message.includes(token));
  });

  it('a file that is not JSON is refused without quoting it', async () => {
    const token = fakeSlackToken();
    await writeFile(path.join(secretsDir, 'slack_bot_token.json'), token);
    const err = await loadSecret('slackBotToken', env).catch((e: unknown) => e);
    assert.ok(err instanceof SecretError);
    assert.match(err.message, /not valid JSON/);
    assert.ok(!err.message.includes(token.slice(0, 12)));
  });

  it('names sops when an encrypted file needs it and it is not installed', async () => {
    await writeFile(path.join(secretsDir, 'slack_bot_token.json'), sopsFile({ slack_bot_token: 'x' }));
    const err = await loadSecret('slackBotToken', { ...env, PATH: path.join(dir, 'empty') }).catch((e: unknown) => e);
    assert.ok(err instanceof SecretError);
    assert.match(err.message, /sops binary was not found on PATH.*SLACK_BOT_TOKEN|sops binary was not found on PATH/);
  });

  it('reports why sops could not decrypt', async () => {
    await writeFile(path.join(secretsDir, 'slack_bot_token.json'), sopsFile({ slack_bot_token: 'x' }, { fail: true }));
    const err = await loadSecret('slackBotToken', env).catch((e: unknown) => e);
    assert.ok(err instanceof SecretError);
    assert.match(err.message, /sops could not decrypt .*slack_bot_token\.json: Failed to get the data key/);
  });

  it('a missing secret names the variable to set; all missing ones are reported at once', async () => {
    const one = await loadSecret('geekbotApiKey', env).catch((e: unknown) => e);
    assert.ok(one instanceof SecretError);
    assert.match(one.message, /set GEEKBOT_API_KEY .*standup manager.*geekbot_api_token\.json/);

    const all = await loadSecrets(env).catch((e: unknown) => e);
    assert.ok(all instanceof SecretError);
    for (const name of ['SLACK_BOT_TOKEN', 'GEEKBOT_API_KEY', 'GOOGLE_APPLICATION_CREDENTIALS', 'CALENDAR_ID']) {
      assert.ok(all.message.includes(name), `mentions ${name}`);
    }
  });

  it('CALENDAR_ID wins over settings.calendarId, which wins over the secrets file', async () => {
    const account = testServiceAccount();
    const keyPath = path.join(dir, 'key.json');
    await writeFile(keyPath, JSON.stringify(account.key));
    await writeFile(
      path.join(secretsDir, 'calendar_id.json'),
      sopsFile({ calendar_id: 'file@group.calendar.google.com' }),
    );
    const base = {
      ...env,
      SLACK_BOT_TOKEN: fakeSlackToken(),
      GEEKBOT_API_KEY: fakeGeekbotKey(),
      GOOGLE_APPLICATION_CREDENTIALS: keyPath,
    };
    assert.equal((await loadSecrets(base)).calendarId, 'file@group.calendar.google.com');
    assert.equal((await loadSecrets(base, { calendarIdFallback: 'settings@x' })).calendarId, 'settings@x');
    assert.equal(
      (await loadSecrets({ ...base, CALENDAR_ID: 'env@x' }, { calendarIdFallback: 'settings@x' })).calendarId,
      'env@x',
    );
  });

  it('reads the service-account key from GOOGLE_APPLICATION_CREDENTIALS and checks it without echoing it', async () => {
    const account = testServiceAccount();
    const keyPath = path.join(dir, 'key.json');
    await writeFile(keyPath, JSON.stringify(account.key));
    const key = await loadServiceAccount({ ...env, GOOGLE_APPLICATION_CREDENTIALS: keyPath });
    assert.equal(key.client_email, account.key.client_email);

    await writeFile(keyPath, JSON.stringify({ ...account.key, private_key: 'not a key' }));
    const bad = await loadServiceAccount({ ...env, GOOGLE_APPLICATION_CREDENTIALS: keyPath }).catch((e: unknown) => e);
    assert.ok(bad instanceof SecretError);
    assert.match(bad.message, /not a readable PEM private key/);

    await writeFile(keyPath, JSON.stringify({ type: 'authorized_user', client_secret: 'shh' }));
    const wrongKind = await loadServiceAccount({ ...env, GOOGLE_APPLICATION_CREDENTIALS: keyPath }).catch(
      (e: unknown) => e,
    );
    assert.ok(wrongKind instanceof SecretError);
    assert.match(wrongKind.message, /not a Google service-account key/);
    assert.ok(!wrongKind.message.includes('shh'));

    const missing = await loadServiceAccount({
      ...env,
      GOOGLE_APPLICATION_CREDENTIALS: path.join(dir, 'nope.json'),
    }).catch((e: unknown) => e);
    assert.ok(missing instanceof SecretError);
    assert.match(missing.message, /GOOGLE_APPLICATION_CREDENTIALS names .*nope\.json, which cannot be read \(ENOENT\)/);
  });

  it('services are optional: with only SLACK_BOT_TOKEN the worker has what it needs', async () => {
    const token = fakeSlackToken();
    const onlySlack = { ...env, SLACK_BOT_TOKEN: token };
    const presence = secretPresence(onlySlack);
    assert.deepEqual(presence, { geekbotApiKey: false, googleServiceAccount: false, calendarId: false });
    const plan = planServices(parseSettings(DEFAULT_SETTINGS), presence);
    assert.deepEqual(await loadServiceSecrets(onlySlack, plan), {
      slackBotToken: token,
      geekbotApiKey: null,
      googleServiceAccount: null,
      calendarId: null,
    });
    const noSlack = await loadServiceSecrets(env, plan).catch((e: unknown) => e);
    assert.ok(noSlack instanceof SecretError);
    assert.match(noSlack.message, /set SLACK_BOT_TOKEN/);
  });

  it('a configured service without its secret stays a start-up error saying why it is on', async () => {
    const base = { ...env, SLACK_BOT_TOKEN: fakeSlackToken(), CALENDAR_ID: 'cal@group.calendar.google.com' };
    const settings = parseSettings({ ...DEFAULT_SETTINGS, standupManager: { id: 'U0MGR', name: 'Morgan' } });
    const plan = planServices(settings, secretPresence(base));
    assert.deepEqual([plan.geekbot.on, plan.calendar.on], [true, true]);
    const err = await loadServiceSecrets(base, plan).catch((e: unknown) => e);
    assert.ok(err instanceof SecretError);
    assert.match(err.message, /set GEEKBOT_API_KEY .* \(Geekbot is on: standupManager is set\)/);
    assert.match(err.message, /set GOOGLE_APPLICATION_CREDENTIALS .* \(the calendar is on: CALENDAR_ID\)/);

    // A secrets-folder file counts as configured too.
    await writeFile(path.join(secretsDir, 'geekbot_api_token.json'), sopsFile({ geekbot_api_token: fakeGeekbotKey() }));
    assert.equal(secretPresence(env).geekbotApiKey, true);
  });
});
