// The attended-transfer state machine, as one pure function: (state, input) → (next state, actions).
// Read it as a table, phase by phase. The transfer workflow (transfer.ts) only feeds it inputs (leg events, timers,
// activity results) and carries out the actions it returns; nothing here touches the switch.
//
// Parties: the transferor (pressed the code), the transferee (the transferor's peer), the target (the leg we originate),
// and the recall: a new leg to the transferor, called back when a partial transfer fails (policy `recall`).
// Invariant kept in every phase: each live leg is bridged, in the three-way conference, hears a stream (MOH or
// ringback), or is under a deadline (the no-answer timer, a bridge-confirmation deadline after which the switch's real
// state is read, or the conference join, which reads the conference's member list before it answers).
//
// From the consultation the transferor may also join everyone in a three-way conference (`three_way`) or talk to the
// other party while the one left hears music (`swap`). On the switch a conference member can be bridged out directly
// (uuid_bridge works on two members), so every way out of a three-way is an ordinary bridge of the two who stay.
import type { ChannelEvent, TransferOutcome, TransferPhase } from '../contracts/messages.ts';

export type Party = 'transferor' | 'transferee' | 'target' | 'recall';

/**
 * The machine's phases: the transfer's (contracts/messages.ts TransferPhase says who hears what in each; `starting` is
 * the workflow's prologue), and `restoring`, which the transfer's summary shows as `ended`: the transfer has its
 * outcome and two legs talk; their own settings are being put back. Until they are, both still carry
 * park_after_bridge: if one hangs up, the switch parks the other, alone and in silence. So the machine keeps listening
 * to the pair until the restore has run.
 */
export type Phase = Exclude<TransferPhase, 'starting'> | 'restoring';

/** Why a bridge is being made, which decides what its success means. */
export type Goal =
  /** transferor ↔ target: the consultation. */
  | 'consult'
  /** transferee ↔ target: the transfer completes. */
  | 'complete'
  /** transferor ↔ transferee: the transfer is abandoned (takeback, target failed). */
  | 'reconnect'
  /** transferor ↔ target with the transferee gone: they simply keep talking. */
  | 'keep_talking'
  /** transferee ↔ recall: the transferor, called back, takes the transferee again. */
  | 'recalled'
  /** transferor ↔ the party it does not talk to now (swap): the one it leaves gets music once the bridge is up. */
  | 'swap';

export type Input =
  | { type: 'target_answered' }
  /** The target never answered: originate -ERR, or its leg hung up before answering. */
  | { type: 'target_failed'; cause: string }
  /** Our no-answer deadline passed: before giving up, the machine has the ringing leg looked at (`check_answered`). */
  | { type: 'no_answer_deadline' }
  /** The ringing leg (the target, or the recall while recalling) did not answer in time: the switch says so too. */
  | { type: 'no_answer_timeout' }
  | { type: 'recall_answered' }
  /** The recall never answered: originate -ERR, or its leg hung up before answering. */
  | { type: 'recall_failed'; cause: string }
  /** The pause between two recall attempts is over. */
  | { type: 'recall_due' }
  | { type: 'hangup'; party: Party; cause: string }
  /** A confirmed bridge: the CHANNEL_BRIDGE event, or the switch's state read after the deadline. */
  | { type: 'bridged'; a: Party; b: Party }
  | { type: 'bridge_deadline' }
  | { type: 'bridge_not_confirmed' }
  /**
   * The switch refused the bridge because one of its legs does not exist (uuid_bridge answers `-ERR Invalid uuid`):
   * that leg's hangup may not have reached us (events are lost while a worker or Temporal is down).
   */
  | { type: 'bridge_refused' }
  /** The `audit` action has read the legs; what it found gone has been heard (as hangups) before this. */
  | { type: 'legs_audited' }
  /** The takeback: its digits, Kazoo's `resume` feature code, or the REST `cancel_transfer` action. */
  | { type: 'takeback'; by: string }
  /** An audit found transferor and target, both up, no longer bridged to each other during the consultation. */
  | { type: 'consultation_lost' }
  /**
   * The `restore` action has run (or failed for good): the legs behave as they would without a transfer. `gone`: legs
   * the switch no longer had then (their hangup may reach us later: a node worker's outage delays events).
   */
  | { type: 'restored'; gone?: Party[] }
  /** The transferor's three-way code, or the REST `three_way` action. */
  | { type: 'three_way'; by: string }
  /** The transferor's swap code, or the REST `swap` action. */
  | { type: 'swap'; by: string }
  /** The conference join's answer: every living party is a member, or not (after its own wait). */
  | { type: 'conferenced' }
  | { type: 'conference_not_confirmed' };

