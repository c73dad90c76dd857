// Activities that decide what a leg's digits and a transfer request mean for this account: they read the switch
// (the leg's variables, its peer) and the store (metaflows, media, account defaults). They run beside the switch
// activities, on the node's task queue.
import { activityInfo, log } from '@temporalio/activity';
import type { Config } from '../config/index.ts';
import type { Store, TransferPairClaim } from '../store/index.ts';
import { DTMF_PATTERN, TARGET_PATTERN, playableStream } from '../contracts/grammar.ts';
import { holdPlan } from '../contracts/hold-plan.ts';
import { ACTIVE_TRANSFER_VARIABLE, parseTransferId, transferWorkflowId } from '../contracts/ids.ts';
import type { TransferAsk, TransferType } from '../contracts/messages.ts';
import type { DigitPolicy, FeatureCodeSet, Metaflows } from '../contracts/metaflows.ts';
import { runnableMetaflows } from '../contracts/metaflow-entries.ts';
import { resolveMedia } from '../contracts/media.ts';
import { featureCodeLimits, type FeatureCodeLimits } from '../contracts/patterns.ts';
import { refuse } from '../contracts/refusals.ts';
import type { TransferCodes } from '../contracts/transfer-codes.ts';
import { unquotable } from './originate-vars.ts';
import type { HoldResult, LegState } from './types.ts';
import type { GivenBack, KnownVariables, SwitchActivities } from './switch.ts';

/** An account's own music on hold (a media ID) and ringback. */
export interface AccountDefaults {
  mohMediaId?: string;
  ringback?: string;
}

/** What the engine reads from the store; the store module implements it (SQLite or PostgreSQL). */
export interface PolicyStore {
  effectiveMetaflows(accountId: string, deviceId?: string, userId?: string): Promise<Metaflows | undefined>;
  accountDefaults(accountId: string): Promise<AccountDefaults | undefined>;
  /** A media ID usable by this account (its own or an ancestor's), as a stream URL the switch plays. */
  mediaUrl(accountId: string | undefined, mediaId: string): Promise<string | undefined>;
  /** Is `accountId` the account `ancestorId` or one below it? */
  isDescendantOrSelf(ancestorId: string, accountId: string): Promise<boolean>;
  /** The store's claimTransferPair: true when `by` holds the pair until `until`. */
  claimTransferPair(pair: string, by: string, until: number, now: number, at: number): Promise<boolean>;
  transferPairClaim(pair: string): Promise<TransferPairClaim | undefined>;
  releaseTransferPair(claim: TransferPairClaim): Promise<boolean>;
}

/** The store, seen as the engine reads it. */
export function policyStore(store: Store): PolicyStore {
  return {
    effectiveMetaflows: (accountId, deviceId, userId) => store.effectiveMetaflows(accountId, deviceId, userId),
    async accountDefaults(accountId) {
      const account = await store.getAccount(accountId);
      return account && { mohMediaId: account.musicOnHoldMediaId, ringback: account.ringback };
    },
    async mediaUrl(accountId, mediaId) {
      if (!accountId) return undefined;
      return (await store.findMediaForAccount(accountId, mediaId))?.streamUrl;
    },
    isDescendantOrSelf: (ancestorId, accountId) => store.isDescendantOrSelf(ancestorId, accountId),
    claimTransferPair: (pair, by, until, now, at) => store.claimTransferPair(pair, by, until, now, at),
    transferPairClaim: (pair) => store.transferPairClaim(pair),
    releaseTransferPair: (claim) => store.releaseTransferPair(claim),
  };
}

