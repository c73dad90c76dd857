// The transfer workflow: one per attended (or blind) transfer, its ID the pair of legs, so that only one can run on a
// pair at a time. It carries out the state machine of transfer-machine.ts: put the parties on hold, originate the
// target, then feed every leg event, deadline and result to `step()` and perform the actions it returns.
//
// Shape: the workflow function registers the message handlers of one `TransferRun` and runs its loop. What an event
// means is the machine's (`toInput`, `step`), when each deadline falls is deadlines.ts; `TransferRun` keeps the state
// between them and performs the machine's actions on the switch.
import {
  condition,
  getExternalWorkflowHandle,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { HandlerUnfinishedPolicy, type SearchAttributeUpdatePair } from '@temporalio/common';
import type { LegPolicy, ResolvedTransfer } from '../activities/policy.ts';
import type { BridgeReply, BridgeWatch, RestorePlan } from '../activities/switch.ts';
import type { OriginatePlan, SavedSettings, StepTiming } from '../activities/types.ts';
import { Deadlines, type DeadlineName } from './deadlines.ts';
import { indexedAtStart } from './transfer-start.ts';
import { EventDeduplicator } from './dedup.ts';
import { transferorSets } from './key-press.ts';
import { NO_KEYS, codeTaken, transferorPressed, type TransferorKeys } from './transferor-keys.ts';
import { waitUntil } from './wait.ts';
import { holdPlan } from '../contracts/hold-plan.ts';
import { callWorkflowId, threeWayConference } from '../contracts/ids.ts';
import { originateOnce, originateOutcome, switchActivities } from './switch-activities.ts';
import {
  auditLegsSignal,
  takebackSignal,
  transferCodeSignal,
  joinTransferSignal,
  originateResultSignal,
  transferEndedSignal,
  transferLegEventsSignal,
  transferQuery,
  transferVerdictUpdate,
  type ChannelEvent,
  type TransferPhase,
  type TransferSummary,
  type TransferType,
} from '../contracts/messages.ts';
import type { FeatureCodeSet } from '../contracts/metaflows.ts';
import type { TransferCodeAction } from '../contracts/transfer-codes.ts';
import { TRANSFER_OUTCOME, TRANSFER_STATE } from '../contracts/search-attributes.ts';
import { handoffMetrics } from './sinks.ts';
import { transferHearing } from './story.ts';
import {
  HANG_UP_ON_PARTIAL_FAILURE,
  auditInputs,
  bridgeEndsTransfer,
  initialState,
  originateInput,
  resume,
  seenLegs,
  step,
  toInput,
  type Action,
  type Input,
  type Legs,
  type MachineState,
  type PartialFailurePolicy,
  type Party,
  type Seen,
} from './transfer-machine.ts';

export interface TransferPlan extends ResolvedTransfer {
  transferId: string;
  node: string;
  type: TransferType;
  transferor: string;
  /** The target leg's UUID, chosen here so that every retry and every event names the same leg. */
  targetLeg: string;
  jobUuid: string;
  startedBy: 'dtmf' | 'api';
  /** The transferor's caller number and the feature code typed (`*2`), for the Temporal UI's summary. */
  from?: string;
  featureCode?: string;
  /** When the transfer was asked for (the feature code complete, the REST request): the `hold` step starts there. */
  requestedAt?: number;
  /**
   * A new run of a transfer whose previous run ended without an outcome (terminated or cancelled by hand): it skips the
   * prologue and starts from what the switch shows (transfer-machine.ts `resume`). Set by the transferor's call
   * workflow (the parent) or, when that has ended, by the ingest's sweep (workers/ingest/transfers.ts).
   */
  resume?: boolean;
  /**
   * The transferor's own feature codes, as its call workflow had read them when it started the transfer: with them the
   * transfer hears its transferor's presses itself (transferor-keys.ts). Absent (a REST transfer on a leg that had
   * pressed no key, a plan from before): the call workflow's signals alone bring the transfer's codes.
   */
  transferorPolicy?: LegPolicy;
}

/**
 * How long after an originate is sent its leg is surely on the switch, or its result (a quick failure) on its way: a
 * leg neither there nor heard of by then was not dialled.
 */
const ORIGINATE_SHOWS_ITSELF_MS = 2000;

export async function transferWorkflow(plan: TransferPlan): Promise<TransferSummary> {
  const run = new TransferRun(plan);
  run.listen();
  return run.run();
}

class TransferRun {
  private readonly sw: ReturnType<typeof switchActivities>;
  private readonly originate: ReturnType<typeof originateOnce>;
  private readonly legs: Legs;
  /** The current recall attempt's originate job. */
  private recallJob = '';
  private readonly policy: PartialFailurePolicy;
  private machine: MachineState;
  private readonly summary: TransferSummary;
  private readonly inbox: Input[] = [];
  /** The switch's time of the event behind an input, when it came from one: where a timed step begins. */
  private readonly seenAt = new WeakMap<Input, number>();
  private readonly dedup = new EventDeduplicator();
  /** The legs and originate jobs the switch has told of (an event, a result): an originate that surely went out. */
  private readonly heardOf = new Set<string>();
  private readonly deadlines = new Deadlines();
  private saved: Record<string, SavedSettings> = {};
  /** The pair a bridge's activity put the settings back for (the bridge ended the transfer), and who was gone then. */
  private restoredBy: { parties: Party[]; gone: Party[] } | undefined;
  /** The ingest asked for a look at the switch (it reconnected: events may have been lost). */
  private auditDue = false;
  /** The state's upsert not yet sent (setPhase): the last state, sent with the next command (flushPhase). */
  private unflushed: { phase: TransferPhase; upsert: SearchAttributeUpdatePair[] } | undefined;
  /** The state as Temporal holds it (set at start: transfer-start.ts indexedAtStart). */
  private indexedPhase: TransferPhase;
  /** The transferor's presses as heard here, and what they are collected with (none without the plan's policy). */
  private keys: TransferorKeys = NO_KEYS;
  private readonly hearing: { sets: FeatureCodeSet[]; policy: LegPolicy } | undefined;

  constructor(private readonly plan: TransferPlan) {
    this.sw = switchActivities(plan.node, { giveUpAfter: '60 seconds' });
    this.originate = originateOnce(plan.node);
    this.legs = {
      transferor: plan.transferor,
      transferee: plan.transferee,
      target: plan.targetLeg,
      recall: '', // chosen per recall attempt
    };
    this.policy = plan.recall
      ? { partialFailure: 'recall', recallAttempts: plan.recall.attempts }
      : HANG_UP_ON_PARTIAL_FAILURE;
    this.machine = initialState(plan.type === 'blind' ? 'partial' : 'ringing', plan.type === 'blind', this.policy);
    this.indexedPhase = indexedAtStart(plan);
    const policy = plan.transferorPolicy;
    if (policy) {
      const transfer = { id: plan.transferId, codes: plan.codes, digitTimeoutMs: plan.digitTimeoutMs };
      this.hearing = { sets: transferorSets(transfer, policy.sets), policy };
    }
    this.summary = {
      transferId: plan.transferId,
      phase: 'starting',
      transferor: plan.transferor,
      transferee: plan.transferee,
      target: plan.target,
      targetLeg: plan.targetLeg,
      type: plan.type,
      startedAt: Date.now(),
    };
  }

  listen(): void {
    setHandler(transferLegEventsSignal, (events: ChannelEvent[]) => {
      for (const event of events) {
        this.heardOf.add(event.uuid);
        if (!this.dedup.isNew(event)) continue;
        if (event.name === 'DTMF') {
          this.heard(event);
          continue;
        }
        const input = this.timed(toInput(event, this.legs), event.at);
        if (input) this.inbox.push(input);
      }
    });
    setHandler(originateResultSignal, (result) => {
      this.heardOf.add(result.jobUuid);
      const input = originateInput(result, { target: this.plan.jobUuid, recall: this.recallJob });
      // The target's answer starts a timed step; a recall's does not.
      if (input) this.inbox.push(this.timed(input, result.jobUuid === this.plan.jobUuid ? result.at : undefined)!);
    });
    setHandler(takebackSignal, ({ by, at, key }) => {
      if (this.fresh(key)) this.inbox.push(this.timed({ type: 'takeback', by }, at)!);
    });
    setHandler(transferCodeSignal, ({ action, by, at, key }) => {
      if (this.fresh(key)) this.inbox.push(this.timed({ type: action, by }, at)!);
    });
    setHandler(auditLegsSignal, () => void (this.auditDue = true));
    setHandler(transferQuery, () => this.view());
    // Abandoned if the run ends undecided (it failed): the asker then reads the closed workflow.
    setHandler(
      transferVerdictUpdate,
      async () => {
        await condition(() => this.view().outcome !== undefined);
        return this.view();
      },
      { unfinishedPolicy: HandlerUnfinishedPolicy.ABANDON },
    );
  }

  /**
   * The outcome as soon as it is decided (the callers are being given back or joined), not only once all is done: a
   * REST cancel_transfer that comes then says the transfer was already ending, and how.
   */
  private view(): TransferSummary {
    const outcome = this.summary.outcome ?? this.machine.outcome ?? this.machine.connecting?.outcome;
    const reason = this.summary.reason ?? this.machine.reason ?? this.machine.connecting?.reason;
    return { ...this.summary, ...(outcome ? { outcome } : {}), ...(reason ? { reason } : {}) };
  }

  async run(): Promise<TransferSummary> {
    if (!this.plan.resume) await this.holdAndDial();
    else {
      try {
        await this.resumeFromSwitch();
      } catch (err) {
        // The switch cannot be read: the legs' own events and deadlines still drive the machine from `ringing`.
        log.error('transfer could not read the switch to resume', { error: String(err) });
        this.startNoAnswerDeadline(this.plan.ringTimeoutS);
      }
    }
    this.setPhase({ batched: true });
    while (!this.over()) {
      if (this.inbox.length === 0) await this.waitForInput();
      else await this.feed(this.inbox.shift()!);
    }
    return this.finish();
  }

  /**
   * The machine listens to the two legs left talking until their settings are back (a hangup there must not park the
   * other in silence): `restoring` is not over.
   */
  private over(): boolean {
    return this.machine.phase === 'ended';
  }

  /**
   * A press of a party's, copied here by the ingest: the transferor's may decide a transfer code (transferor-keys.ts),
   * which is then the machine's input as the call workflow's signal would have been (the transferee's presses are no
   * input of the transfer's).
   */
  private heard(event: ChannelEvent): void {
    if (!this.hearing || event.uuid !== this.plan.transferor) return;
    const heard = transferorPressed(this.keys, this.hearing.sets, this.hearing.policy, event);
    this.keys = heard.keys;
    if (heard.code) this.inbox.push(this.timed(codeInput(heard.code), event.at)!);
  }

  /** A transfer code that ends with press `key` was not acted on yet (the call workflow's signal, or the press). */
  private fresh(key: string | undefined): boolean {
    const taken = codeTaken(this.keys, key);
    this.keys = taken.keys;
    return taken.fresh;
  }

  private timed(input: Input | undefined, at: number | undefined): Input | undefined {
    if (input && at) this.seenAt.set(input, at);
    return input;
  }

  // --- The loop: inputs, deadlines, audits ----------------------------------------------------------------------------

  /** One input through the machine, then its actions on the switch. */
  private async feed(input: Input): Promise<void> {
    if (input.type === 'bridged') this.deadlines.clear('bridge');
    const before = this.machine.phase;
    const { state, actions } = step(this.machine, input);
    this.machine = state;
    if (before !== this.machine.phase || actions.length) {
      log.info('transfer step', { input, from: before, to: this.machine.phase, actions: actions.map((a) => a.do) });
    }
    // Several inputs stepped in one workflow task move the state once for Temporal: the upsert waits for the next
    // command (an action, a wait) and carries the last state.
    this.setPhase({ batched: true });
    if (actions.length) this.flushPhase();
    await this.performAll(actions, stepOf(input, this.seenAt.get(input), this.machine));
  }

  /** Nothing queued: wait for an input, an audit or the earliest deadline; a passed deadline is the machine's input. */
  private async waitForInput(): Promise<void> {
    this.flushPhase();
    const next = this.deadlines.next();
    const woke = await waitUntil(
      () => this.inbox.length > 0 || this.auditDue,
      next?.at,
      next && this.deadlineSummary(next.name),
    );
    if (this.auditDue) {
      this.auditDue = false;
      await this.audit();
      return;
    }
    if (woke) return;
    for (const input of this.deadlines.due(Date.now())) {
      // The no-answer deadline is stepped at once, ahead of what is queued: its look at the ringing leg goes out in the
      // workflow task in which the timer fired, as running transfers' histories have it.
      if (input.type === 'no_answer_deadline') await this.feed(input);
      else this.inbox.push(input);
    }
  }

  /** What the timer of the earliest deadline is for, as the Temporal UI's timeline shows it. */
  private deadlineSummary(name: DeadlineName): string {
    const plan = this.plan;
    if (name === 'bridge') return `bridge confirmation (${plan.bridgeConfirmMs} ms)`;
    if (name === 'recall') return `pause before calling the transferor back (${plan.recall?.delayMs ?? 0} ms)`;
    const ringing = this.machine.phase === 'recalling' ? plan.recall?.ringTimeoutS : plan.ringTimeoutS;
    return `no-answer deadline (${(ringing ?? plan.ringTimeoutS) + 2} s)`;
  }

  /**
   * The ingest reconnected, or the switch refused a bridge: what the switch shows that the machine does not know becomes
   * its inputs. `unread`: the inputs if the switch cannot be read.
   */
  private async audit(unread: Input[] = []): Promise<void> {
    const seen = await this.observe().catch((err: unknown) => {
      log.warn('transfer audit could not read the switch', { error: String(err) });
      return undefined;
    });
    const found = seen ? auditInputs(this.machine, seen) : unread;
    if (found.length) log.warn('transfer audit: the switch disagrees', { seen, inputs: found });
    this.inbox.push(...found);
  }

  /** The parties' legs as the switch shows them now; a bridge counts only when both legs name each other. */
  private async observe(): Promise<Seen> {
    const parties = (Object.keys(this.legs) as Party[]).filter((p) => this.legs[p] !== '');
    // The three-way conference's member list too: a member is in no bridge, and a resumed run must know who is there.
    const states = await this.sw.legStates.executeWithOptions(
      { summary: `read the legs on the switch: ${parties.join(', ')}` },
      [parties.map((p) => this.legs[p]), threeWayConference(this.plan.targetLeg)],
    );
    return seenLegs(this.legs, parties, states);
  }

  private setPhase(opts: { batched?: boolean } = {}): void {
    // Restoring the settings is the end's last chore: the outcome is known, the transfer has ended for its callers.
    const phase = this.machine.phase === 'restoring' ? 'ended' : this.machine.phase;
    const summary = this.summary;
    if (summary.phase === phase) return;
    summary.phase = phase;
    // The Temporal UI's "current details" (served by a query when someone looks; setting them costs nothing).
    setCurrentDetails(
      `**${phase}** · ${transferHearing({ ...summary, outcome: this.machine.outcome, reason: this.machine.reason })}`,
    );
    // A phase that only waits for the switch's answer to one command is not searchable: the state keeps the phase the
    // callers are in until the next one they will be in (each upsert is a billable action).
    if (UNINDEXED_PHASES.has(phase)) return;
    // The outcome goes with the last state, in the same upsert (`npm run ctl -- transfers --outcome`, stats).
    const outcome = phase === 'ended' ? this.machine.outcome : undefined;
    this.unflushed =
      phase === this.indexedPhase
        ? undefined // back where Temporal has it, within one workflow task
        : {
            phase,
            upsert: [
              { key: TRANSFER_STATE, value: phase },
              ...(outcome ? [{ key: TRANSFER_OUTCOME, value: outcome }] : []),
            ],
          };
    if (!opts.batched) this.flushPhase();
  }

  /** The state's changes since the last command, as one upsert: the last state (and its outcome). */
  private flushPhase(): void {
    const pending = this.unflushed;
    if (!pending) return;
    this.unflushed = undefined;
    upsertSearchAttributes(pending.upsert);
    this.indexedPhase = pending.phase;
  }

  // --- The machine's actions ------------------------------------------------------------------------------------------

  private async performAll(actions: Action[], timing?: StepTiming): Promise<void> {
    for (let i = 0; i < actions.length; i++) {
      const action = actions[i]!;
      // Hang-ups followed by a bridge (the takeback) go to the switch in one activity.
      const bridgeAt = bridgeAfterKills(actions, i);
      if (bridgeAt !== undefined) {
        const kills = actions.slice(i, bridgeAt) as Extract<Action, { do: 'kill' }>[];
        const bridge = actions[bridgeAt] as Extract<Action, { do: 'bridge' }>;
        i = bridgeAt;
        try {
          await this.killThenBridge(kills, bridge, timing);
        } catch (err) {
          log.error('transfer action failed', { action: bridge, kills, error: String(err) });
          this.inbox.push({ type: 'bridge_not_confirmed' });
        }
        continue;
      }
      try {
        await this.perform(action, action.do === 'bridge' ? timing : undefined);
      } catch (err) {
        // An action that failed after its retries: the machine hears about it as an unconfirmed bridge or a lost leg.
        log.error('transfer action failed', { action, error: String(err) });
        if (action.do === 'bridge') this.inbox.push({ type: 'bridge_not_confirmed' });
        if (action.do === 'conference') this.inbox.push({ type: 'conference_not_confirmed' });
      }
    }
  }

  /** The kills, then the bridge, in one activity; a leg the switch would not hang up is tried again on its own. */
  private async killThenBridge(
    kills: Extract<Action, { do: 'kill' }>[],
    bridge: Extract<Action, { do: 'bridge' }>,
    timing?: StepTiming,
  ): Promise<void> {
    const legs = this.legs;
    const since = Date.now();
    const result = await this.sw.killThenBridge.executeWithOptions(
      {
        summary: `${kills.map((k) => `uuid_kill ${k.party} ${k.cause}`).join(', ')}, uuid_bridge ${bridge.a} ↔ ${bridge.b}`,
      },
      [
        kills.map((k) => ({ leg: legs[k.party], cause: k.cause })),
        legs[bridge.a],
        legs[bridge.b],
        timing,
        this.watch(),
        this.restoreWith(bridge),
      ],
    );
    this.bridged(result, since, bridge);
    const { notKilled } = result;
    for (const k of kills.filter((k) => notKilled.includes(legs[k.party]))) {
      await this.perform(k).catch((err: unknown) =>
        log.error('transfer action failed', { action: k, error: String(err) }),
      );
    }
  }

  private async perform(action: Action, timing?: StepTiming): Promise<void> {
    const legs = this.legs;
    switch (action.do) {
      case 'bridge':
        return this.bridge(action, timing);
      case 'check_bridge': {
        this.deadlines.clear('bridge');
        const bridged = await this.sw.isBridged.executeWithOptions(
          { summary: `is ${action.a} bridged to ${action.b}? (uuid_dump)` },
          [legs[action.a], legs[action.b]],
        );
        this.inbox.push(bridged ? { type: 'bridged', a: action.a, b: action.b } : { type: 'bridge_not_confirmed' });
        return;
      }
      case 'check_answered':
        return this.checkAnswered(action.party);
      case 'audit':
        // Legs that cannot be read tell nobody gone: the refusal counts as the failed attempt it was.
        return this.audit([{ type: 'bridge_not_confirmed' }]);
      case 'kill':
        return this.sw.kill.executeWithOptions({ summary: `uuid_kill ${action.party} ${action.cause}` }, [
          legs[action.party],
          action.cause,
        ]);
      case 'cancel_no_answer_timer':
        this.deadlines.clear('noAnswer');
        return;
      case 'restore':
        return this.restore(action.parties);
      case 'recall':
        return this.recallTransferor();
      case 'wait_before_recall':
        this.deadlines.set('recall', Date.now() + (this.plan.recall?.delayMs ?? 0));
        return;
      case 'conference':
        return this.joinConference(action.alone);
      case 'music':
        await this.sw.playMusic.executeWithOptions({ summary: `music for the ${action.party}` }, [
          legs[action.party],
          this.plan.moh,
        ]);
        return;
    }
  }

  /** uuid_bridge (out of the three-way conference as it is, or after stopping what plays); confirmed by its event. */
  private async bridge(action: Extract<Action, { do: 'bridge' }>, timing?: StepTiming): Promise<void> {
    const legs = this.legs;
    const since = Date.now();
    if (action.fromConference) {
      const result = await this.sw.bridgeMembers.executeWithOptions(
        { summary: `uuid_bridge ${action.a} ↔ ${action.b} out of the three-way, until its CHANNEL_BRIDGE` },
        [legs[action.a], legs[action.b], this.watch()],
      );
      return this.bridged(result, since, action);
    }
    const restore = this.restoreWith(action);
    const result = await this.sw.bridgeAndConfirm.executeWithOptions(
      {
        summary: `uuid_bridge ${action.a} ↔ ${action.b}, until its CHANNEL_BRIDGE${restore ? ', then their settings' : ''}`,
      },
      [legs[action.a], legs[action.b], this.watch(), timing, restore],
    );
    this.bridged(result, since, action);
  }

  /**
   * What a bridge activity waits for: its CHANNEL_BRIDGE up to the bridge deadline, or a hangup of any of our legs
   * still up (a leg known gone is left out: its hangup's events, late on the node worker's own event stream, would end
   * the wait of the bridge its hangup asked for).
   */
  private watch(): BridgeWatch {
    const legs = this.legs;
    const up = (Object.keys(legs) as Party[]).filter((p) => legs[p] !== '' && this.machine.alive[p]);
    return { withinMs: this.plan.bridgeConfirmMs, legs: up.map((p) => legs[p]) };
  }

  /** A bridge that ends the transfer: the settings its activity puts back once the bridge is confirmed. */
  private restoreWith(pair: { a: Party; b: Party }): RestorePlan | undefined {
    this.restoredBy = undefined;
    if (!bridgeEndsTransfer(this.machine)) return undefined;
    return [pair.a, pair.b].map((p) => ({ leg: this.legs[p], saved: this.saved[this.legs[p]] }));
  }

  /**
   * The switch's answer to uuid_bridge (sent at `since`): refused at once; confirmed by its CHANNEL_BRIDGE, which the
   * activity saw (`confirmed`); or the bridge deadline runs, and the leg events that come (or, once it passes, a look
   * at the switch) decide. Confirmed in the activity, the bridge needs no timer, and the machine hears it without the
   * event's trip through the ingest and a signal.
   */
  private bridged(result: string | BridgeReply, since: number, pair?: { a: Party; b: Party }): void {
    const { reply, bridged, gone } = typeof result === 'string' ? { reply: result, bridged: false } : result;
    if (!reply.startsWith('-ERR')) {
      const deadline = since + this.plan.bridgeConfirmMs;
      if (bridged && pair) {
        // Ahead of whatever came while the activity waited: the switch bridged the pair before any of our legs hung up.
        this.inbox.unshift({ type: 'bridged', a: pair.a, b: pair.b });
        const parties = [pair.a, pair.b];
        if (gone) this.restoredBy = { parties, gone: parties.filter((p) => gone.includes(this.legs[p])) };
      } else if (deadline > Date.now()) this.deadlines.set('bridge', deadline);
      else this.inbox.push({ type: 'bridge_deadline' });
      return;
    }
    // `-ERR Invalid uuid`: a leg of the pair does not exist (FreeSWITCH's reply for either side missing): the legs are
    // read, not the same pair tried again.
    const refused = /^-ERR Invalid uuid/i.test(reply);
    this.inbox.push({ type: refused ? 'bridge_refused' : 'bridge_not_confirmed' });
  }

  /** The three-way: `alone` first, then the transferor with its peer; answered from the conference's member list. */
  private async joinConference(alone: Party): Promise<void> {
    const peer: Party = alone === 'transferee' ? 'target' : 'transferee';
    const joined = await this.sw.joinConference.executeWithOptions(
      { summary: `three-way: ${alone} into the conference, then the transferor with the ${peer}` },
      [
        {
          conference: threeWayConference(this.plan.targetLeg),
          profile: this.plan.conferenceProfile ?? 'default',
          alone: this.legs[alone],
          transferor: this.legs.transferor,
          peer: this.legs[peer],
        },
      ],
    );
    this.inbox.push({ type: joined ? 'conferenced' : 'conference_not_confirmed' });
  }

  /** Puts the legs' own settings back; the machine hears `restored`, with the legs the switch no longer had. */
  private async restore(parties: Party[]): Promise<void> {
    const done = this.restoredBy;
    this.restoredBy = undefined;
    if (done && parties.length === done.parties.length && parties.every((p) => done.parties.includes(p))) {
      // The bridge's activity put them back as soon as the switch bridged the pair.
      this.inbox.push({ type: 'restored', gone: done.gone });
      return;
    }
    const legs = this.legs;
    let gone: Party[] = [];
    try {
      // A node worker from before this result existed answers nothing: nobody is known gone.
      const missing: string[] | undefined = await this.sw.restoreSettings.executeWithOptions(
        { summary: `restore the settings of ${parties.join(' and ')}` },
        [parties.map((p) => ({ leg: legs[p], saved: this.saved[legs[p]] }))],
      );
      gone = parties.filter((p) => missing?.includes(legs[p]));
    } finally {
      this.inbox.push({ type: 'restored', gone });
    }
  }

  /** The ringing leg, read when our no-answer deadline passed: answered after all, or not. */
  private async checkAnswered(party: 'target' | 'recall'): Promise<void> {
    const ringing = await this.sw.legState(this.legs[party]).catch(() => undefined);
    if (ringing?.exists && ringing.answered) {
      this.inbox.push({ type: party === 'recall' ? 'recall_answered' : 'target_answered' });
      return;
    }
    this.inbox.push({ type: 'no_answer_timeout' });
  }

  /** The switch's originate_timeout ends the ringing; this deadline is ours, in case its answer never comes. */
  private startNoAnswerDeadline(ringTimeoutS: number): void {
    this.deadlines.set('noAnswer', Date.now() + (ringTimeoutS + 2) * 1000);
  }

  /** Calls the transferor back on a new leg; it rings like a target, under its own no-answer deadline. */
  private async recallTransferor(): Promise<void> {
    const plan = this.plan;
    const recall = plan.recall!;
    this.legs.recall = uuid4();
    this.recallJob = uuid4();
    this.summary.recallLeg = this.legs.recall;
    try {
      await this.dial(this.originatePlan(this.legs.recall, this.recallJob, recall), { type: 'recall_answered' });
      this.startNoAnswerDeadline(recall.ringTimeoutS);
    } catch (err) {
      log.error('could not call the transferor back', { error: String(err) });
      this.inbox.push({ type: 'recall_failed', cause: 'RECALL_FAILED' });
    }
  }

  /** The originate of the target leg, or of a recall leg (`how`: the plan's, or its recall's, dial string and caller ID). */
  private originatePlan(
    leg: string,
    jobUuid: string,
    how: Pick<OriginatePlan, 'dialString' | 'ringTimeoutS' | 'callerIdName' | 'callerIdNumber'>,
  ): OriginatePlan {
    return {
      transferId: this.plan.transferId,
      targetLeg: leg,
      jobUuid,
      dialString: how.dialString,
      ringTimeoutS: how.ringTimeoutS,
      callerIdName: how.callerIdName,
      callerIdNumber: how.callerIdNumber,
      vars: this.plan.vars,
    };
  }

  /**
   * Dials a leg; throws if it surely was not sent. When the command may have gone out (its activity failed after the
   * worker took it: the worker died, the reply was lost), the switch is read: a leg already answered is an answer, a
   * leg there or heard of (its result, its events) went out, and its own events or the no-answer deadline decide. A leg
   * neither there nor heard of once the switch has had time to show it never reached the switch (the worker died
   * before sending): it is sent once more. Never more than that: a second originate after a first whose leg failed
   * unheard would dial the target twice (switch-activities.ts originateOnce).
   */
  private async dial(o: OriginatePlan, answered: Input): Promise<void> {
    const giveUpAt = Date.now() + (o.ringTimeoutS + 2) * 1000;
    let sentAgain = false;
    for (;;) {
      const sentAt = Date.now();
      try {
        await this.originate.executeWithOptions({ summary: `originate ${o.dialString} (once)` }, [o]);
        return;
      } catch (err) {
        const outcome = originateOutcome(err);
        if (outcome === 'refused') throw err;
        if (outcome === 'not_sent') {
          if (Date.now() < giveUpAt) continue; // no node worker took it: sending it is safe
          throw err;
        }
        // Before this patch a command that may have gone out was never sent again, whatever the switch showed.
        const mayResend = !sentAgain && patched('originate-sent-again');
        const heard = () => this.heardOf.has(o.targetLeg) || this.heardOf.has(o.jobUuid);
        log.warn('originate outcome unknown: reading the switch', { leg: o.targetLeg, error: String(err) });
        // A sent originate's leg is on the switch within milliseconds, and a quick failure's result follows the reply:
        // a worker's death is seen only after its heartbeat timeout, a lost reply at once.
        const shownBy = sentAt + ORIGINATE_SHOWS_ITSELF_MS;
        if (mayResend && !heard() && Date.now() < shownBy) await waitUntil(heard, shownBy);
        const leg = await this.sw.legState
          .executeWithOptions({ summary: 'the originate reply was lost: read the leg' }, [o.targetLeg])
          .catch(() => undefined);
        if (leg?.exists && leg.answered) this.inbox.push(answered);
        if (mayResend && leg?.exists === false && !heard() && Date.now() < giveUpAt) {
          log.warn('the originate never reached the switch: sending it once more', { leg: o.targetLeg });
          sentAgain = true;
          continue;
        }
        return;
      }
    }
  }

  // --- Start and end --------------------------------------------------------------------------------------------------

  /** Prologue: tell the transferee's call workflow to forward its leg's events, put both parties on hold, dial. */
  private async holdAndDial(): Promise<void> {
    const plan = this.plan;
    const joined = getExternalWorkflowHandle(callWorkflowId(plan.transferee))
      .signal(joinTransferSignal, { transferId: plan.transferId, role: 'transferee' })
      .then(
        () => true,
        () => false,
      );
    const transfereeGone = () => this.inbox.push({ type: 'hangup', party: 'transferee', cause: 'NORMAL_CLEARING' });
    // Usually the transferor's call workflow put the parties on hold as it resolved the transfer (onHold): the target
    // is dialled at once, and the signal's answer is taken when it comes.
    if (plan.onHold) void joined.then((reached) => reached || transfereeGone());
    try {
      // Otherwise the hold goes out in the same workflow task as the signal: the caller's music does not wait for the
      // signal's round trip.
      const [reached, held] = plan.onHold
        ? [true, plan.onHold]
        : await Promise.all([
            joined,
            this.sw.holdForTransfer.executeWithOptions(
              { summary: 'hold: music for the transferee, ringback for the transferor' },
              [holdPlan(plan)],
            ),
          ]);
      if (!reached) transfereeGone();
      this.saved = held.saved;
      if (!held.alive.transferee) transfereeGone();
      if (!held.alive.transferor && plan.type !== 'blind') {
        this.inbox.push({ type: 'hangup', party: 'transferor', cause: 'NORMAL_CLEARING' });
      }
      await this.dial(this.originatePlan(plan.targetLeg, plan.jobUuid, plan), { type: 'target_answered' });
      this.startNoAnswerDeadline(plan.ringTimeoutS);
    } catch (err) {
      log.error('transfer could not start; giving the parties back to each other', { error: String(err) });
      this.inbox.unshift({ type: 'target_failed', cause: 'TRANSFER_SETUP_FAILED' });
      if (!plan.onHold && !(await joined)) transfereeGone();
    }
  }

  /** A resumed run: the previous one left the legs as they are; carry on from what the switch shows. */
  private async resumeFromSwitch(): Promise<void> {
    this.saved = await this.sw.savedSettings.executeWithOptions({ summary: 'read the settings saved on the legs' }, [
      this.plan.transferId,
      [this.plan.transferor, this.plan.transferee],
    ]);
    const seen = await this.observe();
    const { state, actions } = resume(seen, this.plan.type === 'blind', this.policy);
    this.machine = state;
    log.warn('transfer resumed from the switch', { seen, phase: state.phase, actions: actions.map((a) => a.do) });
    // A target still ringing gets a new deadline (the switch's originate_timeout still runs too).
    if (state.phase === 'ringing' || state.phase === 'partial') this.startNoAnswerDeadline(this.plan.ringTimeoutS);
    await this.performAll(actions);
  }

  /** The outcome: searchable, told to the parties still on the call, counted. */
  private async finish(): Promise<TransferSummary> {
    const summary = this.summary;
    summary.outcome = this.machine.outcome;
    summary.reason = this.machine.reason;
    summary.endedAt = Date.now();
    this.flushPhase();
    this.setPhase();
    // Only parties still on the call are told: a call workflow that has ended cannot take a signal, and the failed
    // signal would show red in this transfer's history.
    for (const party of ['transferor', 'transferee'] as const) {
      if (!this.machine.alive[party]) continue;
      await getExternalWorkflowHandle(callWorkflowId(this.legs[party]))
        .signal(transferEndedSignal, { ...summary })
        .catch(() => undefined); // that call has ended after all
    }
    if (summary.outcome) handoffMetrics.transferEnded(summary.outcome);
    log.info('transfer ended', {
      outcome: summary.outcome,
      reason: summary.reason,
      workflowId: workflowInfo().workflowId,
    });
    return summary;
  }
}

/**
 * Phases the transfer is in only while one switch command is answered (a bridge awaiting its CHANNEL_BRIDGE, the
 * three-way's join reading the member list): the query and the UI's current details show them, the search attribute
 * does not.
 */
const UNINDEXED_PHASES: ReadonlySet<TransferPhase> = new Set(['connecting', 'joining']);

/** Where actions[i] starts hang-ups that a plain bridge follows (none of them a conference's): that bridge's index. */
function bridgeAfterKills(actions: Action[], i: number): number | undefined {
  let j = i;
  while (actions[j]?.do === 'kill') j++;
  const next = actions[j];
  return j > i && next?.do === 'bridge' && !next.fromConference ? j : undefined;
}

/** Which of the benchmark's steps a bridge completes, from the input that asked for it (`since`: its event's time). */
function stepOf(input: Input, since: number | undefined, machine: MachineState): StepTiming | undefined {
  const c = machine.connecting;
  if (since === undefined || !c || c.attempts !== 1) return undefined;
  if (c.goal === 'consult' && input.type === 'target_answered') return { step: 'consult', since };
  if (c.goal === 'complete' && input.type === 'hangup' && input.party === 'transferor')
    return { step: 'complete', since };
  if (c.goal === 'reconnect' && input.type === 'takeback' && input.by === 'takeback')
    return { step: 'takeback', since };
  return undefined;
}

/** A transfer code typed, as the machine's input: what the transferor's call workflow signals for it. */
function codeInput(code: TransferCodeAction): Input {
  return code === 'takeback' ? { type: 'takeback', by: 'takeback' } : { type: code, by: 'code' };
}
