// Reconciliation with the switch, on every (re)connect of the event connection and every RECONCILE_MS, both ways:
// - a live call channel whose call workflow is not running gets a synthetic SNAPSHOT event through
//   signal-with-start that may start a new run (ID reuse ALLOW_DUPLICATE: unlike a late event, the reconciler
//   knows the channel is alive);
// - a running call workflow of this node whose channel is gone gets a synthetic GONE event: a hangup lost while
//   connected (mod_event_socket drops events for a listener that falls behind) costs at most one period.
// A channel whose hangup the ingest has seen never gets a SNAPSHOT, even if the switch still lists it.
// Order matters: running workflows are listed before the switch is asked for its channels, so a channel created in
// between is seen live (at worst it gets a SNAPSHOT it did not need) and no live call is ever declared GONE.
// Synthetic events have an empty coreUuid and seq 0: they are not switch events and are never deduplicated.
import type { ChannelOwnership, ChannelRecord } from '../../store/index.ts';
import { snapshotEvent, type ChannelEvent, type LegInfo } from '../../contracts/messages.ts';
import { TRANSFER_ID_VARIABLE } from '../../contracts/ids.ts';
import type { EslEvent, Logger } from '../esl/index.ts';
import { channelOwnership, legInfo, type LegVariableNames } from './convert.ts';
import type { ChannelMemory } from './memory.ts';
import type { ProjectionWriter } from './projection.ts';
import type { Delivery } from './queue.ts';
import { routeFromChannel } from './routing.ts';

/** One row of `show channels as json`, reduced. */
export interface LiveChannel {
  uuid: string;
  name: string;
  direction?: string;
  callerIdName?: string;
  callerIdNumber?: string;
  dest?: string;
  callstate?: string;
  answered: boolean;
}

// Channel-Call-State values of an answered leg (RING_WAIT: an answered a-leg whose dialplan `bridge` dials).
const ANSWERED_CALLSTATES = new Set(['ACTIVE', 'HELD', 'UNHELD', 'RING_WAIT']);

interface ShowResult {
  row_count?: number;
  rows?: Array<Record<string, unknown>>;
}

function parseShow(body: string, what: string): Array<Record<string, string>> {
  let parsed: ShowResult;
  try {
    parsed = JSON.parse(body) as ShowResult;
  } catch {
    throw new Error(`${what}: not JSON: ${body.slice(0, 80)}`);
  }
  return (parsed.rows ?? []).map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v == null ? '' : String(v)])),
  );
}

export function parseShowChannels(body: string): LiveChannel[] {
  return parseShow(body, 'show channels').flatMap((r) => {
    if (!r.uuid) return [];
    const ch: LiveChannel = { uuid: r.uuid, name: r.name ?? '', answered: ANSWERED_CALLSTATES.has(r.callstate ?? '') };
    if (r.direction) ch.direction = r.direction;
    if (r.cid_name) ch.callerIdName = r.cid_name;
    if (r.cid_num) ch.callerIdNumber = r.cid_num;
    if (r.dest) ch.dest = r.dest;
    if (r.callstate) ch.callstate = r.callstate;
    return [ch];
  });
}

/** `show calls as json`: bridged pairs, both ways. */
export function parseShowCalls(body: string): Map<string, string> {
  const peers = new Map<string, string>();
  for (const r of parseShow(body, 'show calls')) {
    if (r.uuid && r.b_uuid) {
      peers.set(r.uuid, r.b_uuid);
      peers.set(r.b_uuid, r.uuid);
    }
  }
  return peers;
}

export function goneEvent(uuid: string, node: string, at: number): ChannelEvent {
  return { name: 'GONE', uuid, coreUuid: '', seq: 0, at, node };
}

export interface ReconcileOptions {
  /** Also send a SNAPSHOT to live calls whose workflow runs (after a disconnect: their events may have been missed). */
  snapshotRunning?: boolean;
}

export interface ReconcileReport {
  liveChannels: number;
  liveCalls: number;
  runningWorkflows: number;
  snapshots: number;
  /** Answered target legs whose transfer was told (their answer may have been missed while disconnected). */
  targetSnapshots: number;
  gones: number;
  /**
   * Channels left alone because one of their own events arrived while reconciling (it is newer than the snapshot),
   * and workflows still listed as running whose hangup or GONE was passed on within the channel memory's grace
   * period (visibility lists a workflow as running for a moment after it closes).
   */
  skipped: number;
  /**
   * Channels the switch still lists whose hangup has reached us (FreeSWITCH lists a channel until it is destroyed,
   * a little after its CHANNEL_HANGUP_COMPLETE): a SNAPSHOT would start a call workflow that nothing would end.
   */
  hungUp: number;
}

export interface ReconcilerDeps {
  node: string;
  names: LegVariableNames;
  api(cmd: string): Promise<string>;
  /** `show channels|calls as json`: as api, on a connection of their own (workers/esl/node.ts). */
  list(cmd: string): Promise<string>;
  /** Call IDs of this node's running call workflows. */
  listRunningCalls(): Promise<Set<string>>;
  memory: ChannelMemory;
  projection: ProjectionWriter;
  enqueue(key: string, delivery: Delivery): void;
  logger: Logger;
  /**
   * Call workflows start on demand (workers/ingest/on-demand.ts): told which legs have one, and a live leg without one
   * gets no SNAPSHOT (that would start a workflow for every call).
   */
  onDemand?: { running(callIds: Iterable<string>): void };
}