export type Action =
  /** `fromConference`: both legs are (or may be) conference members: bridge them as they are, nothing to stop first. */
  | { do: 'bridge'; a: Party; b: Party; fromConference?: boolean }
  /** Read the switch: is `a` bridged to `b`? Answers with `bridged` or `bridge_not_confirmed`. */
  | { do: 'check_bridge'; a: Party; b: Party }
  /**
   * Read every party's leg on the switch: what differs from what the machine knows comes back as its inputs
   * (`auditInputs`: a leg gone is its hangup), then `legs_audited`.
   */
  | { do: 'audit' }
  | { do: 'kill'; party: Party; cause: string }
  | { do: 'cancel_no_answer_timer' }
  /**
   * Read the ringing leg on the switch: its answer may have been missed (an ingest outage loses events), and a caller
   * who answered must not be hung up. Answers with `target_answered` / `recall_answered`, or `no_answer_timeout`.
   */
  | { do: 'check_answered'; party: 'target' | 'recall' }
  /** Originate a new recall leg to the transferor (attempt n), with its own no-answer timer. */
  | { do: 'recall'; attempt: number }
  /** Start the pause before the next recall attempt; it ends with `recall_due`. */
  | { do: 'wait_before_recall' }
  /** Put the legs' settings (park_after_bridge ...) back as they were before the transfer. */
  | { do: 'restore'; parties: Party[] }
  /**
   * Move the living parties into the transfer's conference: `alone` (the one not bridged to the transferor) first,
   * then the transferor with its bridged peer. Answers with `conferenced` or `conference_not_confirmed`.
   */
  | { do: 'conference'; alone: Party; attempt: number }
  /** Play the transfer's music to a parked party (the one a swap leaves aside). */
  | { do: 'music'; party: Party };

/** What to do when a partial transfer's target fails: release the transferee, or call the transferor back. */
export interface PartialFailurePolicy {
  partialFailure: 'hangup' | 'recall';
  recallAttempts: number;
}

export const HANG_UP_ON_PARTIAL_FAILURE: PartialFailurePolicy = { partialFailure: 'hangup', recallAttempts: 0 };

export interface MachineState {
  phase: Phase;
  alive: Record<Party, boolean>;
  targetAnswered: boolean;
  policy: PartialFailurePolicy;
  /** While recalling: which attempt, whether its leg answered, and the target's cause (the reason if all fail). */
  recall?: { attempt: number; answered: boolean; targetCause: string };
  /** What the transfer will be called if the current bridge succeeds. */
  connecting?: {
    a: Party;
    b: Party;
    goal: Goal;
    attempts: number;
    outcome?: TransferOutcome;
    reason?: string;
    /** The legs leave the three-way conference (see the bridge action). */
    fromConference?: boolean;
    /** The switch refused this bridge (a leg did not exist) and the legs are being read to learn who left. */
    refused?: boolean;
  };
  /** While joining: which attempt of the conference join, and who went in first. */
  joining?: { attempts: number; alone: Party };
  /** While restoring: the two legs left talking to each other. */
  restoring?: { a: Party; b: Party };
  outcome?: TransferOutcome;
  reason?: string;
  blind: boolean;
  /** Why the transferee left, when it left before the end (the outcome's reason). */
  transfereeCause?: string;
}

export interface Step {
  state: MachineState;
  actions: Action[];
}

/** How many times a bridge is tried before the legs are released rather than left unconnected. */
export const MAX_BRIDGE_ATTEMPTS = 3;

export function initialState(
  phase: 'ringing' | 'partial',
  blind: boolean,
  policy: PartialFailurePolicy = HANG_UP_ON_PARTIAL_FAILURE,
): MachineState {
  return {
    phase,
    alive: { transferor: phase === 'ringing', transferee: true, target: true, recall: false },
    targetAnswered: false,
    policy,
    blind,
  };
}

export function step(state: MachineState, input: Input): Step {
  const s: MachineState = { ...state, alive: { ...state.alive } };
  // Facts first: a hangup or an answer is true whatever the phase.
  // A target that hangs up before answering has failed, whatever the event says.
  if (input.type === 'hangup' && input.party === 'target' && !s.targetAnswered) {
    return step(state, { type: 'target_failed', cause: input.cause });
  }
  if (input.type === 'hangup' && input.party === 'recall' && !s.recall?.answered) {
    return step(state, { type: 'recall_failed', cause: input.cause });
  }
  if (input.type === 'hangup' || input.type === 'target_failed' || input.type === 'recall_failed') {
    const party = input.type === 'hangup' ? input.party : input.type === 'target_failed' ? 'target' : 'recall';
    if (!s.alive[party]) return { state: s, actions: [] }; // already known gone (e.g. we killed it)
    s.alive[party] = false;
    if (party === 'transferee' && input.type === 'hangup') s.transfereeCause = input.cause;
  }
  if (input.type === 'target_answered') {
    if (s.targetAnswered || !s.alive.target) return { state: s, actions: [] };
    s.targetAnswered = true;
  }
  if (input.type === 'recall_answered') {
    if (!s.recall || s.recall.answered || !s.alive.recall) return { state: s, actions: [] };
    s.recall = { ...s.recall, answered: true };
  }
  // Our deadline is not the switch's answer: in any phase, look at the leg that rings before giving up on it.
  if (input.type === 'no_answer_deadline' && s.phase !== 'ended') {
    return { state: s, actions: [{ do: 'check_answered', party: s.phase === 'recalling' ? 'recall' : 'target' }] };
  }
  switch (s.phase) {
    case 'ringing':
      return ringing(s, input);
    case 'consulting':
      return consulting(s, input);
    case 'partial':
      return partial(s, input);
    case 'recalling':
      return recalling(s, input);
    case 'connecting':
      return connecting(s, input);
    case 'restoring':
      return restoring(s, input);
    case 'joining':
      return joining(s, input);
    case 'three_way':
      return threeWay(s, input);
    case 'swapped':
      return swapped(s, input);
    case 'ended':
      return { state: s, actions: [] };
  }
}

