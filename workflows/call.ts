// The call workflow: one per leg (FreeSWITCH channel UUID = Kazoo call-id), fed by the ingest with that leg's events.
// It knows the leg (account, node, answered, bridged peer), interprets the caller's digits with the account's
// metaflows, and starts, follows and cancels transfers. It never touches the switch except through activities.
//
// Shape: the workflow function registers the message handlers of one `CallLeg` and runs its loop. What an event does
// to the call is the pure reducer of call-state.ts, what a feature code asks for is feature-codes.ts; `CallLeg` keeps
// the state between them and performs the effects (search attributes, activities, signals, child workflows).
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  currentUpdateInfo,
  getExternalWorkflowHandle,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError, type SearchAttributeUpdatePair } from '@temporalio/common';
import type { LegPolicy } from '../activities/policy.ts';
import { applyEvent, forwardsToTransfer, newCall, transferEnded, transferJoined } from './call-state.ts';
import {
  carriedCollector,
  DEFAULT_DIGIT_TIMEOUT_MS,
  emptyCollector,
  endHeldWait,
  quietEnded,
  restartsDigitTimer,
  timerFired,
  type CollectorState,
  type FeatureCodeMatch,
  type HeldWait,
} from './collector.ts';
import { EventDeduplicator, type DedupState } from './dedup.ts';
import { featureCodeAction } from './feature-codes.ts';
import {
  collect,
  collectorOptions,
  doneAtOnce,
  keptIdle,
  keptOpen,
  reopenAt,
  sentBefore,
  pressOn,
  readGaveUp,
  readsAgain,
  transferorSets,
  type KeyPress,
  type LegDigits,
  type OpenPress,
  type TakenPress,
} from './key-press.ts';
import {
  NO_PRIVATE_DIGITS,
  afterStep,
  masked,
  privateCollection,
  unmasked,
  type PrivateAction,
  type PrivateDigits,
} from './private-codes.ts';
import { HANGUP_CAUSE_PATTERN } from '../contracts/grammar.ts';
import { keyPressId, transferWorkflowId } from '../contracts/ids.ts';
import {
  MAX_TRANSFER_RESUMES,
  breakMediaUpdate,
  callQuery,
  takebackSignal,
  takebackUpdate,
  transferCodeSignal,
  transferCodeUpdate,
  holdUpdate,
  type HoldRequest,
  channelEventsSignal,
  hangupCallUpdate,
  joinTransferSignal,
  requestTransferUpdate,
  transferEndedSignal,
  transferLegEventsSignal,
  type CallSummary,
  type ChannelEvent,
  type TransferAccepted,
  type TransferAsk,
  type TransferSummary,
  type TransferCodeRequest,
  type TransferType,
} from '../contracts/messages.ts';
import type { FeatureCodeSet } from '../contracts/metaflows.ts';
import type { TransferCodeAction, TransferCodes } from '../contracts/transfer-codes.ts';
import { NO_TRANSFER, REQUEST_CONFLICT, isTransferRefusalReason, refuse } from '../contracts/refusals.ts';
import {
  parseTransferRequestId,
  recall,
  remember,
  type RequestAnswer,
  type RequestMemory,
  type TransferRequestRef,
} from '../contracts/requests.ts';
import { ACCOUNT_ID, CALL_STATE } from '../contracts/search-attributes.ts';
import { callHearing, transferHearing } from './story.ts';
import { ingestActivities, switchActivities } from './switch-activities.ts';
import { transferStartOptions } from './transfer-start.ts';
import { transferWorkflow, type TransferPlan } from './transfer.ts';

export interface CallStart {
  callId: string;
  node: string;
  /** Events per run before continue-as-new (default EVENTS_PER_RUN); tests set it low. */
  eventsPerRun?: number;
  /**
   * The leg's state when the workflow starts after the leg did (call workflows on demand, workflows/call-start.ts): taken
   * before anything else, so that a REST request's validator sees the leg as it is.
   */
  initial?: ChannelEvent[];
}

/** What a call carries across continue-as-new (it continues only while no transfer runs). */
export interface CallCarried {
  summary: CallSummary;
  dedup: DedupState;
  /** The feature codes listening to the leg and a collection in progress: a code typed across the two runs works. */
  policy?: LegPolicy;
  collector?: CollectorState;
  /** Answers to REST transfer requests, so that a retry gets the same answer (requests.ts). */
  requests?: RequestMemory;
  resumes?: number;
  /** A private code's mask on the peer's ear, and the digits it dropped (private-codes.ts). */
  privateDigits?: PrivateDigits;
  /** Key presses that did nothing, since the last that did: taken again after earlier presses that come late. */
  idleDigits?: ChannelEvent[];
  /** Key presses since the last that acted on the switch, each with the digit state before it (`inSwitchOrder`). */
  openPresses?: OpenPress[];
}

/** An event earlier than one the call has taken; `stale`: a later state change was taken already. */
interface Late {
  event: ChannelEvent;
  stale: boolean;
}

/**
 * The switch plays the hold music only once the bridge has carried ~200 ms of media (a hold sooner than that is
 * silence for both): a hold waits until this long after the leg's last bridge.
 */
const HOLD_AFTER_BRIDGE_MS = 300;

/** History stays small: a long call starts afresh (with its state) after this many events. */
const EVENTS_PER_RUN = 2000;

export async function callWorkflow(start: CallStart, carried?: CallCarried): Promise<CallSummary> {
  const leg = new CallLeg(start, carried);
  // Handlers first, before any await: signals that arrived with the start are delivered to them.
  leg.listen();
  return leg.run();
}

/** The transfer this leg takes part in, and in which role. */
interface LegTransfer {
  id: string;
  role: 'transferor' | 'transferee';
  digitTimeoutMs?: number;
  /** The codes the transferor may press (the transferee's leg has none). */
  codes?: TransferCodes;
}

