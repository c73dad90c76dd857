// Media on channels: uuid_broadcast playbacks, uuid_break, DTMF (with passthrough across a bridge) and hold.

import type { Channel, PendingBroadcast } from './channels.ts';
import type { Header } from './protocol.ts';
import type { Step } from './plan.ts';
import type { Switch } from './switch.ts';

/** Broadcasts start asynchronously, ~180-210 ms after the command on a parked channel (capture 03). */
const BROADCAST_DELAY_MS = 195;

export function fileType(path: string): string {
  const m = /^([a-z_]+):\/\//.exec(path);
  if (m) return m[1]!;
  const ext = /\.([A-Za-z0-9]+)$/.exec(path);
  return ext ? ext[1]!.toLowerCase() : 'file';
}

/**
 * How long a playback runs: `loops=-1` tone streams and local_stream:// run until stopped;
 * a finite tone stream runs its cadence times its loops; a file, having no audio here, is assumed to last 1 s.
 */
export function playbackMs(path: string): number | undefined {
  if (path.startsWith('local_stream://')) return undefined;
  if (path.startsWith('tone_stream://')) {
    const loops = /loops=(-?\d+)/.exec(path);
    if (loops && Number(loops[1]) < 0) return undefined;
    let cadence = 0;
    for (const m of path.matchAll(/%\(([\d,]+)\)/g)) {
      const parts = m[1]!.split(',').map(Number);
      cadence += (parts[0] ?? 0) + (parts[1] ?? 0);
    }
    return Math.max(cadence, 100) * Math.max(1, loops ? Number(loops[1]) : 1);
  }
  return 1000;
}

function commandPrefix(sw: Switch, path: string): Header[] {
  // The COMMAND event switch_ivr_broadcast queues; PRIVATE_COMMAND later carries it in front (capture 10).
  const ev = sw.bus.build(
    'COMMAND',
    ['switch_ivr_async.c', 'switch_ivr_broadcast', 5732],
    [
      ['call-command', 'execute'],
      ['execute-app-name', 'playback'],
      ['execute-app-arg', path],
      ['event-lock', 'true'],
      ['lead-frames', '5'],
    ],
  );
  return [...ev.headers];
}

/** Queue a broadcast; it starts ~200 ms later unless uuid_break cancels it first (capture 03b). */
export function broadcast(sw: Switch, ch: Channel, path: string, hold = false, delayMs = BROADCAST_DELAY_MS): void {
  const prefix = commandPrefix(sw, path);
  const timer: PendingBroadcast = Object.assign(
    sw.sched.after(
      delayMs,
      () => {
        ch.pendingBroadcasts = ch.pendingBroadcasts.filter((t) => t !== timer);
        if (!ch.alive) return;
        sw.runPlan((plan) => {
          const list = plan.list(0, ch);
          if (ch.playback) stopPlayback(sw, ch, 'done', 'PLAYBACK ERROR', list);
          list.push(() => startPlayback(sw, ch, path, hold, prefix));
        });
      },
      0.08,
    ),
    { prefix },
  );
  ch.pendingBroadcasts.push(timer);
}

export function startPlayback(sw: Switch, ch: Channel, path: string, hold: boolean, prefix: Header[]): void {
  ch.setVar('current_loop', '1');
  ch.setVar('total_loops', '1');
  const app = sw.execute(ch, 'playback', path, true, false);
  ch.playback = { path, appUuid: app.uuid, hold, prefix, app };
  sw.channelEvent(ch, 'PLAYBACK_START', ['switch_ivr_play_say.c', 'switch_ivr_play_file', 1649], {
    verbose: true,
    post: [
      ['Playback-File-Type', fileType(path)],
      ['Playback-File-Path', path],
    ],
  });
  const ms = playbackMs(path);
  if (ms !== undefined) {
    const pb = ch.playback;
    pb.timer = sw.sched.after(
      ms,
      () => {
        if (ch.playback !== pb || !ch.alive) return;
        sw.runPlan((plan) => stopPlayback(sw, ch, 'done', 'FILE PLAYED', plan.list(0, ch)));
      },
      0,
    );
  }
}

/** PLAYBACK_STOP, CHANNEL_EXECUTE_COMPLETE, PRIVATE_COMMAND: the three events of every ended broadcast. */
export function stopPlayback(sw: Switch, ch: Channel, status: string, response: string, list: Step[]): void {
  const pb = ch.playback;
  if (!pb) return;
  ch.playback = undefined;
  pb.timer?.cancel();
  list.push(
    () => {
      ch.setVar('playback_last_offset_pos', '16640');
      ch.setVar('playback_seconds', '4');
      ch.setVar('playback_ms', '4096');
      ch.setVar('playback_samples', '32768');
      sw.channelEvent(ch, 'PLAYBACK_STOP', ['switch_ivr_play_say.c', 'switch_ivr_play_file', 2023], {
        verbose: true,
        post: [
          ['Playback-File-Type', fileType(pb.path)],
          ['Playback-File-Path', pb.path],
          ['Playback-Status', status],
        ],
      });
    },
    () => sw.executeComplete(ch, response, pb.app),
    () =>
      sw.channelEvent(ch, 'PRIVATE_COMMAND', ['switch_ivr.c', 'switch_ivr_parse_next_event', 804], {
        verbose: false,
        prefix: pb.prefix,
      }),
  );
}

/**
 * uuid_break: cancel queued broadcasts, stop the running one. A cancelled broadcast produces no playback events,
 * but its queued command is still parsed (PRIVATE_COMMAND) when the channel next leaves park (capture 03b).
 * The stop comes a little after a uuid_bridge's first step, so `uuid_break X; uuid_bridge X Y` sent back to back
 * gives the stop with Other-Leg Y, as captured (03, 03b).
 */
