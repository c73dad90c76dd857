// The dialplan applications a channel runs: a -b leg its extension (the simulated far-end phone), an -a leg the
// originate application (`&park()`, `&bridge(...)`) or extension. The `bridge` application originates a loopback pair
// of its own (capture 07).

import { linkBridge } from './bridge.ts';
import type { Channel } from './channels.ts';
import { conferences } from './conference.ts';
import { parseDialString } from './dialstring.ts';
import { answerChannel, originateLoopback } from './loopback.ts';
import { broadcast } from './media.ts';
import type { Switch } from './switch.ts';
import { threeWays } from './threeway.ts';

/** Run the next dialplan application of a channel; when none is left the channel hangs up. */
export function runNextApp(sw: Switch, ch: Channel): void {
  if (!ch.alive) return;
  const next = ch.apps.shift();
  if (!next) {
    sw.runPlan((plan) => sw.planHangup(ch, 'NORMAL_CLEARING', 'dialplan', plan, 0));
    return;
  }
  const { name, data } = next;
  switch (name) {
    case 'answer':
    case 'pre_answer':
      sw.execute(ch, name, data);
      sw.runPlan((plan) => {
        answerChannel(sw, ch, plan, 0);
        plan.add(2, ch, () => sw.executeComplete(ch));
      });
      runNextApp(sw, ch);
      return;
    case 'ring_ready': {
      sw.execute(ch, name, data);
      const a = ch.partner;
      sw.runPlan((plan) => {
        if (a && a.alive && a.mode === 'ringing' && a.callState === 'DOWN') {
          plan.add(
            0,
            a,
            () => {
              a.times.progress = Date.now();
              sw.channelEvent(
                a,
                'CHANNEL_PROGRESS',
                ['switch_channel.c', 'switch_channel_perform_mark_ring_ready_value', 3507],
                { verbose: true },
              );
            },
            () => sw.setCallState(a, 'RINGING'),
          );
        }
        plan.add(
          1,
          ch,
          () => {
            ch.times.progress = Date.now();
            sw.channelEvent(
              ch,
              'CHANNEL_PROGRESS',
              ['switch_channel.c', 'switch_channel_perform_mark_ring_ready_value', 3507],
              { verbose: true },
            );
          },
          () => sw.executeComplete(ch),
        );
      });
      runNextApp(sw, ch);
      return;
    }
    case 'sleep':
      sw.execute(ch, name, data);
      ch.appTimer = sw.sched.after(
        Number(data) || 0,
        () => {
          if (!ch.alive) return;
          sw.executeComplete(ch);
          runNextApp(sw, ch);
        },
        0.01,
      );
      return;
    case 'park':
      sw.execute(ch, name, data);
      ch.mode = 'park-app';
      sw.parkEvent(ch);
      return;
    case 'hangup':
      sw.execute(ch, name, data);
      sw.runPlan((plan) => sw.planHangup(ch, data || 'NORMAL_CLEARING', 'dialplan', plan, 0));
      return;
    case 'set': {
      sw.execute(ch, name, data);
      const i = data.indexOf('=');
      if (i > 0) ch.setVar(data.slice(0, i), data.slice(i + 1));
      sw.executeComplete(ch);
      runNextApp(sw, ch);
      return;
    }
    case 'playback':
      broadcast(sw, ch, data, false, 1);
      return;
    case 'bridge':
      runBridgeApp(sw, ch, data);
      return;
    case 'conference':
      conferences(sw).join(ch, data);
      return;
    case 'three_way':
      threeWays(sw).start(ch, data);
      return;
    default:
      // An application the simulator does not model: it runs (silently) until the channel is moved or hung up.
      sw.execute(ch, name, data);
      return;
  }
}

/** Start the originate application (or dialplan extension) on an answered -a leg. */
export function startALegApp(
  sw: Switch,
  a: Channel,
  app: { name: string; data: string } | { ext: string; context: string },
): void {
  if (!a.alive) return;
  if ('ext' in app) {
    const apps = sw.dialplan.hasContext(app.context) ? sw.dialplan.lookup(app.ext, app.context) : undefined;
    sw.setState(a, 'CS_ROUTING');
    if (!apps) {
      sw.runPlan((plan) => sw.planHangup(a, 'NO_ROUTE_DESTINATION', 'dialplan', plan, 0));
      return;
    }
    a.apps = apps.map((x) => ({ name: x.app, data: x.data ?? '' }));
  } else {
    a.apps = [app];
  }
  sw.setState(a, 'CS_EXECUTE');
  runNextApp(sw, a);
}

/**
 * The `bridge` application (capture 07): the caller goes RING_WAIT, the callee pair is originated with the
 * caller as Other-Leg, and on answer there is one CHANNEL_BRIDGE, on the caller, which stays in CS_EXECUTE.
 */
export function runBridgeApp(sw: Switch, ch: Channel, data: string): void {
  const app = sw.execute(ch, 'bridge', data);
  const dial = parseDialString(data);
  if (ch.answered) sw.setCallState(ch, 'RING_WAIT');
  const fail = (cause: string): void => {
    if (!ch.alive) return;
    sw.runPlan((plan) => {
      plan.add(0, ch, () => {
        if (ch.callState === 'RING_WAIT') sw.setCallState(ch, 'ACTIVE');
        sw.executeComplete(ch, '_none_', app);
      });
      sw.planHangup(ch, cause, 'dialplan', plan, 1);
    });
  };
  if (!dial || dial.endpoint !== 'loopback') {
    sw.sched.after(2, () => fail('CHAN_NOT_IMPLEMENTED'), 0);
    return;
  }
  const timeout = Number(new Map(dial.vars).get('originate_timeout') ?? ch.getVar('call_timeout') ?? 60) || 60;
  originateLoopback(sw, dial, {
    owner: ch,
    timeoutSec: timeout,
    onFailed: fail,
    onAnswered: (q) => {
      if (!ch.alive) {
        sw.runPlan((plan) => sw.planHangup(q, 'ORIGINATOR_CANCEL', 'kill', plan, 0));
        return;
      }
      const br = { a: ch, b: q, kind: 'app' as const, ended: false };
      linkBridge(sw, br);
      q.mode = 'bridged';
      sw.runPlan((plan) => {
        if (!ch.answered) answerChannel(sw, ch, plan, 0);
        plan.add(2, ch, () => {
          if (ch.callState === 'RING_WAIT') sw.setCallState(ch, 'ACTIVE');
          sw.bridgeEvent(ch, 'CHANNEL_BRIDGE', br);
        });
        plan.add(2, q, () => sw.setState(q, 'CS_EXCHANGE_MEDIA'));
      });
    },
  });
}

/** The core and the loopback pairs start a channel's applications through the runApps hook. */
export function installApps(sw: Switch): void {
  sw.hooks.on('runApps', (ch) => runNextApp(sw, ch));
}