// ringing: target rings, transferor hears ringback, transferee hears music.
function ringing(s: MachineState, input: Input): Step {
  switch (input.type) {
    case 'target_answered':
      return s.alive.transferee
        ? connect(s, 'transferor', 'target', 'consult', [{ do: 'cancel_no_answer_timer' }])
        : connect(
            s,
            'transferor',
            'target',
            'keep_talking',
            [{ do: 'cancel_no_answer_timer' }],
            'transferee_left',
            s.transfereeCause,
          );
    case 'target_failed':
      return giveBack(s, 'target_failed', input.cause, [{ do: 'cancel_no_answer_timer' }]);
    case 'no_answer_timeout':
      return giveBack(s, 'target_failed', 'NO_ANSWER', [kill(s, 'target', 'NO_ANSWER')]);
    case 'takeback':
      return giveBack(s, 'taken_back', input.by, [
        { do: 'cancel_no_answer_timer' },
        kill(s, 'target', 'ORIGINATOR_CANCEL'),
      ]);
    case 'hangup':
      if (input.party === 'transferor') {
        // Partial transfer: the transferee gets the target when it answers (the no-answer timer keeps running).
        if (s.alive.transferee) return { state: { ...s, phase: 'partial' }, actions: [] };
        return bothLeftWhileRinging(s, input.cause);
      }
      // The transferee left: the transferor keeps ringback and talks to the target if it answers (Kazoo stranded them).
      return { state: s, actions: [] };
    default:
      return { state: s, actions: [] };
  }
}

// consulting: transferor ↔ target, transferee hears music.
function consulting(s: MachineState, input: Input): Step {
  switch (input.type) {
    case 'hangup':
      if (input.party === 'transferor') return connect(s, 'transferee', 'target', 'complete', [], 'completed');
      if (input.party === 'target') return giveBack(s, 'target_hung_up', input.cause, []);
      // The transferee left: transferor and target stay connected.
      return restore(s, 'transferor', 'target', 'transferee_left', input.cause);
    case 'target_failed':
      return giveBack(s, 'target_hung_up', input.cause, []);
    case 'takeback':
      return giveBack(s, 'taken_back', input.by, [kill(s, 'target', 'NORMAL_CLEARING')]);
    case 'consultation_lost':
      // Something broke the bridge while nobody listened (an ingest outage): put it back.
      return connect(s, 'transferor', 'target', 'consult', []);
    case 'three_way':
      return join(s, 'transferee', 1);
    case 'swap':
      return connect(s, 'transferor', 'transferee', 'swap', []);
    default:
      return { state: s, actions: [] };
  }
}

// swapped: transferor ↔ transferee, the target hears music. The consultation the other way round: the same endings.
function swapped(s: MachineState, input: Input): Step {
  switch (input.type) {
    case 'hangup':
      if (input.party === 'transferor') return connect(s, 'transferee', 'target', 'complete', [], 'completed');
      // Transferor and transferee are bridged already: the transfer is over, they keep talking.
      if (input.party === 'target') return restore(s, 'transferor', 'transferee', 'target_hung_up', input.cause);
      if (input.party === 'transferee') {
        return connect(s, 'transferor', 'target', 'keep_talking', [], 'transferee_left', input.cause);
      }
      return { state: s, actions: [] };
    case 'target_failed':
      return restore(s, 'transferor', 'transferee', 'target_hung_up', input.cause);
    case 'takeback': {
      const dropped = kill(s, 'target', 'NORMAL_CLEARING');
      const r = restore(s, 'transferor', 'transferee', 'taken_back', input.by);
      return { ...r, actions: [dropped, ...r.actions] };
    }
    case 'swap':
      return connect(s, 'transferor', 'target', 'swap', []);
    case 'three_way':
      return join(s, 'target', 1);
    default:
      return { state: s, actions: [] };
  }
}

/** Into the conference: `alone` is the party not bridged to the transferor now. */
function join(s: MachineState, alone: Party, attempts: number): Step {
  return {
    state: { ...s, phase: 'joining', joining: { attempts, alone } },
    actions: [{ do: 'conference', alone, attempt: attempts }],
  };
}

// joining: the parties are being moved into the conference; the join answers once it has read the member list.
function joining(s: MachineState, input: Input): Step {
  const { attempts, alone } = s.joining ?? { attempts: 1, alone: 'transferee' as const };
  switch (input.type) {
    case 'conferenced':
      return { state: { ...s, phase: 'three_way', joining: undefined }, actions: [] };
    case 'conference_not_confirmed':
      // Some may be members already, some still bridged or parked: the next attempt moves whoever is missing.
      if (attempts < MAX_BRIDGE_ATTEMPTS) return join(s, alone, attempts + 1);
      return end(
        s,
        'failed',
        'CONFERENCE_FAILED',
        livingParties(s).map((p) => kill(s, p, 'NORMAL_TEMPORARY_FAILURE')),
      );
    default:
      // A leg that leaves, or the takeback, ends the three-way as it would once joined: the bridge out of it works
      // whether the two who stay are members yet or not.
      return leaveThreeWay(s, input);
  }
}