export type PolicyConfig = Pick<
  Config,
  | 'ACCOUNT_ID_VARIABLE'
  | 'AUTHORIZING_ID_VARIABLE'
  | 'OWNER_ID_VARIABLE'
  | 'DEFAULT_ACCOUNT_ID'
  | 'ACCOUNT_VARIABLES'
  | 'TRANSFER_DIAL_TEMPLATE'
  | 'TRANSFER_CONTEXT'
  | 'TARGET_RING_TIMEOUT_S'
  | 'DIGIT_TIMEOUT_MS'
  | 'BRIDGE_CONFIRM_TIMEOUT_MS'
  | 'DEFAULT_MOH'
  | 'MEDIA_URL_TEMPLATE'
  | 'DEFAULT_RINGBACK'
  | 'DEFAULT_TAKEBACK_DTMF'
  | 'THREE_WAY_DTMF'
  | 'SWAP_DTMF'
  | 'THREE_WAY_CONFERENCE_PROFILE'
  | 'PARTIAL_FAILURE'
  | 'RECALL_ATTEMPTS'
  | 'RECALL_DELAY_MS'
  | 'RECALL_RING_TIMEOUT_S'
  | 'RECALL_NUMBER_VARIABLE'
  | 'FEATURE_CODE_MAX_DIGITS'
  | 'FEATURE_CODE_PATTERN_MAX_LENGTH'
  | 'FEATURE_CODE_PATTERN_MAX_PROGRAM'
  | 'FEATURE_CODE_MAX_PATTERNS'
  | 'FEATURE_CODE_TERMINATOR'
  | 'CALL_WORKFLOWS'
  | 'TEMPORAL_TIMER_SHIFT_MS'
>;

export interface LegPolicy extends DigitPolicy {
  accountId?: string;
  defaultDigitTimeoutMs: number;
  /** Absent in policies recorded before the limits existed: the workflow then uses the defaults. */
  limits?: FeatureCodeLimits;
  /** The key that ends a code at once where the metaflows name none (`""`: none); absent: the collector's default. */
  terminator?: string;
  /**
   * How late the cluster may fire a short timer (TEMPORAL_TIMER_SHIFT_MS; collector.ts `restartsDigitTimer`); absent in
   * policies recorded before it was: the code's timer is kept.
   */
  timerShiftMs?: number;
}

/**
 * How long a transferor's claim on its pair lasts: from the resolve's hold to the transfer workflow's start, which
 * holds the pair from then on (a few workflow tasks; seconds on a Temporal cluster in trouble). The other party's code
 * is refused meanwhile, unless the transfer the claim was made for has already run and ended (claimPair).
 */
export const PAIR_CLAIM_MS = 5_000;

/** A transfer workflow's latest run as Temporal describes it: is it running, and when did it start (Temporal's clock). */
export interface TransferRunSeen {
  running: boolean;
  startedAt: number;
}

/** Everything a transfer needs, resolved and validated before the call is touched. */
export interface ResolvedTransfer {
  transferee: string;
  target: string;
  dialString: string;
  takebackDtmf: string;
  moh: string;
  ringback: string;
  ringTimeoutS: number;
  bridgeConfirmMs: number;
  /** The inter-digit timeout of the transfer's codes. */
  digitTimeoutMs: number;
  callerIdName?: string;
  callerIdNumber?: string;
  vars: Record<string, string>;
  accountId?: string;
  /** Policy `recall`: how to call the transferor back if a partial transfer fails (absent: release the transferee). */
  recall?: RecallPlan;
  /** The codes the transferor may press during this transfer (contracts/transfer-codes.ts), and the conference profile of its three-way. */
  codes: TransferCodes;
  conferenceProfile?: string;
  /**
   * The parties as this activity put them on hold, when asked to (`TransferHoldAsk`): the transfer starts from here
   * instead of holding them itself. Absent: not asked, or the hold failed, and the transfer holds them (its hold reads
   * what this one did, as a retry of its own would).
   */
  onHold?: HoldResult;
}

/**
 * Asks resolveTransfer to put the parties on hold as soon as the transfer is valid: the transferee hears music one
 * activity after the code is complete, not after the transfer workflow has started and sent its own hold.
 */
export interface TransferHoldAsk {
  startedBy: 'dtmf' | 'api';
  /** When the transfer was asked for (ms since the epoch): the `hold` step of the metrics starts there. */
  requestedAt?: number;
}

export interface RecallPlan {
  /** The number that reaches the transferor, and the dial string made from it. */
  number: string;
  dialString: string;
  attempts: number;
  delayMs: number;
  ringTimeoutS: number;
  /** The transferee's identity, so the transferor sees who is handed back. */
  callerIdName?: string;
  callerIdNumber?: string;
}

/** Is the feature code `me`'s own: no other leg named as its owner (metaflowOwnerLeg), or `me` itself? */
function ownCode(me: LegState, ownerLeg: string | undefined): boolean {
  return !ownerLeg || ownerLeg === me.uuid;
}

