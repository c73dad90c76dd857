// Metaflows as the engine reads them (Kazoo's schema, normalised by the store), and the policy a leg's digits obey.

export interface Metaflow {
  module: string;
  data?: Record<string, unknown>;
}

export type ListenOn = 'self' | 'peer' | 'both';

export interface Metaflows {
  binding_digit: string;
  /** Inter-digit timeout in ms. */
  digit_timeout?: number;
  listen_on?: ListenOn;
  numbers?: Record<string, Metaflow>;
  patterns?: Record<string, Metaflow>;
}

/** One set of feature codes that listens to this leg's digits: the leg's own (listen_on self|both), or its peer's (peer|both). */
export interface FeatureCodeSet {
  owner: 'self' | 'peer';
  /** The leg whose metaflows these are. */
  ownerLeg: string;
  metaflows: Metaflows;
}

/** What a leg's digits can do, loaded once per leg (and again when its peer changes). */
export interface DigitPolicy {
  /** The bridged peer when the policy was loaded. */
  peer?: string;
  sets: FeatureCodeSet[];
}
