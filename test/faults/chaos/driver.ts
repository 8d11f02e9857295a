/**
 * Drives one workflow through random steps and checks each against the model: every update accepted or refused as
 * the model says, with its reason; every signal applied, or ignored with the model's warning; and the state equal to
 * the model's after every step. Commands sent while a handover runs may be taken in any order relative to it and to
 * each other: the driver keeps every model state consistent with what it observed (usually one).
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { Turn } from '../../../src/domain/types';
import type { RoleStateView } from '../../../src/shared';
import type { roleWorkflow } from '../../../src/workflows';
import { sleep } from '../../support';
import { concrete, type Command, type Message, type Step } from './commands';
import { toldAgreesWithPlan, type ChangeDm } from './notices';
import { describeOutcome, observed, sameOutcome, type Model, type Oracle, type Outcome } from './oracle';
import { queryState, sendSignal, sendUpdate } from './transport';

export interface Stats {
  sequences: number;
  steps: number;
  during: number;
  updatesAccepted: number;
  updatesRejected: number;
  signals: number;
  signalsIgnored: number;
  notReady: number;
  /** Notices withdrawn because a pause stopped their handover, each checked against the standup. */
  withdrawn: number;
  /** Of those, the ones whose notice had a channel post, checked too. */
  withdrawnPosts: number;
  /** Quiet moments at which the plan-change DMs sent since the last one were checked against the plan. */
  changeChecks: number;
  /** Plan-change DMs so checked. */
  changeDms: number;
}

export function zeroStats(): Stats {
  return {
    sequences: 0,
    steps: 0,
    during: 0,
    updatesAccepted: 0,
    updatesRejected: 0,
    signals: 0,
    signalsIgnored: 0,
    notReady: 0,
    withdrawn: 0,
    withdrawnPosts: 0,
    changeChecks: 0,
    changeDms: 0,
  };
}

export function addStats(sum: Stats, more: Stats): Stats {
  const total = { ...sum };
  for (const key of Object.keys(total) as (keyof Stats)[]) total[key] += more[key];
  return total;
}

/**
 * Turns of the plan compared at each quiet moment: fewer than the calendar horizon's (13 here) that a change's
 * notices compare, so that every move within them is one a notice must tell.
 */
const PLAN_TURNS = 10;

export class Chaos {
  /** Every state the workflow may be in, given what was observed (usually one). */
  candidates: Model[];
  readonly stats = zeroStats();
  private readonly trail: string[] = [];
  /** The key of the last withdrawn notice checked against the standup. */
  private withdrawnChecked: string | null = null;
  /** The plan at the last quiet moment, and how many plan-change DMs had been sent by then. */
  private told: { plan: Turn[]; dms: number } | null = null;
  /** The state the last step's check saw. */
  private lastView: RoleStateView | null = null;

  constructor(
    readonly oracle: Oracle,
    readonly handle: WorkflowHandle<typeof roleWorkflow>,
    start: Model,
    /** The warnings of the last state seen. */
    private warnings: string[],
    /** The role's Geekbot standup as the fake holds it: its participants' IDs and its question. */
    private readonly standup: () => { users: string[]; question: string } | undefined,
    /** What the fake Slack holds: the role's plan-change DMs, oldest first; the notice's post for a handover key. */
    private readonly slack: { dms(): ChangeDm[]; noticePost(key: string): string | undefined },
  ) {
    this.candidates = [start];
  }

  async run(steps: Step[]): Promise<void> {
    this.stats.sequences += 1;
    for (const s of steps) {
      this.stats.steps += 1;
      if (s.kind === 'between') await this.between(s.command);
      else await this.during(s.others);
      // A refreshMembers signal leaves the main loop reading the Slack group for a moment; a handoverNow signal sent
      // then waits behind it and is handled with whatever pause state holds by then. Let the refresh finish (the
      // update returns when it has), so that the next step starts from a known state.
      const commands = s.kind === 'between' ? [s.command] : s.others.map((o) => o.command);
      if (commands.some((c) => c.via === 'signal' && c.message.op === 'refreshMembers')) {
        await sendUpdate(this.handle, { op: 'refreshMembers' }, undefined);
      }
      await this.checkNotice();
    }
    await this.checkToldChanges({ wait: false });
  }

