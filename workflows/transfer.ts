// The transfer workflow: one per attended (or blind) transfer, its ID the pair of legs, so that only one can run on a
// pair at a time. It carries out the state machine of transfer-machine.ts: put the parties on hold, originate the
// target, then feed every leg event, timer and result to `step()` and perform the actions it returns.
import {
  getExternalWorkflowHandle,
  log,
  patched,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { ResolvedTransfer } from '../activities/policy.ts';
import type { SavedSettings } from '../activities/types.ts';
import { EventDeduplicator } from './dedup.ts';
import { waitUntil } from './wait.ts';
import { callWorkflowId } from '../contracts/ids.ts';
import { switchActivities } from './switch-activities.ts';
import {
  auditLegsSignal,
  takebackSignal,
  joinTransferSignal,
  originateResultSignal,
  transferEndedSignal,
  transferLegEventsSignal,
  transferQuery,
  type ChannelEvent,
  type TransferSummary,
  type TransferType,
} from '../contracts/messages.ts';
import { TRANSFER_STATE } from '../contracts/search-attributes.ts';
import {
  HANG_UP_ON_PARTIAL_FAILURE,
  auditInputs,
  initialState,
  resume,
  step,
  type Action,
  type Input,
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
  /**
   * A new run of a transfer whose previous run ended without an outcome (terminated or cancelled by hand): it skips the
   * prologue and starts from what the switch shows (transfer-machine.ts `resume`). Set by the transferor's call
   * workflow (the parent) or, when that has ended, by the ingest's sweep (workers/ingest/transfers.ts).
   */
  resume?: boolean;
}

export async function transferWorkflow(plan: TransferPlan): Promise<TransferSummary> {
  const sw = switchActivities(plan.node, { giveUpAfter: '60 seconds' });
  const legs: Record<Party, string> = {
    transferor: plan.transferor,
    transferee: plan.transferee,
    target: plan.targetLeg,
    recall: '', // chosen per recall attempt
  };
  let recallJob = '';
  const partyOf = (uuid: string | undefined): Party | undefined =>
    (Object.keys(legs) as Party[]).find((p) => legs[p] === uuid);

  const policy: PartialFailurePolicy = plan.recall
    ? { partialFailure: 'recall', recallAttempts: plan.recall.attempts }
    : HANG_UP_ON_PARTIAL_FAILURE;
  let machine: MachineState = initialState(
    plan.type === 'blind' ? 'partial' : 'ringing',
    plan.type === 'blind',
    policy,
  );
  const summary: TransferSummary = {
    transferId: plan.transferId,
    phase: 'starting',
    transferor: plan.transferor,
    transferee: plan.transferee,
    target: plan.target,
    targetLeg: plan.targetLeg,
    type: plan.type,
    startedAt: Date.now(),
  };
  const inbox: Input[] = [];
  const dedup = new EventDeduplicator();
  const timers: { noAnswer?: number; bridgeDeadline?: number; recallDue?: number } = {};
  let saved: Record<string, SavedSettings> = {};
  /** The ingest asked for a look at the switch (it reconnected: events may have been lost). */
  let auditDue = false;

  setHandler(transferLegEventsSignal, (events: ChannelEvent[]) => {
    for (const event of events) {
      if (!dedup.isNew(event)) continue;
      const input = toInput(event);
      if (input) inbox.push(input);
    }
  });
  setHandler(originateResultSignal, (result) => {
    const cause = result.cause ?? 'UNKNOWN';
    if (result.jobUuid === plan.jobUuid) {
      inbox.push(result.uuid ? { type: 'target_answered' } : { type: 'target_failed', cause });
    } else if (recallJob && result.jobUuid === recallJob) {
      inbox.push(result.uuid ? { type: 'recall_answered' } : { type: 'recall_failed', cause });
    }
  });
  setHandler(takebackSignal, ({ by }) => void inbox.push({ type: 'takeback', by }));
  setHandler(auditLegsSignal, () => void (auditDue = true));
  setHandler(transferQuery, () => ({ ...summary }));

  function toInput(event: ChannelEvent): Input | undefined {
    const party = partyOf(event.uuid);
    if (!party) return undefined; // not ours, or an earlier recall attempt's leg
    switch (event.name) {
      case 'CHANNEL_ANSWER':
        if (party === 'recall') return { type: 'recall_answered' };
        return party === 'target' ? { type: 'target_answered' } : undefined;
      case 'SNAPSHOT':
        // The ingest's reconciliation after a reconnect: the target answered while its events were not heard.
        return party === 'target' && event.answerState === 'answered' ? { type: 'target_answered' } : undefined;
      case 'CHANNEL_HANGUP_COMPLETE':
      case 'GONE': {
        const cause = event.hangupCause ?? 'NORMAL_CLEARING';
        if (party === 'target' && !machine.targetAnswered) return { type: 'target_failed', cause };
        if (party === 'recall' && !machine.recall?.answered) return { type: 'recall_failed', cause };
        return { type: 'hangup', party, cause };
      }
      case 'CHANNEL_BRIDGE': {
        const a = partyOf(event.bridgeA ?? event.uuid);
        const b = partyOf(event.bridgeB ?? event.otherLeg);
        return a && b ? { type: 'bridged', a, b } : undefined;
      }
      default:
        return undefined;
    }
  }

  async function perform(action: Action): Promise<void> {
    switch (action.do) {
      case 'bridge': {
        const reply = await sw.bridge(legs[action.a], legs[action.b]);
        if (reply.startsWith('-ERR')) inbox.push({ type: 'bridge_not_confirmed' });
        else timers.bridgeDeadline = Date.now() + plan.bridgeConfirmMs;
        return;
      }
      case 'check_bridge': {
        delete timers.bridgeDeadline;
        const bridged = await sw.isBridged(legs[action.a], legs[action.b]);
        inbox.push(bridged ? { type: 'bridged', a: action.a, b: action.b } : { type: 'bridge_not_confirmed' });
        return;
      }
      case 'kill':
        return sw.kill(legs[action.party], action.cause);
      case 'cancel_no_answer_timer':
        delete timers.noAnswer;
        return;
      case 'restore':
        return sw.restoreSettings(action.parties.map((p) => ({ leg: legs[p], saved: saved[legs[p]] })));
      case 'recall':
        return recallTransferor();
      case 'wait_before_recall':
        timers.recallDue = Date.now() + (plan.recall?.delayMs ?? 0);
        return;
    }
  }

  /** Calls the transferor back on a new leg; it rings like a target, under its own no-answer deadline. */
  async function recallTransferor(): Promise<void> {
    const recall = plan.recall!;
    legs.recall = uuid4();
    recallJob = uuid4();
    summary.recallLeg = legs.recall;
    try {
      await sw.originateTarget({
        transferId: plan.transferId,
        targetLeg: legs.recall,
        jobUuid: recallJob,
        dialString: recall.dialString,
        ringTimeoutS: recall.ringTimeoutS,
        callerIdName: recall.callerIdName,
        callerIdNumber: recall.callerIdNumber,
        vars: plan.vars,
      });
      startNoAnswerDeadline(recall.ringTimeoutS);
    } catch (err) {
      log.error('could not call the transferor back', { error: String(err) });
      inbox.push({ type: 'recall_failed', cause: 'RECALL_FAILED' });
    }
  }

  /** The switch's originate_timeout ends the ringing; this deadline is ours, in case its answer never comes. */
  function startNoAnswerDeadline(ringTimeoutS: number): void {
    timers.noAnswer = Date.now() + (ringTimeoutS + 2) * 1000;
  }

  async function performAll(actions: Action[]): Promise<void> {
    for (const action of actions) {
      try {
        await perform(action);
      } catch (err) {
        // An action that failed after its retries: the machine hears about it as an unconfirmed bridge or a lost leg.
        log.error('transfer action failed', { action, error: String(err) });
        if (action.do === 'bridge') inbox.push({ type: 'bridge_not_confirmed' });
      }
    }
  }

  /** The parties' legs as the switch shows them now; a bridge counts only when both legs name each other. */
  async function observe(): Promise<Seen> {
    const parties = (Object.keys(legs) as Party[]).filter((p) => legs[p] !== '');
    const states = await sw.legStates(parties.map((p) => legs[p]));
    const byParty = new Map(parties.map((p, i) => [p, states[i]!]));
    const seen: Seen = {};
    for (const [party, state] of byParty) {
      const peer = partyOf(state.bridgeUuid);
      const mutual = peer !== undefined && byParty.get(peer)?.bridgeUuid === legs[party];
      seen[party] = {
        exists: state.exists,
        answered: state.answered === true,
        bridgedTo: mutual ? peer : state.bridgeUuid && !peer ? 'other' : undefined,
      };
    }
    return seen;
  }

  /** A resumed run: the previous one left the legs as they are; carry on from what the switch shows. */
  async function resumeFromSwitch(): Promise<void> {
    saved = await sw.savedSettings(plan.transferId, [plan.transferor, plan.transferee]);
    const seen = await observe();
    const { state, actions } = resume(seen, plan.type === 'blind', policy);
    machine = state;
    log.warn('transfer resumed from the switch', { seen, phase: machine.phase, actions: actions.map((a) => a.do) });
    // A target still ringing gets a new deadline (the switch's originate_timeout still runs too).
    if (machine.phase === 'ringing' || machine.phase === 'partial') {
      startNoAnswerDeadline(plan.ringTimeoutS);
    }
    await performAll(actions);
  }

  function setPhase(): void {
    const phase = machine.phase === 'ended' ? 'ended' : machine.phase;
    if (summary.phase === phase) return;
    summary.phase = phase;
    upsertSearchAttributes([{ key: TRANSFER_STATE, value: phase }]);
  }

  /** Prologue: tell the transferee's call workflow to forward its leg's events, put both parties on hold, dial. */
  async function holdAndDial(): Promise<void> {
    try {
      await getExternalWorkflowHandle(callWorkflowId(plan.transferee)).signal(joinTransferSignal, {
        transferId: plan.transferId,
        role: 'transferee',
      });
    } catch {
      inbox.push({ type: 'hangup', party: 'transferee', cause: 'NORMAL_CLEARING' });
    }
    try {
      const held = await sw.holdForTransfer({
        transferId: plan.transferId,
        transferor: plan.transferor,
        transferee: plan.transferee,
        moh: plan.moh,
        ringback: plan.ringback,
        releaseTransferor: plan.type === 'blind',
      });
      saved = held.saved;
      if (!held.alive.transferee) inbox.push({ type: 'hangup', party: 'transferee', cause: 'NORMAL_CLEARING' });
      if (!held.alive.transferor && plan.type !== 'blind') {
        inbox.push({ type: 'hangup', party: 'transferor', cause: 'NORMAL_CLEARING' });
      }
      await sw.originateTarget({
        transferId: plan.transferId,
        targetLeg: plan.targetLeg,
        jobUuid: plan.jobUuid,
        dialString: plan.dialString,
        ringTimeoutS: plan.ringTimeoutS,
        callerIdName: plan.callerIdName,
        callerIdNumber: plan.callerIdNumber,
        vars: plan.vars,
      });
      startNoAnswerDeadline(plan.ringTimeoutS);
    } catch (err) {
      log.error('transfer could not start; giving the parties back to each other', { error: String(err) });
      inbox.unshift({ type: 'target_failed', cause: 'TRANSFER_SETUP_FAILED' });
    }
  }

  if (!plan.resume) await holdAndDial();
  else {
    try {
      await resumeFromSwitch();
    } catch (err) {
      // The switch cannot be read: the legs' own events and deadlines still drive the machine from `ringing`.
      log.error('transfer could not read the switch to resume', { error: String(err) });
      startNoAnswerDeadline(plan.ringTimeoutS);
    }
  }
  setPhase();

  while (machine.phase !== 'ended') {
    if (inbox.length === 0) {
      const deadlines = [timers.noAnswer, timers.bridgeDeadline, timers.recallDue].filter(
        (d): d is number => d !== undefined,
      );
      const next = deadlines.length ? Math.min(...deadlines) : undefined;
      const woke = await waitUntil(() => inbox.length > 0 || auditDue, next);
      if (auditDue) {
        auditDue = false;
        const seen = await observe().catch((err: unknown) => {
          log.warn('transfer audit could not read the switch', { error: String(err) });
          return undefined;
        });
        const found = seen ? auditInputs(machine, seen) : [];
        if (found.length) log.warn('transfer audit: the switch disagrees', { seen, inputs: found });
        inbox.push(...found);
        continue;
      }
      if (!woke) {
        const now = Date.now();
        if (timers.bridgeDeadline !== undefined && timers.bridgeDeadline <= now) {
          delete timers.bridgeDeadline;
          inbox.push({ type: 'bridge_deadline' });
        }
        if (timers.recallDue !== undefined && timers.recallDue <= now) {
          delete timers.recallDue;
          inbox.push({ type: 'recall_due' });
        }
        if (timers.noAnswer !== undefined && timers.noAnswer <= now) {
          delete timers.noAnswer;
          // Our deadline, not the switch's answer: before giving up, look at the ringing leg itself. Its answer may
          // have been missed (an ingest outage loses events), and a caller who answered must not be hung up.
          const recalling = machine.phase === 'recalling';
          if (patched('no-answer-checks-switch')) {
            const ringing = await sw.legState(recalling ? legs.recall : plan.targetLeg).catch(() => undefined);
            if (ringing?.exists && ringing.answered) {
              inbox.push({ type: recalling ? 'recall_answered' : 'target_answered' });
              continue;
            }
          }
          inbox.push({ type: 'no_answer_timeout' });
        }
      }
      continue;
    }
    const input = inbox.shift()!;
    if (input.type === 'bridged') delete timers.bridgeDeadline;
    const before = machine.phase;
    const { state, actions } = step(machine, input);
    machine = state;
    if (before !== machine.phase || actions.length) {
      log.info('transfer step', { input, from: before, to: machine.phase, actions: actions.map((a) => a.do) });
    }
    setPhase();
    await performAll(actions);
  }

  summary.outcome = machine.outcome;
  summary.reason = machine.reason;
  summary.endedAt = Date.now();
  setPhase();
  for (const leg of [plan.transferor, plan.transferee]) {
    await getExternalWorkflowHandle(callWorkflowId(leg))
      .signal(transferEndedSignal, { ...summary })
      .catch(() => undefined); // that call has ended
  }
  log.info('transfer ended', {
    outcome: summary.outcome,
    reason: summary.reason,
    workflowId: workflowInfo().workflowId,
  });
  return summary;
}
