// Metaflows as the engine reads them (Kazoo's schema, normalised by the store), and the policy a leg's digits obey.

export interface Metaflow {
  module: string;
  data?: Record<string, unknown>;
  /**
   * Handoff's own key, on a `patterns` entry: the pattern matches only collected strings of exactly this many digits
   * (after the binding digit), so the code is complete, and acted on, as soon as the last one is pressed.
   */
  digits?: number;
}

export type ListenOn = 'self' | 'peer' | 'both';

export interface Metaflows {
  binding_digit: string;
  /** Inter-digit timeout in ms. */
  digit_timeout?: number;
  listen_on?: ListenOn;
  /**
   * Handoff's own key: the key that ends a code at once (`#` unless the configuration says otherwise); `""` turns it
   * off. It is off anyway where the binding digit is that key or a code may contain it.
   */
  terminator?: string;
  /**
   * Handoff's own key: the digits of this document's codes are kept from the presser's peer (it hears the binding
   * digit, then nothing until the code is decided; digits that turn out to be no code are sent on to it). With
   * `listen_on` `peer` or `both` the codes typed by the peer are kept from the document's own leg. Default off.
   */
  private_codes?: boolean;
  numbers?: Record<string, Metaflow>;
  patterns?: Record<string, Metaflow>;
}

/**
 * One set of feature codes that listens to this leg's digits: the leg's own (listen_on self|both), its peer's
 * (peer|both), or a running transfer's codes (contracts/transfer-codes.ts).
 */
export interface FeatureCodeSet {
  owner: 'self' | 'peer' | 'transfer';
  /** The leg whose metaflows these are (for `transfer`: the transfer's ID). */
  ownerLeg: string;
  metaflows: Metaflows;
}

/** What a leg's digits can do, loaded once per leg (and again when its peer changes). */
export interface DigitPolicy {
  /** The bridged peer when the policy was loaded. */
  peer?: string;
  sets: FeatureCodeSet[];
}
