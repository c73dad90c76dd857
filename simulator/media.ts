// Media on channels: uuid_broadcast playbacks, uuid_break, and uuid_hold with its hold music. DTMF is in dtmf.ts.

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

export function commandPrefix(sw: Switch, path: string, extra: Header[] = []): Header[] {
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
      ...extra,
    ],
  );
  return [...ev.headers];
}

/** Queue a broadcast; it starts ~200 ms later unless uuid_break cancels it first (capture 03b). */
export function broadcast(sw: Switch, ch: Channel, path: string, hold = false, delayMs = BROADCAST_DELAY_MS): void {
  // Hold music loops (SMF_LOOP): its queued COMMAND says so (captures 22d).
  const prefix = commandPrefix(sw, path, hold ? [['loops', '-1']] : []);
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

/**
 * uuid_hold: CHANNEL_HOLD on the channel, whose bridge then drops the audio both ways (the holder hears silence);
 * the peer hears the holder's hold music (its `hold_music`, else the global one) if there is any (captures 05, 21a-c).
 * Each hold queues one broadcast of the music on the peer; only the first in a bridge plays, and only when the bridge
 * had carried media for 200 ms before it was first held. The others wait until the peer is next bridged and then fail
 * (21a, 21e). The call state stays ACTIVE and no hold is ever undone by uuid_hold off on loopback (21a, 21d).
 */
export function hold(sw: Switch, ch: Channel): void {
  // A held bridged leg shows no application in show channels afterwards (capture 05); a parked one keeps park (21d).
  if (ch.app?.name === 'uuid_bridge') ch.app = undefined;
  sw.soon(() => {
    ch.times.lastHold = Date.now();
    sw.channelEvent(ch, 'CHANNEL_HOLD', ['switch_ivr.c', 'switch_ivr_hold', 1558], { verbose: true });
  }, 2);
  const br = ch.bridge && !ch.bridge.ended ? ch.bridge : undefined;
  const peer = ch.peer;
  if (!br || !peer) return;
  br.hold ??= { leadFramesRead: br.leadFramesRead === true, musicQueued: false };
  const music = ch.getVar('hold_music');
  if (!music) return;
  if (!br.hold.musicQueued && br.hold.leadFramesRead) broadcast(sw, peer, music, true, 180);
  else peer.queuedHoldMusic.push({ path: music, prefix: commandPrefix(sw, music, [['loops', '-1']]) });
  br.hold.musicQueued = true;
}

/**
 * Hold music that never started runs when the channel is next bridged, in CS_RESET, and fails at once: EXECUTE,
 * EXECUTE_COMPLETE `PLAYBACK ERROR`, PRIVATE_COMMAND, no PLAYBACK_START (captures 21a rows 98-103, 21e rows 86-88).
 */
export function runQueuedHoldMusic(sw: Switch, ch: Channel, list: Step[]): void {
  const queued = ch.queuedHoldMusic;
  ch.queuedHoldMusic = [];
  for (const q of queued) {
    list.push(() => {
      const app = sw.execute(ch, 'playback', q.path, true, false);
      sw.executeComplete(ch, 'PLAYBACK ERROR', app);
      sw.channelEvent(ch, 'PRIVATE_COMMAND', ['switch_ivr.c', 'switch_ivr_parse_next_event', 804], {
        verbose: false,
        prefix: q.prefix,
      });
    });
  }
}

/** Playbacks end when the core moves a channel, when its bridge peer goes (hold music) and when it hangs up. */
export function installMedia(sw: Switch): void {
  sw.hooks.on('leaving', (ch, plan, phase) => {
    if (ch.playback) stopPlayback(sw, ch, 'done', 'PLAYBACK ERROR', plan.list(phase, ch));
  });
  sw.hooks.on('peerGone', (ch, plan, phase) => {
    if (ch.playback?.hold) stopPlayback(sw, ch, 'break', 'FILE PLAYED', plan.list(phase, ch));
  });
  sw.hooks.on('hangingUp', (ch, plan, phase) => {
    // Hold music that ends with the call reports `break` / FILE PLAYED; any other playback `done` / PLAYBACK ERROR.
    const hold = ch.playback?.hold;
    const list = plan.list(phase, ch);
    if (ch.playback) stopPlayback(sw, ch, hold ? 'break' : 'done', hold ? 'FILE PLAYED' : 'PLAYBACK ERROR', list);
    ch.queuedHoldMusic = [];
  });
}
