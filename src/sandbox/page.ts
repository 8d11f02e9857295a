/**
 * A local page that shows what the team sees in the sandbox: the channel's posts and the direct messages as Slack
 * shows them (mentions as names), the user groups with their members, the Geekbot standups' questions, and the
 * calendar as a month grid of the turns. It reads the fakes' state, served as JSON at /view.json, which the page
 * polls once a second and redraws when it changed. Plain HTML and a little script; node:http only.
 *
 * People join and leave the rotations' user groups on the page too (POST /usergroups/join and /usergroups/leave,
 * src/sandbox/members.ts), as an admin would in Slack; `onMembersChanged` then lets the rotations know.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeCalendarServer } from './calendar';
import type { FakeGeekbot } from './geekbot';
import { readBody } from './http';
import {
  isEditableGroup,
  joinGroup,
  leaveGroup,
  MembershipError,
  nameOf as personName,
  type GroupMembership,
  type MembershipChange,
} from './members';
import type { FakeSlack, FakeSlackChannel, FakeSlackMessage } from './slack';

/** A piece of a message as Slack renders it. */
export type Segment =
  | { kind: 'text'; text: string }
  | { kind: 'bold'; text: string }
  | { kind: 'mention'; text: string }
  | { kind: 'link'; text: string; href: string };

export interface ViewMessage {
  ts: string;
  /** ISO-8601, from the message's ts. */
  at: string;
  author: string;
  fromApp: boolean;
  segments: Segment[];
  edited: boolean;
  /** The message kind from its team_roles_notice metadata, or null. */
  kind: string | null;
  replies: number;
  reactions: string[];
}

export interface ViewConversation {
  id: string;
  /** "#support-freshdesk", or the person's name for a DM. */
  title: string;
  messages: ViewMessage[];
}

export interface SandboxView {
  /** Changes whenever anything shown changes. */
  version: string;
  channels: ViewConversation[];
  dms: ViewConversation[];
  usergroups: Array<{
    handle: string;
    name: string;
    disabled: boolean;
    /** Names, as Slack shows them. */
    members: string[];
    /** The same members' Slack IDs, in the same order (what a leave names). */
    memberIds: string[];
    /** Whether the page offers join and leave: not for the groups team-roles keeps itself (the on-duty group). */
    editable: boolean;
  }>;
  standups: Array<{ name: string; channel: string; participants: string[]; questions: Segment[][] }>;
  turns: Array<{ summary: string; member: string; start: string; end: string }>;
  /** Members' out-of-office events over the turns' dates, as whole days (`end` exclusive), by start. */
  absences: Array<{ member: string; start: string; end: string }>;
}

export interface SandboxSources {
  slack: FakeSlack;
  geekbot?: FakeGeekbot;
  calendar?: FakeCalendarServer;
  /** How people join the fake Slack (`Sandbox.setGroup`); without it the page only shows, and refuses joins. */
  setGroup?: GroupMembership['setGroup'];
  /**
   * Called after someone joined or left a group on the page (the dev script asks the rotations that read the group
   * to read it again); its answer, what happens next, is shown on the page.
   */
  onMembersChanged?: (change: MembershipChange) => Promise<string>;
}

/** Who a Slack user ID is, as Slack shows them: the display name, else the real name. */
function nameOf(slack: FakeSlack, id: string): string {
  return id === slack.state.bot.userId ? slack.state.bot.name : personName(slack, id);
}

