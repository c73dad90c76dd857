// The ingest's live events, one at a time: each channel event deduplicated, routed (routing.ts) to its call or
// transfer workflow's queue, a transferor's or transferee's hangup to its transfer as well, the channel projection
// written; originate results (BACKGROUND_JOB) to their transfer.
import { ACTIVE_TRANSFER_VARIABLE, parseTransferId, TRANSFEREE_VARIABLE } from '../../contracts/ids.ts';
import { bridgedPeer, type ChannelEvent } from '../../contracts/messages.ts';
import type { EslEvent, Logger } from '../esl/index.ts';
import {
  FORWARDED_EVENTS,
  TRANSFER_LEG_EVENTS,
  WORKFLOW_EVENTS,
  channelOwnership,
  toChannelEvent,
  type LegVariableNames,
} from './convert.ts';
import type { LegPolicy } from '../../activities/policy.ts';
import { CodeHold } from './code-hold.ts';
import { routeOriginateJob } from './jobs.ts';
import type { ChannelMemory } from './memory.ts';
import type { OnDemandCalls } from './on-demand.ts';
import type { ProjectionWriter } from './projection.ts';
import type { Batch, Delivery } from './queue.ts';
import { carriesVariables, routeFromEvent, type Route } from './routing.ts';
import type { IngestCounters } from './stats.ts';

export interface EventRouterOptions {
  node: string;
  names: LegVariableNames;
  memory: ChannelMemory;
  projection: ProjectionWriter;
  counters: IngestCounters;
  logger: Logger;
  /** Queues a delivery behind the others of its key (a channel, a party's copies, a job). */
  push: (key: string, delivery: Delivery) => void;
  /** When call workflows start on demand: what decides whether a call leg's event goes to its workflow. */
  onDemand?: OnDemandCalls;
  /** A leg's feature codes (IngestOptions.readCodes): a code's presses then go as one (code-hold.ts). */
  readCodes?: (leg: string) => Promise<LegPolicy>;
  /** When the ingest last began to hear the switch's events (this host's clock; 0 before): code-hold.ts. */
  listeningSince?: () => number;
}

export class EventRouter {
  /** Transfers known to have ended; bounded (oldest first out). */
  private readonly endedTransfers = new BoundedSet(10_000);
  /**
   * Legs whose CHANNEL_ANSWER went to their transfer (`<transfer>|<leg>`): the transfer knows its target (or recall)
   * answered, so the originate's +OK after it would tell it nothing (onJob).
   */
  private readonly answeredToTransfer = new BoundedSet(10_000);
  /** A feature code's key presses, sent as one delivery once the leg's codes are known (code-hold.ts). */
  readonly codes: CodeHold;

  constructor(private readonly o: EventRouterOptions) {
    this.codes = new CodeHold({
      send: (d) => this.deliverToCall(d),
      read: o.readCodes,
      listeningSince: o.listeningSince,
      onReadError: (leg, err) =>
        o.logger.warn("ingest: the leg's feature codes could not be read: its key presses go one by one", {
          uuid: leg,
          error: String(err),
        }),
    });
  }

  /** One event from the switch. */
  onEvent(evt: EslEvent): void {
    const { counters, memory, projection, push } = this.o;
    counters.received++;
    const name = evt['Event-Name'] ?? '';
    if (name === 'BACKGROUND_JOB') return this.onJob(evt);
    const uuid = evt['Unique-ID'];
    if (!uuid || !FORWARDED_EVENTS.has(name)) {
      counters.ignored++;
      return;
    }
    if (!memory.accept(uuid, evt['Core-UUID'] ?? '', Number(evt['Event-Sequence'] ?? 0) || 0)) {
      counters.deduplicated++;
      return;
    }
    const wasTransferLeg = this.o.memory.route(uuid)?.kind === 'transfer';
    const route = this.learnRoute(uuid, evt);
    const event = toChannelEvent(evt, this.o.node, this.o.names);
    if (!event) return;
    this.o.onDemand?.observe(evt, event);
    const hungUp = name === 'CHANNEL_HANGUP_COMPLETE';
    if (hungUp) memory.ended(uuid, Date.now());
    // A park only changes the projection: no workflow acts on it, nor a transfer on its legs' creation (convert.ts).
    const toWorkflow = (route.kind === 'transfer' ? TRANSFER_LEG_EVENTS : WORKFLOW_EVENTS).has(name);
    switch (route.kind) {
      case 'ignore':
        counters.ignored++;
        return;
      case 'call':
        if (route.fromTransfer) {
          if (toWorkflow) this.toCall(adoptedDelivery(event, [event]));
          break;
        }
        projection.apply(event, carriesVariables(evt) ? channelOwnership(evt, this.o.names) : undefined);
        if (carriesVariables(evt)) memory.setActiveTransfer(uuid, transferOfParty(evt));
        if (!toWorkflow) break;
        if (this.bridgedByItsTransfer(evt, event) || unbridgedByItsHold(evt, event)) {
          counters.ignored++;
          return;
        }
        this.sendToActiveTransfer(uuid, evt, event);
        // A transfer's target leg that its transfer let go (a completed transfer) and that hangs up before any other
        // event made it a workflow: its call workflow starts with the hangup as its state, with nothing to act on.
        this.toCall({ kind: 'call', uuid, event, ...(hungUp && wasTransferLeg ? { startEnded: true } : {}) });
        break;
      case 'transfer':
        if (hungUp) projection.channelEnded(uuid, event.at);
        if (!toWorkflow) break;
        if (name === 'CHANNEL_ANSWER') this.answeredToTransfer.add(`${route.workflowId}|${uuid}`);
        push(uuid, { kind: 'transfer', workflowId: route.workflowId, event });
        break;
    }
    if (!toWorkflow) {
      counters.ignored++;
      return;
    }
    counters.forwarded++;
  }

