/**
 * The Slack app's bot token scopes, each with what needs it. deploy/slack-app-manifest.yaml requests exactly these
 * (a test compares the two), and failure messages name the purpose of a missing scope.
 */
import { ErrorCode } from '@slack/web-api';
import type { ApplicationFailure } from '@temporalio/common';
import { FailureType, nonRetryable } from './errors';

export const SLACK_APP_SCOPES = {
  'usergroups:read': "reading the rotation's member group and the on-duty group (usergroups.list)",
  'users:read': "members' names (users.info, users.list)",
  'chat:write': 'the channel posts and direct messages (chat.postMessage, chat.update)',
  'im:write': 'opening the direct messages (conversations.open)',
  'channels:history': 'the exactly-once check in a public channel (conversations.history)',
  'groups:history': 'the exactly-once check in a private channel (conversations.history)',
  'im:history': 'the exactly-once check in a direct message, and reading replies to it (issue 15)',
  'usergroups:write': 'keeping the on-duty group (usergroups.create, usergroups.enable, usergroups.users.update)',
  'reactions:read': 'acknowledgement by a reaction to the notice (issue 15)',
  'users:read.email': "members' e-mail addresses (users.info profile.email), to read their out-of-office events",
} as const;
export type SlackScope = keyof typeof SLACK_APP_SCOPES;

/** The scope a method needs where Slack's answer does not say (`needed` is usually there). */
export const SCOPE_OF_METHOD: Readonly<Record<string, SlackScope>> = {
  'usergroups.list': 'usergroups:read',
  'usergroups.create': 'usergroups:write',
  'usergroups.enable': 'usergroups:write',
  'usergroups.users.update': 'usergroups:write',
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'conversations.open': 'im:write',
  'conversations.history': 'channels:history',
};

/** The fields of a @slack/web-api platform error that classification reads. */
export interface SlackPlatformError {
  code: string;
  needed?: string;
  provided?: string;
  /** Slack's explanation of a refused block, e.g. "must be less than 3001 characters [json-pointer:/blocks/0/text/text]". */
  errors?: string[];
}

/** Slack's `error` code when `err` is an `ok: false` answer (not a rate limit, HTTP or network error); else null. */
export function slackPlatformError(err: unknown): SlackPlatformError | null {
  const e = err as {
    code?: unknown;
    data?: { error?: unknown; needed?: unknown; provided?: unknown; errors?: unknown };
  };
  if (!e || typeof e !== 'object' || e.code !== ErrorCode.PlatformError || typeof e.data?.error !== 'string')
    return null;
  return {
    code: e.data.error,
    ...(typeof e.data.needed === 'string' ? { needed: e.data.needed } : {}),
    ...(typeof e.data.provided === 'string' ? { provided: e.data.provided } : {}),
    ...(Array.isArray(e.data.errors) ? { errors: e.data.errors.map(String) } : {}),
  };
}

/** "The Slack app lacks <scope>…": which scope, what for, and how to add it. */
export function missingScopeSentence(method: string, error: SlackPlatformError): string {
  const needed = error.needed || SCOPE_OF_METHOD[method] || 'a scope';
  const purpose = needed in SLACK_APP_SCOPES ? ` (${SLACK_APP_SCOPES[needed as SlackScope]})` : '';
  return (
    `The Slack app lacks the ${needed} scope that ${method} needs${purpose}. Add it under OAuth & Permissions ` +
    '(deploy/slack-app-manifest.yaml lists every scope), reinstall the app and update SLACK_BOT_TOKEN.'
  );
}

export function missingScopeFailure(method: string, error: SlackPlatformError): ApplicationFailure {
  return nonRetryable(FailureType.SlackMissingScope, missingScopeSentence(method, error), {
    service: 'slack',
    method,
    needed: error.needed,
    provided: error.provided,
  });
}