function unescape(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Slack mrkdwn to segments: <@U…>, <!subteam^S…>, <#C…>, <!here>, <url|label> and *bold*. */
export function renderMrkdwn(slack: FakeSlack, text: string): Segment[] {
  const segments: Segment[] = [];
  const plain = (chunk: string) => {
    let rest = chunk;
    for (let match = /\*([^*\n]+)\*/.exec(rest); match; match = /\*([^*\n]+)\*/.exec(rest)) {
      if (match.index > 0) segments.push({ kind: 'text', text: unescape(rest.slice(0, match.index)) });
      segments.push({ kind: 'bold', text: unescape(match[1] as string) });
      rest = rest.slice(match.index + match[0].length);
    }
    if (rest) segments.push({ kind: 'text', text: unescape(rest) });
  };
  const pattern = /<([^>]+)>/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    plain(text.slice(last, match.index));
    last = (match.index ?? 0) + match[0].length;
    const [target, label] = (match[1] as string).split('|', 2) as [string, string | undefined];
    if (target.startsWith('@')) {
      segments.push({ kind: 'mention', text: `@${nameOf(slack, target.slice(1))}` });
    } else if (target.startsWith('!subteam^')) {
      const group = slack.state.usergroups.find((g) => g.id === target.slice('!subteam^'.length));
      segments.push({ kind: 'mention', text: group ? `@${group.handle}` : (label ?? '@group') });
    } else if (target.startsWith('#')) {
      const channel = slack.state.channels[target.slice(1)];
      segments.push({ kind: 'mention', text: `#${channel?.name ?? label ?? target.slice(1)}` });
    } else if (target.startsWith('!')) {
      segments.push({ kind: 'mention', text: `@${target.slice(1)}` });
    } else {
      segments.push({ kind: 'link', text: unescape(label ?? target), href: target });
    }
  }
  plain(text.slice(last));
  return segments;
}

function viewMessage(slack: FakeSlack, message: FakeSlackMessage): ViewMessage {
  const kind = message.metadata?.event_payload?.message_kind;
  return {
    ts: message.ts,
    at: new Date(Number(message.ts) * 1000).toISOString(),
    author: nameOf(slack, message.user),
    fromApp: Boolean(message.bot_id),
    segments: renderMrkdwn(slack, message.text),
    edited: Boolean(message.edited),
    kind: typeof kind === 'string' ? kind : null,
    replies: message.reply_count ?? 0,
    reactions: (message.reactions ?? []).map((r) => `:${r.name}: ${r.count}`),
  };
}

function conversation(slack: FakeSlack, channel: FakeSlackChannel): ViewConversation {
  return {
    id: channel.id,
    title: channel.is_im ? nameOf(slack, channel.user ?? channel.name) : `#${channel.name}`,
    messages: slack.messagesIn(channel.id).map((message) => viewMessage(slack, message)),
  };
}

/** Everything the page shows, from the fakes' state. */
export function sandboxView({ slack, geekbot, calendar }: SandboxSources): SandboxView {
  const channels = Object.values(slack.state.channels);
  const view: Omit<SandboxView, 'version'> = {
    channels: channels.filter((c) => !c.is_im).map((c) => conversation(slack, c)),
    dms: channels.filter((c) => c.is_im).map((c) => conversation(slack, c)),
    usergroups: slack.state.usergroups.map((group) => ({
      handle: group.handle,
      name: group.name,
      disabled: group.date_delete !== 0,
      members: group.users.map((id) => nameOf(slack, id)),
      memberIds: [...group.users],
      editable: isEditableGroup(slack, group),
    })),
    standups: (geekbot?.state.standups ?? []).map((standup) => ({
      name: standup.name,
      channel: standup.channel,
      participants: standup.users.map((user) => nameOf(slack, user.id)),
      questions: standup.questions.map((question) => renderMrkdwn(slack, question.text)),
    })),
    turns: (calendar?.events() ?? [])
      .filter((event) => event.status !== 'cancelled' && event.start.date && event.end.date)
      .map((event) => ({
        summary: event.summary ?? '',
        member: (event.summary ?? '').replace(/^[^:]*:\s*/, ''),
        start: event.start.date as string,
        end: event.end.date as string,
      }))
      .sort((a, b) => a.start.localeCompare(b.start) || a.summary.localeCompare(b.summary)),
    absences: [],
  };
  view.absences = calendar ? absenceDays(slack, calendar, view.turns) : [];
  const version = createHash('sha1').update(JSON.stringify(view)).digest('hex').slice(0, 12);
  return { version, ...view };
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * The members' out-of-office events as the calendar grid shows them: whole days in UTC (an event ending at midnight
 * ends the day before), over the turns' dates (or a year from now without turns), named as Slack names the person.
 */