class CallLeg {
  // A caller waits on these (their feature code, their REST request): give up sooner than a transfer would.
  private readonly sw: ReturnType<typeof switchActivities>;
  private call: CallSummary;
  /** What the ingest set at start (a run started before it did so has neither): not upserted again. */
  private readonly atStart = workflowInfo().typedSearchAttributes;
  /** The search attributes Temporal holds for this run, and what changed since the last upsert (see `index`). */
  private readonly indexed: SearchIndex;
  private readonly dedup: EventDeduplicator;
  private readonly inbox: ChannelEvent[] = [];
  private processed = 0;
  private transfer: LegTransfer | undefined;
  private policy: LegPolicy | undefined;
  private collector: CollectorState | undefined;
  /** The transfer whose codes the collector's sets start with (they come first while this leg is its transferor). */
  private collectorOf: string | undefined;
  /**
   * The last digit collected for a running transfer: the switch's time of it (when a transfer code was complete on the
   * switch), and which press it was (the transfer may have acted on the code from its own copy of the press).
   */
  private lastDigit: { at: number; id?: string } | undefined;
  /** The peer this leg holds (Kazoo's `hold`), and the switch's time of the leg's last bridge. */
  private held: { peer: string } | undefined;
  private bridgedAt: number | undefined;
  private privateDigits: PrivateDigits;
  /** A give-back of the parties a resolve that gave up may have held (giveBackHeld), until it is done. */
  private givingBack: Promise<void> | undefined;
  /** The plan of this call's transfer when its workflow ended without an outcome; resumed by the main loop. */
  private lostTransfer: TransferPlan | undefined;
  private resumes: number;
  private requests: RequestMemory;
  /**
   * The digit timeout's timer, kept across the digits of a code: it fires at the deadline it was started for, and a
   * new one starts then only if the deadline has moved on (a later digit), not one per digit.
   */
  private digitTimer: RunningTimer | undefined;
  /** A wait for digits the ingest may still hold (collector.ts `heldWait`): its timer says so. */
  private heldWait: HeldWait | undefined;
  /** The ingest said it holds none of this leg's presses during that wait (`askIngest`): it ends now. */
  private noneHeld: HeldWait | undefined;
  private idleDigits: ChannelEvent[];
  /** Presses since the last that acted on the switch (key-press.ts `OpenPress`): emptied where a command is sent. */
  private openPresses: OpenPress[];
  /**
   * When a read of the leg's feature codes last gave up (the switch did not answer), on the switch's clock
   * (key-press.ts `readGaveUp`): presses before it read no more.
   */
  private policyGaveUp: number | undefined;

  constructor(
    private readonly start: CallStart,
    private readonly carried: CallCarried | undefined,
  ) {
    this.sw = switchActivities(start.node, { giveUpAfter: '30 seconds' });
    this.call = carried?.summary ?? newCall(start.callId, start.node);
    if (!carried) {
      for (const event of start.initial ?? []) {
        this.call = applyEvent(this.call, event, start.callId, false);
        // A snapshot of a bridged leg is as of its bridge: a hold waits for the bridge's media as after a bridge seen.
        if (event.otherLeg) this.bridgedAt = event.at;
      }
      this.call.accountId ??= this.atStart.get(ACCOUNT_ID);
    }
    this.dedup = new EventDeduplicator(carried?.dedup);
    this.policy = carried?.policy;
    this.collector = carried?.collector && carriedCollector(carried.collector);
    this.resumes = carried?.resumes ?? 0;
    this.requests = carried?.requests ?? {};
    this.indexed = new SearchIndex(this.atStart.get(ACCOUNT_ID), this.atStart.get(CALL_STATE));
    this.privateDigits = carried?.privateDigits ?? NO_PRIVATE_DIGITS;
    this.idleDigits = carried?.idleDigits ?? [];
    this.openPresses = (carried?.openPresses ?? []).map(({ event, before }) => ({
      event,
      before: { ...before, collector: before.collector && carriedCollector(before.collector) },
    }));
  }

  listen(): void {
    setHandler(channelEventsSignal, (events) => void this.inbox.push(...events));
    setHandler(callQuery, () => ({ ...this.call, ...(this.transfer ? { activeTransferId: this.transfer.id } : {}) }));
    setHandler(joinTransferSignal, ({ transferId, role }) => {
      this.transfer = { id: transferId, role };
      this.update(transferJoined(this.call));
    });
    setHandler(transferEndedSignal, (ended: TransferSummary) => this.onTransferEnded(ended));
    setHandler(requestTransferUpdate, (ask) => this.requestTransfer(ask), {
      validator: (ask) => this.validateRequest(ask),
    });
    setHandler(takebackUpdate, () => this.takeBack(), { validator: () => void this.runningTransfer() });
    setHandler(holdUpdate, ({ action }) => this.holdCall(action).then(() => this.call), {
      validator: ({ action }) => this.validateHold(action),
    });
    setHandler(transferCodeUpdate, ({ action }) => this.transferCodeRequest(action), {
      validator: ({ action }) => {
        if (action !== 'three_way' && action !== 'swap') throw new Error('action must be three_way or swap');
        this.transferorOf();
      },
    });
    setHandler(hangupCallUpdate, async ({ cause }) => {
      await this.sw.kill(this.start.callId, cause && HANGUP_CAUSE_PATTERN.test(cause) ? cause : 'NORMAL_CLEARING');
    });
    setHandler(breakMediaUpdate, async () => {
      await this.sw.breakMedia(this.start.callId);
    });
  }

  async run(): Promise<CallSummary> {
    // The ingest sets HandoffNode, and now the state and account too, when it starts the workflow; the call's state is
    // ours to keep from then on. A run the ingest started without a state sets it here, as it always did.
    if (!this.carried && this.atStart.get(CALL_STATE) === undefined) this.indexed.setPhaseNow(this.call.phase);
    this.showDetails();

    while (this.call.phase !== 'ended') {
      const woke = await this.waitForInput();
      if (this.lostTransfer) {
        const plan = this.lostTransfer;
        this.lostTransfer = undefined;
        await this.resumeTransfer(plan);
        continue;
      }
      if (!woke) {
        await this.onCollectorTimeout();
        continue;
      }
      await this.takeBatch();
      await this.continueAsNewWhenIdle();
    }
    // The call ended while a private code was typed: the peer, which may stay on (a transfer's), hears digits again.
    if (this.privateDigits.mask && this.privateDigits.mask.until === undefined) await this.keepPrivate(false);
    // The transferor gone is one reason to give the parties back: the transferee must not stay on hold for it.
    await this.givingBack;
    await condition(allHandlersFinished);
    return this.call;
  }

  // --- The leg's events ----------------------------------------------------------------------------------------------