export async function reconcile(deps: ReconcilerDeps, opts: ReconcileOptions = {}): Promise<ReconcileReport> {
  const { node, memory } = deps;
  const running = await deps.listRunningCalls();
  deps.onDemand?.running(running);
  const tick = memory.tick;
  const live = parseShowChannels(await deps.list('show channels as json'));
  const peers = await deps
    .list('show calls as json')
    .then(parseShowCalls)
    .catch((err: unknown) => {
      deps.logger.warn('ingest: show calls failed, bridges unknown', { error: String(err) });
      return new Map<string, string>();
    });
  const now = Date.now();
  const report: ReconcileReport = {
    liveChannels: live.length,
    liveCalls: 0,
    runningWorkflows: running.size,
    snapshots: 0,
    targetSnapshots: 0,
    gones: 0,
    skipped: 0,
    hungUp: 0,
  };
  const newer = (uuid: string): boolean => (memory.lastEventTick(uuid) ?? 0) > tick;
  const liveIds = new Set(live.map((c) => c.uuid));
  const rows: ChannelRecord[] = [];

  for (const ch of live) {
    if (memory.hasEnded(ch.uuid)) {
      report.hungUp++;
      continue;
    }
    const known = memory.route(ch.uuid);
    const isRunning = running.has(ch.uuid);
    let route = known ?? routeFromChannel(ch.name, undefined);
    let leg: LegInfo | undefined;
    let ownership: ChannelOwnership | undefined;
    if (!known && route.kind === 'call' && !isRunning) {
      // A channel we know nothing about: its variables say whether it is a transfer's target leg, and whose it is.
      const dump = await dumpChannel(deps, ch.uuid);
      if (!dump) continue; // gone meanwhile
      route = routeFromChannel(ch.name, dump[`variable_${TRANSFER_ID_VARIABLE}`]);
      leg = legInfo(dump, deps.names);
      ownership = channelOwnership(dump, deps.names);
    }
    if (!known) memory.setRoute(ch.uuid, route);
    if (route.kind === 'transfer') {
      // A transfer's target leg: its answer may have happened while nobody listened (a reconnect). Tell the transfer.
      if (ch.answered && !newer(ch.uuid)) {
        const bridgedTo = peers.get(ch.uuid);
        const event = snapshotEvent({ uuid: ch.uuid, node, at: now, answered: ch.answered, bridgedTo });
        deps.enqueue(ch.uuid, { kind: 'transfer', workflowId: route.workflowId, event });
        report.targetSnapshots++;
      }
      continue;
    }
    if (route.kind !== 'call') continue;
    report.liveCalls++;
    const bridgedTo = peers.get(ch.uuid);
    rows.push({ ...recordFromRow(ch, bridgedTo, leg ?? legFromRow(ch, deps.names), node, now), ...ownership });
    if (isRunning ? !opts.snapshotRunning : deps.onDemand) continue;
    if (newer(ch.uuid)) {
      report.skipped++;
      continue;
    }
    // A running workflow already knows whose leg it is; `show channels` would only give it flipped caller IDs.
    const event = snapshotEvent({ uuid: ch.uuid, node, at: now, answered: ch.answered, bridgedTo });
    if (!isRunning) event.leg = leg ?? legFromRow(ch, deps.names);
    deps.enqueue(ch.uuid, { kind: 'call', uuid: ch.uuid, event, allowNewRun: true });
    report.snapshots++;
  }

  endGoneCalls(
    deps,
    [...running].filter((callId) => !liveIds.has(callId)),
    newer,
    now,
    report,
  );
  await deps.projection.reconcile(rows);
  return report;
}

/**
 * Running call workflows whose channel the switch no longer lists: each gets a GONE, unless newer events came or the
 * channel's end was already passed on. Those are still ending, or ended a moment ago and visibility has not caught up;
 * once the memory forgets them (its grace period), a workflow still running gets its GONE.
 */
function endGoneCalls(
  deps: ReconcilerDeps,
  callIds: string[],
  newer: (uuid: string) => boolean,
  now: number,
  report: ReconcileReport,
): void {
  for (const callId of callIds) {
    if (newer(callId) || deps.memory.hasEnded(callId)) {
      report.skipped++;
      continue;
    }
    const gone = goneEvent(callId, deps.node, now);
    deps.enqueue(callId, { kind: 'call', uuid: callId, event: gone });
    deps.projection.apply(gone);
    deps.memory.ended(callId, now);
    report.gones++;
  }
}

/** `uuid_dump <uuid> json`: the channel's headers and variables, or undefined when it no longer exists. */
async function dumpChannel(deps: ReconcilerDeps, uuid: string): Promise<EslEvent | undefined> {
  const reply = await deps.api(`uuid_dump ${uuid} json`);
  if (!reply.trimStart().startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(reply) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, v == null ? '' : String(v)]));
  } catch {
    return undefined;
  }
}

function legFromRow(ch: LiveChannel, names: LegVariableNames): LegInfo {
  const leg: LegInfo = { channelName: ch.name };
  if (names.DEFAULT_ACCOUNT_ID) leg.accountId = names.DEFAULT_ACCOUNT_ID;
  if (ch.direction) leg.direction = ch.direction;
  if (ch.callerIdName) leg.callerIdName = ch.callerIdName;
  if (ch.callerIdNumber) leg.callerIdNumber = ch.callerIdNumber;
  if (ch.dest) leg.calleeIdNumber = ch.dest;
  return leg;
}

function recordFromRow(
  ch: LiveChannel,
  bridgedTo: string | undefined,
  leg: LegInfo,
  node: string,
  now: number,
): ChannelRecord {
  return {
    callId: ch.uuid,
    node,
    accountId: leg.accountId ?? null,
    direction: leg.direction,
    callerIdName: leg.callerIdName,
    callerIdNumber: leg.callerIdNumber,
    calleeIdNumber: leg.calleeIdNumber,
    answered: ch.answered,
    bridgedTo: bridgedTo ?? null,
    createdAt: now,
    updatedAt: now,
  };
}