// three_way: all three in the conference.
function threeWay(s: MachineState, input: Input): Step {
  return leaveThreeWay(s, input);
}

/**
 * The ways out of a three-way: the transferor hangs up → transferee and target are bridged (the transfer completes);
 * the transferor drops the target (the takeback code, or the target hangs up) → transferor and transferee talk again;
 * the transferee leaves → transferor and target keep talking.
 */
function leaveThreeWay(s: MachineState, input: Input): Step {
  const out = { ...s, joining: undefined };
  const step = (r: Step): Step => ({
    ...r,
    state: { ...r.state, connecting: r.state.connecting && { ...r.state.connecting, fromConference: true } },
    actions: r.actions.map((a) => (a.do === 'bridge' ? { ...a, fromConference: true } : a)),
  });
  switch (input.type) {
    case 'target_failed':
      return step(giveBack(out, 'target_hung_up', input.cause, []));
    case 'hangup':
      if (input.party === 'transferor') {
        return step(connect(out, 'transferee', 'target', 'complete', [], 'completed'));
      }
      if (input.party === 'target') return step(giveBack(out, 'target_hung_up', input.cause, []));
      if (input.party === 'transferee') {
        return step(connect(out, 'transferor', 'target', 'keep_talking', [], 'transferee_left', input.cause));
      }
      return { state: s, actions: [] };
    case 'takeback':
      return step(giveBack(out, 'taken_back', input.by, [kill(out, 'target', 'NORMAL_CLEARING')]));
    default:
      return { state: s, actions: [] };
  }
}

// partial: the transferor has gone; the transferee hears music while the target rings.
function partial(s: MachineState, input: Input): Step {
  const completed: TransferOutcome = s.blind ? 'completed_blind' : 'completed_partial';
  switch (input.type) {
    case 'target_answered':
      return connect(s, 'transferee', 'target', 'complete', [{ do: 'cancel_no_answer_timer' }], completed);
    case 'target_failed':
      return partialFailed(s, input.cause, [{ do: 'cancel_no_answer_timer' }]);
    case 'no_answer_timeout':
      return partialFailed(s, 'NO_ANSWER', [kill(s, 'target', 'NO_ANSWER')]);
    case 'hangup':
      if (input.party === 'transferee') return bothLeftWhileRinging(s, input.cause);
      return { state: s, actions: [] };
    default:
      // A cancel has nobody to reconnect: the transferor is gone.
      return { state: s, actions: [] };
  }
}

/** Transferor and transferee have both left while the target rings: nobody is there for it; cancel its leg. */
function bothLeftWhileRinging(s: MachineState, cause: string): Step {
  return end(s, 'transferor_and_transferee_left', cause, [
    { do: 'cancel_no_answer_timer' },
    kill(s, 'target', 'ORIGINATOR_CANCEL'),
  ]);
}

/**
 * A partial transfer failed: nobody is there to give the transferee back to. Call the transferor back (policy
 * `recall`), or release the transferee with the target's cause rather than leave them on hold.
 */
function partialFailed(s: MachineState, cause: string, before: Action[]): Step {
  if (s.policy.partialFailure === 'recall' && s.alive.transferee && s.policy.recallAttempts > 0) {
    s.alive.recall = true;
    const recall = { attempt: 1, answered: false, targetCause: cause };
    return { state: { ...s, phase: 'recalling', recall }, actions: [...before, { do: 'recall', attempt: 1 }] };
  }
  return end(s, 'partial_failed', cause, [...before, ...(s.alive.transferee ? [kill(s, 'transferee', cause)] : [])]);
}

// recalling: the transferor is being called back (or will be, after a pause); the transferee hears music.
function recalling(s: MachineState, input: Input): Step {
  const r = s.recall!;
  switch (input.type) {
    case 'recall_answered':
      return connect(
        s,
        'transferee',
        'recall',
        'recalled',
        [{ do: 'cancel_no_answer_timer' }],
        'recalled',
        r.targetCause,
      );
    case 'recall_failed':
      return recallAgain(s, [{ do: 'cancel_no_answer_timer' }]);
    case 'no_answer_timeout':
      return s.alive.recall ? recallAgain(s, [kill(s, 'recall', 'NO_ANSWER')]) : { state: s, actions: [] };
    case 'recall_due':
      if (s.alive.recall) return { state: s, actions: [] }; // this attempt's leg is already up
      s.alive.recall = true;
      return { state: s, actions: [{ do: 'recall', attempt: r.attempt }] };
    case 'hangup':
      if (input.party !== 'transferee') return { state: s, actions: [] };
      return end(s, 'transferor_and_transferee_left', input.cause, [
        { do: 'cancel_no_answer_timer' },
        ...(s.alive.recall ? [kill(s, 'recall', 'ORIGINATOR_CANCEL')] : []),
      ]);
    default:
      // A cancel has nobody to reconnect yet: the transferor has not answered.
      return { state: s, actions: [] };
  }
}

