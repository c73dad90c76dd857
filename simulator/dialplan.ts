// The dialplan the -b leg of each loopback pair runs. The default one is the captured switch's
// (captures README section 1); a JSON file or the startSimulator option adds extensions.

import { readFileSync } from 'node:fs';

export interface DialplanAction {
  app: 'answer' | 'park' | 'ring_ready' | 'sleep' | 'hangup' | 'bridge' | 'playback' | 'pre_answer' | 'set';
  data?: string;
}

/**
 * One extension. Either give `actions` (the applications, as in an XML dialplan), or describe the behaviour:
 * `ringMs` rings first, then `outcome` (default `answer`): `answer` answers and parks (or hangs up after
 * `hangupAfterMs`), `busy` hangs up USER_BUSY, `reject` hangs up with `cause`, `no-answer` rings until cancelled,
 * `bridge` answers nothing itself and bridges to `bridgeTo` (a loopback dial string).
 */
export interface DialplanEntry {
  /** Exact destination number, or a regular expression written as `/.../`. */
  extension: string;
  context?: string;
  name?: string;
  actions?: DialplanAction[];
  ringMs?: number;
  outcome?: 'answer' | 'busy' | 'reject' | 'no-answer' | 'bridge';
  hangupAfterMs?: number;
  cause?: string;
  bridgeTo?: string;
}

const ACTIONS = new Set(['answer', 'park', 'ring_ready', 'sleep', 'hangup', 'bridge', 'playback', 'pre_answer', 'set']);

export const DEFAULT_DIALPLAN: DialplanEntry[] = [
  { name: 'answer_park_2600', extension: '/^(2600|2601)$/', actions: [{ app: 'answer' }, { app: 'park' }] },
  {
    name: 'ring_forever_2602',
    extension: '2602',
    actions: [{ app: 'ring_ready' }, { app: 'sleep', data: '3600000' }],
  },
  { name: 'busy_2603', extension: '2603', actions: [{ app: 'hangup', data: 'USER_BUSY' }] },
  {
    name: 'ring_then_answer_2604',
    extension: '2604',
    actions: [{ app: 'ring_ready' }, { app: 'sleep', data: '2000' }, { app: 'answer' }, { app: 'park' }],
  },
  {
    name: 'answer_then_hangup_2605',
    extension: '2605',
    actions: [{ app: 'answer' }, { app: 'sleep', data: '2000' }, { app: 'hangup', data: 'NORMAL_CLEARING' }],
  },
];

export function compileEntry(e: DialplanEntry): DialplanAction[] {
  if (e.actions) return e.actions;
  const out: DialplanAction[] = [];
  if (e.ringMs !== undefined && e.ringMs > 0) {
    out.push({ app: 'ring_ready' }, { app: 'sleep', data: String(e.ringMs) });
  }
  switch (e.outcome ?? 'answer') {
    case 'answer':
      out.push({ app: 'answer' });
      if (e.hangupAfterMs !== undefined) {
        out.push(
          { app: 'sleep', data: String(e.hangupAfterMs) },
          { app: 'hangup', data: e.cause ?? 'NORMAL_CLEARING' },
        );
      } else {
        out.push({ app: 'park' });
      }
      break;
    case 'busy':
      out.push({ app: 'hangup', data: 'USER_BUSY' });
      break;
    case 'reject':
      out.push({ app: 'hangup', data: e.cause ?? 'CALL_REJECTED' });
      break;
    case 'no-answer':
      if (!out.length) out.push({ app: 'ring_ready' });
      out.push({ app: 'sleep', data: '3600000' });
      break;
    case 'bridge':
      out.push({ app: 'bridge', data: e.bridgeTo ?? 'loopback/2600/default' });
      break;
  }
  return out;
}

export class Dialplan {
  private entries: DialplanEntry[];

  constructor(extra: readonly DialplanEntry[] = []) {
    // Later entries win, so an operator's file can override a default extension.
    this.entries = [...DEFAULT_DIALPLAN, ...extra];
  }

  add(entries: readonly DialplanEntry[]): void {
    this.entries.push(...entries);
  }

  hasContext(context: string): boolean {
    return this.entries.some((e) => (e.context ?? 'default') === context);
  }

  lookup(destination: string, context: string): DialplanAction[] | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!;
      if ((e.context ?? 'default') !== context) continue;
      const m = /^\/(.*)\/$/.exec(e.extension);
      const hit = m ? new RegExp(m[1]!).test(destination) : e.extension === destination;
      if (hit) return compileEntry(e);
    }
    return undefined;
  }
}

/** Read and check a dialplan JSON file (an array of DialplanEntry). */
export function loadDialplanFile(path: string): DialplanEntry[] {
  const raw: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!Array.isArray(raw)) throw new Error(`${path}: expected a JSON array of dialplan entries`);
  return raw.map((item: unknown, i) => {
    if (typeof item !== 'object' || item === null) throw new Error(`${path}[${i}]: expected an object`);
    const e = item as Record<string, unknown>;
    if (typeof e.extension !== 'string') throw new Error(`${path}[${i}].extension: expected a string`);
    if (e.actions !== undefined) {
      if (!Array.isArray(e.actions)) throw new Error(`${path}[${i}].actions: expected an array`);
      for (const a of e.actions as unknown[]) {
        const act = a as { app?: unknown; data?: unknown };
        if (typeof act.app !== 'string' || !ACTIONS.has(act.app)) {
          throw new Error(`${path}[${i}].actions: unknown application ${JSON.stringify(act.app)}`);
        }
      }
    }
    return e as unknown as DialplanEntry;
  });
}
