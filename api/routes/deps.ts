// What every route module is built from.
import type { Store } from '../../store/index.ts';
import type { ApiConfig } from '../context.ts';
import type { CallEngine } from '../engine.ts';
import type { TokenSigner } from '../tokens.ts';

export interface RouteDeps {
  store: Store;
  engine: CallEngine;
  config: ApiConfig;
  signer: TokenSigner;
}