  /** Waits for an event (or a lost transfer): true; or for the digit timeout of a code being typed: false. */
  private async waitForInput(): Promise<boolean> {
    const wake = () => this.inbox.length > 0 || this.lostTransfer !== undefined;
    for (;;) {
      const deadline = this.collector?.deadline;
      const timer = this.digitTimer;
      if (timer && (timer.fired || deadline === undefined || this.restartsTimer(timer, deadline))) {
        // Fired, or its deadline went, or a timer started now ends the code sooner: it has done its part.
        if (!timer.fired) timer.scope.cancel();
        this.digitTimer = undefined;
        if (timer.fired && deadline !== undefined && deadline <= Date.now()) return false;
      }
      if (deadline !== undefined && !this.digitTimer) {
        const summary = deadline === this.heldWait?.until ? HELD_DIGITS_TIMER_SUMMARY : DIGIT_TIMER_SUMMARY;
        this.digitTimer = startTimer(deadline, summary);
      }
      await condition(() => wake() || this.digitTimer?.fired === true || this.heldWaitOver());
      if (wake()) return true;
      if (this.heldWaitOver()) return false;
    }
  }

  /**
   * Whether the code's timer is started again for `deadline` (collector.ts `restartsDigitTimer`). Before the cluster's
   * timer shift was weighed, a timer was started again only when the deadline came sooner than it; then, until a
   * restart had to end the code half a shift sooner, whenever it ended it sooner at all. A run from either replays as
   * it ran: each patch is asked only where its rule and the one before it differ.
   */
  private restartsTimer(timer: RunningTimer, deadline: number): boolean {
    const shift = this.policy?.timerShiftMs;
    const before = deadline < timer.at;
    const sooner = restartsDigitTimer(timer, deadline, Date.now(), shift);
    const worthIt = restartsDigitTimer(timer, deadline, Date.now(), shift, true);
    if (sooner === before && worthIt === before) return before;
    // The newest rule first: a run of now records one marker, not one per rule.
    if (patched('digit-timer-worth-it')) return worthIt;
    return sooner !== before && patched('digit-timer-shift') ? sooner : before;
  }

  /** What the inbox holds: each new event applied, digits interpreted, what the transfer needs forwarded to it. */
  private async takeBatch(): Promise<void> {
    const fresh: ChannelEvent[] = [];
    const late: Late[] = [];
    for (const event of this.inbox.splice(0)) {
      const arrival = this.dedup.classify(event);
      if (arrival === 'new') fresh.push(event);
      else if (arrival === 'late' || arrival === 'stale') late.push({ event, stale: arrival === 'stale' });
    }
    this.processed += fresh.length + late.length;
    const forward: ChannelEvent[] = [];
    for (const { event, stale, again } of this.inSwitchOrder(late)) {
      if (again) await this.onDigitEvent(event);
      // A state change older than one applied already is out of date; a key press is never out of date.
      else if (!stale || event.name === 'DTMF') await this.take(event, forward);
    }
    // Most events need no command (a key press that starts, continues or ends no code): taken without an await, so
    // that a batch of a flooding leg's presses costs its workflow task little (each promise a workflow creates costs a
    // stack trace in the SDK's sandbox, some 0.1 ms with the bundle's source map).
    for (const event of fresh) {
      this.apply(event, forward);
      if (!this.tookAtOnce(event)) await this.onDigitEvent(event);
    }
    this.indexed.flush(this.call);
    if (forward.length && this.transfer) {
      await getExternalWorkflowHandle(this.transfer.id)
        .signal(transferLegEventsSignal, forward)
        .catch((err) => log.warn('transfer gone before our events reached it', { error: String(err) }));
    }
  }

  private async take(event: ChannelEvent, forward: ChannelEvent[]): Promise<void> {
    this.apply(event, forward);
    await this.onDigitEvent(event);
  }

  /** An event's change to the call (what the transfer needs of it goes in `forward`); its digit is not taken yet. */
  private apply(event: ChannelEvent, forward: ChannelEvent[]): void {
    // The batch's changes reach Temporal together (one upsert), before anything else this task asks for.
    this.update(applyEvent(this.call, event, this.start.callId, this.transfer !== undefined), { batched: true });
    if (event.name === 'CHANNEL_BRIDGE' || event.name === 'CHANNEL_UNBRIDGE') this.bridgeChanged(event);
    if (this.transfer && forwardsToTransfer(event, this.transfer.id)) forward.push(event);
  }

  /**
   * What `onDigitEvent` does with an event, done here at once when that needs no command (key-press.ts `pressOn`: no
   * event but a key press needs one, and a press only to read the leg's feature codes, for a transferor's codes, to act
   * on a code, or to mask or unmask the peer): true. Else false, having changed nothing: onDigitEvent takes it, by the
   * same rule, to the same state and the same commands.
   */
  private tookAtOnce(event: ChannelEvent): boolean {
    const key = this.keyPress(event);
    if (!key) return true;
    // The last press of a code the ingest sent as one may end it (onDigitEvent).
    if (event.quietMs !== undefined) return false;
    const step = pressOn(this.legDigits(), key, Date.now());
    if (!doneAtOnce(step)) return false;
    this.indexed.flush(this.call);
    this.keepOpen(event);
    this.took(step);
    this.idleDigits = keptIdle(this.idleDigits, event, step.acted);
    return true;
  }

  /** A key press on this leg to interpret, if the event is one (none once the call ended). */
  private keyPress(event: ChannelEvent): KeyPress | undefined {
    if (event.name !== 'DTMF' || !event.digit || this.call.phase === 'ended') return undefined;
    return { digit: event.digit, at: event.at, held: event.held, paced: event.paced, id: keyPressId(event) };
  }

  /** A key press; one that did nothing is kept a while, for earlier presses that may still come (inSwitchOrder). */
  private async onDigitEvent(event: ChannelEvent): Promise<void> {
    const key = this.keyPress(event);
    if (!key) return;
    this.indexed.flush(this.call);
    // Before the press is taken: a command it sends empties the open presses, this one with them.
    this.keepOpen(event);
    let acted: boolean;
    try {
      acted = await this.onDigit(key);
    } catch (err) {
      // A switch command that went unanswered past its activity's give-up time (a node overloaded or out of reach):
      // this press is lost, the call is not. Failing the run would end its feature codes and its record for good.
      if (!(err instanceof ActivityFailure)) throw err;
      log.warn('key press not acted on: the switch did not answer in time', { error: String(err.cause ?? err) });
      acted = false;
    }
    if (event.quietMs !== undefined && (await this.onQuiet(event.at + event.quietMs))) acted = true;
    // Only the presses since the last one that did something may be taken again: the later ones never were.
    this.idleDigits = keptIdle(this.idleDigits, event, acted);
  }

