// Idempotent transfer requests. The API names each REST transfer request with an Update ID made from the client's
// Idempotency-Key (or, without one, from the account, the call and what is asked, within a short window) and the hash
// of what is asked. Temporal answers a repeated Update ID with the first answer, but only within one workflow run; the
// call workflow therefore remembers the answers itself and carries them across continue-as-new. The same key with a
// different request is refused. Pure (no workflow APIs, no hashing: the API hashes), so both sides share it.
import type { TransferAccepted } from './messages.ts';
import type { TransferRefusalReason } from './refusals.ts';

/** A request without an Idempotency-Key counts as a retry of an identical one made less than this long before. */
export const AUTO_REQUEST_WINDOW_MS = 30_000;
/** Answers kept per call; the oldest go first. */
const REMEMBERED = 50;

const PREFIX = 'transfer-request';
const DIGEST = /^[0-9a-f]{16,64}$/;

/**
 * The Update ID of a transfer request. `key`: a digest of the client's Idempotency-Key; `body`: a digest of what is
 * asked. Without a key (`auto`), `body` digests the account, the call and what is asked, and `bucket` (the window the
 * request falls in) keeps Temporal from answering a new identical request, minutes later, with the old answer.
 */
export function transferRequestId(
  req: { kind: 'key'; key: string; body: string } | { kind: 'auto'; body: string; at: number },
): string {
  if (req.kind === 'key') return `${PREFIX}:key:${req.key}:${req.body}`;
  return `${PREFIX}:auto:${req.body}:${Math.floor(req.at / AUTO_REQUEST_WINDOW_MS)}`;
}

export interface TransferRequestRef {
  kind: 'key' | 'auto';
  /** What identifies the request across retries: the key's digest, or (auto) the request's own digest. */
  key: string;
  body: string;
}

/** The request an Update ID names, or undefined for an Update ID not made by transferRequestId (older clients). */
export function parseTransferRequestId(updateId: string | undefined): TransferRequestRef | undefined {
  const parts = updateId?.split(':');
  if (parts?.length !== 4 || parts[0] !== PREFIX) return undefined;
  const [, kind, a = '', b = ''] = parts;
  if (kind === 'key' && DIGEST.test(a) && DIGEST.test(b)) return { kind, key: a, body: b };
  if (kind === 'auto' && DIGEST.test(a) && /^\d+$/.test(b)) return { kind, key: a, body: a };
  return undefined;
}

export type RequestAnswer =
  { accepted: TransferAccepted } | { refused: { type: string; reason?: TransferRefusalReason; message: string } };

export interface RememberedRequest {
  body: string;
  /** Workflow time of the answer. */
  at: number;
  answer: RequestAnswer;
}

/** Answers by request key, oldest first. Plain data: carried across continue-as-new. */
export type RequestMemory = Record<string, RememberedRequest>;

export type Recall =
  /** Never answered (or an auto request whose window has passed): a new request. */
  | { kind: 'new' }
  /** Answered before: give the same answer. */
  | { kind: 'answered'; answer: RequestAnswer }
  /** The key was used for a different request. */
  | { kind: 'conflict' };

export function recall(memory: RequestMemory, req: TransferRequestRef, now: number): Recall {
  const seen = memory[req.key];
  if (!seen) return { kind: 'new' };
  if (seen.body !== req.body) return { kind: 'conflict' };
  if (req.kind === 'auto' && now - seen.at >= AUTO_REQUEST_WINDOW_MS) return { kind: 'new' };
  return { kind: 'answered', answer: seen.answer };
}

/** The memory with this answer added (and the oldest answers dropped past the bound). */
export function remember(
  memory: RequestMemory,
  req: TransferRequestRef,
  answer: RequestAnswer,
  now: number,
): RequestMemory {
  const kept = Object.entries(memory).filter(([key]) => key !== req.key);
  kept.push([req.key, { body: req.body, at: now, answer }]);
  return Object.fromEntries(kept.slice(-REMEMBERED));
}