function absenceDays(
  slack: FakeSlack,
  calendar: FakeCalendarServer,
  turns: SandboxView['turns'],
): SandboxView['absences'] {
  const from = turns[0] ? Date.parse(`${turns[0].start}T00:00:00Z`) - 31 * DAY_MS : Date.now() - 31 * DAY_MS;
  const last = turns.reduce((latest, t) => (t.end > latest ? t.end : latest), '');
  const to = last ? Date.parse(`${last}T00:00:00Z`) + 31 * DAY_MS : Date.now() + 366 * DAY_MS;
  const names = new Map(
    Object.values(slack.state.users).flatMap((user) =>
      user.profile.email ? [[user.profile.email.toLowerCase(), nameOf(slack, user.id)] as const] : [],
    ),
  );
  const day = (time: { date?: string; dateTime?: string }, end: boolean): string => {
    if (time.date) return time.date;
    const at = Date.parse(time.dateTime ?? '');
    // An end at midnight is the end of the day before; any other end includes its day.
    const whole = end && at % DAY_MS !== 0 ? at + DAY_MS : at;
    return new Date(whole).toISOString().slice(0, 10);
  };
  return calendar
    .outOfOffice(from, to)
    .map(({ email, event }) => ({
      member: names.get(email.toLowerCase()) ?? email,
      start: day(event.start, false),
      end: day(event.end, true),
    }))
    .sort((a, b) => a.start.localeCompare(b.start) || a.member.localeCompare(b.member));
}

