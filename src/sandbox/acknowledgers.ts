/**
 * The sandbox's demo team answering their notices, as people would in Slack: a short while after the notice DM that
 * names them arrives, the members in `members` react to it (✅); everyone else never answers, so `npm run dev` shows
 * both ends of the handover acknowledgement: pending → acknowledged, and pending → reminded → escalated. This is the
 * fake people's behaviour, not the product's: the worker reads the reaction through Slack's API like any other.
 */
import type { FakeSlack, FakeSlackMessage } from './slack';

export interface DemoAcknowledgersOptions {
  /** Slack IDs of the members who acknowledge their notices, or who does (people can join on the sandbox page). */
  members: readonly string[] | ((userId: string) => boolean);
  /** How long after the notice DM arrives they react (real ms). */
  delayMs: number;
  /** The reaction (default `white_check_mark`). */
  reaction?: string;
  /** How often the DMs are looked at (real ms, default 250). */
  pollMs?: number;
}

/** The notice DM's recipient, when `message` is a notice DM (the product's `team_roles_notice` metadata). */
function noticeRecipient(message: FakeSlackMessage): string | null {
  const payload = message.metadata?.event_type === 'team_roles_notice' ? message.metadata.event_payload : undefined;
  return payload?.message_kind === 'notice-incoming' && typeof payload.recipient === 'string'
    ? payload.recipient
    : null;
}

/** Starts the demo members' answers; `stop()` ends them (pending reactions are dropped). */
export function startDemoAcknowledgers(slack: FakeSlack, options: DemoAcknowledgersOptions): { stop(): void } {
  const { members } = options;
  const acknowledges = typeof members === 'function' ? members : (id: string) => members.includes(id);
  const reaction = options.reaction ?? 'white_check_mark';
  const seen = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  const look = () => {
    for (const channel of Object.values(slack.state.channels)) {
      if (!channel.is_im) continue;
      for (const message of channel.messages) {
        const recipient = noticeRecipient(message);
        const key = `${channel.id}/${message.ts}`;
        if (!recipient || !acknowledges(recipient) || seen.has(key)) continue;
        seen.add(key);
        const timer = setTimeout(() => {
          timers.delete(timer);
          slack.addReaction(channel.id, message.ts, reaction, recipient);
        }, options.delayMs);
        timer.unref();
        timers.add(timer);
      }
    }
  };
  const poll = setInterval(look, options.pollMs ?? 250);
  poll.unref();
  return {
    stop() {
      clearInterval(poll);
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
