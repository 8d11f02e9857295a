/**
 * The fairness ledger (issue 17): per member, the turns served, the turns skipped and why, and their equal share of
 * the turns since they joined. Plain JSON and bounded, so it travels in the rotation state across continue-as-new.
 *
 * The share, precisely: every handover adds 1/n to the share of each of the n members eligible at it. A member is
 * eligible at a handover when they are in the rotation then: from the first handover after their join takes effect
 * (see the roster rules in rotation.ts) until their leave is seen, whether or not they can serve that turn. So
 * absences count: a member skipped for a holiday keeps earning their share, the missed turn shows as owed, and they
 * pay it back later (under `fairness: balance` at the first turns they can take). Not counting absences would
 * quietly move a holiday's work onto the others, which is what the issue asks to stop.
 *
 * The balance is share − served: positive, the member owes that many turns; negative, they served more than their
 * share. It is counted per membership: a member who leaves and rejoins opens a new account with balance 0, like a
 * late joiner, because the others present meanwhile never shared a period with them and old debt or credit would
 * otherwise follow a person for years. Leaving closes the account; closed accounts are kept for the fairness table,
 * at most `MAX_CLOSED_ACCOUNTS` of them (the most recently closed), which bounds the ledger: open accounts (one per
 * member in the rotation) plus that many.
 *
 * A skip counts once per deferred turn: from the handover at which the member was passed over until they next
 * serve it is one skipped turn, however many handovers the absence spans (their share keeps growing meanwhile).
 */
import { compareMembers, sameMember } from './members';
import type { IsoDate, Member } from './types';

export type LedgerSkipReason = 'absence' | 'operator' | 'left';
export type SkipCounts = Record<LedgerSkipReason, number>;

export interface LedgerEntry {
  member: Member;
  /** The first handover this account was eligible at; null until then. */
  since: IsoDate | null;
  /** The date of the next handover when their leave was seen; null while they are in the group. */
  leftOn: IsoDate | null;
  served: number;
  skipped: SkipCounts;
  /** Their equal share of the turns since `since`: the sum of 1/n over the handovers they were eligible at. */
  share: number;
}

export type FairnessLedger = LedgerEntry[];

/** Closed accounts kept for the fairness table; older ones are dropped (no present member's balance needs them). */
export const MAX_CLOSED_ACCOUNTS = 50;

/** What one handover did, as the ledger needs it. */
export interface HandoverRecord {
  date: IsoDate;
  /** The members in the rotation at this handover; each earns 1/n of it. */
  eligible: readonly Member[];
  /** Who took the turn. */
  served: Member;
  /** Members whose due turn went to someone else at this handover, with why. */
  skipped: readonly { member: Member; reason: LedgerSkipReason }[];
}

const noSkips = (): SkipCounts => ({ absence: 0, operator: 0, left: 0 });

function freshEntry(member: Member): LedgerEntry {
  return { member, since: null, leftOn: null, served: 0, skipped: noSkips(), share: 0 };
}

/** The open account of `member`, if any. */
export function openAccountOf(ledger: FairnessLedger, member: Member): LedgerEntry | undefined {
  return ledger.find((e) => e.leftOn === null && sameMember(e.member, member));
}

/**
 * Opens an account for a member entering the rotation; a rejoin starts a new one at 0 (their closed account stays in
 * the table, within the bound). An open account is kept as it is.
 */
export function openAccount(ledger: FairnessLedger, member: Member): FairnessLedger {
  if (openAccountOf(ledger, member)) return ledger;
  return [...ledger, freshEntry(member)];
}

/** Closes the open account of a member who left, on `date`; keeps at most `MAX_CLOSED_ACCOUNTS` closed ones. */
export function closeAccount(ledger: FairnessLedger, member: Member, date: IsoDate): FairnessLedger {
  if (!openAccountOf(ledger, member)) return ledger;
  const closed = ledger.map((e) => (e.leftOn === null && sameMember(e.member, member) ? { ...e, leftOn: date } : e));
  return boundLedger(closed);
}

/** Reopens the account of a member who came back before their leave took effect (it is the same membership). */
export function reopenAccount(ledger: FairnessLedger, member: Member): FairnessLedger {
  const latest = ledger.filter((e) => sameMember(e.member, member)).at(-1);
  if (!latest || latest.leftOn === null) return openAccount(ledger, member);
  return ledger.map((e) => (e === latest ? { ...e, leftOn: null } : e));
}

/** Display names as the group has them now, for open accounts. */
export function renameAccounts(ledger: FairnessLedger, members: readonly Member[]): FairnessLedger {
  return ledger.map((e) => {
    const fresh = e.leftOn === null ? members.find((m) => m.id === e.member.id) : undefined;
    return fresh && fresh.name !== e.member.name ? { ...e, member: fresh } : e;
  });
}

