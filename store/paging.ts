// Keyset pagination, Kazoo's way: a page and an opaque key that resumes the listing after its last item. The key holds
// the sort key of the next item (`[name, id]` for accounts), so a page costs one index range read however deep into
// the listing it is, and no item is skipped or repeated when others are added meanwhile.
import { StoreError } from './types.ts';

export function encodePageKey(sortKey: readonly string[]): string {
  return Buffer.from(JSON.stringify(sortKey), 'utf8').toString('base64url');
}

/** The sort key in a page key made by encodePageKey with `parts` parts; a StoreError naming start_key otherwise. */
export function decodePageKey(key: string, parts: number): string[] {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(key, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value) || value.length !== parts || !value.every((v) => typeof v === 'string')) {
    throw new StoreError('invalid', 'start_key', 'not a start key this listing gave out (use its next_start_key)');
  }
  return value as string[];
}