  /**
   * A leg's events reached a transfer that has ended. After a completed transfer its target leg is a call like any
   * other (its DTMF carry no variables, so the route learnt during the transfer would otherwise stick): the events go
   * back, at the head of their queue, to the leg's call. A party's copy is dropped: its call workflow had the original.
   */
  onTransferGone(batch: Extract<Batch, { kind: 'transfer' }>): Delivery[] {
    if (batch.party && batch.events.every((e) => e.name === 'DTMF')) return this.keysAfterTransfer(batch);
    this.endedTransfers.add(batch.workflowId);
    if (batch.party) return [];
    const adopted = batch.events.map((event) => {
      this.o.memory.setRoute(event.uuid, { kind: 'call', fromTransfer: batch.workflowId });
      return adoptedDelivery(event, batch.events);
    });
    const onDemand = this.o.onDemand;
    if (!onDemand) return adopted;
    for (const d of adopted) onDemand.deliver(d);
    return [];
  }

  /**
   * A party's key presses that reached its transfer after it ended: the leg keeps the transfer's mark until the
   * transfer's last chore puts its settings back, which no event shows. They are dropped (its call workflow has them),
   * and the leg is no party of the transfer until an event with variables says so again. The transfer is not taken
   * for ended for good: its ID is the pair's, and the pair's next transfer, whose hold marks the legs again, has it too.
   */
  private keysAfterTransfer(batch: Extract<Batch, { kind: 'transfer' }>): Delivery[] {
    for (const { uuid } of batch.events) {
      if (this.o.memory.activeTransfer(uuid) === batch.workflowId) this.o.memory.setActiveTransfer(uuid, undefined);
    }
    return [];
  }

  /** An event for a call leg's workflow: a code's key presses go together (code-hold.ts), a party's one by one. */
  private toCall(delivery: Extract<Delivery, { kind: 'call' }>): void {
    this.codes.offer(delivery, this.o.memory.activeTransfer(delivery.uuid) !== undefined);
  }

  /** On demand, only once the leg has a call workflow (on-demand.ts). */
  private deliverToCall(delivery: Extract<Delivery, { kind: 'call' }>): void {
    if (this.o.onDemand) this.o.onDemand.deliver(delivery);
    else this.o.push(delivery.uuid, delivery);
  }

  /**
   * A transferor's or transferee's hangup goes straight to its transfer (the leg carries handoff_active_transfer while
   * one runs), on a queue of its own: one hop less than through the leg's call workflow, and the transfer hears its
   * parties even if a call workflow is lost. `alsoTo` tells the call workflow. Their bridges do not go: the transfer
   * acts on a bridge only while it makes one, and each of its bridge activities waits for that bridge's CHANNEL_BRIDGE
   * itself (activities/switch.ts); one that did not come in time is read on the switch. A bridge made by anyone else
   * is no input of the transfer's machine, so each copy was a signal and a workflow task with nothing done.
   *
   * A transferor's key presses go to its transfer as well as to its call workflow, which still collects them (the
   * event goes to it unmarked): the transfer acts on a code they complete without waiting for the call workflow's
   * signal (workflows/transferor-keys.ts). A press carries no variables: the leg's last event that did says whose party
   * it is (the transfer's hold marks both legs before it unbridges them, so the unbridge says it before any press).
   */
  private sendToActiveTransfer(uuid: string, evt: EslEvent, event: ChannelEvent): void {
    if (event.name === 'DTMF') {
      const transferId = this.o.memory.activeTransfer(uuid);
      if (!transferId || this.endedTransfers.has(transferId)) return;
      this.o.push(`party:${uuid}`, { kind: 'transfer', workflowId: transferId, event: { ...event }, party: true });
      return;
    }
    if (event.name !== 'CHANNEL_HANGUP_COMPLETE') return;
    const transferId = evt[`variable_${ACTIVE_TRANSFER_VARIABLE}`];
    if (!transferId || this.endedTransfers.has(transferId)) return;
    event.alsoTo = transferId;
    this.o.push(`party:${uuid}`, { kind: 'transfer', workflowId: transferId, event, party: true });
  }