/** This recall attempt failed: pause and try again (the transferee keeps its music), or release the transferee. */
function recallAgain(s: MachineState, before: Action[]): Step {
  const r = s.recall!;
  if (r.attempt < s.policy.recallAttempts) {
    const next = { attempt: r.attempt + 1, answered: false, targetCause: r.targetCause };
    return { state: { ...s, recall: next }, actions: [...before, { do: 'wait_before_recall' }] };
  }
  return end(s, 'partial_failed', r.targetCause, [...before, kill(s, 'transferee', r.targetCause)]);
}

// connecting: a bridge was sent; wait for its confirmation, or re-plan if one of its legs goes away.
function connecting(s: MachineState, input: Input): Step {
  const c = s.connecting!;
  switch (input.type) {
    case 'bridged':
      if (!samePair(c, input.a, input.b)) return { state: s, actions: [] };
      return bridgeDone(s);
    case 'bridge_deadline':
      return { state: s, actions: [{ do: 'check_bridge', a: c.a, b: c.b }] };
    case 'bridge_not_confirmed':
      return bridgeAgain(s);
    case 'bridge_refused':
      // A leg of the pair is gone: who left decides the bridge that makes sense now, not another try of this one.
      // The legs are read first; a leg found gone is its hangup, re-planned below like any other.
      return { state: { ...s, connecting: { ...c, refused: true } }, actions: [{ do: 'audit' }] };
    case 'legs_audited':
      // Nobody the refusal could be blamed on was found gone (or whoever was is re-planned for already, and this
      // pair is still the one to bridge): the refusal was a failed attempt after all.
      return c.refused ? bridgeAgain(s) : { state: s, actions: [] };
    case 'takeback':
      if (c.goal === 'swap' && c.b === 'transferee') {
        // The bridge being made is the takeback's own: drop the target and let it finish.
        const back = { ...c, goal: 'reconnect' as const, outcome: 'taken_back' as const, reason: input.by };
        return { state: { ...s, connecting: back }, actions: [kill(s, 'target', 'NORMAL_CLEARING')] };
      }
      if (c.goal !== 'consult' && c.goal !== 'swap') return { state: s, actions: [] };
      return giveBack(s, 'taken_back', input.by, [kill(s, 'target', 'NORMAL_CLEARING')]);
    case 'hangup':
    case 'target_failed':
    case 'recall_failed': {
      const gone = input.type === 'hangup' ? input.party : input.type === 'target_failed' ? 'target' : 'recall';
      return replan(s, gone, input.cause);
    }
    default:
      return { state: s, actions: [] };
  }
}

/** The bridge was not made: try again, up to MAX_BRIDGE_ATTEMPTS, then release whoever is still there. */
function bridgeAgain(s: MachineState): Step {
  const { refused: _, ...c } = s.connecting!;
  if (c.attempts < MAX_BRIDGE_ATTEMPTS) {
    return {
      state: { ...s, connecting: { ...c, attempts: c.attempts + 1 } },
      actions: [{ do: 'bridge', a: c.a, b: c.b, ...(c.fromConference ? { fromConference: true } : {}) }],
    };
  }
  // Never leave callers unconnected in silence: release whoever is still there.
  return end(
    s,
    'failed',
    'BRIDGE_FAILED',
    livingParties(s).map((p) => kill(s, p, 'NORMAL_TEMPORARY_FAILURE')),
  );
}

/** A leg went away while a bridge was being made: decide the bridge that now makes sense, or release the rest. */
function replan(s: MachineState, gone: Party, cause: string): Step {
  const c = s.connecting!;
  const { transferee, target, recall } = s.alive;
  switch (c.goal) {
    case 'consult':
      if (gone === 'transferee') {
        const keep = { ...c, goal: 'keep_talking' as const, outcome: 'transferee_left' as const, reason: cause };
        return { state: { ...s, connecting: keep }, actions: [] };
      }
      if (gone === 'transferor') {
        return transferee
          ? connect(s, 'transferee', 'target', 'complete', [], 'completed')
          : end(s, 'transferor_and_transferee_left', cause, [kill(s, 'target', 'NORMAL_CLEARING')]);
      }
      return giveBack(s, 'target_hung_up', cause, []);
    case 'complete':
      if (gone === 'transferee') return end(s, 'transferee_left', cause, target ? [kill(s, 'target', cause)] : []);
      if (gone === 'target') return partialFailed(s, cause, []);
      return { state: s, actions: [] };
    case 'recalled':
      if (gone === 'transferee') {
        return end(s, 'transferor_and_transferee_left', cause, recall ? [kill(s, 'recall', 'NORMAL_CLEARING')] : []);
      }
      if (gone === 'recall') {
        const why = s.recall?.targetCause ?? cause;
        return end(s, 'partial_failed', why, transferee ? [kill(s, 'transferee', why)] : []);
      }
      return { state: s, actions: [] };
    case 'swap': {
      // The transferor was moving from one party to the other (c.b): the two who are left decide.
      if (gone === 'transferor') {
        return transferee && target
          ? connect(s, 'transferee', 'target', 'complete', [], 'completed')
          : end(
              s,
              'transferor_and_transferee_left',
              cause,
              livingParties(s).map((p) => kill(s, p, 'NORMAL_CLEARING')),
            );
      }
      const other: Party = c.b === 'target' ? 'transferee' : 'target';
      if (gone === c.b) {
        // The party the transferor was turning to left: it talks to the other one again.
        return gone === 'target'
          ? giveBack(s, 'target_hung_up', cause, [])
          : connect(s, 'transferor', 'target', 'keep_talking', [], 'transferee_left', cause);
      }
      if (gone === other) {
        // The party left on the side went: the bridge being made is the last one.
        const last =
          other === 'target'
            ? { ...c, goal: 'reconnect' as const, outcome: 'target_hung_up' as const, reason: cause }
            : { ...c, goal: 'keep_talking' as const, outcome: 'transferee_left' as const, reason: cause };
        return { state: { ...s, connecting: last }, actions: [] };
      }
      return { state: s, actions: [] };
    }
    case 'reconnect':
    case 'keep_talking': {
      // The two legs being joined were each other's only company: the survivor's call is over.
      const pair = [c.a, c.b];
      if (!pair.includes(gone)) return { state: s, actions: [] };
      const survivor = pair.find((p) => p !== gone)!;
      const outcome = c.outcome ?? 'failed';
      return end(s, outcome, c.reason ?? cause, s.alive[survivor] ? [kill(s, survivor, 'NORMAL_CLEARING')] : []);
    }
  }
}

