// The transferor's takeback code (default `*1`), matched on the digits as the switch saw them: a suffix match, so that a
// stray digit before the code does not matter. A partly typed code expires after the inter-digit timeout, measured
// between the digits' own switch timestamps: a `*` whose `1` was lost (an ingest died with it) does not turn a `1`
// pressed seconds later into a takeback. Expiry needs no timer: nothing happens when a partial code expires, and the
// next digit's timestamp says whether it has. Pure, so it is carried as data and tested alone.
import { takebackProgress } from './collector.ts';

export interface TypedTakeback {
  /** The last digits typed (at most 16), while they may still be part of the code. */
  digits: string;
  /** The switch timestamp (ms) of the last digit typed. */
  lastAt?: number;
}

export const NOTHING_TYPED: TypedTakeback = { digits: '' };

/** Would the next digit, pressed at `at`, find what was typed before it expired? */
export function takebackExpired(typed: TypedTakeback, at: number, timeoutMs: number): boolean {
  return typed.digits !== '' && typed.lastAt !== undefined && at - typed.lastAt > timeoutMs;
}

export interface TakebackPress {
  typed: TypedTakeback;
  /** The digit completed the code. */
  matched: boolean;
  /** The digit is part of the code (a prefix typed so far): it is not a feature-code digit. */
  partial: boolean;
}

/** One digit on the transferor's leg. `forget`: what was typed before has expired (see takebackExpired). */
export function pressTakeback(
  typed: TypedTakeback,
  code: string,
  digit: string,
  at: number,
  forget: boolean,
): TakebackPress {
  const digits = ((forget ? '' : typed.digits) + digit).slice(-16);
  if (digits.endsWith(code)) return { typed: NOTHING_TYPED, matched: true, partial: false };
  return { typed: { digits, lastAt: at }, matched: false, partial: takebackProgress(digits, code) > 0 };
}
