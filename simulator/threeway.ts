// The `three_way <uuid>` application (mod_dptools): an eavesdrop with both directions mixed. The listener hears the
// target and whoever the target is bridged to, and they hear the listener; the only trace on the event socket is a
// media bug on the target (captures 20d-20f). When the target hangs up the application ends and the listener runs
// the rest of its extension, or hangs up with nothing left (20e, 20e2).

import type { Channel } from './channels.ts';
import type { Plan } from './plan.ts';
import type { Switch } from './switch.ts';

export class ThreeWays {
  /** listener -> target */
  private readonly targets = new Map<Channel, Channel>();

  constructor(private readonly sw: Switch) {}

  targetOf(listener: Channel): Channel | undefined {
    return this.targets.get(listener);
  }

  listenersOf(target: Channel): Channel[] {
    return [...this.targets].filter(([, t]) => t === target).map(([l]) => l);
  }

  /** `three_way <uuid>` run by `ch`: CHANNEL_EXECUTE, then MEDIA_BUG_START on the target (20d, 20f). */
  start(ch: Channel, data: string): void {
    const sw = this.sw;
    sw.execute(ch, 'three_way', data);
    ch.mode = 'app';
    const target = sw.find(data.trim());
    if (!target || target === ch) {
      // No such channel: the application ends at once (assumed; not captured).
      sw.executeComplete(ch);
      sw.hooks.emit('runApps', ch);
      return;
    }
    this.targets.set(ch, target);
    // Just after the step that made it: the target's own reaction to the same transfer (20f: it parks) comes first.
    sw.sched.after(1, () => target.alive && this.bugEvent(target, 'MEDIA_BUG_START'), 0);
  }

  bugEvent(target: Channel, name: 'MEDIA_BUG_START' | 'MEDIA_BUG_STOP'): void {
    const calling =
      name === 'MEDIA_BUG_START'
        ? (['switch_core_media_bug.c', 'switch_core_media_bug_add', 1014] as const)
        : (['switch_core_media_bug.c', 'switch_core_media_bug_destroy', 84] as const);
    this.sw.channelEvent(target, name, calling, {
      verbose: true,
      pre: [
        ['Media-Bug-Function', 'eavesdrop'],
        ['Media-Bug-Target', target.uuid],
      ],
    });
  }

  stop(listener: Channel): Channel | undefined {
    const target = this.targets.get(listener);
    this.targets.delete(listener);
    return target;
  }
}

const registries = new WeakMap<Switch, ThreeWays>();

export function threeWays(sw: Switch): ThreeWays {
  const t = registries.get(sw);
  if (!t) throw new Error('simulator: three_way is not installed on this switch');
  return t;
}

/**
 * The listener moving on (uuid_bridge, uuid_transfer) removes its bug from the target after the target's own steps
 * (20d: CHANNEL_UNBRIDGE and CHANNEL_PARK, then MEDIA_BUG_STOP). The target hanging up removes it right after its
 * CHANNEL_HANGUP, and the listener's application completes (20e, 20f).
 */
export function installThreeWay(sw: Switch): void {
  const tw = new ThreeWays(sw);
  registries.set(sw, tw);
  const listenerGoes = (ch: Channel, plan: Plan, phase: number): void => {
    const target = tw.stop(ch);
    if (target) plan.add(phase + 1, target, () => target.alive && tw.bugEvent(target, 'MEDIA_BUG_STOP'));
  };
  sw.hooks.on('leaving', listenerGoes);
  sw.hooks.on('hangingUp', (ch, plan, phase) => {
    listenerGoes(ch, plan, phase);
    const listeners = tw.listenersOf(ch);
    if (!listeners.length) return;
    plan.add(phase, ch, () => tw.bugEvent(ch, 'MEDIA_BUG_STOP'));
    for (const l of listeners) {
      tw.stop(l);
      plan.add(phase + 1, l, () => {
        if (!l.alive) return;
        sw.executeComplete(l);
        sw.hooks.emit('runApps', l);
      });
    }
  });
}