export interface SandboxPage {
  /** http://127.0.0.1:<port>/ */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves the page on 127.0.0.1 (port 0: any free port). */
export async function startSandboxPage(sources: SandboxSources, port = 0): Promise<SandboxPage> {
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://page').pathname;
    if (req.method === 'POST' && MEMBERSHIP_PATHS.has(path)) {
      void changeMembers(sources, req, path)
        .catch((err: unknown) => ({ status: 500, body: { error: String(err) } }))
        .then(({ status, body }) => {
          res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
          res.end(JSON.stringify(body));
        });
    } else if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
    } else if (path === '/view.json') {
      res
        .writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
        .end(JSON.stringify(sandboxView(sources)));
    } else if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE_HTML);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
    }
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/`,
    port: bound,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const MEMBERSHIP_PATHS = new Set(['/usergroups/join', '/usergroups/leave']);
/** A join or leave is a few short fields; anything longer is not the page's. */
const MAX_BODY_BYTES = 4096;

/** What a join or leave answers: `message` (and `next`, what happens now) on success, `error` otherwise. */
export type MembershipAnswer = { message: string; next: string | null } | { error: string };

/**
 * POST /usergroups/join `{ group, name }` and /usergroups/leave `{ group, member }` (a Slack ID), as JSON. JSON only:
 * another site's page cannot send that without the browser asking first (CORS), which this server never allows;
 * and only to the loopback names, so a rebinding DNS name gets nothing.
 */
async function changeMembers(
  sources: SandboxSources,
  req: http.IncomingMessage,
  path: string,
): Promise<{ status: number; body: MembershipAnswer }> {
  const refuse = (status: number, error: string) => ({ status, body: { error } });
  if (!/^(127\.0\.0\.1|localhost)(:\d+)?$/.test(req.headers.host ?? '')) return refuse(403, 'Only from this machine.');
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return refuse(415, 'Send JSON.');
  const { setGroup } = sources;
  if (!setGroup) return refuse(405, 'This page only shows the sandbox: it cannot change its groups.');
  let fields: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(await readBody(req, MAX_BODY_BYTES));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    fields = parsed as Record<string, unknown>;
  } catch (err) {
    return refuse(400, `Not a JSON object: ${(err as Error).message}`);
  }
  const text = (key: string) => (typeof fields[key] === 'string' ? fields[key] : '');
  let change: MembershipChange;
  try {
    const sandbox = { slack: sources.slack, setGroup };
    change =
      path === '/usergroups/join'
        ? joinGroup(sandbox, text('group'), text('name'))
        : leaveGroup(sandbox, text('group'), text('member'));
  } catch (err) {
    if (err instanceof MembershipError) return refuse(400, err.message);
    return refuse(500, (err as Error).message);
  }
  const message = `${change.member.name} ${change.kind === 'joined' ? 'joined' : 'left'} @${change.group}.`;
  // The change is made; a rotation that could not be told reads the group at its own next refresh.
  const next = sources.onMembersChanged
    ? await sources.onMembersChanged(change).catch((err: unknown) => `Could not tell the rotations: ${String(err)}`)
    : null;
  return { status: 200, body: { message, next } };
}

/** The page's script: polls /view.json, redraws with DOM calls and textContent only (no HTML from data). */
const PAGE_SCRIPT = String.raw`
(function () {
  var shown = null;
  var view = null;
  var month = null; // { year, month (0-11) }
  // The acknowledgement's messages stand out among the notices (they are ordinary messages in the fakes).
  var KIND_LABELS = { 'ack-reminder': 'reminder: not acknowledged yet', 'ack-escalation': 'escalation: not acknowledged' };
  var MONTHS = ['January','February','March','April','May','June','July','August','September','October','November','December'];
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var key in attrs || {}) {
      if (key === 'text') node.textContent = attrs[key];
      else node.setAttribute(key, attrs[key]);
    }
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }
  function segments(list) {
    return list.map(function (s) {
      if (s.kind === 'mention') return el('span', { class: 'mention', text: s.text });
      if (s.kind === 'bold') return el('b', { text: s.text });
      if (s.kind === 'link') return el('a', { href: s.href, text: s.text, target: '_blank', rel: 'noopener' });
      return document.createTextNode(s.text);
    });
  }
  function message(m) {
    var head = el('div', { class: 'head' }, [
      el('span', { class: 'author', text: m.author }),
      m.fromApp ? el('span', { class: 'badge', text: 'APP' }) : null,
      KIND_LABELS[m.kind] ? el('span', { class: 'kind ' + m.kind, text: KIND_LABELS[m.kind] }) : null,
      el('span', { class: 'time', text: new Date(m.at).toLocaleString() }),
      m.edited ? el('span', { class: 'edited', text: '(edited)' }) : null
    ]);
    var extra = [];
    if (m.replies) extra.push(m.replies + (m.replies === 1 ? ' reply' : ' replies'));
    if (m.reactions.length) extra.push(m.reactions.join('  '));
    return el('div', { class: 'message', 'data-kind': m.kind || '' }, [
      head,
      el('div', { class: 'text' }, segments(m.segments)),
      extra.length ? el('div', { class: 'extra', text: extra.join(' · ') }) : null
    ]);
  }
  function conversations(target, list, empty) {
    target.replaceChildren();
    if (!list.length) target.appendChild(el('p', { class: 'empty', text: empty }));
    list.forEach(function (c) {
      target.appendChild(el('section', { class: 'conversation', 'data-id': c.id }, [
        el('h3', { text: c.title }),
        c.messages.length ? null : el('p', { class: 'empty', text: 'No messages yet.' })
      ].concat(c.messages.map(message))));
    });
  }
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function iso(y, m, d) { return y + '-' + pad(m + 1) + '-' + pad(d); }
  function colour(name) {
    var h = 0;
    for (var i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) % 360;
    return 'hsl(' + h + ', 60%, 85%)';
  }
  function calendar() {
    var target = document.getElementById('calendar');
    target.replaceChildren();
    if (!month) { var now = new Date(); month = { year: now.getFullYear(), month: now.getMonth() }; }
    var label = el('span', { 'data-testid': 'month-label', class: 'month', text: MONTHS[month.month] + ' ' + month.year });
    var prev = el('button', { 'data-testid': 'prev-month', text: '‹' });
    var next = el('button', { 'data-testid': 'next-month', text: '›' });
    prev.onclick = function () { month = month.month === 0 ? { year: month.year - 1, month: 11 } : { year: month.year, month: month.month - 1 }; calendar(); };
    next.onclick = function () { month = month.month === 11 ? { year: month.year + 1, month: 0 } : { year: month.year, month: month.month + 1 }; calendar(); };
    target.appendChild(el('div', { class: 'month-nav' }, [prev, label, next]));
    var grid = el('div', { class: 'grid', 'data-testid': 'month-grid' });
    ['Mon','Tue','Wed','Thu','Fri','Sat','Sun'].forEach(function (d) { grid.appendChild(el('div', { class: 'dow', text: d })); });
    var first = new Date(Date.UTC(month.year, month.month, 1));
    var offset = (first.getUTCDay() + 6) % 7;
    var days = new Date(Date.UTC(month.year, month.month + 1, 0)).getUTCDate();
    for (var i = 0; i < offset; i++) grid.appendChild(el('div', { class: 'day blank' }));
    for (var d = 1; d <= days; d++) {
      var date = iso(month.year, month.month, d);
      var chips = view.turns.filter(function (t) { return t.start <= date && date < t.end; }).map(function (t) {
        var chip = el('div', { class: 'chip', title: t.summary, text: t.member });
        chip.style.background = colour(t.member);
        return chip;
      }).concat(view.absences.filter(function (a) { return a.start <= date && date < a.end; }).map(function (a) {
        return el('div', { class: 'chip away', title: a.member + ': out of office', text: a.member + ' away' });
      }));
      grid.appendChild(el('div', { class: 'day', 'data-date': date }, [el('div', { class: 'num', text: String(d) })].concat(chips)));
    }
    target.appendChild(grid);
  }
  // Joining and leaving: the list above is redrawn on every change, so the form lives outside it.
  function member(g, name, id) {
    var leave = el('button', { type: 'button', class: 'leave', 'data-member': id, title: 'Take ' + name + ' out of @' + g.handle, text: 'leave' });
    leave.onclick = function () { send('/usergroups/leave', { group: g.handle, member: id }); };
    return el('span', { class: 'member', 'data-member': id }, [document.createTextNode(name), leave]);
  }
  function joinGroups() {
    var handles = view.usergroups.filter(function (g) { return g.editable; }).map(function (g) { return g.handle; });
    var select = document.getElementById('join-group');
    var listed = Array.prototype.map.call(select.options, function (o) { return o.value; });
    if (listed.join(' ') !== handles.join(' ')) {
      var chosen = select.value;
      select.replaceChildren.apply(select, handles.map(function (h) { return el('option', { value: h, text: '@' + h }); }));
      if (handles.indexOf(chosen) >= 0) select.value = chosen;
    }
    document.getElementById('join-form').hidden = !handles.length;
  }
  function send(path, body) {
    var status = document.getElementById('members-status');
    status.className = 'status';
    status.textContent = 'Sending…';
    return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        if (answer.error) { status.className = 'status error'; status.textContent = answer.error; return false; }
        status.className = 'status ok';
        status.replaceChildren(el('div', { text: answer.message }));
        if (answer.next) status.appendChild(el('div', { class: 'next', text: answer.next }));
        return true;
      })
      .catch(function (err) { status.className = 'status error'; status.textContent = 'Could not reach the sandbox: ' + err; return false; });
  }
  document.getElementById('join-form').onsubmit = function (event) {
    event.preventDefault();
    var name = document.getElementById('join-name');
    send('/usergroups/join', { group: document.getElementById('join-group').value, name: name.value }).then(function (ok) {
      if (ok) name.value = '';
    });
  };
  function render() {
    conversations(document.getElementById('channels'), view.channels, 'No channels.');
    conversations(document.getElementById('dms'), view.dms, 'No direct messages yet.');
    var groups = document.getElementById('usergroups');
    groups.replaceChildren();
    view.usergroups.forEach(function (g) {
      groups.appendChild(el('li', { 'data-handle': g.handle }, [
        el('span', { class: 'mention', text: '@' + g.handle }),
        document.createTextNode(g.disabled ? ' (disabled) ' : ' '),
        g.editable ? el('span', { class: 'members' }, g.members.map(function (name, i) { return member(g, name, g.memberIds[i]); }))
          : el('span', { class: 'members', text: g.members.join(', ') || 'nobody' })
      ]));
    });
    joinGroups();
    var standups = document.getElementById('standups');
    standups.replaceChildren();
    if (!view.standups.length) standups.appendChild(el('p', { class: 'empty', text: 'No standup yet.' }));
    view.standups.forEach(function (s) {
      standups.appendChild(el('section', { class: 'standup' }, [
        el('h3', { text: s.name + ' in ' + s.channel }),
        el('div', { class: 'who', text: 'Asks: ' + (s.participants.join(', ') || 'nobody') })
      ].concat(s.questions.map(function (q) { return el('blockquote', {}, segments(q)); }))));
    });
    calendar();
  }
  function poll() {
    fetch('/view.json', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (next) {
      if (next.version !== shown) { shown = next.version; view = next; render(); document.body.setAttribute('data-version', shown); }
    }).catch(function () {}).then(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
`;

const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>team-roles sandbox: what the team sees</title>
<style>
  body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; color: #1d1c1d; background: #f8f8f8; }
  header { background: #3f0e40; color: #fff; padding: 10px 20px; }
  header h1 { font-size: 18px; margin: 0; }
  main { display: grid; grid-template-columns: minmax(320px, 1fr) minmax(320px, 1fr); gap: 16px; padding: 16px 20px; }
  .panel { background: #fff; border: 1px solid #ddd; border-radius: 8px; padding: 12px 16px; }
  .panel h2 { font-size: 15px; margin: 0 0 8px; }
  .conversation h3, .standup h3 { font-size: 14px; margin: 8px 0 4px; color: #555; }
  .message { padding: 6px 0; border-top: 1px solid #f0f0f0; }
  .head { display: flex; gap: 6px; align-items: baseline; }
  .author { font-weight: 700; }
  .badge { font-size: 10px; background: #e8e8e8; border-radius: 3px; padding: 0 3px; color: #555; }
  .kind { font-size: 10px; border-radius: 3px; padding: 0 4px; }
  .kind.ack-reminder { background: #fff3cd; color: #7a5b00; }
  .kind.ack-escalation { background: #f8d7da; color: #842029; }
  .time, .edited, .extra { font-size: 12px; color: #777; }
  .mention { background: #e8f5fa; color: #1264a3; border-radius: 3px; padding: 0 2px; }
  .empty { color: #888; font-style: italic; }
  blockquote { margin: 6px 0; padding-left: 10px; border-left: 3px solid #ddd; }
  .wide { grid-column: 1 / -1; }
  .month-nav { display: flex; gap: 12px; align-items: center; margin-bottom: 8px; }
  .month { font-weight: 700; min-width: 140px; text-align: center; }
  .grid { display: grid; grid-template-columns: repeat(7, 1fr); gap: 2px; }
  .dow { font-size: 12px; color: #777; text-align: center; }
  .day { min-height: 64px; background: #fafafa; border: 1px solid #eee; padding: 2px 4px; }
  .day.blank { background: transparent; border: none; }
  .num { font-size: 11px; color: #888; }
  .member { display: inline-block; margin: 0 6px 2px 0; }
  .leave { font-size: 10px; margin-left: 3px; padding: 0 4px; border: 1px solid #ccc; border-radius: 3px; background: #fff; color: #842029; cursor: pointer; }
  #join-form { margin: 8px 0 4px; display: flex; gap: 6px; }
  .status { font-size: 13px; white-space: pre-line; }
  .status.error { color: #842029; }
  .status .next { color: #555; margin-top: 4px; }
  .hint { font-size: 12px; color: #777; margin: 6px 0 0; }
  .chip.away { background: repeating-linear-gradient(45deg, #f4f4f4, #f4f4f4 4px, #e2e2e2 4px, #e2e2e2 8px); color: #555; font-style: italic; }
  .chip { font-size: 12px; border-radius: 3px; padding: 0 3px; margin-top: 2px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
</style>
</head>
<body>
<header><h1>team-roles sandbox — what the team sees</h1></header>
<main>
  <div class="panel"><h2>Channel posts</h2><div id="channels" data-testid="channels"></div></div>
  <div class="panel"><h2>Direct messages</h2><div id="dms" data-testid="dms"></div></div>
  <div class="panel"><h2>User groups</h2><ul id="usergroups" data-testid="usergroups"></ul>
    <form id="join-form" data-testid="join-form" hidden>
      <select id="join-group" data-testid="join-group" aria-label="group"></select>
      <input id="join-name" data-testid="join-name" placeholder="a new member's name" aria-label="name" autocomplete="off">
      <button type="submit" data-testid="join">Join</button>
    </form>
    <div id="members-status" data-testid="members-status" class="status" aria-live="polite"></div>
    <p class="hint">Joining or leaving here changes the group in the fake Slack, as an admin would in Slack; the sandbox
      then has the rotations read the group again (what <code>team-roles refresh-members</code> does). A few
      (simulated) minutes later each member whose turns moved gets a direct message with before → after, and the
      role's channel a summary; turns inside the frozen window stay as planned.</p>
  </div>
  <div class="panel"><h2>Geekbot standup</h2><div id="standups" data-testid="standups"></div></div>
  <div class="panel wide"><h2>Calendar</h2><div id="calendar" data-testid="calendar"></div></div>
</main>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