  /**
   * A transferee's bridge to a leg its own transfer originated (the target, or the recall leg): the transfer makes it
   * to end, and its end tells the transferee's call workflow who the leg is bridged to now (workflows/call-state.ts
   * `transferEnded`), so the event would be a signal and a workflow task that change nothing its call shows (the phase
   * stays `in_transfer` until then). The projection has it all the same. The transferor's bridge to the target still
   * goes: its call workflow needs its peer while it consults (whose ear a private code keeps digits from). A
   * CHANNEL_BRIDGE carries only its own leg's variables (the other leg's caller profile, not its variables), so the
   * transferee is known by the variable its transfer's hold put on it, and the other leg by the route its own events
   * gave it here; unknown to this ingest (restarted since), the event goes as before.
   */
  private bridgedByItsTransfer(evt: EslEvent, event: ChannelEvent): boolean {
    if (event.name !== 'CHANNEL_BRIDGE') return false;
    const transferId = evt[`variable_${TRANSFEREE_VARIABLE}`];
    const peer = bridgedPeer(event);
    if (!transferId || !peer) return false;
    const route = this.o.memory.route(peer);
    return route?.kind === 'transfer' && route.workflowId === transferId;
  }

  // Events without variables (DTMF) cannot say where they go: the channel's earlier events did.
  private learnRoute(uuid: string, evt: EslEvent): Route {
    let proven = routeFromEvent(evt);
    if (proven?.kind === 'transfer' && this.endedTransfers.has(proven.workflowId))
      proven = { kind: 'call', fromTransfer: proven.workflowId };
    if (proven) {
      this.o.memory.setRoute(uuid, proven);
      return proven;
    }
    const known = this.o.memory.route(uuid);
    if (known) return known;
    this.o.logger.debug('ingest: event for a channel not seen before, taken as a call', {
      uuid,
      name: evt['Event-Name'],
    });
    return { kind: 'call' };
  }

  private onJob(evt: EslEvent): void {
    const routed = routeOriginateJob(evt);
    if (!routed) {
      this.o.counters.ignored++;
      return;
    }
    // A leg's answer is the transfer's input (workflows/transfer-machine.ts toInput); an answer it has already had is
    // no input at all, so the +OK that follows it (the originate returns once the leg answered) stays here: it was a
    // signal, a workflow task and a restarted deadline timer in every transfer whose target answered.
    const { legUuid } = routed;
    if (routed.result.uuid && legUuid && this.answeredToTransfer.has(`${routed.workflowId}|${legUuid}`)) {
      this.o.counters.ignored++;
      return;
    }
    this.o.counters.jobsRouted++;
    // Same queue as the target leg's own events, so the transfer sees them in the order the switch sent them.
    const key = legUuid ?? `job:${routed.result.jobUuid}`;
    this.o.push(key, { kind: 'originate', workflowId: routed.workflowId, result: routed.result });
  }
}

/**
 * A party's unbridge from the other party of the transfer whose mark it carries: the transfer's hold (it marks both
 * legs, then parks the transferee, which unbridges the pair). Both call workflows know it without the event: the
 * transferor's started the transfer and the transferee's is told by it (joinTransfer), and each takes its leg for
 * unbridged then (workflows/call.ts); the leg's next bridge (the consultation, the takeback) says whom it talks to. It
 * was a signal and a workflow task while the target is dialled, the transfer's busiest moment. The projection has it
 * all the same. An unbridge from anyone else (the target, at a takeback) still goes.
 */
function unbridgedByItsHold(evt: EslEvent, event: ChannelEvent): boolean {
  if (event.name !== 'CHANNEL_UNBRIDGE') return false;
  const transferId = evt[`variable_${ACTIVE_TRANSFER_VARIABLE}`];
  const parties = transferId ? parseTransferId(transferId) : undefined;
  const peer = bridgedPeer(event);
  return parties !== undefined && peer !== undefined && parties.includes(event.uuid) && parties.includes(peer);
}

/**
 * The transfer whose presses an event's leg makes, from its variables: the transfer it is a party of, unless it is
 * that transfer's transferee (its presses are no input of the transfer's). The transferee's mark comes after its
 * hold's first events, so the transfer may get a few of its presses, and drops them.
 */
function transferOfParty(evt: EslEvent): string | undefined {
  const transferId = evt[`variable_${ACTIVE_TRANSFER_VARIABLE}`];
  return transferId && evt[`variable_${TRANSFEREE_VARIABLE}`] !== transferId ? transferId : undefined;
}

// A hangup alone of a leg that had no call of its own starts no workflow (the channel is gone).
function adoptedDelivery(event: ChannelEvent, batch: readonly ChannelEvent[]): Extract<Delivery, { kind: 'call' }> {
  const signalOnly = batch.every((e) => e.name === 'CHANNEL_HANGUP_COMPLETE');
  return { kind: 'call', uuid: event.uuid, event, signalOnly };
}

class BoundedSet {
  private readonly items = new Set<string>();
  constructor(private readonly max: number) {}
  has(key: string): boolean {
    return this.items.has(key);
  }
  add(key: string): void {
    this.items.delete(key);
    this.items.add(key);
    if (this.items.size > this.max) this.items.delete(this.items.values().next().value as string);
  }
}
