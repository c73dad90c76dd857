// The transfer workflow: one per attended (or blind) transfer, its ID the pair of legs, so that only one can run on a
// pair at a time. It carries out the state machine of transfer-machine.ts: put the parties on hold, originate the
// target, then feed every leg event, timer and result to `step()` and perform the actions it returns.
import {
  getExternalWorkflowHandle,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { ResolvedTransfer } from '../activities/policy.ts';
import type { OriginatePlan, SavedSettings, StepTiming } from '../activities/types.ts';
import { EventDeduplicator } from './dedup.ts';
import { waitUntil } from './wait.ts';
import { callWorkflowId } from '../contracts/ids.ts';
import { originateOnce, originateOutcome, switchActivities } from './switch-activities.ts';
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
import { TRANSFER_OUTCOME, TRANSFER_STATE } from '../contracts/search-attributes.ts';
import { handoffMetrics } from './sinks.ts';
import { transferHearing } from './story.ts';
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
}

export async function transferWorkflow(plan: TransferPlan): Promise<TransferSummary> {
  const sw = switchActivities(plan.node, { giveUpAfter: '60 seconds' });
  const originate = originateOnce(plan.node);
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
  /** The switch's time of the event behind an input, when it came from one: where a timed step begins. */
  const seenAt = new WeakMap<Input, number>();
  const timed = (input: Input | undefined, at: number | undefined): Input | undefined => {
    if (input && at) seenAt.set(input, at);
    return input;
  };
  const dedup = new EventDeduplicator();
  const timers: { noAnswer?: number; bridgeDeadline?: number; recallDue?: number } = {};
  let saved: Record<string, SavedSettings> = {};
  /** The ingest asked for a look at the switch (it reconnected: events may have been lost). */
  let auditDue = false;

  setHandler(transferLegEventsSignal, (events: ChannelEvent[]) => {
    for (const event of events) {
      if (!dedup.isNew(event)) continue;
      const input = timed(toInput(event), event.at);
      if (input) inbox.push(input);
    }
  });
  setHandler(originateResultSignal, (result) => {
    const cause = result.cause ?? 'UNKNOWN';
    if (result.jobUuid === plan.jobUuid) {
      inbox.push(timed(result.uuid ? { type: 'target_answered' } : { type: 'target_failed', cause }, result.at)!);
    } else if (recallJob && result.jobUuid === recallJob) {
      inbox.push(result.uuid ? { type: 'recall_answered' } : { type: 'recall_failed', cause });
    }
  });
  setHandler(takebackSignal, ({ by, at }) => void inbox.push(timed({ type: 'takeback', by }, at)!));
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

  async function perform(action: Action, timing?: StepTiming): Promise<void> {
    switch (action.do) {
      case 'bridge': {
        const reply = await sw.bridge.executeWithOptions({ summary: `uuid_bridge ${action.a} ↔ ${action.b}` }, [
          legs[action.a],
          legs[action.b],
          ...(timing ? [timing] : []),
        ] as [string, string, StepTiming?]);
        if (reply.startsWith('-ERR')) inbox.push({ type: 'bridge_not_confirmed' });
        else timers.bridgeDeadline = Date.now() + plan.bridgeConfirmMs;
        return;
      }
      case 'check_bridge': {
        delete timers.bridgeDeadline;
        const bridged = await sw.isBridged.executeWithOptions(
          { summary: `is ${action.a} bridged to ${action.b}? (uuid_dump)` },
          [legs[action.a], legs[action.b]],
        );
        inbox.push(bridged ? { type: 'bridged', a: action.a, b: action.b } : { type: 'bridge_not_confirmed' });
        return;
      }
      case 'kill':
        return sw.kill.executeWithOptions({ summary: `uuid_kill ${action.party} ${action.cause}` }, [
          legs[action.party],
          action.cause,
        ]);
      case 'cancel_no_answer_timer':
        delete timers.noAnswer;
        return;
      case 'restore':
        try {
          return await sw.restoreSettings.executeWithOptions(
            { summary: `restore the settings of ${action.parties.join(' and ')}` },
            [action.parties.map((p) => ({ leg: legs[p], saved: saved[legs[p]] }))],
          );
        } finally {
          inbox.push({ type: 'restored' });
        }
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
      await dial(
        {
          transferId: plan.transferId,
          targetLeg: legs.recall,
          jobUuid: recallJob,
          dialString: recall.dialString,
          ringTimeoutS: recall.ringTimeoutS,
          callerIdName: recall.callerIdName,
          callerIdNumber: recall.callerIdNumber,
          vars: plan.vars,
        },
        { type: 'recall_answered' },
      );
      startNoAnswerDeadline(recall.ringTimeoutS);
    } catch (err) {
      log.error('could not call the transferor back', { error: String(err) });
      inbox.push({ type: 'recall_failed', cause: 'RECALL_FAILED' });
    }
  }

  /**
   * Dials a leg at most once (switch-activities.ts originateOnce); throws if it surely was not sent. When the command
   * may have gone out, the switch is read now (a leg already answered is an answer) and otherwise the leg's own
   * events or the no-answer deadline decide: the command is never sent again.
   */
  async function dial(o: OriginatePlan, answered: Input): Promise<void> {
    const giveUpAt = Date.now() + (o.ringTimeoutS + 2) * 1000;
    for (;;) {
      try {
        await originate.executeWithOptions({ summary: `originate ${o.dialString} (once)` }, [o]);
        return;
      } catch (err) {
        const outcome = originateOutcome(err);
        // Runs from before this rule retried the activity, and gave the parties back on its failure; they still do.
        if (outcome === 'refused' || !patched('originate-once')) throw err;
        if (outcome === 'not_sent') {
          if (Date.now() < giveUpAt) continue; // no node worker took it: sending it is safe
          throw err;
        }
        log.warn('originate outcome unknown: reading the switch, never sending it again', {
          leg: o.targetLeg,
          error: String(err),
        });
        const leg = await sw.legState
          .executeWithOptions({ summary: 'the originate reply was lost: read the leg' }, [o.targetLeg])
          .catch(() => undefined);
        if (leg?.exists && leg.answered) inbox.push(answered);
        return;
      }
    }
  }

  /** The switch's originate_timeout ends the ringing; this deadline is ours, in case its answer never comes. */
  function startNoAnswerDeadline(ringTimeoutS: number): void {
    timers.noAnswer = Date.now() + (ringTimeoutS + 2) * 1000;
  }

  async function performAll(actions: Action[], timing?: StepTiming): Promise<void> {
    for (const action of actions) {
      try {
        await perform(action, action.do === 'bridge' ? timing : undefined);
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
    const states = await sw.legStates.executeWithOptions(
      { summary: `read the legs on the switch: ${parties.join(', ')}` },
      [parties.map((p) => legs[p])],
    );
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
    saved = await sw.savedSettings.executeWithOptions({ summary: 'read the settings saved on the legs' }, [
      plan.transferId,
      [plan.transferor, plan.transferee],
    ]);
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
    // Restoring the settings is the end's last chore: the outcome is known, the transfer has ended for its callers.
    const phase = machine.phase === 'ended' || machine.phase === 'restoring' ? 'ended' : machine.phase;
    if (summary.phase === phase) return;
    summary.phase = phase;
    // The outcome goes with the last state, in the same upsert (`npm run ctl -- transfers --outcome`, stats).
    upsertSearchAttributes([
      { key: TRANSFER_STATE, value: phase },
      ...(phase === 'ended' && machine.outcome ? [{ key: TRANSFER_OUTCOME, value: machine.outcome }] : []),
    ]);
    // The Temporal UI's "current details" (served by a query when someone looks; setting them costs nothing).
    setCurrentDetails(
      `**${phase}** · ${transferHearing({ ...summary, outcome: machine.outcome, reason: machine.reason })}`,
    );
  }

  /** What the timer of the earliest deadline is for, as the Temporal UI's timeline shows it. */
  function deadlineSummary(next: number | undefined): string | undefined {
    if (next === undefined) return undefined;
    if (next === timers.bridgeDeadline) return `bridge confirmation (${plan.bridgeConfirmMs} ms)`;
    if (next === timers.recallDue) return `pause before calling the transferor back (${plan.recall?.delayMs ?? 0} ms)`;
    const ringing = machine.phase === 'recalling' ? plan.recall?.ringTimeoutS : plan.ringTimeoutS;
    return `no-answer deadline (${(ringing ?? plan.ringTimeoutS) + 2} s)`;
  }

  /** Which of the benchmark's steps a bridge completes, from the input that asked for it. */
  function stepOf(input: Input): StepTiming | undefined {
    const since = seenAt.get(input);
    const c = machine.connecting;
    if (since === undefined || !c || c.attempts !== 1) return undefined;
    if (c.goal === 'consult' && input.type === 'target_answered') return { step: 'consult', since };
    if (c.goal === 'complete' && input.type === 'hangup' && input.party === 'transferor')
      return { step: 'complete', since };
    if (c.goal === 'reconnect' && input.type === 'takeback' && input.by === 'takeback')
      return { step: 'takeback', since };
    return undefined;
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
      const held = await sw.holdForTransfer.executeWithOptions(
        { summary: 'hold: music for the transferee, ringback for the transferor' },
        [
          {
            transferId: plan.transferId,
            transferor: plan.transferor,
            transferee: plan.transferee,
            moh: plan.moh,
            ringback: plan.ringback,
            releaseTransferor: plan.type === 'blind',
            type: plan.type,
            startedBy: plan.startedBy,
            requestedAt: plan.requestedAt,
          },
        ],
      );
      saved = held.saved;
      if (!held.alive.transferee) inbox.push({ type: 'hangup', party: 'transferee', cause: 'NORMAL_CLEARING' });
      if (!held.alive.transferor && plan.type !== 'blind') {
        inbox.push({ type: 'hangup', party: 'transferor', cause: 'NORMAL_CLEARING' });
      }
      await dial(
        {
          transferId: plan.transferId,
          targetLeg: plan.targetLeg,
          jobUuid: plan.jobUuid,
          dialString: plan.dialString,
          ringTimeoutS: plan.ringTimeoutS,
          callerIdName: plan.callerIdName,
          callerIdNumber: plan.callerIdNumber,
          vars: plan.vars,
        },
        { type: 'target_answered' },
      );
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

  /**
   * The machine listens to the two legs left talking until their settings are back (a hangup there must not park the
   * other in silence). Runs from before this rule ended as soon as the restore had run, whatever was still coming.
   */
  const over = (): boolean =>
    machine.phase === 'ended' || (machine.phase === 'restoring' && !patched('restore-watches-pair'));
  while (!over()) {
    if (inbox.length === 0) {
      const deadlines = [timers.noAnswer, timers.bridgeDeadline, timers.recallDue].filter(
        (d): d is number => d !== undefined,
      );
      const next = deadlines.length ? Math.min(...deadlines) : undefined;
      const woke = await waitUntil(() => inbox.length > 0 || auditDue, next, deadlineSummary(next));
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
    await performAll(actions, stepOf(input));
  }

  summary.outcome = machine.outcome;
  summary.reason = machine.reason;
  summary.endedAt = Date.now();
  setPhase();
  // Only parties still on the call are told: a call workflow that has ended cannot take a signal, and the failed
  // signal would show red in this transfer's history. Runs from before this rule told both; they still do.
  const tellBoth = !patched('end-tells-living-parties');
  for (const party of ['transferor', 'transferee'] as const) {
    if (!tellBoth && !machine.alive[party]) continue;
    await getExternalWorkflowHandle(callWorkflowId(legs[party]))
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