  /** A press about to be taken, and the leg's digit state before it (`inSwitchOrder`). */
  private keepOpen(event: ChannelEvent): void {
    const before = { collector: this.collector, collectorOf: this.collectorOf, privateDigits: this.privateDigits };
    this.openPresses = keptOpen(this.openPresses, { event, before });
  }

  /**
   * Events earlier than some already taken (the other ingest of the pair was held back while this one delivered a
   * later one), in the switch's order, and after them the key presses taken since the last that acted on the switch
   * that follow one of the late ones, from the digit state before the first of them: `*4` then `2260` (one ingest held
   * the code while the other, restarted, sent the `4` at once) is `*22604`. Before that, only the presses that did
   * nothing were taken again (a `4` pressed outside any code), and a collection took the late ones after its own.
   */
  private inSwitchOrder(late: Late[]): (Late & { again?: boolean })[] {
    if (!late.length) return [];
    const lateDigits = late.filter(({ event }) => event.name === 'DTMF').map(({ event }) => event);
    const from = reopenAt(this.openPresses, lateDigits);
    const again = from >= 0 && patched('presses-in-switch-order') ? this.reopen(from) : this.idleAfter(lateDigits);
    return [...late, ...again.map((event) => ({ event, stale: false, again: true }))].sort(
      (a, b) => a.event.seq - b.event.seq,
    );
  }

  /** The open presses from `from` on, to take again: the digit state goes back to before the first of them. */
  private reopen(from: number): ChannelEvent[] {
    const again = this.openPresses.slice(from).map(({ event }) => event);
    const { before } = this.openPresses[from]!;
    this.collector = before.collector;
    this.collectorOf = before.collectorOf;
    this.privateDigits = before.privateDigits;
    this.openPresses = this.openPresses.slice(0, from);
    const ids = new Set(again.map(keyPressId));
    this.idleDigits = this.idleDigits.filter((d) => !ids.has(keyPressId(d)));
    return again;
  }

  /** The presses that did nothing and that the switch sent after one of the `late` ones, to take again. */
  private idleAfter(late: ChannelEvent[]): ChannelEvent[] {
    const again = this.idleDigits.filter((d) => late.some((l) => sentBefore(l, d)));
    this.idleDigits = this.idleDigits.filter((d) => !again.includes(d));
    return again;
  }

  /** A long call starts afresh with its state, when no transfer runs and nothing waits. */
  private async continueAsNewWhenIdle(): Promise<void> {
    const idle = () => !this.transfer && this.inbox.length === 0 && !this.lostTransfer && !this.givingBack;
    const due = this.processed >= (this.start.eventsPerRun ?? EVENTS_PER_RUN) || workflowInfo().continueAsNewSuggested;
    if (!idle() || !due) return;
    await condition(allHandlersFinished);
    // A signal or an Update (a transfer started) may have come while the handlers finished: this run sees to them
    // first.
    if (idle()) {
      // The state at start is in what the run carries: the next run does not take it again.
      const { initial: _, ...start } = this.start;
      await continueAsNew<typeof callWorkflow>(start, {
        summary: this.call,
        dedup: this.dedup.snapshot(),
        policy: this.policy,
        collector: this.collector,
        requests: this.requests,
        resumes: this.resumes,
        privateDigits: this.privateDigits,
        ...(this.idleDigits.length ? { idleDigits: this.idleDigits } : {}),
        ...(this.openPresses.length ? { openPresses: this.openPresses } : {}),
      });
    }
  }

  /**
   * The call's new state; Temporal is told what changed (search-attributes.ts): at once, or with the rest of the batch
   * (`batched`: takeBatch flushes before its next command and at its end).
   */
  private update(next: CallSummary, opts: { batched?: boolean } = {}): void {
    const before = this.call;
    this.call = next;
    if (next.phase !== before.phase) this.showDetails();
    if (!opts.batched) this.indexed.flush(next);
  }

  private setPhase(phase: CallSummary['phase']): void {
    this.update({ ...this.call, phase });
  }

  /** The Temporal UI's "current details": the leg's state and who it hears (a query serves them, when asked). */
  private showDetails(): void {
    const lines = [`**${this.call.phase}** · ${callHearing(this.call)}`];
    // The transfer's own details say who hears what as it moves; this leg only names it.
    if (this.transfer) lines.push(`${this.transfer.role} in \`${this.transfer.id}\``);
    else if (this.call.transfer?.outcome) lines.push(`last transfer: ${transferHearing(this.call.transfer)}`);
    setCurrentDetails(lines.join('\n\n'));
  }

  // --- Digits: the takeback code, then feature codes ------------------------------------------------------------------

  /** What a press finds of the leg's digits (key-press.ts). */
  private legDigits(): LegDigits {
    const transfer = this.transfer;
    return {
      policy: this.policy,
      transferor: transfer?.role === 'transferor' && transfer.codes !== undefined,
      collector: this.collector,
      privateDigits: this.privateDigits,
      peer: this.call.bridgedTo,
      // A run whose codes' deadlines counted from the digits' arrival replays as it ran.
      creditLag: () => patched('digit-lag-credit'),
    };
  }

  /** A key press on this leg: the codes of a running transfer first (its transferor's), then the leg's feature codes. */
  private async onDigit(key: KeyPress): Promise<boolean> {
    const found = this.legDigits();
    let now = Date.now();
    let step = pressOn(found, key, now);
    this.privateDigits = step.privateDigits;
    const transfer = this.transfer;
    // The transfer's codes, matched by the collector's rules ahead of the metaflows.
    if (step.needs === 'transfer_codes' && transfer) return this.onTransferDigit(transfer, key);
    if (step.needs === 'policy') {
      const policy = await this.loadPolicy(key.at);
      if (!policy) return false;
      // The same press on what it found, the leg's codes read now (and the collector they start).
      now = Date.now();
      step = pressOn({ ...found, policy, collector: this.collector, peer: this.call.bridgedTo }, key, now);
    }
    if (step.needs !== undefined) return false; // not again: the codes are read, and the leg was no transferor
    return this.takePress(step, now);
  }