/** A promise started ahead of where it is awaited: its failure is not unhandled meanwhile, and still fails that await. */
function early<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/**
 * Who a leg is: its caller ID on an inbound leg. An outbound leg's Caller-* fields are flipped on answer and its callee
 * ID becomes the bridged peer's, so use the caller ID it was created with. Any printable name is
 * passed on as it is (originate-vars.ts quotes it); one the originate cannot carry (a control character, say) is left
 * out, so the target sees the number alone rather than the transfer failing.
 */
function identity(leg: LegState): { name?: string; number?: string } {
  const [name, number] =
    leg.direction !== 'outbound'
      ? [leg.callerIdName, leg.callerIdNumber]
      : [leg.origCallerIdName ?? leg.calleeIdName, leg.origCallerIdNumber ?? leg.calleeIdNumber];
  const quotable = (variable: string, v: string | undefined) => (v && !unquotable(variable, v) ? v : undefined);
  return {
    name: quotable('origination_caller_id_name', name),
    number: quotable('origination_caller_id_number', number),
  };
}

/**
 * The number that reaches a leg's phone: the RECALL_NUMBER_VARIABLE channel variable if set, else the number it called
 * from (inbound) or the number the switch dialled to reach it (outbound).
 */
export function recallNumber(leg: LegState, variable: string): string | undefined {
  const candidates = [leg.vars?.[variable], leg.direction === 'outbound' ? leg.destinationNumber : leg.callerIdNumber];
  return candidates.find((n): n is string => !!n && TARGET_PATTERN.test(n));
}

