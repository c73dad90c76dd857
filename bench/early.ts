// Step (a), the last digit of a feature code → music on hold for the transferee, with each way a code ends: the
// inter-digit timer, and the three early actions (the terminator, a pattern's declared length, a code nothing can
// extend). Calls one at a time, so that the figures compare the ways and not the load. See bench/README.md.
import { hangUp, placeCall } from '../test/support/engine.ts';
import { DEMO_METAFLOWS } from '../store/seed.ts';
import type { MetaflowsDoc } from '../store/types.ts';
import { is, sleep, type Timeline } from './calls.ts';
import { ms, summarise, table } from './stats.ts';

export interface EarlyMode {
  name: string;
  code: string;
  metaflows: MetaflowsDoc;
}

const transfer = { module: 'transfer', data: {} };
const resume = { numbers: { '1': { module: 'resume' } } };

export const EARLY_MODES: EarlyMode[] = [
  { name: 'inter-digit timer (`^2(\\d+)$`, `*22600`)', code: '*22600', metaflows: DEMO_METAFLOWS },
  { name: 'terminator (`*22600#`)', code: '*22600#', metaflows: DEMO_METAFLOWS },
  {
    name: 'declared length (`"digits": 5`, `*22600`)',
    code: '*22600',
    metaflows: { ...resume, patterns: { '^2(\\d+)$': { ...transfer, digits: 5 } } },
  },
  {
    name: 'pattern that cannot go on (`^2(\\d{4})$`, `*22600`)',
    code: '*22600',
    metaflows: { ...resume, patterns: { '^2(\\d{4})$': transfer } },
  },
  {
    name: 'number nothing extends (`9` → 2600, `*9`)',
    code: '*9',
    metaflows: { numbers: { ...resume.numbers, '9': { module: 'transfer', data: { target: '2600' } } } },
  },
];

export interface EarlyResult {
  mode: EarlyMode;
  /** Last digit (its DTMF event) → PLAYBACK_START on the transferee, ms, as the caller waits it (timer included). */
  samples: number[];
  failures: string[];
}

/** `samples` calls per mode: Alice presses the code, Bob hears music; Alice takes Bob back (`*1`), both hang up. */
export async function earlyActionRun(
  tl: Timeline,
  opts: { samples: number; thinkMs: number; deadline: number },
): Promise<EarlyResult[]> {
  const e = tl.e;
  const results: EarlyResult[] = [];
  try {
    for (const mode of EARLY_MODES) {
      await e.store.setMetaflows({ accountId: e.demo.accountId, level: 'account' }, mode.metaflows);
      const result: EarlyResult = { mode, samples: [], failures: [] };
      results.push(result);
      for (let i = 0; i < opts.samples && Date.now() < opts.deadline; i++) {
        await codeToMusic(tl, mode.code, { thinkMs: opts.thinkMs }).then(
          ({ sample }) => result.samples.push(sample),
          (err: unknown) => result.failures.push(String(err)),
        );
      }
    }
  } finally {
    await e.store.setMetaflows({ accountId: e.demo.accountId, level: 'account' }, DEMO_METAFLOWS);
  }
  return results;
}

/**
 * One call: Alice presses `code` (its keys `gapMs` apart, the phones' default when absent), Bob hears music, Alice
 * takes him back with `*1`, both hang up. Returns the ms from the code's last DTMF event to Bob's PLAYBACK_START, as
 * the caller waits it, and Alice's leg (the transferor).
 */
export async function codeToMusic(
  tl: Timeline,
  code: string,
  opts: { thinkMs: number; gapMs?: number },
): Promise<{ sample: number; transferor: string }> {
  const e = tl.e;
  const { alice, bob } = await placeCall(e);
  try {
    await sleep(opts.thinkMs);
    const from = tl.mark();
    await e.phones.press(alice.uuid, code, opts.gapMs);
    const music = await tl.wait(is('PLAYBACK_START', bob.uuid), from, 10_000, "the transferee's music");
    const digits = tl.all(is('DTMF', alice.uuid), from);
    const sample = tl.at(music) - tl.at(digits[digits.length - 1]!);
    await sleep(opts.thinkMs);
    const back = tl.mark();
    await e.phones.press(alice.uuid, '*1');
    await tl.wait(
      (ev) => is('CHANNEL_BRIDGE', alice.uuid)(ev) && ev.headers['Other-Leg-Unique-ID'] === bob.uuid,
      back,
      15_000,
      'the takeback',
    );
    return { sample, transferor: alice.uuid };
  } finally {
    await hangUp(e, alice.uuid).catch(() => undefined);
    await hangUp(e, bob.uuid).catch(() => undefined);
    await sleep(200);
  }
}

export function earlyTable(results: EarlyResult[], digitTimeoutMs: number): string {
  const rows = results.map((r) => {
    const s = summarise(r.samples);
    return [r.mode.name, s.n, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max), r.failures.length];
  });
  const failures = results.flatMap((r) => r.failures.map((f) => `- ${r.mode.name}: ${f}`));
  return [
    table(
      [
        '(a) last digit → PLAYBACK_START on the transferee (ms), as the caller waits it',
        'n',
        'p50',
        'p90',
        'p99',
        'max',
        'failed',
      ],
      rows,
    ),
    `The timer row includes the inter-digit timeout (${digitTimeoutMs} ms here; 800 ms by default, and longer on a ` +
      "cluster with Temporal's default timer settings: RESULTS-coarse-timers.md); the others do not wait for it.",
    ...(failures.length ? ['Failed calls:', failures.join('\n')] : []),
  ].join('\n\n');
}