  /**
   * Every member is told exactly how their turns moved (issue 16). At a quiet moment (every change told: the role
   * tells one as soon as its loop is free, no quiet period here; the loop at rest) the DMs sent since the last such
   * moment, applied to the plan of then, must give the plan of now (chaos/notices.ts); the plan is the model's, which
   * the workflow's state matched after every step. After a sequence the check takes the state seen last, and runs
   * only if that was quiet and the model certain (one candidate): waiting for quiet and querying again after every
   * sequence cost a third of the run. The DMs sent meanwhile are checked at the next quiet moment. `wait`: poll the
   * state until quiet (the end of a run).
   */
  async checkToldChanges({ wait }: { wait: boolean }): Promise<void> {
    let view = this.lastView;
    for (let i = 0; wait && i < 500 && (!view || view.pendingChanges || view.busy); i++) {
      if (i > 0) await sleep(20);
      view = await this.view();
    }
    if (!view || view.pendingChanges || view.busy) {
      if (wait) this.fail(`changes not told within 10 s: ${view?.busy ?? ''} ${view?.pendingChanges?.summary ?? ''}`);
      return;
    }
    const [model, ...others] = this.candidates;
    if (!model || others.length > 0) return;
    const plan = this.oracle.plan(model, PLAN_TURNS);
    const dms = this.slack.dms();
    if (this.told) {
      const sent = dms.slice(this.told.dms);
      const problems = toldAgreesWithPlan(this.told.plan, plan, sent);
      if (problems.length > 0) this.fail(`the change DMs disagree with the plan:\n    ${problems.join('\n    ')}`);
      this.stats.changeChecks += 1;
      this.stats.changeDms += sent.length;
    }
    this.told = { plan, dms: dms.length };
  }

  /**
   * The notice never names the wrong person (issue 16): paused with a notice out, the loop withdraws it and the
   * standup names the member who keeps serving (two slots: the incoming one, the current one as buddy). When the
   * model says a pause stopped a handover whose notice had gone out, the workflow must show that notice.
   */
  private async checkNotice(): Promise<void> {
    if (!this.candidates.some((m) => m.rotation.paused)) return; // running: no notice to withdraw, no query
    let view = await this.view();
    const modelSaysOut = this.candidates.every((m) => m.rotation.paused && m.noticeOut === m.pending);
    if (modelSaysOut && !view.notice)
      this.fail(`paused during the notice for ${this.candidates[0]!.pending}: the workflow shows no notice out`);
    if (!view.paused || !view.notice) return;
    for (let i = 0; i < 500 && view.paused && view.notice && (!view.notice.withdrawn || view.busy); i++) {
      await sleep(20);
      view = await this.view();
    }
    this.warnings = view.warnings; // the withdrawal's own warning
    if (!view.paused || !view.notice) return;
    if (!view.notice.withdrawn) this.fail(`paused with the notice ${view.notice.key} out: not withdrawn within 10 s`);
    if (view.notice.key === this.withdrawnChecked) return;
    this.withdrawnChecked = view.notice.key;
    this.stats.withdrawn += 1;
    const serving = view.incoming ?? view.current;
    const standup = this.standup();
    if (!serving || !standup) return;
    if (!standup.users.includes(serving.id) || !standup.question.includes(`<@${serving.id}>`))
      this.fail(
        `notice ${view.notice.key} withdrawn while paused: the standup asks ${standup.users.join(', ')}, not ` +
          `${serving.name} (${serving.id}) who keeps serving`,
      );
    const named = view.next;
    if (named && named.id !== serving.id && named.id !== view.current?.id && standup.users.includes(named.id))
      this.fail(`notice ${view.notice.key} withdrawn while paused: the standup still names ${named.name}`);
    // The channel's notice post, edited to say the handover is on hold and who keeps serving.
    const post = this.slack.noticePost(view.notice.key);
    if (post === undefined) return;
    this.stats.withdrawnPosts += 1;
    if (!(post.includes('is on hold') && post.includes(`<@${serving.id}>`)))
      this.fail(`notice ${view.notice.key} withdrawn while paused: the channel post says "${post}"`);
  }

  private note(line: string): void {
    this.trail.push(line);
    if (this.trail.length > 30) this.trail.shift();
  }

  private fail(message: string): never {
    throw new Error(`${this.oracle.role}: ${message}\n  recent steps:\n    ${this.trail.join('\n    ')}`);
  }

  /** The state query; right after continue-as-new the new run answers NotReady for a moment, as documented. */
  private async view(): Promise<RoleStateView> {
    for (let i = 0; ; i++) {
      try {
        return await queryState(this.handle);
      } catch (err) {
        if (i > 200 || !/starting/.test((err as Error).message)) throw err;
        this.stats.notReady += 1;
        await sleep(25);
      }
    }
  }

  private matches(model: Model, view: RoleStateView): boolean {
    return JSON.stringify(this.oracle.view(model)) === JSON.stringify(observed(view));
  }

