/**
 * The chaos test's check of the change notices (issue 16): what the members were told by direct message agrees with
 * the plan. Between two quiet moments (no change waiting to be told, the main loop at rest) the plan went from
 * `before` to `after`; every plan-change DM sent meanwhile says, for its recipient, which dates left them and which
 * came to them ("13 Jan → 20 Jan; 10 Mar → later; new turn 17 Mar"). Applied in order to `before`, the DMs must give
 * exactly `after` for every member: nobody whose dates moved is left untold, nobody is told of a move that did not
 * happen, and every before → after is right. (And `noticePost`: the notice's channel post, for the check of a notice
 * withdrawn while paused.)
 */
import { DateTime } from 'luxon';
import { NOTICE_EVENT_TYPE } from '../../../src/activities/slack-messages';
import type { IsoDate, Turn } from '../../../src/domain/types';
import type { FakeSlackState } from '../../../src/sandbox/slack';

/** What the check reads of a turn. */
export type PlanTurn = Pick<Turn, 'start' | 'member'>;

/** One plan-change DM as the fake Slack holds it. */
export interface ChangeDm {
  ts: string;
  recipient: string;
  text: string;
}

export interface Move {
  from: IsoDate | null;
  to: IsoDate | null;
}

/** The role's plan-change DMs (by their notice metadata), oldest first. */
export function changeDms(slack: FakeSlackState, role: string): ChangeDm[] {
  const dms: ChangeDm[] = [];
  for (const channel of Object.values(slack.channels)) {
    if (!channel.is_im) continue;
    for (const message of channel.messages) {
      const meta = message.metadata;
      if (meta?.event_type !== NOTICE_EVENT_TYPE || meta.event_payload.message_kind !== 'plan-change') continue;
      if (!String(meta.event_payload.handover_key).startsWith(`${role}:plan-change:`)) continue;
      dms.push({ ts: message.ts, recipient: String(meta.event_payload.recipient), text: message.text });
    }
  }
  // Slack's ts are seconds with six decimals, all of one length: as strings they sort in time order (as numbers
  // they would lose the last digit).
  return dms.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
}

/** The text of the notice's post in the role's channel for a handover key (as edited since), or undefined. */
export function noticePost(slack: FakeSlackState, channel: string, key: string): string | undefined {
  return slack.channels[channel]?.messages.find((message) => {
    const payload = message.metadata?.event_type === NOTICE_EVENT_TYPE ? message.metadata.event_payload : undefined;
    return payload?.message_kind === 'notice-channel' && payload.handover_key === key;
  })?.text;
}

/**
 * A DM's moves. Its dates are "13 Jan", with the year only when it is not the year the compared turns start in: a
 * date without one is taken in the year that puts it nearest `near` (the turns span a few months).
 */
export function parseMoves(text: string, near: IsoDate): Move[] {
  const found = /turns changed: ([^.]+)\./.exec(text);
  if (!found) throw new Error(`not a "turns changed" message: ${text}`);
  const day = (words: string): IsoDate => {
    const withYear = DateTime.fromFormat(words, 'd LLL yyyy', { locale: 'en-GB', zone: 'utc' });
    if (withYear.isValid) return withYear.toISODate();
    const nearYear = DateTime.fromISO(near, { zone: 'utc' });
    const candidates = [-1, 0, 1]
      .map((d) => DateTime.fromFormat(`${words} ${nearYear.year + d}`, 'd LLL yyyy', { locale: 'en-GB', zone: 'utc' }))
      .filter((c) => c.isValid)
      .sort((a, b) => Math.abs(a.diff(nearYear).as('days')) - Math.abs(b.diff(nearYear).as('days')));
    if (!candidates[0]) throw new Error(`no date in "${words}" (in: ${text})`);
    return candidates[0].toISODate();
  };
  return found[1]!.split('; ').map((part): Move => {
    const turn = /^new turn (.+)$/.exec(part);
    if (turn) return { from: null, to: day(turn[1]!) };
    const move = /^(.+) → (.+)$/.exec(part);
    if (!move) throw new Error(`not a move: "${part}" (in: ${text})`);
    return { from: day(move[1]!), to: move[2] === 'later' ? null : day(move[2]!) };
  });
}

/**
 * Problems (none: all agree) with `dms`, sent while the plan went from `before` to `after`, compared over the dates
 * both plans cover.
 */
export function toldAgreesWithPlan(
  before: readonly PlanTurn[],
  after: readonly PlanTurn[],
  dms: readonly ChangeDm[],
): string[] {
  if (before.length === 0 || after.length === 0) return [];
  const from = [before[0]!.start, after[0]!.start].sort()[1]!;
  const to = [before.at(-1)!.start, after.at(-1)!.start].sort()[0]!;
  const inRange = (d: IsoDate | null): d is IsoDate => d !== null && d >= from && d <= to;
  const datesOf = (plan: readonly PlanTurn[]) => {
    const dates = new Map<string, Set<IsoDate>>();
    for (const turn of plan) {
      if (!inRange(turn.start)) continue;
      dates.set(turn.member.id, (dates.get(turn.member.id) ?? new Set()).add(turn.start));
    }
    return dates;
  };
  const told = datesOf(before);
  const actual = datesOf(after);
  const names = new Map([...before, ...after].map((t) => [t.member.id, t.member.name]));
  for (const dm of dms) {
    const dates = told.get(dm.recipient) ?? new Set<IsoDate>();
    for (const move of parseMoves(dm.text, from)) {
      if (inRange(move.from)) dates.delete(move.from);
      if (inRange(move.to)) dates.add(move.to);
    }
    told.set(dm.recipient, dates);
  }
  const problems: string[] = [];
  for (const id of new Set([...told.keys(), ...actual.keys()])) {
    const said = [...(told.get(id) ?? [])].sort().join(', ');
    const is = [...(actual.get(id) ?? [])].sort().join(', ');
    if (said !== is) {
      const theirs = dms.filter((d) => d.recipient === id).map((d) => `"${d.text}"`);
      problems.push(
        `${names.get(id) ?? id}: told [${said}] for ${from}..${to}, the plan has [${is}]` +
          ` (their DMs meanwhile: ${theirs.length ? theirs.join(' ') : 'none'})`,
      );
    }
  }
  return problems;
}
