// Metaflows documents: the `binding_key` alias, and Kazoo's merge of account → device → user into what the engine reads.
import type { ListenOn, Metaflow, Metaflows } from '../contracts/metaflows.ts';
import type { MetaflowsDoc } from './types.ts';

export const DEFAULT_BINDING_DIGIT = '*';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Kazoo's merge ignores empty values: a level that sets `""` or `{}` does not erase what a lower level set. */
function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (isPlainObject(v) && Object.keys(v).length === 0);
}

/**
 * Kazoo's aliases, folded into one spelling: `binding_key` (its docs) → `binding_digit` (its code), and
 * `digit_timeout_ms` (its account-doc fallback) → `digit_timeout`. The canonical key wins when both are set.
 */
export function normaliseMetaflowsDoc(doc: MetaflowsDoc): MetaflowsDoc {
  const { binding_key: bindingKey, digit_timeout_ms: digitTimeoutMs, ...rest } = doc;
  if (rest.binding_digit === undefined && bindingKey !== undefined) rest.binding_digit = bindingKey;
  if (rest.digit_timeout === undefined && digitTimeoutMs !== undefined) rest.digit_timeout = digitTimeoutMs;
  return rest;
}

/**
 * Kazoo's `merge_recursive([Account, Device, User])`, later wins, empty values ignored, with one deliberate
 * difference: a `numbers`/`patterns` entry is replaced whole, never merged field by field, so a user's
 * `{"module":"resume"}` cannot inherit the `data` of the account's transfer under the same key.
 */
export function mergeMetaflowsDocs(docs: readonly MetaflowsDoc[]): MetaflowsDoc {
  const out: MetaflowsDoc = {};
  for (const doc of docs) {
    for (const [key, value] of Object.entries(normaliseMetaflowsDoc(doc))) {
      // `terminator: ""` is a value (no terminator), not an empty one.
      if (isEmpty(value) && key !== 'terminator') continue;
      if ((key === 'numbers' || key === 'patterns') && isPlainObject(value)) {
        const below = isPlainObject(out[key]) ? (out[key] as Record<string, unknown>) : {};
        const merged: Record<string, unknown> = { ...below };
        for (const [k, entry] of Object.entries(value)) if (!isEmpty(entry)) merged[k] = entry;
        out[key] = merged;
      } else {
        out[key] = value;
      }
    }
  }
  return out;
}

function toEntries(v: unknown): Record<string, Metaflow> | undefined {
  if (!isPlainObject(v)) return undefined;
  const out: Record<string, Metaflow> = {};
  for (const [k, entry] of Object.entries(v)) {
    if (!isPlainObject(entry) || typeof entry.module !== 'string') continue;
    out[k] = isPlainObject(entry.data) ? { module: entry.module, data: entry.data } : { module: entry.module };
    // Handoff's own key on a pattern: its length in digits (contracts/metaflow-entries.ts says whether it runs).
    if (entry.digits !== undefined) out[k]!.digits = entry.digits as number;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

const LISTEN_ON: readonly string[] = ['self', 'peer', 'both'];

/** The engine's view: only the keys it reads, with the binding digit defaulted; undefined when no feature code is set. */
export function toEngineMetaflows(doc: MetaflowsDoc): Metaflows | undefined {
  const numbers = toEntries(doc.numbers);
  const patterns = toEntries(doc.patterns);
  if (!numbers && !patterns) return undefined;
  const binding =
    typeof doc.binding_digit === 'string' && doc.binding_digit ? doc.binding_digit : DEFAULT_BINDING_DIGIT;
  const out: Metaflows = { binding_digit: binding };
  if (typeof doc.digit_timeout === 'number' && Number.isInteger(doc.digit_timeout) && doc.digit_timeout >= 0) {
    out.digit_timeout = doc.digit_timeout;
  }
  if (typeof doc.listen_on === 'string' && LISTEN_ON.includes(doc.listen_on)) out.listen_on = doc.listen_on as ListenOn;
  // Handoff's own key: `""` is kept (it turns the configured terminator off for this document).
  if (typeof doc.terminator === 'string' && /^[0-9*#]?$/.test(doc.terminator)) out.terminator = doc.terminator;
  if (typeof doc.private_codes === 'boolean') out.private_codes = doc.private_codes;
  if (numbers) out.numbers = numbers;
  if (patterns) out.patterns = patterns;
  return out;
}
