// The call workflow: one per leg (FreeSWITCH channel UUID = Kazoo call-id), fed by the ingest with that leg's events.
// It knows the leg (account, node, answered, bridged peer), interprets the caller's digits with the account's
// metaflows, and starts, follows and cancels transfers. It never touches the switch except through activities.
import {
  ActivityFailure,
  ApplicationFailure,
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
  startChild,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { LegPolicy } from '../activities/policy.ts';
import {
  DEFAULT_DIGIT_TIMEOUT_MS,
  emptyCollector,
  pressDigit,
  timeOut,
  type CollectorState,
  type FeatureCodeMatch,
} from './collector.ts';
import { EventDeduplicator, type DedupState } from './dedup.ts';
import { HANGUP_CAUSE_PATTERN } from '../contracts/grammar.ts';
import { transferWorkflowId } from '../contracts/ids.ts';
import {
  MAX_TRANSFER_RESUMES,
  breakMediaUpdate,
  callQuery,
  takebackSignal,
  takebackUpdate,
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
  type TransferType,
} from '../contracts/messages.ts';
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
import { switchActivities } from './switch-activities.ts';
import { transferStartOptions } from './transfer-start.ts';
import { NOTHING_TYPED, pressTakeback, takebackExpired, type TypedTakeback } from './takeback.ts';
import { transferWorkflow, type TransferPlan } from './transfer.ts';
import { waitUntil } from './wait.ts';

export interface CallStart {
  callId: string;
  node: string;
  /** Events per run before continue-as-new (default EVENTS_PER_RUN); tests set it low. */
  eventsPerRun?: number;
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
}

/** Events a running transfer needs from its parties' legs. */
const FORWARDED = new Set(['CHANNEL_BRIDGE', 'CHANNEL_UNBRIDGE', 'CHANNEL_HANGUP_COMPLETE', 'GONE']);
/** History stays small: a long call starts afresh (with its state) after this many events. */
const EVENTS_PER_RUN = 2000;

export async function callWorkflow(start: CallStart, carried?: CallCarried): Promise<CallSummary> {
  // A caller waits on these (their feature code, their REST request): give up sooner than a transfer would.
  const sw = switchActivities(start.node, { giveUpAfter: '30 seconds' });
  const call: CallSummary = carried?.summary ?? {
    callId: start.callId,
    node: start.node,
    phase: 'ringing',
    answered: false,
  };
  // What the ingest set at start (a run started before it did so has neither): not upserted again.
  const atStart = workflowInfo().typedSearchAttributes;
  if (!carried) call.accountId ??= atStart.get(ACCOUNT_ID);
  const dedup = new EventDeduplicator(carried?.dedup);
  const inbox: ChannelEvent[] = [];
  let processed = 0;
  /** The transfer this leg takes part in, and in which role. */
  let transfer:
    { id: string; role: 'transferor' | 'transferee'; takebackDtmf?: string; digitTimeoutMs?: number } | undefined;
  let policy: LegPolicy | undefined = carried?.policy;
  let collector: CollectorState | undefined = carried?.collector;
  let typed: TypedTakeback = NOTHING_TYPED;
  /** The plan of this call's transfer when its workflow ended without an outcome; resumed by the main loop. */
  let lostTransfer: TransferPlan | undefined;
  let resumes = carried?.resumes ?? 0;
  let requests: RequestMemory = carried?.requests ?? {};

  // Handlers first, before any await: signals that arrived with the start are delivered to them.
  setHandler(channelEventsSignal, (events) => void inbox.push(...events));
  setHandler(callQuery, () => ({ ...call, ...(transfer ? { activeTransferId: transfer.id } : {}) }));
  setHandler(joinTransferSignal, ({ transferId, role }) => {
    transfer = { id: transferId, role };
    setPhase('in_transfer');
  });
  setHandler(transferEndedSignal, (ended: TransferSummary) => onTransferEnded(ended));
  setHandler(requestTransferUpdate, (ask) => requestTransfer(ask), {
    // What the call's own state can refuse is refused here, before anything is written to its history.
    validator: (ask) => {
      if (!ask || typeof ask.target !== 'string' || ask.target.length === 0) throw new Error('target is required');
      if (ask.partialFailure !== undefined && ask.partialFailure !== 'hangup' && ask.partialFailure !== 'recall') {
        throw new Error('partial_failure must be hangup or recall');
      }
      const req = currentRequest();
      const seen = req && recall(requests, req, Date.now());
      if (seen?.kind === 'conflict') {
        throw ApplicationFailure.create({
          type: REQUEST_CONFLICT,
          message: 'this Idempotency-Key was used for a different request on this call',
          nonRetryable: true,
        });
      }
      if (seen?.kind === 'answered') return;
      if (call.phase === 'ended') refuse('call_ended', 'the call has ended');
      if (transfer) refuse('transfer_in_progress', `transfer ${transfer.id} is already running on this call`);
    },
  });
  setHandler(
    takebackUpdate,
    async () => {
      if (!transfer)
        throw ApplicationFailure.create({ type: NO_TRANSFER, message: 'no transfer is running on this call' });
      const id = transfer.id;
      await getExternalWorkflowHandle(id).signal(takebackSignal, { by: 'api' });
      return { ...(call.transfer as TransferSummary), transferId: id };
    },
    {
      validator: () => {
        if (!transfer)
          throw ApplicationFailure.create({ type: NO_TRANSFER, message: 'no transfer is running on this call' });
      },
    },
  );
  setHandler(hangupCallUpdate, async ({ cause }) => {
    await sw.kill(start.callId, cause && HANGUP_CAUSE_PATTERN.test(cause) ? cause : 'NORMAL_CLEARING');
  });
  setHandler(breakMediaUpdate, async () => {
    await sw.breakMedia(start.callId);
  });

  const hungUp = (): boolean => call.phase === 'ended';

  function setPhase(phase: CallSummary['phase']): void {
    if (call.phase === phase) return;
    call.phase = phase;
    upsertSearchAttributes([{ key: CALL_STATE, value: phase }]);
    showDetails();
  }

  /** The Temporal UI's "current details": the leg's state and who it hears (a query serves them, when asked). */
  function showDetails(): void {
    const lines = [`**${call.phase}** · ${callHearing(call)}`];
    // The transfer's own details say who hears what as it moves; this leg only names it.
    if (transfer) lines.push(`${transfer.role} in \`${transfer.id}\``);
    else if (call.transfer?.outcome) lines.push(`last transfer: ${transferHearing(call.transfer)}`);
    setCurrentDetails(lines.join('\n\n'));
  }

  function onTransferEnded(ended: TransferSummary): void {
    if (!transfer || transfer.id !== ended.transferId) return;
    transfer = undefined;
    call.transfer = ended;
    policy = undefined; // the peer may have changed: reload the feature codes on the next digit
    typed = NOTHING_TYPED;
    const completed = ended.outcome?.startsWith('completed');
    if (ended.transferee === start.callId && completed) call.bridgedTo = ended.targetLeg;
    if (ended.transferee === start.callId && ended.outcome === 'recalled') call.bridgedTo = ended.recallLeg;
    if (call.phase !== 'ended') setPhase(call.bridgedTo ? 'bridged' : 'answered');
  }

  /** The REST request this Update handler or validator runs for, when the API named it (requests.ts). */
  function currentRequest(): TransferRequestRef | undefined {
    return parseTransferRequestId(currentUpdateInfo()?.id);
  }

  /** A REST transfer request: a retry (same request ID, even from before continue-as-new) gets the first answer. */
  async function requestTransfer(ask: TransferAsk): Promise<TransferAccepted> {
    const req = currentRequest();
    const seen = req && recall(requests, req, Date.now());
    if (seen?.kind === 'answered') return answerAgain(seen.answer);
    let answer: RequestAnswer;
    try {
      answer = { accepted: await startTransfer(ask, 'api', { requestedAt: Date.now() }) };
    } catch (err) {
      if (!(err instanceof ApplicationFailure) || !req) throw err;
      const reason: unknown = err.details?.[0];
      answer = {
        refused: { type: err.type ?? '', message: err.message, ...(isTransferRefusalReason(reason) ? { reason } : {}) },
      };
    }
    if (req) requests = remember(requests, req, answer, Date.now());
    return answerAgain(answer);
  }

  function answerAgain(answer: RequestAnswer): TransferAccepted {
    if ('accepted' in answer) return answer.accepted;
    const { type, reason, message } = answer.refused;
    throw ApplicationFailure.create({ type, message, details: reason ? [reason] : [], nonRetryable: true });
  }

  async function startTransfer(
    ask: TransferAsk,
    startedBy: 'dtmf' | 'api',
    how: { requestedAt: number; featureCode?: string },
  ): Promise<TransferAccepted> {
    if (call.phase === 'ended') refuse('call_ended', 'the call has ended');
    if (transfer) refuse('transfer_in_progress', `transfer ${transfer.id} is already running on this call`);
    let resolved;
    try {
      resolved = await sw.resolveTransfer.executeWithOptions({ summary: `resolve the transfer to ${ask.target}` }, [
        start.callId,
        ask,
      ]);
    } catch (err) {
      // Surface the activity's refusal itself, so the API can map it to a status code.
      if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) throw err.cause;
      throw err;
    }
    const type: TransferType = ask.type ?? 'attended';
    const plan: TransferPlan = {
      ...resolved,
      transferId: transferWorkflowId(start.callId, resolved.transferee),
      node: start.node,
      type,
      transferor: start.callId,
      targetLeg: uuid4(),
      jobUuid: uuid4(),
      startedBy,
      // Who the transferor is, as the target sees it (its caller ID flips on answer; the policy's is the original).
      from: resolved.callerIdNumber ?? call.callerIdNumber,
      ...how,
    };
    try {
      await startTransferChild(plan);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        refuse('transfer_in_progress', 'a transfer is already running between these two legs');
      }
      throw err;
    }
    transfer = {
      id: plan.transferId,
      role: 'transferor',
      takebackDtmf: plan.takebackDtmf,
      digitTimeoutMs: plan.digitTimeoutMs,
    };
    call.transfer = {
      transferId: plan.transferId,
      phase: 'starting',
      transferor: plan.transferor,
      transferee: plan.transferee,
      target: plan.target,
      targetLeg: plan.targetLeg,
      type,
      startedAt: Date.now(),
    };
    setPhase('in_transfer');
    return {
      transferId: plan.transferId,
      transferor: plan.transferor,
      transferee: plan.transferee,
      target: plan.target,
      type,
    };
  }

  async function startTransferChild(plan: TransferPlan): Promise<void> {
    const child = await startChild(transferWorkflow, {
      ...transferStartOptions({ ...plan, accountId: plan.accountId ?? call.accountId }),
      taskQueue: workflowInfo().taskQueue,
      args: [plan],
      // The transfer must outlive the transferor's hangup (partial transfer) and this run (continue-as-new).
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    // A transfer that ends without an outcome (terminated or cancelled by hand) leaves the legs on hold: resume it from
    // the switch's state at once (the ingest's sweep would, later).
    child.result().catch(() => {
      // Runs from before this rule did not wake up for it, and must not on replay: the patch marker is written here,
      // in the workflow task in which the child's end wakes the loop (as it was when the rule came in).
      if (transfer?.id !== plan.transferId || resumes >= MAX_TRANSFER_RESUMES) return;
      if (patched('resume-lost-transfer')) lostTransfer = plan;
    });
  }

  /** A new run of a transfer that ended by hand; it reads the switch and carries on (transfer-machine.ts `resume`). */
  async function resumeTransfer(plan: TransferPlan): Promise<void> {
    resumes++;
    log.warn('transfer ended without an outcome; resuming it from the switch', { transferId: plan.transferId });
    try {
      await startTransferChild({ ...plan, resume: true });
    } catch (err) {
      // Another run is there already (the ingest's sweep was quicker): it is in charge.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  /** `completeAt`: when the code was complete (its digit timer's deadline): the transfer's `hold` step starts there. */
  async function runFeatureCode(match: FeatureCodeMatch, completeAt: number): Promise<void> {
    const data = match.metaflow.data ?? {};
    const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
    log.info('feature code', { module: match.metaflow.module, collected: match.collected, key: match.key });
    switch (match.metaflow.module) {
      case 'transfer': {
        const target = match.captures[0] || str(data['target']);
        if (!target) {
          log.warn('transfer feature code without a target: the call is left as it is', { key: match.key });
          return;
        }
        const rawType = str(data['transfer_type']) ?? str(data['transfer-type']);
        const timeout = data['timeout'];
        const ask: TransferAsk = {
          target,
          takebackDtmf: str(data['takeback_dtmf']),
          moh: str(data['moh']),
          ringback: str(data['ringback']),
          timeoutS: typeof timeout === 'number' && timeout > 0 ? timeout : undefined,
          type: rawType === 'blind' ? 'blind' : rawType === 'attended' ? 'attended' : undefined,
        };
        const partialFailure = data['partial_failure'];
        if (partialFailure === 'hangup' || partialFailure === 'recall') ask.partialFailure = partialFailure;
        if (match.set.owner === 'peer') ask.metaflowOwnerLeg = match.set.ownerLeg;
        // `*2` of `*22600`: what was typed before the target.
        const prefix = match.collected.endsWith(target) ? match.collected.slice(0, -target.length) : match.collected;
        const featureCode = `${match.set.metaflows.binding_digit || '*'}${prefix}`;
        try {
          await startTransfer(ask, 'dtmf', { requestedAt: completeAt, featureCode });
        } catch (err) {
          log.warn('transfer refused: the call is left as it is', { error: String(err) });
        }
        return;
      }
      case 'resume':
        if (transfer) await getExternalWorkflowHandle(transfer.id).signal(takebackSignal, { by: 'resume' });
        else log.info('resume: no transfer is running');
        return;
      case 'hangup':
        await sw.kill.executeWithOptions({ summary: 'hang up (feature code)' }, [start.callId, 'NORMAL_CLEARING']);
        return;
      default:
        log.warn('feature code module not acted on', { module: match.metaflow.module });
    }
  }

  /** A digit on this leg (`at`: the switch's time): the takeback code of a running transfer first, then feature codes. */
  async function onDigit(digit: string, at: number): Promise<void> {
    if (transfer?.role === 'transferor' && transfer.takebackDtmf) {
      const timeoutMs = transfer.digitTimeoutMs ?? policy?.defaultDigitTimeoutMs ?? DEFAULT_DIGIT_TIMEOUT_MS;
      // Runs from before this rule kept a partial code for ever; they still do.
      const forget = takebackExpired(typed, at, timeoutMs) && patched('takeback-expires');
      const pressed = pressTakeback(typed, transfer.takebackDtmf, digit, at, forget);
      typed = pressed.typed;
      if (pressed.matched) {
        await getExternalWorkflowHandle(transfer.id).signal(takebackSignal, { by: 'takeback', at });
        return;
      }
      if (pressed.partial) return; // part of the takeback code: not a feature code
    }
    if (!policy) {
      policy = await sw.loadLegPolicy.executeWithOptions({ summary: "load the leg's feature codes" }, [start.callId]);
      collector = emptyCollector(policy.sets);
      if (policy.accountId && call.accountId !== policy.accountId) {
        call.accountId = policy.accountId;
        upsertSearchAttributes([{ key: ACCOUNT_ID, value: policy.accountId }]);
      }
    }
    if (!policy.sets.length) return;
    collector = pressDigit(
      collector ?? emptyCollector(policy.sets),
      policy.sets,
      digit,
      Date.now(),
      policy.defaultDigitTimeoutMs,
      policy.limits,
    );
  }

  async function onCollectorTimeout(): Promise<void> {
    if (!policy || !collector) return;
    const completeAt = collector.deadline ?? Date.now();
    const result = timeOut(collector, policy.sets, policy.limits);
    collector = result.state;
    for (const error of result.errors) log.warn('metaflow pattern skipped', { error });
    if (result.match) await runFeatureCode(result.match, completeAt);
  }

  function apply(event: ChannelEvent): void {
    const leg = event.leg;
    if (leg?.accountId && call.accountId !== leg.accountId) {
      call.accountId = leg.accountId;
      upsertSearchAttributes([{ key: ACCOUNT_ID, value: leg.accountId }]);
    }
    if (leg) {
      // Who the leg is, as its first event says: FreeSWITCH flips an outbound leg's Caller-* fields on answer.
      call.callerIdNumber ??= leg.callerIdNumber;
      call.callerIdName ??= leg.callerIdName;
      call.calleeIdNumber ??= leg.calleeIdNumber;
      call.direction ??= leg.direction;
    }
    switch (event.name) {
      case 'SNAPSHOT':
        call.answered = event.answerState === 'answered';
        call.bridgedTo = event.otherLeg;
        if (!transfer) setPhase(call.bridgedTo ? 'bridged' : call.answered ? 'answered' : 'ringing');
        return;
      case 'CHANNEL_ANSWER':
        call.answered = true;
        if (!transfer && call.phase === 'ringing') setPhase('answered');
        return;
      case 'CHANNEL_BRIDGE': {
        const peer = event.bridgeA === start.callId ? event.bridgeB : (event.bridgeA ?? event.otherLeg);
        call.bridgedTo = peer ?? event.otherLeg;
        call.answered = true;
        if (!transfer) setPhase('bridged');
        return;
      }
      case 'CHANNEL_UNBRIDGE':
      case 'CHANNEL_PARK':
        if (event.name === 'CHANNEL_UNBRIDGE') call.bridgedTo = undefined;
        if (!transfer && call.phase === 'bridged' && event.name === 'CHANNEL_UNBRIDGE') setPhase('answered');
        return;
      case 'CHANNEL_HANGUP_COMPLETE':
      case 'GONE':
        call.hangupCause = event.hangupCause ?? 'NORMAL_CLEARING';
        setPhase('ended');
        return;
      default:
        return;
    }
  }

  // The ingest sets HandoffNode, and now the state and account too, when it starts the workflow; the call's state is
  // ours to keep from then on. A run the ingest started without a state sets it here, as it always did.
  if (!carried && atStart.get(CALL_STATE) === undefined)
    upsertSearchAttributes([{ key: CALL_STATE, value: call.phase }]);
  showDetails();

  while (call.phase !== 'ended') {
    const deadline = collector?.deadline;
    const woke = await waitUntil(
      () => inbox.length > 0 || lostTransfer !== undefined,
      deadline,
      'feature code: the digit timeout ends the code',
    );
    if (lostTransfer) {
      const plan = lostTransfer;
      lostTransfer = undefined;
      await resumeTransfer(plan);
      continue;
    }
    if (!woke) {
      await onCollectorTimeout();
      continue;
    }
    const batch = inbox.splice(0).filter((e) => dedup.isNew(e));
    processed += batch.length;
    const forward: ChannelEvent[] = [];
    for (const event of batch) {
      apply(event);
      // (what the ingest sent the transfer itself is not sent again)
      if (transfer && FORWARDED.has(event.name) && event.alsoTo !== transfer.id) forward.push(event);
      if (event.name === 'DTMF' && event.digit && !hungUp()) await onDigit(event.digit, event.at);
    }
    if (forward.length && transfer) {
      await getExternalWorkflowHandle(transfer.id)
        .signal(transferLegEventsSignal, forward)
        .catch((err) => log.warn('transfer gone before our events reached it', { error: String(err) }));
    }
    const idle = () => !transfer && inbox.length === 0 && !lostTransfer;
    if (idle() && (processed >= (start.eventsPerRun ?? EVENTS_PER_RUN) || workflowInfo().continueAsNewSuggested)) {
      await condition(allHandlersFinished);
      // A signal or an Update (a transfer started) may have come while the handlers finished: this run sees to them
      // first. Runs from before this check continued regardless; they still do.
      if (idle() || !patched('continue-as-new-rechecks')) {
        await continueAsNew<typeof callWorkflow>(start, {
          summary: call,
          dedup: dedup.snapshot(),
          policy,
          collector,
          requests,
          resumes,
        });
      }
    }
  }
  await condition(allHandlersFinished);
  return call;
}