/**
 * Adds one handover: 1/n of it to each eligible member's share, the turn to the server, the skips to the skipped
 * (each on the member's latest account, so a leaver's `left` skips land on the account they just closed).
 */
export function recordHandover(ledger: FairnessLedger, record: HandoverRecord): FairnessLedger {
  let next = ledger;
  for (const m of record.eligible) next = openAccount(next, m);
  const latest = new Map<string, number>();
  next.forEach((e, index) => latest.set(e.member.id, index));
  const portion = record.eligible.length > 0 ? 1 / record.eligible.length : 0;
  return next.map((entry, index) => {
    if (latest.get(entry.member.id) !== index) return entry;
    const eligible = entry.leftOn === null && record.eligible.some((m) => sameMember(m, entry.member));
    const served = sameMember(record.served, entry.member) ? 1 : 0;
    const skips = record.skipped.filter((s) => sameMember(s.member, entry.member));
    if (!eligible && served === 0 && skips.length === 0) return entry;
    const skipped = { ...entry.skipped };
    for (const s of skips) skipped[s.reason]++;
    return {
      ...entry,
      since: entry.since ?? (eligible ? record.date : null),
      served: entry.served + served,
      skipped,
      share: eligible ? entry.share + portion : entry.share,
    };
  });
}

/** Keeps every open account and the `MAX_CLOSED_ACCOUNTS` most recently closed ones, in their order. */
export function boundLedger(ledger: FairnessLedger): FairnessLedger {
  const closed = ledger.filter((e) => e.leftOn !== null);
  if (closed.length <= MAX_CLOSED_ACCOUNTS) return ledger;
  const dropped = new Set(
    [...closed]
      .sort((a, b) => ((a.leftOn as string) < (b.leftOn as string) ? -1 : a.leftOn === b.leftOn ? 0 : 1))
      .slice(0, closed.length - MAX_CLOSED_ACCOUNTS),
  );
  return ledger.filter((e) => !dropped.has(e));
}

/** share − served: positive, turns owed by the member; negative, turns served beyond their share. */
export function balanceOf(entry: Pick<LedgerEntry, 'share' | 'served'>): number {
  return entry.share - entry.served;
}

/**
 * Balances compared in millionths of a turn, so that float rounding in sums of 1/n never decides between two members
 * whose balances are equal (those ties go by the cyclic order).
 */
export function owedKey(entry: Pick<LedgerEntry, 'share' | 'served'> | undefined): number {
  return entry ? Math.round(balanceOf(entry) * 1e6) : 0;
}

export interface FairnessRow {
  member: Member;
  present: boolean;
  since: IsoDate | null;
  leftOn: IsoDate | null;
  served: number;
  skipped: SkipCounts & { total: number };
  share: number;
  /** share − served, rounded to hundredths: positive owes turns, negative served more than the share. */
  balance: number;
}

/** The fairness table: members in the group first (most owed first, then by name), then those who left. */
export function fairnessTable(ledger: FairnessLedger): FairnessRow[] {
  const round = (x: number) => Math.round(x * 100) / 100 + 0; // + 0 turns -0 into 0
  const rows = ledger.map((e): FairnessRow => ({
    member: e.member,
    present: e.leftOn === null,
    since: e.since,
    leftOn: e.leftOn,
    served: e.served,
    skipped: { ...e.skipped, total: e.skipped.absence + e.skipped.operator + e.skipped.left },
    share: round(e.share),
    balance: round(balanceOf(e)),
  }));
  return rows.sort(
    (a, b) => Number(b.present) - Number(a.present) || b.balance - a.balance || compareMembers(a.member, b.member),
  );
}

/** One step of a rotation's life, as the ledger sees it. */
export type LedgerEvent =
  | { kind: 'enter'; member: Member }
  | { kind: 'leave'; member: Member; date: IsoDate }
  | { kind: 'rejoin'; member: Member }
  | ({ kind: 'handover' } & HandoverRecord);

/** The ledger a sequence of events gives, from an empty one: the definition the rotation keeps incrementally. */
export function ledgerFromEvents(events: readonly LedgerEvent[]): FairnessLedger {
  let ledger: FairnessLedger = [];
  for (const event of events) {
    switch (event.kind) {
      case 'enter':
        ledger = openAccount(ledger, event.member);
        break;
      case 'leave':
        ledger = closeAccount(ledger, event.member, event.date);
        break;
      case 'rejoin':
        ledger = reopenAccount(ledger, event.member);
        break;
      case 'handover':
        ledger = recordHandover(ledger, event);
        break;
    }
  }
  return ledger;
}