  /** A digit of a running transfer's transferor: the transfer's codes and the leg's metaflows, by one collector. */
  private async onTransferDigit(transfer: LegTransfer, key: KeyPress): Promise<boolean> {
    if (this.collectorOf !== transfer.id) {
      this.collectorOf = transfer.id;
      this.collector = undefined; // the sets change: a collection in progress starts again
      this.openPresses = [];
    }
    const policy = this.policy ?? (await this.loadPolicy(key.at));
    if (!policy) return false;
    // A timer fires late on a busy worker: a digit that comes after the inter-digit timeout but before its timer
    // ends the code typed so far first, as the timer would have (else `*`, a pause, `1` would be a takeback).
    if (this.collector?.deadline !== undefined && this.collector.deadline <= Date.now()) {
      await this.onCollectorTimeout();
    }
    const sets = this.collectorSets();
    // The transfer may have ended meanwhile: its codes left the sets.
    if (this.collector && this.collector.collecting.length !== sets.length) this.collector = undefined;
    const now = Date.now();
    // A code nothing can extend (the takeback `*1`) acts at its last digit, as the leg's own codes do.
    const step = collect(sets, policy, this.legDigits(), key, now);
    this.lastDigit = { at: key.at, id: key.id };
    return this.takePress(step, now);
  }

  /** A press the collector took: its state kept, then the peer's ear masked or unmasked, then its code acted on. */
  private async takePress(step: TakenPress, now: number): Promise<boolean> {
    this.took(step);
    await this.keepPrivateBy(step.private);
    if (step.match) await this.runFeatureCode(step.match, now);
    return step.acted;
  }

  /** The leg's digit state after a press the collector took. */
  private took(step: TakenPress): void {
    this.collector = step.collector;
    this.privateDigits = step.privateDigits;
    for (const error of step.errors) log.warn('metaflow pattern skipped', { error });
  }

  /** The sets the collector matches: a running transfer's codes first while this leg is its transferor. */
  private collectorSets(): FeatureCodeSet[] {
    const own = this.policy?.sets ?? [];
    const transfer = this.transfer;
    if (!this.collectorOf || transfer?.id !== this.collectorOf || !transfer.codes) return own;
    const digitTimeoutMs = transfer.digitTimeoutMs ?? this.policy?.defaultDigitTimeoutMs ?? DEFAULT_DIGIT_TIMEOUT_MS;
    return transferorSets({ id: transfer.id, codes: transfer.codes, digitTimeoutMs }, own);
  }

  /**
   * The leg's feature codes, read on its first digit (and again after a transfer: the peer may have changed); `at`: the
   * switch's time of the press. When the switch did not answer (the activity gave up), none: the press is not acted
   * on, and neither are the presses the switch sent before the read gave up, which queued behind it: each would read
   * the switch again (and wait as long), a leg pressing keys on an overloaded node adding a read per press to its
   * load. A press after that reads again: the caller trying once more finds the switch answering.
   */
  private async loadPolicy(at: number): Promise<LegPolicy | undefined> {
    if (!readsAgain(this.policyGaveUp, at)) return undefined;
    const readFrom = Date.now();
    let policy: LegPolicy;
    try {
      policy = await this.sw.loadLegPolicy.executeWithOptions({ summary: "load the leg's feature codes" }, [
        this.start.callId,
      ]);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      this.policyGaveUp = readGaveUp(at, readFrom, Date.now());
      log.warn("key presses not acted on: the leg's feature codes could not be read from the switch", {
        error: String(err.cause ?? err),
      });
      return undefined;
    }
    this.policyGaveUp = undefined;
    this.policy = policy;
    this.collector = emptyCollector(this.collectorSets());
    if (policy.accountId && this.call.accountId !== policy.accountId) {
      this.update({ ...this.call, accountId: policy.accountId });
    }
    return policy;
  }

  /** The ingest vouched that it holds none of the presses the current wait is for (`askIngest`). */
  private heldWaitOver(): boolean {
    const wait = this.heldWait;
    // A press taken meanwhile moved the deadlines on: the wait is over by itself.
    return wait !== undefined && this.noneHeld === wait && this.collector?.deadlines?.includes(wait.until) === true;
  }

  /**
   * A late timer's wait for held digits (up to 10 s) is for an outage: the ingest could not send what was pressed
   * meanwhile. When it was the workflow worker that was behind (starved, or restarted), every press has come and the
   * code waits to act for nothing; only the ingest knows which. It is asked while the wait runs, and an answer that it
   * holds none of this leg's presses (and can vouch for it) ends the wait. No answer, or presses held: the wait runs on.
   * Presses it sent before answering reached the workflow before its answer, and any press taken ends the wait anyway.
   */
  private askIngest(wait: HeldWait): void {
    const { keyPressesHeld } = ingestActivities(this.start.node, wait.until - Date.now());
    keyPressesHeld
      .executeWithOptions({ summary: 'the digit timer fired late: does the ingest hold key presses?' }, [
        this.start.callId,
        wait.lastAt,
      ])
      .then(
        (answer) => {
          if (answer.sure && answer.held === 0 && this.heldWait === wait) this.noneHeld = wait;
        },
        () => undefined,
      );
  }

  /**
   * The ingest sent a code's presses as one, and no key was pressed until `quietUntil` (the switch's clock; ingest
   * code-hold.ts): the collections whose timeout ran out by then end here, as their timer would have ended them later.
   * True when one did.
   */
  private async onQuiet(quietUntil: number): Promise<boolean> {
    if (!this.policy || !this.collector) return false;
    const result = quietEnded(this.collector, this.collectorSets(), quietUntil, collectorOptions(this.policy));
    if (result.state === this.collector) return false;
    // A run that started the code's timer here replays as it ran.
    if (!patched('ingest-quiet')) return false;
    this.collector = result.state;
    for (const error of result.errors) log.warn('metaflow pattern skipped', { error });
    try {
      await this.keepPrivate(result.match !== undefined);
      if (result.match) await this.runFeatureCode(result.match, Date.now());
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      log.warn('feature code not acted on: the switch did not answer in time', { error: String(err.cause ?? err) });
    }
    return true;
  }

