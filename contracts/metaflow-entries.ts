// Which metaflow entries Handoff runs, and as what. Kazoo's documents are stored as they are (every module its schema
// knows, any data its schema accepts); an entry Handoff cannot run is kept but inactive, with the reason, and the
// collector never sees it. The API reports the same reasons the engine acts on: both read this module.
//
// Kazoo's validation writes `transfer_type: "blind"` into every transfer metaflow (its schema's default) while Konami's
// transfer module never reads it and always consults the target: a metaflow's transfer type (`transfer_type`,
// `transfer-type`, `Transfer-Type`) is ignored here too, and a blind transfer by feature code is the module
// `blind_transfer`. (A REST client's `transfer-type` on `POST …/channels/{CALL_ID}` is honoured: it is set on purpose.)
import { DTMF_PATTERN, ID_PATTERN, TARGET_PATTERN, isStreamUrl } from './grammar.ts';
import type { Metaflow, Metaflows } from './metaflows.ts';
import { compilePattern, type FeatureCodeLimits } from './patterns.ts';

/** Every module Kazoo's metaflow schemas know (applications/crossbar/priv/couchdb/schemas/metaflows.<module>.json). */
export const KAZOO_MODULES = [
  'audio_level',
  'break',
  'callflow',
  'hangup',
  'hold',
  'hold_control',
  'intercept',
  'move',
  'pivot',
  'play',
  'record_call',
  'relate',
  'resume',
  'say',
  'sound_touch',
  'transfer',
  'tts',
] as const;

/**
 * The modules Handoff runs: Kazoo's `transfer` (always attended, as Konami), `resume`, `hangup`, `hold`,
 * `hold_control`, and its own: `blind_transfer`, and `three_way` and `swap` for a running transfer's transferor.
 */
export const RUN_MODULES = [
  'transfer',
  'blind_transfer',
  'resume',
  'hangup',
  'hold',
  'hold_control',
  'three_way',
  'swap',
] as const;

/** Every module a metaflow may name: Kazoo's and Handoff's own. */
export const KNOWN_MODULES: readonly string[] = [...KAZOO_MODULES, 'blind_transfer', 'three_way', 'swap'];

/** The spellings of a transfer type Kazoo documents; in a metaflow they are ignored (see above). */
export const TRANSFER_TYPE_KEYS = ['transfer_type', 'transfer-type', 'Transfer-Type'] as const;

export type EntryStatus = { active: true; metaflow: Metaflow } | { active: false; reason: string };

type Data = Record<string, unknown>;

