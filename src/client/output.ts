/**
 * How the CLI prints: aligned tables (cli-table3), JSON for machines, colour only on a terminal, times in the role's
 * time zone. Everything a person reads goes to stdout; prompts, progress and warnings go to stderr.
 */
import Table from 'cli-table3';
import { DateTime } from 'luxon';
import { SERVICE_LABELS, type ServicePlan } from '../domain/services';
import type { Acknowledgement, TurnAcknowledgement } from '../domain/acknowledgement';
import type { Member } from '../domain/types';
import type { RoleStateView } from '../shared';

type Stream = NodeJS.WriteStream;

/** Colour on a terminal only, and never with NO_COLOR or TERM=dumb (https://no-color.org). */
export function colourOn(stream: Stream): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && process.env.TERM !== 'dumb';
}

const CODES = { bold: [1, 22], dim: [2, 22], red: [31, 39], yellow: [33, 39], green: [32, 39] } as const;

export function paint(text: string, style: keyof typeof CODES, stream: Stream = process.stdout): string {
  if (!colourOn(stream)) return text;
  const [on, off] = CODES[style];
  return `\u001b[${on}m${text}\u001b[${off}m`;
}

export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function warn(text: string): void {
  process.stderr.write(`${paint('warning:', 'yellow', process.stderr)} ${text}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A table with a header row; cells are strings or numbers. */
export function table(head: string[], rows: (string | number)[][]): string {
  const t = new Table({
    head: head.map((h) => paint(h, 'bold')),
    style: { head: [], border: [], compact: true },
  });
  for (const row of rows) t.push(row.map(String));
  return t.toString();
}

/** A two-column table of labelled values. */
export function fields(entries: [string, string][]): string {
  const t = new Table({ style: { head: [], border: [], compact: true } });
  for (const [label, value] of entries) t.push({ [paint(label, 'bold')]: value });
  return t.toString();
}

export function memberText(member: Member | null | undefined): string {
  if (!member) return '-';
  return member.name && member.name !== member.id ? `${member.name} (${member.id})` : member.id;
}

/**
 * `2026-12-09 10:00 UTC, Wed (in 4 days)` or `2026-12-10 09:30 Pacific/Auckland, Thu (...)`: in the role's time zone,
 * named by its IANA name (short names such as "GMT+13" depend on the locale and say less). A fast sandbox rotation's
 * dates are simulated (`timeScale` > 1): "in 4 days" from the real now would be wrong, so there is no relative part.
 */
export function instantText(iso: string, timeZone: string, timeScale = 1, now: DateTime = DateTime.now()): string {
  const at = DateTime.fromISO(iso, { zone: timeZone, locale: 'en-GB' });
  if (!at.isValid) return iso;
  const relative = timeScale > 1 ? null : at.toRelative({ base: now });
  return `${at.toFormat('yyyy-LL-dd HH:mm')} ${timeZone}, ${at.toFormat('ccc')}${relative ? ` (${relative})` : ''}`;
}

/** `slack members on, geekbot off, …`: which outside services the run's worker had on (`planServices`). */
export function servicesText(plan: ServicePlan): string {
  return (Object.keys(SERVICE_LABELS) as (keyof ServicePlan)[])
    .map((name) => `${SERVICE_LABELS[name]} ${plan[name].on ? 'on' : paint('off', 'yellow')}`)
    .join(', ');
}

/** The human view of the `state` query. */
export function stateText(state: RoleStateView, title: string, slots: 1 | 2, timeZone: string): string {
  const mode =
    state.mode === 'schedule' ? 'handovers sent by its Temporal Schedule' : "handovers on the workflow's timer";
  const rows: [string, string][] = [];
  const fast = (state.timeScale ?? 1) > 1;
  const when = (iso: string) => instantText(iso, timeZone, state.timeScale);
  if (fast) rows.push(['Clock', paint(`simulated, ${state.timeScale} times real time (sandbox --fast)`, 'yellow')]);
  if (slots === 2) rows.push(['Incoming', memberText(state.incoming)]);
  rows.push(['Current', memberText(state.current)]);
  rows.push(['Next', memberText(state.next)]);
  rows.push(['Next prepare', when(state.nextPrepareAt)]);
  rows.push(['Next handover', when(state.nextHandoverAt)]);
  rows.push(['Paused', state.paused ? paint('yes', 'yellow') : 'no']);
  rows.push([`Members (${state.members.length})`, state.members.map((m) => m.name || m.id).join(', ') || '-']);
  rows.push(['Standup', state.standupId === null ? '-' : `#${state.standupId}`]);
  if (state.services) rows.push(['Services', servicesText(state.services)]);
  // Workers from before change notices answer neither.
  if (state.notice) {
    const { notice } = state;
    const buddy = notice.buddy ? `, buddy ${memberText(notice.buddy)}` : '';
    rows.push([
      'Notice',
      notice.withdrawn
        ? paint(`withdrawn while paused: names ${memberText(notice.incoming)}${buddy} (who keeps serving)`, 'yellow')
        : `${notice.key.replace(/^.*@/, '')}: ${memberText(notice.incoming)}${buddy}`,
    ]);
  }
  if (state.pendingChanges) {
    const { pendingChanges } = state;
    rows.push([
      'Changes to tell',
      pendingChanges.summary ? `at ${when(pendingChanges.toldAt)}` : 'none (quiet changes only)',
    ]);
  }
  if (state.acknowledgement) rows.push(['Acknowledgement', acknowledgementText(state.acknowledgement, when)]);
  const lines = [`${paint(title, 'bold')} (${state.role}): running, ${mode}.`, fields(rows)];
  for (const warning of state.warnings.slice(-5)) lines.push(`${paint('warning:', 'yellow')} ${warning}`);
  if (state.lastError) lines.push(`${paint('last error:', 'red')} ${state.lastError}`);
  return `${lines.join('\n')}\n`;
}

/** The acknowledgement of the latest notice, in a line: who, where it stands, and what comes next. */
export function acknowledgementText(record: Acknowledgement, when: (iso: string) => string): string {
  const who = `${memberText(record.member)} for ${record.handoverKey.slice(record.handoverKey.lastIndexOf('@') + 1)}`;
  const parts: string[] = [];
  switch (record.status) {
    case 'acknowledged':
      parts.push(paint('acknowledged', 'green'), `by ${who} at ${when(record.at)} (${record.via ?? '?'})`);
      break;
    case 'pending':
      parts.push(paint('pending', 'yellow'), `: ${who}`);
      parts.push(
        record.deadline ? `; reminder after ${when(record.deadline)}` : '; no reminder (the notice came late)',
      );
      break;
    case 'reminded':
      parts.push(paint('reminded', 'yellow'), `: ${who}, at ${when(record.remindedAt ?? record.at)}`);
      if (record.escalateAt) parts.push(`; escalation after ${when(record.escalateAt)}`);
      break;
    case 'escalated':
      parts.push(paint('escalated', 'red'), `: ${who}, reminded at ${when(record.remindedAt ?? record.at)}`);
      parts.push(`, escalated at ${when(record.escalatedAt ?? record.at)}`);
      break;
    case 'cancelled':
      parts.push(paint('cancelled', 'dim'), `: ${who}${record.reason ? ` (${record.reason})` : ''}`);
  }
  if (record.pausedAt) parts.push(' (suspended: the rotation is paused)');
  if (record.couldNotCheck) {
    parts.push(
      `; ${paint('could not check', 'red')} since ${when(record.couldNotCheck.since)}: ${record.couldNotCheck.problem}`,
    );
  }
  return parts.join(' ').replace(/ ([:;,])/g, '$1');
}

/** A past turn's acknowledgement for `history`: "yes (slack-reaction)", "no, reminded, escalated", "-". */
export function turnAcknowledgementText(ack: TurnAcknowledgement | undefined): string {
  if (!ack) return '-';
  const how = [ack.reminded ? 'reminded' : null, ack.escalated ? 'escalated' : null].filter(Boolean).join(', ');
  if (ack.acknowledged) return `yes (${ack.via ?? '?'}${how ? `, after being ${how}` : ''})`;
  if (ack.couldNotCheck) return paint(`could not check${how ? `; ${how}` : ''}`, 'yellow');
  return paint(`no${how ? `; ${how}` : ''}`, 'red');
}