  private async onCollectorTimeout(): Promise<void> {
    if (!this.policy || !this.collector) return;
    if (this.heldWaitOver() && this.heldWait) this.collector = endHeldWait(this.collector, this.heldWait, Date.now());
    const completeAt = this.collector.deadline ?? Date.now();
    // The leg's sets, and a running transfer's codes ahead of them while this leg is its transferor.
    const sets = this.collectorSets();
    // A run that decided without waiting for a paced ingest's digits (before the wait was) replays as it ran.
    const pacedGrace = () => patched('paced-digits-grace');
    const result = timerFired(this.collector, sets, Date.now(), { ...collectorOptions(this.policy), pacedGrace });
    this.collector = result.state;
    this.heldWait = result.heldWait;
    this.noneHeld = undefined;
    if (result.heldWait?.late && patched('ask-ingest-held')) this.askIngest(result.heldWait);
    for (const error of result.errors) log.warn('metaflow pattern skipped', { error });
    await this.keepPrivate(result.match !== undefined);
    if (result.match) await this.runFeatureCode(result.match, completeAt);
  }

  /**
   * A private metaflow's code (private-codes.ts): the peer's ear is masked as its collection begins, and the mask
   * lifted as it ends, before the code acts (a transfer moves the peer), sending on what it dropped that was no code.
   */
  private keepPrivate(matched: boolean): Promise<void> {
    const collecting =
      this.call.phase !== 'ended' && privateCollection(this.collector, this.collectorSets(), this.policy?.limits);
    return this.keepPrivateBy(afterStep(this.privateDigits, collecting, matched, this.call.bridgedTo));
  }

  /** The mask put on or lifted as `afterStep` (private-codes.ts) answered. */
  private async keepPrivateBy(action: PrivateAction): Promise<void> {
    if (!action) return;
    this.openPresses = []; // the peer heard (or not) the presses so far: they are not taken again
    if (action.do === 'mask') {
      const { reply, at } = await this.sw.maskDigits.executeWithOptions(
        { summary: "private code: the peer's ear masked" },
        [action.peer],
      );
      if (!reply.startsWith('+OK')) return log.warn('the peer could not be masked: the code is heard', { reply });
      this.privateDigits = masked(this.privateDigits, action.peer, at);
      this.update({ ...this.call, digitsKeptFrom: action.peer });
      return this.showDetails();
    }
    const { at } = await this.sw.unmaskDigits.executeWithOptions(
      { summary: action.resend ? `no code: ${action.resend} sent on to the peer` : "the peer's ear unmasked" },
      [action.peer, action.resend],
    );
    this.privateDigits = unmasked(this.privateDigits, at);
    const { digitsKeptFrom: _, ...call } = this.call;
    this.update(call);
    this.showDetails();
  }

  /** `completeAt`: when the code was complete (its digit timer's deadline): the transfer's `hold` step starts there. */
  private async runFeatureCode(match: FeatureCodeMatch, completeAt: number): Promise<void> {
    this.openPresses = []; // a code acted on is not taken back: its presses are not taken again
    log.info('feature code', { module: match.metaflow.module, collected: match.collected, key: match.key });
    const action = featureCodeAction(match);
    switch (action.do) {
      case 'transfer':
        try {
          await this.startTransfer(action.ask, 'dtmf', { requestedAt: completeAt, featureCode: action.featureCode });
        } catch (err) {
          log.warn('transfer refused: the call is left as it is', { error: String(err) });
        }
        return;
      case 'takeback':
        if (this.transfer) await getExternalWorkflowHandle(this.transfer.id).signal(takebackSignal, { by: 'resume' });
        else log.info('resume: no transfer is running');
        return;
      case 'transfer_code':
        return this.passTransferCode(action.action, action.by);
      case 'hold':
        return this.holdCall(action.action, action.moh);
      case 'hangup':
        await this.sw.kill.executeWithOptions({ summary: 'hang up (feature code)' }, [
          this.start.callId,
          'NORMAL_CLEARING',
        ]);
        return;
      case 'nothing':
        if (action.why === 'no_target') {
          log.warn('transfer feature code without a target: the call is left as it is', { key: match.key });
        } else log.warn('feature code module not acted on', { module: match.metaflow.module });
    }
  }

  // --- REST requests (Updates) ----------------------------------------------------------------------------------------

  /** The REST request this Update handler or validator runs for, when the API named it (requests.ts). */
  private currentRequest(): TransferRequestRef | undefined {
    return parseTransferRequestId(currentUpdateInfo()?.id);
  }

  /** What the call's own state can refuse is refused here, before anything is written to its history. */
  private validateRequest(ask: TransferAsk): void {
    if (!ask || typeof ask.target !== 'string' || ask.target.length === 0) throw new Error('target is required');
    if (ask.partialFailure !== undefined && ask.partialFailure !== 'hangup' && ask.partialFailure !== 'recall') {
      throw new Error('partial_failure must be hangup or recall');
    }
    const req = this.currentRequest();
    const seen = req && recall(this.requests, req, Date.now());
    if (seen?.kind === 'conflict') {
      throw ApplicationFailure.create({
        type: REQUEST_CONFLICT,
        message: 'this Idempotency-Key was used for a different request on this call',
        nonRetryable: true,
      });
    }
    if (seen?.kind === 'answered') return;
    this.refuseUnlessFree();
  }

  /** A REST transfer request: a retry (same request ID, even from before continue-as-new) gets the first answer. */
  private async requestTransfer(ask: TransferAsk): Promise<TransferAccepted> {
    const req = this.currentRequest();
    const seen = req && recall(this.requests, req, Date.now());
    if (seen?.kind === 'answered') return answerAgain(seen.answer);
    let answer: RequestAnswer;
    try {
      answer = { accepted: await this.startTransfer(ask, 'api', { requestedAt: Date.now() }) };
    } catch (err) {
      if (!(err instanceof ApplicationFailure) || !req) throw err;
      const reason: unknown = err.details?.[0];
      answer = {
        refused: { type: err.type ?? '', message: err.message, ...(isTransferRefusalReason(reason) ? { reason } : {}) },
      };
    }
    if (req) this.requests = remember(this.requests, req, answer, Date.now());
    return answerAgain(answer);
  }

  /** The REST takeback: the running transfer is told; the answer is the transfer as this call last saw it. */
  private async takeBack(): Promise<TransferSummary> {
    const id = this.runningTransfer().id;
    await getExternalWorkflowHandle(id).signal(takebackSignal, { by: 'api' });
    return { ...(this.call.transfer as TransferSummary), transferId: id };
  }

