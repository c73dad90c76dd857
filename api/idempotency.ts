// The ID under which a REST transfer request reaches the call's workflow (its Update ID), so that a retried HTTP request
// starts nothing twice: the client's Idempotency-Key when it sends one, otherwise the account, the call and what is
// asked, within a short window (contracts/requests.ts says how the workflow remembers them).
import { createHash } from 'node:crypto';
import { transferRequestId } from '../contracts/requests.ts';
import { ApiError } from './errors.ts';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** Printable ASCII, like the keys clients generate (UUIDs, ULIDs); long enough for any of them. */
const KEY = /^[\x21-\x7e]{1,255}$/;

function digest(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex').slice(0, 32);
}

/** JSON with object keys sorted: the same request always digests the same, whatever order its fields came in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The Update ID of this transfer request; a malformed Idempotency-Key is a 400. */
export function transferUpdateId(
  accountId: string,
  callId: string,
  request: unknown,
  key: string | undefined,
  now = Date.now(),
): string {
  const body = digest(accountId, callId, canonical(request));
  if (key === undefined) return transferRequestId({ kind: 'auto', body, at: now });
  if (!KEY.test(key)) {
    throw ApiError.field(IDEMPOTENCY_HEADER, 'invalid', 'Idempotency-Key must be 1 to 255 printable ASCII characters');
  }
  return transferRequestId({ kind: 'key', key: digest(key), body });
}