function bridgeDone(s: MachineState): Step {
  const c = s.connecting!;
  switch (c.goal) {
    case 'consult':
      return { state: { ...s, phase: 'consulting', connecting: undefined }, actions: [] };
    case 'complete':
      return restore(s, 'transferee', 'target', c.outcome ?? 'completed', c.reason);
    case 'reconnect':
      return restore(s, 'transferor', 'transferee', c.outcome ?? 'taken_back', c.reason);
    case 'keep_talking':
      return restore(s, 'transferor', 'target', c.outcome ?? 'transferee_left', c.reason);
    case 'recalled':
      return restore(s, 'transferee', 'recall', 'recalled', c.reason);
    case 'swap': {
      // The party the transferor left is parked (park_after_bridge): it gets the music.
      const left: Party = c.b === 'target' ? 'transferee' : 'target';
      const phase = c.b === 'target' ? 'consulting' : 'swapped';
      return { state: { ...s, phase, connecting: undefined }, actions: [{ do: 'music', party: left }] };
    }
  }
}

/**
 * Whether the bridge being made ends the transfer: once confirmed, its two legs talk for good and their own settings
 * are put back (bridgeDone's `restore` of the same pair). The workflow lets the bridge's activity restore them too.
 */
export function bridgeEndsTransfer(s: MachineState): boolean {
  const goal = s.connecting?.goal;
  return goal !== undefined && goal !== 'consult' && goal !== 'swap';
}

/** The outcome is decided and `a` and `b` talk: put their own settings back, listening to them until that is done. */
function restore(s: MachineState, a: Party, b: Party, outcome: TransferOutcome, reason: string | undefined): Step {
  return {
    state: { ...s, phase: 'restoring', connecting: undefined, restoring: { a, b }, outcome, reason },
    actions: [{ do: 'restore', parties: [a, b] }],
  };
}

// restoring: the pair talks, its settings are being put back; the outcome stands whatever happens now.
function restoring(s: MachineState, input: Input): Step {
  const { a, b } = s.restoring!;
  const outcome = s.outcome!;
  switch (input.type) {
    case 'restored': {
      // One of the pair was gone when the settings were put back: it left while ours were on the other, which the
      // switch has parked, alone. Its hangup event may come later, or never (an ingest that was down): end it now.
      const gone = (input.gone ?? []).filter((p) => (p === a || p === b) && s.alive[p]);
      if (!gone.length) return end(s, outcome, s.reason, []);
      for (const p of gone) s.alive[p] = false;
      const survivor = gone.includes(a) ? b : a;
      return end(s, outcome, s.reason, s.alive[survivor] ? [kill(s, survivor, 'NORMAL_CLEARING')] : []);
    }
    case 'hangup':
    case 'target_failed':
    case 'recall_failed': {
      // Our park_after_bridge may still be on the survivor: the switch parks it alone. They were each other's only
      // company, so the survivor's call is over (as when one of the pair leaves while the bridge is being made).
      const gone = input.type === 'hangup' ? input.party : input.type === 'target_failed' ? 'target' : 'recall';
      if (gone !== a && gone !== b) return { state: s, actions: [] };
      const survivor = gone === a ? b : a;
      return end(s, outcome, s.reason, s.alive[survivor] ? [kill(s, survivor, 'NORMAL_CLEARING')] : []);
    }
    default:
      return { state: s, actions: [] };
  }
}

/** Transferor back to transferee; if one of them is gone, the other's call is over. */
function giveBack(s: MachineState, outcome: TransferOutcome, reason: string, before: Action[]): Step {
  if (s.alive.transferor && s.alive.transferee) {
    return connect(s, 'transferor', 'transferee', 'reconnect', before, outcome, reason);
  }
  const survivors = (['transferor', 'transferee'] as const).filter((p) => s.alive[p]);
  return end(s, outcome, reason, [...before, ...survivors.map((p) => kill(s, p, 'NORMAL_CLEARING'))]);
}