export function breakMedia(sw: Switch, ch: Channel): void {
  for (const t of ch.pendingBroadcasts) {
    if (!t.done) ch.queuedCommands.push(t.prefix);
    t.cancel();
  }
  ch.pendingBroadcasts = [];
  if (ch.playback) {
    ch.pendingBreak = sw.sched.after(
      25,
      () => {
        ch.pendingBreak = undefined;
        sw.runPlan((plan) => stopPlayback(sw, ch, 'done', 'PLAYBACK ERROR', plan.list(0, ch)));
      },
      0.3,
    );
  }
}

export function dtmfEvent(sw: Switch, ch: Channel, digit: string, duration: number): void {
  sw.channelEvent(ch, 'DTMF', ['switch_channel.c', 'switch_channel_dequeue_dtmf', 678], {
    verbose: false,
    post: [
      ['DTMF-Digit', digit],
      ['DTMF-Duration', String(duration)],
      ['DTMF-Source', 'APP'],
    ],
  });
}

/** Parse `*22600`, `5@500` (ms per digit), as uuid_recv_dtmf accepts. Durations are in samples at 8 kHz. */
export function parseDtmf(spec: string): { digits: string[]; duration: number } {
  const [d, ms] = spec.split('@');
  const duration = ms && Number(ms) > 0 ? Number(ms) * 8 : 2000;
  return { digits: [...(d ?? '')].filter((c) => /[0-9*#A-Da-d]/.test(c)), duration };
}

function stopsPlayback(ch: Channel, digit: string): boolean {
  const t = ch.getVar('playback_terminators');
  if (t === undefined || t === 'any') return true;
  if (t === 'none') return false;
  return t.includes(digit);
}

/**
 * uuid_recv_dtmf: the digits show as DTMF events on the channel, ~20 ms apart; while it is bridged they pass to
 * the far end, so they also show on the peer's loopback partner (capture 02). A digit stops a broadcast unless
 * playback_terminators=none (captures section 9).
 */
export function receiveDtmf(sw: Switch, ch: Channel, spec: string): void {
  const { digits, duration } = parseDtmf(spec);
  digits.forEach((digit, i) => {
    // A channel's DTMF queue keeps its order across commands (capture 02): two uuid_recv_dtmf sent back to back
    // must not swap their digits through the timers' jitter.
    const jittered = Math.round((20 + i * 20) * (0.95 + sw.rng.next() * 0.1));
    const due = Math.max(Date.now() + jittered, ch.dtmfDueAt + 1);
    ch.dtmfDueAt = due;
    sw.sched.after(
      due - Date.now(),
      () => {
        if (!ch.alive) return;
        sw.runPlan((plan) => {
          const list = plan.list(0, ch);
          list.push(() => dtmfEvent(sw, ch, digit, duration));
          if (ch.playback && !ch.playback.hold && stopsPlayback(ch, digit)) {
            stopPlayback(sw, ch, 'break', 'FILE PLAYED', list);
          }
        });
        const far = ch.peer?.partner;
        if (far && far.alive) {
          const farDue = Math.max(Date.now() + 1 + Math.round(sw.rng.next() * 2), far.dtmfDueAt + 1);
          far.dtmfDueAt = farDue;
          sw.sched.after(farDue - Date.now(), () => far.alive && dtmfEvent(sw, far, digit, duration), 0);
        }
      },
      0,
    );
  });
}

/** uuid_send_dtmf: digits go out of the channel to its far end, so the loopback partner sees them (assumed). */
export function sendDtmf(sw: Switch, ch: Channel, spec: string): void {
  const { digits, duration } = parseDtmf(spec);
  const far = ch.partner;
  digits.forEach((digit, i) => {
    sw.sched.after(20 + i * 20, () => far?.alive && dtmfEvent(sw, far, digit, duration), 0.1);
  });
}

/** uuid_hold: CHANNEL_HOLD on the channel; with hold_music set, the peer plays it (capture 05). */
export function hold(sw: Switch, ch: Channel): void {
  // The held leg's application shows empty afterwards in show channels (capture 05).
  ch.app = undefined;
  sw.soon(() => {
    ch.times.lastHold = Date.now();
    sw.channelEvent(ch, 'CHANNEL_HOLD', ['switch_ivr.c', 'switch_ivr_hold', 1558], { verbose: true });
  }, 2);
  const music = ch.getVar('hold_music');
  const peer = ch.peer;
  if (music && peer && !peer.playback) broadcast(sw, peer, music, true, 180);
}

/** Playbacks end when the core moves a channel, when its bridge peer goes (hold music) and when it hangs up. */
export function installMedia(sw: Switch): void {
  sw.hooks.on('leaving', (ch, list) => {
    if (ch.playback) stopPlayback(sw, ch, 'done', 'PLAYBACK ERROR', list);
  });
  sw.hooks.on('peerGone', (ch, list) => {
    if (ch.playback?.hold) stopPlayback(sw, ch, 'break', 'FILE PLAYED', list);
  });
  sw.hooks.on('hangingUp', (ch, list) => {
    // Hold music that ends with the call reports `break` / FILE PLAYED; any other playback `done` / PLAYBACK ERROR.
    const hold = ch.playback?.hold;
    if (ch.playback) stopPlayback(sw, ch, hold ? 'break' : 'done', hold ? 'FILE PLAYED' : 'PLAYBACK ERROR', list);
  });
}