  /**
   * A transfer code for the running transfer of which this leg is the transferor: the takeback goes as the takeback
   * signal, three-way and swap as transferCode; `at`, for a code typed, the switch's time of its last digit.
   */
  private async passTransferCode(action: TransferCodeAction, by: 'code' | 'metaflow' | 'api'): Promise<void> {
    const transfer = this.transfer;
    if (transfer?.role !== 'transferor') {
      log.info(`${action}: this leg is not the transferor of a running transfer`);
      return;
    }
    const last = by === 'code' ? this.lastDigit : undefined;
    const at = last ? { at: last.at, ...(last.id ? { key: last.id } : {}) } : {};
    const handle = getExternalWorkflowHandle(transfer.id);
    if (action === 'takeback') await handle.signal(takebackSignal, { by: 'takeback', ...at });
    else await handle.signal(transferCodeSignal, { action, by, ...at });
  }

  /** The REST three_way or swap: the running transfer is told; the answer is the transfer as this call last saw it. */
  private async transferCodeRequest(action: TransferCodeRequest): Promise<TransferSummary> {
    const id = this.transferorOf().id;
    await this.passTransferCode(action, 'api');
    return { ...(this.call.transfer as TransferSummary), transferId: id };
  }

  // --- Hold (Kazoo's hold and hold_control) ------------------------------------------------------------------------------

  /** A new bridge (or its end) replaces a hold: the held pair's bridge is gone. */
  private bridgeChanged(event: ChannelEvent): void {
    if (event.name === 'CHANNEL_BRIDGE') this.bridgedAt = event.at;
    if (!this.held) return;
    this.held = undefined;
    if (this.call.phase === 'held') this.setPhase(this.call.bridgedTo ? 'bridged' : 'answered');
  }

  private validateHold(action: HoldRequest): void {
    if (action !== 'hold' && action !== 'unhold' && action !== 'toggle') {
      throw new Error('action must be hold, unhold or toggle');
    }
    if (this.transfer) refuse('transfer_in_progress', `transfer ${this.transfer.id} is running on this call`);
    const hold = action === 'hold' || (action === 'toggle' && !this.held);
    if (hold && !this.held && (this.call.phase !== 'bridged' || !this.call.bridgedTo)) {
      refuse('not_bridged', 'the call is not bridged to another party');
    }
  }

  /**
   * Holds the peer (it hears the metaflow's music, else the account's, else the switch's; the leg silence) or takes it off hold. Off hold is `uuid_hold off`
   * where the switch can (SIP phones), else a new bridge of the pair (loopback legs refuse `uuid_hold off`).
   */
  private async holdCall(action: HoldRequest, moh?: string): Promise<void> {
    const hold = action === 'hold' || (action === 'toggle' && !this.held);
    const peer = this.call.bridgedTo;
    if (hold) {
      if (this.held || this.transfer || this.call.phase !== 'bridged' || !peer) return;
      const wait = (this.bridgedAt ?? 0) + HOLD_AFTER_BRIDGE_MS - Date.now();
      if (wait > 0) await sleep(wait);
      // The metaflow's music (when it names one) is an argument of the same activity as before: the commands a
      // running workflow emits are unchanged, the activity picks the account's music where none is named.
      const reply = await this.sw.hold.executeWithOptions(
        { summary: 'hold: the peer hears music' },
        moh ? [this.start.callId, moh] : [this.start.callId],
      );
      if (!reply.startsWith('+OK')) return log.warn('hold refused by the switch', { reply });
      this.held = { peer };
      this.setPhase('held');
      return;
    }
    const held = this.held;
    if (!held) return;
    const way = await this.sw.unhold.executeWithOptions({ summary: 'off hold: uuid_hold off, else a new bridge' }, [
      this.start.callId,
      held.peer,
    ]);
    if (way === 'failed') return log.warn('off hold failed: the call stays held', { peer: held.peer });
    this.held = undefined;
    this.update({ ...this.call, bridgedTo: held.peer, phase: 'bridged' });
  }

  private transferorOf(): LegTransfer {
    if (this.transfer?.role !== 'transferor')
      throw ApplicationFailure.create({
        type: NO_TRANSFER,
        message: 'this call is not the transferor of a running transfer',
      });
    return this.transfer;
  }

  private runningTransfer(): LegTransfer {
    if (!this.transfer)
      throw ApplicationFailure.create({ type: NO_TRANSFER, message: 'no transfer is running on this call' });
    return this.transfer;
  }

  private refuseUnlessFree(): void {
    if (this.call.phase === 'ended') refuse('call_ended', 'the call has ended');
    if (this.transfer) refuse('transfer_in_progress', `transfer ${this.transfer.id} is already running on this call`);
  }

  // --- Transfers: start, end, resume -----------------------------------------------------------------------------------

