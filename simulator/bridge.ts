// Bridges: uuid_bridge (two steps, captures 01 and section 8), the end of a bridge, and what the leg that stays does.

import type { Bridge, Channel } from './channels.ts';
import { runQueuedHoldMusic } from './media.ts';
import type { BridgeEnd, Switch } from './switch.ts';

/** Delays of the two halves of a uuid_bridge, as captured: unpark/reset ~20 ms, CHANNEL_BRIDGE ~40 ms later. */
const PREPARE_MS = 20;
const SECOND_LEG_SOFT_EXECUTE_MS = 18;
const BRIDGE_MS = 40;
/** 10 frames of 20 ms (FreeSWITCH's DEFAULT_LEAD_FRAMES). */
const LEAD_FRAMES_MS = 200;

/**
 * uuid_bridge A B (the reply `+OK B` is the caller's). Step 1: both legs stop what they do (broadcast, park) and
 * go CS_HIBERNATE/CS_RESET; A goes CS_SOFT_EXECUTE. Step 2: EXECUTE uuid_bridge on both, CHANNEL_BRIDGE on A only,
 * B goes CS_EXCHANGE_MEDIA. If a leg dies in between, the other stays stuck where it is (section 8).
 */
export function uuidBridge(sw: Switch, a: Channel, b: Channel): void {
  // `uuid_break X; uuid_bridge X Y` back to back: the bridge's first step stops the playback, with Y as
  // Other-Leg already (captures 03, 03b), so a break still pending is taken over here.
  for (const x of [a, b]) {
    x.pendingBreak?.cancel();
    x.pendingBreak = undefined;
    x.moving = true;
  }
  sw.sched.after(
    PREPARE_MS,
    () => {
      sw.runPlan((plan) => {
        for (const x of [a, b]) {
          if (!x.alive) continue;
          const other = x === a ? b : a;
          const list = plan.list(0, x);
          const old = x.bridge && !x.bridge.ended ? x.bridge : undefined;
          // A leg that was last bridged as the second leg gets a CALL_UPDATE when it becomes a first leg (10, 03d).
          if (x === a && a.lastBridgeRole === 'b') list.push(() => sw.callUpdate(a));
          list.push(() => {
            x.other = { ch: other, type: x === a ? 'originatee' : 'originator' };
            transferProfile(sw, x, other);
          });
          // Bridging two legs already bridged to each other ends their bridge without parking either (21a, 22c).
          if (old) endBridge(sw, { bridge: old, leaving: x, how: 'steal', plan, phase: 0, alsoMoving: other });
          sw.leaveCurrent(x, plan, 0);
          x.mode = 'bridging';
          list.push(
            // A first leg still in its bridge (CS_SOFT_EXECUTE) goes straight to CS_RESET (21a, 22c).
            () => {
              if (x.state !== 'CS_SOFT_EXECUTE') sw.setState(x, 'CS_HIBERNATE');
            },
            () => sw.setState(x, 'CS_RESET'),
          );
          runQueuedHoldMusic(sw, x, list);
          if (x === a) list.push(() => sw.setState(a, 'CS_SOFT_EXECUTE'));
        }
      });
      sw.sched.after(
        SECOND_LEG_SOFT_EXECUTE_MS,
        () => {
          if (a.alive && b.alive && a.mode === 'bridging' && b.mode === 'bridging') sw.setState(b, 'CS_SOFT_EXECUTE');
        },
        0.3,
      );
      sw.sched.after(BRIDGE_MS, () => completeBridge(sw, a, b), 0.2);
    },
    0.3,
  );
}

function completeBridge(sw: Switch, a: Channel, b: Channel): void {
  a.moving = b.moving = false;
  if (!(a.alive && b.alive && a.mode === 'bridging' && b.mode === 'bridging')) {
    for (const x of [a, b]) if (x.alive && x.mode === 'bridging') x.mode = 'stuck';
    return;
  }
  const br: Bridge = { a, b, kind: 'uuid', ended: false };
  linkBridge(sw, br);
  sw.runPlan((plan) => {
    // Under load the second leg's CS_SOFT_EXECUTE step may not have run yet: it always precedes the bridge.
    if (b.state !== 'CS_SOFT_EXECUTE') plan.add(0, b, () => sw.setState(b, 'CS_SOFT_EXECUTE'));
    plan.add(0, a, () => {
      sw.execute(a, 'uuid_bridge', b.uuid, false);
    });
    plan.add(0, b, () => {
      sw.execute(b, 'uuid_bridge', a.uuid, false);
    });
    plan.add(1, a, () => sw.bridgeEvent(a, 'CHANNEL_BRIDGE', br));
    plan.add(1, b, () => sw.setState(b, 'CS_EXCHANGE_MEDIA'));
  });
}