  private keep(models: Model[], view: RoleStateView, what: string): void {
    const unique = new Map(models.map((m) => [JSON.stringify(m), m]));
    const consistent = [...unique.values()].filter((m) => this.matches(m, view));
    if (consistent.length === 0) {
      const expected = [...unique.values()].slice(0, 3).map((m) => JSON.stringify(this.oracle.view(m)));
      this.fail(
        `after ${what} the workflow's state matches no order of the messages.\n  workflow: ${JSON.stringify(observed(view))}\n` +
          `  model:    ${expected.join('\n  or:       ')}`,
      );
    }
    this.candidates = consistent.slice(0, 64);
    this.warnings = view.warnings;
    this.lastView = view;
  }

  /**
   * What one command does to a model: its outcome as an update, the warning it leaves as a signal (the reason it is
   * ignored, or why the handover it asked for did not happen), and the model after it.
   */
  private expect(m: Model, cmd: Command, message: Message, date: string | undefined) {
    if (message.op === 'handoverNow') {
      const refusal = this.oracle.handoverRefusal(m, date, cmd.via);
      if (refusal) return { outcome: { ok: false, message: refusal } as Outcome, warning: refusal, next: m };
      const day = date ?? m.pending;
      const decision = this.oracle.decide(m, day);
      const warning = decision.handOver ? undefined : (decision.warning ?? undefined);
      const next = this.oracle.handoverStarts(m, day) ? this.oracle.handoverApplies(m, day) : m;
      return { outcome: { ok: true } as Outcome, warning, next };
    }
    const result = this.oracle.change(m, message);
    if ('error' in result) {
      return {
        outcome: { ok: false, message: result.error } as Outcome,
        warning: `${message.op} signal ignored: ${result.error}`,
        next: m,
      };
    }
    return { outcome: { ok: true } as Outcome, warning: undefined, next: this.oracle.changed(m, result.rotation) };
  }

  /** One command on its own: the outcome and the state must be exactly the model's. */
  private async between(cmd: Command): Promise<void> {
    const model = this.candidates[0]!;
    const message = concrete(cmd.message, this.oracle.today());
    const date = message.op === 'handoverNow' ? this.oracle.date(message.date, model) : undefined;
    const label = `${cmd.via} ${message.op} ${JSON.stringify(message.op === 'handoverNow' ? { date } : message)}`;
    this.note(label);

    // What the model expects, from each candidate state (they must all agree on the outcome to be useful).
    const expectations = this.candidates.map((m) => this.expect(m, cmd, message, date));
    if (cmd.via === 'update') {
      const actual = await sendUpdate(this.handle, message, date);
      if (actual.ok) this.stats.updatesAccepted += 1;
      else this.stats.updatesRejected += 1;
      const agreeing = expectations.filter((e) => sameOutcome(e.outcome, actual)).map((e) => e.next);
      if (agreeing.length === 0) {
        this.fail(
          `${label} was ${describeOutcome(actual)}; the model says ${describeOutcome(expectations[0]!.outcome)}`,
        );
      }
      // An accepted update returns the state after it: that is what the model must match.
      this.keep(agreeing, actual.ok && actual.view ? actual.view : await this.view(), label);
      return;
    }
    await this.signal(model, message, date, label, expectations);
  }

  /**
   * A signal cannot be refused: an invalid one is ignored with a warning naming the reason, and a handover it asks
   * for that does not happen says why. The warnings added since the last state seen (a repeat of the last one is not
   * added again) tell which candidate states are possible.
   */
  private async signal(
    model: Model,
    message: Message,
    date: string | undefined,
    label: string,
    expectations: ReturnType<Chaos['expect']>[],
  ): Promise<void> {
    this.stats.signals += 1;
    await sendSignal(this.handle, message, date);
    const [first] = expectations;
    if (message.op === 'handoverNow' && first!.outcome.ok && !model.rotation.paused) {
      // Wait for the handover the signal asked for: an update for a date already handed over changes nothing, and
      // returns once the main loop has taken every request before it.
      await sendUpdate(this.handle, { op: 'handoverNow', date: 'done' }, this.oracle.date('done', model));
    }
    const says = (warning: string, reason: string) => warning.endsWith(reason);
    const shows = (view: RoleStateView, reason: string) => {
      const added = addedWarnings(this.warnings, view.warnings);
      return added.some((w) => says(w, reason)) || (added.length === 0 && says(view.warnings.at(-1) ?? '', reason));
    };
    let view = await this.view();
    // A paused rotation takes a handover request without a reply to wait for: the warning comes as the loop takes it.
    const awaited = message.op === 'handoverNow' ? first!.warning : undefined;
    for (let i = 0; awaited !== undefined && i < 600 && !shows(view, awaited); i++) {
      await sleep(20);
      view = await this.view();
    }
    const added = addedWarnings(this.warnings, view.warnings);
    const possible = expectations
      .filter((e) => {
        if (e.warning !== undefined) return shows(view, e.warning);
        // Applied: no "ignored" warning for it (a handover still running may add warnings of its own).
        return !added.some((w) => w.startsWith(`${message.op} signal ignored:`));
      })
      .map((e) => e.next);
    if (first!.warning !== undefined) this.stats.signalsIgnored += 1;
    if (possible.length === 0) {
      this.fail(
        `${label}: the model says ${first!.warning === undefined ? 'it applies' : `it leaves "${first!.warning}"`}; ` +
          `warnings added: ${JSON.stringify(added)}, the last is "${view.warnings.at(-1) ?? ''}"`,
      );
    }
    this.keep(possible, view, label);
  }