function isObject(v: unknown): v is Data {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Why one of these keys of `data` names no media (a media ID, or a stream Handoff plays), or undefined. */
function mediaProblem(data: Data, keys: string[]): string | undefined {
  for (const key of keys) {
    const v = data[key];
    if (v !== undefined && !(typeof v === 'string' && (isStreamUrl(v) || ID_PATTERN.test(v)))) {
      return `data.${key} is neither a media ID nor a stream Handoff plays`;
    }
  }
  return undefined;
}

/** Why Handoff cannot run this transfer's data, or undefined when it can. */
function transferDataProblem(data: Data, needsTarget: boolean): string | undefined {
  const str = (key: string): string | undefined => (typeof data[key] === 'string' ? (data[key] as string) : undefined);
  const target = str('target');
  if (data.target !== undefined && (target === undefined || !TARGET_PATTERN.test(target))) {
    return 'data.target is not a dialable number (1-64 of 0-9 A-Z a-z * # + . _ -)';
  }
  if (needsTarget && target === undefined) return 'a transfer needs data.target, or a pattern with a capture group';
  if (data.takeback_dtmf !== undefined && !DTMF_PATTERN.test(str('takeback_dtmf') ?? '')) {
    return 'data.takeback_dtmf is not 1-8 DTMF digits';
  }
  const media = mediaProblem(data, ['moh', 'ringback']);
  if (media) return media;
  const timeout = data.timeout;
  if (timeout !== undefined && !(Number.isInteger(timeout) && (timeout as number) >= 1 && (timeout as number) <= 600)) {
    return 'data.timeout is not a whole number of seconds from 1 to 600';
  }
  if (data.partial_failure !== undefined && data.partial_failure !== 'hangup' && data.partial_failure !== 'recall') {
    return 'data.partial_failure is neither hangup nor recall';
  }
  return undefined;
}

/**
 * Whether Handoff runs this entry (`numbers` or `patterns` `key`), and as what: a transfer without its transfer type,
 * a `blind_transfer` as a blind transfer, `resume` and `hangup` as they are. `entry` is the stored entry.
 */
export function entryStatus(
  group: 'numbers' | 'patterns',
  key: string,
  entry: unknown,
  limits: FeatureCodeLimits,
): EntryStatus {
  if (!isObject(entry) || typeof entry.module !== 'string') return { active: false, reason: 'no module' };
  const module = entry.module;
  if (!(RUN_MODULES as readonly string[]).includes(module)) {
    return {
      active: false,
      reason: `Handoff does not run the metaflow module ${module} (it runs ${RUN_MODULES.join(', ')})`,
    };
  }
  const data = isObject(entry.data) ? entry.data : {};
  // Handoff's own key on a pattern: the collected string's length, so the code is acted on at its last digit.
  const digits = group === 'patterns' ? entry.digits : undefined;
  if (
    digits !== undefined &&
    !(Number.isInteger(digits) && (digits as number) >= 1 && (digits as number) <= limits.maxDigits)
  ) {
    return { active: false, reason: `digits is not a whole number from 1 to ${limits.maxDigits}` };
  }
  const length = digits === undefined ? {} : { digits: digits as number };
  if (['resume', 'hangup', 'three_way', 'swap'].includes(module)) {
    return { active: true, metaflow: { module, ...length } };
  }
  if (module === 'hold' || module === 'hold_control') {
    const action = module === 'hold' ? undefined : (data.action ?? 'toggle');
    if (action !== undefined && action !== 'hold' && action !== 'unhold' && action !== 'toggle') {
      return { active: false, reason: 'data.action of hold_control is hold, unhold or toggle' };
    }
    // The music the peer hears: Kazoo's moh_bleg, which defaults to moh_aleg (workflows/feature-codes.ts).
    const problem = mediaProblem(data, ['moh_aleg', 'moh_bleg']);
    if (problem) return { active: false, reason: problem };
    const kept: Data = action === undefined ? {} : { action };
    for (const key of ['moh_aleg', 'moh_bleg']) if (data[key] !== undefined) kept[key] = data[key];
    const withData = Object.keys(kept).length ? { data: kept } : {};
    return { active: true, metaflow: { module, ...withData, ...length } };
  }
  let needsTarget = group === 'numbers';
  if (group === 'patterns') {
    const compiled = compilePattern(key, limits);
    needsTarget = compiled.active && compiled.groups === 0;
  }
  const problem = transferDataProblem(data, needsTarget);
  if (problem) return { active: false, reason: problem };
  const runs: Data = { ...data };
  for (const k of TRANSFER_TYPE_KEYS) delete runs[k];
  // Kazoo injects captures: ["no_match"]; the captures are the collected digits', never the document's.
  delete runs.captures;
  if (module === 'blind_transfer') runs.transfer_type = 'blind';
  return {
    active: true,
    metaflow: Object.keys(runs).length
      ? { module: 'transfer', data: runs, ...length }
      : { module: 'transfer', ...length },
  };
}

/** The entries of a document that are stored but not run, by `numbers.<key>` / `patterns.<key>`, with why. */
export function inactiveEntries(
  doc: { numbers?: unknown; patterns?: unknown },
  limits: FeatureCodeLimits,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const group of ['numbers', 'patterns'] as const) {
    const entries = doc[group];
    if (!isObject(entries)) continue;
    for (const [key, entry] of Object.entries(entries)) {
      if (group === 'patterns' && !compilePattern(key, limits).active) continue; // reported as an inactive pattern
      const status = entryStatus(group, key, entry, limits);
      if (!status.active) out[`${group}.${key}`] = status.reason;
    }
  }
  return out;
}

/** What is stored but has no effect in an entry that runs: a metaflow's transfer type, children. By field path. */
export function ignoredFields(doc: { numbers?: unknown; patterns?: unknown }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const group of ['numbers', 'patterns'] as const) {
    const entries = doc[group];
    if (!isObject(entries)) continue;
    for (const [key, entry] of Object.entries(entries)) {
      if (!isObject(entry)) continue;
      if (entry.children !== undefined) out[`${group}.${key}.children`] = 'Handoff runs no children';
      if (entry.module === 'transfer' && isObject(entry.data)) {
        for (const k of TRANSFER_TYPE_KEYS) {
          if (entry.data[k] !== undefined) {
            out[`${group}.${key}.data.${k}`] =
              'a metaflow transfer consults the target, as Konami (which ignores this); use the module blind_transfer for a blind transfer';
          }
        }
      }
    }
  }
  return out;
}

/**
 * The feature codes the collector may run, as it runs them (entryStatus): inactive entries, inactive patterns and
 * `numbers` keys longer than can be collected are left out (documents stored before the limits, or under larger ones,
 * still load). Undefined when nothing is left.
 */
export function runnableMetaflows(metaflows: Metaflows, limits: FeatureCodeLimits): Metaflows | undefined {
  const out: Metaflows = { ...metaflows };
  const keep = (group: 'numbers' | 'patterns', ok: (key: string) => boolean) => {
    const kept: [string, Metaflow][] = [];
    for (const [key, entry] of Object.entries(metaflows[group] ?? {})) {
      if (!ok(key)) continue;
      const status = entryStatus(group, key, entry, limits);
      if (status.active) kept.push([key, status.metaflow]);
    }
    return kept.length ? Object.fromEntries(kept) : undefined;
  };
  const numbers = keep('numbers', (key) => key.length <= limits.maxDigits);
  const patterns = keep('patterns', (key) => compilePattern(key, limits).active);
  delete out.numbers;
  delete out.patterns;
  if (numbers) out.numbers = numbers;
  if (patterns) out.patterns = patterns;
  return numbers || patterns ? out : undefined;
}