/** uuid_bridge is a transfer: each leg gets a new caller profile with a Transfer-Source (from its first step on). */
function transferProfile(sw: Switch, x: Channel, other: Channel): void {
  const now = Date.now();
  const src = `${Math.floor(now / 1000)}:${sw.rng.uuid()}:uuid_br:${other.uuid}`;
  x.profile.profileIndex++;
  x.profile.profileCreated = now;
  x.profile.transferSource = src;
  const hist = x.getVar('transfer_history');
  x.setVar('transfer_history', hist ? `${hist.startsWith('ARRAY::') ? hist : `ARRAY::${hist}`}|:${src}` : src);
  x.setVar('transfer_source', src);
}

/** Record a new bridge on both legs: variables and the callee id. */
export function linkBridge(sw: Switch, br: Bridge): void {
  const { a, b } = br;
  const now = Date.now();
  // A leg runs queued commands only after 10 frames (200 ms) of the bridge's media (21e).
  sw.sched.after(LEAD_FRAMES_MS, () => (br.leadFramesRead = true), 0);
  // bridge_filter_dtmf is read as the bridge starts: set later, it changes nothing until the next bridge (22c).
  br.filterDtmf = new Set([a, b].filter((x) => x.truthy('bridge_filter_dtmf')));
  for (const x of [a, b]) {
    const other = x === a ? b : a;
    x.bridge = br;
    x.mode = br.kind === 'app' && x === a ? x.mode : 'bridged';
    x.lastBridgeRole = x === a ? 'a' : 'b';
    x.other = { ch: other, type: x === a ? 'originatee' : 'originator' };
    // Only the first leg's callee id becomes the other leg's; the second leg keeps its own (captures 10, 20a).
    if (x === a) {
      x.profile.calleeIdName = other.profile.origCallerIdName;
      x.profile.calleeIdNumber = other.profile.origCallerIdNumber;
    }
    x.times.bridged = x === a ? now : x.times.bridged;
    if (x === a) x.setVar('bridge_to', other.uuid);
    x.setVar('last_bridge_to', other.uuid);
    x.setVar('bridge_channel', other.name);
    x.setVar('bridge_uuid', other.uuid);
    x.setVar('signal_bond', other.uuid);
    x.setVar('last_sent_callee_id_name', other.profile.origCallerIdName || other.profile.origCallerIdNumber);
    x.setVar('last_sent_callee_id_number', other.profile.origCallerIdNumber);
  }
}

/**
 * `leaving` leaves bridge `br` (hung up, parked, transferred, or taken by another uuid_bridge). The UNBRIDGE event
 * is only ever on the first leg; the leg that stays parks if it has park_after_bridge, else hangs up
 * (captures 03, 03b, 03c, 03d, 07, 10, 13).
 */
export function endBridge(sw: Switch, end: BridgeEnd): void {
  const { bridge: br, leaving, how, plan, phase, alsoMoving } = end;
  if (br.ended) return;
  br.ended = true;
  const stay = br.a === leaving ? br.b : br.a;
  for (const x of [br.a, br.b]) {
    x.bridge = undefined;
    x.setVar('last_bridge_role', x === br.a ? 'originator' : 'originatee');
    x.unsetVar('bridge_to');
  }
  if (how !== 'hangup' && br.a === leaving)
    plan.add(phase, leaving, () => sw.bridgeEvent(leaving, 'CHANNEL_UNBRIDGE', br));
  if (br.kind === 'app' && br.a === leaving && how !== 'hangup') {
    const app = leaving.app;
    plan.add(phase, leaving, () => sw.executeComplete(leaving, '_none_', app));
  }
  if (!stay.alive) return;
  const list = plan.list(phase, stay);
  if (stay === alsoMoving) {
    if (br.a === stay) list.push(() => sw.bridgeEvent(stay, 'CHANNEL_UNBRIDGE', br));
    return;
  }
  if (br.a === stay) {
    const app = stay.app;
    list.push(() => sw.bridgeEvent(stay, 'CHANNEL_UNBRIDGE', br));
    if (br.kind === 'app') list.push(() => sw.executeComplete(stay, '_none_', app));
  }
  stay.mode = 'bridged'; // so the hangup below treats it as a plain leg, nothing left to unpark
  stay.app = br.kind === 'app' && br.a === stay ? undefined : stay.app;
  sw.planAfterBridge(stay, plan, phase, { toExecute: br.kind === 'uuid' && br.a === stay });
}

/** The core ends bridges through its bridgeEnds hook. */
export function installBridging(sw: Switch): void {
  sw.hooks.on('bridgeEnds', (end) => endBridge(sw, end));
}