  private async startTransfer(
    ask: TransferAsk,
    startedBy: 'dtmf' | 'api',
    how: { requestedAt: number; featureCode?: string },
  ): Promise<TransferAccepted> {
    this.refuseUnlessFree();
    const peer = this.call.bridgedTo;
    let resolved;
    try {
      // The same activity puts the parties on hold once the transfer is valid: the transferee's music does not wait for
      // the transfer workflow's start and first task (the transfer takes it from here: plan.onHold).
      resolved = await this.sw.resolveTransfer.executeWithOptions(
        { summary: `resolve the transfer to ${ask.target}, then hold` },
        [this.start.callId, ask, { startedBy, requestedAt: how.requestedAt }],
      );
    } catch (err) {
      const refusal = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
      // Given up (its node worker gone or stuck past the retry window), or refused by a retry that found a party gone,
      // perhaps after its hold went out: no transfer will take the parties off hold, so this call does.
      if ((!refusal || mayFollowHold(refusal)) && patched('give-back-held')) this.giveBackHeld(peer);
      // Surface the activity's refusal itself, so the API can map it to a status code.
      throw refusal ?? err;
    }
    const type: TransferType = ask.type ?? 'attended';
    const plan: TransferPlan = {
      ...resolved,
      transferId: transferWorkflowId(this.start.callId, resolved.transferee),
      node: this.start.node,
      type,
      transferor: this.start.callId,
      targetLeg: uuid4(),
      jobUuid: uuid4(),
      startedBy,
      // Who the transferor is, as the target sees it (its caller ID flips on answer; the policy's is the original).
      from: resolved.callerIdNumber ?? this.call.callerIdNumber,
      ...how,
      // The transfer hears the transferor's presses itself with these (transferor-keys.ts); without them, by our signals.
      ...(this.policy ? { transferorPolicy: this.policy } : {}),
    };
    try {
      await this.startTransferChild(plan);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        refuse('transfer_in_progress', 'a transfer is already running between these two legs');
      }
      throw err;
    }
    const { transferId, transferor, transferee, target, targetLeg } = plan;
    this.transfer = { id: transferId, role: 'transferor', digitTimeoutMs: plan.digitTimeoutMs, codes: plan.codes };
    const summary: TransferSummary = {
      transferId,
      phase: 'starting',
      transferor,
      transferee,
      target,
      targetLeg,
      type,
      startedAt: Date.now(),
    };
    this.update({ ...transferJoined(this.call), transfer: summary });
    return { transferId, transferor, transferee, target, type };
  }

  /**
   * The parties a resolve that gave up may have held talk again (giveBackHeld), without holding up this call's loop
   * or a REST request's answer: it waits for a worker of the node as long as a node may be away before its calls are
   * ended (NODE_GONE_AFTER_S's default).
   */
  private giveBackHeld(peer: string | undefined): void {
    const { giveBackHeld } = switchActivities(this.start.node, { giveUpAfter: '10 minutes' });
    this.givingBack = giveBackHeld
      .executeWithOptions({ summary: 'the resolve gave up: the parties it may have held talk again' }, [
        this.start.callId,
        peer,
      ])
      .then(
        (done) => void (done !== 'not_held' && log.warn('the parties a resolve had held are given back', { done })),
        (err) => log.error('the parties a resolve may have held could not be given back', { error: String(err) }),
      )
      .finally(() => (this.givingBack = undefined));
  }

  private async startTransferChild(plan: TransferPlan): Promise<void> {
    const child = await startChild(transferWorkflow, {
      ...transferStartOptions({ ...plan, accountId: plan.accountId ?? this.call.accountId }),
      taskQueue: workflowInfo().taskQueue,
      args: [plan],
      // The transfer must outlive the transferor's hangup (partial transfer) and this run (continue-as-new).
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    // A transfer that ends without an outcome (terminated or cancelled by hand) leaves the legs on hold: resume it from
    // the switch's state at once (the ingest's sweep would, later).
    child.result().catch(() => {
      if (this.transfer?.id !== plan.transferId || this.resumes >= MAX_TRANSFER_RESUMES) return;
      this.lostTransfer = plan;
    });
  }

  /** A new run of a transfer that ended by hand; it reads the switch and carries on (transfer-machine.ts `resume`). */
  private async resumeTransfer(plan: TransferPlan): Promise<void> {
    this.resumes++;
    log.warn('transfer ended without an outcome; resuming it from the switch', { transferId: plan.transferId });
    try {
      await this.startTransferChild({ ...plan, resume: true });
    } catch (err) {
      // Another run is there already (the ingest's sweep was quicker): it is in charge.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  private onTransferEnded(ended: TransferSummary): void {
    if (!this.transfer || this.transfer.id !== ended.transferId) return;
    this.transfer = undefined;
    if (this.collectorOf) {
      // The transfer's codes leave the collector's sets: the next digit starts from the leg's own.
      this.collectorOf = undefined;
      this.collector = undefined;
    }
    this.openPresses = [];
    this.policy = undefined; // the peer may have changed: reload the feature codes on the next digit
    const next = transferEnded(this.call, ended, this.start.callId);
    // A transferee's bridge to the target comes with this end, not as an event (workers/ingest/events.ts): a hold
    // right after it waits as after any bridge.
    if (next.bridgedTo !== this.call.bridgedTo) this.bridgedAt = Date.now();
    this.update(next);
  }
}

const DIGIT_TIMER_SUMMARY = 'feature code: the digit timeout ends the code';
/** In the Temporal UI: the timer was due, but the ingest may still hold digits of the code (late, or paced). */
export const HELD_DIGITS_TIMER_SUMMARY = 'feature code: waiting for digits the ingest may still hold';

/** A timer of the workflow's own, that can be cancelled, and says when it has fired. */
interface RunningTimer {
  at: number;
  startedAt: number;
  scope: CancellationScope;
  fired: boolean;
}

function startTimer(at: number, summary: string): RunningTimer {
  const timer: RunningTimer = { at, startedAt: Date.now(), scope: new CancellationScope(), fired: false };
  timer.scope
    .run(() => sleep(Math.max(at - Date.now(), 1), { summary }))
    .then(
      () => void (timer.fired = true),
      () => undefined, // cancelled
    );
  return timer;
}

/**
 * The call's search attributes as Temporal holds them. One upsert per workflow task at most, with every attribute that
 * changed, and none for what the ingest set at start (the state and account of the leg's first events) or for the
 * `ended` phase: the workflow closes in that task, and its status and result say the call ended (a closed call keeps
 * the phase it had last while up).
 */
class SearchIndex {
  constructor(
    private accountId: string | undefined,
    private phase: string | undefined,
  ) {}

  /** A run started before the ingest set the state: set at the run's start. */
  setPhaseNow(phase: CallSummary['phase']): void {
    upsertSearchAttributes([{ key: CALL_STATE, value: phase }]);
    this.phase = phase;
  }

  flush(call: CallSummary): void {
    const now: SearchAttributeUpdatePair[] = [];
    if (call.accountId !== undefined && call.accountId !== this.accountId) {
      now.push({ key: ACCOUNT_ID, value: call.accountId });
      this.accountId = call.accountId;
    }
    if (call.phase !== this.phase && call.phase !== 'ended') {
      now.push({ key: CALL_STATE, value: call.phase });
      this.phase = call.phase;
    }
    if (now.length) upsertSearchAttributes(now);
  }
}

/**
 * A refusal a retry of the resolve can meet after an earlier attempt's hold went out: a party has gone since (the
 * transferor, or the peer whose feature code it was). On a first attempt nothing had moved yet, and the give-back
 * finds nobody held.
 */
function mayFollowHold(refusal: ApplicationFailure): boolean {
  const reason: unknown = refusal.details?.[0];
  return reason === 'call_ended' || reason === 'not_bridged';
}

/** A request answered before: the same acceptance, or the same refusal thrown again. */
function answerAgain(answer: RequestAnswer): TransferAccepted {
  if ('accepted' in answer) return answer.accepted;
  const { type, reason, message } = answer.refused;
  throw ApplicationFailure.create({ type, message, details: reason ? [reason] : [], nonRetryable: true });
}