function connect(
  s: MachineState,
  a: Party,
  b: Party,
  goal: Goal,
  before: Action[],
  outcome?: TransferOutcome,
  reason?: string,
): Step {
  return {
    state: { ...s, phase: 'connecting', connecting: { a, b, goal, attempts: 1, outcome, reason } },
    actions: [...before, { do: 'bridge', a, b }],
  };
}

function end(s: MachineState, outcome: TransferOutcome, reason: string | undefined, actions: Action[]): Step {
  return { state: { ...s, phase: 'ended', connecting: undefined, restoring: undefined, outcome, reason }, actions };
}

/** Marks the party gone at once, so that its own hangup event, when it comes, changes nothing. */
function kill(s: MachineState, party: Party, cause: string): Action {
  s.alive[party] = false;
  return { do: 'kill', party, cause };
}

function livingParties(s: MachineState): Party[] {
  return (['transferor', 'transferee', 'target', 'recall'] as const).filter((p) => s.alive[p]);
}

function samePair(c: { a: Party; b: Party }, a: Party, b: Party): boolean {
  return (c.a === a && c.b === b) || (c.a === b && c.b === a);
}

// --- Reconciliation: the switch's real state, read when events may have been missed ---------------------------------

/** One party's leg as the switch shows it: `bridgedTo` names the party it is bridged to, or 'other' for a stranger. */
export interface SeenLeg {
  exists: boolean;
  answered: boolean;
  bridgedTo?: Party | 'other';
  /** A member of the transfer's three-way conference. */
  inConference?: boolean;
}

export type Seen = Partial<Record<Party, SeenLeg>>;

/**
 * An audit (after the ingest reconnected: events may have been lost, or after the switch refused a bridge): the inputs
 * that bring a running transfer in line with the switch. Legs gone are hangups, answers missed are answers, a
 * consultation bridge that is gone is rebuilt, and a bridge being confirmed is checked at once; a refused one is
 * answered with `legs_audited`, after the hangups found.
 */
export function auditInputs(s: MachineState, seen: Seen): Input[] {
  if (s.phase === 'ended') return [];
  const inputs: Input[] = [];
  for (const party of ['transferor', 'transferee', 'target', 'recall'] as const) {
    const leg = seen[party];
    if (!leg || !s.alive[party]) continue;
    if (!leg.exists) inputs.push({ type: 'hangup', party, cause: 'NORMAL_CLEARING' });
    else if (party === 'target' && leg.answered && !s.targetAnswered) inputs.push({ type: 'target_answered' });
    else if (party === 'recall' && leg.answered && s.recall && !s.recall.answered) {
      inputs.push({ type: 'recall_answered' });
    }
  }
  const up = (p: Party) => seen[p]?.exists === true && s.alive[p];
  if (s.phase === 'consulting' && up('transferor') && up('target') && seen.transferor?.bridgedTo !== 'target') {
    inputs.push({ type: 'consultation_lost' });
  }
  if (s.phase === 'connecting') inputs.push({ type: s.connecting?.refused ? 'legs_audited' : 'bridge_deadline' });
  return inputs;
}

/**
 * A transfer whose workflow ended without an outcome (terminated or cancelled by hand, say) left its legs on hold:
 * rebuild the machine from what the switch shows and go on from there. The bridges tell how far it had got; a target
 * still ringing rings on (the caller of `resume` starts a new no-answer deadline). Recall legs are not known here.
 */
export function resume(seen: Seen, blind: boolean, policy: PartialFailurePolicy): Step {
  const transferor = seen.transferor ?? { exists: false, answered: false };
  const transferee = seen.transferee ?? { exists: false, answered: false };
  const target = seen.target ?? { exists: false, answered: false };
  let s = initialState(transferor.exists ? 'ringing' : 'partial', blind, policy);
  s.alive = { transferor: transferor.exists, transferee: transferee.exists, target: target.exists, recall: false };
  s.targetAnswered = target.exists && target.answered;
  const others = (...kept: Party[]): Action[] =>
    (['transferor', 'transferee', 'target'] as const)
      .filter((p) => s.alive[p] && !kept.includes(p))
      .map((p) => kill(s, p, 'NORMAL_CLEARING'));

  // The three-way conference holds the transferee, or the target: the transfer had got that far. Go on from the
  // three-way with whoever has left since as a hangup, so the two who stay are bridged as the three-way's endings say.
  if ((transferee.exists && transferee.inConference) || (target.exists && target.inConference)) {
    return fromThreeWay(s, seen);
  }
  // A bridge the transfer makes is already there: the transfer had got that far.
  if (transferee.exists && transferee.bridgedTo === 'target') {
    const outcome: TransferOutcome = blind ? 'completed_blind' : transferor.exists ? 'completed' : 'completed_partial';
    return end(s, outcome, 'RESUMED', [
      { do: 'restore', parties: ['transferee', 'target'] },
      ...others('transferee', 'target'),
    ]);
  }
  if (transferor.exists && transferor.bridgedTo === 'transferee') {
    return end(s, 'taken_back', 'RESUMED', [
      { do: 'restore', parties: ['transferor', 'transferee'] },
      ...others('transferor', 'transferee'),
    ]);
  }
  if (transferor.exists && transferor.bridgedTo === 'target') {
    if (transferee.exists) return { state: { ...s, phase: 'consulting' }, actions: [] };
    return end(s, 'transferee_left', 'RESUMED', [{ do: 'restore', parties: ['transferor', 'target'] }]);
  }
  // Nothing bridged yet (or any more): replay the facts the switch shows through the machine itself.
  let actions: Action[] = [];
  const feed = (input: Input) => {
    const r = step(s, input);
    s = r.state;
    actions = [...actions, ...r.actions];
  };
  s.alive = { transferor: transferor.exists, transferee: true, target: true, recall: false };
  s.targetAnswered = false;
  if (!transferee.exists) feed({ type: 'hangup', party: 'transferee', cause: 'NORMAL_CLEARING' });
  if (!target.exists) feed({ type: 'hangup', party: 'target', cause: 'NORMAL_CLEARING' });
  else if (target.answered) feed({ type: 'target_answered' });
  return { state: s, actions };
}