export function createPolicyActivities(
  sw: Pick<SwitchActivities, 'legState' | 'holdWithMusic' | 'markCallWorkflows' | 'holdForTransfer' | 'giveBackPair'>,
  store: PolicyStore,
  config: PolicyConfig,
  node: {
    draining?: () => Promise<boolean>;
    /**
     * The transferee's call workflow runs before its transfer signals it (started with the leg's state if it has none:
     * on demand, a REST request found the peer unknown to the projection, say; per call, the ingest's start is held).
     */
    ensureCallWorkflow?: (leg: LegState, accountId: string | undefined) => Promise<void>;
    /** The latest run of this transfer workflow; `'never'` when none ever ran; undefined when Temporal cannot say. */
    transferRun?: (transferId: string) => Promise<TransferRunSeen | 'never' | undefined>;
  } = {},
) {
  function accountOf(state: LegState): string | undefined {
    return state.vars?.[config.ACCOUNT_ID_VARIABLE] || config.DEFAULT_ACCOUNT_ID || undefined;
  }
  const limits = featureCodeLimits(config);
  /** The leg's feature codes that may run: patterns RE2 cannot run or over the limits are left out. */
  async function metaflowsOf(state: LegState): Promise<Metaflows | undefined> {
    const account = accountOf(state);
    if (!account) return undefined;
    const metaflows = await store.effectiveMetaflows(
      account,
      state.vars?.[config.AUTHORIZING_ID_VARIABLE] || undefined,
      state.vars?.[config.OWNER_ID_VARIABLE] || undefined,
    );
    return metaflows && runnableMetaflows(metaflows, limits);
  }
  /**
   * May the metaflows of `owner`'s account act on `leg`? Only when `leg` is of that account or an account below it.
   * Legs without an account (and no DEFAULT_ACCOUNT_ID) belong to no tree: no other leg's metaflows act on them.
   */
  async function actsOn(owner: LegState, leg: LegState): Promise<boolean> {
    const ownerAccount = accountOf(owner);
    const legAccount = accountOf(leg);
    if (!ownerAccount || !legAccount) return false;
    return ownerAccount === legAccount || (await store.isDescendantOrSelf(ownerAccount, legAccount));
  }
  /**
   * The leg whose metaflow asked for a transfer (`ownerLeg`; the transferor itself when absent): it must still be on
   * the call (the transferor or its peer) and its account's metaflows must be allowed to act on the transferor's leg.
   */
  async function metaflowOwner(me: LegState, peer: LegState, ownerLeg: string | undefined): Promise<LegState> {
    if (ownCode(me, ownerLeg)) return me;
    if (ownerLeg !== peer.uuid) refuse('not_bridged', 'the party whose feature code this is has left the call');
    if (!(await actsOn(peer, me))) {
      refuse('not_bridged', "the peer's feature codes do not act on a leg outside its account tree");
    }
    return peer;
  }
  /**
   * What the switch plays for a moh/ringback value (contracts/media.ts): a stream, the account tree's media record, or
   * the MEDIA_URL_TEMPLATE URL of a Kazoo media ID; else `fallback` (the account's default, then the configured one).
   * The API has said so to a REST client already, and named a metaflow's unknown media when it was posted.
   */
  async function media<T extends string | undefined>(
    accountId: string | undefined,
    value: string,
    field: string,
    fallback: () => Promise<T>,
  ): Promise<string | T> {
    const found = await resolveMedia(value, accountId, {
      playable: playableStream,
      lookup: (a, id) => store.mediaUrl(a, id),
      template: config.MEDIA_URL_TEMPLATE,
    });
    if (found.url !== undefined) return found.url;
    if (found.problem === 'invalid') refuse('invalid_media', `${field}: ${found.reason}`);
    return fallback();
  }
  /** The account's own music on hold and ringback, if it has an account. */
  async function defaultsOf(accountId: string | undefined): Promise<AccountDefaults | undefined> {
    return accountId ? store.accountDefaults(accountId) : undefined;
  }

  return {
    /** The feature codes that listen to this leg's digits: its own (self|both) and its peer's (peer|both). */
    async loadLegPolicy(leg: string): Promise<LegPolicy> {
      const self = await sw.legState(leg);
      const policy: LegPolicy = {
        sets: [],
        defaultDigitTimeoutMs: config.DIGIT_TIMEOUT_MS,
        limits,
        terminator: config.FEATURE_CODE_TERMINATOR,
        timerShiftMs: config.TEMPORAL_TIMER_SHIFT_MS,
        accountId: accountOf(self),
      };
      if (!self.exists) return policy;
      const own = await metaflowsOf(self);
      if (own && (own.listen_on ?? 'self') !== 'peer')
        policy.sets.push({ owner: 'self', ownerLeg: leg, metaflows: own });
      if (self.bridgeUuid) {
        policy.peer = self.bridgeUuid;
        const peer = await sw.legState(self.bridgeUuid);
        // The peer's codes listen to this leg only if this leg is of the peer's account tree: another tenant's
        // metaflows never act on a call of yours.
        const theirs = peer.exists && (await actsOn(peer, self)) ? await metaflowsOf(peer) : undefined;
        if (theirs && (theirs.listen_on === 'peer' || theirs.listen_on === 'both')) {
          const set: FeatureCodeSet = { owner: 'peer', ownerLeg: self.bridgeUuid, metaflows: theirs };
          policy.sets.push(set);
        }
      }
      return policy;
    },

    /**
     * Kazoo's `hold`: the peer hears `moh` (the metaflow's media: Kazoo's `moh_bleg`, else `moh_aleg`) when given,
     * else the holder's account's music on hold, else the switch's own hold music (the holder's `hold_music`, else the
     * global one), as Kazoo falls back. A metaflow's media that is no media at all was refused when it was posted; one
     * that still reaches here falls back like an unknown one rather than leave the hold undone.
     */
    async hold(holder: string, moh?: string): Promise<string> {
      // A REST hold may have started the holder's call workflow (on demand): from now on it hears its leg's events.
      if (config.CALL_WORKFLOWS === 'on_demand') await sw.markCallWorkflows([holder]);
      const accountId = accountOf(await sw.legState(holder));
      const defaults = await defaultsOf(accountId);
      const accountMusic = async () =>
        defaults?.mohMediaId ? media(accountId, defaults.mohMediaId, 'moh', async () => undefined) : undefined;
      const music = moh
        ? await media(accountId, moh, 'moh', accountMusic).catch(() => accountMusic())
        : await accountMusic();
      return sw.holdWithMusic(holder, music);
    },

    /**
     * Validates a transfer request against the switch and the store; refuses (TRANSFER_REFUSED) before anything moves.
     * With `hold`, then puts the parties on hold (holdForTransfer) and says so in `onHold`.
     */
    async resolveTransfer(transferor: string, ask: TransferAsk, hold?: TransferHoldAsk): Promise<ResolvedTransfer> {
      if (!TARGET_PATTERN.test(ask.target))
        refuse('invalid_target', `target: ${JSON.stringify(ask.target)} is not a dialable number`);
      const takebackDtmf = ask.takebackDtmf ?? config.DEFAULT_TAKEBACK_DTMF;
      if (!DTMF_PATTERN.test(takebackDtmf))
        refuse('invalid_takeback_dtmf', `takeback_dtmf: ${JSON.stringify(takebackDtmf)} is not 1-8 DTMF digits`);
      // The store's reads go beside the switch's where one does not need the other: on a shared database each is a
      // round trip, and the transferee's music waits for all of them. Each is awaited where its answer is needed, so
      // the refusals come in the same order as when they ran one after the other.
      const drainRead = early(node.draining?.() ?? Promise.resolve(false));
      const me = await sw.legState(transferor);
      // A retry of an attempt that had begun the hold finds the two parties parked, no longer bridged: its mark on the
      // transferor names the transferee. A first attempt never takes a mark for its own (it may be another transfer's).
      const heldBefore = hold && activityInfo().attempt > 1 ? transfereeMarked(me) : undefined;
      // A drained node (the on-call CLI's `drain`) takes no new transfers; those running finish, and so does a
      // transfer whose hold had begun before the drain.
      if (heldBefore === undefined && (await drainRead))
        refuse('node_draining', 'the call is on a node that is draining: no new transfers');
      if (!me.exists) refuse('call_ended', 'the call has ended');
      if (!me.answered) refuse('not_answered', 'the call is not answered');
      const peerUuid = heldBefore ?? me.bridgeUuid;
      // The transferor's own code (not its peer's): its account's defaults are read while the peer's leg is.
      const myDefaults = ownCode(me, ask.metaflowOwnerLeg) ? early(defaultsOf(accountOf(me))) : undefined;
      const peer: LegState = peerUuid ? await sw.legState(peerUuid) : { uuid: '', exists: false };
      // A retry carries its transfer on whatever became of the transferee since the hold: the transfer hears of it.
      if (heldBefore === undefined && (!peer.exists || peer.bridgeUuid !== transferor))
        refuse('not_bridged', 'the call is not bridged to another party');
      // A REST request may have started the two call workflows (on demand): from now on they hear their legs' events.
      if (config.CALL_WORKFLOWS === 'on_demand')
        await sw.markCallWorkflows(peer.exists ? [transferor, peer.uuid] : [transferor]);
      // The transfer's first step signals the transferee's call workflow, and a transfer that finds none takes the
      // transferee for gone (and would leave it on hold). On demand it may not run yet; with one per leg it may not
      // either: a leg that appeared while Temporal was away has its start still held by the ingest. Asking Temporal is
      // a round trip the transferee's music need not wait for: it runs beside the rest, and the resolve returns (the
      // transfer starts) only once it is done. If it fails after the hold went out, the retry finds the parties held
      // (heldBefore), as one after a worker that died there does; a refusal before then leaves it to finish alone.
      const ensured = early(
        peer.exists ? (node.ensureCallWorkflow?.(peer, accountOf(peer)) ?? Promise.resolve()) : Promise.resolve(),
      );
      // Whose transfer this is: the transferor's own, or (a peer's feature code) the account of the leg whose
      // metaflow fired. Its media, its defaults and its account variables go with the transfer.
      const owner = await metaflowOwner(me, peer, ask.metaflowOwnerLeg);
      const accountId = accountOf(owner);
      const defaults = await (myDefaults ?? defaultsOf(accountId));
      const configuredMoh = async () => playableStream(config.DEFAULT_MOH) ?? config.DEFAULT_MOH;
      const accountMoh = async () =>
        defaults?.mohMediaId ? media(accountId, defaults.mohMediaId, 'moh', configuredMoh) : configuredMoh();
      const configuredRingback = async () => playableStream(config.DEFAULT_RINGBACK) ?? config.DEFAULT_RINGBACK;
      const accountRingback = async () =>
        defaults?.ringback ? media(accountId, defaults.ringback, 'ringback', configuredRingback) : configuredRingback();
      // Both looked up at once; a refusal of the music's still comes before one of the ringback's.
      const mohFound = early(ask.moh ? media(accountId, ask.moh, 'moh', accountMoh) : accountMoh());
      const ringbackFound = early(
        ask.ringback ? media(accountId, ask.ringback, 'ringback', accountRingback) : accountRingback(),
      );
      const moh = await mohFound;
      const ringback = await ringbackFound;
      const vars: Record<string, string> = {};
      for (const name of config.ACCOUNT_VARIABLES) {
        const v = owner.vars?.[name];
        // A value the originate cannot carry unchanged is left off rather than sent changed.
        if (v !== undefined && !unquotable(name, v)) vars[name] = v;
      }
      const dial = (number: string) =>
        config.TRANSFER_DIAL_TEMPLATE.replaceAll('{target}', number).replaceAll('{context}', config.TRANSFER_CONTEXT);
      const who = identity(me);
      const resolved: ResolvedTransfer = {
        transferee: peer.uuid,
        target: ask.target,
        dialString: dial(ask.target),
        takebackDtmf,
        moh,
        ringback,
        ringTimeoutS: ask.timeoutS ?? config.TARGET_RING_TIMEOUT_S,
        bridgeConfirmMs: config.BRIDGE_CONFIRM_TIMEOUT_MS,
        digitTimeoutMs: config.DIGIT_TIMEOUT_MS,
        codes: transferCodes(takebackDtmf, config),
        conferenceProfile: config.THREE_WAY_CONFERENCE_PROFILE,
        callerIdName: who.name,
        callerIdNumber: who.number,
        vars,
        accountId: accountOf(me),
      };
      const partialFailure = ask.partialFailure ?? config.PARTIAL_FAILURE;
      const number = partialFailure === 'recall' ? recallNumber(me, config.RECALL_NUMBER_VARIABLE) : undefined;
      if (number) {
        const them = identity(peer);
        resolved.recall = {
          number,
          dialString: dial(number),
          attempts: config.RECALL_ATTEMPTS,
          delayMs: config.RECALL_DELAY_MS,
          ringTimeoutS: config.RECALL_RING_TIMEOUT_S,
          callerIdName: them.name,
          callerIdNumber: them.number,
        };
      }
      // A blind transfer's hold hangs the transferor up: a retry of this activity would find no call to validate, so
      // that hold stays the transfer workflow's.
      const type = ask.type ?? 'attended';
      if (hold && type !== 'blind') {
        const transferId = transferWorkflowId(transferor, peer.uuid);
        // Before anything moves: the other party may be starting a transfer of the same pair at this very moment.
        await claimPair(transferId, transferor);
        resolved.onHold = await holdNow(transferId, resolved, transferor, type, hold, {
          [me.uuid]: me.vars,
          [peer.uuid]: peer.vars,
        });
      }
      await ensured;
      return resolved;
    },

    /**
     * After the transferor's call workflow gave a resolve up (or a retry of it was refused, a party gone): the parties
     * it may have held for the pair's transfer, which will not start now, are given back (giveBackPair), unless another
     * transfer has the pair: one running, or starting under the other party's claim. The give-back claims the pair
     * itself, so that such a transfer cannot hold it meanwhile, and releases it after.
     */
    async giveBackHeld(transferor: string, transferee: string | undefined): Promise<GivenBack> {
      const id = transferee
        ? transferWorkflowId(transferor, transferee)
        : (await sw.legState(transferor)).vars?.[ACTIVE_TRANSFER_VARIABLE];
      const legs = id ? parseTransferId(id) : undefined;
      if (!id || !legs?.includes(transferor)) return 'not_held';
      // Nobody marked for it (usually a refusal before anything moved): nothing to give back, and no claim taken.
      const states = await Promise.all(legs.map((leg) => sw.legState(leg)));
      if (!states.some((leg) => leg.vars?.[ACTIVE_TRANSFER_VARIABLE] === id)) return 'not_held';
      const run = await node.transferRun?.(id);
      if (node.transferRun && run === undefined) throw new Error(`Temporal could not say whether ${id} runs`);
      if (typeof run === 'object' && run.running) return 'not_held';
      if (!(await claimFor(id, transferor))) return 'not_held';
      const done = await sw.giveBackPair(id);
      const claim = await store.transferPairClaim(id);
      if (claim?.by === transferor) await store.releaseTransferPair(claim);
      return done;
    },
  };

  /**
   * The hold of a transfer just resolved. A failure is not the request's: the transfer's own hold tries again (it finds
   * what this one did through the legs' marks) and, failing, gives the parties back to each other.
   */
  async function holdNow(
    transferId: string,
    resolved: ResolvedTransfer,
    transferor: string,
    type: Exclude<TransferType, 'blind'>,
    hold: TransferHoldAsk,
    known: KnownVariables,
  ): Promise<HoldResult | undefined> {
    try {
      // The legs were read just now: the hold needs no read of its own.
      return await sw.holdForTransfer(holdPlan({ ...resolved, transferId, transferor, type, ...hold }), known);
    } catch (err) {
      log.warn('hold at resolve failed; the transfer holds the parties itself', { error: String(err) });
      return undefined;
    }
  }

  /**
   * The pair's claim for this transferor (PAIR_CLAIM_MS). The transfer workflow's start is the claim on a pair (its
   * ID is the pair's); a hold made before that start, as here, takes the store's claim first, so that two parties
   * pressing a transfer code at the same moment do not both put the other on hold: the second is refused. The claim
   * is kept with when it was made in Temporal's clock (this attempt's scheduled time), the clock of the transfer's start.
   */
  async function claimPair(transferId: string, transferor: string): Promise<void> {
    if (await claimFor(transferId, transferor)) return;
    // Claimed again once the other party's is spent: the claim stays one, so of two claimers at once one still wins.
    if ((await releaseSpentClaim(transferId)) && (await claimFor(transferId, transferor))) return;
    refuse('transfer_in_progress', 'the other party is starting a transfer of this call');
  }

  /** The pair claimed for this transferor for PAIR_CLAIM_MS, made at this attempt's scheduled time (Temporal's clock). */
  function claimFor(transferId: string, transferor: string): Promise<boolean> {
    const now = Date.now();
    const at = activityInfo().currentAttemptScheduledTimestampMs;
    return store.claimTransferPair(transferId, transferor, now + PAIR_CLAIM_MS, now, at);
  }

  /**
   * Ends the other party's claim on the pair if the transfer it was made for has run and ended: a run of the pair's
   * workflow started after the claim, and closed. A code pressed after that transfer's end then works at once, not
   * PAIR_CLAIM_MS after its start. No run since the claim (none ever, or an earlier transfer's) means the claimer has
   * not started its transfer yet: the claim is what keeps the pair, and stays. A running one keeps the pair itself.
   */
  async function releaseSpentClaim(transferId: string): Promise<boolean> {
    const held = await store.transferPairClaim(transferId);
    if (held?.at === undefined || !node.transferRun) return false;
    const run = await node.transferRun(transferId);
    if (typeof run !== 'object' || run.running || run.startedAt < held.at) return false;
    return store.releaseTransferPair(held);
  }

  /** The other leg of the transfer whose mark the transferor carries, if any. */
  function transfereeMarked(transferor: LegState): string | undefined {
    const legs = parseTransferId(transferor.vars?.[ACTIVE_TRANSFER_VARIABLE] ?? '');
    return legs?.includes(transferor.uuid) ? legs.find((leg) => leg !== transferor.uuid) : undefined;
  }
}

export type PolicyActivities = ReturnType<typeof createPolicyActivities>;

/**
 * The transfer's codes: the takeback asked for (or the default), and the configured three-way and swap codes. A code
 * the takeback already uses is off for this transfer: the client asked for that takeback by name.
 */
export function transferCodes(
  takeback: string,
  config: Pick<PolicyConfig, 'THREE_WAY_DTMF' | 'SWAP_DTMF'>,
): TransferCodes {
  const codes: TransferCodes = { takeback };
  if (config.THREE_WAY_DTMF && config.THREE_WAY_DTMF !== takeback) codes.three_way = config.THREE_WAY_DTMF;
  if (config.SWAP_DTMF && config.SWAP_DTMF !== takeback && config.SWAP_DTMF !== codes.three_way) {
    codes.swap = config.SWAP_DTMF;
  }
  return codes;
}
