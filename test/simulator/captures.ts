// Loading the FreeSWITCH ground-truth captures at test time (../shared/reference/freeswitch-captures,
// or HANDOFF_CAPTURES_DIR): the bytes received, the commands sent and where each was sent, and the labels.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FrameReader, parseEventBody, type EslEvent, type EslFrame } from '../support/esl-client.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const capturesDir =
  process.env.HANDOFF_CAPTURES_DIR ?? path.resolve(repoRoot, '..', 'shared', 'reference', 'freeswitch-captures');

/** Outside CI a checkout without the captures skips the fidelity tests; in CI (CI=true) that is an error. */
export function capturesAvailable(): boolean {
  const found = existsSync(path.join(capturesDir, 'README.md'));
  if (!found && process.env.CI) {
    throw new Error(`the FreeSWITCH captures are missing at ${capturesDir} (set HANDOFF_CAPTURES_DIR)`);
  }
  return found;
}

export interface CapturedCommand {
  text: string;
  /** Number of frames received before this command was written. */
  framesBefore: number;
  /** Milliseconds between the last frame received before it and the command. */
  gapMs: number;
}

export interface Capture {
  step: string;
  frames: EslFrame[];
  events: EslEvent[];
  /** Index in `frames` of each event. */
  eventFrame: number[];
  commands: CapturedCommand[];
  /** uuid -> label (A, A', A(pre-rename), ...). */
  labels: Map<string, string>;
}

export function loadCapture(step: string): Capture {
  const raw = readFileSync(path.join(capturesDir, `${step}.recv.raw`));
  const frames = new FrameReader().push(raw);
  const events: EslEvent[] = [];
  const eventFrame: number[] = [];
  frames.forEach((f, i) => {
    const ct = f.headers['Content-Type'] ?? '';
    if (ct === 'text/event-plain' || ct === 'text/event-json') {
      events.push(parseEventBody(ct, f.body));
      eventFrame.push(i);
    }
  });
  // Where each command was sent: count RECV markers before each SEND marker of the annotated transcript.
  const plain = readFileSync(path.join(capturesDir, `${step}.plain.txt`), 'utf8');
  const sendPositions: number[] = [];
  const gaps: number[] = [];
  let recvs = 0;
  let lastRecvAt = 0;
  const at = (line: string): number => Number(/t=\+([\d.]+)s/.exec(line)?.[1] ?? 0) * 1000;
  for (const line of plain.split('\n')) {
    if (line.startsWith('##### RECV')) {
      recvs++;
      lastRecvAt = at(line);
    } else if (line.startsWith('##### SEND')) {
      sendPositions.push(recvs);
      gaps.push(Math.max(0, at(line) - lastRecvAt));
    }
  }
  const sent = readFileSync(path.join(capturesDir, `${step}.sent.raw`), 'utf8');
  const texts = sent.split('\n\n').filter((s) => s.trim() !== '');
  const commands = texts.map((text, i) => ({ text, framesBefore: sendPositions[i] ?? 0, gapMs: gaps[i] ?? 0 }));
  const labels = new Map<string, string>();
  const summaryPath = path.join(capturesDir, `${step}.summary.md`);
  if (existsSync(summaryPath)) {
    const m = /^Labels: (.*)$/m.exec(readFileSync(summaryPath, 'utf8'));
    for (const part of m ? m[1]!.split(', ') : []) {
      const eq = part.lastIndexOf('=');
      if (eq > 0) labels.set(part.slice(eq + 1).trim(), part.slice(0, eq).trim());
    }
  }
  const all10 = path.join(capturesDir, 'labels-10-18.json');
  if (existsSync(all10)) {
    const j = JSON.parse(readFileSync(all10, 'utf8')) as Record<string, Record<string, string>>;
    for (const [u, l] of Object.entries(j['pre-existing (not created by steps 10-18)'] ?? {})) labels.set(u, l);
  }
  return { step, frames, events, eventFrame, commands, labels };
}

/** Replies in order: `command/reply` Reply-Text or `api/response` body. */
export function replies(frames: EslFrame[]): { type: string; text: string; frame: EslFrame }[] {
  return frames
    .filter((f) => f.headers['Content-Type'] === 'command/reply' || f.headers['Content-Type'] === 'api/response')
    .map((f) => ({
      type: f.headers['Content-Type']!,
      text: f.headers['Content-Type'] === 'command/reply' ? (f.headers['Reply-Text'] ?? '') : f.body,
      frame: f,
    }));
}

/**
 * The switch that recorded steps 00-18 had no global variables (its `uuid_getvar <uuid> hold_music` answered
 * `_undef_`); the rebuilt one of steps 20-22 had `hold_music=local_stream://moh`, the simulator's default.
 */
export const SWITCH_00_18 = { heartbeatMs: 0, globals: {} } as const;