/**
 * `resume` from the three-way: the machine as it was in `three_way`, then a hangup for each party gone, so the two who
 * stay are bridged as the three-way's endings say. A target still up outside the conference (the join was cut short
 * before the transferor brought it in) is dropped as by the takeback: transferor and transferee talk again.
 */
function fromThreeWay(s: MachineState, seen: Seen): Step {
  let state: MachineState = { ...s, phase: 'three_way', targetAnswered: true };
  state.alive = { transferor: true, transferee: true, target: true, recall: false };
  let actions: Action[] = [];
  const feed = (input: Input) => {
    const r = step(state, input);
    state = r.state;
    actions = [...actions, ...r.actions];
  };
  for (const party of ['target', 'transferee', 'transferor'] as const) {
    if (!seen[party]?.exists) feed({ type: 'hangup', party, cause: 'NORMAL_CLEARING' });
  }
  if (state.phase === 'three_way' && seen.target?.exists && !seen.target.inConference) {
    feed({ type: 'takeback', by: 'RESUMED' });
  }
  return { state, actions };
}

// --- The legs' events as inputs ----------------------------------------------------------------------------------------

/** Each party's leg UUID (the recall's is '' until a recall attempt dials one). */
export type Legs = Record<Party, string>;

/** Which party a leg is, if it is one of this transfer's (an earlier recall attempt's leg is not). */
export function partyOf(legs: Legs, uuid: string | undefined): Party | undefined {
  return (Object.keys(legs) as Party[]).find((p) => legs[p] === uuid);
}

/**
 * A leg event as the machine's input, or undefined when the machine has no use for it. A hangup is a hangup here:
 * whether it means a failed target (or recall) is the machine's rule, decided when the input is stepped.
 */
export function toInput(event: ChannelEvent, legs: Legs): Input | undefined {
  const party = partyOf(legs, event.uuid);
  if (!party) return undefined; // not ours, or an earlier recall attempt's leg
  switch (event.name) {
    case 'CHANNEL_ANSWER':
      if (party === 'recall') return { type: 'recall_answered' };
      return party === 'target' ? { type: 'target_answered' } : undefined;
    case 'SNAPSHOT':
      // The ingest's reconciliation after a reconnect: the target answered while its events were not heard.
      return party === 'target' && event.answerState === 'answered' ? { type: 'target_answered' } : undefined;
    case 'CHANNEL_HANGUP_COMPLETE':
    case 'GONE':
      return { type: 'hangup', party, cause: event.hangupCause ?? 'NORMAL_CLEARING' };
    case 'CHANNEL_BRIDGE': {
      const a = partyOf(legs, event.bridgeA ?? event.uuid);
      const b = partyOf(legs, event.bridgeB ?? event.otherLeg);
      return a && b ? { type: 'bridged', a, b } : undefined;
    }
    default:
      return undefined;
  }
}

/** An originate's result (its job): the target's or the current recall attempt's answer or failure. */
export function originateInput(
  result: { jobUuid: string; uuid?: string; cause?: string },
  jobs: { target: string; recall: string },
): Input | undefined {
  const cause = result.cause ?? 'UNKNOWN';
  if (result.jobUuid === jobs.target)
    return result.uuid ? { type: 'target_answered' } : { type: 'target_failed', cause };
  if (jobs.recall && result.jobUuid === jobs.recall) {
    return result.uuid ? { type: 'recall_answered' } : { type: 'recall_failed', cause };
  }
  return undefined;
}

/** The parties' legs as the switch lists them (`states[i]` is `parties[i]`'s): a bridge counts only when mutual. */
export function seenLegs(
  legs: Legs,
  parties: Party[],
  states: readonly { exists: boolean; answered?: boolean; bridgeUuid?: string; conference?: string }[],
): Seen {
  const byParty = new Map(parties.map((p, i) => [p, states[i]!]));
  const seen: Seen = {};
  for (const [party, state] of byParty) {
    const peer = partyOf(legs, state.bridgeUuid);
    const mutual = peer !== undefined && byParty.get(peer)?.bridgeUuid === legs[party];
    seen[party] = {
      exists: state.exists,
      answered: state.answered === true,
      bridgedTo: mutual ? peer : state.bridgeUuid && !peer ? 'other' : undefined,
      ...(state.conference !== undefined ? { inConference: true } : {}),
    };
  }
  return seen;
}