  /** A handoverNow update and, while it runs, other commands: any order of them is allowed. */
  private async during(others: { command: Command; delayMs: number }[]): Promise<void> {
    this.stats.during += 1;
    const messages = others.map(({ command: c }) => ({ ...c, message: concrete(c.message, this.oracle.today()) }));
    this.note(
      `during a handover: ${messages.map((c) => `${c.via} ${c.message.op} ${JSON.stringify(c.message)}`).join(' | ')}`,
    );

    const handover = sendUpdate(this.handle, { op: 'handoverNow', date: 'pending' }, undefined);
    const sent = messages.map(async (c, i) => {
      await sleep(others[i]!.delayMs);
      if (c.via === 'update') return sendUpdate(this.handle, c.message, undefined);
      this.stats.signals += 1;
      await sendSignal(this.handle, c.message, undefined);
      return undefined;
    });
    const [handoverOutcome, ...outcomes] = await Promise.all([handover, ...sent]);
    for (const o of [handoverOutcome, ...outcomes]) {
      if (o?.ok) this.stats.updatesAccepted += 1;
      else if (o) this.stats.updatesRejected += 1;
    }
    const view = await this.view();

    // Tokens: 'v' the handover's validation, 's' its start, 'a' its end; 0..n-1 the other messages.
    type Token = 'v' | 's' | 'a' | number;
    const tokens: Token[] = ['v', 's', 'a', ...messages.map((_, i) => i)];
    const results: Model[] = [];
    for (const order of permutations(tokens)) {
      if (!(order.indexOf('v') < order.indexOf('s') && order.indexOf('s') < order.indexOf('a'))) continue;
      for (const start of this.candidates) {
        let m = start;
        let consistent = true;
        let refused = false;
        let started = false;
        for (const token of order) {
          if (token === 'v') {
            const refusal = this.oracle.handoverRefusal(m, undefined, 'update');
            refused = refusal !== undefined;
            consistent = sameOutcome(refused ? { ok: false, message: refusal! } : { ok: true }, handoverOutcome);
          } else if (token === 's') {
            started = !refused && this.oracle.handoverStarts(m, m.pending);
          } else if (token === 'a') {
            if (started) m = this.oracle.handoverApplies(m, m.pending);
          } else {
            const result = this.oracle.change(m, messages[token]!.message);
            const outcome = outcomes[token];
            if (outcome) {
              const expected: Outcome = 'error' in result ? { ok: false, message: result.error } : { ok: true };
              consistent = sameOutcome(expected, outcome);
            }
            if ('rotation' in result) m = this.oracle.changed(m, result.rotation);
          }
          if (!consistent) break;
        }
        if (consistent) results.push(m);
      }
    }
    if (results.length === 0) {
      this.fail(
        `the outcomes (handover ${describeOutcome(handoverOutcome)}; ${outcomes
          .map((o, i) => `${messages[i]!.message.op} ${o ? describeOutcome(o) : 'signalled'}`)
          .join('; ')}) match no order of the messages`,
      );
    }
    this.keep(results, view, 'a handover with messages during it');
  }
}

/** The warnings `after` has that `before` had not (the list is capped, so its oldest may have dropped out). */
function addedWarnings(before: string[], after: string[]): string[] {
  for (let k = Math.min(before.length, after.length); k > 0; k--) {
    if (JSON.stringify(before.slice(before.length - k)) === JSON.stringify(after.slice(0, k))) return after.slice(k);
  }
  return after;
}

function* permutations<T>(items: T[]): Generator<T[]> {
  if (items.length <= 1) {
    yield [...items];
    return;
  }
  for (let i = 0; i < items.length; i++) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const tail of permutations(rest)) yield [items[i]!, ...tail];
  }
}
