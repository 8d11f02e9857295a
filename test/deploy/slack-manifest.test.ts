// The Slack app set-up as a file: deploy/slack-app-manifest.yaml asks for exactly the scopes the features use.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { SCOPE_OF_METHOD, SLACK_APP_SCOPES } from '../../src/activities/slack-scopes';
import { FAKE_SLACK_SCOPES } from '../../src/sandbox/slack';

const FILE = path.resolve(__dirname, '..', '..', 'deploy', 'slack-app-manifest.yaml');

interface Manifest {
  display_information?: { name?: string };
  features?: { bot_user?: { display_name?: string }; slash_commands?: unknown; interactivity?: unknown };
  oauth_config?: { scopes?: { bot?: string[]; user?: string[] }; redirect_urls?: unknown };
  settings?: { event_subscriptions?: unknown; interactivity?: unknown; socket_mode_enabled?: boolean };
}

describe('deploy/slack-app-manifest.yaml', () => {
  const text = readFileSync(FILE, 'utf8');
  const manifest = parse(text) as Manifest;
  const scopes = manifest.oauth_config?.scopes?.bot ?? [];

  it('asks for exactly the bot scopes in src/activities/slack-scopes.ts, each once, no user scopes', () => {
    assert.deepEqual([...scopes].sort(), Object.keys(SLACK_APP_SCOPES).sort());
    assert.equal(new Set(scopes).size, scopes.length);
    assert.equal(manifest.oauth_config?.scopes?.user, undefined);
  });

  it('says what needs each scope, next to it', () => {
    for (const scope of scopes) {
      const line = text.split('\n').find((l) => l.trim().startsWith(`- ${scope} `));
      assert.match(line ?? '', /# \S/, `a comment for ${scope}`);
    }
  });

  it('covers every scope the code asks for and the fake grants, and opens no inbound door', () => {
    for (const scope of [...Object.values(SCOPE_OF_METHOD), ...FAKE_SLACK_SCOPES]) {
      assert.ok(scopes.includes(scope), `${scope} is in the manifest`);
    }
    assert.equal(manifest.display_information?.name, 'team-roles');
    assert.equal(manifest.features?.bot_user?.display_name, 'team-roles');
    // The worker never listens: no events, interactivity, slash commands or redirect URLs.
    assert.equal(manifest.settings?.event_subscriptions, undefined);
    assert.equal(manifest.settings?.interactivity, undefined);
    assert.equal(manifest.features?.slash_commands, undefined);
    assert.equal(manifest.oauth_config?.redirect_urls, undefined);
    assert.equal(manifest.settings?.socket_mode_enabled, false);
  });
});
