// The Hono environment shared by every sub-app: what middleware puts on the context for handlers to read.
import type { Store } from '../store/index.ts';
import type { FeatureCodeLimits } from '../contracts/patterns.ts';
import type { CallEngine } from './engine.ts';
import type { ApiLogger } from './log.ts';

/**
 * The caller: a valid, unrevoked token (`token`), or an account ID and one of its API keys sent as `Authorization:
 * Basic` (`basic`, Kazoo's basic authentication with the API key as the credential). Only a token has a jti and an
 * expiry.
 */
export type AuthInfo =
  | {
      method: 'token';
      accountId: string;
      jti: string;
      /** Token expiry, ms since the epoch. */
      expiresAt: number;
      token: string;
    }
  | { method: 'basic'; accountId: string };

export interface ApiConfig {
  /** HS256 secret for the tokens, at least 32 characters. */
  jwtSecret: string;
  /** Token lifetime in seconds (Kazoo's default is 3600). */
  tokenTtlS: number;
  /** Largest accepted request body, in bytes. */
  bodyLimitBytes: number;
  /** Deepest accepted JSON nesting (objects and arrays, the body's own object counting as 1). */
  maxJsonDepth: number;
  /** Failed api_auth attempts a client may make per window before it is refused (429) until the window ends. */
  authThrottle: { maxFailures: number; windowS: number };
  /** Proxies whose X-Forwarded-For names the client: IP addresses or CIDR subnets. */
  trustedProxies: string[];
  /** Browser origins allowed to call the API (CORS): `*` (Kazoo's default) or a list. */
  corsOrigins: '*' | string[];
  /** How a Kazoo media ID Handoff has no record of is played (MEDIA_URL_TEMPLATE; '' = off). */
  mediaUrlTemplate: string;
  /** The envelope's `node`: an opaque name of this API process. */
  node: string;
  /** The envelope's `version`. */
  version: string;
  /** What a metaflows document may hold (FEATURE_CODE_* settings). */
  featureCodes: FeatureCodeLimits;
}

export interface ApiDeps {
  store: Store;
  engine: CallEngine;
  config: ApiConfig;
}

export interface ApiEnv {
  Variables: {
    requestId: string;
    /** The API's logger, bound to this request's ID. */
    log: ApiLogger;
    /** The caller's address (through trusted proxies only; see client.ts). */
    client: string;
    /** The token to echo in the envelope's `auth_token` ("" when none). */
    authToken: string;
    /** Set by the authentication middleware on every route that needs a caller. */
    auth: AuthInfo;
    /** Set by a login (api_auth, Basic) that failed, so the login throttle counts it whatever the answer's status. */
    loginFailed: boolean;
  };
}
